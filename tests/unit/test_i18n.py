"""Languages of the pages: gettext catalogs read with Babel, locale formats of numbers and dates."""
from __future__ import annotations

import jinja2
import nbformat
import pytest

from cxresearch import i18n
from cxresearch.errors import ParameterError


@pytest.fixture(autouse=True)
def _english_unless_told(monkeypatch):
    monkeypatch.delenv(i18n.LANGUAGE_VARIABLE, raising=False)
    i18n.set_language(None)
    yield
    i18n.set_language(None)


@pytest.mark.parametrize(("language", "number", "count", "percent", "date"), [
    ("en", "1,234.5", "12,345", "75.6%", "December 1, 2026"),
    ("it", "1.234,5", "12.345", "75,6%", "1 dicembre 2026"),
])
def test_numbers_percentages_and_dates_follow_the_language(language, number, count, percent, date):
    with i18n.using(language):
        assert i18n.format_number(1234.5) == number
        assert i18n.format_count(12345) == count
        assert i18n.format_percent(0.756) == percent
        assert i18n.format_date("2026-12-01T10:00:00+00:00") == date
        assert i18n.format_number(float("nan")) == i18n.MISSING == i18n.format_percent(None)


def test_decimals_are_the_callers():
    assert i18n.format_number(2.0, decimals=0) == "2"
    assert i18n.format_percent(0.5, decimals=0) == "50%"
    assert i18n.format_number(-0.04567, decimals=3) == "-0.046"


def test_the_language_comes_from_the_setting_then_the_environment_then_english(monkeypatch):
    assert i18n.get_language() == "en"
    monkeypatch.setenv(i18n.LANGUAGE_VARIABLE, "it_IT")
    assert i18n.get_language() == "it"
    i18n.set_language("EN")
    assert i18n.get_language() == "en"


def test_using_sets_the_environment_for_kernels_and_restores_it():
    import os

    with i18n.using("it"):
        assert os.environ[i18n.LANGUAGE_VARIABLE] == "it" and i18n.get_language() == "it"
    assert i18n.LANGUAGE_VARIABLE not in os.environ and i18n.get_language() == "en"


def test_an_unknown_language_lists_the_valid_ones():
    with pytest.raises(ParameterError, match="one of en, it; got 'fr'"):
        i18n.check_language("fr")


def test_english_is_the_source_and_unknown_messages_stay_as_written():
    assert i18n._("# Data quality") == "# Data quality"
    with i18n.using("it"):
        assert i18n._("A sentence no catalog has") == "A sentence no catalog has"
        assert i18n.ngettext("%(n)d run", "%(n)d runs", 1) == "%(n)d run"


def test_jinja_templates_get_the_gettext_callables_and_the_formats():
    environment = jinja2.Environment(autoescape=True)
    i18n.install(environment)
    template = environment.from_string(
        '{{ _("Not in the catalog") }} {{ "<b>" }} {{ x | format_number }} {{ format_percent(0.25, decimals=0) }}')
    assert template.render(x=1234.5) == "Not in the catalog &lt;b&gt; 1,234.5 25%"
    with i18n.using("it"):
        assert template.render(x=1234.5) == "Not in the catalog &lt;b&gt; 1.234,5 25%"


def test_notebook_markdown_is_extracted_and_translated_paragraph_by_paragraph(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title\n\nFirst paragraph\nstill first.\n\n\n- a list"),
        nbformat.v4.new_code_cell("x = 1  # code is never translated")])
    path = tmp_path / "n.ipynb"
    nbformat.write(notebook, path)
    with path.open("rb") as stream:
        found = [message for _, _, message, _ in i18n.extract_notebook(stream, [], [], {})]
    assert found == ["# Title", "First paragraph\nstill first.", "- a list"]
    with i18n.using("it"):
        translated = i18n.translate_notebook(notebook)
    assert translated.cells[0].source == "# Title\n\nFirst paragraph\nstill first.\n\n- a list"
    assert translated.cells[1].source == notebook.cells[1].source
    assert notebook.cells[0].source.endswith("\n\n\n- a list")   # the input is not changed


def test_dataset_yml_names_the_language_of_the_pages(tmp_path):
    from cxresearch.dataset import validate
    from cxresearch.settings import report_language

    (tmp_path / "events.csv").write_text("customer_id,timestamp,channel,touchpoint\n1,2025-01-01,web,home\n")
    assert report_language(tmp_path) is None
    (tmp_path / "dataset.yml").write_text("name: Negozio Rossi\nlanguage: it\n")
    assert report_language(tmp_path) == "it"
    (tmp_path / "dataset.yml").write_text("language: klingon\n")
    assert report_language(tmp_path) is None
    assert "'language' (of the report pages): language must be one of en, it; got 'klingon'." in str(
        validate(tmp_path))


def test_persona_names_read_as_each_language_writes_them():
    """Italian puts the noun first, joins adjectives with "e", says the channel with "via" and traits with "con"."""
    import pandas as pd

    from cxresearch.personas.names import name_personas

    traits = pd.DataFrame({"share_app": [1.5, -0.2, -1.0, 0.0], "share_call_center": [-0.5, 0.1, 0.9, 0.0],
                           "age": [-0.9, 0.7, 0.2, 0.0], "n_purchases": [0.8, -0.9, 0.0, 0.0],
                           "csat": [0.6, 0.1, -0.2, 0.0], "tenure_days": [0.0, 0.6, 0.0, -0.8],
                           "monthly_charge": [0.0, 0.0, 0.7, 0.0], "plan=gold": [0.0, 0.0, 0.6, 0.0]})
    profiles = pd.DataFrame({"share_app": [0.7, 0.2, 0.1, 0.3], "share_call_center": [0.3, 0.8, 0.6, 0.7]})
    shown = pd.Series([False, False, False, False])
    assert name_personas(traits, profiles, shown).tolist() == [
        "App-first young delighted buyers", "Senior long-time browsers",
        "Call center-first customers with above-average monthly charge", "New customers"]
    with i18n.using("it"):
        assert name_personas(traits, profiles, shown).tolist() == [
            "Acquirenti giovani e entusiasti via app", "Visitatori senior e di lunga data",
            "Clienti via call center con monthly charge sopra la media", "Clienti nuovi"]
        assert name_personas(traits, profiles, pd.Series([False, False, True, True])).tolist()[2:] == [
            "Gruppo piccolo", "Gruppo piccolo 2"]
        # the same English word, two Italian ones: a "new" persona (feminine singular) and "new" customers
        assert i18n._("new") != i18n.pgettext("persona name", "new") == "nuovi"


def test_theme_names_come_from_the_catalog_and_a_datasets_own_label_stays_as_written(tmp_path):
    from cxresearch.topics import theme_taxonomy

    with i18n.using("it"):
        labels = set(theme_taxonomy({"loyalty": {"label": "Loyalty programme", "en": ["points"]}})["label"])
    assert {"Consegna", "Personale e servizio", "Loyalty programme"} <= labels and "Delivery" not in labels
    shipped = i18n.LOCALE_DIR.parent / "resources" / "cx_themes.yml"
    with shipped.open("rb") as stream:
        extracted = [message for _, _, message, _ in i18n.extract_labels(stream, [], [], {})]
    assert extracted[:3] == ["Delivery", "Price", "Staff and service"]


def test_two_personas_never_read_alike_in_another_order():
    import pandas as pd

    from cxresearch.personas.names import name_personas

    traits = pd.DataFrame({"age": [0.9, 0.8], "spend": [0.8, 0.9], "tenure_days": [0.6, -0.6]})
    for language in ("en", "it"):
        with i18n.using(language):
            names = name_personas(traits, traits, pd.Series([False, False])).tolist()
        assert sorted(names[0].split()) != sorted(names[1].split()), names


@pytest.mark.parametrize(("written", "read"), [
    ("lì termina il 89% delle visite", "lì termina l'89% delle visite"),
    ("il 8%, il 11%, il 1%, il 1,5%", "l'8%, l'11%, l'1%, l'1,5%"),
    ("Il 80,5% dal 8 maggio al 11 giugno", "L'80,5% dall'8 maggio all'11 giugno"),
    ("dal 1 luglio 2025 al 1 agosto, il 1 lug", "dal 1° luglio 2025 al 1° agosto, l'1 lug"),
    ("del 800, nel 8.000, sul 1.000.000", "dell'800, nell'8.000, sull'1.000.000"),
    ("il 18%, il 0,5%, il 1.000, il 180, il 12.345, al 95%, il 2025", "il 18%, il 0,5%, il 1.000, il 180, "
     "il 12.345, al 95%, il 2025"),
    ("profilo 8%, vil 8, l'8%", "profilo 8%, vil 8, l'8%"),
])
def test_italian_articles_elide_before_numbers_read_with_a_vowel(written, read):
    with i18n.using("it"):
        assert i18n.elide(written) == read
    assert i18n.elide(written) == written


def test_a_filled_message_gets_the_article_its_number_asks_for():
    message = "%(variable)s carries %(share)s of the separation"
    with i18n.using("it"):
        assert i18n._(message) % {"variable": "età", "share": "89,0%"} == "età porta l'89,0% della separazione"
        assert i18n._(message) % {"variable": "età", "share": "39,0%"} == "età porta il 39,0% della separazione"
    assert i18n._(message) % {"variable": "age", "share": "89.0%"} == "age carries 89.0% of the separation"

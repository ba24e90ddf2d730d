"""Every message of the pages is in the Italian catalog, and an Italian page reads without English words.

The catalogs are checked against a fresh extraction of the sources (Python,
templates and the notebooks' Markdown, as ``babel.cfg`` says), so a sentence
wrapped in ``_()`` but never translated fails here, and so does a stale catalog.
"""
from __future__ import annotations

import html
import re
import warnings
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from cxresearch import i18n, notes, report
from cxresearch.capabilities import supported
from cxresearch.dataset import CXDataset
from cxresearch.errors import SmallGroupWarning
from cxresearch.display import header, pretty
from cxresearch.routine import NOTEBOOKS, NOTEBOOKS_DIR

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "cxresearch" / "locale" / "it" / "LC_MESSAGES" / "cxresearch.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%%")
#: English words of the interface that an Italian page never shows (data values such as touchpoint names may).
ENGLISH = re.compile(r"\b(the|and|of|with|which|what|where|when|this|that|are|is|not|customers|interval|share|"
                     r"shown|period|generated|notes|true|false|yes|missing|available|table|rows|stage|stages|"
                     r"run|runs|page|pages|channel|channels|data|quality|summary|at|from|other|answers|sessions|"
                     r"reviews|mentioning|starts|better|higher|lower|since|visits|points|rank|moved|"
                     r"awareness|consideration|purchase|service|loyalty|buyers|browsers|frequent|occasional|young|"
                     r"delighted|disappointed|high|low|explorer|jan|feb|apr|may|jun|jul|aug|oct|dec|"
                     r"monday|sunday)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def extracted() -> dict[tuple[str | None, str], str]:
    """(Context, message id) -> where it was found, from the sources as they are now."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(str(ROOT), method_map, options_map):
        found.setdefault((context, message if isinstance(message, str) else message[0]), filename)
    return found


@pytest.fixture(scope="module")
def catalog():
    with CATALOG.open("rb") as stream:
        return read_po(stream, locale="it")


def test_every_message_of_the_pages_has_an_italian_translation(extracted, catalog):
    untranslated = []
    for (context, message), where in extracted.items():
        entry = catalog.get(message, context=context)
        strings = [] if entry is None else ([entry.string] if isinstance(entry.string, str) else entry.string)
        if entry is None or entry.fuzzy or not all(strings):
            untranslated.append(f"{where}: {message[:80]!r}")
    assert not untranslated, (f"{len(untranslated)} message(s) without an Italian translation (run `make messages` "
                              "and translate them):\n" + "\n".join(untranslated))


def test_translations_keep_every_placeholder(catalog):
    broken = [entry.id for entry in catalog if entry.id and entry.string and
              sorted(PLACEHOLDER.findall(entry.id if isinstance(entry.id, str) else entry.id[0]))
              != sorted(PLACEHOLDER.findall(entry.string if isinstance(entry.string, str) else entry.string[0]))]
    assert not broken


def test_the_italian_catalog_says_sondaggio_and_voi(catalog):
    # Italian CX practice says "sondaggio"; the pages once mixed it with "survey"
    strings = [text for entry in catalog if entry.id
               for text in ([entry.string] if isinstance(entry.string, str) else entry.string)]
    assert not [text for text in strings if re.search(r"\bsurvey\b", text)]
    assert any("ai sondaggi" in text for text in strings)
    # and it addresses the reader as "voi" ("aggiungete", "eseguite"), never "tu"
    assert not [text for text in strings if re.search(r"\b(aggiungi|esegui|rinomina|imposta|controlla|di')\s"
                                                        r"|\b(aggiungi|esegui|rinomina|imposta|controlla)(ne|la|lo|le|li)\b",
                                                        text)]
    assert any("aggiungete" in text for text in strings)


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL | re.IGNORECASE)
    page = re.sub(r"<code>.*?</code>", " ", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_an_italian_page_shows_no_english_words(name):
    notebook = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
    header = {"title": "x", "dataset": "Negozio Rossi", "run_id": "r1", "version": "0", "min_group_size": 5,
              "pages": [{"title": "x", "href": "x.html", "current": True}]}
    with i18n.using("en"):
        english = _visible_text(report.render_page(i18n.translate_notebook(notebook), header=header))
    with i18n.using("it"):
        header.update(period=i18n.format_period("2026-01-01", "2026-12-01"), generated=i18n.format_datetime(
            "2026-12-01T10:00:00+00:00"))
        italian = _visible_text(report.render_page(i18n.translate_notebook(notebook), header=header))
    assert ENGLISH.search(english), "the word list must catch the English page"
    assert not ENGLISH.findall(italian), f"English on the Italian {name} page: {sorted(set(ENGLISH.findall(italian)))}"
    assert "dal 1° gennaio 2026 al 1° dicembre 2026" in italian


def test_italian_tables_and_sentences_show_no_english_words():
    ds = CXDataset("partial", surveys=pd.DataFrame({"response_id": ["1", "2"], "timestamp": pd.to_datetime(
        ["2026-01-05", "2026-02-01"], utc=True), "nps": [9, 3]}))
    with i18n.using("it"):
        table = pretty(supported(ds).drop(columns="key")).to_html()
        box = notes.box().data
    assert "aggiungete una colonna <code>csat</code> (1-5) ai sondaggi" in table
    text = _visible_text(re.sub(r"<code>[^<]*</code>", " ", table)) + " " + box
    words = re.sub(r"`[^`]*`", " ", text)     # column names are the export's, in any language
    assert not ENGLISH.findall(words), sorted(set(ENGLISH.findall(words)))


@pytest.mark.integration
def test_a_run_in_the_datasets_language_writes_italian_pages_and_index(tmp_path):
    """dataset.yml's ``language: it`` reaches the page, its kernel (numbers) and the run index; --lang overrides it.

    Integration: two routine runs of a one-cell notebook (a kernel each, about 10 s apiece on an idle machine),
    the only way to see the language cross into the notebook's kernel.
    """
    from cxresearch import routine

    data = tmp_path / "data"
    data.mkdir()
    (data / "events.csv").write_text("customer_id,timestamp,channel,touchpoint\n1,2025-01-01,web,home\n")
    (data / "dataset.yml").write_text("name: Negozio Rossi\nlanguage: it\n")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Data quality\n\nRows and time span of each table in the analysed period; "
                                        '"no dates" when the export dates none of its rows.'),
        nbformat.v4.new_code_cell("from cxresearch.i18n import format_number\nprint(format_number(1234.5))")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}),
        notebooks / "00_data_quality.ipynb")
    done = routine.run(routine.RoutineParameters(data_dir=str(data)), reports_dir=tmp_path / "reports",
                       notebooks_dir=notebooks)
    assert done.ok and done.manifest["language"] == "it"
    page = _visible_text((done.folder / "00_data_quality.html").read_text())
    assert "Qualità dei dati" in page and "Righe e arco temporale di ciascuna tabella" in page
    assert "1.234,5" in page and "tutti i dati" in page
    assert "Esecuzioni della ricerca CX" in (tmp_path / "reports" / "index.html").read_text()
    english = routine.run(routine.RoutineParameters(data_dir=str(data)), reports_dir=tmp_path / "reports",
                          notebooks_dir=notebooks, language="en")
    page = _visible_text((english.folder / "00_data_quality.html").read_text())
    assert english.manifest["language"] == "en" and "Rows and time span" in page and "1,234.5" in page


def test_the_explorers_controls_and_tables_speak_italian():
    from cxresearch.widgets import JourneyExplorer
    from cxresearch.widgets.output import noted, placeholder

    from .test_journeys import pain_dataset

    personas = pd.Series({f"c{i:02d}": "p1" if i < 10 else "p2" for i in range(20)})
    with i18n.using("it"):
        explorer = JourneyExplorer(pain_dataset(), personas=personas)
        controls = [explorer.persona.description, explorer.channel.description, *explorer.chart.options,
                    explorer.persona.options[0], explorer.channel.options[0]]
        table = explorer.output.outputs[1]["data"]["text/html"]
        explorer.chart.value = i18n._("transitions")
        explorer.persona.value = "p1"
        chart = explorer.figure.layout
        with noted(explorer.note):
            warnings.warn(i18n._("All customers are shown as one group."), SmallGroupWarning)
        shown = " ".join([*controls, _visible_text(table), _visible_text(placeholder()), chart.title.text or "",
                          chart.xaxis.title.text or "", _visible_text(explorer.note.value)])
    assert "Principali pain point" in shown and "transizioni" in controls and "tutti" in controls
    assert "Nota: Tutti i clienti sono mostrati come un unico gruppo." in shown
    assert not ENGLISH.findall(shown), sorted(set(ENGLISH.findall(shown)))


def test_validate_writes_in_the_datasets_language_unless_told(tmp_path, capsys):
    from cxresearch.cli import main

    (tmp_path / "surveys.csv").write_text("response_id,timestamp,nps\nr1,2025-01-01,9\nr2,2025-01-02,3\n")
    (tmp_path / "dataset.yml").write_text("name: Negozio Rossi\nlanguage: it\n")
    assert main(["validate", str(tmp_path)]) == 0
    italian = capsys.readouterr().out
    assert "Che cosa permette questo dataset:" in italian and "  sì   NPS\n" in italian and ": OK\n" in italian
    words = re.sub(r"`[^`]*`", " ", italian.replace(tmp_path.name, " "))
    assert not ENGLISH.findall(words), sorted(set(ENGLISH.findall(words)))
    assert main(["validate", str(tmp_path), "--lang", "en"]) == 0
    assert "What this dataset supports:" in capsys.readouterr().out
    assert main(["validate", str(tmp_path), "--language", "en"]) == 0   # spelled as dataset.yml's key
    assert "What this dataset supports:" in capsys.readouterr().out


CORPUS = ROOT / "tests" / "data" / "bad"
#: English words of the loader's messages (what was found and what was expected), besides :data:`ENGLISH`.
LOADER_ENGLISH = re.compile(r"\b(values?|lines?|rows?|expected|columns?|header|number|empty|duplicated|range|add|"
                            r"rename|could|read|found|mean|unknown|must|setting|both|exist|text|first)\b",
                            re.IGNORECASE)
#: What Python's and pyarrow's own errors say inside a message (gzip, Parquet, YAML): theirs, not the catalog's.
LIBRARY_TEXT = re.compile(r"\((?:Error -3|Compressed file|ArrowInvalid)[^\n]*?\)(?=[;.]|$)|while parsing [a-z ]+",
                          re.MULTILINE)


def _loader_english(output: str, case: Path) -> list[str]:
    """English words of *output* that are neither the data's (names and values in the case's files) nor a library's."""
    from cxresearch.settings import CONFIG_KEYS

    data = set(CONFIG_KEYS)                 # dataset.yml's keys, listed as the valid ones
    for file in case.iterdir():
        if file.name != "expected.yml":
            data |= set(re.findall(r"\w+", file.read_bytes().decode("utf-8", "ignore").lower()))
    shown = re.sub(r"'[^']*'|`[^`]*`|\S+[._/-]\S+", " ", LIBRARY_TEXT.sub(" ", output))
    return sorted({word for word in ENGLISH.findall(shown) + LOADER_ENGLISH.findall(shown)
                   if word.lower() not in data})


@pytest.mark.parametrize("case", sorted(p.name for p in CORPUS.iterdir() if p.is_dir()))
def test_validate_in_italian_says_every_problem_of_the_bad_corpus_in_italian(case, capsys):
    """Problems, warnings and notes of the loader and dataset.yml: file, column and lines kept, no English words."""
    from cxresearch.cli import main

    main(["validate", str(CORPUS / case), "--lang", "it"])
    italian = capsys.readouterr().out
    assert not _loader_english(italian, CORPUS / case), italian
    expected = yaml.safe_load((CORPUS / case / "expected.yml").read_text(encoding="utf-8"))
    if expected["outcome"] == "error":
        assert f"errore: {expected['file']}" in italian
        assert expected.get("column") is None or f"colonna '{expected['column']}'" in italian
        assert all(f"riga {line}:" in italian for line in expected.get("lines", []))
        main(["validate", str(CORPUS / case), "--lang", "en"])
        assert _loader_english(capsys.readouterr().out, CORPUS / case), "the word lists must catch English"


def test_what_the_library_puts_on_italian_pages_shows_no_english_words():
    """Stage names on charts, tables, the canvas and the first screen; the persona model's warnings and names."""
    import numpy as np

    from cxresearch.charts.journeys import emotion_curve, funnel_chart, journey_heatmap
    from cxresearch.journeys import journey_map
    from cxresearch.personas import PersonaModel, persona_card

    from .test_journeys import STAGES, pain_dataset

    assert {"awareness", "purchase", "service"} <= set(STAGES)   # the standard vocabulary, translated
    with i18n.using("it"):
        jm = journey_map(pain_dataset())
        axes = [journey_heatmap(jm.matrix).layout.xaxis, emotion_curve(jm.stages).layout.xaxis,
                funnel_chart(jm.funnel(list(jm.stage_labels))).layout.yaxis]
        shown = [" ".join(axis.ticktext) + " " + (axis.title.text or "") for axis in axes]
        shown.append(_visible_text(pretty(jm.stages[["stage", "customers"]]).to_html()))
        customers = pd.DataFrame(np.random.default_rng(0).uniform(size=(200, 2)), columns=["age", "spend"])
        with pytest.warns(Warning) as caught:
            model = PersonaModel(k_range=(2, 4), stability_threshold=1.0, n_bootstrap=3, random_state=0).fit(customers)
        shown += [str(w.message) for w in caught] + model.personas_["name"].tolist()
        shown.append(_visible_text(persona_card(model, 0)))
    assert all("acquisto" in piece and "assistenza" in piece for piece in shown[:4]), shown[:4]
    text = " ".join(shown)
    assert "Nessuna segmentazione stabile" in text and "Tutti i clienti" in text and "età" in shown[-1]
    assert not ENGLISH.findall(text), sorted(set(ENGLISH.findall(text)))


def test_italian_headers_of_the_persona_selection_and_drivers_read_in_italian():
    # the fresh-eyes trial read "Refits" and "Performance" on Italian pages
    with i18n.using("it"):
        assert [header("refits"), header("performance")] == ["Ristime", "Valutazione media"]


def test_counted_things_read_in_one_or_many_in_both_languages():
    """The notes and problems that once said "table(s)" and "comment(s)" say one or many as the count asks."""
    from cxresearch.dataset import from_frames
    from cxresearch.errors import DataError

    customers = pd.DataFrame({"customer_id": ["1", "2"], "name": ["Maria Rossi", "Luca Bianchi"]})
    surveys = pd.DataFrame({"response_id": ["a", "b"], "customer_id": ["1", "2"], "timestamp": ["2025-01-01"] * 2,
                            "nps": [9, 3], "comment": ["Maria Rossi was kind", "slow"]})
    said = {}
    for language in ("en", "it"):
        with i18n.using(language):
            one = from_frames({"customers": customers, "surveys": surveys}).notes[0]
            many = from_frames({"customers": customers, "surveys": surveys.assign(comment="Luca Bianchi")}).notes[0]
            problems = []
            for tables in ({"survey": surveys}, {"customer": customers, "survey": surveys}):
                with pytest.raises(DataError) as raised:
                    from_frames(tables)
                problems.append(str(raised.value).splitlines()[-1])
            heads = str(raised.value).splitlines()[0]
        said[language] = [one, many, *problems, heads]
    assert said["en"][:2] == ["surveys: replaced customers' names written in 1 value of comment with [name].",
                              "surveys: replaced customers' names written in 2 values of comment with [name]."]
    assert "unknown table survey; expected one of customers, " in said["en"][2]
    assert "unknown tables customer, survey; expected one of customers, " in said["en"][3]
    assert said["it"][:2] == [
        "sondaggi: i nomi dei clienti scritti in 1 valore di comment sono stati sostituiti con [name].",
        "sondaggi: i nomi dei clienti scritti in 2 valori di comment sono stati sostituiti con [name]."]
    assert "tabella sconosciuta survey; quelle valide sono customers, " in said["it"][2]
    assert "tabelle sconosciute customer, survey; quelle valide sono customers, " in said["it"][3]
    assert said["en"][4].startswith("1 problem in ") and said["it"][4].startswith("1 problema in ")


def test_persona_feature_labels_and_the_card_unit_read_in_italian():
    # a rating of the delivery is the data's own aspect, not the journey stage "delivery": its name stays as written
    from cxresearch.cards import Attribute, PersonaCardData, Trait, render_persona_card
    from cxresearch.personas import feature_label
    from cxresearch.personas.profiles import category_label

    with i18n.using("it"):
        labels = [feature_label(c) for c in ("rating_price", "days_since_signup", "rating_delivery", "share_call_center",
                                             "gender=missing")]
        labels.append(category_label("missing"))
        card = PersonaCardData(persona_id=1, name="Risparmiatori", size=40, share=0.4, share_low=0.3, share_high=0.5,
                               n_total=100, traits=(Trait(labels[0], 1.62), Trait(labels[1], -0.4)),
                               attributes=(Attribute(labels[-1], "x", "y"),))
        html = str(render_persona_card(card))
    assert labels == ["valutazione del prezzo", "giorni dall'iscrizione", "valutazione delivery", "quota call center",
                      "genere: non indicato", "non indicato"]
    assert "(+1,6 DS)" in html and 'title="+1,62 DS"' in html and "(-0,4 DS)" in html and " SD" not in html


def test_italian_shares_at_the_start_of_a_line_take_their_article():
    went_on = i18n._("%(share)s of the previous stage's customers went on to it")
    with i18n.using("it"):
        lines = [i18n._(went_on) % {"share": i18n.format_percent(share, decimals=0)} for share in (0.85, 0.97)]
    assert lines == ["l'85% dei clienti della fase precedente vi arriva",
                     "il 97% dei clienti della fase precedente vi arriva"]

"""Pages with nothing to compute are written without a kernel, saying what their notebook would say.

The routine decides it from the dataset's capabilities before starting any
kernel (:func:`cxresearch.routine.pages.pages_without_data`). Each decision is
checked against the notebook itself, run in this process on the same shape
(``test_shapes.run_notebooks``): a page written without a kernel is one whose
notebook shows nothing but sentences saying what it lacks, and its sentences
are among them; a page with something to show still runs (as does one whose
data meets the capabilities but proves too little once computed).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cxresearch.capabilities import Unavailable
from cxresearch.routine import NOTEBOOKS, NOTEBOOKS_DIR
from cxresearch.routine.pages import PAGE_ANALYSES, page_without_kernel, pages_without_data
from tests.unit.test_shapes import SHOWN, _cells, _only, full, run_notebooks  # noqa: F401 (full: the shapes' fixture)


def _shown(namespace: dict) -> list:
    """What a notebook's cells showed, but its last cell's box of notes (every page has one)."""
    return namespace[SHOWN][:-1]


@pytest.mark.parametrize("tables", [("customers",), ("events",), ("surveys",), ("reviews",)], ids="+".join)
def test_a_page_without_data_says_what_its_notebook_would_and_nothing_else(full, tables, tmp_path, monkeypatch):
    dataset = _only(full, tables)
    empty = pages_without_data(dataset, NOTEBOOKS)
    assert empty, "every one-table shape leaves some page without data"
    shown = run_notebooks(dataset, tmp_path, monkeypatch)
    for name in PAGE_ANALYSES:
        values = _shown(shown[name])
        said = [value.sentence for value in values if isinstance(value, Unavailable)]
        if name in empty:
            assert all(value is None or isinstance(value, Unavailable) for value in values), name
            assert empty[name] and set(empty[name]) <= set(said), (name, empty[name], said)
            assert len(set(empty[name])) == len(empty[name])   # each lack said once
        else:   # something to show, or data enough for the capabilities but too little for the analysis
            assert (any(value is not None and not isinstance(value, Unavailable) for value in values)
                    or any("could not be computed" in sentence for sentence in said)), name


def test_the_pages_declare_analyses_their_notebooks_use():
    for name, analyses in PAGE_ANALYSES.items():
        code = "\n".join(_cells(name))
        assert name in NOTEBOOKS and all(f'"{key}"' in code for key in analyses), name


def test_a_customers_only_export_leaves_journey_voice_and_interventions_without_data(full):
    dataset = replace(_only(full, ("customers",)), interventions=None)
    empty = pages_without_data(dataset, NOTEBOOKS)
    assert set(empty) == {"02_journey_map", "03_voice_of_customer", "05_interventions"}
    assert empty["02_journey_map"] == [
        "No events in this dataset: add an events file (customer_id, timestamp, channel, touchpoint) to see the "
        "customer journey."]
    # the voice page's eight analyses lack two tables: one sentence for each
    assert [sentence.split(":")[0] for sentence in empty["03_voice_of_customer"]] == [
        "No surveys in this dataset", "No reviews in this dataset"]


def test_the_page_without_a_kernel_has_the_notebooks_title_in_the_readers_language():
    from cxresearch import i18n

    with i18n.using("it"):
        notebook = page_without_kernel(NOTEBOOKS_DIR / "02_journey_map.ipynb", ["Nessun evento."], "Mappa")
    title, shown = notebook.cells
    assert title.source == "# Mappa della customer journey"   # the executed notebook's title, translated
    assert [output["data"]["text/markdown"] for output in shown.outputs] == ["*Nessun evento.*"]


def test_no_sentence_for_readers_names_a_file_or_a_constant_of_the_code():
    """A manager reads the pages: no message points them at ``docs/METHODS.md`` or ``recipes.UNDATED``."""
    import re

    from babel.messages.pofile import read_po

    from cxresearch import i18n

    with open(Path(i18n.__file__).parent / "locale" / "it" / "LC_MESSAGES" / "cxresearch.po", "rb") as stream:
        catalog = read_po(stream)
    texts = [text for message in catalog for text in (message.id if isinstance(message.id, tuple) else (message.id,))]
    internals = [text for text in texts if re.search(r"docs/\w+\.md|\b[a-z_]+\.[A-Z][A-Z_]{3,}\b", text)]
    assert len(texts) > 1000 and internals == []

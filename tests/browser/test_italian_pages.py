"""The routine's pages in Italian, read in a real headless Chromium: no English word of the interface.

An Italian run of the shared runs' dataset is opened page by page, and
everything a reader meets is read: the page's text (collapsed tables too) and
what each chart writes, its titles, ticks, legends, annotations and hover
texts (:func:`harness.reader_text`). No word of the English word lists of
``tests/unit/test_translations.py`` may be there, except words of the data
itself: channel, touchpoint and persona names, intervention descriptions...
(every word of the dataset's files but its free texts, which the pages quote
in ``blockquote`` elements, and its stage names, which the pages translate;
a code such as ``loyalty_program`` counts as the words the pages write for it,
"loyalty program"), and Italian month abbreviations that English shares ("apr").
The same reading of the English run must find English words on every page,
so the lists cover what each page writes.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest
from babel.dates import get_month_names

from cxresearch.columns import code_label
from cxresearch.routine import NOTEBOOKS, RoutineParameters, run
from tests.routine_runs import FREE_TEXT, RUNS_MIN_GROUP_SIZE, RUNS_SEED
from tests.unit.test_translations import ENGLISH

from .harness import reader_text


@pytest.fixture(scope="module")
def italian_run(routine_runs, tmp_path_factory):
    """The shared runs' dataset run once in Italian (a routine run: about a minute of CPU)."""
    parameters = RoutineParameters(data_dir=str(routine_runs.data), random_state=RUNS_SEED,
                                   min_group_size=RUNS_MIN_GROUP_SIZE)
    done = run(parameters, reports_dir=tmp_path_factory.mktemp("italian") / "reports", language="it")
    assert done.ok, done.manifest.get("error")
    return done


def data_words(folder, *, free_text: bool = False) -> set[str]:
    """Lower-case words of the dataset's own values, stage names aside: its free texts' or all but those."""
    words = set()
    for file in folder.glob("*.csv"):
        frame = pd.read_csv(file, dtype=str)
        columns = frame.columns.intersection(FREE_TEXT.values()) if free_text else frame.columns.difference(
            [*FREE_TEXT.values(), "stage"])
        for column in columns:
            words |= set(re.findall(r"\w+", " ".join(frame[column].dropna().unique()).lower()))
    return words


def english_words(page, folder) -> list[str]:
    """English words of the interface on *page*: its text and charts, and each table cell that is not a
    text of the data (quotes, a topic's terms: three words in four or more are words of the data's free texts,
    the rest being what stemming writes, "material"; redaction's placeholders do not count)."""
    text, cells = reader_text(page)
    quoted = data_words(folder, free_text=True)

    def from_the_data(cell: str) -> bool:
        words = re.findall(r"[^\W\d_]+", re.sub(r"\[\w+\]", " ", cell.lower()))   # redaction's "[email]" aside
        return bool(words) and sum(word in quoted for word in words) >= 0.75 * len(words)

    text += "\n" + "\n".join(cell for cell in cells if not from_the_data(cell))
    data = data_words(folder)
    for code in sorted((word for word in data if "_" in word), key=len, reverse=True):
        text = re.sub(re.escape(code_label(code)), " ", text, flags=re.IGNORECASE)
    months = {month.lower() for month in get_month_names("abbreviated", locale="it").values()}
    return sorted({word for word in ENGLISH.findall(text) if word.lower() not in data | months})


@pytest.mark.parametrize("name", ["index", *NOTEBOOKS])
def test_an_italian_page_and_its_charts_show_no_english_word(name, italian_run, routine_runs, open_page):
    page = italian_run.folder.parent / "index.html" if name == "index" else italian_run.folder / f"{name}.html"
    opened = open_page(page)
    assert not english_words(opened.page, routine_runs.data), name
    assert not opened.errors, opened.errors
    english = routine_runs.reports / "index.html" if name == "index" else routine_runs.second.folder / f"{name}.html"
    assert english_words(open_page(english).page, routine_runs.data), f"the word list misses the English {name}"

"""The whole routine, end to end, on partial exports and on every shipped sample.

Each case is one real ``cxresearch run`` (six notebooks in kernels, a minute
or two each on small data), so there are few of them, each covering ground the
others do not:

- ``events_and_reviews``: events without stages and no dataset.yml (a ticket
  log) plus reviews, no surveys: personas from behaviour, a journey without a
  funnel, a voice page without surveys;
- every folder of ``data/samples/``: a real export mapped by its dataset.yml;
- the surveys-only NPS export without customer ids runs from the installed
  wheel (``test_installed_wheel.py``);
- the full demo runs in the shared runs (``tests/routine_runs.py``).

The shape matrix of the notebooks' calls, which covers every subset of tables
and every optional column removed (``ces`` among them), runs in-process in
``test_shapes.py``.
"""
from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cxresearch.cli import main
from cxresearch.routine import read_manifest
from cxresearch.synthetic import generate

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"

#: name -> (table -> columns kept (None: all but "drop")), columns dropped, whether dataset.yml is kept
SHAPES = {
    "nps_export": ({"surveys": ["response_id", "timestamp", "nps", "comment"]}, (), False),
    "events_and_reviews": ({"events": None, "reviews": None}, ("stage",), False),
}
#: The shape the installed wheel runs on (``test_installed_wheel.py``) instead of a run here.
WHEEL_SHAPE = "nps_export"
#: name -> page -> sentences the page must show instead of a section
EXPECTED = {
    "nps_export": {"01_personas": ["No per-customer data in this dataset"],
                   "05_interventions": ["No interventions in this dataset"],
                   "02_journey_map": ["No events in this dataset"],
                   "03_voice_of_customer": ["No touchpoint ratings in this dataset"],
                   "04_summary": ["Not computed", "No CES answers in this dataset"]},
    "events_and_reviews": {"02_journey_map": ["No journey stages in this dataset"],
                           "05_interventions": ["No interventions in this dataset"],
                           "03_voice_of_customer": ["No surveys in this dataset"],
                           "04_summary": ["Not computed"]},
}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("routine-shapes") / "full", customers=200, random_state=8, months=4)


def cut(source: Path, folder: Path, tables: dict, drop: tuple, keep_config: bool) -> Path:
    folder.mkdir()
    for table, columns in tables.items():
        frame = pd.read_csv(source / f"{table}.csv")
        frame = frame[columns] if columns else frame.drop(columns=[c for c in drop if c in frame.columns])
        frame.to_csv(folder / f"{table}.csv", index=False)
    if keep_config:
        shutil.copy(source / "dataset.yml", folder / "dataset.yml")
    return folder


def _run(data: Path, reports: Path, capsys) -> Path:
    code = main(["run", str(data), "--reports", str(reports), "--personas", "3"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    return (reports / "latest").resolve()


#: name -> the pages with nothing to compute in that shape, written without a kernel
WITHOUT_KERNEL = {"nps_export": {"01_personas", "02_journey_map", "05_interventions"},
                  "events_and_reviews": {"05_interventions"}}


def assert_clean_pages(run: Path) -> dict[str, str]:
    """The six pages of *run*, clean: a page with nothing to compute (written without a kernel) shows what it
    would need; the others end with their notes."""
    pages = {page.stem: html.unescape(page.read_text(encoding="utf-8")) for page in run.glob("0*.html")}
    assert len(pages) == 6
    without_kernel = {entry["name"]: entry["without_kernel"] for entry in read_manifest(run)["notebooks"]
                      if "without_kernel" in entry}
    for name, page in pages.items():
        assert "Traceback" not in page and not re.search(r"\w\.py:\d+", page), name
        if name in without_kernel:
            shown = re.sub(r"<[^>]+>", "", page)   # a sentence's `code` reads as <code>code</code>
            assert all(sentence.replace("`", "") in shown for sentence in without_kernel[name]), name
        else:
            assert "Notes on this run" in page, name
    return pages


def assert_says_what_it_could_not_compute(name: str, run: Path) -> None:
    """The pages of *run* are clean and show the sentences of shape *name*."""
    pages = assert_clean_pages(run)
    assert {entry["name"] for entry in read_manifest(run)["notebooks"] if "without_kernel" in entry} == \
        WITHOUT_KERNEL[name]
    for page, sentences in EXPECTED[name].items():
        for sentence in sentences:
            assert sentence in pages[page], (page, sentence)


@pytest.mark.parametrize("name", [name for name in SHAPES if name != WHEEL_SHAPE])
def test_the_routine_runs_on_a_partial_export_and_says_what_it_could_not_compute(name, source, tmp_path, capsys):
    data = cut(source, tmp_path / name, *SHAPES[name])
    assert_says_what_it_could_not_compute(name, _run(data, tmp_path / "reports", capsys))


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_the_routine_runs_on_every_shipped_sample(sample, tmp_path, capsys):
    assert_clean_pages(_run(SAMPLES / sample, tmp_path / "reports", capsys))

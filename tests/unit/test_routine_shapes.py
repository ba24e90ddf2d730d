"""The whole routine, end to end, on partial exports and on every shipped sample.

Each case is one real ``cxresearch run`` (six notebooks in kernels, about a
minute each on small data), so there are few of them: four representative
shapes cut from a small generated dataset, and every folder of
``data/samples/``. The shape matrix of the notebooks' calls, which covers every
subset of tables and optional column, runs in-process in ``test_shapes.py``.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from cxresearch.cli import main
from cxresearch.synthetic import generate

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"

#: name -> (table -> columns kept (None: all but "drop")), columns dropped, whether dataset.yml is kept
SHAPES = {
    "nps_export": ({"surveys": ["response_id", "timestamp", "nps", "comment"]}, (), False),
    "ticket_log": ({"events": None}, ("stage",), False),
    "full_without_ces": ({t: None for t in ("customers", "events", "surveys", "reviews", "interventions")},
                         ("ces",), True),
    "reviews_only": ({"reviews": None}, (), False),
}
#: name -> page -> sentences the page must show instead of a section
EXPECTED = {
    "nps_export": {"01_personas": ["No per-customer data in this dataset"],
                   "02_journey_map": ["No events in this dataset"],
                   "03_voice_of_customer": ["No touchpoint ratings in this dataset"],
                   "04_summary": ["Not computed", "No CES answers in this dataset"]},
    "ticket_log": {"02_journey_map": ["No journey stages in this dataset"],
                   "03_voice_of_customer": ["No surveys in this dataset"]},
    "full_without_ces": {"04_summary": ["Not computed", "No CES answers in this dataset"]},
    "reviews_only": {"02_journey_map": ["No events in this dataset"],
                     "03_voice_of_customer": ["No surveys in this dataset"]},
}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("routine-shapes") / "full", customers=200, random_state=8, months=4)


def _cut(source: Path, folder: Path, tables: dict, drop: tuple, keep_config: bool) -> Path:
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


def _assert_clean_pages(run: Path) -> dict[str, str]:
    pages = {page.stem: page.read_text(encoding="utf-8") for page in run.glob("0*.html")}
    assert len(pages) == 6
    for name, html in pages.items():
        assert "Traceback" not in html and not re.search(r"\w\.py:\d+", html), name
        assert "Notes on this run" in html, name
    return pages


@pytest.mark.parametrize("name", SHAPES)
def test_the_routine_runs_on_a_partial_export_and_says_what_it_could_not_compute(name, source, tmp_path, capsys):
    data = _cut(source, tmp_path / name, *SHAPES[name])
    pages = _assert_clean_pages(_run(data, tmp_path / "reports", capsys))
    for page, sentences in EXPECTED[name].items():
        for sentence in sentences:
            assert sentence in pages[page], (page, sentence)


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_the_routine_runs_on_every_shipped_sample(sample, tmp_path, capsys):
    _assert_clean_pages(_run(SAMPLES / sample, tmp_path / "reports", capsys))

"""Same inputs and seed give the same results; so do the same inputs with every table's rows shuffled.

Two full routine runs of one small demo dataset in separate reports folders, so
neither compares with the other (``first`` and ``twin`` of the shared
``routine_runs``, ``tests/conftest.py``), must give byte-identical result files
and the same visible text on every page apart from the run id and times. A copy
with the rows of every table permuted gives the same results
(:func:`cxresearch.routine.run_summary`, without notebooks).
"""
from __future__ import annotations

import html
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from cxresearch.routine import RoutineParameters, run_summary
from tests.routine_runs import RUNS_MIN_GROUP_SIZE, RUNS_SEED

RESULTS = ("kpis.json", "personas.csv", "persona_shares.csv", "journey_stages.csv", "pain_points.csv",
           "interventions.csv")
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
_VOLATILE = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\+00:00|Z)?"
                       r"|\w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2}\s?[AP]M"      # the page header's time, in English
                       r"|\d{1,2} \w{3} \d{4}, \d{2}:\d{2}:\d{2}")                # and in Italian


def visible_text(page: str) -> str:
    """What a reader sees on *page*: no scripts, styles or tags; run ids and times blanked."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", _HIDDEN.sub(" ", page)))
    return " ".join(_VOLATILE.sub("<run>", text).split())


@pytest.fixture(scope="module")
def twin_runs(routine_runs):
    return routine_runs.first, routine_runs.twin


def test_results_are_byte_identical(twin_runs):
    first, second = twin_runs
    for name in RESULTS:
        assert (first.folder / name).read_bytes() == (second.folder / name).read_bytes(), name


def test_pages_read_the_same(twin_runs):
    first, second = twin_runs
    pages = sorted(p.name for p in first.folder.glob("*.html"))
    assert len(pages) == 6 and pages == sorted(p.name for p in second.folder.glob("*.html"))
    for name in pages:
        text = visible_text((first.folder / name).read_text())
        assert first.run_id not in text and len(text) > 500
        assert text == visible_text((second.folder / name).read_text()), name


def test_visible_text_blanks_only_run_ids_and_times():
    page = "<p>Run 20250101T000000Z-abc123 at 2025-01-01T00:00:00+00:00</p><script>x = 1</script><b>NPS 3.5</b>"
    assert visible_text(page) == "Run <run> at <run> NPS 3.5"


def shuffled_copy(source, target, seed: int = 0):
    """*source* with the rows of every CSV table permuted."""
    shutil.copytree(source, target)
    rng = np.random.default_rng(seed)
    for table in target.glob("*.csv"):
        frame = pd.read_csv(table, dtype=str, keep_default_na=False)
        frame.iloc[rng.permutation(len(frame))].to_csv(table, index=False)
    return target


def test_shuffled_rows_give_the_same_results(routine_runs, twin_runs, tmp_path):
    demo = routine_runs.data
    shuffled = shuffled_copy(demo, tmp_path / "shuffled")
    assert (shuffled / "events.csv").read_bytes() != (demo / "events.csv").read_bytes()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    run_summary(RoutineParameters(data_dir=str(shuffled), random_state=RUNS_SEED, min_group_size=RUNS_MIN_GROUP_SIZE,
                                  reports_dir=str(tmp_path / "none"), run_dir=str(run_dir)))
    original = twin_runs[0].folder
    assert (run_dir / "kpis.json").read_bytes() == (original / "kpis.json").read_bytes()
    for name in RESULTS[1:]:
        got, expected = (pd.read_csv(folder / name, dtype={"customer_id": str}) for folder in (run_dir, original))
        if name == "personas.csv":
            got, expected = (t.sort_values("customer_id", ignore_index=True) for t in (got, expected))
        pd.testing.assert_frame_equal(got, expected, obj=name)

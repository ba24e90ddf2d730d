"""A run killed half-way (SIGKILL of its process group) leaves earlier runs and ``latest`` untouched.

The killed run stays ``<run_id>.partial/``; the next index build shows it as
``interrupted``, never ``running`` forever and never ``ok``.
"""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cxresearch.routine import RoutineParameters, read_manifest, run, write_index
from tests.unit.test_routine import TINY_DATASET, write_notebook

GUARD_SECONDS = 300   # only ends a stuck test; never asserted on


def snapshot(reports: Path, *, leave_out: str = "") -> dict[str, str]:
    """sha256 of every file of every run folder (but *leave_out*) and ``latest.txt``, and where ``latest`` points."""
    files = {p.relative_to(reports).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(reports.rglob("*")) if p.is_file() and p.relative_to(reports).parts[0] not in
             {"latest", "index.html", leave_out}}
    return {**files, "latest ->": os.readlink(reports / "latest")}


def wait_for(condition, what: str):
    deadline = time.monotonic() + GUARD_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def killed_run(make_dataset, tmp_path):
    """Reports with two good runs, then a run killed while its second notebook sleeps."""
    data = make_dataset(TINY_DATASET)
    reports = tmp_path / "reports"
    quick = write_notebook(tmp_path / "quick", "00_data_quality", "print(len(data_dir))")
    slow = write_notebook(tmp_path / "slow", "00_data_quality", "print(len(data_dir))")
    write_notebook(slow, "01_personas", "import time\ntime.sleep(600)")
    for _ in range(2):
        assert run(RoutineParameters(data_dir=str(data)), reports_dir=reports, notebooks_dir=quick).ok
    before = snapshot(reports)
    index_before = (reports / "index.html").read_bytes()

    process = subprocess.Popen([sys.executable, "-m", "cxresearch.cli", "run", str(data), "--reports", str(reports),
                                "--notebooks", str(slow)], start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: list(reports.glob("*.partial/00_data_quality.html")), "the first notebook's page")
        wait_for(lambda: list(reports.glob("*.partial/.01_personas.running.ipynb")), "the second notebook to start")
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    partial = next(reports.glob("*.partial"))
    return reports, data, quick, before, index_before, partial


def test_a_killed_run_leaves_earlier_runs_and_latest_byte_identical(killed_run):
    reports, _, _, before, index_before, partial = killed_run
    assert len(before) == 2 * 5 + 2     # two runs of manifest, notebook, page, kernel.log, run.log; latest.txt; latest
    assert snapshot(reports, leave_out=partial.name) == before
    assert (reports / "index.html").read_bytes() == index_before
    assert read_manifest(partial)["status"] == "running"


def test_the_next_index_shows_the_killed_run_as_interrupted(killed_run):
    reports, data, quick, before, _, partial = killed_run
    run_id = partial.name.removesuffix(".partial")
    index = write_index(reports).read_text()
    row = index[index.index(run_id):].split("</tr>")[0]
    assert "interrupted" in row and "running" not in row and ">ok<" not in row
    assert os.readlink(reports / "latest") == before["latest ->"]

    after = run(RoutineParameters(data_dir=str(data)), reports_dir=reports, notebooks_dir=quick)
    assert after.ok and os.readlink(reports / "latest") == after.run_id
    index = (reports / "index.html").read_text()
    assert index.count('class="status-ok"') == 3 and index.count('class="status-interrupted"') == 1

"""A run killed, interrupted or failing half-way leaves earlier runs and ``latest`` untouched.

A run killed (SIGKILL) stays ``<run_id>.partial/``; the next index build shows
it as ``interrupted``, never ``running`` forever and never ``ok``. A run
interrupted (Ctrl-C, SIGTERM) ends its kernels and records itself as
``interrupted``; a full disk midway fails the run; a reports folder that cannot be
written stops it before it starts. Each says where its log is, or that nothing ran.
"""
from __future__ import annotations

import errno
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


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_ends_its_kernels_records_itself_and_keeps_latest(make_dataset, tmp_path, signal_number):
    """Ctrl-C, or a cron job's timeout (SIGTERM), stops the run at once: its kernels end, its folder says
    ``interrupted``, the command line says where its log is, and ``latest`` still shows the last good run."""
    data = make_dataset(TINY_DATASET)
    reports = tmp_path / "reports"
    quick = write_notebook(tmp_path / "quick", "00_data_quality", "print(len(data_dir))")
    slow = write_notebook(tmp_path / "slow", "00_data_quality", "print(len(data_dir))")
    write_notebook(slow, "01_personas", "import time\ntime.sleep(600)")   # ends only if its kernel is ended
    good = run(RoutineParameters(data_dir=str(data)), reports_dir=reports, notebooks_dir=quick)
    before = snapshot(reports)

    process = subprocess.Popen([sys.executable, "-m", "cxresearch.cli", "run", str(data), "--reports", str(reports),
                                "--notebooks", str(slow)], start_new_session=True, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        wait_for(lambda: list(reports.glob("*.partial/.01_personas.running.ipynb")), "the second notebook to start")
        process.send_signal(signal_number)
        out, err = process.communicate(timeout=GUARD_SECONDS)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, err
    [folder] = [p for p in reports.iterdir() if p.is_dir() and not p.is_symlink() and p.name != good.run_id]
    assert not folder.name.endswith(".partial")
    manifest = read_manifest(folder)
    assert manifest["status"] == "interrupted" and manifest["error"]["step"] == "interrupted"
    assert {entry["name"]: entry["status"] for entry in manifest["notebooks"]}["01_personas"] == "failed"
    assert "01_personas stopped: the run was interrupted" in out and "Traceback" not in out + err
    assert f"Run log: {folder / 'run.log'}" in err and (folder / "run.log").is_file()
    assert f"the last good report is unchanged: {reports / 'latest'} -> {good.run_id}" in err
    assert snapshot(reports, leave_out=folder.name) == before
    index = (reports / "index.html").read_text()
    assert "The run was interrupted before it finished." in index[index.index(folder.name):]


def test_a_full_disk_midway_fails_the_run_and_says_where_its_log_is(make_dataset, tmp_path, monkeypatch, capsys):
    from cxresearch.cli import main
    from cxresearch.routine import runner

    data = make_dataset(TINY_DATASET)
    reports = tmp_path / "reports"
    notebooks = write_notebook(tmp_path / "notebooks", "00_data_quality", "print(len(data_dir))")
    write_notebook(notebooks, "01_personas", "print(1)")
    good = run(RoutineParameters(data_dir=str(data)), reports_dir=reports, notebooks_dir=notebooks)
    before = snapshot(reports)
    write_text = runner.write_text

    def full_disk(path, text):
        if path.name == "01_personas.html":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        write_text(path, text)

    monkeypatch.setattr(runner, "write_text", full_disk)
    assert main(["run", str(data), "--reports", str(reports), "--notebooks", str(notebooks)]) == 1
    out, err = capsys.readouterr()
    [folder] = [p for p in reports.iterdir() if p.is_dir() and not p.is_symlink() and p.name != good.run_id]
    assert err.startswith("cxresearch run: failed: Personas could not be written: [Errno 28] No space left on device")
    assert f"Run log: {folder / 'run.log'}" in err and "Traceback" not in err   # the progress (stdout) has it, as the log
    assert f"the last good report is unchanged: {reports / 'latest'} -> {good.run_id}" in err
    assert read_manifest(folder)["status"] == "failed"
    assert snapshot(reports, leave_out=folder.name) == before


def test_a_reports_folder_that_cannot_be_written_stops_the_run_before_it_starts(make_dataset, tmp_path, monkeypatch,
                                                                                 capsys):
    from cxresearch.cli import main

    data = make_dataset(TINY_DATASET)
    reports = tmp_path / "reports"
    notebooks = write_notebook(tmp_path / "notebooks", "00_data_quality", "print(len(data_dir))")
    good = run(RoutineParameters(data_dir=str(data)), reports_dir=reports, notebooks_dir=notebooks)
    before = snapshot(reports)
    mkdir = Path.mkdir

    def read_only(path, *args, **kwargs):   # as chmod a-w would, also for root
        if path.parent == reports:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        mkdir(path, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    assert main(["run", str(data), "--reports", str(reports), "--notebooks", str(notebooks)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err == (f"cxresearch run: cannot write in the reports folder {reports} (Permission denied): no run was "
                   f"started; the last good report is unchanged: {reports / 'latest'} -> {good.run_id}\n")
    assert snapshot(reports) == before

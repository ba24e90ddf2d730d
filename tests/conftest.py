"""Shared test helpers: tiny dataset folders from literal text, and one set of routine runs for every test
that only reads a run's output.

A routine run executes six notebooks in kernels, the most expensive thing the
suite does. The tests that only read what a run wrote (the browser checks, the
privacy scan, the reproducibility comparison) share :func:`routine_runs`: three
runs of one small demo dataset, made once per test session. Under pytest-xdist
the first worker that asks makes them in the workers' shared temporary folder,
under a file lock, and every other worker reads them from there (the pattern of
pytest-xdist's documentation). Under ``--dist loadfile`` (``make test``) every
test file that uses them goes to the same worker, so no worker waits for another.
"""
from __future__ import annotations

import functools
import json
import os
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from filelock import FileLock

from .routine_runs import RoutineRuns, make_routine_runs, read_routine_runs

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
#: The scheduling unit of the test files that read the shared runs.
SHARED_RUNS_GROUP = "routine-runs"


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``{name: content}`` into *folder* (text is dedented, UTF-8)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return folder


@pytest.fixture
def make_dataset(tmp_path):
    """Factory: ``make_dataset({"events.csv": "..."})`` -> folder path."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes]) -> Path:
        return write_files(tmp_path / f"ds{next(counter)}", files)

    return make


@pytest.fixture(scope="session")
def routine_runs(tmp_path_factory) -> RoutineRuns:
    """The shared runs (:class:`RoutineRuns`), made once per session however many workers ask.

    Tests must only read them: nothing may write into their folders.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return read_routine_runs(make_routine_runs(tmp_path_factory.mktemp("routine-runs")))
    root = tmp_path_factory.getbasetemp().parent / "routine-runs"   # shared by the session's workers
    with FileLock(str(root) + ".lock"):
        described, failed = root / "runs.json", root / "failed.txt"
        if failed.is_file():
            pytest.fail(f"the shared routine runs failed in another worker: {failed.read_text()}")
        if not described.is_file():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
            try:
                made = make_routine_runs(root)
            except Exception as exc:
                failed.write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")
                raise
            described.write_text(json.dumps(made), encoding="utf-8")
        return read_routine_runs(json.loads(described.read_text(encoding="utf-8")))


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` (``make test``), with every test file that reads the shared runs sent to one worker.

    Each other file still goes whole to one worker. A file reads the shared runs
    when its text names the ``routine_runs`` or ``report_pages`` fixture. The
    grouping only saves time: the file lock keeps the runs shared whatever the
    distribution.
    """
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedRunsTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return SHARED_RUNS_GROUP if _reads_shared_runs(config.rootpath / path) else path

    return SharedRunsTogether(config, log)


@functools.cache
def _reads_shared_runs(path: Path) -> bool:
    return path.suffix == ".py" and path.is_file() and bool(
        re.search(r"\b(routine_runs|report_pages)\b", path.read_text(encoding="utf-8")))

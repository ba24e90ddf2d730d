"""One research run from start to end: load the data once, execute the notebooks, render their pages.

:func:`run` checks the parameters and loads the export once (bad input stops
the run before any notebook), saves it as a private snapshot the notebooks'
kernels read, executes the notebooks with papermill (:mod:`.execution`),
several at once, the summary's last cell once the others are done, renders a code-free page for each
(:mod:`cxresearch.report`), and records everything in the run's folder and
the index (:mod:`.runs`).
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import itertools
import os
import pickle  # only for the run's own caches in its private snapshot folder
import shutil
import tempfile
import threading
import time
import typing
from dataclasses import asdict, replace
from importlib import resources
from pathlib import Path

from .. import i18n, notes
from .._checks import check_positive
from ..errors import CXResearchError, DataError, Problem
from ..kernel import KernelServer, skip_unused_imports
from .pages import page_without_kernel, pages_without_data
from .parameters import PAGES_PENDING, SNAPSHOT_VARIABLE, VALIDATION_FILE, RoutineParameters
from .runs import (INTERRUPTED, PARTIAL, RUN_LOG, Run, RunInterrupted, failure_sentence, last_good_sentence,
                   new_run_id, now, page_title, period_words, saved_results, start_manifest, write_index, write_json,
                   write_text)

__all__ = ["NOTEBOOKS", "NOTEBOOKS_DIR", "KERNEL_LOG", "CELL_TIMEOUT", "INTERACTIVE_TAG", "run"]

#: The routine's notebooks, in the order they run (the summary last).
NOTEBOOKS = ("00_data_quality", "01_personas", "02_journey_map", "03_voice_of_customer", "05_interventions",
             "04_summary")
#: Notebooks started first, costliest first (CPU seconds at 5,000 customers: the journey canvases 15, the
#: intervention evidence 10, the voice 7-10, the personas 7); the others (the data quality page, 3) come after them:
#: longest first, the short ones fill in at the end and the two cores stay busy until the last page.
STARTED_FIRST = ("02_journey_map", "05_interventions", "03_voice_of_customer", "01_personas")
#: Where the routine finds its notebooks: package data of cxresearch (in a checkout, a link to ``notebooks/``).
NOTEBOOKS_DIR = Path(str(resources.files("cxresearch") / "notebooks")).resolve()
#: File of a run folder receiving the kernels' own output (their log lines, never cell outputs).
KERNEL_LOG = notes.KERNEL_LOG
#: Environment of the notebooks' kernels (and of the kernel server, whose libraries read it when imported): each
#: figure is saved as plotly JSON and as HTML with plotly.js (:func:`.execution.execute`).
KERNEL_ENVIRONMENT = {"PLOTLY_RENDERER": "plotly_mimetype+notebook"}
#: Name of the kernel server's socket in the run's snapshot folder.
KERNEL_SERVER = "kernels.sock"
#: Seconds one notebook cell may run before the run fails (an unattended run never hangs).
CELL_TIMEOUT = 1800
#: Tag of notebook cells that only make sense in JupyterLab (widgets); the routine skips them.
INTERACTIVE_TAG = "interactive"
#: The manifest's error of a run stopped by an interrupt.
_INTERRUPTION = {"step": "interrupted", "exception": "KeyboardInterrupt",
                 "message": "interrupted (Ctrl-C or SIGTERM) before the run finished"}


def run(parameters: RoutineParameters, *, reports_dir, notebooks_dir=NOTEBOOKS_DIR,
        notebooks: typing.Sequence[str] = NOTEBOOKS, progress: typing.Callable[[str], None] | None = None,
        language: str | None = None, memory_limit: int | None = None) -> Run:
    """Run the research routine once and return the finished :class:`Run`.

    Parameters
    ----------
    parameters : RoutineParameters
        What every notebook receives; ``data_dir`` and ``reports_dir`` are made absolute.
    reports_dir : str or Path
        Folder of the runs (created when missing).
    notebooks_dir : str or Path
        Folder of the notebooks; they run with it as working directory.
    notebooks : sequence of str
        Notebook names (without ``.ipynb``) in the order they run. The packaged
        notebooks must all be there; from another *notebooks_dir*, the ones it
        lacks are skipped and listed in the manifest. A run with no notebook fails.
    progress : callable, optional
        Receives one line of text per step (the command line prints them).
    language : str, optional
        Language of the pages (one of :data:`cxresearch.i18n.LANGUAGES`); default: the
        dataset's ``language:`` in ``dataset.yml``, else the language in force
        (:func:`cxresearch.i18n.get_language`).
    memory_limit : int, optional
        Bytes the pages' kernels may hold together with the data they share
        (default: what the machine has available). Pages wait rather than run
        side by side beyond it; one page always runs, however large.

    Returns
    -------
    Run
        ``run.ok`` is False when the input could not be loaded or a notebook
        failed; ``run.manifest["error"]`` then says where and why.

    Raises
    ------
    RunInterrupted
        On an interrupt (Ctrl-C): the running kernels are ended, the run is
        recorded as ``interrupted`` (``latest`` unchanged), and the exception
        carries the :class:`Run`.
    CXResearchError
        When the reports folder cannot be written (read-only, full): ``latest`` unchanged.
    """
    from ..settings import report_language

    if memory_limit is not None:
        check_positive(memory_limit=memory_limit)
    data = Path(parameters.data_dir).resolve()
    if not data.is_dir():  # nothing to run: no run folder, no index entry
        raise DataError(Problem(str(data), i18n._("dataset folder not found; expected a folder of CSV/Parquet files. "
                                                  "No run was started.")))
    with i18n.using(language or report_language(parameters.data_dir)):
        return _run(parameters, reports_dir=reports_dir, notebooks_dir=notebooks_dir, notebooks=notebooks,
                    say=progress or (lambda line: None), memory_limit=memory_limit)


def _run(parameters: RoutineParameters, *, reports_dir, notebooks_dir, notebooks, say, memory_limit) -> Run:
    reports = Path(reports_dir).resolve()
    run_id = new_run_id()
    folder = reports / (run_id + PARTIAL)
    parameters = replace(parameters, data_dir=str(Path(parameters.data_dir).resolve()), reports_dir=str(reports),
                         run_dir=str(folder))
    manifest = start_manifest(run_id, parameters, Path(notebooks_dir), notebooks)
    try:
        reports.mkdir(parents=True, exist_ok=True)
        folder.mkdir()
        write_json(folder / "manifest.json", manifest)
    except OSError as exc:
        raise CXResearchError(f"cannot write in the reports folder {reports} ({exc.strerror or exc}): no run was "
                              f"started; {last_good_sentence(reports)}") from None
    say, log = _logged(say, folder / RUN_LOG), _logged(lambda line: None, folder / RUN_LOG)
    say(f"run {run_id}: {parameters.data_dir} ({parameters.period})")
    started, cpu_started = time.perf_counter(), time.process_time()
    snapshot = Path(tempfile.mkdtemp(prefix="cxresearch-snapshot-"))
    # loads the kernels' libraries while this process loads the input
    server = KernelServer(snapshot / KERNEL_SERVER, log=folder / KERNEL_LOG, environment=KERNEL_ENVIRONMENT)
    interrupted = None
    try:
        packaged = Path(notebooks_dir).resolve() == NOTEBOOKS_DIR  # one's own notebooks always run in a kernel
        manifest["dataset"]["name"], without_data = _snapshot_input(
            parameters, snapshot, [entry["name"] for entry in manifest["notebooks"]] if packaged else [])
        manifest["inputs"] = _input_hashes(Path(parameters.data_dir))
        manifest["timings"] = {"input": round(time.perf_counter() - started, 2),
                               "input_cpu": round(time.process_time() - cpu_started, 2)}
        say("  data loaded, checked and saved for the notebooks in "
            f"{_seconds(manifest['timings']['input'], manifest['timings']['input_cpu'])}")
        write_json(folder / "manifest.json", manifest)
        with _environment(**{SNAPSHOT_VARIABLE: str(snapshot)}):
            _run_notebooks(manifest, folder, parameters, Path(notebooks_dir), say,
                           gate=_MemoryGate(_size(snapshot), memory_limit), pending=snapshot / PAGES_PENDING,
                           server=server.path, without_data=without_data)
        manifest["timings"]["notebooks"] = round(time.perf_counter() - started - manifest["timings"]["input"], 2)
        if manifest["status"] == "running":
            manifest.update(status="ok", **saved_results(folder))
    except DataError as exc:
        manifest.update(status="failed", error={"step": "input", "exception": "DataError", "message": str(exc),
                                                "problems": [str(problem) for problem in exc.problems]})
    except KeyboardInterrupt as exc:  # Ctrl-C, or the command line's SIGTERM: the run is recorded as interrupted
        interrupted = exc
        manifest.update(status=INTERRUPTED, error=_INTERRUPTION)
    finally:
        server.stop()
        shutil.rmtree(snapshot, ignore_errors=True)
    manifest.setdefault("timings", {})["kernel_server_cpu"] = server.cpu
    try:
        return _finish(manifest, folder, parameters, say, log, started=started, cpu_started=cpu_started,
                       server_cpu=server.cpu, interrupted=interrupted)
    except OSError as exc:   # a full disk: what could be written stays in the run's folder
        raise CXResearchError(f"run {run_id} could not be recorded ({exc.strerror or exc}); what it wrote is in "
                              f"{folder}; {last_good_sentence(reports)}") from None


def _finish(manifest: dict, folder: Path, parameters: RoutineParameters, say, log, *, started: float,
            cpu_started: float, server_cpu: float | None, interrupted: KeyboardInterrupt | None) -> Run:
    """Say how the run ended, write its manifest, give its folder its final name, rebuild the index.

    Raises
    ------
    RunInterrupted
        When the run was *interrupted*, once its folder and the index are written.
    """
    run_id = manifest["run_id"]
    if manifest["error"]:
        _relink_pages(manifest, folder, parameters)
        say(f"  {failure_sentence(manifest['error'])}")
        if manifest["error"]["step"] != "interrupted":
            # the input's problems, written for people, are the caller's to show (the CLI prints them once, on stderr)
            (log if manifest["error"]["step"] == "input" else say)(_failure_detail(manifest["error"]))
        not_run = [entry["name"] for entry in manifest["notebooks"] if entry["status"] == "pending"]
        if not_run:
            say(f"  not run: {', '.join(not_run)}")
    manifest["seconds"] = round(time.perf_counter() - started, 2)
    manifest["cpu_seconds"] = round(time.process_time() - cpu_started + _kernels_cpu(manifest) + (server_cpu or 0), 2)
    manifest["finished"] = now()
    say(f"run {run_id}: {manifest['status']} in {_seconds(manifest['seconds'], manifest['cpu_seconds'])}")
    final = folder.with_name(run_id)
    manifest["parameters"]["run_dir"] = str(final)   # where the run's files are once it ends
    write_json(folder / "manifest.json", manifest)
    folder.rename(final)
    write_index(folder.parent)
    if interrupted is not None:
        raise RunInterrupted(Run(final, manifest)) from interrupted
    return Run(final, manifest)


def _kernels_cpu(manifest: dict) -> float:
    """CPU seconds the notebooks' kernels spent, as far as they were measured."""
    spent = [entry.get("timings", {}) for entry in manifest["notebooks"]]
    return sum((t.get("kernel_cpu") or 0) + (t.get("cells_cpu") or 0) for t in spent)


def _snapshot_input(parameters: RoutineParameters, folder: Path, pages=()) -> tuple[str, dict[str, list[str]]]:
    """Load and check the input once, save it for the notebooks; return its name and which of *pages* have
    nothing to compute, with what they would need (:func:`.pages.pages_without_data`).

    The dataset is not kept in this process: the notebooks' kernels read the snapshot.
    """
    from ..dataset import save_snapshot

    with notes.captured("Loading the data", run_dir=parameters.run_dir):
        dataset, checked = parameters.load_export()
    save_snapshot(dataset, folder, source=parameters.source)
    (folder / VALIDATION_FILE).write_bytes(pickle.dumps(checked))
    name, without_data = dataset.name, pages_without_data(dataset, pages)
    del dataset
    import pyarrow

    pyarrow.default_memory_pool().release_unused()  # the pool keeps freed buffers (3 GB at 1M customers)
    return name, without_data


def _input_hashes(data_dir: Path) -> dict[str, str]:
    """sha256 of every file of the dataset folder, by relative path."""
    hashes = {}
    for file in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with file.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        hashes[file.relative_to(data_dir).as_posix()] = digest.hexdigest()
    return hashes


def _run_notebooks(manifest: dict, folder: Path, parameters: RoutineParameters, notebooks_dir: Path, say, *,
                   gate: _MemoryGate, pending: Path, server: str, without_data: dict[str, list[str]]) -> None:
    """Execute and render the notebooks, several at once; stop starting new ones at the first failure.

    The pages of *without_data* have nothing to compute: they are written
    first, without a kernel, saying what they would need (:mod:`.pages`).
    The other pages are independent (what two of them need, such as the
    personas, is computed once by whichever asks first) and run on
    :func:`_workers` kernels at a time as far as the memory allows (*gate*),
    :data:`STARTED_FIRST` first. The summary (the last notebook) lists every
    page's notes: the file *pending* exists until they are all done, and its
    last cell waits for it to go (:func:`.results.wait_for_pages`). When the
    memory covers every notebook at once, the summary starts with the others,
    beside the workers, so that only that last cell comes after them; otherwise
    it starts once they are done. The kernels are forked by the kernel server
    at the socket *server* (:class:`cxresearch.kernel.KernelServer`). The first
    failure is recorded in *manifest*; notebooks not started by then stay ``pending``.
    An interrupt (KeyboardInterrupt) is recorded too, ends the running kernels and is raised again.
    """
    skip_unused_imports()  # before nbconvert imports nbformat (see cxresearch.kernel)
    import nbformat

    from .. import report
    from . import execution

    entries = manifest["notebooks"]
    skipped = manifest["skipped_notebooks"]
    if not entries or (skipped and notebooks_dir.resolve() == NOTEBOOKS_DIR):
        manifest.update(status="failed", error={"step": "notebooks", "exception": "ParameterError", "message": (
            f"routine notebook(s) {', '.join(skipped)} not found in {notebooks_dir}; "
            + ("reinstall cxresearch." if notebooks_dir.resolve() == NOTEBOOKS_DIR
               else "expected a folder holding the routine's notebooks."))})
        return
    execution.allow_kernels()
    pages = [{"title": page_title(entry["name"]), "href": f"{entry['name']}.html"} for entry in entries]
    lock = threading.Lock()
    start_order = itertools.count(1)   # the log numbers pages as they start, the order its lines come in

    def run_one(entry: dict, gated: bool = True) -> None:
        name = entry["name"]
        with lock:
            if manifest["status"] != "running":
                return
            tag = f"[{next(start_order)}/{len(entries)}]"
        with (gate.admitted(name, lambda waiting: say(f"  {tag} {name} waits for memory ({waiting})")) if gated
              else contextlib.nullcontext()):
            with lock:
                if manifest["status"] != "running":
                    return
                say(f"  {tag} {name} ...")
            run_admitted(entry, tag)

    def run_admitted(entry: dict, tag: str) -> None:
        name = entry["name"]
        started = time.perf_counter()
        try:
            if name in without_data:
                executed = page_without_kernel(notebooks_dir / f"{name}.ipynb", without_data[name], page_title(name))
                write_text(folder / f"{name}.ipynb", nbformat.writes(executed))
            else:
                executed = execution.execute(notebooks_dir / f"{name}.ipynb", folder / f"{name}.ipynb",
                                             asdict(parameters), cwd=notebooks_dir, kernel_log=folder / KERNEL_LOG,
                                             skip_tag=INTERACTIVE_TAG, timeout=CELL_TIMEOUT, server=server)
            rendering = time.perf_counter()
            header = {**_header(manifest, parameters), "title": report.notebook_title(executed, page_title(name)),
                      "pages": [{**page, "current": page["href"] == f"{name}.html"} for page in pages]}
            write_text(folder / f"{name}.html", report.render_page(executed, header=header))
            spent = {**execution.timings(executed), "page": round(time.perf_counter() - rendering, 2)}
        except Exception as exc:  # recorded, never raised: the run is marked failed
            with lock:
                entry.update(status="failed", seconds=round(time.perf_counter() - started, 2))
                if manifest["status"] == "running":
                    manifest.update(status="failed",
                                    error={"step": "notebook", "notebook": name, **execution.describe_failure(exc)})
                stopped = manifest["status"] == INTERRUPTED
            if stopped:   # its kernel was ended by the interrupt: nothing of the page's own went wrong
                say(f"  {tag} {name} stopped: the run was interrupted")
            else:
                say(f"  {tag} {name} failed: {type(exc).__name__}")
                say(execution.traceback_text(exc))
            return
        with lock:
            entry.update(status="ok", seconds=round(time.perf_counter() - started, 2), html=f"{name}.html",
                         **({"without_kernel": without_data[name]} if name in without_data else {"timings": spent}))
        if name in without_data:
            say(f"  {tag} {name}: nothing to compute, page written without a kernel: {' '.join(without_data[name])}")
        else:
            say(f"  {tag} {name} ok in {entry['seconds']:.1f} s: {_timing_words(spent)}")

    for entry in entries:
        if entry["name"] in without_data:
            with lock:
                tag = f"[{next(start_order)}/{len(entries)}]"
            run_admitted(entry, tag)
    kernelled = [entry for entry in entries if entry["name"] not in without_data]
    first = {name: rank for rank, name in enumerate(STARTED_FIRST)}
    others, last = sorted(kernelled[:-1], key=lambda entry: first.get(entry["name"], len(first))), kernelled[-1]
    with _environment(**KERNEL_ENVIRONMENT), \
            concurrent.futures.ThreadPoolExecutor(max_workers=_workers()) as pool, \
            concurrent.futures.ThreadPoolExecutor(max_workers=1) as beside:
        pending.touch()
        early = beside.submit(run_one, last, gated=False) if gate.room_for([e["name"] for e in kernelled]) else None
        try:
            try:
                for done in [pool.submit(run_one, entry) for entry in others]:
                    done.result()
            finally:
                pending.unlink()
            (early or pool.submit(run_one, last)).result()
        except KeyboardInterrupt:
            with lock:   # no page starts any more; the running ones end with their kernels
                manifest.update(status=INTERRUPTED, error=_INTERRUPTION)
            execution.stop_kernels()
            raise


#: Memory a page's kernel may need besides the run's snapshot, in sizes of the snapshot: what its page computes.
#: The snapshot is memory-mapped, its pages shared by every kernel, so it is not counted per kernel. Measured at
#: 1M customers / 21.5M events (a 2.7 GB snapshot) with ``bench/run.py``'s sampler (each kernel's largest private,
#: anonymous, proportional set size over the run, sampled twice a second), divided by the snapshot's size and
#: rounded up by a tenth or more: the journey map 4.0 GB, the interventions 3.6 GB (before their per-event
#: arrays were narrowed), the voice of the customer 1.5 GB, the personas 1.1 GB, the data quality 0.2 GB; the
#: summary 4.1 GB when it starts beside the others and is the first to ask for the shared personas.
PAGE_MEMORY = {"00_data_quality": 0.1, "01_personas": 0.5, "02_journey_map": 1.7, "03_voice_of_customer": 0.7,
               "04_summary": 1.5, "05_interventions": 1.5}
#: The same for a page not in :data:`PAGE_MEMORY` (a notebook of one's own): as much as the largest.
OTHER_PAGE_MEMORY = max(PAGE_MEMORY.values())


def _size(folder: Path) -> int:
    """Bytes of the files in *folder*."""
    return sum(file.stat().st_size for file in folder.iterdir() if file.is_file())


class _MemoryGate:
    """Admits a page while the memory available covers what it needs and what each page running needs.

    A page needs :data:`PAGE_MEMORY` (else :data:`OTHER_PAGE_MEMORY`) times *snapshot* bytes; with a *limit*
    (bytes), the pages' needs and the snapshot together stay within it as well. One page is always
    admitted when none runs, so a large dataset runs its pages one at a time rather than not at all; a kernel
    grows after it starts, so each running one counts for its whole need whatever it holds yet.
    """

    def __init__(self, snapshot: int, limit: int | None = None):
        self.snapshot, self.limit, self.running = snapshot, limit, []
        self._changed = threading.Condition()

    def need(self, page: str) -> float:
        """Bytes *page*'s kernel may need besides the snapshot."""
        return PAGE_MEMORY.get(page, OTHER_PAGE_MEMORY) * self.snapshot

    def room_for(self, pages: list[str]) -> bool:
        """True when the memory available covers the needs of *pages* at once."""
        import psutil

        room = psutil.virtual_memory().available
        if self.limit is not None:
            room = min(room, self.limit - self.snapshot)
        return room >= sum(map(self.need, pages))

    def _fits(self, page: str) -> bool:
        return not self.running or self.room_for([*self.running, page])

    @contextlib.contextmanager
    def admitted(self, page: str, waiting: typing.Callable[[str], None]):
        """Wait until *page* fits (calling *waiting* once, with the figures, when it must wait), then run it."""
        with self._changed:
            if not self._fits(page):
                waiting(f"{len(self.running)} running, {sum(map(self.need, self.running)) / 2**30:.1f} GB with "
                        f"{self.need(page) / 2**30:.1f} GB more")
            while not self._fits(page):
                self._changed.wait(timeout=5)  # memory also frees outside the run
            self.running.append(page)
        try:
            yield
        finally:
            with self._changed:
                self.running.remove(page)
                self._changed.notify_all()


def _workers() -> int:
    """How many notebooks run at once: one per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _timing_words(spent: dict) -> str:
    """``"kernel 1.2 s (CPU 0.9 s), cells 8.0 s (CPU 7.1 s), slowest cell 5 3.1 s (CPU 2.9 s), page 0.4 s"``."""
    parts = [f"kernel {_seconds(spent['kernel'], spent['kernel_cpu'])}"] if spent["kernel"] is not None else []
    parts.append(f"cells {_seconds(spent['cells'], spent['cells_cpu'])}")
    parts += [f"slowest cell {c['cell']} {_seconds(c['seconds'], c['cpu'])}" for c in spent["slowest"][:1]]
    return ", ".join(parts + [f"page {spent['page']:.1f} s"])


def _seconds(wall: float, cpu: float | None) -> str:
    return f"{wall:.1f} s" + ("" if cpu is None else f" (CPU {cpu:.1f} s)")


def _relink_pages(manifest: dict, folder: Path, parameters: RoutineParameters) -> None:
    """Render the pages of a failed run again, linking only the pages it wrote and saying what failed."""
    import nbformat

    from .. import report

    written = [entry["name"] for entry in manifest["notebooks"] if entry.get("html")]
    pages = [{"title": page_title(name), "href": f"{name}.html"} for name in written]
    for name in written:
        executed = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        header = {**_header(manifest, parameters), "title": report.notebook_title(executed, page_title(name)),
                  "pages": [{**page, "current": page["href"] == f"{name}.html"} for page in pages],
                  "failed": failure_sentence(manifest["error"])}
        write_text(folder / f"{name}.html", report.render_page(executed, header=header))


def _logged(say, log: Path):
    """*say*, also appending each line to the run's *log*."""
    def both(line: str) -> None:
        with contextlib.suppress(OSError):  # a full disk: the line is still said
            with open(log, "a", encoding="utf-8") as stream:
                stream.write(line + "\n")
        say(line)
    return both


def _failure_detail(error: dict) -> str:
    """The failure as recorded in the manifest, for the run log: where, the exception and its whole message."""
    where = ", ".join(f"{key} {error[key]}" for key in ("step", "notebook", "cell") if error.get(key))
    return f"  failed at {where}: {error['exception']}: {error['message']}"


def _header(manifest: dict, parameters: RoutineParameters) -> dict:
    return {"dataset": manifest["dataset"]["name"], "run_id": manifest["run_id"],
            "period": period_words(parameters.period_start, parameters.period_end),
            "generated": i18n.format_datetime(manifest["started"]), "version": manifest["versions"]["cxresearch"],
            "min_group_size": parameters.min_group_size}


@contextlib.contextmanager
def _environment(**variables: str):
    """Set environment variables (inherited by the kernels started inside) and restore them after."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

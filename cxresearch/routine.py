"""The periodic research routine: run the notebooks, render the reports, keep the index.

One call of :func:`run` makes one run:

1. check the parameters and load the dataset: bad input stops the run here,
   before any notebook, and is recorded as a failed run;
2. create ``reports/<run_id>.partial/`` (never an existing folder) with a
   manifest saying ``status: running``;
3. execute every notebook with papermill, all with the same parameters, and
   render a code-free HTML page for each (:mod:`cxresearch.report`); the
   kernels' own log lines go to the run's ``kernel.log``, not the terminal;
4. the personas are fitted once per run (:func:`run_personas`); the summary notebook writes the machine-readable results into the run
   folder (``run_dir``), compared with the previous run of the same dataset
   (:mod:`cxresearch.summary`);
5. write the final manifest, rename the folder to ``reports/<run_id>/``,
   rebuild ``reports/index.html`` and, when the run succeeded, point
   ``reports/latest`` (and ``latest.txt``) at it.

Every file is written under a temporary name and renamed, so nothing
half-written ever looks like a report; a failed run never moves ``latest``.
A run killed before step 5 stays ``<run_id>.partial/`` with ``status:
running`` and the id of its process; the index shows it as ``interrupted``
once that process is gone.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import pickle  # only for the run's own caches in its private snapshot folder
import platform
import secrets
import shutil
import socket
import tempfile
import threading
import time
import typing
from dataclasses import asdict, dataclass, fields, replace
from importlib import metadata, resources
from pathlib import Path

from . import i18n, notes
from ._checks import integer_problem
from .errors import DataError, ParameterError, did_you_mean

if typing.TYPE_CHECKING:
    import nbformat
    import pandas as pd

    from .personas import PersonaModel
    from .summary import Summary

# Every notebook's kernel imports this module for RoutineParameters: what only the run itself needs
# (papermill, nbformat, nbconvert, the analyses) is imported inside the functions that use it.

__all__ = ["NOTEBOOKS", "NOTEBOOKS_DIR", "SUMMARY_PAGE", "KERNEL_LOG", "RoutineParameters", "Run", "run",
           "previous_run", "read_manifest", "run_personas", "run_interventions", "run_summary", "shared",
           "write_index"]

#: The routine's notebooks, in the order they run (the summary last).
NOTEBOOKS = ("00_data_quality", "01_personas", "02_journey_map", "03_voice_of_customer", "05_interventions",
             "04_summary")
#: Where the routine finds its notebooks: package data of cxresearch (in a checkout, a link to ``notebooks/``).
NOTEBOOKS_DIR = Path(str(resources.files(__package__) / "notebooks")).resolve()
#: The page the index and ``latest`` lead to.
SUMMARY_PAGE = "04_summary.html"

_VERSIONS = ("cxresearch", "pandas", "numpy", "scikit-learn", "scipy", "plotly", "pandera", "duckdb",
             "papermill", "nbconvert", "ipykernel")
_PARTIAL = ".partial"
#: File of a run folder receiving the kernels' own output (their log lines, never cell outputs).
KERNEL_LOG = notes.KERNEL_LOG


@dataclass(frozen=True)
class RoutineParameters:
    """The parameters every routine notebook declares in its ``parameters`` cell.

    The notebooks' ``parameters`` cells hold the same names and defaults (a
    test checks it with papermill's ``inspect_notebook``); their next cell
    builds this object, which validates the values.

    Parameters
    ----------
    data_dir : str
        Dataset folder.
    period_start, period_end : str
        ISO dates bounding the period analysed (start included, end excluded);
        empty for no bound.
    personas : str
        ``"auto"`` to choose the number of personas from the data, or a number.
    seed : int
        Random seed of every random step.
    min_group_size : int
        Smallest group a table, card or chart may describe.
    reports_dir : str
        Folder of the routine's runs, where the previous run is looked up.
    run_dir : str
        Folder of the run the notebook belongs to, where it saves results;
        empty when the notebook is run by hand.
    """

    data_dir: str = "../data/demo"
    period_start: str = ""
    period_end: str = ""
    personas: str = "auto"
    seed: int = 42
    min_group_size: int = 5
    reports_dir: str = "../reports"
    run_dir: str = ""

    def __post_init__(self):
        problems = [f"{f.name} must be {_TYPE_WORDS[f.type]}; got {getattr(self, f.name)!r}."
                    for f in fields(self) if not _is_type(getattr(self, f.name), f.type)]
        if not problems:
            problems += self._value_problems()
        if problems:
            raise ParameterError("invalid routine parameters:\n" + "\n".join(f"  - {p}" for p in problems))

    def _value_problems(self) -> list[str]:
        problems = []
        if not self.data_dir.strip():
            problems.append("data_dir must name a dataset folder; got an empty string.")
        bounds = {}
        for name in ("period_start", "period_end"):
            value = getattr(self, name)
            try:
                bounds[name] = dt.date.fromisoformat(value) if value else None
            except ValueError:
                problems.append(f"{name} must be an ISO date like '2025-01-31' or empty; got {value!r}.")
        if bounds.get("period_start") and bounds.get("period_end") and bounds["period_start"] >= bounds["period_end"]:
            problems.append(f"period_start ({self.period_start}) must come before period_end ({self.period_end}).")
        if self.personas != "auto" and not (self.personas.isdigit() and 2 <= int(self.personas) <= 20):
            problems.append(f"personas must be 'auto' or a whole number from 2 to 20; got {self.personas!r}.")
        problems += filter(None, [integer_problem("seed", self.seed, minimum=0),
                                  integer_problem("min_group_size", self.min_group_size, minimum=1)])
        return problems

    @classmethod
    def from_strings(cls, values: dict[str, str]) -> "RoutineParameters":
        """Parameters from ``name -> text`` pairs (the command line's ``-p name=value``).

        Raises
        ------
        ParameterError
            For a name that is not a parameter (listing the valid ones) or a
            value that does not read as the parameter's type.
        """
        types = {f.name: f.type for f in fields(cls)}
        parsed, problems = {}, []
        for name, text in values.items():
            if name not in types:
                problems.append(f"unknown parameter {name!r}; expected one of {', '.join(types)}."
                                f"{did_you_mean(name, types)}")
            elif types[name] == "int":
                try:
                    parsed[name] = int(text)
                except ValueError:
                    problems.append(f"{name} must be a whole number; got {text!r}.")
            else:
                parsed[name] = text
        if problems:
            raise ParameterError("invalid routine parameters:\n" + "\n".join(f"  - {p}" for p in problems))
        return cls(**parsed)

    @property
    def n_personas(self) -> str | int:
        """``"auto"`` or the number of personas, as :class:`~cxresearch.personas.PersonaModel` takes it."""
        return "auto" if self.personas == "auto" else int(self.personas)

    @property
    def period(self) -> str:
        """The period in words, e.g. ``"2025-01-01 to 2025-02-01"`` or ``"all data"``."""
        if not (self.period_start or self.period_end):
            return "all data"
        return f"{self.period_start or 'start'} to {self.period_end or 'end'}"

    def load(self):
        """The dataset of :attr:`data_dir` restricted to the period (a :class:`~cxresearch.CXDataset`).

        Inside a routine run, the notebooks read the snapshot the run loaded and
        checked once (``CXRESEARCH_SNAPSHOT``), instead of loading the export again.
        """
        from .dataset import load_snapshot, snapshot_source

        snapshot = os.environ.get(SNAPSHOT_VARIABLE)
        if snapshot and snapshot_source(snapshot) == self.source:
            return load_snapshot(snapshot)
        return self.load_export()[0]

    def load_export(self):
        """Load and check the export itself: the dataset restricted to the period, and the validation report."""
        from .dataset import load_validated

        dataset, report = load_validated(self.data_dir)
        return dataset.between(self.period_start or None, self.period_end or None), report

    def validation(self):
        """What checking the export found (:func:`~cxresearch.validate`: problems, warnings, notes).

        Inside a routine run, the report of the run's one load of the export, kept beside its snapshot.
        """
        cache = _run_cache(self, VALIDATION_FILE)
        if cache is not None and cache.is_file():
            return pickle.loads(cache.read_bytes())
        from .dataset import validate

        return validate(self.data_dir)

    @property
    def source(self) -> dict:
        """Where the dataset comes from: the folder and the period (identifies a run's snapshot)."""
        return {"data_dir": str(Path(self.data_dir).resolve()), "period_start": self.period_start,
                "period_end": self.period_end}


_TYPE_WORDS = {"str": "text", "int": "a whole number"}
#: Seconds one notebook cell may run before the run fails (an unattended run never hangs).
CELL_TIMEOUT = 1800
#: Tag of notebook cells that only make sense in JupyterLab (widgets); the routine skips them.
INTERACTIVE_TAG = "interactive"
#: Environment variable naming the run's dataset snapshot (loaded and checked once per run).
SNAPSHOT_VARIABLE = "CXRESEARCH_SNAPSHOT"
#: File beside the snapshot holding the validation report of the run's load (:meth:`RoutineParameters.validation`).
VALIDATION_FILE = "validation.pkl"


def _is_type(value, type_name: str) -> bool:
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


@dataclass(frozen=True)
class Run:
    """A finished run: its folder and manifest."""

    folder: Path
    manifest: dict

    @property
    def run_id(self) -> str:
        return self.manifest["run_id"]

    @property
    def ok(self) -> bool:
        """True when every notebook ran and every artifact was written."""
        return self.manifest["status"] == "ok"

    @property
    def summary_page(self) -> Path:
        """The executive summary page of the run."""
        return self.folder / SUMMARY_PAGE


def run(parameters: RoutineParameters, *, reports_dir, notebooks_dir=NOTEBOOKS_DIR,
        notebooks: typing.Sequence[str] = NOTEBOOKS, progress: typing.Callable[[str], None] | None = None,
        language: str | None = None) -> Run:
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

    Returns
    -------
    Run
        ``run.ok`` is False when the input could not be loaded or a notebook
        failed; ``run.manifest["error"]`` then says where and why.
    """
    from .settings import report_language

    with i18n.using(language or report_language(parameters.data_dir)):
        return _run(parameters, reports_dir=reports_dir, notebooks_dir=notebooks_dir, notebooks=notebooks,
                    say=progress or (lambda line: None))


def _run(parameters: RoutineParameters, *, reports_dir, notebooks_dir, notebooks, say) -> Run:
    reports = Path(reports_dir).resolve()
    reports.mkdir(parents=True, exist_ok=True)
    run_id = _new_run_id()
    folder = reports / (run_id + _PARTIAL)
    folder.mkdir()
    parameters = replace(parameters, data_dir=str(Path(parameters.data_dir).resolve()), reports_dir=str(reports),
                         run_dir=str(folder))
    manifest = _start_manifest(run_id, parameters, Path(notebooks_dir), notebooks)
    _write_json(folder / "manifest.json", manifest)
    say(f"run {run_id}: {parameters.data_dir} ({parameters.period})")
    started = time.perf_counter()
    snapshot = Path(tempfile.mkdtemp(prefix="cxresearch-snapshot-"))
    try:
        manifest["dataset"]["name"] = _snapshot_input(parameters, snapshot)
        manifest["inputs"] = _input_hashes(Path(parameters.data_dir))
        manifest["timings"] = {"input": round(time.perf_counter() - started, 2)}
        say(f"  data loaded, checked and saved for the notebooks in {manifest['timings']['input']:.1f} s")
        _write_json(folder / "manifest.json", manifest)
        with _environment(**{SNAPSHOT_VARIABLE: str(snapshot)}):
            _run_notebooks(manifest, folder, parameters, Path(notebooks_dir), say)
        manifest["timings"]["notebooks"] = round(time.perf_counter() - started - manifest["timings"]["input"], 2)
        if manifest["status"] == "running":
            manifest.update(status="ok", **_results(folder))
    except DataError as exc:
        manifest.update(status="failed", error={"step": "input", "exception": "DataError", "message": str(exc)})
    finally:
        shutil.rmtree(snapshot, ignore_errors=True)
    manifest["seconds"] = round(time.perf_counter() - started, 2)
    manifest["finished"] = _now()
    _write_json(folder / "manifest.json", manifest)
    final = folder.with_name(run_id)
    folder.rename(final)
    done = Run(final, manifest)
    write_index(reports)
    say(f"run {run_id}: {manifest['status']} in {manifest['seconds']:.1f} s")
    return done


def _results(folder: Path) -> dict:
    """Headline KPIs and the run compared with, from the results the summary notebook saved."""
    from .summary import read_headline

    headline = read_headline(folder)
    return {"headline": headline["kpis"], "previous_run": headline["previous_run"]} if headline else {}


def _new_run_id() -> str:
    """UTC timestamp + random suffix: sorts by time, unique across concurrent runs."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _start_manifest(run_id: str, parameters: RoutineParameters, notebooks_dir: Path, names) -> dict:
    present = [name for name in names if (notebooks_dir / f"{name}.ipynb").is_file()]
    return {
        "run_id": run_id,
        "status": "running",
        "process": {"host": socket.gethostname(), "pid": os.getpid()},
        "started": _now(),
        "dataset": {"name": Path(parameters.data_dir).name, "path": parameters.data_dir},
        "period": parameters.period,
        "language": i18n.get_language(),
        "parameters": asdict(parameters),
        "notebooks": [{"name": name, "status": "pending"} for name in present],
        "skipped_notebooks": [name for name in names if name not in present],
        "versions": {"python": platform.python_version(), **{pkg: _version(pkg) for pkg in _VERSIONS}},
        "inputs": {},
        "error": None,
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _snapshot_input(parameters: RoutineParameters, folder: Path) -> str:
    """Load and check the input once, save it for the notebooks, return its name.

    The dataset is not kept in this process: the notebooks' kernels read the snapshot.
    """
    from .dataset import save_snapshot

    with notes.captured("Loading the data", run_dir=parameters.run_dir):
        dataset, checked = parameters.load_export()
    save_snapshot(dataset, folder, source=parameters.source)
    (folder / VALIDATION_FILE).write_bytes(pickle.dumps(checked))
    return dataset.name


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


def _run_notebooks(manifest: dict, folder: Path, parameters: RoutineParameters, notebooks_dir: Path, say) -> None:
    """Execute and render the notebooks, several at once; stop starting new ones at the first failure.

    The summary (the last notebook) runs alone once every other page is done:
    it lists every page's notes. The others are independent (what two of them
    need, such as the personas, is computed once by whichever asks first) and
    run on :func:`_workers` kernels at a time. The first failure is recorded
    in *manifest*; notebooks not started by then stay ``pending``.
    """
    from . import execution, report

    entries = manifest["notebooks"]
    skipped = manifest["skipped_notebooks"]
    if not entries or (skipped and notebooks_dir.resolve() == NOTEBOOKS_DIR):
        manifest.update(status="failed", error={"step": "notebooks", "exception": "ParameterError", "message": (
            f"routine notebook(s) {', '.join(skipped)} not found in {notebooks_dir}; "
            + ("reinstall cxresearch." if notebooks_dir.resolve() == NOTEBOOKS_DIR
               else "expected a folder holding the routine's notebooks."))})
        return
    pages = [{"title": _page_title(entry["name"]), "href": f"{entry['name']}.html"} for entry in entries]
    numbered = list(enumerate(entries, start=1))
    lock = threading.Lock()

    def run_one(number: int, entry: dict) -> None:
        name, tag = entry["name"], f"[{number}/{len(entries)}]"
        with lock:
            if manifest["status"] != "running":
                return
        say(f"  {tag} {name} ...")
        started = time.perf_counter()
        try:
            executed = execution.execute(notebooks_dir / f"{name}.ipynb", folder / f"{name}.ipynb",
                                         asdict(parameters), cwd=notebooks_dir, kernel_log=folder / KERNEL_LOG,
                                         skip_tag=INTERACTIVE_TAG, timeout=CELL_TIMEOUT)
            rendering = time.perf_counter()
            header = {**_header(manifest, parameters), "title": report.notebook_title(executed, _page_title(name)),
                      "pages": [{**page, "current": page["href"] == f"{name}.html"} for page in pages]}
            _write_text(folder / f"{name}.html", report.render_page(executed, header=header))
            spent = {**execution.timings(executed), "page": round(time.perf_counter() - rendering, 2)}
        except Exception as exc:  # recorded, never raised: the run is marked failed
            with lock:
                entry.update(status="failed", seconds=round(time.perf_counter() - started, 2))
                if manifest["status"] == "running":
                    manifest.update(status="failed",
                                    error={"step": "notebook", "notebook": name, **execution.describe_failure(exc)})
            say(f"  {tag} {name} failed: {type(exc).__name__}")
            return
        with lock:
            entry.update(status="ok", seconds=round(time.perf_counter() - started, 2), html=f"{name}.html",
                         timings=spent)
        say(f"  {tag} {name} ok in {entry['seconds']:.1f} s: {_timing_words(spent)}")

    with _environment(PLOTLY_RENDERER="plotly_mimetype+notebook"), \
            concurrent.futures.ThreadPoolExecutor(max_workers=_workers()) as pool:
        for batch in (numbered[:-1], numbered[-1:]):
            for done in [pool.submit(run_one, number, entry) for number, entry in batch]:
                done.result()


def _workers() -> int:
    """How many notebooks run at once: one per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _timing_words(spent: dict) -> str:
    """``"kernel 1.2 s, cells 8.0 s, slowest cell 5 3.1 s, page 0.4 s"``."""
    parts = [f"kernel {spent['kernel']:.1f} s"] if spent["kernel"] is not None else []
    parts.append(f"cells {spent['cells']:.1f} s")
    parts += [f"slowest cell {c['cell']} {c['seconds']:.1f} s" for c in spent["slowest"][:1]]
    return ", ".join(parts + [f"page {spent['page']:.1f} s"])


#: Titles of the routine's pages in the links between them (translated when shown).
PAGE_TITLES = {"00_data_quality": i18n.N_("Data quality"), "01_personas": i18n.N_("Personas"),
               "02_journey_map": i18n.N_("Journey map"), "03_voice_of_customer": i18n.N_("Voice of the customer"),
               "04_summary": i18n.N_("Summary"), "05_interventions": i18n.N_("Interventions")}


def _page_title(name: str) -> str:
    """``"01_personas"`` -> ``"Personas"`` in the language in force."""
    return i18n._(PAGE_TITLES.get(name, name.split("_", 1)[-1].replace("_", " ").capitalize()))


def _header(manifest: dict, parameters: RoutineParameters) -> dict:
    return {"dataset": manifest["dataset"]["name"], "run_id": manifest["run_id"],
            "period": i18n.format_period(parameters.period_start, parameters.period_end),
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


# ----------------------------------------------------------------------------- files
def _write_text(path: Path, text: str) -> None:
    """Write *text* to a temporary name beside *path*, then rename it into place."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _write_json(path: Path, data) -> None:
    _write_text(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def read_manifest(folder) -> dict | None:
    """The manifest of a run folder, or None when it has none (or an unreadable one)."""
    try:
        return json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _manifests(reports: Path) -> list[tuple[Path, dict]]:
    """Every run folder with its manifest, newest first; a run whose process died says ``interrupted``."""
    found = [(folder, read_manifest(folder)) for folder in reports.iterdir() if folder.is_dir()
             and not folder.is_symlink()]
    found = [(f, {**m, "status": "interrupted"} if _interrupted(f, m) else m) for f, m in found if m]
    return sorted(found, key=lambda item: item[1]["run_id"], reverse=True)


def _interrupted(folder: Path, manifest: dict) -> bool:
    """True for an unfinished run whose process (on this host) no longer exists."""
    process = manifest.get("process") or {}
    if not (folder.name.endswith(_PARTIAL) and manifest["status"] == "running"
            and process.get("host") == socket.gethostname()):
        return False
    try:
        os.kill(process["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, run by another user
        pass
    return False


def previous_run(reports_dir, data_dir) -> Run | None:
    """The newest successful run of the dataset at *data_dir* in *reports_dir*, or None."""
    reports, dataset = Path(reports_dir), str(Path(data_dir).resolve())
    if not reports.is_dir():
        return None
    for folder, manifest in _manifests(reports):
        if manifest["status"] == "ok" and manifest["dataset"]["path"] == dataset:
            return Run(folder, manifest)
    return None


def run_personas(parameters: RoutineParameters, dataset=None) -> tuple[pd.DataFrame, PersonaModel]:
    """Customer features and the run's personas, fitted once per run.

    The first call of a run fits the personas the standard way
    (:func:`~cxresearch.personas.fit_personas`, aligned to the previous run's
    ids and names, read from its JSON/Parquet state) and saves their state in
    ``run_dir`` for the next run. Features and model are kept for the later
    calls of the same run, from any notebook, beside the run's private dataset
    snapshot (deleted when the run ends), so they read them back instead of
    fitting again; a notebook asking while another fits waits for it
    (:func:`shared`). Outside a routine run (a notebook run by hand) every call fits.

    Parameters
    ----------
    parameters : RoutineParameters
    dataset : CXDataset, optional
        ``parameters.load()``, when the caller already has it.
    """
    from .personas import fit_personas
    from .summary import load_previous, save_persona_model

    def fit():
        earlier = previous_run(parameters.reports_dir, parameters.data_dir)
        features, model = fit_personas(parameters.load() if dataset is None else dataset,
                                       n_personas=parameters.n_personas, random_state=parameters.seed,
                                       min_group_size=parameters.min_group_size,
                                       previous=load_previous(earlier.folder).persona_model if earlier else None)
        if parameters.run_dir:
            save_persona_model(model, parameters.run_dir)
        return features, model

    return shared(parameters, "personas", fit)


def run_interventions(parameters: RoutineParameters, dataset=None) -> pd.DataFrame:
    """The period's intervention effects (:func:`~cxresearch.interventions.intervention_effects`), once per run.

    The interventions page and the summary show the same verdicts, computed
    with the run's seed (:func:`shared`).
    """
    from .interventions import intervention_effects

    return shared(parameters, "interventions", lambda: intervention_effects(
        parameters.load() if dataset is None else dataset, random_state=parameters.seed,
        min_group_size=parameters.min_group_size))


def shared(parameters: RoutineParameters, name: str, compute: typing.Callable[[], typing.Any]):
    """``compute()`` once per routine run, whichever notebook asks first; later calls read the result back.

    The result is kept as *name* beside the run's private dataset snapshot
    (deleted when the run ends). Notebooks run at once, so the first caller
    holds a lock on *name* while it computes and the others wait for it
    instead of computing the same thing. Outside a routine run every call computes.
    """
    cache = _run_cache(parameters, f"{name}.pkl")
    if cache is None:
        return compute()
    with open(cache.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cache.is_file():
            result = compute()
            temporary = cache.with_suffix(".tmp")
            temporary.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(temporary, cache)
            return result
    return pickle.loads(cache.read_bytes())


def _run_cache(parameters: RoutineParameters, name: str) -> Path | None:
    """*name* beside the run's dataset snapshot, or None outside a routine run."""
    from .dataset import snapshot_source

    snapshot = os.environ.get(SNAPSHOT_VARIABLE)
    return Path(snapshot, name) if snapshot and snapshot_source(snapshot) == parameters.source else None


def run_summary(parameters: RoutineParameters, dataset=None) -> Summary:
    """The executive summary of the parameters' dataset and period, compared with the previous run.

    The previous run is the newest successful run of the same dataset in
    ``reports_dir``; the personas and intervention effects are the run's
    (:func:`run_personas`, :func:`run_interventions`), when the dataset
    supports them. When ``run_dir`` is set the results are saved there.
    *dataset* is the loaded dataset when the caller has it (else ``parameters.load()``).
    """
    from .capabilities import available
    from .personas import NoCustomerDataError
    from .summary import load_previous, summarise

    dataset = parameters.load() if dataset is None else dataset
    earlier = previous_run(parameters.reports_dir, parameters.data_dir)
    model = None
    if available(dataset, "personas"):
        with contextlib.suppress(NoCustomerDataError):  # the summary says why there are no personas
            model = run_personas(parameters, dataset)[1]
    effects = run_interventions(parameters, dataset) if available(dataset, "interventions") else None
    summary = summarise(dataset, personas=parameters.n_personas, random_state=parameters.seed,
                        min_group_size=parameters.min_group_size,
                        previous=load_previous(earlier.folder) if earlier else None, persona_model=model,
                        interventions=effects)
    if parameters.run_dir:
        summary.save(parameters.run_dir)
    return summary


def write_index(reports_dir) -> Path:
    """Rebuild ``index.html`` of *reports_dir* and point ``latest`` at the newest successful run."""
    from . import report

    reports = Path(reports_dir)
    runs = _manifests(reports)
    latest = next((folder.name for folder, manifest in runs if manifest["status"] == "ok"), None)
    if latest:
        _point_latest(reports, latest)
    rows = [{"run_id": m["run_id"], "folder": folder.name, "dataset": m["dataset"]["name"],
             "period": i18n.format_period(m["parameters"].get("period_start"), m["parameters"].get("period_end")),
             "started": i18n.format_datetime(m["started"]), "status": m["status"],
             "error": _error_line(m["error"]), "headline": _headline(m.get("headline"))}
            for folder, m in runs]
    index = reports / "index.html"
    _write_text(index, report.render_index(rows, latest=latest, summary_page=SUMMARY_PAGE))
    return index


def _point_latest(reports: Path, run_id: str) -> None:
    """Replace ``latest`` (symlink) and ``latest.txt`` atomically."""
    link = reports / "latest"
    if not (link.is_symlink() and os.readlink(link) == run_id):
        temporary = reports / f".latest.{secrets.token_hex(4)}"
        os.symlink(run_id, temporary, target_is_directory=True)
        os.replace(temporary, link)
    _write_text(reports / "latest.txt", run_id + "\n")


def _error_line(error: dict | None) -> str:
    if not error:
        return ""
    where = error.get("notebook", error["step"])
    if error.get("cell"):
        where += f", cell {error['cell']}"
    message = error["message"].strip().splitlines()[0] if error["message"].strip() else ""
    return f"{where}: {error['exception']}: {message}"


def _headline(headline: dict | None) -> str:
    """``{"nps": {"value": 12.3, "change": 2.1, "significant": true}}`` -> ``"NPS 12.3 (+2.1*)"``."""
    if not headline:
        return ""
    parts = []
    for label, kpi in headline.items():
        text = f"{label} {i18n.format_number(kpi['value'])}"
        if kpi.get("change") is not None:
            sign = "+" if kpi["change"] >= 0 else ""
            text += f" ({sign}{i18n.format_number(kpi['change'])}{'*' if kpi.get('significant') else ''})"
        parts.append(text)
    return " · ".join(parts)

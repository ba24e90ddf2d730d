"""A run's folder, its manifest and the index of every run.

A run writes into ``reports/<run_id>.partial/`` and is renamed to
``reports/<run_id>/`` when it ends; ``manifest.json`` says its status,
parameters, input hashes, versions and timings. :func:`write_index` rebuilds
``reports/index.html`` from the manifests and points ``reports/latest`` (and
``latest.txt``) at the newest successful run. Every file is written under a
temporary name and renamed, so nothing half-written ever looks like a report.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import secrets
import socket
import typing
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from .. import i18n

if typing.TYPE_CHECKING:
    from .parameters import RoutineParameters

__all__ = ["Run", "RunInterrupted", "SUMMARY_PAGE", "RUN_LOG", "PARTIAL", "INTERRUPTED", "PAGE_TITLES", "page_title",
           "period_words", "failure_sentence", "last_good_sentence", "new_run_id", "now", "start_manifest", "saved_results",
           "write_text", "write_json", "read_manifest", "previous_run", "write_index"]

#: The page the index and ``latest`` lead to.
SUMMARY_PAGE = "04_summary.html"
#: File of a run folder with the run's progress lines and, when it failed, the full detail of the failure.
RUN_LOG = "run.log"
#: Titles of the routine's pages in the links between them (translated when shown).
PAGE_TITLES = {"00_data_quality": i18n.N_("Data quality"), "01_personas": i18n.N_("Personas"),
               "02_journey_map": i18n.N_("Journey map"), "03_voice_of_customer": i18n.N_("Voice of the customer"),
               "04_summary": i18n.N_("Summary"), "05_interventions": i18n.N_("Interventions")}
#: Suffix of the folder of a run that has not ended.
PARTIAL = ".partial"
#: Status of a run stopped by an interrupt (or whose process is gone before it ended).
INTERRUPTED = "interrupted"
_VERSIONS = ("cxresearch", "pandas", "numpy", "scikit-learn", "scipy", "plotly", "pandera", "duckdb",
             "papermill", "nbconvert", "ipykernel")


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


class RunInterrupted(KeyboardInterrupt):
    """An interrupt (Ctrl-C) that stopped a run, raised once the run is recorded: ``run`` is the :class:`Run`."""

    def __init__(self, run: Run):
        super().__init__(f"run {run.run_id} interrupted")
        self.run = run

def saved_results(folder: Path) -> dict:
    """The headline KPIs and the run compared with, from the results the summary notebook saved."""
    from ..summary import read_headline

    headline = read_headline(folder)
    return {"headline": headline["kpis"], "previous_run": headline["previous_run"]} if headline else {}


def new_run_id() -> str:
    """UTC timestamp + random suffix: sorts by time, unique across concurrent runs."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def start_manifest(run_id: str, parameters: RoutineParameters, notebooks_dir: Path, names) -> dict:
    present = [name for name in names if (notebooks_dir / f"{name}.ipynb").is_file()]
    return {
        "run_id": run_id,
        "status": "running",
        "process": {"host": socket.gethostname(), "pid": os.getpid()},
        "started": now(),
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

def write_text(path: Path, text: str) -> None:
    """Write *text* to a temporary name beside *path*, then rename it into place."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_json(path: Path, data) -> None:
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


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
    found = [(f, {**m, "status": INTERRUPTED} if _interrupted(f, m) else m) for f, m in found if m]
    return sorted(found, key=lambda item: item[1]["run_id"], reverse=True)


def _interrupted(folder: Path, manifest: dict) -> bool:
    """True for an unfinished run whose process (on this host) no longer exists."""
    process = manifest.get("process") or {}
    if not (folder.name.endswith(PARTIAL) and manifest["status"] == "running"
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
def write_index(reports_dir) -> Path:
    """Rebuild ``index.html`` of *reports_dir* and point ``latest`` at the newest successful run."""
    from .. import report

    reports = Path(reports_dir)
    runs = _manifests(reports)
    latest = next((folder.name for folder, manifest in runs if manifest["status"] == "ok"), None)
    if latest:
        _point_latest(reports, latest)
    rows = [{"run_id": m["run_id"], "folder": folder.name, "dataset": m["dataset"]["name"],
             "period": period_words(m["parameters"].get("period_start"), m["parameters"].get("period_end")),
             "started": i18n.format_datetime(m["started"]), "status": m["status"],
             "error": failure_sentence(m["error"]), "problems": (m["error"] or {}).get("problems", []),
             "headline": _headline(m.get("headline")),
             "log": RUN_LOG if (folder / RUN_LOG).is_file() else "manifest.json"}
            for folder, m in runs]
    index = reports / "index.html"
    write_text(index, report.render_index(rows, latest=latest, summary_page=SUMMARY_PAGE))
    return index


def _point_latest(reports: Path, run_id: str) -> None:
    """Replace ``latest`` (symlink) and ``latest.txt`` atomically."""
    link = reports / "latest"
    if not (link.is_symlink() and os.readlink(link) == run_id):
        temporary = reports / f".latest.{secrets.token_hex(4)}"
        os.symlink(run_id, temporary, target_is_directory=True)
        os.replace(temporary, link)
    write_text(reports / "latest.txt", run_id + "\n")


def page_title(name: str) -> str:
    """``"01_personas"`` -> ``"Personas"`` in the language in force."""
    return i18n._(PAGE_TITLES.get(name, name.split("_", 1)[-1].replace("_", " ").capitalize()))


def period_words(start: str | None, end: str | None) -> str:
    """A run's period in words, to the last day it includes (*end*, ``period_end``, is the day after it)."""
    last = (dt.date.fromisoformat(end) - dt.timedelta(days=1)).isoformat() if end else end
    return i18n.format_period(start, last)


def failure_sentence(error: dict | None) -> str:
    """What failed, in one sentence for readers; the exception's own text only when cxresearch wrote it for them.

    An unexpected exception (a library's ``ValueError``...) is named, not quoted:
    its text and traceback are in the run's log (:data:`RUN_LOG`).
    """
    if not error:
        return ""
    first = error["message"].strip().splitlines()[0].rstrip(":") if error["message"].strip() else ""
    if error["step"] == "input":
        return i18n._("The data could not be loaded: %(problem)s.") % {"problem": first}
    if error["step"] == "interrupted":
        return i18n._("The run was interrupted before it finished.")
    if error["step"] != "notebook":
        return first
    words = {"page": page_title(error["notebook"]), "cell": error.get("cell"), "message": first,
             "exception": error["exception"]}
    if error.get("cell") is None:   # outside the notebook's cells: writing the page, the kernel's start or end
        if _is_os_error(error["exception"]):
            return i18n._("%(page)s could not be written: %(message)s.") % words
        return i18n._("%(page)s could not be completed: an unexpected %(exception)s outside its cells; "
                      "the run log has the details.") % words
    if error["exception"] in _own_errors():
        return i18n._("%(page)s could not be completed (cell %(cell)s): %(message)s") % words
    return i18n._("%(page)s could not be completed: an unexpected %(exception)s in cell %(cell)s; "
                  "the run log has the details.") % words


def last_good_sentence(reports) -> str:
    """Where the last good report of *reports* is (``latest``), or that there is none, for the command line."""
    link = Path(reports) / "latest"
    if link.is_symlink():
        return f"the last good report is unchanged: {link} -> {os.readlink(link)}"
    return f"no run in {reports} has succeeded yet"


def _is_os_error(name: str) -> bool:
    """True for the name of :class:`OSError` or a subclass (a full disk, a read-only folder)."""
    import builtins

    kind = getattr(builtins, name, None)
    return isinstance(kind, type) and issubclass(kind, OSError)


def _own_errors() -> set[str]:
    """Names of cxresearch's exceptions, whose messages are written for people."""
    from ..errors import CXResearchError

    found, todo = set(), [CXResearchError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo += cls.__subclasses__()
    return found


def _headline(headline: dict | None) -> str:
    """``{"NPS": {"metric": "nps", "value": 12.3, "change": 2.1, "significant": true}}`` -> ``"NPS 12.3 (+2.1 pt*)"``.

    Each KPI reads in its unit (CSAT a percentage, its change in percentage points); runs of earlier versions
    saved no ``metric`` and CSAT in percent: their numbers read as saved.
    """
    if not headline:
        return ""
    from ..display import metric_change, metric_value

    parts = []
    for label, kpi in headline.items():
        metric = kpi.get("metric", "")
        text = f"{label} {metric_value(metric, kpi['value'])}"
        if kpi.get("change") is not None:
            text += f" ({metric_change(metric, kpi['change'])}{'*' if kpi.get('significant') else ''})"
        parts.append(text)
    return " · ".join(parts)

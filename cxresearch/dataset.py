"""The canonical CX dataset and its loader.

A dataset is a folder holding up to five tables (``customers``, ``events``,
``surveys``, ``reviews``, ``interventions``) as CSV, gzipped CSV or Parquet, and an optional
``dataset.yml`` that names the export's columns, its CSV locale and the
journey stages. :func:`load_dataset` turns it into a :class:`CXDataset`.

Loading runs one way: :mod:`~cxresearch.settings` reads ``dataset.yml``,
:mod:`~cxresearch.readers` reads each raw file, :mod:`~cxresearch.canonical`
maps, parses and checks each table and :mod:`~cxresearch.crosstable` checks and
joins the tables; this module holds the dataset model, assembles those steps and
writes datasets and snapshots.
"""
from __future__ import annotations

import json
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import yaml

from .canonical import spelled_out, to_canonical
from .crosstable import check_orphans, check_scopes, drop_pii, fill_stages, link_identities
from .errors import DataError, DataWarning, ParameterError, Problem, ValidationReport
from .i18n import _, ngettext
from .readers import find_file, read_raw, unread_files
from .schemas import DEFAULT_TIMESTAMPS, TABLES, TIMESTAMPS
from .sessions import AUTO_GAP
from .settings import CONFIG_FILE, DatasetSettings, read_session_gap, read_settings, read_stages, session_gap_setting
from .weighting import rake_surveys

__all__ = ["CXDataset", "load_dataset", "load_validated", "validate", "from_frames", "write_dataset", "ValidationReport",
           "save_snapshot", "load_snapshot"]


@dataclass
class CXDataset:
    """One customer view: the canonical tables of a dataset folder.

    Attributes
    ----------
    name : str
        Human name of the dataset (``dataset.yml`` ``name``, else the folder name).
    customers, events, surveys, reviews : pandas.DataFrame or None
        The canonical tables (see DESIGN.md); None when the file is absent.
    interventions : pandas.DataFrame or None
        Changes made at a channel, touchpoint or stage (intervention_id, start,
        end, scope, description, owner, expected_metric), to measure their effect.
    stages : dict of str to list of str
        Journey stages in order, each with its touchpoints.
    stage_plan : dict of str to dict
        Per stage, its ``goal`` and ``owner`` (``dataset.yml`` ``stage_plan``).
    path : pathlib.Path or None
        The folder the dataset was loaded from.
    timezone : str
        Time zone naive timestamps were read in (all timestamps are UTC now).
    notes : list of str
        What the loader did: PII columns dropped, identities linked, ...
    topic_taxonomy : dict
        Themes added to the shipped CX theme taxonomy (``dataset.yml``
        ``topic_taxonomy``), for :func:`cxresearch.topics.topics` ``taxonomy=``.
    margins : dict
        Known population shares (``dataset.yml`` ``margins``): the surveys'
        ``weight`` column is raked to them (:mod:`cxresearch.weighting`), again
        for each period :meth:`between` selects.
    session_gap : "auto", Timedelta or None
        What ends a session (``dataset.yml`` ``session_gap``; see :mod:`cxresearch.sessions`).
    """

    name: str
    customers: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    reviews: pd.DataFrame | None = None
    interventions: pd.DataFrame | None = None
    stages: dict[str, list[str]] = field(default_factory=dict)
    stage_plan: dict[str, dict] = field(default_factory=dict)
    path: Path | None = None
    timezone: str = "UTC"
    notes: list[str] = field(default_factory=list)
    topic_taxonomy: dict = field(default_factory=dict)
    margins: dict = field(default_factory=dict)
    session_gap: str | pd.Timedelta | None = AUTO_GAP

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables present, by name."""
        return {t: getattr(self, t) for t in TABLES if getattr(self, t) is not None}

    @property
    def touchpoint_stage(self) -> dict[str, str]:
        """Touchpoint -> stage, from :attr:`stages`."""
        return {tp: stage for stage, tps in self.stages.items() for tp in tps}

    def between(self, start=None, end=None) -> "CXDataset":
        """A copy restricted to ``start <= timestamp < end`` (either bound optional).

        Customers are kept whole; events, surveys and reviews are filtered.
        """
        lo = _utc(start)
        hi = _utc(end)
        filtered = {}
        for name in ("events", "surveys", "reviews"):
            table = getattr(self, name)
            if table is None:
                continue
            keep = pd.Series(True, index=table.index)
            if lo is not None:
                keep &= table["timestamp"] >= lo
            if hi is not None:
                keep &= table["timestamp"] < hi
            filtered[name] = table.loc[keep]
        if self.margins and filtered.get("surveys") is not None:
            filtered["surveys"] = rake_surveys(filtered["surveys"], self.margins, customers=self.customers)
        return replace(self, **filtered)

    def overview(self) -> pd.DataFrame:
        """One row per table: its rows, columns and first and last time (the interventions' starts).

        Examples
        --------
        >>> ds = CXDataset("x", interventions=pd.DataFrame({"intervention_id": ["I1"], "scope": ["web"],
        ...                                                 "start": pd.to_datetime(["2025-03-01"], utc=True)}))
        >>> ds.overview()[["table", "rows", "first"]].to_dict("records")
        [{'table': 'interventions', 'rows': 1, 'first': Timestamp('2025-03-01 00:00:00+0000', tz='UTC')}]
        """
        rows = []
        for name, table in self.tables.items():
            time = TIMESTAMPS.get(name, DEFAULT_TIMESTAMPS)[0]
            stamps = table[time] if time in table else pd.Series(pd.NaT, index=[0], dtype="datetime64[us, UTC]")
            rows.append({"table": name, "rows": len(table), "columns": table.shape[1], "first": stamps.min(),
                         "last": stamps.max()})
        return pd.DataFrame(rows, columns=["table", "rows", "columns", "first", "last"])

    def __repr__(self) -> str:
        sizes = ", ".join(f"{t}={len(df):,}" for t, df in self.tables.items())
        return f"CXDataset({self.name!r}: {sizes or 'no tables'}; {len(self.stages)} stages)"


def _utc(value):
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def load_dataset(path, *, keep_pii: bool = False) -> CXDataset:
    """Load a dataset folder into a :class:`CXDataset`.

    Parameters
    ----------
    path : str or Path
        Folder with ``customers``, ``events``, ``surveys`` and/or ``reviews``
        files (.csv, .csv.gz or .parquet) and an optional ``dataset.yml``.
    keep_pii : bool, default False
        Keep the personal-data columns (email, phone, name, address...).

    Raises
    ------
    DataError
        Listing every problem of every file: file, column, expectation, lines.

    Examples
    --------
    >>> ds = load_dataset("data/demo")  # doctest: +SKIP
    >>> ds.events.columns[:4].tolist()  # doctest: +SKIP
    ['customer_id', 'timestamp', 'channel', 'touchpoint']
    """
    return _checked(*_load(Path(path), keep_pii=keep_pii))


def load_validated(path, *, keep_pii: bool = False) -> tuple[CXDataset, ValidationReport]:
    """:func:`load_dataset` and :func:`validate` in one reading of the files: the dataset and everything found.

    For callers that show the report beside the data (the research routine's
    data-quality page) without reading a large export twice.

    Raises
    ------
    DataError
        As :func:`load_dataset`.
    """
    report, dataset = _load(Path(path), keep_pii=keep_pii)
    return _checked(report, dataset), report


def _checked(report: ValidationReport, dataset: CXDataset | None) -> CXDataset:
    """*dataset*, or the DataError listing the report's problems; its warnings raised as DataWarning."""
    if report.problems:
        raise DataError(report.problems)
    for message in report.warnings:
        warnings.warn(message, DataWarning, stacklevel=3)
    return dataset


def validate(path, *, keep_pii: bool = False) -> ValidationReport:
    """Check a dataset folder without raising: the problems, warnings and notes it has."""
    return _load(Path(path), keep_pii=keep_pii)[0]


def write_dataset(dataset: CXDataset, folder, *, comment: str | None = None) -> Path:
    """Write *dataset* as a dataset folder that :func:`load_dataset` reads back to the same tables.

    One Parquet file per table and a ``dataset.yml`` with the name, time zone,
    stages, topic taxonomy and notes. *folder* must be new or empty: nothing is overwritten.

    Parameters
    ----------
    dataset : CXDataset
        A checked dataset (from a recipe, :func:`from_frames` or :func:`load_dataset`).
    folder : str or Path
        Where to write it (created).
    comment : str, optional
        A line written as a comment at the top of ``dataset.yml`` (where the data came from).

    Raises
    ------
    ParameterError
        When *folder* is a file or a folder that already holds files.
    """
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ParameterError(f"{folder} already exists and is not an empty folder; remove it or choose a new "
                             "output folder.")
    folder.mkdir(parents=True, exist_ok=True)
    for table, frame in dataset.tables.items():
        frame.to_parquet(folder / f"{table}.parquet", index=False)
    settings = {"name": dataset.name, "timezone": dataset.timezone, "stages": dataset.stages or None,
                "stage_plan": dataset.stage_plan or None,
                "topic_taxonomy": dataset.topic_taxonomy or None, "notes": dataset.notes or None,
                "margins": dataset.margins or None, "session_gap": session_gap_setting(dataset.session_gap)}
    text = yaml.safe_dump({k: v for k, v in settings.items() if v is not None}, sort_keys=False,
                          allow_unicode=True, width=100)
    (folder / CONFIG_FILE).write_text((f"# {comment}\n" if comment else "") + text, encoding="utf-8")
    return folder


SNAPSHOT_FILE = "snapshot.json"
#: File name ending of a snapshot's tables (Arrow IPC, uncompressed: memory-mapped when read).
SNAPSHOT_SUFFIX = ".arrow"


def save_snapshot(dataset: CXDataset, folder, *, source: dict | None = None) -> Path:
    """Save a loaded (already checked) dataset for fast reloading with :func:`load_snapshot`.

    Each table is an uncompressed Arrow IPC file, which :func:`load_snapshot`
    maps into memory instead of decoding: the routine's kernels, reading the
    same snapshot at once, share its pages (the operating system's file cache)
    instead of holding a private copy each. *source* is any JSON-able
    description of where the dataset came from (the research routine stores the
    folder and period there).
    """
    from pyarrow import feather

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for table, frame in dataset.tables.items():
        feather.write_feather(_arrow_table(frame), folder / f"{table}{SNAPSHOT_SUFFIX}", compression="uncompressed",
                              chunksize=max(len(frame), 1))
    meta = {"name": dataset.name, "stages": dataset.stages, "stage_plan": dataset.stage_plan,
            "timezone": dataset.timezone, "notes": dataset.notes,
            "topic_taxonomy": dataset.topic_taxonomy, "margins": dataset.margins,
            "session_gap": session_gap_setting(dataset.session_gap),
            "path": str(dataset.path) if dataset.path else None, "tables": list(dataset.tables), "source": source}
    (folder / SNAPSHOT_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return folder


def load_snapshot(folder) -> CXDataset:
    """Reload a dataset saved by :func:`save_snapshot` (no checks: it was checked when loaded).

    The tables' columns are read-only views of the memory-mapped files (no
    copy is made until a column is changed), so the files must stay in place
    while the dataset is in use.
    """
    folder = Path(folder)
    meta = json.loads((folder / SNAPSHOT_FILE).read_text(encoding="utf-8"))
    tables = {table: _mapped(folder / f"{table}{SNAPSHOT_SUFFIX}") for table in meta["tables"]}
    return CXDataset(name=meta["name"], stages=meta["stages"], stage_plan=meta.get("stage_plan", {}),
                     timezone=meta["timezone"], notes=meta["notes"],
                     topic_taxonomy=meta.get("topic_taxonomy", {}), margins=meta.get("margins", {}),
                     session_gap=read_session_gap(meta.get("session_gap"), _snapshot_problem),
                     path=Path(meta["path"]) if meta["path"] else None, **tables)


def _arrow_table(frame: pd.DataFrame) -> pyarrow.Table:
    """*frame* as an Arrow table that pandas reads back without copying a column.

    In one chunk (a numeric column in several would be joined into a copy) and
    with the float columns' NaN kept as NaN (nulls would be turned back into a copy).
    """
    table = pyarrow.Table.from_pandas(frame, preserve_index=False)
    for i, (name, dtype) in enumerate(frame.dtypes.items()):
        if isinstance(dtype, np.dtype) and dtype.kind == "f":
            table = table.set_column(i, table.field(i), pyarrow.array(frame[name].to_numpy(), from_pandas=False))
    return table.combine_chunks()


def _mapped(file: Path) -> pd.DataFrame:
    """The Arrow IPC *file* as a DataFrame over the memory-mapped file (one block per column: no copy)."""
    from pyarrow import feather

    return feather.read_table(file, memory_map=True).to_pandas(split_blocks=True)


def _snapshot_problem(message: str):
    raise DataError(Problem(SNAPSHOT_FILE, message))


def snapshot_source(folder) -> dict | None:
    """The *source* a snapshot was saved with (None when there is no snapshot in *folder*)."""
    file = Path(folder) / SNAPSHOT_FILE
    return json.loads(file.read_text(encoding="utf-8"))["source"] if file.is_file() else None


def from_frames(tables: dict[str, pd.DataFrame], *, name: str = "in-memory dataset", stages: dict | None = None,
                timezone: str = "UTC", keep_pii: bool = False) -> CXDataset:
    """Build a :class:`CXDataset` from in-memory tables, with the same checks as :func:`load_dataset`.

    For adapters that reshape an export in pandas first (see :mod:`cxresearch.recipes`).
    Problems name the table (``"events"``) and 1-based row numbers.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Any of ``customers``, ``events``, ``surveys``, ``reviews``, ``interventions``,
        with canonical column names.
    name, stages, timezone, keep_pii
        As the ``dataset.yml`` settings and :func:`load_dataset` argument of the same names.

    Raises
    ------
    DataError
        Listing every problem found.
    """
    unknown = sorted(set(tables) - set(TABLES))
    report = ValidationReport(Path(name))
    if unknown:
        report.problems.append(Problem(name, ngettext(
            "unknown table %(tables)s; expected one of %(expected)s.",
            "unknown tables %(tables)s; expected one of %(expected)s.", len(unknown))
            % {"tables": ", ".join(unknown), "expected": ", ".join(TABLES)}))
        raise DataError(report.problems)
    config = DatasetSettings(name=name, timezone=timezone)
    config.stages = read_stages(stages, lambda message: report.problems.append(Problem(name, message)))
    raw = {table: (frame.set_axis(np.arange(1, len(frame) + 1)), table) for table, frame in tables.items()}
    dataset = _build(raw, config, report, keep_pii=keep_pii, path=None)
    if report.problems:
        raise DataError(report.problems)
    for message in report.warnings:
        warnings.warn(message, DataWarning, stacklevel=2)
    return dataset


def _load(folder: Path, *, keep_pii: bool) -> tuple[ValidationReport, CXDataset | None]:
    folder = Path(os.path.abspath(folder))  # named in the report: "." has no name
    report = ValidationReport(folder)
    if not folder.is_dir():
        report.problems.append(Problem(str(folder), _("dataset folder not found; expected a folder of CSV/Parquet "
                                                      "files.")))
        return report, None
    config = read_settings(folder, report)
    raw = {}
    for table in TABLES:
        file = find_file(folder, table, config, report)
        frame = read_raw(file, config, report, table=table) if file else None
        if frame is not None:
            raw[table] = (frame, file.name)
    if not raw and not report.problems:
        report.problems.append(Problem(folder.name, _("no table files found; expected one of %(files)s (or "
                                                      ".csv.gz/.parquet).") % {
                                                          "files": ", ".join(f"{t}.csv" for t in TABLES)}
                                       + unread_files(folder)))
    dataset = _build(raw, config, report, keep_pii=keep_pii, path=folder)
    pyarrow.default_memory_pool().release_unused()  # the raw files' and the checks' memory, back to the system
    return report, dataset


def _build(raw: dict, config: DatasetSettings, report: ValidationReport, *, keep_pii: bool,
           path: Path | None) -> CXDataset | None:
    """Raw tables ``{table: (frame indexed by line, file name)}`` -> a checked CXDataset (or None).

    Each raw table leaves *raw* once it is parsed, so its memory is free for the next. The work that
    Arrow and numpy do without the GIL (the repeated-event and orphan checks, the category columns spelled
    out) runs on two more threads while the checks go on; the report is the same as if all ran in line.
    """
    with ThreadPoolExecutor(2) as pool:
        later = _Later(pool, report)
        try:
            tables = _checked_tables(raw, config, report, keep_pii=keep_pii, pool=pool, later=later)
        finally:
            later.join()
    if tables is None:
        return None
    report.notes[:] = dict.fromkeys(report.notes)  # a folder's notes may repeat what the loader finds again
    if config.margins and tables.get("surveys") is not None:
        try:
            tables["surveys"] = rake_surveys(tables["surveys"], config.margins, customers=tables.get("customers"))
        except DataError as error:
            report.problems.extend(error.problems)
            return None
    return CXDataset(name=config.name, stages=config.stages, stage_plan=config.stage_plan, path=path,
                     timezone=config.timezone, notes=report.notes, topic_taxonomy=config.topic_taxonomy,
                     margins=config.margins, session_gap=config.session_gap, **tables)


def _checked_tables(raw: dict, config: DatasetSettings, report: ValidationReport, *, keep_pii: bool,
                    pool: ThreadPoolExecutor, later: "_Later") -> dict[str, pd.DataFrame] | None:
    """:func:`_build`'s tables parsed, checked across and with their category columns spelled out (or None)."""
    tables, names, spelling = {}, {}, {}
    for table in list(raw):
        frame, file_name = raw.pop(table)
        canonical = to_canonical(frame, table, file_name, config, report, later=later)
        del frame
        if canonical is not None:
            tables[table], names[table] = canonical, file_name
            spelling[table] = _spell_out(pool, canonical, {})  # the checks across tables never change these
    if report.problems:
        return None
    link_identities(tables, report)
    drop_pii(tables, keep_pii, report)
    later(check_orphans, dict(tables))  # warns only: on another thread, while the stages are filled
    fill_stages(tables, config, report)
    check_scopes(tables, config, report, names.get("interventions", ""))
    if report.problems:
        return None
    for table, frame in tables.items():
        spelled = {column: _outcome(future, spelled_out, frame[column])
                   for column, (_, future) in _spell_out(pool, frame, spelling[table]).items()}
        tables[table] = frame.assign(**spelled).reset_index(drop=True)
    return tables


def _spell_out(pool: ThreadPoolExecutor, frame: pd.DataFrame, started: dict) -> dict:
    """``{column: (codes, future)}`` spelling out each category column of *frame* on *pool*.

    A column already in *started* (spelled out from the same codes) is not spelled out again.
    """
    spelling = {}
    for column, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype):
            codes = frame[column].array.codes
            early = started.get(column)
            spelling[column] = (early if early is not None and np.may_share_memory(early[0], codes)
                                else (codes, pool.submit(spelled_out, frame[column])))
    return spelling


def _outcome(future, work, *args):
    """*future*'s result; when the pool has not started it yet, ``work(*args)`` run here instead
    (the loader's thread works rather than waits)."""
    return work(*args) if future.cancel() else future.result()


#: The lists of a ValidationReport, in the order :class:`_Later` fills them.
_REPORT_LISTS = ("problems", "warnings", "notes")


class _Later:
    """Checks that only warn, run on a thread pool while loading goes on.

    ``later(check, *args)`` runs ``check(*args, own_report)`` on the pool; :meth:`join` waits
    for each and puts its messages into the loader's report where running it in line would have.
    """

    def __init__(self, pool: ThreadPoolExecutor, report: ValidationReport):
        self.pool, self.report, self.pending = pool, report, []

    def __call__(self, check, *args) -> None:
        own = ValidationReport(self.report.path)
        marks = [len(getattr(self.report, kind)) for kind in _REPORT_LISTS]
        self.pending.append((marks, own, (check, *args, own), self.pool.submit(check, *args, own)))

    def join(self) -> None:
        """Wait for every check (or run it here if not started); the latest first, so each earlier mark
        still points where it did."""
        for marks, own, call, future in reversed(self.pending):
            _outcome(future, *call)
            for kind, at in zip(_REPORT_LISTS, marks):
                getattr(self.report, kind)[at:at] = getattr(own, kind)
        self.pending.clear()

"""The canonical CX dataset and its loader.

A dataset is a folder holding up to five tables (``customers``, ``events``,
``surveys``, ``reviews``, ``interventions``) as CSV, gzipped CSV or Parquet, and an optional
``dataset.yml`` that names the export's columns, its CSV locale and the
journey stages. :func:`load_dataset` turns it into a :class:`CXDataset`.
"""
from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import warnings
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.csv as pa_csv
import yaml
from tqdm.auto import tqdm

from . import schemas
from .errors import MAX_EXAMPLES, DataError, DataWarning, ParameterError, Problem, did_you_mean
from .privacy import PII_COLUMNS, identity_hash, normalise_email, normalise_phone, redact_names

__all__ = ["CXDataset", "load_dataset", "validate", "from_frames", "write_dataset", "ValidationReport",
           "save_snapshot", "load_snapshot"]

TABLES = ("customers", "events", "surveys", "reviews", "interventions")


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
    path : pathlib.Path or None
        The folder the dataset was loaded from.
    timezone : str
        Time zone naive timestamps were read in (all timestamps are UTC now).
    notes : list of str
        What the loader did: PII columns dropped, identities linked, ...
    topic_taxonomy : dict
        Themes added to the shipped CX theme taxonomy (``dataset.yml``
        ``topic_taxonomy``), for :func:`cxresearch.topics.topics` ``taxonomy=``.
    """

    name: str
    customers: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    reviews: pd.DataFrame | None = None
    interventions: pd.DataFrame | None = None
    stages: dict[str, list[str]] = field(default_factory=dict)
    path: Path | None = None
    timezone: str = "UTC"
    notes: list[str] = field(default_factory=list)
    topic_taxonomy: dict = field(default_factory=dict)

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
        return replace(self, **filtered)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{t}={len(df):,}" for t, df in self.tables.items())
        return f"CXDataset({self.name!r}: {sizes or 'no tables'}; {len(self.stages)} stages)"


def _utc(value):
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


SUFFIXES = (".csv", ".csv.gz", ".parquet")
CONFIG_FILE = "dataset.yml"
CONFIG_KEYS = ("name", "csv", "columns", "defaults", "stages", "timezone", "files", "topic_taxonomy", "notes")
CSV_KEYS = ("sep", "decimal", "dayfirst", "encoding")
NA_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "#n/a"})
#: Free-text columns: kept as written (never typed, never trimmed).
FREE_TEXT = ("comment", "text", "title", "description")
#: CSV files from this size on are parsed by pyarrow (see :func:`_read_large_csv`).
LARGE_CSV_BYTES = 32 * 2**20
_SIGNATURES = {
    b"PK\x03\x04": "an Excel .xlsx workbook (or another zip archive)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook",
    b"PAR1": "a Parquet file (rename it to .parquet)",
}


@dataclass
class ValidationReport:
    """Everything :func:`validate` found in a dataset folder.

    Attributes
    ----------
    problems : list of Problem
        What makes the dataset unusable; :func:`load_dataset` raises them as one DataError.
    warnings : list of str
        What loads but deserves attention (orphan ids, future timestamps...).
    notes : list of str
        What the loader did (PII dropped, identities linked, stages filled...).
    """

    path: Path
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is no problem."""
        return not self.problems

    def __str__(self) -> str:
        lines = [f"{self.path.name}: {'OK' if self.ok else f'{len(self.problems)} problem(s)'}"]
        lines += [f"  error: {p}" for p in self.problems]
        lines += [f"  warning: {w}" for w in self.warnings]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass
class _Config:
    name: str
    csv: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)
    defaults: dict = field(default_factory=dict)
    stages: dict = field(default_factory=dict)
    timezone: str = "UTC"
    files: dict = field(default_factory=dict)
    topic_taxonomy: dict = field(default_factory=dict)


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
    report, dataset = _load(Path(path), keep_pii=keep_pii)
    if report.problems:
        raise DataError(report.problems)
    for message in report.warnings:
        warnings.warn(message, DataWarning, stacklevel=2)
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
                "topic_taxonomy": dataset.topic_taxonomy or None, "notes": dataset.notes or None}
    text = yaml.safe_dump({k: v for k, v in settings.items() if v is not None}, sort_keys=False,
                          allow_unicode=True, width=100)
    (folder / CONFIG_FILE).write_text((f"# {comment}\n" if comment else "") + text, encoding="utf-8")
    return folder


SNAPSHOT_FILE = "snapshot.json"


def save_snapshot(dataset: CXDataset, folder, *, source: dict | None = None) -> Path:
    """Save a loaded (already checked) dataset as Parquet for fast reloading with :func:`load_snapshot`.

    *source* is any JSON-able description of where the dataset came from (the
    research routine stores the folder and period there).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for table, frame in dataset.tables.items():
        frame.to_parquet(folder / f"{table}.parquet", index=False)
    meta = {"name": dataset.name, "stages": dataset.stages, "timezone": dataset.timezone, "notes": dataset.notes,
            "topic_taxonomy": dataset.topic_taxonomy,
            "path": str(dataset.path) if dataset.path else None, "tables": list(dataset.tables), "source": source}
    (folder / SNAPSHOT_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return folder


def load_snapshot(folder) -> CXDataset:
    """Reload a dataset saved by :func:`save_snapshot` (no checks: it was checked when loaded)."""
    folder = Path(folder)
    meta = json.loads((folder / SNAPSHOT_FILE).read_text(encoding="utf-8"))
    tables = {table: pd.read_parquet(folder / f"{table}.parquet") for table in meta["tables"]}
    return CXDataset(name=meta["name"], stages=meta["stages"], timezone=meta["timezone"], notes=meta["notes"],
                     topic_taxonomy=meta.get("topic_taxonomy", {}),
                     path=Path(meta["path"]) if meta["path"] else None, **tables)


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
        report.problems.append(Problem(name, f"unknown table(s) {', '.join(unknown)}; expected {', '.join(TABLES)}."))
        raise DataError(report.problems)
    config = _Config(name=name, timezone=timezone)
    config.stages = _config_stages(stages, lambda message: report.problems.append(Problem(name, message)))
    raw = {table: (frame.set_axis(np.arange(1, len(frame) + 1)), table) for table, frame in tables.items()}
    dataset = _build(raw, config, report, keep_pii=keep_pii, path=None)
    if report.problems:
        raise DataError(report.problems)
    for message in report.warnings:
        warnings.warn(message, DataWarning, stacklevel=2)
    return dataset


def _load(folder: Path, *, keep_pii: bool) -> tuple[ValidationReport, CXDataset | None]:
    report = ValidationReport(folder)
    if not folder.is_dir():
        report.problems.append(Problem(str(folder), "dataset folder not found; expected a folder of CSV/Parquet files."))
        return report, None
    config = _read_config(folder, report)
    raw = {}
    for table in TABLES:
        file = _find_file(folder, table, config, report)
        frame = _read_raw(file, config, report) if file else None
        if frame is not None:
            raw[table] = (frame, file.name)
    if not raw and not report.problems:
        report.problems.append(Problem(folder.name, "no table files found; expected one of "
                                       + ", ".join(f"{t}.csv" for t in TABLES) + " (or .csv.gz/.parquet)."))
    return report, _build(raw, config, report, keep_pii=keep_pii, path=folder)


def _build(raw: dict, config: _Config, report: ValidationReport, *, keep_pii: bool,
           path: Path | None) -> CXDataset | None:
    """Raw tables ``{table: (frame indexed by line, file name)}`` -> a checked CXDataset (or None)."""
    tables, names = {}, {}
    for table, (frame, file_name) in raw.items():
        canonical = _to_canonical(frame, table, file_name, config, report)
        if canonical is not None:
            tables[table], names[table] = canonical, file_name
    if report.problems:
        return None
    _link_identities(tables, report)
    _drop_pii(tables, keep_pii, report)
    _check_orphans(tables, report)
    _fill_stages(tables, config, report)
    _check_scopes(tables, config, report, names.get("interventions", ""))
    if report.problems:
        return None
    for table, frame in tables.items():
        tables[table] = frame.reset_index(drop=True)
    report.notes[:] = dict.fromkeys(report.notes)  # a folder's notes may repeat what the loader finds again
    return CXDataset(name=config.name, stages=config.stages, path=path,
                     timezone=config.timezone, notes=report.notes, topic_taxonomy=config.topic_taxonomy, **tables)


# ----------------------------------------------------------------------------- config
def _read_config(folder: Path, report: ValidationReport) -> _Config:
    config = _Config(name=folder.name)
    file = folder / CONFIG_FILE
    if not file.exists():
        return config
    def problem(message):
        report.problems.append(Problem(CONFIG_FILE, message))
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problem(f"is not valid YAML: {str(exc).splitlines()[0]} "
                f"{_yaml_where(exc)}; expected a mapping such as 'name: My data'.")
        return config
    if data is None:
        return config
    if not isinstance(data, dict):
        problem(f"must be a mapping of settings ({', '.join(CONFIG_KEYS)}); found {type(data).__name__}.")
        return config
    for key in data:
        if key not in CONFIG_KEYS:
            problem(f"unknown setting '{key}'; expected one of {', '.join(CONFIG_KEYS)}.{did_you_mean(key, CONFIG_KEYS)}")
    config.name = str(data.get("name") or folder.name)
    config.csv = _config_csv(data.get("csv"), problem)
    config.columns = _config_columns(data.get("columns"), problem)
    config.defaults = _config_defaults(data.get("defaults"), problem)
    config.stages = _config_stages(data.get("stages"), problem)
    config.files = _config_files(data.get("files"), problem)
    config.topic_taxonomy = _config_topic_taxonomy(data.get("topic_taxonomy"), problem)
    report.notes.extend(_config_notes(data.get("notes"), problem))
    timezone = str(data.get("timezone") or "UTC")
    try:
        ZoneInfo(timezone)
        config.timezone = timezone
    except (ZoneInfoNotFoundError, ValueError):
        problem(f"timezone '{timezone}' is not a known time zone; expected e.g. 'UTC' or 'Europe/Rome'.")
    return config


def _config_topic_taxonomy(value, problem) -> dict:
    if not value:  # checking means lemmatising the shipped seeds too: seconds, for nothing to check
        return {}
    from .topics import theme_taxonomy

    try:
        theme_taxonomy(value)
    except ParameterError as error:
        problem(f"topic_taxonomy: {error}")
        return {}
    return value


def _yaml_where(exc) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f"(line {mark.line + 1})" if mark is not None else ""


def _config_csv(value, problem) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problem(f"'csv' must be a mapping with keys {', '.join(CSV_KEYS)}; found {value!r}.")
        return {}
    out = {}
    for key, item in value.items():
        if key not in CSV_KEYS:
            problem(f"unknown csv setting '{key}'; expected one of {', '.join(CSV_KEYS)}.{did_you_mean(key, CSV_KEYS)}")
        elif key == "sep" and not (isinstance(item, str) and len(item) == 1):
            problem(f"csv.sep must be one character such as ',' or ';'; found {item!r}.")
        elif key == "decimal" and item not in (".", ","):
            problem(f"csv.decimal must be '.' or ','; found {item!r}.")
        elif key == "dayfirst" and not isinstance(item, bool):
            problem(f"csv.dayfirst must be true or false; found {item!r}.")
        elif key == "encoding" and not _codec_exists(item):
            problem(f"csv.encoding '{item}' is not a known encoding; expected e.g. utf-8 or cp1252.")
        else:
            out[key] = item
    return out


def _codec_exists(name) -> bool:
    try:
        "".encode(str(name))
        return True
    except LookupError:
        return False


def _config_columns(value, problem) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problem("'columns' must map each table to {export column: canonical column}.")
        return {}
    out = {}
    for table, mapping in value.items():
        if table not in TABLES:
            problem(f"columns: unknown table '{table}'; expected one of {', '.join(TABLES)}.{did_you_mean(table, TABLES)}")
        elif not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            problem(f"columns.{table} must map export column names to canonical names; found {mapping!r}.")
        else:
            out[table] = {str(k): v for k, v in mapping.items()}
    return out


def _config_defaults(value, problem) -> dict:
    """``defaults``: per table, the value of a column the export lacks (e.g. every event is in 'store')."""
    if value is None:
        return {}
    if not isinstance(value, dict) or any(t not in TABLES or not isinstance(v, dict) for t, v in value.items()):
        problem(f"'defaults' must map tables ({', '.join(TABLES)}) to {{column: value}}; found {value!r}.")
        return {}
    return {t: {str(c): str(v) for c, v in cols.items()} for t, cols in value.items()}


def _config_stages(value, problem) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problem("'stages' must map each stage, in order, to its list of touchpoints.")
        return {}
    stages, seen = {}, {}
    for stage, touchpoints in value.items():
        touchpoints = [touchpoints] if isinstance(touchpoints, str) else (touchpoints or [])
        if not isinstance(touchpoints, list):
            problem(f"stages.{stage} must be a list of touchpoints; found {touchpoints!r}.")
            continue
        names = [str(tp).strip().lower() for tp in touchpoints]
        for tp in names:
            if tp in seen:
                problem(f"touchpoint '{tp}' is listed in stages '{seen[tp]}' and '{stage}'; expected one stage each.")
            seen[tp] = stage
        stages[str(stage).strip().lower()] = names
    return stages


def _config_notes(value, problem) -> list[str]:
    """``notes``: what the export's reader knows about the data (kept in the dataset's notes)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(note, str) for note in value):
        problem(f"'notes' must be a list of sentences; found {value!r}.")
        return []
    return list(value)


def _config_files(value, problem) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or any(t not in TABLES for t in value):
        problem(f"'files' must map tables ({', '.join(TABLES)}) to file names; found {value!r}.")
        return {}
    return {t: str(name) for t, name in value.items()}


# ------------------------------------------------------------------------------ files
def _find_file(folder: Path, table: str, config: _Config, report: ValidationReport) -> Path | None:
    if table in config.files:
        file = folder / config.files[table]
        if not file.is_file():
            report.problems.append(Problem(CONFIG_FILE, f"files.{table} names '{config.files[table]}', "
                                           "which is not in the dataset folder."))
            return None
        return file
    found = [folder / f"{table}{suffix}" for suffix in SUFFIXES if (folder / f"{table}{suffix}").is_file()]
    if len(found) > 1:
        report.problems.append(Problem(found[0].name, f"{' and '.join(f.name for f in found)} both exist; "
                                       "expected one file per table."))
        return None
    return found[0] if found else None


def _read_raw(file: Path, config: _Config, report: ValidationReport) -> pd.DataFrame | None:
    """Read a table file as found: text columns, index = 1-based line (or row) numbers."""
    def problem(message):
        report.problems.append(Problem(file.name, message))
    if file.suffix == ".parquet":
        try:
            frame = pd.read_parquet(file)
        except Exception as exc:  # pyarrow raises many types for a corrupt file
            problem(f"could not be read as Parquet ({type(exc).__name__}: {exc}).")
            return None
        frame.index = np.arange(1, len(frame) + 1)
        return frame
    data = file.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            problem(f"is gzip-compressed but corrupt or truncated ({exc}); download or export it again.")
            return None
        if file.suffix != ".gz":
            report.notes.append(f"{file.name} is gzip-compressed; read it decompressed.")
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            problem(f"is {kind}, not CSV text; export the sheet as CSV (UTF-8).")
            return None
    encoding = config.csv.get("encoding")
    utf16 = _utf16_codec(data, encoding)
    if utf16:
        text = _decode(data, utf16, file.name, report)
        if text is None:
            return None
        if not encoding:
            report.notes.append(f"{file.name} is UTF-16 text ({_UTF16_KINDS[utf16]}); read it as {utf16}.")
        data, encoding = text.encode("utf-8"), "utf-8"
    if b"\x00" in data[:8192]:
        problem("is a binary file, not CSV text; expected comma- or semicolon-separated text "
                "(if it is text in another encoding, declare it as csv.encoding in dataset.yml).")
        return None
    if len(data) >= LARGE_CSV_BYTES:
        frame = _read_large_csv(data, encoding, config.csv.get("sep"), file.name)
        if frame is not None:
            return _without_blank_rows(frame, file.name, report)
    text = _decode(data, encoding, file.name, report)
    if text is None:
        return None
    leading = len(text) - len(text.lstrip("\r\n"))
    offset = text[:leading].count("\n")
    text = text[leading:]
    if not text.strip():
        problem("is empty; expected a header line naming the columns, then one row per line.")
        return None
    header_line = text.split("\n", 1)[0]
    sep = config.csv.get("sep") or _sniff_separator(header_line)
    header = next(csv.reader([header_line], delimiter=sep))
    if not _unique_header(header, file.name, report):
        return None
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False,
                            skip_blank_lines=False, header=0)
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        frame, failure = None, f"{str(exc).strip()}. Check for unbalanced quotes or rows with extra separators."
    if frame is None or not isinstance(frame.index, pd.RangeIndex):  # pandas made an index of extra leading fields
        long_rows = _long_rows(text, sep, len(header), file.name, offset)
        if long_rows or frame is None:
            report.problems.append(long_rows or Problem(file.name, f"could not be parsed as CSV with separator "
                                                                   f"{sep!r}: {failure}"))
            return None
    frame.index = _line_numbers(frame, text, offset)
    return _without_blank_rows(frame, file.name, report)


def _without_blank_rows(frame: pd.DataFrame, name: str, report: ValidationReport) -> pd.DataFrame:
    blank = (frame == "").all(axis=1)
    if not (~blank).any():
        report.warnings.append(f"{name} has a header but no rows.")
    return frame.loc[~blank]


def _read_large_csv(data: bytes, encoding: str | None, sep: str | None, name: str) -> pd.DataFrame | None:
    """Parse a large UTF-8 CSV with pyarrow (every column as text, Arrow-backed), with a progress bar.

    Returns None, leaving the file to the exact reader, whenever a line number
    could come out wrong or a problem must be reported: another encoding,
    leading blank lines, a bad header, quoted newlines or blank lines (rows
    then differ from lines), or anything pyarrow cannot parse.
    """
    if encoding and codecs.lookup(encoding).name != "utf-8":
        return None
    data = data.removeprefix(b"\xef\xbb\xbf")
    header_line, _, _ = data[:1 << 16].partition(b"\n")
    try:
        header_line = header_line.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return None
    sep = sep or _sniff_separator(header_line)
    header = next(csv.reader([header_line], delimiter=sep), [])
    if not header or data[:1] in (b"\r", b"\n") or not _unique_header(header, name, ValidationReport(Path(name))):
        return None
    source = pyarrow.BufferReader(data)
    try:
        reader = pa_csv.open_csv(
            source, read_options=pa_csv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(delimiter=sep, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types={c: pyarrow.string() for c in header},
                                                  null_values=[], strings_can_be_null=False,
                                                  quoted_strings_can_be_null=False))
        batches = []
        with tqdm(total=len(data), unit="B", unit_scale=True, desc=f"reading {name}", leave=False) as progress:
            for batch in reader:
                batches.append(batch)
                progress.update(source.tell() - progress.n)
    except pyarrow.ArrowInvalid:
        return None
    table = pyarrow.Table.from_batches(batches, schema=reader.schema)
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    if table.num_rows != lines - 1:
        return None
    frame = table.to_pandas()
    frame.index = np.arange(2, len(frame) + 2)
    return frame


def _decode(data: bytes, encoding: str | None, name: str, report: ValidationReport) -> str | None:
    if encoding:
        try:
            return data.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            report.problems.append(Problem(name, f"could not be decoded as {encoding} (byte {exc.start}); "
                                           "check csv.encoding in dataset.yml."))
            return None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        report.problems.append(Problem(name, "is neither UTF-8 nor cp1252 text; "
                                       "declare its encoding as csv.encoding in dataset.yml."))
        return None
    report.notes.append(f"{name} is not UTF-8; read it as cp1252 (Windows Western European).")
    return text


_UTF16_KINDS = {"utf-16": "with a byte-order mark, as Excel's 'Unicode text' export",
                "utf-16-le": "little-endian, without a byte-order mark",
                "utf-16-be": "big-endian, without a byte-order mark"}


def _utf16_codec(data: bytes, declared: str | None) -> str | None:
    """The UTF-16 codec *data* is in: declared, marked by a byte-order mark, or told by its zero bytes.

    Text that is mostly ASCII has a zero in every other byte in UTF-16: the odd
    bytes in little-endian order, the even ones in big-endian order.
    """
    if declared:
        name = codecs.lookup(declared).name
        return name if name in _UTF16_KINDS else None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = data[:8192]
    sample = sample[:len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0) / (len(sample) / 2), sample[1::2].count(0) / (len(sample) / 2)
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def _long_rows(text: str, sep: str, fields: int, name: str, offset: int) -> Problem | None:
    """The rows with more fields than the header (an unquoted separator inside a text), as one problem."""
    lines, rows = [], []
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    try:
        next(reader)
        line = reader.line_num + 1
        for row in reader:
            if len(row) > fields:
                lines.append(line + offset)
                rows.append(row)
            line = reader.line_num + 1
    except csv.Error:  # a field beyond the csv module's size limit: leave the file to the generic message
        return None
    if not lines:
        return None
    shown = "tab" if sep == "\t" else repr(sep)
    return Problem(name, f"line {lines[0]} has {len(rows[0])} fields, the header has {fields}; "
                         f"{len(lines)} row(s) have more fields than the header, most likely because a text holds "
                         f"an unquoted separator ({shown}). Quote such texts in double quotes, or remove the "
                         "extra separators.",
                   lines=tuple(lines[:MAX_EXAMPLES]), values=tuple(sep.join(r) for r in rows[:MAX_EXAMPLES]),
                   count=len(lines))


def _sniff_separator(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _unique_header(header: list[str], name: str, report: ValidationReport) -> bool:
    seen: dict[str, str] = {}
    ok = True
    for column in header:
        key = _snake(column)
        if key in seen:
            report.problems.append(Problem(name, f"the header names the column '{column}' twice "
                                           f"(as '{seen[key]}' and '{column}'); expected unique column names.",
                                           column=column))
            ok = False
        seen[key] = column
    return ok


def _line_numbers(frame: pd.DataFrame, text: str, offset: int) -> np.ndarray:
    """1-based file line of each row (header = line 1), counting newlines inside quoted fields."""
    start = offset + 2 + np.arange(len(frame))
    if text.count("\n") <= len(frame) + 1 or not len(frame):
        return start
    inner = sum(frame[c].str.count("\n").to_numpy() for c in frame.columns)
    return start + np.concatenate([[0], np.cumsum(inner)[:-1]])


def _snake(name) -> str:
    return re.sub(r"\W+", "_", str(name).strip().lower()).strip("_")


# -------------------------------------------------------------------------- canonical
def _to_canonical(raw: pd.DataFrame, table: str, name: str, config: _Config,
                  report: ValidationReport) -> pd.DataFrame | None:
    """Rename, parse and validate one table; problems go to *report*."""
    before = len(report.problems)
    frame = _rename(raw, table, name, config.columns.get(table, {}), report)
    if frame is None:
        return None
    absent = {c: v for c, v in config.defaults.get(table, {}).items() if c not in frame.columns}
    frame = frame.assign(**absent)
    missing = [c for c in schemas.REQUIRED[table] if c not in frame.columns]
    for column in missing:
        mapping = f"map it under columns.{table} in {CONFIG_FILE}"
        close = did_you_mean(column, [c for c in frame.columns if c not in schemas.REQUIRED[table]])
        hint = f"{close} Rename that column or {mapping}." if close else f" Add it, or {mapping}."
        report.problems.append(Problem(name, f"required column '{column}' is missing; the file has "
                                       f"{', '.join(map(str, frame.columns)) or 'no columns'}.{hint}", column=column))
    if missing:
        return None
    parsed = _parse(frame, table, name, config, report)
    blank = pd.DataFrame({c: _text(frame[c]).isna() if _is_text(frame[c]) else frame[c].isna()
                          for c in schemas.REQUIRED[table]})
    _check_schema(parsed, table, name, report, empty=blank)
    required = list(schemas.REQUIRED[table])
    frame = parsed[required + [c for c in parsed.columns if c not in required]]
    return frame if len(report.problems) == before else None


def _rename(raw: pd.DataFrame, table: str, name: str, mapping: dict, report: ValidationReport):
    by_snake = {_snake(c): c for c in raw.columns}
    renames, ok = {}, True
    for export, canonical in mapping.items():
        source = export if export in raw.columns else by_snake.get(_snake(export))
        if source is None:
            report.problems.append(Problem(CONFIG_FILE, f"columns.{table} maps '{export}', which is not a column "
                                           f"of {name}.{did_you_mean(export, raw.columns)}", column=export))
            ok = False
        elif canonical in renames.values():
            other = next(k for k, v in renames.items() if v == canonical)
            report.problems.append(Problem(CONFIG_FILE, f"columns.{table} maps both '{other}' and '{source}' to "
                                           f"'{canonical}'; expected one source column per canonical column.",
                                           column=canonical))
            ok = False
        else:
            renames[source] = canonical
    if not ok:
        return None
    columns = [renames.get(c, _snake(c)) for c in raw.columns]
    clashes = sorted({c for c in columns if columns.count(c) > 1})
    if clashes:
        report.problems.append(Problem(name, f"after mapping, column(s) {', '.join(clashes)} appear twice; "
                                       f"drop or rename one in {CONFIG_FILE}."))
        return None
    return raw.set_axis(columns, axis=1)


def _numeric_columns(table: str, columns) -> list[str]:
    return [c for c in columns if c in schemas.NUMERIC[table] or (table == "surveys" and c.startswith("rating_"))]


def _parse(frame: pd.DataFrame, table: str, name: str, config: _Config, report: ValidationReport) -> pd.DataFrame:
    out = {}
    numeric = _numeric_columns(table, frame.columns)
    timestamps = schemas.TIMESTAMPS.get(table, schemas.DEFAULT_TIMESTAMPS)
    for column in frame.columns:
        values = frame[column]
        if column in timestamps:
            out[column] = _parse_timestamps(values, name, column, config, report)
        elif column in numeric:
            out[column] = _parse_numbers(values, name, column, config, report)
        elif column in schemas.IDS or column in schemas.LOWERCASE:
            text = _text(values)
            out[column] = text.str.lower() if column in schemas.LOWERCASE else text
        elif column in FREE_TEXT:
            out[column] = _text(values, strip=False)
        else:
            out[column] = _infer_column(values, config)
    return pd.DataFrame(out, index=frame.index)


def _is_text(values: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(values) or values.dtype == object


def _text(values: pd.Series, *, strip: bool = True) -> pd.Series:
    """Text with missing-value tokens as NaN (leading zeros and case kept)."""
    if not _is_text(values):
        values = values.astype("str").where(values.notna())
    text = values.astype("str")
    stripped = text.str.strip()
    short = stripped[stripped.str.len() <= max(map(len, NA_TOKENS))]  # only short values can be NA tokens
    missing = values.isna() | stripped.index.isin(short.index[short.str.lower().isin(NA_TOKENS)])
    return (stripped if strip else text).mask(missing)


def _parse_numbers(values: pd.Series, name: str, column: str, config: _Config, report: ValidationReport) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    text = _text(values)
    numbers = _numbers(text, config)
    bad = numbers.isna() & text.notna()
    _report_values(report, name, column, bad, values, "is not a number; expected a number"
                   + (" with a decimal comma" if config.csv.get("decimal") == "," else ""))
    return numbers.astype(float)


def _parse_timestamps(values: pd.Series, name: str, column: str, config: _Config,
                      report: ValidationReport) -> pd.Series:
    """Parse ISO-8601 (any offset) and, failing that, locale dates; naive ones in the dataset's zone."""
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = values.dt.tz_convert("UTC") if values.dt.tz is not None else _localize(values, config.timezone)
        return stamps.dt.as_unit("us")
    text = _text(values)
    if config.timezone == "UTC":
        stamps = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    else:
        aware = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", na=False)
        stamps = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
        stamps[aware] = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
        naive = pd.to_datetime(text[~aware], format="ISO8601", errors="coerce")
        stamps[~aware] = _localize(naive, config.timezone)
    retry = stamps.isna() & text.notna()
    if retry.any():
        fallback = pd.to_datetime(text[retry], format="mixed", dayfirst=bool(config.csv.get("dayfirst")),
                                  errors="coerce")
        if fallback.dt.tz is None:
            fallback = _localize(fallback, config.timezone)
        stamps[retry] = fallback.dt.tz_convert("UTC")
    stamps = stamps.dt.as_unit("us")
    bad = stamps.isna() & text.notna()
    _report_values(report, name, column, bad, values,
                   "could not be read as a date-time; expected ISO-8601 such as 2025-03-01T14:05:00Z"
                   + (" or day-first dates such as 01/03/2025 14:05" if config.csv.get("dayfirst") else ""))
    future = int((stamps > pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)).sum())
    if future:
        report.warnings.append(f"{name}: {future} {column} value(s) lie in the future; check the export's clock "
                               "or time zone.")
    return stamps


def _localize(naive: pd.Series, timezone: str) -> pd.Series:
    """Naive local times -> UTC; the repeated hour when clocks go back is read as standard time."""
    standard_time = np.zeros(len(naive), dtype=bool)
    return naive.dt.tz_localize(timezone, ambiguous=standard_time, nonexistent="shift_forward").dt.tz_convert("UTC")


def _infer_column(values: pd.Series, config: _Config) -> pd.Series:
    """A non-canonical column: numeric when every value is a number, date-time when named so.

    Ids and codes (``id``, ``*_id``, ``*_code``, ``zip*``) and values with leading
    zeros stay text.
    """
    if re.search(r"(^|_)(id|code)$|^zip", str(values.name)):
        return _text(values)
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values
    text = _text(values)
    present = text.dropna()
    if present.empty or present.str.match(r"^0\d").any():
        return text
    if _numbers(present.iloc[:1000], config).notna().all():  # a cheap look before converting every value
        numbers = _numbers(text, config)
        if numbers.notna().sum() == len(present):
            return numbers.astype(float)
    if values.name and re.search(r"(^|_)(date|at)$", str(values.name)):
        stamps = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
        if stamps.notna().sum() == len(present):
            return stamps.dt.as_unit("us")
    return text


def _numbers(text: pd.Series, config: _Config) -> pd.Series:
    """Numbers of text in the export's locale (NaN where a value is not one)."""
    if config.csv.get("decimal") == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


def _report_values(report: ValidationReport, name: str, column: str, bad: pd.Series, values: pd.Series,
                   message: str) -> None:
    if not bad.any():
        return
    rows = values[bad]
    report.problems.append(Problem(name, f"{int(bad.sum())} value(s) {message}.", column=column,
                                   lines=tuple(int(i) for i in rows.index[:MAX_EXAMPLES]),
                                   values=tuple(rows.iloc[:MAX_EXAMPLES].tolist()), count=int(bad.sum())))


_CHECK_WORDS = {"not_nullable": "are empty", "field_uniqueness": "are duplicated", "whole_number": "are not whole numbers"}


def _check_schema(frame: pd.DataFrame, table: str, name: str, report: ValidationReport,
                  *, empty: pd.DataFrame) -> None:
    """Validate with the table's pandera schema (lazy) and turn failures into problems.

    *empty* marks the raw cells that were blank, so a value already reported as
    unreadable is not reported again as missing.
    """
    schema = schemas.SCHEMAS[table].to_schema()
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["index"].notna()]
        kind = cases["check"].astype(str).map(lambda c: "out_of_range" if c.startswith(("greater", "less", "in_range"))
                                              else c)
        for (column, check), group in cases.groupby([cases["column"].astype(str), kind], sort=True):
            words = _CHECK_WORDS.get(check, "are out of range" if check == "out_of_range" else f"fail {check}")
            group = group.drop_duplicates("index").sort_values("index")
            if check == "not_nullable" and column in empty.columns:
                group = group[empty[column].reindex(group["index"].astype(int)).to_numpy()].assign(failure_case="")
                if group.empty:
                    continue
            expected = _expected(schema, column)
            report.problems.append(Problem(
                name, f"{len(group)} value(s) {words}; expected {expected}.", column=column,
                lines=tuple(int(i) for i in group["index"][:MAX_EXAMPLES]),
                values=tuple(group["failure_case"][:MAX_EXAMPLES].tolist()), count=len(group)))


def _expected(schema, column: str) -> str:
    for key, spec in schema.columns.items():
        if key == column or (spec.regex and re.fullmatch(key, column)):
            return spec.description or "a valid value"
    return "a valid value"


# ------------------------------------------------------------------- across the tables
def _link_identities(tables: dict, report: ValidationReport) -> None:
    """Fill missing customer ids of surveys/reviews from email or phone, compared as salted hashes."""
    customers = tables.get("customers")
    for table in ("surveys", "reviews"):
        frame = tables.get(table)
        if frame is None or not {"email", "phone"} & set(frame.columns):
            continue
        ids = frame["customer_id"] if "customer_id" in frame.columns else pd.Series(np.nan, index=frame.index,
                                                                                    dtype="str")
        unlinked = ids.isna()
        if not unlinked.any():
            continue
        if customers is None or not {"email", "phone"} & set(customers.columns):
            report.notes.append(f"{table}: {int(unlinked.sum())} rows have no customer_id and there is no "
                                "customers email/phone to link them by.")
            continue
        linked = ids.copy()
        for key, normalise in (("email", normalise_email), ("phone", normalise_phone)):
            if key in frame.columns and key in customers.columns:
                lookup = pd.Series(customers["customer_id"].to_numpy(),
                                   index=identity_hash(normalise(customers[key])).to_numpy())
                lookup = lookup[lookup.index.notna() & ~lookup.index.duplicated(keep=False)]
                todo = linked.isna()
                hashes = identity_hash(normalise(frame.loc[todo, key]))
                linked[todo] = hashes.map(lookup).to_numpy()
        found = int((unlinked & linked.notna()).sum())
        tables[table] = frame.assign(customer_id=linked)
        report.notes.append(f"{table}: linked {found} of {int(unlinked.sum())} rows without customer_id to "
                            f"customers by email/phone ({found / unlinked.sum():.1%}).")


#: Free-text columns where customers may write their own names.
_FREE_TEXT = {"surveys": "comment", "reviews": "text"}


def _drop_pii(tables: dict, keep_pii: bool, report: ValidationReport) -> None:
    if keep_pii:
        return
    names = pd.concat([_full_names(frame) for frame in tables.values()])
    for table, column in _FREE_TEXT.items():
        if table in tables and column in tables[table] and not names.empty:
            texts = tables[table][column]
            redacted = redact_names(texts, names)
            changed = int((redacted != texts.astype("string")).fillna(False).sum())
            if changed:
                tables[table] = tables[table].assign(**{column: redacted})
                report.notes.append(f"{table}: replaced customers' names written in {changed} {column}(s) "
                                    "with [name].")
    for table, frame in tables.items():
        pii = [c for c in frame.columns if c in PII_COLUMNS]
        if pii:
            tables[table] = frame.drop(columns=pii)
            report.notes.append(f"{table}: dropped personal-data column(s) {', '.join(pii)}.")


def _full_names(frame: pd.DataFrame) -> pd.Series:
    """The full names a table holds: its ``name`` column and ``first_name`` + ``last_name``."""
    names = [frame["name"]] if "name" in frame else []
    if {"first_name", "last_name"} <= set(frame.columns):
        names.append(frame["first_name"].astype("string") + " " + frame["last_name"].astype("string"))
    return pd.concat(names).dropna() if names else pd.Series(dtype="string")


def _check_orphans(tables: dict, report: ValidationReport) -> None:
    customers = tables.get("customers")
    if customers is None:
        return
    known = customers["customer_id"]
    for table in ("events", "surveys", "reviews"):
        frame = tables.get(table)
        if frame is None or "customer_id" not in frame.columns:
            continue
        ids = pd.Series(frame["customer_id"].dropna().unique())
        unknown = ids[pd.Index(known).get_indexer(ids) < 0]
        if len(unknown):
            rows = int(frame["customer_id"].isin(unknown).sum())
            report.warnings.append(f"{table}: {rows} row(s) of {len(unknown)} customer id(s) not found in customers; "
                                   "kept, without customer attributes.")


def _check_scopes(tables: dict, config: _Config, report: ValidationReport, file_name: str) -> None:
    """Every intervention's scope must be a channel, touchpoint or stage of the data."""
    interventions = tables.get("interventions")
    if interventions is None:
        return
    known = set(config.stages) | {tp for tps in config.stages.values() for tp in tps}
    for table in ("events", "surveys"):
        frame = tables.get(table)
        for column in ("channel", "touchpoint", "stage"):
            if frame is not None and column in frame.columns:
                known |= set(frame[column].dropna().unique())
    unknown = ~interventions["scope"].isin(known)
    _report_values(report, file_name, "scope", unknown, interventions["scope"],
                   "is not a channel, touchpoint or stage of the data; expected one of "
                   + ", ".join(sorted(known)[:15]) + ("..." if len(known) > 15 else ""))


def _fill_stages(tables: dict, config: _Config, report: ValidationReport) -> None:
    events = tables.get("events")
    if events is None or not config.stages:
        return
    lookup = {tp: stage for stage, tps in config.stages.items() for tp in tps}
    if "stage" not in events.columns:
        events = events.assign(stage=events["touchpoint"].map(lookup))
        tables["events"] = events
    unmapped = sorted(set(events["touchpoint"].dropna().unique()) - set(lookup))
    if unmapped:
        report.notes.append(f"events: {len(unmapped)} touchpoint(s) belong to no stage in {CONFIG_FILE}: "
                            + ", ".join(unmapped[:10]) + ("..." if len(unmapped) > 10 else ""))

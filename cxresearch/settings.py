"""``dataset.yml``: the settings that describe an export's folder.

Its name, CSV locale, file names, column mapping, default values, journey
stages with their goals and owners, session gap, time zone, topic taxonomy and notes, and for the engine path
(:mod:`cxresearch.sql`) where large tables live and which engine reads them. :func:`read_settings` checks every
setting and reports each problem (never raises).

Tables where they live (``tables:``), each by exactly one key::

    engine: spark                  # duckdb (the default) or spark: who runs `cxresearch run --engine`
    tables:
      events: {path: "s3a://lake/cx/events/*.parquet"}    # Parquet file, folder or glob: local or any URI
      customers: {table: "lakehouse.cx.customers"}       # a Spark catalog table (engine spark only)

A local path is relative to the dataset folder and must match at least one
Parquet file; a URI (``s3a://``, ``abfss://``, ``gs://``, ``hdfs://`` ...) is
read by the engine as it is, unchecked here.
"""
from __future__ import annotations

import glob
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import yaml

from .engine import SQL_ENGINES
from .errors import DataError, ParameterError, Problem, ValidationReport, did_you_mean
from .i18n import _, check_language
from .schemas import TABLES
from .sessions import AUTO_GAP
from .weighting import check_margins

CONFIG_FILE = "dataset.yml"
CONFIG_KEYS = ("name", "csv", "columns", "defaults", "categories", "stages", "stage_plan", "timezone", "files", "topic_taxonomy",
               "notes", "language", "margins", "session_gap", "tables", "engine")
#: What ``stage_plan`` may say about a stage.
STAGE_PLAN_KEYS = ("goal", "owner")
CSV_KEYS = ("sep", "decimal", "dayfirst", "encoding")
#: The tables the engine path (``cxresearch run/validate --engine``) reads where ``tables:`` says they live.
ENGINE_TABLES = ("events", "surveys", "reviews", "customers")
#: How ``tables:`` locates a table: a Parquet path, folder, glob or URI, or a Spark catalog table name.
TABLE_LOCATION_KEYS = ("path", "table")
_URI = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_TABLE_NAME = re.compile(r"^(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)(\.(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)){0,2}$")


@dataclass
class DatasetSettings:
    """The checked settings of a ``dataset.yml`` (defaults where it is absent)."""

    name: str
    csv: dict = field(default_factory=dict)
    columns: dict = field(default_factory=dict)
    defaults: dict = field(default_factory=dict)
    #: ``{table: [column, ...]}``: columns read as categories (text), such as region codes 1/2/3.
    categories: dict = field(default_factory=dict)
    stages: dict = field(default_factory=dict)
    stage_plan: dict = field(default_factory=dict)
    timezone: str = "UTC"
    files: dict = field(default_factory=dict)
    topic_taxonomy: dict = field(default_factory=dict)
    language: str | None = None
    margins: dict = field(default_factory=dict)
    session_gap: str | pd.Timedelta | None = AUTO_GAP
    #: ``{table: {"path": str}}`` (local paths made absolute) or ``{table: {"table": str}}``.
    tables: dict = field(default_factory=dict)
    engine: str | None = None


def read_settings(folder: Path, report: ValidationReport) -> DatasetSettings:
    config = DatasetSettings(name=folder.name)
    file = folder / CONFIG_FILE
    if not file.exists():
        return config
    def problem(message):
        report.problems.append(Problem(CONFIG_FILE, message))
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        problem(_("is not valid YAML: %(error)s %(where)s; expected a mapping such as 'name: My data'.") % {
            "error": str(exc).splitlines()[0], "where": _yaml_where(exc)})
        return config
    if data is None:
        return config
    if not isinstance(data, dict):
        problem(_("must be a mapping of settings (%(keys)s); found %(found)s.") % {
            "keys": ", ".join(CONFIG_KEYS), "found": type(data).__name__})
        return config
    for key in data:
        if key not in CONFIG_KEYS:
            problem(_("unknown setting '%(key)s'; expected one of %(keys)s.") % {"key": key, "keys": ", ".join(CONFIG_KEYS)}
                    + did_you_mean(key, CONFIG_KEYS))
    config.name = str(data.get("name") or folder.name)
    config.csv = _config_csv(data.get("csv"), problem)
    config.columns = _config_columns(data.get("columns"), problem)
    config.defaults = _config_defaults(data.get("defaults"), problem)
    config.categories = _config_categories(data.get("categories"), problem)
    config.stages = read_stages(data.get("stages"), problem)
    config.stage_plan = read_stage_plan(data.get("stage_plan"), config.stages, problem)
    config.files = _config_files(data.get("files"), problem)
    config.topic_taxonomy = _config_topic_taxonomy(data.get("topic_taxonomy"), problem)
    if data.get("margins") is not None:
        try:
            config.margins = check_margins(data["margins"])
        except DataError as error:
            report.problems.extend(error.problems)
    report.notes.extend(_config_notes(data.get("notes"), problem))
    if "session_gap" in data:
        config.session_gap = read_session_gap(data["session_gap"], problem)
    if data.get("language") is not None:
        try:
            config.language = check_language(data["language"])
        except ParameterError as exc:
            problem(_("'language' (of the report pages): %(error)s") % {"error": exc})
    if data.get("engine") is not None:
        config.engine = _config_engine(data["engine"], problem)
    config.tables = _config_tables(data.get("tables"), folder, config.engine, problem)
    report.notes.extend(_("tables.%(table)s is read in place by the engine (cxresearch run --engine); the in-memory "
                          "analyses read the folder's own files only.") % {"table": table} if table in ENGINE_TABLES
                        else _("tables.%(table)s is not read yet: the engine step reads %(tables)s.") % {
                            "table": table, "tables": ", ".join(ENGINE_TABLES)} for table in config.tables)
    timezone = str(data.get("timezone") or "UTC")
    try:
        ZoneInfo(timezone)
        config.timezone = timezone
    except (ZoneInfoNotFoundError, ValueError):
        problem(_("timezone '%(timezone)s' is not a known time zone; expected e.g. 'UTC' or 'Europe/Rome'.") % {
            "timezone": timezone})
    return config


def read_session_gap(value, problem) -> str | pd.Timedelta | None:
    """``session_gap``: minutes of inactivity that end a session, ``none`` (sessions end only where the
    session id or the customer changes) or ``auto`` (trust a given session id; see :mod:`cxresearch.sessions`)."""
    if value is None or (isinstance(value, str) and value.strip().lower() == AUTO_GAP):
        return AUTO_GAP
    if isinstance(value, str) and value.strip().lower() == "none":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return pd.Timedelta(minutes=value)
    problem(_("session_gap must be a number of minutes such as 30, 'none' (one session per session id, or per "
              "customer) or 'auto' (the default: trust a given session id); found %(found)r.") % {"found": value})
    return AUTO_GAP


def session_gap_setting(gap: str | pd.Timedelta | None) -> float | str | None:
    """The ``dataset.yml`` value of *gap* (the inverse of :func:`read_session_gap`); None for the default."""
    if gap is None:
        return "none"
    if isinstance(gap, str):
        return None
    return gap / pd.Timedelta(minutes=1)


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
    return _("(line %(line)s)") % {"line": mark.line + 1} if mark is not None else ""


def _config_csv(value, problem) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problem(_("'csv' must be a mapping with keys %(keys)s; found %(found)r.") % {
            "keys": ", ".join(CSV_KEYS), "found": value})
        return {}
    out = {}
    for key, item in value.items():
        if key not in CSV_KEYS:
            problem(_("unknown csv setting '%(key)s'; expected one of %(keys)s.") % {"key": key, "keys": ", ".join(CSV_KEYS)}
                    + did_you_mean(key, CSV_KEYS))
        elif key == "sep" and not (isinstance(item, str) and len(item) == 1):
            problem(_("csv.sep must be one character such as ',' or ';'; found %(found)r.") % {"found": item})
        elif key == "decimal" and item not in (".", ","):
            problem(_("csv.decimal must be '.' or ','; found %(found)r.") % {"found": item})
        elif key == "dayfirst" and not isinstance(item, bool):
            problem(_("csv.dayfirst must be true or false; found %(found)r.") % {"found": item})
        elif key == "encoding" and not _codec_exists(item):
            problem(_("csv.encoding '%(encoding)s' is not a known encoding; expected e.g. utf-8 or cp1252.") % {
                "encoding": item})
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
        problem(_("'columns' must map each table to {export column: canonical column}."))
        return {}
    out = {}
    for table, mapping in value.items():
        if table not in TABLES:
            problem(_("columns: unknown table '%(table)s'; expected one of %(tables)s.") % {
                "table": table, "tables": ", ".join(TABLES)} + did_you_mean(table, TABLES))
        elif not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            problem(_("columns.%(table)s must map export column names to canonical names; found %(found)r.") % {
                "table": table, "found": mapping})
        else:
            out[table] = {str(k): v for k, v in mapping.items()}
    return out


def _config_defaults(value, problem) -> dict:
    """``defaults``: per table, the value of a column the export lacks (e.g. every event is in 'store')."""
    if value is None:
        return {}
    if not isinstance(value, dict) or any(t not in TABLES or not isinstance(v, dict) for t, v in value.items()):
        problem(_("'defaults' must map tables (%(tables)s) to {column: value}; found %(found)r.") % {
            "tables": ", ".join(TABLES), "found": value})
        return {}
    return {t: {str(c): str(v) for c, v in cols.items()} for t, cols in value.items()}


def _config_categories(value, problem) -> dict:
    """``categories``: per table, the columns that are categories even when their values are numbers (codes)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or any(t not in TABLES or not isinstance(v, list) for t, v in value.items()):
        problem(_("'categories' must map tables (%(tables)s) to a list of columns, such as "
                  "{customers: [region]}; found %(found)r.") % {"tables": ", ".join(TABLES), "found": value})
        return {}
    return {t: [str(c) for c in cols] for t, cols in value.items()}


def read_stages(value, problem) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problem(_("'stages' must map each stage, in order, to its list of touchpoints."))
        return {}
    stages, seen = {}, {}
    for stage, touchpoints in value.items():
        touchpoints = [touchpoints] if isinstance(touchpoints, str) else (touchpoints or [])
        if not isinstance(touchpoints, list):
            problem(_("stages.%(stage)s must be a list of touchpoints; found %(found)r.") % {
                "stage": stage, "found": touchpoints})
            continue
        names = [str(tp).strip().lower() for tp in touchpoints]
        for tp in names:
            if tp in seen:
                problem(_("touchpoint '%(touchpoint)s' is listed in stages '%(first)s' and '%(second)s'; expected one "
                          "stage each.") % {"touchpoint": tp, "first": seen[tp], "second": stage})
            seen[tp] = stage
        stages[str(stage).strip().lower()] = names
    return stages


def read_stage_plan(value, stages: dict, problem) -> dict:
    """``stage_plan``: per stage, its ``goal`` and ``owner`` (shown on the journey canvas and the summary's actions)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problem(_("'stage_plan' must map stages to their goal and owner, e.g. "
                  "'stage_plan: {purchase: {goal: Pay in one step, owner: E-commerce}}'."))
        return {}
    plan = {}
    for stage, entry in value.items():
        name = str(stage).strip().lower()
        if stages and name not in stages:
            problem(_("stage_plan.%(stage)s: no such stage; expected one of %(stages)s.") % {
                "stage": stage, "stages": ", ".join(stages)} + did_you_mean(name, stages))
            continue
        if not isinstance(entry, dict) or not set(entry) <= set(STAGE_PLAN_KEYS):
            problem(_("stage_plan.%(stage)s must hold %(keys)s; found %(found)r.") % {
                "stage": stage, "keys": " and/or ".join(STAGE_PLAN_KEYS), "found": entry})
            continue
        plan[name] = {key: str(entry[key]).strip() for key in STAGE_PLAN_KEYS if entry.get(key)}
    return plan


def _config_notes(value, problem) -> list[str]:
    """``notes``: what the export's reader knows about the data (kept in the dataset's notes)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(note, str) for note in value):
        problem(_("'notes' must be a list of sentences; found %(found)r.") % {"found": value})
        return []
    return [str(_(note)) if note else note for note in value]  # a recipe's English notes read in the page's language


def _config_engine(value, problem) -> str | None:
    if value in SQL_ENGINES:
        return value
    problem(_("engine must be one of %(engines)s (who runs `cxresearch run --engine`); found %(found)r.") % {
        "engines": ", ".join(SQL_ENGINES), "found": value} + did_you_mean(str(value), SQL_ENGINES))
    return None


def _config_tables(value, folder: Path, engine: str | None, problem) -> dict:
    """``tables``: per table, ``{path: ...}`` (Parquet, local or a URI) or ``{table: ...}`` (a Spark catalog table)."""
    if value is None:
        return {}
    example = "tables: {events: {path: \"lake/events/*.parquet\"}}"
    if not isinstance(value, dict):
        problem(_("'tables' must map tables (%(tables)s) to {path: ...} or {table: ...}, e.g. '%(example)s'; "
                  "found %(found)r.") % {"tables": ", ".join(TABLES), "example": example, "found": value})
        return {}
    out = {}
    for table, entry in value.items():
        if table not in TABLES:
            problem(_("tables.%(table)s: unknown table; expected one of %(tables)s.") % {
                "table": table, "tables": ", ".join(TABLES)} + did_you_mean(str(table), TABLES))
            continue
        keys = list(entry) if isinstance(entry, dict) else []
        if len(keys) != 1 or keys[0] not in TABLE_LOCATION_KEYS or not isinstance(entry[keys[0]], str) \
                or not entry[keys[0]].strip():
            problem(_("tables.%(table)s must be {path: <Parquet file, folder, glob or URI>} or {table: <Spark table "
                      "name>}, e.g. '%(example)s'; found %(found)r.") % {"table": table, "example": example,
                                                                         "found": entry})
            continue
        kind, location = keys[0], entry[keys[0]].strip()
        where = {"table": table, "location": location}
        if kind == "table":
            if not _TABLE_NAME.match(location):
                problem(_("tables.%(table)s: '%(location)s' is not a table name; expected [catalog.][schema.]table "
                          "such as 'lakehouse.cx.events' (a file goes under 'path:').") % where)
            elif engine == "duckdb":
                problem(spark_table_only(table, location))
            else:
                out[table] = {"table": location}
            continue
        if _URI.match(location):
            out[table] = {"path": location}    # read by the engine where it is; nothing to check from here
            continue
        local = folder / location
        files = [Path(f) for f in glob.glob(str(local), recursive=True)] if any(c in location for c in "*?[") else [local]
        files = [f for f in files if f.exists()]
        other = next((f for f in files if f.is_file() and f.suffix != ".parquet"), None)
        if not files:
            problem(_("tables.%(table)s: '%(location)s' matches no file or folder (paths are relative to the dataset "
                      "folder); expected Parquet files, e.g. 'events/*.parquet'.") % where)
        elif other is not None:
            problem(_("tables.%(table)s: '%(file)s' is not a Parquet file; the engine reads Parquet (a CSV export "
                      "goes in the folder as the table's own file, or `cxresearch import` writes it as Parquet).")
                    % {"table": table, "file": other.name})
        else:
            out[table] = {"path": str(local)}
    return out


def spark_table_only(table: str, location: str) -> str:
    """The problem of a ``tables:`` entry naming a Spark table when the engine is DuckDB."""
    return _("tables.%(table)s names the Spark table '%(location)s', which only Spark reads; set 'engine: spark' "
             "(or run with --engine spark) or name its Parquet files under 'path:'.") % {"table": table,
                                                                                         "location": location}


def _config_files(value, problem) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict) or any(t not in TABLES for t in value):
        problem(_("'files' must map tables (%(tables)s) to file names; found %(found)r.") % {
            "tables": ", ".join(TABLES), "found": value})
        return {}
    return {t: str(name) for t, name in value.items()}


def report_language(folder) -> str | None:
    """The language of the report pages that *folder*'s ``dataset.yml`` asks for (``language:``), else None."""
    return read_settings(Path(folder), ValidationReport(Path(folder))).language

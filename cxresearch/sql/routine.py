"""The routine's engine step (``cxresearch run --engine``): checks and heavy aggregations where the tables live.

:func:`run_on_engine` reads a dataset folder's settings, finds each table
(``tables:`` of ``dataset.yml``, else the folder's own Parquet file), reads it
through ``dataset.yml``'s column mapping and defaults (renamed and cast in the
engine's SQL), checks every table in the engine (:mod:`cxresearch.sql.checks`)
and writes the scalable aggregations as Parquet into a run folder, with
``engine_run.json`` saying what was computed, from where, in how long, and what
was not and why. Only small aggregates leave the engine; the per-customer
tables (event aggregates, features, the persona of every customer) are written
by the engine itself, never passing through pandas.

Personas are selected in memory on a sample of the customer features drawn in
the engine (:data:`PERSONA_SAMPLE` customers) and every customer is assigned in
the engine (:func:`cxresearch.sql.personas.assign_personas`). The intervention
arms are the per-customer cells of :func:`cxresearch.sql.intervention_cells` for
each intervention of the folder's interventions table and each survey metric.
"""
from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.dataset

from .. import schemas
from .._checks import window_problem
from ..canonical import CODE_NAMES, DATE_NAMES, NA_TOKENS, _numeric_columns, _rename, spelled_out_columns, to_canonical
from ..columns import value_label
from ..errors import DataError, ParameterError, Problem, ValidationReport
from ..i18n import _
from ..privacy import PII_COLUMNS
from ..readers import find_file, read_raw
from ..routine.parameters import RoutineParameters
from ..settings import CONFIG_FILE, ENGINE_TABLES, DatasetSettings, read_settings, spark_table_only
from ..engine import SQL_ENGINES, View, execute, persist, table_columns, write_parquet
from . import (_SCORES, _literal, _quoted, customer_features_query, event_features_query, funnel, gap_parameters,
               intervention_cells, kpi_counts, linked_query, stage_counts, transitions)
from .checks import check_table
from .personas import assign_personas

__all__ = ["run_on_engine", "check_on_engine", "table_sources", "EngineInput", "NOT_ON_ENGINE", "MANIFEST",
           "PERSONA_SAMPLE"]

MANIFEST = "engine_run.json"
#: Customers whose features are pulled into memory to select the personas (all of them when fewer).
PERSONA_SAMPLE = 50_000
#: Service channels of the event features (cxresearch.features' own).
_SERVICE_CHANNELS = ("chat", "call_center")
#: The time bins of each intervention window (cxresearch.interventions' default ``pretrend_bins``).
_BINS = 4
#: What the engine step leaves out, and why (the manifest and the command say it).
NOT_ON_ENGINE = {
    "notebook pages": "they read the whole dataset in memory; run `cxresearch run` without --engine on an extract",
    "intervention effects": "the arms (per customer, arm and time bin) are written; the bootstrap intervals, "
                            "the pre-trend check and the verdicts, and the events' exit and conversion metrics, are "
                            "not computed on the engine yet",
    "comments, reviews' text and topics": "text analyses run in memory only; the customer features' "
                                           "review_sentiment is the mean of a sentiment column the reviews carry, "
                                           "as in memory, never a score of their texts",
}


@dataclass
class EngineInput:
    """What :func:`check_on_engine` found: the report, the settings, each table's location and how to read it."""

    report: ValidationReport
    settings: DatasetSettings
    engine: str
    sources: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)
    interventions: pd.DataFrame | None = None


#: Tables of one row per customer or review, which the loader reads in memory when the folder has them as CSV.
_SMALL = ("reviews", "customers")


def table_sources(folder: Path, settings, report: ValidationReport, engine: str = "duckdb") -> dict:
    """Each of :data:`~cxresearch.settings.ENGINE_TABLES`' source: its ``tables:`` entry, else the folder's Parquet file.

    Events or surveys whose only file is CSV are a problem: the engine path
    reads Parquet. Reviews and customers (:data:`_SMALL`) in a CSV file are
    its :class:`~pathlib.Path`, for the loader to read in memory.
    """
    sources = {}
    for table in ENGINE_TABLES:
        if table in settings.tables:
            location = settings.tables[table]
            if "table" in location and engine != "spark":
                report.problems.append(Problem(CONFIG_FILE, spark_table_only(table, location["table"])))
            sources[table] = location.get("path") or location["table"]
            continue
        file = find_file(folder, table, settings, report)
        if file is None:
            continue
        if file.suffix != ".parquet" and table in _SMALL:
            sources[table] = file
            continue
        if file.suffix != ".parquet":
            report.problems.append(Problem(file.name, _("the engine reads Parquet; %(file)s is CSV. Write it as "
                                                        "Parquet (%(table)s.parquet), or name its Parquet copy under "
                                                        "tables.%(table)s in %(config)s.") % {
                                                            "file": file.name, "table": table, "config": CONFIG_FILE}))
            continue
        sources[table] = str(file)
    return sources


#: What the loader trims around ids and codes (pyarrow's ``utf8_trim_whitespace``: the Unicode spaces), in SQL.
_SPACES = _literal(" \t\n\r\v\f\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
                   "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


#: Text columns the engine trims as the loader does: the ids, and the events' ``event`` the aggregations compare.
_TRIMMED = (*schemas.IDS, "event")


def _cleaned(column: str, expression: str, default=None, *, attribute: bool = False) -> str:
    """*expression* cleaned as the loader cleans values of *column* (:mod:`cxresearch.canonical`), in SQL.

    Ids, ``event``, codes (:data:`_TRIMMED`, ``schemas.LOWERCASE``) and, when
    *attribute*, any other text column become text, trimmed, the codes lower-cased,
    and a missing-value token (``NA``, ``n/a``, ``-``...: ``canonical.NA_TOKENS``)
    or blank becomes NULL, or the *default* of ``dataset.yml`` when there is
    one. Other columns are kept as they are.
    """
    if column not in _TRIMMED and column not in schemas.LOWERCASE and not attribute:
        return expression
    text = f"trim(CAST({expression} AS VARCHAR), {_SPACES})"
    if column in schemas.LOWERCASE:
        text = f"lower({text})"
    if default is not None:
        default = str(default).strip()
        default = default.lower() if column in schemas.LOWERCASE else default
    tokens = ", ".join(map(_literal, sorted(NA_TOKENS)))
    token = f"{text} IN ({tokens})" if column in schemas.LOWERCASE else f"lower({text}) IN ({tokens})"
    missing = "NULL" if default is None else _literal(default)
    return f"CASE WHEN {text} IS NULL OR {token} THEN {missing} ELSE {text} END"


def _canonical(source, table: str, name: str, settings, report: ValidationReport, engine: str, spark):
    """*source* as the checks read it and as the aggregations read it: two :class:`~cxresearch.engine.View`.

    Both rename as the loader renames (``columns:`` of ``dataset.yml``, other
    names in snake case), clean ids and codes as it does (:func:`_cleaned`:
    trimmed, codes lower-cased, missing-value tokens and blanks NULL or the
    column's default) and add the ``defaults:`` of columns the table lacks;
    the second also casts the date-times and numbers, once the checks have
    passed. None when the mapping does not fit the table (a problem of *report*).
    """
    raw = table_columns(source, engine=engine, spark=spark)
    renamed = _rename(pd.DataFrame(columns=raw), table, name, settings.columns.get(table, {}), report)
    if renamed is None:
        return None
    texts = set()   # the customers' text attributes, trimmed as the loader trims them
    if table == "customers":
        types = execute("SELECT * FROM t LIMIT 0", {"t": source}, engine=engine, spark=spark).dtypes
        texts = {new for old, new in zip(raw, renamed.columns) if pd.api.types.is_object_dtype(types[old])
                 or pd.api.types.is_string_dtype(types[old])}
    defaults = settings.defaults.get(table, {})
    named = [(new, _cleaned(new, _quoted(old), defaults.get(new), attribute=new in texts))
             for old, new in zip(raw, renamed.columns)]
    named += [(column, _cleaned(column, _literal(value))) for column, value in defaults.items()
              if column not in renamed.columns]
    times = schemas.TIMESTAMPS.get(table, schemas.DEFAULT_TIMESTAMPS)
    numbers = set(_numeric_columns(table, [column for column, _expression in named]))
    typed = [(column, f"CAST({expression} AS TIMESTAMPTZ)" if column in times else
              f"CAST({expression} AS DOUBLE)" if column in numbers else expression) for column, expression in named]
    return View(source, tuple(named)), View(source, tuple(typed))


def _in_memory(file: Path | None, table: str, settings, report: ValidationReport) -> pd.DataFrame | None:
    """A small table's *file* (interventions, or reviews and customers in CSV) read and checked by the loader."""
    raw = read_raw(file, settings, report, table=table) if file is not None else None
    frame = None if raw is None else to_canonical(raw, table, file.name, settings, report)
    return None if frame is None else spelled_out_columns(frame)  # a Parquet file's category columns as text


def check_on_engine(folder, *, engine: str | None = None, spark=None, progress=print) -> EngineInput:
    """Check the settings and the tables of the dataset at *folder* in the engine (``cxresearch validate --engine``).

    Returns
    -------
    EngineInput
        The report (problems of ``dataset.yml``, of finding the tables and of
        each table's rows), the checked settings, the engine used (*engine*,
        else the ``engine:`` of ``dataset.yml``, else DuckDB), each table's
        location and the view the aggregations read, and the interventions table.
    """
    folder = Path(folder)
    report = ValidationReport(folder)
    settings = read_settings(folder, report)
    engine = engine or settings.engine or "duckdb"
    if engine not in SQL_ENGINES:
        raise ParameterError(f"engine must be one of {', '.join(SQL_ENGINES)}; got {engine!r}.")
    found = EngineInput(report, settings, engine, table_sources(folder, settings, report, engine))
    if not found.sources and not report.problems:
        report.problems.append(Problem(folder.name, _("the engine step found no table: no events, surveys, reviews "
                                                      "or customers in the folder (events and surveys as Parquet) nor "
                                                      "under tables: in %(config)s.") % {"config": CONFIG_FILE}))
    if report.problems:
        return found
    for table, source in found.sources.items():
        if isinstance(source, Path):   # a CSV file of reviews or customers
            frame = _in_memory(source, table, settings, report)
            if frame is not None:
                found.tables[table] = frame
            continue
        progress(_("Checking %(table)s in %(engine)s") % {"table": table, "engine": engine})
        name = Path(source).name if table not in settings.tables else f"{table} ({source})"
        views = _canonical(source, table, name, settings, report, engine, spark)
        if views is not None:
            report.problems += check_table(views[0], table, name=name, engine=engine, spark=spark)
            found.tables[table] = views[1]
    found.interventions = _in_memory(find_file(folder, "interventions", settings, report), "interventions",
                                     settings, report)
    return found


def run_on_engine(folder, reports, *, engine: str | None = None, n_personas="auto", random_state: int = 42,
                  intervention_window: str = RoutineParameters.intervention_window, spark=None, progress=print) -> Path:
    """Check the dataset at *folder* and write its aggregates into a new folder under *reports*; return it.

    Parameters
    ----------
    folder : path
        The dataset folder (its ``dataset.yml`` may name tables elsewhere).
    reports : path
        Where the run folder (``<run id>-engine``) is created.
    engine : {"duckdb", "spark"}, optional
        Default: the ``engine:`` of ``dataset.yml``, else DuckDB.
    n_personas : "auto" or int
        Personas to select (:class:`~cxresearch.personas.PersonaModel`).
    random_state : int
        Seed of the persona sample and model.
    intervention_window : str
        Weeks or days before and after each intervention's start (the routine's
        ``intervention_window``: ``"8W"``, ``"60D"``).

    Raises
    ------
    DataError
        With every problem of the settings and of every table, checked in the engine.
    ParameterError
        When *intervention_window* is not a whole number of weeks or days.
    """
    from ..routine.runs import new_run_id

    problem = window_problem("intervention_window", intervention_window)
    if problem:
        raise ParameterError(problem)
    found = check_on_engine(folder, engine=engine, spark=spark, progress=progress)
    if found.report.problems:
        raise DataError(found.report.problems)
    run = {"engine": found.engine, "tables": found.sources, "intervention_window": intervention_window, "steps": [],
           "not_computed": {}, "not_on_engine": NOT_ON_ENGINE}
    out = Path(reports) / f"{new_run_id()}-engine"
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="cleaned-", dir=out) as scratch:
        start, cpu = time.perf_counter(), time.process_time()   # cleaned once, not in every query (docs/SCALE.md)
        found.tables = _cleaned_copies(found.tables, Path(scratch), found.engine, spark, run)
        run["cleaned_copies"] = {"seconds": round(time.perf_counter() - start, 1),
                                 "cpu_seconds": round(time.process_time() - cpu, 1)}
        try:
            _write_aggregates(found, out, run, n_personas=n_personas, random_state=random_state,
                              window=pd.Timedelta(intervention_window), spark=spark, progress=progress)
        finally:   # Spark's cached copies freed
            for copy in found.tables.values():
                if hasattr(copy, "unpersist"):
                    copy.unpersist()
    (out / MANIFEST).write_text(json.dumps(run, indent=2, default=str), encoding="utf-8")
    return out


def _cleaned_copies(tables: dict, scratch: Path, engine: str, spark, run: dict) -> dict:
    """Each lake table's cleaned projection (:func:`_canonical`), computed once; surveys and reviews linked.

    DuckDB writes each as Parquet in *scratch*, Spark keeps it in its cache
    (:func:`~cxresearch.engine.persist`): every later query reads the copy,
    paying the trimming, lower-casing and casting once instead of in each of
    them. Survey answers and reviews without ``customer_id`` are linked to
    the customers by the email or phone both tables have, as the loader
    links them (:func:`~cxresearch.sql.linked_query`); *run*'s ``links``
    says how many were. Tables in memory without links stay as they are.
    """
    copies = dict(tables)
    for table in sorted(tables, key=lambda name: name != "customers"):   # the customers first: the others link to them
        source, keys = tables[table], []
        columns = table_columns(source, engine=engine, spark=spark)
        if table in ("surveys", "reviews") and "customers" in copies:
            shared = set(columns) & set(table_columns(copies["customers"], engine=engine, spark=spark))
            keys = [key for key in ("email", "phone") if key in shared]
        if not keys and not isinstance(source, View):
            continue
        query, sources = "SELECT * FROM t", {"t": source}
        if keys:
            query, sources = linked_query(table, columns, keys), {table: source, "customers": copies["customers"]}
        if engine == "spark":
            copies[table] = persist(query, sources, spark=spark)
        else:
            copies[table] = str(scratch / f"{table}.parquet")
            write_parquet(query, sources, copies[table])
        if keys:
            run.setdefault("links", {})[table] = _links(source, copies[table], columns, engine, spark)
    return copies


def _links(source, linked, columns, engine: str, spark) -> dict:
    """Rows of *source* without ``customer_id``, and how many of them *linked* gives one."""
    def count(table, query="SELECT count(*) AS n FROM t WHERE customer_id IS NULL") -> int:
        return int(execute(query, {"t": table}, engine=engine, spark=spark)["n"].item())

    unlinked = count(source) if "customer_id" in columns else count(source, "SELECT count(*) AS n FROM t")
    return {"without_customer_id": unlinked, "linked": unlinked - count(linked)}


def _write_aggregates(found: EngineInput, out: Path, run: dict, *, n_personas, random_state: int,
                      window: pd.Timedelta, spark, progress) -> None:
    """Every step of :func:`run_on_engine` on the checked tables of *found*, into *out*; *run* records them."""
    settings, engine, tables = found.settings, found.engine, found.tables

    def step(name: str, compute) -> None:
        start, cpu = time.perf_counter(), time.process_time()
        rows = compute()
        if rows is None:
            return
        run["steps"].append({"step": name, "rows": rows, "seconds": round(time.perf_counter() - start, 1),
                             "cpu_seconds": round(time.process_time() - cpu, 1)})
        progress(_("%(step)s: %(rows)s rows, %(seconds).1f s") % {"step": name, "rows": f"{rows:,}",
                                                                   "seconds": run["steps"][-1]["seconds"]})

    def skip(name: str, why: str) -> None:
        run["not_computed"][name] = why
        progress(_("%(step)s: not computed, %(why)s") % {"step": name, "why": why})

    touchpoint_stage = {tp: stage for stage, tps in settings.stages.items() for tp in tps}
    stages = list(settings.stages)
    journey = {"stages": stages, "touchpoint_stage": touchpoint_stage, "gap": settings.session_gap, "engine": engine,
               "spark": spark}

    def save(name: str, table: pd.DataFrame) -> int:
        table.to_parquet(out / f"{name}.parquet", index=False)
        return len(table)

    channels = []
    if "events" in tables:
        events = tables["events"]
        step("transitions", lambda: save("transitions", transitions(events, gap=settings.session_gap, engine=engine,
                                                                    spark=spark)))
        step("stages", lambda: save("stages", stage_counts(events, **journey)))
        if stages:
            step("funnel", lambda: save("funnel", funnel(events, stages, **journey)))
        else:
            skip("funnel", _("the dataset names no journey stages (stages: in %(config)s)") % {"config": CONFIG_FILE})
        channels = execute("SELECT DISTINCT channel FROM events WHERE channel IS NOT NULL ORDER BY channel",
                           {"events": events}, engine=engine, spark=spark)["channel"].tolist()
        step("customer event aggregates", lambda: _event_aggregates(events, out, channels, stages, touchpoint_stage,
                                                                    settings.session_gap, engine, spark))
    else:
        skip("journeys", _("the dataset has no events table: no transitions, stage table, funnel or event features"))
    if "surveys" not in tables:
        skip("kpis", _("the dataset has no surveys table: no NPS, CSAT or CES"))
    else:
        present = table_columns(tables["surveys"], engine=engine, spark=spark)
        for by in [[]] + [[column] for column in ("channel", "touchpoint") if column in present]:
            name = "kpis" + "".join(f"_by_{column}" for column in by)
            step(name, lambda by=by, name=name: save(name, kpi_counts(tables["surveys"], by=by, engine=engine,
                                                                      spark=spark)))
    step("customer features", lambda: _customer_features(tables, out, channels, stages, settings, engine, spark,
                                                         skip))
    if (out / "customer_features.parquet").exists():
        step("personas", lambda: _personas(out, n_personas, random_state, engine, spark, skip))
    else:
        skip("personas", _("the personas are drawn from the customer features, and there are none"))
    if found.interventions is None or found.interventions.empty:
        skip("intervention arms", _("the dataset has no interventions table"))
    elif "surveys" not in tables:
        skip("intervention arms", _("the arms are counted on survey answers, and the dataset has none"))
    else:
        step("intervention arms", lambda: _intervention_arms(found.interventions, tables, settings, out, window,
                                                             engine, spark, skip))


def _written_rows(path: Path) -> int:
    return pyarrow.dataset.dataset(str(path)).count_rows()


def _event_aggregates(events, out: Path, channels: list, stages: list, touchpoint_stage: dict, gap, engine: str,
                      spark) -> int:
    """Per-customer event aggregates (cxresearch.features' event features before their ratios), written by the engine.

    Columns: customer_id, n_events, n_sessions, first, last, n_purchases,
    spend, service_contacts, cross_channel_sessions, ``events_on_<channel>``
    and ``reached_<stage>`` (1.0 or 0.0).
    """
    columns = table_columns(events, engine=engine, spark=spark)
    mapped = ""
    if "stage" not in columns and touchpoint_stage:   # stages through the touchpoints, as the loader gives them
        cases = " ".join(f"WHEN {_literal(tp)} THEN {_literal(stage)}" for tp, stage in touchpoint_stage.items())
        mapped, columns = f", CASE touchpoint {cases} END AS stage", [*columns, "stage"]
    query = event_features_query(columns, channels=channels, stages=stages, service_channels=_SERVICE_CHANNELS)
    named = [f"_on_{i} AS {_quoted('events_on_' + str(channel))}" for i, channel in enumerate(channels)]
    named += [f"_reached_{i} AS {_quoted('reached_' + stage)}" for i, stage in enumerate(stages)]
    wrapped = (f"WITH events AS (SELECT *{mapped} FROM raw_events) "
               f'SELECT customer_id, n_events, n_sessions, "first", "last", n_purchases, spend, service_contacts, '
               f"cross_channel_sessions{''.join(', ' + n for n in named)} FROM ({query}) AS aggregates")
    path = out / "customer_event_aggregates.parquet"
    write_parquet(wrapped, {"raw_events": events}, path, engine=engine, parameters=gap_parameters(gap), spark=spark)
    return _written_rows(path)


def _customer_features(tables: dict, out: Path, channels: list, stages: list, settings, engine: str, spark,
                       skip) -> int | None:
    """The customer features (:func:`~cxresearch.sql.customer_features_query`) of every table present, written.

    What a table cannot give is named in *skip*: a table that is absent, or
    has no ``customer_id``, and reviews without a ``sentiment`` column. None
    (skipped) when no table describes customers one by one.
    """
    sources, query = {}, {"channels": channels, "stages": stages, "events": "events" in tables,
                          "times": [table for table in ("surveys", "reviews") if table in tables]}
    if "events" in tables:
        sources["aggregates"] = str(out / "customer_event_aggregates.parquet")
        query["times"].insert(0, "aggregates")
    for table, features in (("surveys", "survey features"), ("reviews", "review features")):
        if table not in tables:
            if table == "reviews":
                skip(features, _("the dataset has no reviews table: no n_reviews, review_rating or review_sentiment"))
            continue
        sources[table] = tables[table]
        present = table_columns(tables[table], engine=engine, spark=spark)
        if "customer_id" not in present:
            skip(features, _("%(table)s: no customer_id, so they describe no customer") % {
                "table": value_label(table)})
        elif table == "surveys":
            query["surveys"] = [c for c in present if c in ("nps", "csat", "ces") or c.startswith("rating_")]
        else:
            query["reviews"] = ["sentiment"] * ("sentiment" in present)
            if "sentiment" not in present:
                skip("review_sentiment", _("the reviews carry no sentiment column (the sentiment of their texts "
                                           "is scored in memory only)"))
    if "customers" in tables:
        sources["customers"] = tables["customers"]
        query["attributes"] = _customer_attributes(tables["customers"], settings, engine, spark)
        dates = [name for name, kind in query["attributes"] if kind == "date"]
        if dates and not query["times"]:   # as in memory: no time to count the days to
            query["attributes"] = [(name, kind) for name, kind in query["attributes"] if kind != "date"]
            skip("days_since_*", _("%(columns)s: no events, surveys or reviews, so no latest time to count the days "
                                   "to") % {"columns": ", ".join(dates)})
    else:
        skip("customer attributes", _("the dataset has no customers table: no attributes or days_since_* columns, "
                                      "and the customers are those of the other tables"))
    if not (query["events"] or query.get("surveys") is not None or query.get("reviews") is not None
            or "attributes" in query):
        skip("customer features", _("no table describes customers one by one: no customers table, no events, and "
                                    "no customer_id on the surveys or reviews"))
        return None
    path = out / "customer_features.parquet"
    write_parquet(customer_features_query(**query), sources, path, engine=engine, spark=spark)
    return _written_rows(path)


def _customer_attributes(customers, settings, engine: str, spark) -> list[tuple[str, str]]:
    """Each attribute of the customers table and its kind (number, text or date), as the loader reads it.

    A number or date-time column is one; a text column (already trimmed, see
    :func:`_canonical`) is a number when every value is one, a date when its
    name says so (:data:`~cxresearch.canonical.DATE_NAMES`) and every value is
    an ISO-8601 date-time, else text: ids, codes and zips
    (:data:`~cxresearch.canonical.CODE_NAMES`), ``categories:`` of
    ``dataset.yml`` and values with leading zeros always. Personal-data
    columns (:data:`~cxresearch.privacy.PII_COLUMNS`) are left out, as the loader drops them.
    """
    types = (customers.dtypes if isinstance(customers, pd.DataFrame) else
             execute("SELECT * FROM t LIMIT 0", {"t": customers}, engine=engine, spark=spark).dtypes)
    categories = set(settings.categories.get("customers", ()))
    kinds, guessed = {}, []
    for column, dtype in types.items():
        if column == "customer_id" or column in PII_COLUMNS:
            continue
        if column in categories or CODE_NAMES.search(column):
            kinds[column] = "text"
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            kinds[column] = "date"
        elif pd.api.types.is_numeric_dtype(dtype):
            kinds[column] = "number"
        else:
            kinds[column] = "text"
            guessed += [column] * (not isinstance(customers, pd.DataFrame))   # the loader typed a DataFrame's
    if guessed:
        counts = ", ".join(
            f"count({c}) AS present_{i}, count(TRY_CAST({c} AS DOUBLE)) AS numbers_{i}, "
            f"count(TRY_CAST({c} AS TIMESTAMPTZ)) AS dates_{i}, "
            f"max(CASE WHEN regexp_matches({c}, '^0[0-9]') THEN 1 ELSE 0 END) AS zero_first_{i}"
            for i, c in enumerate(map(_quoted, guessed)))
        found = execute(f"SELECT {counts} FROM customers", {"customers": customers}, engine=engine,
                        spark=spark).iloc[0]
        for i, column in enumerate(guessed):
            present = found[f"present_{i}"]
            if not present or found[f"zero_first_{i}"]:
                continue
            if found[f"numbers_{i}"] == present:
                kinds[column] = "number"
            elif DATE_NAMES.search(column) and found[f"dates_{i}"] == present:
                kinds[column] = "date"
    return list(kinds.items())


def _personas(out: Path, n_personas, random_state: int, engine: str, spark, skip) -> int | None:
    """Personas selected on a sample of the customer features, every customer assigned in the engine.

    Writes ``personas.parquet`` (customer_id, persona, persona_name: the
    table a CRM reads, written by the engine) and ``persona_profiles.parquet``
    (the model's profile of each persona, with its customers in the whole table).
    """
    from ..features import persona_basis
    from ..personas import PersonaModel
    from ..privacy import MIN_GROUP_SIZE

    features = str(out / "customer_features.parquet")
    sample = execute(f"SELECT * FROM (SELECT * FROM features ORDER BY md5(customer_id || $seed) "
                     f"LIMIT {PERSONA_SAMPLE}) AS sample ORDER BY customer_id", {"features": features},
                     engine=engine, parameters={"seed": str(random_state)}, spark=spark).set_index("customer_id")
    if len(sample) < 2 * MIN_GROUP_SIZE or not (sample.nunique() > 1).any():
        skip("personas", _("%(n)s customers with features, at least %(needed)s who differ are needed for two "
                           "personas") % {"n": f"{len(sample):,}", "needed": 2 * MIN_GROUP_SIZE})
        return None
    model = PersonaModel(n_personas, active=persona_basis(sample) or None, random_state=random_state).fit(sample)
    assign_personas(features, model, engine=engine, into=out / "personas.parquet", spark=spark)
    sizes = execute("SELECT persona, count(*) AS customers FROM assigned GROUP BY persona ORDER BY persona",
                    {"assigned": str(out / "personas.parquet")}, engine=engine, spark=spark).set_index("persona")
    profiles = model.personas_.join(sizes["customers"].rename("customers_assigned"))
    profiles.rename_axis("persona").reset_index().to_parquet(out / "persona_profiles.parquet", index=False)
    return int(sizes["customers"].sum())


def _scope_kinds(tables: dict, settings, engine: str, spark) -> dict:
    """Each touchpoint, channel and stage of the events and surveys and its kind (a touchpoint first, as
    cxresearch.interventions)."""
    kinds = {}
    for kind in ("touchpoint", "channel"):
        for table in (tables[name] for name in ("events", "surveys") if name in tables):
            if kind in table_columns(table, engine=engine, spark=spark):
                places = execute(f"SELECT DISTINCT {kind} AS place FROM t WHERE {kind} IS NOT NULL", {"t": table},
                                 engine=engine, spark=spark)["place"]
                kinds |= {str(place): kind for place in places if str(place) not in kinds}
        if kind == "touchpoint":
            kinds |= {tp: kind for tps in settings.stages.values() for tp in tps if tp not in kinds}
    return kinds | {stage: "stage" for stage in settings.stages if stage not in kinds}


def _intervention_arms(interventions: pd.DataFrame, tables: dict, settings, out: Path, window: pd.Timedelta,
                       engine: str, spark, skip) -> int:
    """The arms of every intervention on every survey metric: ``intervention_cells.parquet``, ``intervention_arms.parquet``.

    The cells are :func:`~cxresearch.sql.intervention_cells` around each
    start, in windows of *window* before and after it (the after window cut at
    the intervention's end, as :mod:`cxresearch.interventions` cuts it) and
    :data:`_BINS` bins each; the arms table sums them per
    intervention, metric, arm and window (answers, customers, mean).
    """
    present = table_columns(tables["surveys"], engine=engine, spark=spark)
    metrics = [metric for metric in _SCORES if metric.removesuffix("_mean") in present]
    kinds = _scope_kinds(tables, settings, engine, spark)
    touchpoint_stage = {tp: stage for stage, tps in settings.stages.items() for tp in tps}
    cells = []
    for intervention in interventions.itertuples(index=False):
        kind = kinds.get(intervention.scope)
        if kind is None:
            skip(f"intervention {intervention.intervention_id}",
                 _("its scope %(scope)r is not a touchpoint, channel or stage of the data") % {
                     "scope": intervention.scope})
            continue
        after_end = intervention.start + window
        if "end" in interventions and pd.notna(intervention.end):
            after_end = min(after_end, intervention.end)
        for metric in metrics:
            found = intervention_cells(tables["surveys"], scope=intervention.scope, kind=kind, metric=metric,
                                       before_start=intervention.start - window, start=intervention.start,
                                       after_end=after_end, bins=_BINS, touchpoint_stage=touchpoint_stage,
                                       engine=engine, spark=spark)
            cells.append(found.assign(intervention_id=intervention.intervention_id, metric=metric))
    if not cells:
        return 0
    cells = pd.concat(cells, ignore_index=True)
    cells = cells[["intervention_id", "metric", *cells.columns[:-2]]]
    cells.to_parquet(out / "intervention_cells.parquet", index=False)
    window = cells["bin"].ge(_BINS).map({False: "before", True: "after"}).rename("window")
    arms = cells.groupby(["intervention_id", "metric", "arm", window], sort=True).agg(
        answers=("n", "sum"), total=("total", "sum"), customers=("customer", "nunique")).reset_index()
    arms.assign(mean=arms.pop("total") / arms["answers"]).to_parquet(out / "intervention_arms.parquet", index=False)
    return len(cells)

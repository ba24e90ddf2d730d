"""The routine's engine step (``cxresearch run --engine``): checks and heavy aggregations where the tables live.

:func:`run_on_engine` reads a dataset folder's settings, finds each table
(``tables:`` of ``dataset.yml``, else the folder's own Parquet file), checks
every table in the engine (:mod:`cxresearch.sql.checks`) and writes the
scalable aggregations as Parquet into a run folder, with ``engine_run.json``
saying what was computed, from where, in how long, and what was not and why.
Only the aggregates leave the engine; the per-customer event aggregates are
written by the engine itself, never passing through pandas.

What does not run here yet, said in the manifest and by the command: the
notebook pages (they read the whole dataset in memory), persona selection and
assignment (they need the full customer-features table: call
:func:`cxresearch.sql.personas.assign_personas` on a features table with a
model fitted on a sample), intervention effects and the text analyses.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pyarrow.dataset

from ..errors import DataError, ParameterError, Problem, ValidationReport
from ..i18n import _
from ..readers import find_file
from ..settings import CONFIG_FILE, ENGINE_TABLES, read_settings, spark_table_only
from ..engine import SQL_ENGINES, execute, table_columns, write_parquet
from . import _literal, _quoted, event_features_query, funnel, gap_parameters, kpi_counts, stage_counts, transitions
from .checks import check_table

__all__ = ["run_on_engine", "check_on_engine", "table_sources", "NOT_ON_ENGINE", "MANIFEST"]

MANIFEST = "engine_run.json"
#: Service channels of the event features (cxresearch.features' own).
_SERVICE_CHANNELS = ("chat", "call_center")
#: What the engine step leaves out, and why (the manifest and the command say it).
NOT_ON_ENGINE = {
    "notebook pages": "they read the whole dataset in memory; run `cxresearch run` without --engine on an extract",
    "personas": "selection and assignment need the full customer-features table (profile, survey and event "
                "features); call cxresearch.sql.personas.assign_personas on such a table with a model fitted on "
                "a sample",
    "intervention effects": "the cells are in cxresearch.sql.intervention_cells; the bootstrap and the verdicts "
                            "are not wired into the engine step yet",
    "comments, reviews' text and topics": "text analyses run in memory only",
}


def table_sources(folder: Path, settings, report: ValidationReport, engine: str = "duckdb") -> dict:
    """Each of :data:`~cxresearch.settings.ENGINE_TABLES`' source: its ``tables:`` entry, else the folder's Parquet file.

    A table whose only file is CSV is a problem: the engine path reads Parquet.
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
        if file.suffix != ".parquet":
            report.problems.append(Problem(file.name, _("the engine reads Parquet; %(file)s is CSV. Write it as "
                                                        "Parquet (%(table)s.parquet), or name its Parquet copy under "
                                                        "tables.%(table)s in %(config)s.") % {
                                                            "file": file.name, "table": table, "config": CONFIG_FILE}))
            continue
        sources[table] = str(file)
    return sources


def check_on_engine(folder, *, engine: str | None = None, spark=None, progress=print):
    """Check the settings and the tables of the dataset at *folder* in the engine (``cxresearch validate --engine``).

    Returns
    -------
    ValidationReport, settings, sources, engine
        The report (problems of ``dataset.yml``, of finding the tables and of
        each table's rows), the checked settings, each table's source and the
        engine used (*engine*, else the ``engine:`` of ``dataset.yml``, else DuckDB).
    """
    folder = Path(folder)
    report = ValidationReport(folder)
    settings = read_settings(folder, report)
    engine = engine or settings.engine or "duckdb"
    if engine not in SQL_ENGINES:
        raise ParameterError(f"engine must be one of {', '.join(SQL_ENGINES)}; got {engine!r}.")
    sources = table_sources(folder, settings, report, engine)
    if "events" not in sources and "surveys" not in sources and not report.problems:
        report.problems.append(Problem(folder.name, _("the engine step needs events or surveys: neither is in the "
                                                      "folder as Parquet nor under tables: in %(config)s.") % {
                                                          "config": CONFIG_FILE}))
    if report.problems:
        return report, settings, sources, engine
    for table, source in sources.items():
        progress(_("Checking %(table)s in %(engine)s") % {"table": table, "engine": engine})
        name = Path(source).name if table not in settings.tables else f"{table} ({source})"
        report.problems += check_table(source, table, name=name, engine=engine, spark=spark)
    return report, settings, sources, engine


def run_on_engine(folder, reports, *, engine: str | None = None, spark=None, progress=print) -> Path:
    """Check the dataset at *folder* and write its aggregates into a new folder under *reports*; return it.

    Parameters
    ----------
    folder : path
        The dataset folder (its ``dataset.yml`` may name tables elsewhere).
    reports : path
        Where the run folder (``<run id>-engine``) is created.
    engine : {"duckdb", "spark"}, optional
        Default: the ``engine:`` of ``dataset.yml``, else DuckDB.

    Raises
    ------
    DataError
        With every problem of the settings and of every table, checked in the engine.
    """
    from ..routine.runs import new_run_id

    report, settings, sources, engine = check_on_engine(folder, engine=engine, spark=spark, progress=progress)
    if report.problems:
        raise DataError(report.problems)
    run = {"engine": engine, "tables": sources, "steps": [], "not_on_engine": NOT_ON_ENGINE}

    def step(name: str, compute) -> None:
        start = time.perf_counter()
        rows = compute()
        run["steps"].append({"step": name, "rows": rows, "seconds": round(time.perf_counter() - start, 1)})
        progress(_("%(step)s: %(rows)s rows, %(seconds).1f s") % {"step": name, "rows": f"{rows:,}",
                                                                   "seconds": run["steps"][-1]["seconds"]})

    out = Path(reports) / f"{new_run_id()}-engine"
    out.mkdir(parents=True)
    touchpoint_stage = {tp: stage for stage, tps in settings.stages.items() for tp in tps}
    stages = list(settings.stages)
    journey = {"stages": stages, "touchpoint_stage": touchpoint_stage, "gap": settings.session_gap, "engine": engine,
               "spark": spark}

    def save(name: str, table: pd.DataFrame) -> int:
        table.to_parquet(out / f"{name}.parquet", index=False)
        return len(table)

    if "events" in sources:
        events = sources["events"]
        step("transitions", lambda: save("transitions", transitions(events, gap=settings.session_gap, engine=engine,
                                                                    spark=spark)))
        step("stages", lambda: save("stages", stage_counts(events, **journey)))
        if stages:
            step("funnel", lambda: save("funnel", funnel(events, stages, **journey)))
        step("customer event aggregates", lambda: _event_aggregates(events, out, stages, touchpoint_stage,
                                                                    settings.session_gap, engine, spark))
    if "surveys" in sources:
        present = table_columns(sources["surveys"], engine=engine, spark=spark)
        for by in [[]] + [[column] for column in ("channel", "touchpoint") if column in present]:
            name = "kpis" + "".join(f"_by_{column}" for column in by)
            step(name, lambda by=by, name=name: save(name, kpi_counts(sources["surveys"], by=by, engine=engine,
                                                                      spark=spark)))
    (out / MANIFEST).write_text(json.dumps(run, indent=2, default=str), encoding="utf-8")
    return out


def _event_aggregates(events, out: Path, stages: list, touchpoint_stage: dict, gap, engine: str, spark) -> int:
    """Per-customer event aggregates (cxresearch.features' event features before their ratios), written by the engine.

    Columns: customer_id, n_events, n_sessions, first, last, n_purchases,
    spend, service_contacts, cross_channel_sessions, ``events_on_<channel>``
    and ``reached_<stage>`` (1.0 or 0.0).
    """
    channels = execute("SELECT DISTINCT channel FROM events WHERE channel IS NOT NULL ORDER BY channel",
                       {"events": events}, engine=engine, spark=spark)["channel"].tolist()
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
    return pyarrow.dataset.dataset(str(path)).count_rows()

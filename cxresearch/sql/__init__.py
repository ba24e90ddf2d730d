"""The scalable aggregations, each defined once in SQL (DuckDB's dialect) and run by :func:`cxresearch.engine.execute`.

Every function takes its table where it lives (a pandas DataFrame, a Parquet
path, glob or URI, or on Spark a catalog table name) and returns the small
aggregate as a pandas DataFrame, with the same numbers on DuckDB and on Spark
as the in-memory pandas paths give (tests/unit/test_engines.py):

- :func:`transitions`: the transitions table of :class:`~cxresearch.journeys.JourneyMap`.
- :func:`stage_counts`: its stage table (reach, conversion, time, exits).
- :func:`funnel`: the customers through given steps in order (:meth:`JourneyMap.funnel
  <cxresearch.journeys.JourneyMap.funnel>`).
- :func:`kpi_counts`: NPS, CSAT and CES per group, from counts and sums.
- :func:`intervention_cells`: the per-customer, per-arm, per-bin sums the
  intervention bootstrap resamples.
- :func:`event_features_query`: the per-customer event aggregates of
  :func:`cxresearch.features.event_features` (its DuckDB path).
- :func:`linked_query`: survey answers and reviews without ``customer_id``
  linked to customers by email or phone, as the loader links them.
- :func:`customer_features_query`: the columns of
  :func:`cxresearch.features.customer_features`, from those aggregates, the
  surveys, the reviews and the customers table.

The sessions are cut in SQL by ``journey.sql`` as :mod:`cxresearch.sessions`
cuts them; events of one customer at the same instant keep the file order of
a DataFrame, and on a lake table (no file order) follow touchpoint and channel.
Rows are not suppressed here: callers apply ``min_group_size`` to what they show.
"""
from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

from .._checks import check_choice, check_duration
from ..columns import days_since, name_part, zero_when_absent
from ..engine import execute, table_columns
from ..errors import ParameterError

__all__ = ["transitions", "stage_counts", "funnel", "kpi_counts", "intervention_cells", "journey_query", "event_features_query",
           "customer_features_query", "linked_query", "gap_parameters"]

#: Inactivity that ends a session between events without a session id (cxresearch.sessions' default).
DEFAULT_GAP = pd.Timedelta("30min")
_NEVER_US = np.iinfo(np.int64).max
_JOURNEY_OPTIONAL = ("session_id", "stage", "value", "event")


def _text(name: str) -> str:
    return resources.files(__name__).joinpath(f"{name}.sql").read_text(encoding="utf-8")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _stage_map(mapping: dict) -> pd.DataFrame:
    """The ``stage_map`` table (touchpoint, stage) of a touchpoint -> stage mapping."""
    return pd.DataFrame({"touchpoint": pd.Series(list(mapping), dtype=object),
                         "stage": pd.Series(list(mapping.values()), dtype=object)})


def journey_query(columns, *, touchpoint_stage: bool = False) -> str:
    """``journey.sql`` for an events table with *columns*; stages from ``stage_map`` when *touchpoint_stage*."""
    fill = {name: _quoted(name) if name in columns else "NULL" for name in _JOURNEY_OPTIONAL}
    fill["tie"] = "event_row" if "event_row" in columns else "touchpoint, channel"
    if "stage" not in columns and touchpoint_stage:
        fill["stage"] = "(SELECT max(stage_map.stage) FROM stage_map WHERE stage_map.touchpoint = events.touchpoint)"
    return _text("journey").format(**fill)


def _journey_tables(events, *, engine: str, stages, touchpoint_stage, gap, spark):
    """The query's text, tables and parameters shared by every journey aggregation.

    A DataFrame gets ``event_row`` (its row order), so events at the same instant keep the file order, as in pandas.
    """
    if isinstance(events, pd.DataFrame) and "event_row" not in events.columns:
        events = events.assign(event_row=np.arange(len(events)))
    columns = table_columns(events, engine=engine, spark=spark)
    mapping = dict(touchpoint_stage or {})
    order = list(stages)   # stages found in the data but not listed follow alphabetically (journey.sql)
    tables = {"events": events,
              "stage_order": pd.DataFrame({"stage": pd.Series(order, dtype=object),
                                           "rank": np.arange(1, len(order) + 1, dtype=np.int64)}),
              "stage_map": _stage_map(mapping)}
    journey = journey_query(columns, touchpoint_stage=bool(mapping))
    return journey, tables, gap_parameters(gap)


def gap_parameters(gap) -> dict:
    """``$gap_us`` and ``$trust_ids`` of a session *gap* ("auto", None or a duration; see :mod:`cxresearch.sessions`)."""
    if isinstance(gap, str) and gap == "auto":
        gap_us, trust_ids = DEFAULT_GAP.value // 1000, True
    elif gap is None:
        gap_us, trust_ids = _NEVER_US, False
    else:
        gap_us, trust_ids = pd.Timedelta(gap).value // 1000, False
    return {"gap_us": int(gap_us), "trust_ids": trust_ids}


def event_features_query(columns, *, channels=(), stages=(), service_channels=()) -> str:
    """``event_features.sql`` for an events table with *columns* (parameters: :func:`gap_parameters`).

    Ties in time are ordered by ``event_row`` (the file order, as the pandas path
    orders them) when the table has it, else by touchpoint and channel (as
    ``journey.sql``). ``_on_<i>`` counts the events on ``channels[i]``,
    ``_reached_<i>`` is 1.0 when the customer has an event in ``stages[i]``;
    events on *service_channels* or in stage "service" are service contacts.
    """
    def code(column, values):
        cases = " ".join(f"WHEN {_literal(v)} THEN {i}" for i, v in enumerate(values))
        return f"CASE {column} {cases} ELSE -1 END" if cases and column in columns else "-1"

    purchase = " OR ".join([*(["value > 0"] if "value" in columns else []),
                            *(["event = 'purchase'"] if "event" in columns else [])]) or "FALSE"
    service = " OR ".join([f"channel IN ({', '.join(map(_literal, service_channels))})"] * bool(service_channels)
                          + ["stage = 'service'"] * ("stage" in columns)) or "FALSE"
    per_value = [f", sum(CASE WHEN channel_code = {i} THEN 1 ELSE 0 END) AS _on_{i}" for i in range(len(channels))]
    per_value += [f", max(CASE WHEN stage_code = {i} THEN 1.0 ELSE 0.0 END) AS _reached_{i}" for i in range(len(stages))]
    return _text("event_features").format(
        tie="event_row" if "event_row" in columns else "touchpoint, channel",
        session_id="session_id" if "session_id" in columns else "CAST(NULL AS VARCHAR)",
        channel_code=code("channel", channels), stage_code=code("stage", stages), purchase=purchase,
        paid="CASE WHEN value > 0 THEN value ELSE 0 END" if "value" in columns else "0", service=service,
        per_value="".join(per_value))


def customer_features_query(*, channels=(), stages=(), events: bool = True, surveys=None, reviews=None,
                            attributes=None, times=("aggregates",)) -> str:
    """The columns of :func:`cxresearch.features.customer_features`, one row per customer.

    It reads table ``aggregates`` when *events* (the per-customer event
    aggregates: the columns of :func:`event_features_query` with ``_on_<i>``
    named ``events_on_<channel>`` and ``_reached_<i>`` named
    ``reached_<stage>``, as ``cxresearch run --engine`` writes them); unless
    *surveys* is None, table ``surveys`` (answers with a ``customer_id``), of
    which *surveys* names the score and ``rating_*`` columns to average; unless
    *reviews* is None, table ``reviews`` (with ``customer_id`` and ``rating``),
    of which *reviews* names the other columns averaged (``["sentiment"]``
    when they carry one, as ``review_sentiment``); unless *attributes* is None,
    table ``customers``, whose rows are then the rows of the result and whose
    *attributes* pair each column with its kind: ``"number"``, ``"text"`` or
    ``"date"`` (days from it to the reference time, as ``days_since_<name>``).
    Surveys and reviews come linked to the customers (:func:`linked_query`).
    Without customers, the customers are those of any other table. Counts and
    shares are 0 where a table has no row of the customer, averages are
    missing. Recency, tenure and the days since dates are counted to the
    latest ``timestamp`` of the tables *times* names (``aggregates``: its
    ``last``), as ``customer_features`` counts them.
    """
    def days(since):   # microseconds over a double literal: on Spark 86400000000.0 is a decimal, which rounds
        return f"date_diff('microsecond', {since}, (SELECT reference_time FROM reference)) / 8.64e10"

    profile = {name: f"CAST(customers.{_quoted(name)} AS {'DOUBLE' if kind == 'number' else 'VARCHAR'})"
               for name, kind in attributes or () if kind != "date"}
    profile |= {days_since(name): f"CAST({days(f'CAST(customers.{_quoted(name)} AS TIMESTAMPTZ)')} AS DOUBLE)"
                for name, kind in attributes or () if kind == "date"}
    columns, parts, ctes = {}, [], []
    if events:
        tenure = days('aggregates."first"')
        on = [f"aggregates.{_quoted('events_on_' + str(channel))}" for channel in channels]
        per_channel = f"({' + '.join(on)})" if on else "0"
        event = {"n_events": "aggregates.n_events", "n_sessions": "aggregates.n_sessions",
                 "n_channels": " + ".join(f"CASE WHEN {c} > 0 THEN 1 ELSE 0 END" for c in on) or "0",
                 "n_purchases": "aggregates.n_purchases", "spend": "aggregates.spend",
                 "service_contacts": "aggregates.service_contacts",
                 "events_per_session": "aggregates.n_events / aggregates.n_sessions",
                 "recency_days": days('aggregates."last"'), "tenure_days": tenure,
                 "frequency": f"aggregates.n_sessions / greatest({tenure}, 30) * 30",
                 "avg_order_value": "CASE WHEN aggregates.n_purchases > 0 THEN aggregates.spend / "
                                    "aggregates.n_purchases ELSE 0 END",
                 "cross_channel_sessions": "aggregates.cross_channel_sessions"}
        event |= {f"share_{name_part(channel)}": f"{c} / {per_channel}" for channel, c in zip(channels, on)}
        event |= {f"reached_{name_part(stage)}": f"aggregates.{_quoted('reached_' + stage)}" for stage in stages}
        columns |= {name: f"CAST({expression} AS DOUBLE)" for name, expression in event.items()}
        parts.append(("aggregates", "CAST(aggregates.customer_id AS VARCHAR)"))
    for alias, table, count, averaged in (("surveyed", "surveys", "n_surveys", {c: c for c in surveys or ()}),
                                          ("reviewed", "reviews", "n_reviews",
                                           {"review_rating": "rating"} | {f"review_{c}": c for c in reviews or ()})):
        if (surveys if table == "surveys" else reviews) is None:
            continue
        linked = f"CAST({table}.customer_id AS VARCHAR)"
        means = "".join(f", avg(CAST({table}.{_quoted(c)} AS DOUBLE)) AS {_quoted(name)}" for name, c in averaged.items())
        ctes.append(f"{alias} AS (SELECT {linked} AS customer_id, CAST(count(*) AS DOUBLE) AS {count}{means} "
                    f"FROM {table} WHERE {linked} IS NOT NULL GROUP BY {linked})")
        columns |= {name: f"{alias}.{_quoted(name)}" for name in (count, *averaged)}
        parts.append((alias, f"{alias}.customer_id"))
    if attributes is not None:
        key = "CAST(customers.customer_id AS VARCHAR)"
        joined = "customers" + "".join(f" LEFT JOIN {alias} ON {part} = {key}" for alias, part in parts)
    else:
        keys = [part for _alias, part in parts]
        key = f"coalesce({', '.join(keys)})" if len(keys) > 1 else keys[0]
        joined = parts[0][0] + "".join(
            f" FULL OUTER JOIN {alias} ON {part} = " + (f"coalesce({', '.join(keys[:i])})" if i > 1 else keys[0])
            for i, (alias, part) in enumerate(parts[1:], 1))
    latest = [f"(SELECT max({_quoted('last') if table == 'aggregates' else 'timestamp'}) FROM {table})"
              for table in times]
    reference = (f"greatest({', '.join(latest)})" if len(latest) > 1 else latest[0] if latest
                 else "CAST(NULL AS TIMESTAMPTZ)")
    shown = ", ".join([*(f"{e} AS {_quoted(n)}" for n, e in profile.items()),
                       *(f"coalesce({e}, 0.0) AS {_quoted(n)}" if zero_when_absent(n) else f"{e} AS {_quoted(n)}"
                         for n, e in columns.items())])
    return (f"WITH reference AS (SELECT {reference} AS reference_time){''.join(', ' + c for c in ctes)} "
            f"SELECT {key} AS customer_id{', ' if shown else ''}{shown} FROM {joined}")


def linked_query(table: str, columns, keys) -> str:
    """*table* (of *columns*) with each row without ``customer_id`` given the customer of table ``customers`` it matches.

    A row matches the one customer with the same normalised identity, by
    each of *keys* in turn (``email``, then ``phone``; an identity two
    customers share links no row), as the loader links them
    (:func:`cxresearch.crosstable.link_identities`). The result has *columns*,
    and ``customer_id`` as text even when *table* lacks it.

    Examples
    --------
    >>> from cxresearch.engine import execute
    >>> customers = pd.DataFrame({"customer_id": ["a", "b"], "email": ["a@x.it", "b@x.it"]})
    >>> surveys = pd.DataFrame({"response_id": ["r1", "r2", "r3"], "email": [" A@x.it", "b@x.it", "z@x.it"]})
    >>> execute(linked_query("surveys", ["response_id", "email"], ["email"]) + " ORDER BY response_id",
    ...         {"surveys": surveys, "customers": customers})["customer_id"].fillna("none").tolist()
    ['a', 'b', 'none']
    """
    own = f"CAST({table}.customer_id AS VARCHAR)" if "customer_id" in columns else "CAST(NULL AS VARCHAR)"
    linked = f"coalesce({own}, {', '.join(f'by_{k}.customer_id' for k in keys)})" if keys else own
    joins = "".join(
        f" LEFT JOIN (SELECT {_identity(k, 'customers.' + k)} AS identity, min(CAST(customers.customer_id AS "
        f"VARCHAR)) AS customer_id FROM customers WHERE {_identity(k, 'customers.' + k)} IS NOT NULL GROUP BY "
        f"{_identity(k, 'customers.' + k)} HAVING count(*) = 1) AS by_{k} ON {own} IS NULL AND "
        f"by_{k}.identity = {_identity(k, f'{table}.{k}')}" for k in keys)
    kept = "".join(f"{table}.{_quoted(c)}, " for c in columns if c != "customer_id")
    return f"SELECT {kept}{linked} AS customer_id FROM {table}{joins}"


def _identity(key: str, column: str) -> str:
    """*column* normalised as :mod:`cxresearch.privacy` normalises an email or a phone number, in SQL."""
    if key == "email":
        return f"nullif(lower(trim(CAST({column} AS VARCHAR))), '')"
    digits = f"regexp_replace(CAST({column} AS VARCHAR), '[^0-9]', '', 'g')"
    return f"CASE WHEN length({digits}) < 6 THEN NULL ELSE right({digits}, 9) END"


def _literal(value) -> str:
    """*value* as a SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def transitions(events, *, gap="auto", engine: str = "duckdb", spark=None) -> pd.DataFrame:
    """Transitions between consecutive events of a session, most frequent first.

    Columns ``from_touchpoint``, ``to_touchpoint``, ``count``, ``customers``,
    ``median_time`` (Timedelta), as :attr:`JourneyMap.transitions
    <cxresearch.journeys.JourneyMap.transitions>` without suppression.

    Examples
    --------
    >>> events = pd.DataFrame({"customer_id": ["a", "a", "a"], "channel": "web",
    ...     "touchpoint": ["home", "cart", "home"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:02", "2024-01-01 12:00"], utc=True)})
    >>> transitions(events)[["from_touchpoint", "to_touchpoint", "count"]].to_dict("records")
    [{'from_touchpoint': 'home', 'to_touchpoint': 'cart', 'count': 1}]
    """
    journey, tables, parameters = _journey_tables(events, engine=engine, stages=(), touchpoint_stage=None, gap=gap,
                                                  spark=spark)
    table = execute(_text("transitions").format(journey=journey), tables, engine=engine, parameters=parameters,
                    spark=spark)
    return table.assign(median_time=_microseconds(table.pop("median_us")))


def stage_counts(events, *, stages=(), touchpoint_stage=None, gap="auto", engine: str = "duckdb",
                 spark=None) -> pd.DataFrame:
    """The stage table of a journey: reach, conversion from the previous stage, time, exits.

    Columns ``stage``, ``customers``, ``share``, ``converted``, ``conversion``,
    ``drop_off``, ``median_time_from_previous``, ``events``, ``exits``,
    ``exit_rate``, as :attr:`JourneyMap.stages <cxresearch.journeys.JourneyMap.stages>`
    without the CSAT columns and without suppression. Stages come from the
    events' ``stage`` column, else from *touchpoint_stage*; *stages* gives their
    order (others follow alphabetically).
    """
    journey, tables, parameters = _journey_tables(events, engine=engine, stages=stages,
                                                  touchpoint_stage=touchpoint_stage, gap=gap, spark=spark)
    counts = execute(_text("stages").format(journey=journey), tables, engine=engine, parameters=parameters,
                     spark=spark)
    first = counts["stage_rank"].eq(counts["stage_rank"].min())
    previous = counts["customers"].shift(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        conversion = (counts["converted"] / previous).where(~first)
    return pd.DataFrame({
        "stage": counts["stage"], "customers": counts["customers"],
        "share": counts["customers"] / counts["all_customers"], "converted": counts["converted"],
        "conversion": conversion, "drop_off": 1 - conversion,
        "median_time_from_previous": _microseconds(counts["median_us"]),
        "events": counts["events"], "exits": counts["exits"],
        "exit_rate": counts["exits"] / counts["events"].clip(lower=1)})


_FUNNEL_STEP = """, step_{i} AS (
    SELECT previous.customer_id, min(matched.customer_position) AS position, min(matched.timestamp) AS reached,
           previous.started, previous.reached AS since
    FROM step_{j} AS previous
    JOIN matched ON matched.customer_id = previous.customer_id AND matched.customer_position > previous.position
    WHERE matched.m_{i}
    GROUP BY previous.customer_id, previous.started, previous.reached{having}
)"""


def funnel(events, steps, *, stages=(), touchpoint_stage=None, within=None, gap="auto", engine: str = "duckdb",
           spark=None) -> pd.DataFrame:
    """Customers who went through *steps* in order, as :meth:`JourneyMap.funnel <cxresearch.journeys.JourneyMap.funnel>`.

    *steps* and *within* as there; *events*, *stages*, *touchpoint_stage* and
    *gap* as :func:`stage_counts`. Returns the same columns, without suppression.

    Raises
    ------
    ParameterError
        When *steps* is empty, or a step is neither a stage nor a touchpoint
        of the events (nor a touchpoint of *touchpoint_stage*).

    Examples
    --------
    >>> events = pd.DataFrame({"customer_id": ["a", "a", "b"], "channel": "web",
    ...     "touchpoint": ["home", "cart", "home"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:02", "2024-01-01 12:00"], utc=True)})
    >>> funnel(events, ["home", "cart"])[["name", "customers", "conversion"]].to_dict("list")
    {'name': ['home', 'cart'], 'customers': [2, 1], 'conversion': [nan, 0.5]}
    """
    steps = [str(step) for step in ([steps] if isinstance(steps, str) else steps)]
    if not steps:
        raise ParameterError("funnel needs at least one step; got an empty list.")
    window = check_duration("within", within, optional=True)
    journey, tables, parameters = _journey_tables(events, engine=engine, stages=stages,
                                                  touchpoint_stage=touchpoint_stage, gap=gap, spark=spark)
    declared = set(stages)
    flags = ", ".join(f"coalesce(max(CASE WHEN {column} = {_literal(step)} THEN 1 ELSE 0 END), 0) AS {column}_{i}"
                      for i, step in enumerate(steps, 1) for column in ("stage", "touchpoint"))
    matches = ", ".join(
        f"coalesce(journey.stage = {_literal(step)}, FALSE)"
        + ("" if step in declared else f" OR (journey.touchpoint = {_literal(step)} AND labels.stage_{i} = 0)")
        + f" AS m_{i}" for i, step in enumerate(steps, 1))
    having = ("" if window is None else
              "\n    HAVING date_diff('microsecond', previous.started, min(matched.timestamp)) <= $within_us")
    if window is not None:
        parameters["within_us"] = window.value // 1000
    chain = "".join(_FUNNEL_STEP.format(i=i, j=i - 1, having=having) for i in range(2, len(steps) + 1))
    counts = " UNION ALL ".join(f"SELECT {i} AS step, count(*) AS customers, "
                                f"median(date_diff('microsecond', since, reached)) AS median_us FROM step_{i}"
                                for i in range(1, len(steps) + 1))
    table = execute(_text("funnel").format(journey=journey, flags=flags, matches=matches, steps=chain, counts=counts),
                    tables, engine=engine, parameters=parameters, spark=spark)
    known = set(touchpoint_stage or {}) | declared
    unknown = [step for i, step in enumerate(steps, 1)
               if step not in known and not (table[f"stage_{i}"].iloc[0] or table[f"touchpoint_{i}"].iloc[0])]
    if unknown:
        raise ParameterError(f"unknown funnel step {unknown[0]!r}: no event has it as its stage or touchpoint.")
    customers = table["customers"].astype(np.int64)
    first = customers.iloc[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        conversion = (customers / customers.shift(1)).where(table["step"] > 1)
        share = customers / first if first else pd.Series(np.nan, index=customers.index)
    return pd.DataFrame({"step": table["step"], "name": pd.Series(steps, dtype=object), "customers": customers,
                         "share_of_first": share, "conversion": conversion, "drop_off": 1 - conversion,
                         "median_time_from_previous": _microseconds(table["median_us"])})


def _microseconds(values: pd.Series) -> pd.Series:
    """Microseconds (a median may end in .5) as nanosecond Timedeltas, NaT where missing."""
    return pd.to_timedelta((values.astype(float) * 1000).round(), unit="ns").astype("timedelta64[ns]")


def kpi_counts(surveys, *, by=(), engine: str = "duckdb", spark=None) -> pd.DataFrame:
    """NPS (points), CSAT (top-2-box share of 1, and mean) and CES (mean) per group, with their counts.

    Columns: the *by* columns, then ``nps``, ``nps_n``, ``promoters``,
    ``detractors``, ``csat``, ``csat_mean``, ``csat_n``, ``ces``, ``ces_n``,
    ``answers``, ``respondents`` and per metric ``nps_respondents``,
    ``csat_respondents``, ``ces_respondents`` (distinct customers among the
    answers, an answer without ``customer_id`` a respondent of its own) and
    the sums and sums of squares behind the means (``*_sum``,
    ``*_sum_squares``), from which :mod:`cxresearch.stats` computes
    intervals. Values and respondents are those of
    :func:`cxresearch.stats.kpi_summary` on unweighted answers; answers
    linked to customers by email or phone (:func:`linked_query`) count for them.
    """
    by = [by] if isinstance(by, str) else list(by)
    columns = table_columns(surveys, engine=engine, spark=spark)
    fill = {metric: _quoted(metric) if metric in columns else "NULL" for metric in ("nps", "csat", "ces", "customer_id")}
    keys = ", ".join(map(_quoted, by))
    query = _text("kpi_counts").format(**fill, keys=keys + ("," if by else ""),
                                       group_by=f"GROUP BY {keys} ORDER BY {keys}" if by else "")
    counts = execute(query, {"surveys": surveys}, engine=engine, spark=spark)
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts.assign(
            nps=100 * (counts["promoters"] - counts["detractors"]) / counts["nps_n"].where(counts["nps_n"] > 0),
            csat=counts["csat_top2"] / counts["csat_n"].where(counts["csat_n"] > 0),
            csat_mean=counts["csat_sum"] / counts["csat_n"].where(counts["csat_n"] > 0),
            ces=counts["ces_sum"] / counts["ces_n"].where(counts["ces_n"] > 0))


#: Per-answer value whose mean is the metric (cxresearch.interventions' definitions), in SQL.
_SCORES = {"csat": "CAST(CASE WHEN csat IS NULL THEN NULL WHEN csat >= 4 THEN 1 ELSE 0 END AS DOUBLE)",
           "csat_mean": "CAST(csat AS DOUBLE)",
           "nps": "CAST(CASE WHEN nps IS NULL THEN NULL WHEN nps >= 9 THEN 100 WHEN nps <= 6 THEN -100 ELSE 0 END "
                  "AS DOUBLE)"}   # a double on Spark too, where 100.0 is a decimal


def intervention_cells(surveys, *, scope: str, kind: str, metric: str, before_start, start, after_end, bins: int = 4,
                       touchpoint_stage=None, engine: str = "duckdb", spark=None) -> pd.DataFrame:
    """Answers and score sums per customer, arm and time bin around one intervention.

    The windows are ``[before_start, start)`` and ``[start, after_end)``, each
    cut into *bins* bins of the before window's width (the last bin runs to
    *after_end*), as :mod:`cxresearch.interventions` cuts them; an answer
    belongs to the scope when its *kind* (``"touchpoint"``, ``"channel"`` or
    ``"stage"``, through *touchpoint_stage*) is *scope*.

    Returns
    -------
    DataFrame
        ``customer``, ``arm`` ("scope" or "comparison"), ``bin`` (0 to
        ``2 * bins - 1``; ``bins`` is the first after the start), ``n`` and ``total``.
    """
    check_choice("kind", kind, ("touchpoint", "channel", "stage"))
    check_choice("metric", metric, list(_SCORES))
    tables = {"surveys": surveys}
    place = _quoted(kind)
    if kind == "stage":
        place = "(SELECT max(stage_map.stage) FROM stage_map WHERE stage_map.touchpoint = surveys.touchpoint)"
        tables["stage_map"] = _stage_map(dict(touchpoint_stage or {}))
    before_start, start, after_end = (pd.Timestamp(t).tz_convert("UTC") if pd.Timestamp(t).tz else pd.Timestamp(t)
                                      for t in (before_start, start, after_end))
    width_us = (start - before_start).value // 1000 / bins
    parameters = {"scope": scope, "bin_us": float(width_us), "last_bin": 2 * bins - 1,
                  "before_start": before_start.tz_localize(None).isoformat(sep=" "),
                  "after_end": after_end.tz_localize(None).isoformat(sep=" ")}
    query = _text("intervention_cells").format(place=place, score=_SCORES[metric])
    return execute(query, tables, engine=engine, parameters=parameters, spark=spark)

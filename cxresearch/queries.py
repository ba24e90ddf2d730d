"""SQL definitions of the aggregations that must scale, in the DuckDB dialect.

Each function returns one query text: DuckDB runs it as is
(:func:`cxresearch.engine.sql`), and it is written in the subset of SQL that
SQLGlot transpiles to Spark SQL (window functions, ``CASE``, ``IS DISTINCT
FROM``, interval literals; no DuckDB-only functions), so one definition serves
every engine. Values that vary with the data (channel and stage names) are
inlined as quoted literals, never as engine-specific parameters.

:func:`event_features_sql`
    Per-customer behavioural features with the session cutting of
    :mod:`cxresearch.sessions`: each customer's events in time order (ties by
    ``row``, the file order), ``LAG`` of time and session id flagging where
    a session starts, then one ``GROUP BY`` customer.
"""
from __future__ import annotations

import pandas as pd

from .sessions import AUTO_GAP, DEFAULT_GAP

__all__ = ["event_features_sql", "literal"]

#: Channels whose events count as service contacts.
SERVICE_CHANNELS = ("chat", "call_center")


def literal(value) -> str:
    """*value* as a SQL string literal (single quotes doubled).

    Examples
    --------
    >>> literal("it's")
    "'it''s'"
    """
    return "'" + str(value).replace("'", "''") + "'"


def event_features_sql(columns, *, channels=(), stages=(), gap=AUTO_GAP, table: str = "events") -> str:
    """The per-customer event aggregates of :func:`cxresearch.features.event_features` as one query.

    Three steps: the events narrowed to numbers (channel and stage codes,
    purchase, paid value and service flags); one window over each customer's
    events in journey order, whose ``LAG`` of time, session id and channel
    flags session starts and channel changes; then one ``GROUP BY`` customer.
    A session is cross-channel when it holds a channel change; it is counted
    once, at its first change: of the session starts and channel changes in
    journey order, a change right after a start.

    Parameters
    ----------
    columns : collection of str
        Columns of *table*: ``customer_id``, ``timestamp``, ``channel`` and
        ``row`` (file order, to break ties in time) are required; ``session_id``,
        ``event``, ``value`` and ``stage`` are used when present.
    channels, stages : sequence of str
        Values counted per customer as ``_on_<i>`` (events on channel *i*) and
        ``_reached_<i>`` (1.0 when the customer has an event in stage *i*).
    gap : "auto", Timedelta or None
        Checked session gap (:func:`cxresearch.sessions.check_gap`).
    table : str
        Name of the events table.

    Returns
    -------
    str
        A query giving, per customer: ``customer_id``, ``n_events``,
        ``n_sessions``, ``first``, ``last`` (timestamps), ``n_purchases``,
        ``spend``, ``service_contacts``, ``cross_channel_sessions`` and the
        ``_on_<i>`` and ``_reached_<i>`` columns.
    """
    columns = set(columns)
    has_session = "session_id" in columns
    purchase = " OR ".join([*(["value > 0"] if "value" in columns else []),
                            *(["event = 'purchase'"] if "event" in columns else [])]) or "FALSE"
    service = f"channel IN ({', '.join(map(literal, SERVICE_CHANNELS))})"
    if "stage" in columns:
        service += " OR stage = 'service'"
    paid = "CASE WHEN value > 0 THEN value ELSE 0 END" if "value" in columns else "0"
    on = [f"SUM(CASE WHEN channel_code = {i} THEN 1 ELSE 0 END) AS _on_{i}" for i in range(len(channels))]
    reached = [f"MAX(CASE WHEN stage_code = {i} THEN 1.0 ELSE 0.0 END) AS _reached_{i}" for i in range(len(stages))]
    return f"""
WITH narrow AS (
    SELECT customer_id, timestamp, row, {"session_id" if has_session else "CAST(NULL AS VARCHAR) AS session_id"},
           {_code("channel", channels)} AS channel_code,
           {_code("stage", stages) if "stage" in columns else "-1"} AS stage_code,
           CASE WHEN {purchase} THEN 1 ELSE 0 END AS purchase,
           CASE WHEN {purchase} THEN {paid} ELSE 0 END AS paid,
           CASE WHEN {service} THEN 1 ELSE 0 END AS service
    FROM {table}
), flagged AS (
    SELECT customer_id, timestamp, row, channel_code, stage_code, purchase, paid, service,
           CASE WHEN {_session_start(has_session, gap)} THEN 1 ELSE 0 END AS new_session,
           CASE WHEN channel_code <> previous_channel THEN 1 ELSE 0 END AS channel_change
    FROM (SELECT *, LAG(timestamp) OVER journey AS previous_time, LAG(session_id) OVER journey AS previous_session,
                 LAG(channel_code) OVER journey AS previous_channel
          FROM narrow
          WINDOW journey AS (PARTITION BY customer_id ORDER BY timestamp, row))
), per_customer AS (
    SELECT customer_id, COUNT(*) AS n_events, SUM(new_session) AS n_sessions,
           MIN(timestamp) AS first, MAX(timestamp) AS last, SUM(purchase) AS n_purchases,
           SUM(paid) AS spend, SUM(service) AS service_contacts{"".join(", " + c for c in on + reached)}
    FROM flagged GROUP BY customer_id
), cross_channel AS (
    SELECT customer_id, SUM(CASE WHEN new_session = 0 AND previous_start = 1 THEN 1 ELSE 0 END) AS sessions
    FROM (SELECT customer_id, new_session,
                 LAG(new_session) OVER (PARTITION BY customer_id ORDER BY timestamp, row) AS previous_start
          FROM flagged WHERE new_session = 1 OR channel_change = 1)
    GROUP BY customer_id
)
SELECT per_customer.*, CAST(cross_channel.sessions AS DOUBLE) / n_sessions AS cross_channel_sessions
FROM per_customer JOIN cross_channel ON per_customer.customer_id = cross_channel.customer_id
"""


def _code(column: str, values) -> str:
    """``CASE`` giving the position of *column*'s value in *values* (-1 for others and missing values)."""
    if not len(values):
        return "-1"
    return f"CASE {column} {' '.join(f'WHEN {literal(v)} THEN {i}' for i, v in enumerate(values))} ELSE -1 END"


def _session_start(has_session: bool, gap) -> str:
    """The condition that an event starts a session (see :mod:`cxresearch.sessions`)."""
    conditions = ["previous_time IS NULL"]
    if has_session:
        conditions.append("session_id IS DISTINCT FROM previous_session")
    if gap is not None:
        auto = isinstance(gap, str) and gap == AUTO_GAP
        micros = (pd.Timedelta(DEFAULT_GAP) if auto else gap) // pd.Timedelta(microseconds=1)
        idle = f"timestamp > previous_time + INTERVAL '{micros}' MICROSECOND"
        if auto and has_session:  # two events of one given session stay together
            idle = f"({idle} AND (session_id IS NULL OR previous_session IS NULL))"
        conditions.append(idle)
    return " OR ".join(conditions)

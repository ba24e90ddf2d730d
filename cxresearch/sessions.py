"""Sessions: each customer's events cut where time passes or the session id changes.

session
    Consecutive events of one customer in time order (ties keep file order)
    until the ``session_id`` changes (a missing id counts as a value of its own)
    or more than ``gap`` passes between two events. With ``gap="auto"`` (the
    default) a given ``session_id`` is trusted: the time gap (30 minutes) only
    cuts between events that do not both carry one, so an order whose
    milestones are days apart stays one session. ``gap=None`` cuts only where
    the session id or the customer changes (one session per id, or per customer
    without ids). Sessions of one customer that overlap in time are cut where
    they alternate: journeys follow time, not ids.

:func:`sessionize` is the public entry; :func:`cut_sessions` is the encoded form
that :class:`~cxresearch.journeys.JourneyMap` builds its tables on.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ._checks import check_duration
from .errors import MAX_EXAMPLES, DataError, Problem, did_you_mean
from .eventcodes import encode, session_positions

__all__ = ["sessionize", "check_gap", "dataset_gap", "DEFAULT_GAP", "AUTO_GAP"]

#: Inactivity that ends a session between events without a ``session_id``.
DEFAULT_GAP = "30min"
#: Trust a given ``session_id``; cut the events without one at :data:`DEFAULT_GAP`.
AUTO_GAP = "auto"


def check_gap(gap) -> str | pd.Timedelta | None:
    """*gap* checked: ``"auto"``, None or a positive :class:`pandas.Timedelta`.

    Examples
    --------
    >>> check_gap("45min"), check_gap("auto"), check_gap(None)
    (Timedelta('0 days 00:45:00'), 'auto', None)
    """
    if _is_auto(gap):
        return AUTO_GAP
    return check_duration("gap", gap, optional=True)


def dataset_gap(ds, gap) -> str | pd.Timedelta | None:
    """The gap an analysis of *ds* uses: *gap*, or for ``"auto"`` the dataset's ``session_gap`` (``dataset.yml``)."""
    return check_gap(getattr(ds, "session_gap", AUTO_GAP) if _is_auto(gap) else gap)


def _is_auto(gap) -> bool:
    return isinstance(gap, str) and gap == AUTO_GAP


def sessionize(events: pd.DataFrame, *, gap: str | pd.Timedelta | None = AUTO_GAP) -> pd.DataFrame:
    """Cut each customer's events into sessions.

    Parameters
    ----------
    events : DataFrame
        Needs ``customer_id`` and ``timestamp``; an optional ``session_id``
        also ends a session where it changes.
    gap : "auto", str, Timedelta or None
        A session ends when more than *gap* passes between two events of a
        customer; None ends sessions only where ``session_id`` or the customer
        changes; "auto" (default) trusts a given ``session_id`` and cuts events
        without one at :data:`DEFAULT_GAP` (see the module docstring).

    Returns
    -------
    DataFrame
        The events in journey order (customer, time, file order for ties; the
        index is kept) with ``session`` (int, numbered 0, 1, ... in that order)
        and ``position`` (1 for the first event of a session).

    Examples
    --------
    >>> events = pd.DataFrame({"customer_id": ["a", "a", "a"],
    ...     "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:10", "2024-01-01 12:00"])})
    >>> sessionize(events)[["session", "position"]].to_numpy().tolist()
    [[0, 1], [0, 2], [1, 1]]
    >>> sessionize(events.assign(session_id="order 1"))["session"].tolist()
    [0, 0, 0]
    """
    check_events(events, ("customer_id", "timestamp"))
    log = cut_sessions(events, check_gap(gap))
    session = np.cumsum(log.start) - 1
    return events.take(log.order).assign(session=session, position=session_positions(log.start))


class SessionLog(NamedTuple):
    order: np.ndarray      # sorted position -> row of the input
    customer: np.ndarray   # customer code per sorted event
    customers: pd.Index    # customer labels by code
    time: np.ndarray       # int64 nanoseconds (UTC) per sorted event
    start: np.ndarray      # True where a session starts
    ordered: bool = False  # the input was in journey order already: order is 0, 1, 2...


def cut_sessions(events: pd.DataFrame, gap: str | pd.Timedelta | None, *, customer=None) -> SessionLog:
    """Encode customers and times, sort by customer then time (stable) and mark session starts.

    *gap* is checked already (:func:`check_gap`); *customer*, when the caller has
    encoded the customers already, is their codes per event and labels by code.
    """
    customer, customers = encode(events["customer_id"]) if customer is None else customer
    time = events["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    order = _journey_order(customer, time)
    ordered = order is None
    if ordered:
        order = np.arange(len(customer))
    else:
        customer, time = customer[order], time[order]
    start = np.ones(len(customer), bool)
    start[1:] = customer[1:] != customer[:-1]
    given = None
    if "session_id" in events:
        changed, given = _changes(events["session_id"], None if ordered else order)
        start[1:] |= changed
    if gap is not None:
        idle = np.diff(time) > pd.Timedelta(DEFAULT_GAP if _is_auto(gap) else gap).value
        if _is_auto(gap) and given is not None:  # two events of one given session stay together
            idle &= ~(given[1:] & given[:-1])
        start[1:] |= idle
    return SessionLog(order, customer, customers, time, start, ordered)


def narrow(codes: np.ndarray, n: int) -> np.ndarray:
    """*codes* (-1 to *n*) in the smallest signed integer type that holds them: a log of
    millions of events keeps its labels' codes in one byte each."""
    dtype = next(t for t in (np.int8, np.int16, np.int32, np.int64) if n <= np.iinfo(t).max)
    return codes.astype(dtype, copy=False)


def _changes(values: pd.Series, order: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Where *values* taken in *order* (None: as they are) differ from the previous one (a missing value is a
    value of its own), and where they are given.

    Text is compared in Arrow, next to next, instead of being encoded: session ids
    are nearly as many as the events, and hashing them all costs more than the rest of the cut.
    """
    given = values.notna().to_numpy()
    given = given if order is None else given[order]
    if not pd.api.types.is_string_dtype(values) or not hasattr(values.array, "__arrow_array__"):
        codes = encode(values, order)[0]
        return codes[1:] != codes[:-1], given
    strings = values.array.__arrow_array__()
    if order is not None:
        strings = strings.take(order)
    same = pc.fill_null(pc.equal(strings[1:], strings[:-1]), False).to_numpy(zero_copy_only=False)
    return ~(same | (~given[1:] & ~given[:-1])), given


def _journey_order(customer: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Stable order by customer, then time: what ``np.lexsort((time, customer))`` gives, faster.

    Times are divided by their coarsest common unit (s, ms, us) and, when they
    fit in 63 bits with the customer code, packed with it into one key: one
    stable argsort of an int64 is about twice as fast as a two-key lexsort.
    None when the input is in journey order already.
    """
    in_order = (customer[1:] > customer[:-1]) | ((customer[1:] == customer[:-1]) & (time[1:] >= time[:-1]))
    if in_order.all():
        return None
    since = (time - time.min()).view(np.uint64)  # exact even when the span overflows int64 (> 292 years in ns)
    since //= next(u for u in (10**9, 10**6, 10**3, 1) if not np.any(since % np.uint64(u)))
    time_bits = int(since.max()).bit_length()
    if time_bits + int(customer.max()).bit_length() > 63:
        return np.lexsort((since, customer))
    return np.argsort(since | (customer.astype(np.uint64) << np.uint64(time_bits)), kind="stable")


def check_events(events: pd.DataFrame | None, required) -> None:
    """Raise one DataError listing every missing column, empty value and bad timestamp type."""
    if events is None:
        raise DataError(Problem(file="events", message="the dataset has no events table; journeys need one."))
    problems = [Problem(file="events", column=c, message=f"missing column '{c}'; found {list(events.columns)}."
                        + did_you_mean(c, events.columns)) for c in required if c not in events]
    if events.empty:
        problems.append(Problem(file="events", message="no events; journeys need at least one."))
    for column in (c for c in required if c in events):
        missing = np.flatnonzero(events[column].isna().to_numpy())
        if len(missing):
            problems.append(Problem(file="events", column=column, message="empty values; every event needs one.",
                                    lines=tuple(int(i) + 2 for i in missing[:MAX_EXAMPLES]),
                                    values=(None,) * min(len(missing), MAX_EXAMPLES), count=len(missing)))
    if "timestamp" in events and not pd.api.types.is_datetime64_any_dtype(events["timestamp"]):
        problems.append(Problem(file="events", column="timestamp",
                                message=f"expected datetimes; found dtype {events['timestamp'].dtype}."))
    if problems:
        raise DataError(problems)

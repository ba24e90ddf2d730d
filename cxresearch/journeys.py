"""Customer journeys from events: sessions, transitions, stages, funnels, paths and pain points.

:func:`sessionize` cuts each customer's events into sessions. :func:`journey_log`
encodes a dataset's events once (integer codes and one stable sort by customer
and time, a :class:`JourneyLog`); :func:`journey_map` returns a :class:`JourneyMap`
of that log (all customers, or split by persona), whose tables are computed on first
use by counting combined integer codes with :func:`numpy.bincount`; no step loops
over rows or customers, so tens of millions of events take seconds.

Definitions used by every table
-------------------------------
session
    Consecutive events of one customer in time order (ties keep file order)
    until the ``session_id`` changes (a missing id counts as a value of its own)
    or more than ``gap`` passes between two events; by default the dataset's
    ``session_gap`` (``dataset.yml``), which trusts a given ``session_id`` and
    cuts events without one after 30 minutes (:mod:`cxresearch.sessions`).
transition
    Two consecutive events inside one session (``from_touchpoint`` ->
    ``to_touchpoint``); ``median_time`` is the median time between them.
entry, exit
    The first and the last event of a session. ``exit_rate = exits / events``:
    the share of visits to a touchpoint after which the session ended.
reach, share
    Customers with at least one event there, and their share of all customers
    (of the persona, when split by persona).
conversion
    Of the customers who reached the previous stage (or funnel step), the share
    with an event in this one afterwards; ``drop_off = 1 - conversion``.
    Stages count any event at or after the first event in the previous stage;
    funnel steps chain: each step strictly after the customer's previous step,
    within ``within`` of the first step.
CSAT
    The survey ``csat`` answers (1-5), tied to the survey's ``touchpoint`` (and
    through it to a stage) and ``channel``. ``csat`` is the top-2-box
    share (a fraction of 1) with its Wilson interval, ``csat_mean`` the mean with its t interval
    (:mod:`cxresearch.stats`).
end of journey, outcome
    A place where journeys end by nature, not where they are abandoned: an
    *outcome*, a touchpoint of the stage the dataset names ``outcome``
    (:data:`OUTCOME_STAGE`: a loan approved, declined or cancelled), or a
    place after which, in at least :data:`END_OF_JOURNEY` (three in four) of
    the visits, the session reaches no place it had not reached before: it ends
    there (a checkout; a basket or a campaign mailing alone in its session) or
    only comes back to earlier places (the back office closing the work items
    of a declined loan). A place of the first of several stages the dataset
    declares is where journeys start, never an end (a lead lost at first
    contact abandoned the funnel). Judged on all the events of the map, so
    every persona has the same ends.
abandon rate
    Of a place's visits, the share that end a session which reached no end of
    journey: where a journey that could have continued was left. A session that
    reached an end of journey is complete (the back office's work after a
    decline is no drop-off), and an end of journey has no abandon rate.
impact (pain points)
    ``reach * excess_dissatisfaction * (1 + excess_exit_rate)``: the share of
    customers touched, times how much less satisfied they are there than on
    the whole journey, amplified by how much more often journeys are left there:
    ``excess_dissatisfaction = max(0, overall_csat - csat)`` (top-2-box shares;
    0 without answers) and ``excess_exit_rate = max(0, abandon_rate -
    overall_abandon_rate)``, overall = all answers of the persona, and all its
    visits to places that are no end of journey. Exits alone are no pain
    (sessions end after a checkout); when the journey has no CSAT answers at
    all they are the only evidence and ``impact = reach * excess_exit_rate``.
    An end of journey ranks only on the dissatisfaction of the answers tied to
    it (Olist's late deliveries), never on its exits. An average place scores 0; one that
    half the customers visit, 40 percentage points below the overall CSAT and
    with 25 percentage points more abandons, scores ``0.5 * 0.4 * 1.25 = 0.25``.
channel audit flags
    See :mod:`cxresearch.channel_audit`.

Privacy: no table shows a group of fewer than ``min_group_size`` customers
(:func:`cxresearch.privacy.suppress_small`).
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._checks import check_choices, check_duration, check_instance, check_positive
from .channel_audit import ChannelAudit
from .columns import name_part
from .display import code_label, humanize_duration, pretty
from .errors import DataWarning, ParameterError, did_you_mean
from .eventcodes import decode, distinct_customers, encode, group_median, most_common, path_labels, session_positions
from .i18n import N_, _, format_count, format_list, format_percent, ngettext
from .privacy import MIN_GROUP_SIZE, suppress_small
from .sessions import AUTO_GAP, DEFAULT_GAP, check_events, check_gap, cut_sessions, dataset_gap, narrow, sessionize
from .stats import kpi_summary

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

    from .dataset import CXDataset

__all__ = ["JourneyMap", "JourneyLog", "journey_map", "journey_log", "journey_table", "sessionize", "DEFAULT_GAP",
           "AUTO_GAP", "END_OF_JOURNEY", "OUTCOME_STAGE", "funnel_note", "pain_point_note", "place_name"]

_REQUIRED = ("customer_id", "timestamp", "channel", "touchpoint")
#: Share of visits ending their session from which a place counts as an end of journey (its exits are no pain).
END_OF_JOURNEY = 0.75
#: The stage (by :func:`~cxresearch.columns.name_part`) whose touchpoints a dataset declares as the outcomes of its
#: journeys (``dataset.yml``: ``stages: {..., outcome: [a_approved, a_declined, a_cancelled]}``).
OUTCOME_STAGE = "outcome"
#: Why journeys end at a place by nature (the ``end_of_journey`` of a pain point, the ``kind`` of an ending).
OUTCOME, END = N_("outcome"), N_("end of journey")
# Columns naming a row of a result table, in the order a small-group note names the hidden rows by.
_GROUP_LABELS = ["persona", "stage", "channel", "name", "path", "touchpoint", "from_touchpoint", "to_touchpoint"]
_CSAT_COLUMNS = ["surveys", "csat", "csat_low", "csat_high", "csat_mean", "csat_mean_low", "csat_mean_high"]
#: The columns a journey table fills from CSAT answers (the pain points' gap to the overall CSAT too).
_ANSWER_COLUMNS = [*_CSAT_COLUMNS, "excess_dissatisfaction"]
_DAY = pd.Timedelta("1D")


def journey_map(ds: CXDataset, *, personas: pd.Series | None = None, gap: str | pd.Timedelta | None = AUTO_GAP,
                min_group_size: int = MIN_GROUP_SIZE, log: JourneyLog | None = None) -> JourneyMap:
    """Map the customer journeys of a dataset.

    Parameters
    ----------
    ds : CXDataset
        Needs ``events``; ``surveys`` add satisfaction, ``stages`` the stage order.
    personas : Series, optional
        customer_id -> persona label. Every table then gets a leading ``persona``
        column and is computed per persona; customers without a label are left out.
    gap : "auto", str, Timedelta or None
        Inactivity that ends a session (see :func:`sessionize`); "auto"
        (default) takes the dataset's ``session_gap``.
    min_group_size : int
        Rows describing fewer customers are suppressed.
    log : JourneyLog, optional
        :func:`journey_log` of *ds* with the same *gap*, when the caller has it: the map counts it
        instead of cutting the sessions again (a map with and one without personas can share one).

    Returns
    -------
    JourneyMap
    """
    gap = dataset_gap(ds, gap)
    if log is not None and not _same_gap(log.gap, gap):
        raise ParameterError(f"the journey log was cut with gap={log.gap!r}; this map asks for gap={gap!r}.")
    return JourneyMap(ds.events, surveys=ds.surveys, stages=list(ds.stages),
                      touchpoint_stage=ds.touchpoint_stage, personas=personas, gap=gap,
                      min_group_size=min_group_size, log=log)


def journey_log(ds: CXDataset, *, gap: str | pd.Timedelta | None = AUTO_GAP) -> JourneyLog:
    """The events of *ds* cut into sessions once, as integer codes in journey order (:class:`JourneyLog`).

    Every journey map of the dataset (with or without personas, and each persona's) can count the
    same log (``journey_map(ds, log=...)``); the research routine cuts it once per run.
    """
    return JourneyLog.of(ds.events, gap=dataset_gap(ds, gap))


@dataclass(frozen=True)
class JourneyLog:
    """A set of events in journey order (customer, time, file order), cut into sessions, as integer codes.

    Attributes
    ----------
    order : ndarray
        Row of the events table (0-based position) of each event, in journey order.
    customer, customers : ndarray, Index
        Customer code per event (non-decreasing) and the customer ids by code.
    time : ndarray
        int64 nanoseconds (UTC) per event.
    start : ndarray
        True where a session starts.
    touchpoint, channel, stage, event : ndarray
        Codes (-1 = missing; ``stage`` and ``event`` as written in the events, all -1 when
        the column is absent) of the labels in ``touchpoint_labels``, ``channel_labels``,
        ``stage_labels`` and ``event_labels`` (sorted).
    gap
        The gap the sessions were cut with (:func:`~cxresearch.sessions.check_gap`).
    """

    order: np.ndarray
    customer: np.ndarray
    customers: pd.Index
    time: np.ndarray
    start: np.ndarray
    touchpoint: np.ndarray
    touchpoint_labels: pd.Index
    channel: np.ndarray
    channel_labels: pd.Index
    stage: np.ndarray
    stage_labels: pd.Index
    event: np.ndarray
    event_labels: pd.Index
    gap: object = AUTO_GAP

    @classmethod
    def of(cls, events: pd.DataFrame, *, gap: str | pd.Timedelta | None = AUTO_GAP) -> JourneyLog:
        """Check *events* (:data:`_REQUIRED` columns), cut them into sessions and encode them."""
        check_events(events, _REQUIRED)
        gap = check_gap(gap)
        log = cut_sessions(events, gap)
        order = narrow(log.order, len(events))
        coded = {}
        for column in ("touchpoint", "channel", "stage", "event"):
            codes, labels = encode(events[column], log.order) if column in events else (
                np.full(len(order), -1), pd.Index([], dtype=object))
            coded[column], coded[f"{column}_labels"] = narrow(codes, len(labels)), labels
        return cls(order=order, customer=log.customer, customers=log.customers, time=log.time, start=log.start,
                   gap=gap, **coded)

    def for_customers(self, keep: np.ndarray) -> JourneyLog:
        """The log of the customers whose code is True in *keep*, with customers and labels coded again.

        Sessions never span customers, so they stay as they were cut.
        """
        if keep.all():
            return self
        rows = keep[self.customer]
        coded = {column: _recoded(getattr(self, column)[rows], getattr(self, f"{column}_labels"))
                 for column in ("touchpoint", "channel", "stage", "event")}
        return replace(self, order=self.order[rows], customer=(np.cumsum(keep) - 1)[self.customer[rows]],
                       customers=self.customers[keep], time=self.time[rows], start=self.start[rows],
                       **{name: value for column, pair in coded.items()
                          for name, value in zip((column, f"{column}_labels"), pair)})


def _recoded(codes: np.ndarray, labels: pd.Index) -> tuple[np.ndarray, pd.Index]:
    """*codes* and *labels* keeping only the labels used (in their order), as a new encoding would."""
    used = np.bincount(codes[codes >= 0], minlength=len(labels)) > 0
    if used.all():
        return codes, labels
    new = np.append(np.cumsum(used) - 1, -1)  # code -1 stays -1
    return narrow(new[codes], int(used.sum())), labels[used]


def _same_gap(a, b) -> bool:
    return type(a) is type(b) and a == b


class JourneyMap(ChannelAudit):
    """The journeys of a set of customers; tables are computed on first access.

    Build it with :func:`journey_map`. Tables: :attr:`transitions`,
    :attr:`touchpoints` (entries and exits), :attr:`stages`, :attr:`matrix`,
    :attr:`actions`, :attr:`channels`, :attr:`cross_channel`, :attr:`switching`; methods
    :meth:`funnel`, :meth:`paths`, :meth:`flows`, :meth:`pain_points` and
    :meth:`subset`. The module docstring defines every measure.
    """

    def __init__(self, events: pd.DataFrame, *, surveys: pd.DataFrame | None = None, stages=(),
                 touchpoint_stage: dict | None = None, personas: pd.Series | None = None,
                 gap: str | pd.Timedelta | None = AUTO_GAP, min_group_size: int = MIN_GROUP_SIZE,
                 log: JourneyLog | None = None):
        check_positive(min_group_size=min_group_size)
        log = JourneyLog.of(events, gap=gap) if log is None else log
        if personas is not None:
            log = _with_persona_only(log, personas)
        self.gap = log.gap
        self.min_group_size = min_group_size
        self._log = log
        self._events, self._surveys, self._personas = events, surveys, personas
        self._stage_order, self._touchpoint_stage = list(stages), dict(touchpoint_stage or {})
        self._csat_tables, self._parent = {}, None  # CSAT per keys; the persona map a persona's map was cut from

        self._order, self._customer, self._time, self._start = log.order, log.customer, log.time, log.start
        self._end = np.append(log.start[1:], True)
        self._touchpoint, self.touchpoint_labels = log.touchpoint, log.touchpoint_labels
        self._channel, self.channel_labels = log.channel, log.channel_labels
        self._stage, self.stage_labels = self._stage_codes(log)
        if personas is None:
            self._group_of_customer, self.persona_labels = np.zeros(len(log.customers), np.int64), None
            self._group = np.zeros(len(log.customer), np.int64)  # untouched zero pages: no memory until written
        else:
            self._group_of_customer, self.persona_labels = encode(personas.reindex(log.customers))
            self._group = self._group_of_customer[self._customer]
        self._n_groups = 1 if self.persona_labels is None else len(self.persona_labels)
        self._group_customers = np.bincount(self._group_of_customer, minlength=self._n_groups)

    @property
    def customers(self) -> pd.Index:
        """The ids of the customers the map describes."""
        return self._log.customers

    # ------------------------------------------------------------------ tables
    @cached_property
    def transitions(self) -> pd.DataFrame:
        """Transitions between consecutive events of a session.

        Columns ``from_touchpoint``, ``to_touchpoint``, ``count``, ``customers``,
        ``median_time``; most frequent first.
        """
        inside = ~self._start[1:]
        n_tp = len(self.touchpoint_labels)
        size = self._n_groups * n_tp * n_tp
        key = (self._group[:-1][inside] * n_tp + self._touchpoint[:-1][inside]) * n_tp + self._touchpoint[1:][inside]
        count = np.bincount(key, minlength=size)
        group, rest = np.divmod(np.arange(size), n_tp * n_tp)
        median = group_median(key, np.diff(self._time)[inside], size)
        table = self._table(group, from_touchpoint=self.touchpoint_labels[rest // n_tp],
                            to_touchpoint=self.touchpoint_labels[rest % n_tp], count=count,
                            customers=distinct_customers(key, self._customer[:-1][inside], size),
                            median_time=pd.to_timedelta(median, unit="ns"), keep=count > 0)
        return self._sorted(table, "count", ascending=False)

    @cached_property
    def touchpoints(self) -> pd.DataFrame:
        """Per touchpoint: its stage, events, customers, reach, sessions entered and exited, exit rate."""
        n_tp = len(self.touchpoint_labels)
        key = self._group * n_tp + self._touchpoint
        size = self._n_groups * n_tp
        events = np.bincount(key, minlength=size)
        group, touchpoint = np.divmod(np.arange(size), n_tp)
        customers = distinct_customers(key, self._customer, size)
        exits = np.bincount(key[self._end], minlength=size)
        table = self._table(group, touchpoint=self.touchpoint_labels[touchpoint],
                            stage=decode(self.stage_labels, self._stage_of_touchpoint[touchpoint]),
                            events=events, customers=customers,
                            reach=customers / self._group_customers[group],
                            entries=np.bincount(key[self._start], minlength=size), exits=exits,
                            exit_rate=self._touchpoint_exit_rate, keep=events > 0)
        return self._sorted(table, "events", ascending=False)

    @cached_property
    def _stage_of_touchpoint(self) -> np.ndarray:
        """Stage code (-1 = none) of each touchpoint code: the stage most of its events are at."""
        return most_common(self._touchpoint.astype(np.int64), self._stage, len(self.touchpoint_labels),
                           len(self.stage_labels))

    @cached_property
    def endings(self) -> pd.DataFrame:
        """How journeys end: per end of journey (an outcome, or a place most visits end at), the sessions reaching it.

        Columns ``touchpoint``, ``stage``, ``kind`` (``"outcome"`` or ``"end of journey"``, see the module
        docstring), ``sessions`` (with an event there) and their ``share`` of all sessions, ``customers``,
        ``reach``, ``exit_rate`` and the CSAT columns of the answers tied to it; most sessions first.
        A session may reach several (a loan application cancelled after an offer was declined).
        """
        n_tp = len(self.touchpoint_labels)
        key = self._group * n_tp + self._touchpoint
        size = self._n_groups * n_tp
        events = np.bincount(key, minlength=size)
        sessions = distinct_customers(key, np.cumsum(self._start) - 1, size)   # session codes, in journey order
        customers = distinct_customers(key, self._customer, size)
        all_sessions = np.bincount(self._group[self._start], minlength=self._n_groups)
        group, touchpoint = np.divmod(np.arange(size), n_tp)
        kind = self._ending[touchpoint]
        table = self._table(group, touchpoint=self.touchpoint_labels[touchpoint],
                            stage=decode(self.stage_labels, self._stage_of_touchpoint[touchpoint]), kind=kind,
                            sessions=sessions, share=sessions / np.maximum(all_sessions[group], 1),
                            customers=customers, reach=customers / self._group_customers[group],
                            exit_rate=np.bincount(key[self._end], minlength=size) / np.maximum(events, 1),
                            keep=(events > 0) & (kind != ""))
        return self._sorted(self._with_csat(table, ["touchpoint"]), ["sessions", "touchpoint"], ascending=[False, True])

    @cached_property
    def _ending(self) -> np.ndarray:
        """Per touchpoint code, why journeys end there by nature (module docstring): :data:`OUTCOME` (declared),
        :data:`END` (found in the data) or "" (journeys pass through). Judged on all the events of the map; a
        persona's map (:meth:`subset`) takes its parent's."""
        if self._parent is not None:
            parent = self._parent[0]
            return pd.Series(parent._ending, index=parent.touchpoint_labels).reindex(
                self.touchpoint_labels).fillna("").to_numpy(dtype=object)
        n_tp = len(self.touchpoint_labels)
        visits = np.bincount(self._touchpoint, minlength=n_tp)
        settled = np.bincount(self._touchpoint[~self._new_after], minlength=n_tp)
        stage = decode(self.stage_labels, self._stage_of_touchpoint)
        declared = np.array([s is not None and name_part(s) == OUTCOME_STAGE for s in stage], bool)
        starts = (self._stage_of_touchpoint == 0) & (len(self._stage_order) > 1)   # the dataset's first stage
        return np.select([declared, ~starts & (settled >= END_OF_JOURNEY * visits)], [OUTCOME, END], "").astype(object)

    @cached_property
    def _new_after(self) -> np.ndarray:
        """True at each event after which its session reaches a touchpoint it had not reached before."""
        session = np.cumsum(self._start) - 1
        key = session * len(self.touchpoint_labels) + self._touchpoint
        order = np.argsort(key, kind="stable")   # sessions are in order already: sorts within each
        first = np.empty(len(key), bool)
        first[order] = np.append(True, np.diff(key[order]) != 0)   # the session's first event at its touchpoint
        position = np.arange(len(key))
        last_new = np.maximum.reduceat(np.where(first, position, -1), np.flatnonzero(self._start))
        return position < last_new[session]

    @cached_property
    def _abandoned(self) -> np.ndarray:
        """True at the last event of each session that reached no end of journey: where it was left."""
        session = np.cumsum(self._start) - 1
        complete = np.zeros(int(self._start.sum()), bool)
        complete[session[(self._ending != "")[self._touchpoint]]] = True
        return self._end & ~complete[session]

    def _abandon_rate(self, codes: np.ndarray, n_codes: int) -> np.ndarray:
        """Abandon rate per (persona code * *n_codes* + code) of the events' *codes* (-1 left out): sessions left
        there over the visits to places that are no end of journey; NaN without such visits."""
        passing = (self._ending == "")[self._touchpoint] & (codes >= 0)
        key = self._group * n_codes + codes
        size = self._n_groups * n_codes
        visits = np.bincount(key[passing], minlength=size)
        left = np.bincount(key[self._abandoned & (codes >= 0)], minlength=size)
        return np.where(visits > 0, left / np.maximum(visits, 1), np.nan)

    @cached_property
    def _touchpoint_exit_rate(self) -> np.ndarray:
        """Exit rate per (persona code * n_touchpoints + touchpoint code), before suppression."""
        key = self._group * len(self.touchpoint_labels) + self._touchpoint
        size = self._n_groups * len(self.touchpoint_labels)
        return np.bincount(key[self._end], minlength=size) / np.maximum(np.bincount(key, minlength=size), 1)

    @cached_property
    def stages(self) -> pd.DataFrame:
        """Per stage, in the dataset's order: reach, conversion and drop-off, time, exits, CSAT.

        Columns ``stage``, ``customers``, ``share``, ``converted``, ``conversion``,
        ``drop_off``, ``median_time_from_previous``, ``events``, ``exits``,
        ``exit_rate`` and the CSAT columns. The first stage has no conversion.
        """
        n_stages, n_groups = len(self.stage_labels), self._n_groups
        reached = np.zeros((n_stages, n_groups), np.int64)
        converted = np.zeros((n_stages, n_groups), np.int64)
        median = np.full((n_stages, n_groups), np.nan)
        previous = None  # customers who reached the previous stage and their first event there
        for s in range(n_stages):  # a handful of stages; every step inside is vectorised
            where = np.flatnonzero(self._stage == s)
            customers, first = self._first_per_customer(where)
            reached[s] = np.bincount(self._group_of_customer[customers], minlength=n_groups)
            if previous is not None:
                conv, since, conv_first = self._first_from(where, *previous)
                group = self._group_of_customer[conv]
                converted[s] = np.bincount(group, minlength=n_groups)
                median[s] = group_median(group, self._time[conv_first] - self._time[since], n_groups)
            previous = customers, first
        key = self._group * n_stages + self._stage
        mapped = self._stage >= 0
        events = np.bincount(key[mapped], minlength=n_stages * n_groups)
        exits = np.bincount(key[mapped & self._end], minlength=n_stages * n_groups)
        previous = np.vstack([np.zeros((1, n_groups), np.int64), reached[:-1]])
        with np.errstate(invalid="ignore", divide="ignore"):
            conversion = np.where(np.arange(n_stages)[:, None] > 0, converted / previous, np.nan).T.ravel()
        group, stage = np.divmod(np.arange(n_stages * n_groups), n_stages)   # persona-major rows
        table = self._table(group, stage=self.stage_labels[stage], customers=reached.T.ravel(),
                            share=reached.T.ravel() / self._group_customers[group],
                            converted=converted.T.ravel(), conversion=conversion, drop_off=1 - conversion,
                            median_time_from_previous=pd.to_timedelta(median.T.ravel(), unit="ns"),
                            events=events, exits=exits, exit_rate=exits / np.maximum(events, 1))
        return self._with_csat(table, ["stage"])

    @cached_property
    def matrix(self) -> pd.DataFrame:
        """Stage x channel grid behind the journey-map picture.

        Columns ``stage``, ``channel``, ``customers``, ``share``, ``events``,
        ``exits``, ``exit_rate`` (drop-off of the cell) and the CSAT columns of the
        answers tied to the cell's stage and channel. Stages keep their order.
        """
        n_stages, n_ch = len(self.stage_labels), len(self.channel_labels)
        size = self._n_groups * n_stages * n_ch
        mapped = self._stage >= 0
        key = ((self._group * n_stages + self._stage) * n_ch + self._channel)[mapped]
        events = np.bincount(key, minlength=size)
        exits = np.bincount(key[self._end[mapped]], minlength=size)
        customers = distinct_customers(key, self._customer[mapped], size)
        rest, channel = np.divmod(np.arange(size), n_ch)
        group, stage = np.divmod(rest, n_stages)
        table = self._table(group, stage=self.stage_labels[stage], channel=self.channel_labels[channel],
                            customers=customers, share=customers / self._group_customers[group],
                            events=events, exits=exits, exit_rate=exits / np.maximum(events, 1),
                            keep=events > 0)
        return self._with_csat(table, ["stage", "channel"])

    @cached_property
    def actions(self) -> pd.DataFrame:
        """What customers do at each stage: per stage and event name (``event`` column), the customers who did it.

        An event counts at the stage of its touchpoint (the ``stage`` of :attr:`touchpoints`;
        the touchpoints that table hides are left out). Columns ``stage``, ``event``,
        ``customers``; no rows without event names.
        """
        n_tp, n_stages, n_events = len(self.touchpoint_labels), len(self.stage_labels), len(self._log.event_labels)
        shown = self.touchpoints.dropna(subset=["stage"])
        group = self.persona_labels.get_indexer(shown["persona"]) if self._keys else np.zeros(len(shown), np.int64)
        stage_of = np.full(self._n_groups * n_tp, -1)
        stage_of[group * n_tp + self.touchpoint_labels.get_indexer(shown["touchpoint"])] = \
            self.stage_labels.get_indexer(shown["stage"])
        stage = stage_of[self._group * n_tp + self._touchpoint]
        done = (stage >= 0) & (self._log.event >= 0)
        size = self._n_groups * n_stages * n_events
        key = ((self._group[done] * n_stages + stage[done]) * n_events + self._log.event[done])
        customers = distinct_customers(key, self._customer[done], size)
        rest, event = np.divmod(np.arange(size), n_events)
        group, stage = np.divmod(rest, n_stages)
        return self._table(group, stage=self.stage_labels[stage], event=self._log.event_labels[event],
                           customers=customers, keep=customers > 0)

    # ----------------------------------------------------------------- methods
    def funnel(self, steps, *, within: str | pd.Timedelta | None = None) -> pd.DataFrame:
        """Customers who went through *steps* in order.

        Parameters
        ----------
        steps : list of str
            Stage or touchpoint names (a stage name wins when both exist).
        within : str, Timedelta or None
            Each step must happen within this time of the customer's first step.

        Returns
        -------
        DataFrame
            ``step`` (1-based), ``name``, ``customers``, ``share_of_first``,
            ``conversion`` (from the previous step), ``drop_off`` and
            ``median_time_from_previous``.
        """
        masks = [self._step_mask(name) for name in steps]
        if not masks:
            raise ParameterError("funnel needs at least one step; got an empty list.")
        window = check_duration("within", within, optional=True)
        n_groups = self._n_groups
        counts = np.zeros((len(masks), n_groups), np.int64)
        median = np.full((len(masks), n_groups), np.nan)
        start_time = np.zeros(len(self._group_of_customer), np.int64)
        previous = None  # customers at the previous step and the position of that step
        for i, mask in enumerate(masks):  # a handful of steps; each is vectorised over events
            where = np.flatnonzero(mask)
            if previous is None:
                customers, first = self._first_per_customer(where)
                start_time[customers] = self._time[first]
            else:
                customers, since, first = self._first_from(where, previous[0], previous[1] + 1)
                if window is not None:  # the earliest next step is outside the window: so are later ones
                    inside = self._time[first] - start_time[customers] <= window.value
                    customers, since, first = customers[inside], since[inside], first[inside]
                median[i] = group_median(self._group_of_customer[customers],
                                          self._time[first] - self._time[since - 1], n_groups)
            counts[i] = np.bincount(self._group_of_customer[customers], minlength=n_groups)
            previous = customers, first
        step, group = np.divmod(np.arange(len(masks) * n_groups), n_groups)
        flat = counts.ravel()
        with np.errstate(invalid="ignore", divide="ignore"):
            conversion = np.where(step > 0, flat / counts[np.maximum(step - 1, 0), group], np.nan)
            share = flat / counts[0, group]
        table = self._table(group, step=step + 1, name=np.asarray(list(steps), dtype=object)[step],
                            customers=flat, share_of_first=share, conversion=conversion,
                            drop_off=1 - conversion,
                            median_time_from_previous=pd.to_timedelta(median.ravel(), unit="ns"))
        return self._sorted(table, "step")

    def paths(self, top: int = 20, *, max_steps: int = 10) -> pd.DataFrame:
        """The most common session paths.

        Parameters
        ----------
        top : int
            Paths to return (per persona); those among them taken by fewer
            than ``min_group_size`` customers are left out.
        max_steps : int
            Paths are compared on their first *max_steps* touchpoints; longer
            sessions end in ``" > ..."``.

        Returns
        -------
        DataFrame
            ``path`` ("home > product_page > checkout"), ``steps``, ``sessions``,
            ``share`` (of the sessions), ``customers``.
        """
        check_positive(top=top, max_steps=max_steps)
        starts = np.flatnonzero(self._start)
        rows, path = self._session_paths(starts, max_steps)
        sessions = np.bincount(path, minlength=len(rows))
        group = rows[:, 0]
        sessions_in_group = np.bincount(self._group[starts], minlength=self._n_groups)
        table = self._table(group, path=path_labels(rows[:, 1:], self.touchpoint_labels),
                            steps=(rows[:, 2:] >= 0).sum(axis=1), sessions=sessions,
                            share=sessions / sessions_in_group[group],
                            customers=distinct_customers(path, self._customer[starts], len(rows)), suppress=False)
        table = self._sorted(table, "sessions", ascending=False)
        shown = table.groupby("persona", sort=False).head(top) if "persona" in table else table.head(top)
        return self._suppress(shown)   # only a path that would be shown is hidden (and noted)

    def _session_paths(self, starts: np.ndarray, max_steps: int) -> tuple[np.ndarray, np.ndarray]:
        """The distinct paths of the sessions starting at *starts*, sorted, and the path of each session.

        A path is a row [persona code, longer than *max_steps*, touchpoint code of step 1, ...,
        of step *max_steps* (-1 past the end)]. Rows are compared as one packed int64 key when
        they fit in 63 bits (sorting one integer per session is many times faster than sorting rows).
        """
        position = session_positions(self._start) - 1
        kept = position < max_steps
        longer = np.diff(np.append(starts, len(self._start))) > max_steps
        bits = int(len(self.touchpoint_labels)).bit_length()  # codes + 1: 0 past the end, 1..n_tp
        width = bits * max_steps
        if width + 1 + int(self._n_groups).bit_length() > 63 or not len(starts):
            grid = np.full((len(starts), max_steps + 2), -1, np.int64)
            grid[(np.cumsum(self._start) - 1)[kept], position[kept] + 2] = self._touchpoint[kept]
            grid[:, 0], grid[:, 1] = self._group[starts], longer
            rows, path = np.unique(grid, axis=0, return_inverse=True)
            return rows, path.ravel()
        step = (self._touchpoint[kept].astype(np.int64) + 1) << (bits * (max_steps - 1 - position[kept]))
        key = np.add.reduceat(step, np.flatnonzero(position[kept] == 0)) | ((self._group[starts] * 2 + longer) << width)
        keys, path = np.unique(key, return_inverse=True)
        codes = (keys[:, None] >> (bits * np.arange(max_steps - 1, -1, -1))) & ((1 << bits) - 1)
        return np.column_stack([keys >> (width + 1), (keys >> width) & 1, codes - 1]), path

    def flows(self, steps: int = 5) -> pd.DataFrame:
        """Flows between the first *steps* positions of sessions, the data of a Sankey diagram.

        Returns
        -------
        DataFrame
            ``step`` (position of the source event, 1-based), ``from_touchpoint``,
            ``to_touchpoint`` (missing when the session ends there), ``count``, ``customers``.
        """
        check_positive(steps=steps)
        n_tp = len(self.touchpoint_labels)
        position = session_positions(self._start)
        source = position < steps
        following = np.append(self._touchpoint[1:], -1)
        target = np.where(self._end, n_tp, following)[source]
        size = self._n_groups * steps * n_tp * (n_tp + 1)
        key = ((self._group[source] * steps + position[source]) * n_tp + self._touchpoint[source]) * (n_tp + 1) + target
        count = np.bincount(key, minlength=size)
        rest, to = np.divmod(np.arange(size), n_tp + 1)
        rest, frm = np.divmod(rest, n_tp)
        group, step = np.divmod(rest, steps)
        table = self._table(group, step=step, from_touchpoint=self.touchpoint_labels[frm],
                            to_touchpoint=decode(self.touchpoint_labels, np.where(to == n_tp, -1, to)),
                            count=count, customers=distinct_customers(key, self._customer[source], size), keep=count > 0)
        return self._sorted(table, ["step", "count"], ascending=[True, False])

    def pain_points(self, top: int = 10, *, by: str = "touchpoint",
                    negative_topics: pd.Series | None = None) -> pd.DataFrame:
        """Touchpoints (or stages) ranked by impact, each row with its evidence.

        The impact score is defined in the module docstring. Touchpoints and
        stages are ranked separately: a stage sums its touchpoints, so one list
        would count the same customers twice.

        Parameters
        ----------
        top : int
            Rows to return (per persona).
        by : {"touchpoint", "stage"}
            What to rank.
        negative_topics : Series, optional
            Touchpoint or stage name -> a short text of its negative topics (from
            the voice analysis), shown as the ``negative_topics`` evidence column.

        Returns
        -------
        DataFrame
            ``name``, ``stage``, ``customers``, ``reach``, ``exit_rate``,
            ``excess_exit_rate``, ``surveys``, ``csat``, ``csat_low``, ``csat_high``,
            ``excess_dissatisfaction``, ``impact`` (+ ``negative_topics``), highest impact first.
        """
        check_positive(top=top)
        check_choices("by", [by], ["touchpoint", "stage"])
        if negative_topics is not None:
            check_instance("negative_topics", negative_topics, pd.Series, "a pandas Series (name -> text)")
        if by == "touchpoint":
            places = self._with_csat(self.touchpoints, ["touchpoint"], suppress=False)
            places = places.assign(name=places["touchpoint"])
            code = self.touchpoint_labels.get_indexer(places["name"])
            rate = self._abandon_rate(self._touchpoint, len(self.touchpoint_labels))
            ending = self._ending[code]
        else:
            places = self.stages.assign(name=self.stages["stage"], reach=self.stages["share"])
            code = self.stage_labels.get_indexer(places["name"])
            rate = self._abandon_rate(self._stage, len(self.stage_labels))
        group = self.persona_labels.get_indexer(places["persona"]) if self._keys else np.zeros(len(places), int)
        abandon = rate[group * (len(rate) // self._n_groups) + code]
        if by == "stage":   # a stage whose every visit is at an end of journey ends journeys too
            declared = np.array([name_part(stage) == OUTCOME_STAGE for stage in places["name"]], bool)
            ending = np.select([declared, np.isnan(abandon) & (places["events"] > 0)], [OUTCOME, END], "")
        base = self._baseline_for(places)
        exits = (abandon - base["abandon_rate"]).clip(lower=0).fillna(0)
        dissatisfaction = (base["csat"] - places["csat"]).clip(lower=0).fillna(0)
        any_answers = base["csat"].notna()
        places = places.assign(end_of_journey=ending, abandon_rate=abandon, excess_exit_rate=exits,
                               excess_dissatisfaction=dissatisfaction,
                               impact=places["reach"] * np.where(any_answers, dissatisfaction * (1 + exits), exits))
        table = places[self._keys + ["name", "stage", "customers", "reach", "exit_rate", "end_of_journey",
                                     "abandon_rate", "excess_exit_rate", "surveys", "csat", "csat_low", "csat_high",
                                     "excess_dissatisfaction", "impact"]]
        if negative_topics is not None:
            table = table.assign(negative_topics=table["name"].map(negative_topics))
        table = self._sorted(table, ["impact", "name"], ascending=[False, True])
        return table.groupby("persona", sort=False).head(top) if self._keys else table.head(top)

    def subset(self, *, persona: str | None = None, channels=None) -> JourneyMap:
        """The journey map of one persona and/or of the events in some channels only.

        A persona's map counts the same sessions (the customers' own). Sessions are cut again
        on the events of the channels kept, so a channel subset shows the journeys as lived
        inside those channels.
        """
        log, personas = self._log, self._personas
        if persona is not None:
            if personas is None:
                raise ParameterError("persona= needs a journey map built with personas=.")
            check_choices("persona", [persona], self.persona_labels)
            personas = personas[personas == persona]
            log = log.for_customers(self._group_of_customer == self.persona_labels.get_loc(persona))
        if channels is not None:
            wanted = [channels] if isinstance(channels, str) else list(channels)
            check_choices("channel", wanted, self.channel_labels)
            events = self._events.iloc[np.sort(log.order)] if len(log.order) < len(self._events) else self._events
            events, log = events.loc[events["channel"].isin(wanted)], None
        else:
            events = self._events
        subset = JourneyMap(events, surveys=self._surveys, stages=self._stage_order,
                            touchpoint_stage=self._touchpoint_stage, personas=personas, gap=self.gap,
                            min_group_size=self.min_group_size, log=log)
        if persona is not None and channels is None:
            subset._parent = self, persona
        return subset

    def __repr__(self) -> str:
        return (f"JourneyMap({len(self._customer):,} events, {len(self._group_of_customer):,} customers, "
                f"{int(self._start.sum()):,} sessions, {len(self.stage_labels)} stages)")

    def _repr_markdown_(self) -> str:
        """What a page shows for the map: its size in words, in the reader's language."""
        n = {"events": len(self._customer), "customers": len(self._group_of_customer),
             "sessions": int(self._start.sum()), "stages": len(self.stage_labels)}
        words = {"events": ngettext("%(n)s event", "%(n)s events", n["events"]),
                 "customers": ngettext("%(n)s customer", "%(n)s customers", n["customers"]),
                 "sessions": ngettext("%(n)s session", "%(n)s sessions", n["sessions"]),
                 "stages": ngettext("%(n)s stage", "%(n)s stages", n["stages"])}
        size = {key: text % {"n": format_count(n[key])} for key, text in words.items()}
        if not len(self.stage_labels):
            lines = [_("The journey map covers %(events)s of %(customers)s in %(sessions)s.") % size]  # no "0 stages"
        else:
            lines = [_("The journey map covers %(events)s of %(customers)s in %(sessions)s across %(stages)s.") % size]
        lines.append(self._session_rule())
        if self._answers.empty:   # said once here: every table below leaves its CSAT columns out
            lines.append(_("No CSAT survey answer names a touchpoint or channel of these events, so the tables "
                           "below have no CSAT columns. With such answers they would show each row's CSAT (the share "
                           "of 4-5 answers, with its interval) and mean score, and the pain points would weigh "
                           "dissatisfaction, not exits alone."))
        return " ".join(lines)

    def _session_rule(self) -> str:
        """How the map's sessions were cut, in words."""
        with_id = "session_id" in self._events
        if self.gap is None:
            return _("A session ends only where the session_id or the customer changes.")
        if isinstance(self.gap, str):   # AUTO_GAP: trust a given session_id
            minutes = int(pd.Timedelta(DEFAULT_GAP).total_seconds() // 60)
            return (_("Sessions follow the export's session_id; events without one end a session after %(n)s "
                      "minutes of inactivity.") if with_id else
                    _("A session ends after %(n)s minutes of inactivity.")) % {"n": minutes}
        length = humanize_duration(self.gap)
        return (_("A session ends after %(gap)s of inactivity or where the session_id changes.") if with_id else
                _("A session ends after %(gap)s of inactivity.")) % {"gap": length}

    # ----------------------------------------------------------------- helpers
    def _stage_codes(self, log: JourneyLog) -> tuple[np.ndarray, pd.Index]:
        """Stage code per sorted event (-1 when unmapped), stages in the dataset's order."""
        if "stage" in self._events:
            codes, found = log.stage, log.stage_labels
        else:
            mapped = pd.Series(self.touchpoint_labels).map(self._touchpoint_stage)
            tp_stage, found = encode(mapped)
            codes = np.append(tp_stage, -1)[log.touchpoint]
        order = self._stage_order + sorted(set(found) - set(self._stage_order))
        rank = narrow(np.append(pd.Index(order).get_indexer(found), -1), len(order))
        return rank[codes], pd.Index(order, dtype=object)

    def _first_per_customer(self, where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Customers with an event at the positions *where* (ascending) and their first such position."""
        customer = self._customer[where]
        first = np.ones(len(where), bool)
        first[1:] = customer[1:] != customer[:-1]
        return customer[first], where[first]

    def _first_from(self, where: np.ndarray, customers: np.ndarray, since: np.ndarray):
        """Of *customers*, those with an event at the positions *where* (ascending) at or after *since*.

        Returns those customers, their *since* and the position of that first event.
        Events are in journey order, so the first position at or after *since* is
        the customer's own next such event, or belongs to a later customer.
        """
        if not len(where):
            return customers[:0], since[:0], since[:0]
        event = where[np.minimum(np.searchsorted(where, since), len(where) - 1)]
        found = (event >= since) & (self._customer[event] == customers)
        return customers[found], since[found], event[found]

    def _step_mask(self, name: str) -> np.ndarray:
        if name in set(self.stage_labels):
            return self._stage == self.stage_labels.get_loc(name)
        if name in set(self.touchpoint_labels):
            return self._touchpoint == self.touchpoint_labels.get_loc(name)
        if name in self._touchpoint_stage:  # declared in the stages, never visited
            return np.zeros(len(self._touchpoint), bool)
        raise ParameterError(f"unknown funnel step {name!r}; expected a stage {list(self.stage_labels)} "
                             f"or a touchpoint {list(self.touchpoint_labels)}."
                             + did_you_mean(name, [*self.stage_labels, *self.touchpoint_labels]))

    @cached_property
    def _answers(self) -> pd.DataFrame:
        """One row per 1-5 answer: (persona,) customer_id, channel, touchpoint, stage, score."""
        obs = _satisfaction_observations(self._surveys, self._touchpoint_stage)
        if self._personas is not None:
            obs = obs.assign(persona=obs["customer_id"].map(self._personas)).dropna(subset=["persona"])
        return obs

    def _csat(self, keys: list[str]) -> pd.DataFrame:
        """CSAT per *keys* (:func:`_csat_table`), computed once per map; a persona's map (:meth:`subset`) takes
        its persona's rows of the map it was cut from, which has them already."""
        if tuple(keys) not in self._csat_tables:
            if self._parent is None:
                table = _csat_table(self._answers, keys, self.min_group_size)
            else:
                parent, persona = self._parent
                table = parent._csat(keys)
                table = table.loc[table["persona"] == persona].reset_index(drop=True)
            self._csat_tables[tuple(keys)] = table
        return self._csat_tables[tuple(keys)]

    def _with_csat(self, table: pd.DataFrame, by: list[str], *, suppress: bool = True) -> pd.DataFrame:
        """*table* with the CSAT columns of the answers matching its *by* columns."""
        keys = self._keys + by
        scores = self._csat(keys)
        mixed = dict.fromkeys([c for c in by if table[c].dtype != scores[c].dtype], object)  # no stages: all empty
        table = table.astype(mixed).merge(scores.astype(mixed), on=keys, how="left")
        table["surveys"] = table["surveys"].fillna(0).astype(np.int64)
        return self._suppress(table) if suppress else table

    def _baseline_for(self, table: pd.DataFrame) -> pd.DataFrame:
        """Overall exit rate, abandon rate and CSAT of the persona of each row of *table* (aligned to it)."""
        events = np.bincount(self._group, minlength=self._n_groups)
        exits = np.bincount(self._group[self._end], minlength=self._n_groups)
        base = self._table(np.arange(self._n_groups), exit_rate=exits / np.maximum(events, 1),
                           abandon_rate=self._abandon_rate(np.zeros(len(self._group), np.int64), 1), suppress=False)
        scores = self._csat(self._keys)
        base["csat"] = (base[self._keys].merge(scores, on=self._keys, how="left")["csat"] if self._keys
                        else scores["csat"].reindex([0])).to_numpy()
        if not self._keys:
            return base.iloc[np.zeros(len(table), int)].set_index(table.index)
        return table[self._keys].merge(base, on=self._keys, how="left").set_index(table.index)

    @property
    def _keys(self) -> list[str]:
        return [] if self.persona_labels is None else ["persona"]

    def _table(self, group: np.ndarray, *, keep: np.ndarray | None = None, suppress: bool = True,
               **columns) -> pd.DataFrame:
        """A result table: a leading ``persona`` column when split, then *columns*; rows in *keep*."""
        data = {} if self.persona_labels is None else {"persona": np.asarray(self.persona_labels)[group]}
        table = pd.DataFrame({**data, **columns})
        if keep is not None:
            table = table.loc[keep].reset_index(drop=True)
        return self._suppress(table) if suppress else table

    def _suppress(self, table: pd.DataFrame) -> pd.DataFrame:
        """Drop rows of 1 to ``min_group_size - 1`` customers; an empty row (0) discloses nobody."""
        size = table["customers"].where(table["customers"] > 0, self.min_group_size)
        kept = suppress_small(table.assign(_size=size), size_col="_size", min_group_size=self.min_group_size,
                              label_col=_GROUP_LABELS)
        return kept.drop(columns="_size").reset_index(drop=True)

    def _sorted(self, table: pd.DataFrame, by, ascending=True) -> pd.DataFrame:
        by = [by] if isinstance(by, str) else list(by)
        ascending = [ascending] * len(by) if isinstance(ascending, bool) else list(ascending)
        if self.persona_labels is not None:
            by, ascending = ["persona", *by], [True, *ascending]
        return table.sort_values(by, ascending=ascending, kind="stable", ignore_index=True)


# ----------------------------------------------------------------- satisfaction
def _satisfaction_observations(surveys: pd.DataFrame | None, touchpoint_stage: dict) -> pd.DataFrame:
    """CSAT answers (1-5) with the touchpoint, channel and stage they are tied to, one row each."""
    columns = ["customer_id", "channel", "touchpoint", "stage", "score"]
    if surveys is None or "csat" not in surveys:
        return pd.DataFrame(columns=columns)
    obs = pd.DataFrame({c: surveys[c] if c in surveys else pd.Series(None, index=surveys.index, dtype=object)
                        for c in ("customer_id", "channel", "touchpoint")})
    obs = obs.assign(score=pd.to_numeric(surveys["csat"]).astype(float)).dropna(subset=["score"])
    obs = obs.loc[obs["touchpoint"].notna() | obs["channel"].notna()]
    return obs.assign(stage=obs["touchpoint"].map(touchpoint_stage))[columns]


def _csat_table(obs: pd.DataFrame, keys: list[str], min_group_size: int) -> pd.DataFrame:
    """CSAT top-2-box (a share of 1, Wilson interval) and mean (t interval) per *keys* (overall when empty).

    From the KPI engine (:func:`cxresearch.stats.kpi_summary`, repeated
    respondents by ``customer_id``). Scores of groups with fewer than
    *min_group_size* respondents are left blank: they would describe too few
    people (and say little).
    """
    answers = obs.dropna(subset=keys).rename(columns={"score": "csat"})
    table = kpi_summary(answers, by=keys, metrics=["csat", "csat_mean"], min_group_size=1, weight_col=None)
    if table.empty:   # numbers all missing, not text: the pages format them as the answers' columns
        return pd.DataFrame(columns=keys + _CSAT_COLUMNS).astype(dict.fromkeys(_CSAT_COLUMNS, float))
    wide = table.pivot(index=keys or None, columns="metric", values=["value", "low", "high", "n", "respondents"]) \
        if keys else table.set_index("metric")[["value", "low", "high", "n", "respondents"]].unstack().to_frame().T
    columns = {"csat": ("value", "csat"), "csat_low": ("low", "csat"), "csat_high": ("high", "csat"),
               "csat_mean": ("value", "csat_mean"), "csat_mean_low": ("low", "csat_mean"),
               "csat_mean_high": ("high", "csat_mean")}
    out = pd.DataFrame({name: wide[column] for name, column in columns.items()}, index=wide.index)
    out.insert(0, "surveys", wide[("n", "csat")].astype(int))
    shown = wide[("respondents", "csat")] >= min_group_size
    out[_CSAT_COLUMNS[1:]] = out[_CSAT_COLUMNS[1:]].where(shown)
    out = out.reset_index() if keys else out.reset_index(drop=True)
    return out.reindex(columns=keys + _CSAT_COLUMNS)


# ------------------------------------------------------------------- display
def journey_table(table: pd.DataFrame, **options) -> Styler:
    """A table of a :class:`JourneyMap` styled for reading (:func:`cxresearch.display.pretty`, *options* passed on).

    A pain point's or funnel step's ``name`` reads in words like every touchpoint and channel code; a table
    whose rows have no CSAT answer at all (a ticket log without surveys) leaves its CSAT columns out, all
    empty: the map's headline (:class:`JourneyMap` shown in a page) says once what they would show. The channel
    audit reads narrower: a channel's own row says "all touchpoints" in place of a ``level`` column, and a
    ``completeness`` of 100% everywhere is left out, and so is a ``stage`` that repeats the ``name`` (pain points
    by stage).
    """
    kinds = {"name": "code", **options.pop("kinds", {})}
    if {"level", "touchpoint"} <= set(table):   # the channel audit, narrower: a channel's own row names no touchpoint
        table = table.assign(touchpoint=table["touchpoint"].where(table["level"] != "channel", _("all touchpoints")))
        table = table.drop(columns="level")
    if "completeness" in table and table["completeness"].eq(1).all():   # every optional field filled: nothing to say
        table = table.drop(columns="completeness")
    if {"converted", "conversion"} <= set(table):   # the first stage converts from nothing: no count, as no rate
        table = table.assign(converted=table["converted"].where(table["conversion"].notna()))
    if {"name", "stage"} <= set(table) and table["name"].equals(table["stage"]):   # pain points by stage
        table = table.drop(columns="stage")
    if "surveys" not in table or table.empty or table["surveys"].fillna(0).gt(0).any():
        return pretty(table, kinds=kinds, **options)
    shown = table.drop(columns=[column for column in _ANSWER_COLUMNS if column in table])
    return pretty(shown, kinds=kinds, **options)


def funnel_note(journey: JourneyMap, steps, *, within: str | None, parameter: str = "funnel_window") -> str:
    """Markdown for under the funnel: its window, the customers it leaves out and how to change it.

    A short window makes the later steps fall for its own sake: a stage that
    comes weeks after a purchase (service, loyalty) is out of reach within 30
    days. The note counts, per step, the customers who go through the steps in
    order only after the window (the funnel without window less the one within it)
    and names a window that holds them: the steps' median delays added up
    (the median time from each step to the next in the whole period), in days.

    Parameters
    ----------
    journey : JourneyMap
        The journey the funnel comes from (split by persona: counts added up).
    steps : list of str
        The funnel's steps, as :meth:`JourneyMap.funnel` takes them.
    within : str or None
        The funnel's window (``"30D"``), None or empty for no limit.
    parameter : str
        The routine parameter holding the window, named in the instructions.
    """
    if not within:
        return _("Each step counts the customers who reach it after the previous one at any time in the period "
                 "(the run's `%(parameter)s` is empty: no time limit).") % {"parameter": parameter}
    window = check_duration(parameter, within)
    days = -(-window // _DAY)
    lines = [_("Each step counts the customers who reach it within %(length)s of their first step (the run's "
               "`%(parameter)s`, %(window)s).") % {"length": ngettext("%(n)s day", "%(n)s days", days) % {"n": days},
                                                     "parameter": parameter, "window": within}]
    unlimited = journey.funnel(steps).groupby("step", sort=True).agg(
        name=("name", "first"), customers=("customers", "sum"), delay=("median_time_from_previous", "max"))
    windowed = journey.funnel(steps, within=window).groupby("step", sort=True)["customers"].sum()
    beyond = unlimited["customers"] - windowed   # a step hidden as a small group on either side is left out
    later = [_("%(later)s at %(step)s (of %(all)s in the whole period)")
             % {"later": format_count(n), "step": code_label(step, stage=True), "all": format_count(total)}
             for n, step, total in zip(beyond, unlimited["name"], unlimited["customers"]) if n > 0]
    if not later:
        lines.append(_("The window leaves no one out: every customer who goes through the steps in order does it "
                       "within it."))
        return " ".join(lines)
    lines.append(_("Part of the drop is the window's, not the customers': %(later)s go through the steps in order "
                   "only later than that.") % {"later": format_list(later)})
    wider = _holding_window(journey, steps, unlimited, start=max(2 * days, -(-unlimited["delay"].sum() // _DAY)))
    how = (_("To count them, run the routine with `-p %(parameter)s=%(wider)sD`, a window that holds nine in ten of "
             "them at every step, or with `-p %(parameter)s=` for no limit.") if wider else
           _("To count them, run the routine with `-p %(parameter)s=` for no limit."))
    lines.append(how % {"parameter": parameter, "wider": wider} + " " + _(
        "Choose the window before comparing runs and say which one you report: a funnel within another window "
        "answers another question."))
    return "\n\n".join(lines)


#: A code's one-letter family before its words ("W_Call after offer", "a_accepted"): a log's kind of event, no word.
_CODE_FAMILY = re.compile(r"^[A-Za-z]_(?=[^\W\d_]{2,})")


def place_name(touchpoint, stage=None) -> str:
    """A pain point's place in words, for a manager: the touchpoint's words without a one-letter code family
    (an event log's ``w_`` work items), a number-only code (a store id) named as a touchpoint, and the stage it
    belongs to when there is one.

    Examples
    --------
    >>> place_name("w_call_after_offer", "back_office"), place_name("298", "purchase"), place_name("chat_support")
    ('call after offer (back office)', 'touchpoint 298 (purchase)', 'chat support')
    """
    unstaged = stage is None or pd.isna(stage) or str(stage) == ""
    if not unstaged and str(stage) == str(touchpoint):   # a stage ranked as a place: its name, as stages read
        return code_label(stage, stage=True)
    words = code_label(_CODE_FAMILY.sub("", str(touchpoint)))
    if not re.search(r"[^\W\d_]", words):   # no letter: an id, not a name
        words = _("touchpoint %(code)s") % {"code": words}
    return words if unstaged else _("%(place)s (%(stage)s)") % {"place": words, "stage": code_label(stage, stage=True)}


def pain_point_note(journey: JourneyMap) -> str:
    """Markdown for under the pain points: the ends of journey whose exits do not rank and why, the sessions left
    before reaching one, and, when no place ranks, why.

    Parameters
    ----------
    journey : JourneyMap
        The page's journey map (split by persona: the personas' sessions added up).
    """
    ends = journey.endings.groupby(["touchpoint", "kind"], sort=False, as_index=False)["sessions"].sum()
    sessions, left = int(journey._start.sum()), int(journey._abandoned.sum())
    answers = not journey._answers.empty
    lines = []
    for kind, sentence in ((OUTCOME, N_("The journey's outcomes, as the dataset declares them (its stage "
                                        "`%(stage)s`): %(places)s.")),
                           (END, N_("Ends of journey found in the data, places after which at least three visits in "
                                    "four go nowhere new (the session ends there or only comes back to earlier "
                                    "places): %(places)s."))):
        rows = ends.loc[ends["kind"] == kind]
        if len(rows):
            places = [_("%(place)s (%(share)s of sessions)") % {
                "place": code_label(row.touchpoint), "share": format_percent(row.sessions / sessions, decimals=0)}
                for row in rows.itertuples()]
            lines.append(_(sentence) % {"stage": OUTCOME_STAGE, "places": format_list(places)})
    if lines:
        lines.append(_("None of them is a place customers leave: their exits do not rank, and a session that reached "
                       "one is complete, wherever it ends."))
        if left:
            lines.append(_("%(left)s of %(sessions)s sessions (%(share)s) end before reaching one: the exits the pain "
                           "points rank.") % {"left": format_count(left), "sessions": format_count(sessions),
                                              "share": format_percent(left / sessions, decimals=0)})
        elif answers:
            lines.append(_("Every session reaches one: there is no exit to rank."))
        else:
            return " ".join([*lines, _("Every session reaches one: with no exit and no CSAT answer to rank, there is "
                                       "no pain point.")])
    if not (journey.pain_points(top=1)["impact"] > 0).any():
        lines.append(_("No pain point to rank: no place is less satisfying than the journey overall, nor loses the "
                       "journeys that pass through it more often than the others.") if answers else
                     _("No pain point to rank: without CSAT answers, abandoned journeys are the only evidence, and no "
                       "place loses the journeys that pass through it more often than the others."))
    return " ".join(lines)


def _holding_window(journey: JourneyMap, steps, unlimited: pd.DataFrame, *, start: int) -> int | None:
    """Days, from *start* (the steps' median delays added up) doubling, of a window holding nine in ten of the
    customers of *unlimited* (the funnel without window) at every step; None when 8 times *start* does not."""
    for days in (start, 2 * start, 4 * start, 8 * start):
        held = journey.funnel(steps, within=pd.Timedelta(days=days)).groupby("step", sort=True)["customers"].sum()
        if (held.reindex(unlimited.index, fill_value=0) >= 0.9 * unlimited["customers"]).all():
            return days
    return None


# ------------------------------------------------------------------- checking


def _with_persona_only(log: JourneyLog, personas: pd.Series) -> JourneyLog:
    """*log* of the customers with a persona; a warning counts the others."""
    check_instance("personas", personas, pd.Series, "a pandas Series customer_id -> persona")
    known = log.customers.isin(personas.dropna().index)
    if not known.all():
        warnings.warn(f"{int((~known).sum())} customer(s) without a persona left out of the journey map.", DataWarning,
                      stacklevel=4)
    return log.for_customers(np.asarray(known))

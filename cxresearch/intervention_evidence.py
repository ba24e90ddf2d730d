"""What interventions are measured on: the metrics and their observations at each scope.

:data:`METRICS` declares how each metric is observed and judged;
:class:`Evidence` turns a dataset into the observations of every metric, each
with its time, its place (touchpoint, channel, stage, or a review's mention of
the scope) and its customer, for :mod:`cxresearch.interventions` to compare.
"""
from __future__ import annotations

import re
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from .errors import DataError, ParameterError, did_you_mean
from .i18n import N_
from .eventcodes import encode
from .sessions import AUTO_GAP, SessionLog, check_events, cut_sessions, dataset_gap, narrow
from .text import sentiment

if TYPE_CHECKING:
    from .dataset import CXDataset
    from .journeys import JourneyLog


class Metric(NamedTuple):
    """How a metric is observed and judged."""

    source: str     # "surveys", "sessions" or "reviews"
    estimate: str   # "share" (a fraction of 1, Wilson), "nps" (points) or "mean" (t interval)
    better: str     # "higher" or "lower"
    label: str
    large: float    # a large change of the metric: a sample that detects only larger ones cannot tell
    span: float = 1.0   # the widest change the scale allows (a share 1, NPS 200 points, a mean its scale's width)


#: Metrics measured for each intervention; ``large`` in the metric's unit (shares in fractions of 1: 0.2 is 20
#: percentage points; NPS in points; means on their scale): a change few interventions reach.
METRICS = {
    "csat": Metric("surveys", "share", "higher", N_("CSAT (share of 4-5 answers)"), 0.2),
    "csat_mean": Metric("surveys", "mean", "higher", N_("CSAT mean (1-5)"), 0.5, 4.0),
    "nps": Metric("surveys", "nps", "higher", "NPS", 25.0, 200.0),
    "exit_rate": Metric("sessions", "share", "lower", N_("exit rate (share of sessions)"), 0.2),
    "conversion": Metric("sessions", "share", "higher", N_("conversion to a later stage (share of sessions)"), 0.2),
    "sentiment": Metric("reviews", "mean", "higher", N_("review sentiment (-1..1)"), 0.3, 2.0),
}
KINDS = ("touchpoint", "channel", "stage")
#: What the comparison of a scope of each kind is, for legends (translate with ``_`` where shown).
OTHERS = {"touchpoint": N_("other touchpoints"), "channel": N_("other channels"), "stage": N_("other stages")}


def interventions_table(ds: CXDataset) -> pd.DataFrame:
    """The interventions table (empty without one), optional columns filled: no end, no description."""
    table = ds.interventions
    if table is None:
        table = pd.DataFrame({"intervention_id": pd.Series(dtype=str), "scope": pd.Series(dtype=str),
                              "start": pd.Series(dtype="datetime64[us, UTC]")})
    defaults = {"end": pd.NaT, "description": "", "expected_metric": ""}
    return table.assign(**{column: value for column, value in defaults.items() if column not in table.columns})


class Observations(NamedTuple):
    """One metric's observations at a scope and on its comparison, as arrays of one row each."""

    time: np.ndarray       # int64 nanoseconds (UTC)
    scope: np.ndarray      # bool: at the scope (else on the comparison)
    score: np.ndarray      # float64: the observation's value of the metric
    customer: np.ndarray   # int64: customers numbered in the order of their labels as text, -1 when unknown


class Evidence:
    """The observations of every metric in a dataset, each with its time and place (computed once).

    Events are read as codes in journey order (a given :class:`~cxresearch.journeys.JourneyLog`, else
    :func:`~cxresearch.sessions.cut_sessions` with the dataset's session gap), never copied whole; each source's
    customers are numbered once; review sentiment is scored once, or given. Per event, places are kept in their
    narrowest integer type and sessions as int32 (at 20M events an int64 array is 160 MB).
    """

    def __init__(self, ds: CXDataset, mentions, sentiment: pd.Series | None = None, log: JourneyLog | None = None):
        self.ds = ds
        self.mentions = dict(mentions) if mentions else listed_mentions(ds)
        self._sentiment = sentiment
        self._given_log = log
        self._sessions: dict[str, _Sessions | None] = {}
        self._places: dict[str, tuple[np.ndarray, pd.Index]] = {}

    def kind_of(self, scope: str) -> str:
        """``"touchpoint"``, ``"channel"`` or ``"stage"``: the first kind that has *scope* among its places."""
        for kind in KINDS:
            if scope in self.places[kind]:
                return kind
        known = sorted(set().union(*self.places.values()))
        raise DataError(f"intervention scope {scope!r} is not a touchpoint, channel or stage of the data; "
                        f"expected one of {', '.join(known[:15])}{'...' if len(known) > 15 else ''}."
                        f"{did_you_mean(scope, known)}")

    @cached_property
    def places(self) -> dict[str, set]:
        places = {kind: set() for kind in KINDS}
        places["stage"] |= set(self.ds.stages)
        places["touchpoint"] |= set(self.ds.touchpoint_stage)
        for kind in KINDS:
            if self.ds.events is not None and kind in self.ds.events.columns:
                places[kind] |= set(self._journey_places(kind, ordered=False)[1])
            if self.ds.surveys is not None and kind in self.ds.surveys.columns:
                places[kind] |= set(self.ds.surveys[kind].dropna().unique())
        return places

    def observations(self, metric: str, kind: str, scope: str) -> Observations | None:
        """The observations of *metric* at *scope* (a place of *kind*) and on its comparison; None when unobservable."""
        source = METRICS[metric].source
        if source == "sessions":
            sessions = self.sessions(kind)
            return None if sessions is None else sessions.observations(metric, scope)
        if source == "reviews":
            frame = self.reviews
            if frame is None:
                return None
            at_scope = self._mentions(frame["text"], scope)
            keep = frame[metric].notna().to_numpy()
        else:
            frame = self.surveys
            if frame is None or kind not in frame.columns or metric not in frame.columns:
                return None
            at_scope = (frame[kind] == scope).fillna(False).to_numpy(dtype=bool)
            keep = (frame[kind].notna() & frame[metric].notna()).to_numpy()
        return Observations(_nanoseconds(frame["time"])[keep], at_scope[keep],
                            frame[metric].to_numpy(dtype=float)[keep], frame["customer"].to_numpy()[keep])

    @cached_property
    def surveys(self) -> pd.DataFrame | None:
        surveys = self.ds.surveys
        if surveys is None:
            return None
        frame = pd.DataFrame({"time": surveys["timestamp"], "customer": _customer_codes(_customers(surveys))})
        for kind in ("touchpoint", "channel"):
            if kind in surveys.columns:
                frame[kind] = surveys[kind]
        if "touchpoint" in surveys.columns and self.ds.stages:
            frame["stage"] = surveys["touchpoint"].map(self.ds.touchpoint_stage)
        if "csat" in surveys.columns:
            frame["csat"] = (surveys["csat"] >= 4).astype(float).where(surveys["csat"].notna())
            frame["csat_mean"] = surveys["csat"]
        if "nps" in surveys.columns:
            frame["nps"] = surveys["nps"]
        return frame

    @cached_property
    def reviews(self) -> pd.DataFrame | None:
        reviews = self.ds.reviews
        if reviews is None or "text" not in reviews.columns:
            return None
        scores = sentiment(reviews["text"]) if self._sentiment is None else self._given_sentiment(reviews)
        return pd.DataFrame({"time": reviews["timestamp"], "text": reviews["text"], "sentiment": scores,
                             "customer": _customer_codes(_customers(reviews))})

    def _given_sentiment(self, reviews: pd.DataFrame) -> pd.Series:
        scores = pd.Series(self._sentiment)
        if len(scores) != len(reviews):
            raise ParameterError(f"sentiment must give one score per review ({len(reviews)}); got {len(scores)}.")
        return pd.Series(scores.to_numpy(dtype=float), index=reviews.index)

    @cached_property
    def _log(self) -> SessionLog | JourneyLog | None:
        events = self.ds.events
        if events is None or events.empty:
            return None
        if self._given_log is not None:
            return self._given_log
        check_events(events, ("customer_id", "timestamp"))
        return cut_sessions(events, dataset_gap(self.ds, AUTO_GAP))

    def _journey_places(self, kind: str, *, ordered: bool = True) -> tuple[np.ndarray | None, pd.Index]:
        """Codes (-1 missing, narrowest type) in journey order (None unless *ordered*) and sorted labels of the
        events' *kind* column: the given log's, else encoded once."""
        if self._given_log is not None:
            return getattr(self._given_log, kind), getattr(self._given_log, f"{kind}_labels")
        if kind not in self._places:
            codes, labels = encode(self.ds.events[kind])
            self._places[kind] = narrow(codes, len(labels)), labels
        codes, labels = self._places[kind]
        return (codes[self._log.order] if ordered else None), labels

    def sessions(self, kind: str) -> _Sessions | None:
        """Each session's first event at each *kind* place it touches (computed once per kind)."""
        if kind not in self._sessions:
            if self._log is None or kind not in self.ds.events.columns:
                self._sessions[kind] = None
            else:
                self._sessions[kind] = _Sessions(self._log, self._session, *self._journey_places(kind),
                                                 self._moved_on)
        return self._sessions[kind]

    @cached_property
    def _session(self) -> np.ndarray:
        """Per event in journey order, its session's number (int32)."""
        return np.cumsum(self._log.start, dtype=np.int32) - 1

    @cached_property
    def _moved_on(self) -> np.ndarray | None:
        """Per event in journey order: 1 when a later stage follows in its session, 0 when not, NaN without a next
        stage (its stage is the last or unknown); None without stages."""
        if "stage" not in self.ds.events.columns or not self.ds.stages:
            return None
        codes, labels = self._journey_places("stage")
        ranks = narrow(np.append(pd.Index(self.ds.stages).get_indexer(labels), -1),  # -1: missing or outside
                       len(self.ds.stages))
        rank = ranks[codes]
        session = self._session.astype(np.int64)
        # the latest stage from each event to its session's end: a running maximum backwards, restarted per session
        span = len(self.ds.stages) + 1
        backwards = (session[-1] - session[::-1]) * span + rank[::-1] + 1
        latest_from_here = (np.maximum.accumulate(backwards) - (session[-1] - session[::-1]) * span - 1)[::-1]
        latest_after = np.full(len(rank), -2)
        same = session[1:] == session[:-1]
        latest_after[:-1][same] = latest_from_here[1:][same]
        moved_on = (latest_after > rank).astype(np.float32)  # 0, 1 or NaN: exact in float32
        moved_on[(rank < 0) | (rank >= len(self.ds.stages) - 1)] = np.nan
        return moved_on

    def words(self, scope: str) -> list[str]:
        """The words that count as a review mentioning *scope*: those given for it, else its name."""
        words = self.mentions.get(scope) or [scope]
        return [words] if isinstance(words, str) else list(words)

    def _mentions(self, texts: pd.Series, scope: str) -> np.ndarray:
        return mentioning(texts, self.words(scope))


def mentioning(texts: pd.Series, words) -> np.ndarray:
    """Which *texts* mention one of *words* (whole words, any case; underscores, spaces and hyphens alike)."""
    pattern = "|".join(r"[\s_-]+".join(map(re.escape, re.split(r"[\s_]+", word.strip()))) for word in words)
    found = texts.str.contains(rf"\b(?:{pattern})\b", case=False, regex=True)
    return found.fillna(False).to_numpy(dtype=bool)


def listed_mentions(ds: CXDataset) -> dict[str, list[str]]:
    """Scope -> the words the interventions file's ``mentions`` column lists for it (separated by semicolons;
    several interventions at one scope pool theirs); empty without the column."""
    table = ds.interventions
    if table is None or "mentions" not in table.columns:
        return {}
    listed: dict[str, list[str]] = {}
    for scope, words in zip(table["scope"], table["mentions"]):
        if isinstance(words, str):
            listed.setdefault(scope, []).extend(word.strip() for word in words.split(";") if word.strip())
    return {scope: list(dict.fromkeys(words)) for scope, words in listed.items() if words}


class _Sessions:
    """Each session's first event at each place of one kind (journey order): what session metrics are read on.

    A session's ``exit_rate`` at a place is 1 when its last event is there; its ``conversion`` is the
    ``moved_on`` of its first event there (a later stage follows in the session). *session* numbers each event's
    session; places, sessions and customers are kept as int32 or narrower, the metrics (0, 1 or NaN) as float32.
    """

    def __init__(self, log: SessionLog, session: np.ndarray, place: np.ndarray, labels: pd.Index,
                 moved_on: np.ndarray | None):
        last = np.append(log.start[1:], True)   # the last event of each session, in session order
        present = np.flatnonzero(place >= 0)
        first = present[_first_of_each(session[present].astype(np.int64) * len(labels) + place[present])]
        self.labels = labels
        self.place, self.session, self.time = place[first], session[first], log.time[first]
        self.customer = narrow(_label_codes(log.customers), len(log.customers))[log.customer[first]]
        self.n_sessions = int(session[-1]) + 1
        self.metrics = {"exit_rate": (self.place == place[last][self.session]).astype(np.float32)}
        if moved_on is not None:
            self.metrics["conversion"] = moved_on[first]

    def observations(self, metric: str, scope: str) -> Observations | None:
        """Sessions at *scope*, and the others' places (a session touching the scope is never comparison)."""
        if metric not in self.metrics:
            return None
        at_scope = self.place == self.labels.get_indexer([scope])[0]
        touched = np.zeros(self.n_sessions, bool)
        touched[self.session[at_scope]] = True
        score = self.metrics[metric]
        keep = (at_scope | ~touched[self.session]) & ~np.isnan(score)
        return Observations(self.time[keep], at_scope[keep], score[keep].astype(float),
                            self.customer[keep].astype(np.int64))


def _first_of_each(key: np.ndarray) -> np.ndarray:
    """Position of the first occurrence of each distinct *key*, by key; keys come in blocks (sessions), so a
    stable sort of them is nearly a merge of sorted runs."""
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    new = np.ones(len(order), bool)
    new[1:] = ordered[1:] != ordered[:-1]
    return order[new]


def _nanoseconds(times: pd.Series) -> np.ndarray:
    return times.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _label_codes(labels) -> np.ndarray:
    """Each label's number when the labels are sorted as text (as :func:`~cxresearch.resampling.cluster_codes`)."""
    return pd.factorize(pd.Series(labels, dtype=object).astype("string"), sort=True)[0].astype(np.int64)


def _customer_codes(customers: pd.Series) -> np.ndarray:
    """Customers numbered in the order of their labels as text; -1 where unknown."""
    codes, labels = pd.factorize(customers)
    return np.where(codes >= 0, _label_codes(labels)[codes], -1) if len(labels) else np.full(len(codes), -1)


def _customers(table: pd.DataFrame) -> pd.Series:
    """Who gave each row (``customer_id``), missing where unknown: such rows count as customers of their own."""
    if "customer_id" in table.columns:
        return table["customer_id"]
    return pd.Series(np.nan, index=table.index, dtype=object)

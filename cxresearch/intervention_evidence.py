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

from .errors import DataError, did_you_mean
from .i18n import N_
from .sessions import sessionize
from .text import sentiment

if TYPE_CHECKING:
    from .dataset import CXDataset


class Metric(NamedTuple):
    """How a metric is observed and judged."""

    source: str     # "surveys", "sessions" or "reviews"
    estimate: str   # "share" (a fraction of 1, Wilson), "nps" (points) or "mean" (t interval)
    better: str     # "higher" or "lower"
    label: str
    large: float    # a large change of the metric: a sample that detects only larger ones cannot tell


#: Metrics measured for each intervention; ``large`` in the metric's unit (shares in fractions of 1: 0.2 is 20
#: percentage points; NPS in points; means on their scale): a change few interventions reach.
METRICS = {
    "csat": Metric("surveys", "share", "higher", N_("CSAT (% of 4-5 answers)"), 0.2),
    "csat_mean": Metric("surveys", "mean", "higher", N_("CSAT mean (1-5)"), 0.5),
    "nps": Metric("surveys", "nps", "higher", "NPS", 25.0),
    "exit_rate": Metric("sessions", "share", "lower", N_("exit rate (% of sessions)"), 0.2),
    "conversion": Metric("sessions", "share", "higher", N_("conversion to a later stage (% of sessions)"), 0.2),
    "sentiment": Metric("reviews", "mean", "higher", N_("review sentiment (-1..1)"), 0.3),
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


class Evidence:
    """The observations of every metric in a dataset, each with its time and place (computed once)."""

    def __init__(self, ds: CXDataset, mentions):
        self.ds = ds
        self.mentions = dict(mentions or {})

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
        for table in (self.ds.events, self.ds.surveys):
            for kind in KINDS:
                if table is not None and kind in table.columns:
                    places[kind] |= set(table[kind].dropna().unique())
        return places

    def observations(self, metric: str, kind: str, scope: str) -> pd.DataFrame | None:
        """``time``, ``arm`` ("scope" or "comparison") and ``score`` of *metric*; None when unobservable."""
        source = METRICS[metric].source
        if source == "reviews":
            reviews = self.reviews
            if reviews is None:
                return None
            place = pd.Series(np.where(self._mentions(reviews["text"], scope), scope, "other"), index=reviews.index)
            frame = reviews.assign(place=place)
        else:
            frame = self.surveys if source == "surveys" else self.sessions(kind)
            if frame is None or kind not in frame.columns or metric not in frame.columns:
                return None
            frame = frame.assign(place=frame[kind])
        if source == "sessions":   # a session touching the scope is never comparison evidence
            touched = frame.loc[frame["place"] == scope, "session"].unique()
            frame = frame.loc[(frame["place"] == scope) | ~frame["session"].isin(touched)]
        frame = frame.loc[frame["place"].notna() & frame[metric].notna()]
        return pd.DataFrame({"time": frame["time"], "arm": np.where(frame["place"] == scope, "scope", "comparison"),
                             "score": frame[metric].astype(float), "customer": frame["customer"]})

    @cached_property
    def surveys(self) -> pd.DataFrame | None:
        surveys = self.ds.surveys
        if surveys is None:
            return None
        frame = pd.DataFrame({"time": surveys["timestamp"], "customer": _customers(surveys)})
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
    def _events(self) -> pd.DataFrame | None:
        """Events in journey order with ``is_last`` (of its session) and ``moved_on`` (a later stage follows)."""
        events = self.ds.events
        if events is None or events.empty:
            return None
        events = sessionize(events)
        session = events["session"]
        is_last = session.ne(session.shift(-1))
        if "stage" not in events.columns or not self.ds.stages:
            return events.assign(is_last=is_last)
        rank = events["stage"].map({stage: i for i, stage in enumerate(self.ds.stages)}).fillna(-1)
        latest_from_here = rank.iloc[::-1].groupby(session.iloc[::-1]).cummax().iloc[::-1]
        latest_after = latest_from_here.groupby(session).shift(-1)
        has_next_stage = (rank >= 0) & (rank < len(self.ds.stages) - 1)
        return events.assign(is_last=is_last, moved_on=(latest_after > rank).astype(float).where(has_next_stage))

    def sessions(self, kind: str) -> pd.DataFrame | None:
        """One row per session and *kind* place it touches, at the session's first event there."""
        events = self._events
        if events is None or kind not in events.columns:
            return None
        last_place = events.loc[events["is_last"]].set_index("session")[kind]
        first = events.dropna(subset=[kind]).drop_duplicates(["session", kind])
        frame = pd.DataFrame({"time": first["timestamp"], kind: first[kind], "session": first["session"],
                              "customer": first["customer_id"],
                              "exit_rate": first[kind].eq(first["session"].map(last_place)).astype(float)})
        if "moved_on" in first.columns:
            frame["conversion"] = first["moved_on"]
        return frame

    @cached_property
    def reviews(self) -> pd.DataFrame | None:
        reviews = self.ds.reviews
        if reviews is None or "text" not in reviews.columns:
            return None
        scores = sentiment(reviews["text"])
        return pd.DataFrame({"time": reviews["timestamp"], "text": reviews["text"], "sentiment": scores,
                             "customer": _customers(reviews)})

    def _mentions(self, texts: pd.Series, scope: str) -> np.ndarray:
        words = self.mentions.get(scope) or [scope]
        words = [words] if isinstance(words, str) else list(words)
        pattern = "|".join(r"[\s_-]+".join(map(re.escape, re.split(r"[\s_]+", word.strip()))) for word in words)
        found = texts.str.contains(rf"\b(?:{pattern})\b", case=False, regex=True)
        return found.fillna(False).to_numpy(dtype=bool)


def _customers(table: pd.DataFrame) -> pd.Series:
    """Who gave each row (``customer_id``), missing where unknown: such rows count as customers of their own."""
    if "customer_id" in table.columns:
        return table["customer_id"]
    return pd.Series(np.nan, index=table.index, dtype=object)

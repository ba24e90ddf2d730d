"""Pandera schemas of the canonical tables (DESIGN.md, "Canonical data model").

Each table is a :class:`pandera.pandas.DataFrameModel` whose attributes are the
canonical column names. The loader parses raw text into these types first, then
validates lazily so one error lists every problem. Each field's ``description``
says, in words, what a valid value is; error messages quote it.
"""
from __future__ import annotations

from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

__all__ = ["Customers", "Events", "Surveys", "Reviews", "Interventions", "SCHEMAS", "REQUIRED", "NUMERIC", "TIMESTAMPS",
           "IDS", "LOWERCASE"]

_UTC = {"unit": "us", "tz": "UTC"}


def _whole(series: pd.Series) -> pd.Series:
    return series % 1 == 0



def _score(low: int, high: int, *, alias: str | None = None, regex: bool = False):
    return pa.Field(ge=low, le=high, nullable=True, alias=alias, regex=regex,
                    description=f"a whole number from {low} to {high}")


class _Table(pa.DataFrameModel):
    class Config:
        strict = False
        coerce = False


class Customers(_Table):
    """One row per customer; any further columns are attributes."""

    customer_id: Series[str] = pa.Field(unique=True, description="a unique customer id")


class Events(_Table):
    """Behavioural events: one row per interaction on a channel's touchpoint."""

    customer_id: Series[str] = pa.Field(description="a customer id")
    timestamp: Series[pd.DatetimeTZDtype] = pa.Field(dtype_kwargs=_UTC, description="an ISO-8601 date-time")
    channel: Series[str] = pa.Field(description="a channel name such as 'web' or 'store'")
    touchpoint: Series[str] = pa.Field(description="a touchpoint name such as 'checkout'")
    value: Optional[Series[float]] = pa.Field(nullable=True, description="a money amount")


class Surveys(_Table):
    """Survey answers; scores are optional, each on its standard scale."""

    response_id: Series[str] = pa.Field(unique=True, description="a unique response id")
    timestamp: Series[pd.DatetimeTZDtype] = pa.Field(dtype_kwargs=_UTC, description="an ISO-8601 date-time")
    customer_id: Optional[Series[str]] = pa.Field(nullable=True, description="a customer id")
    nps: Optional[Series[float]] = _score(0, 10)
    csat: Optional[Series[float]] = _score(1, 5)
    ces: Optional[Series[float]] = _score(1, 7)
    rating: Optional[Series[float]] = _score(1, 5, alias=r"rating_.+", regex=True)

    @pa.check("nps", "csat", "ces", r"rating_.+", regex=True, name="whole_number")
    @classmethod
    def _scores_are_whole(cls, score: pd.Series) -> pd.Series:
        return _whole(score)


class Reviews(_Table):
    """Online reviews with a 1-5 star rating."""

    review_id: Series[str] = pa.Field(unique=True, description="a unique review id")
    timestamp: Series[pd.DatetimeTZDtype] = pa.Field(dtype_kwargs=_UTC, description="an ISO-8601 date-time")
    rating: Series[float] = pa.Field(ge=1, le=5, description="a whole number from 1 to 5")
    customer_id: Optional[Series[str]] = pa.Field(nullable=True, description="a customer id")

    @pa.check("rating", name="whole_number")
    @classmethod
    def _rating_is_whole(cls, rating: pd.Series) -> pd.Series:
        return _whole(rating)


class Interventions(_Table):
    """Changes the company made at a channel, touchpoint or stage, to measure their effect."""

    intervention_id: Series[str] = pa.Field(unique=True, description="a unique intervention id")
    start: Series[pd.DatetimeTZDtype] = pa.Field(dtype_kwargs=_UTC, description="the date the change started")
    end: Optional[Series[pd.DatetimeTZDtype]] = pa.Field(dtype_kwargs=_UTC, nullable=True,
                                                         description="the date the change ended (optional)")
    scope: Series[str] = pa.Field(description="a channel, touchpoint or stage of the data")


SCHEMAS = {"customers": Customers, "events": Events, "surveys": Surveys, "reviews": Reviews,
           "interventions": Interventions}
#: The canonical tables, in the order they are read and shown.
TABLES = tuple(SCHEMAS)

#: Columns every file of a table must have.
REQUIRED = {
    "customers": ("customer_id",),
    "events": ("customer_id", "timestamp", "channel", "touchpoint"),
    "surveys": ("response_id", "timestamp"),
    "reviews": ("review_id", "timestamp", "rating"),
    "interventions": ("intervention_id", "start", "scope"),
}
#: A table's own row id that may be absent from an export (an NPS tool's or a review
#: scrape's): its rows are then identified by file and line.
ROW_IDS = {"surveys": "response_id", "reviews": "review_id"}
#: What common exports call a canonical column (snake case), for the hint when it is missing.
EXPORT_NAMES = {
    "customer_id": ("user_id", "client_id", "account_id", "contact_id", "customer", "member_id"),
    "timestamp": ("date", "datetime", "time", "created", "created_at", "submitted", "submitted_at", "date_submitted",
                  "response_date", "review_date", "event_time", "occurred_at", "at"),
    "channel": ("source", "medium", "platform", "device"),
    "touchpoint": ("event", "event_name", "page", "action", "activity", "step"),
    "rating": ("stars", "score", "review_score", "star_rating", "overall"),
    "intervention_id": ("id", "change_id", "name"),
    "start": ("start_date", "date", "launched", "from"),
    "scope": ("channel", "touchpoint", "area"),
}
#: Id columns: always text (leading zeros kept), trimmed.
IDS = ("customer_id", "response_id", "review_id", "session_id", "intervention_id")
#: Categorical columns trimmed and lower-cased.
LOWERCASE = ("channel", "touchpoint", "stage", "source", "language", "scope", "expected_metric")
#: Date-time columns parsed to UTC, per table.
TIMESTAMPS = {"interventions": ("start", "end")}
DEFAULT_TIMESTAMPS = ("timestamp",)
#: Numeric columns per table (``rating_*`` included by prefix).
NUMERIC = {
    "customers": (),
    "events": ("value",),
    "surveys": ("nps", "csat", "ces"),
    "reviews": ("rating",),
    "interventions": (),
}

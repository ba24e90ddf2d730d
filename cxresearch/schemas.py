"""The canonical tables (DESIGN.md, "Canonical data model"): their names, required and typed columns, schemas.

Each table is a pandera :class:`~pandera.pandas.DataFrameModel` whose
attributes are the canonical column names (:mod:`cxresearch.schema_models`).
The loader parses raw text into these types first, then validates lazily so
one error lists every problem. The models, and pandera with them, load on
first use (``schemas.Surveys``, ``schemas.SCHEMAS``): reading a dataset
snapshot, as every notebook of a run does, never imports pandera.
"""
from __future__ import annotations

__all__ = ["Customers", "Events", "Surveys", "Reviews", "Interventions", "SCHEMAS", "TABLES", "REQUIRED", "NUMERIC",
           "TIMESTAMPS", "IDS", "LOWERCASE"]

_MODELS = ("Customers", "Events", "Surveys", "Reviews", "Interventions", "SCHEMAS")

#: The canonical tables, in the order they are read and shown (the keys of :data:`SCHEMAS`).
TABLES = ("customers", "events", "surveys", "reviews", "interventions")

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


def __getattr__(name: str):
    if name in _MODELS:
        from . import schema_models

        return getattr(schema_models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

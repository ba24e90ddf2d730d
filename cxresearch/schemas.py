"""The canonical tables (DESIGN.md, "Canonical data model"): their names, required and typed columns, schemas.

Each table is a pandera :class:`~pandera.pandas.DataFrameModel` whose
attributes are the canonical column names (:mod:`cxresearch.schema_models`).
The loader parses raw text into these types first, then validates lazily so
one error lists every problem. The models, and pandera with them, load on
first use (``schemas.Surveys``, ``schemas.SCHEMAS``): reading a dataset
snapshot, as every notebook of a run does, never imports pandera.
"""
from __future__ import annotations

import fnmatch

__all__ = ["Customers", "Events", "Surveys", "Reviews", "Interventions", "SCHEMAS", "TABLES", "REQUIRED", "OPTIONAL",
           "NUMERIC", "TIMESTAMPS", "IDS", "LOWERCASE", "EXPORT_NAMES", "export_columns"]

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
#: Canonical columns a table may have (README "Your own data"; ``rating_*`` too in surveys).
OPTIONAL = {
    "customers": (),
    "events": ("event", "session_id", "value", "stage"),
    "surveys": ("customer_id", "channel", "touchpoint", "nps", "csat", "ces", "comment"),
    "reviews": ("customer_id", "source", "text", "language"),
    "interventions": ("end", "description", "owner", "expected_metric", "mentions"),
}
#: A table's own row id that may be absent from an export (an NPS tool's, a review
#: scrape's, an anonymous CRM or campaign extract's): its rows are then identified by file and line.
ROW_IDS = {"customers": "customer_id", "surveys": "response_id", "reviews": "review_id"}
#: What common exports call a canonical column (snake case; ``*`` matches any text, as in
#: ``how_likely*``), for the hint when it is missing (:func:`export_columns`). The scores are
#: what NPS, CSAT and CES tools name them, their question's words included; Italian exports' names follow.
EXPORT_NAMES = {
    "customer_id": ("user_id", "client_id", "account_id", "contact_id", "customer", "member_id", "id_cliente",
                    "codice_cliente", "cliente"),
    "timestamp": ("date", "datetime", "time", "created", "created_at", "submitted", "submitted_at", "date_submitted",
                  "response_date", "review_date", "event_time", "occurred_at", "at", "data", "data_ora",
                  "data_risposta", "data_recensione"),
    "channel": ("source", "medium", "platform", "device", "canale"),
    "touchpoint": ("event", "event_name", "page", "action", "activity", "step", "queue", "category", "topic"),
    "rating": ("stars", "score", "review_score", "star_rating", "overall", "stelle", "voto"),
    "intervention_id": ("id", "change_id", "name"),
    "start": ("start_date", "date", "launched", "from", "data_inizio"),
    "scope": ("channel", "touchpoint", "area"),
    "nps": ("score", "nps_score", "net_promoter_score", "likelihood_to_recommend", "recommendation_score",
            "how_likely*", "*recommend*", "voto_nps", "punteggio_nps", "*consiglier*",
            "*raccomand*"),
    "csat": ("score", "satisfaction", "satisfaction_score", "csat_score", "overall_satisfaction", "*satisf*",
             "soddisfazione", "*soddisf*"),
    "ces": ("effort", "effort_score", "ces_score", "customer_effort", "customer_effort_score", "how_easy*",
            "*effort*", "sforzo", "*sforzo*"),
    "comment": ("comments", "feedback", "verbatim", "open_answer", "open_text", "reason", "why", "text",
                "*comment*", "*feedback*", "commento", "commenti"),
    "text": ("review", "review_text", "body", "content", "comment", "message", "review_body", "*review_text*",
             "*comment*", "*message*", "testo", "recensione", "testo_recensione"),
}


def export_columns(column: str, present) -> list[str]:
    """The columns of *present* that exports usually call *column* (:data:`EXPORT_NAMES`), most usual name first.

    Examples
    --------
    >>> export_columns("nps", ["date", "how_likely_are_you_to_recommend_us", "comment"])
    ['how_likely_are_you_to_recommend_us']
    >>> export_columns("timestamp", ["id", "created_at"])
    ['created_at']
    """
    present = [str(c) for c in present]
    found = [c for name in EXPORT_NAMES.get(column, ()) for c in fnmatch.filter(present, name)]
    return list(dict.fromkeys(found))


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

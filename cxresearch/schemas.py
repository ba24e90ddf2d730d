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
import unicodedata

__all__ = ["Customers", "Events", "Surveys", "Reviews", "Interventions", "SCHEMAS", "TABLES", "REQUIRED", "OPTIONAL",
           "NUMERIC", "TIMESTAMPS", "IDS", "LOWERCASE", "HEADER_NAMES", "EXPORT_NAMES",
           "export_columns", "recognised_columns"]

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
#: The canonical columns' own names in exports, in English, Italian and Portuguese words (snake case, without
#: accents): a file lacking the column reads the one column so named as it (:func:`recognised_columns`).
HEADER_NAMES = {
    "customer_id": ("customer_number", "id_cliente", "codice_cliente", "cliente_id", "id_do_cliente",
                    "codigo_cliente", "codigo_do_cliente"),
    "response_id": ("response_number", "id_risposta", "codice_risposta", "id_resposta", "id_da_resposta"),
    "review_id": ("id_recensione", "id_avaliacao", "id_da_avaliacao"),
    "session_id": ("id_sessione", "id_sessao", "id_da_sessao"),
    "intervention_id": ("id_intervento", "id_intervencao"),
    "timestamp": ("date", "datetime", "date_time", "data", "data_ora", "data_e_ora", "data_hora", "data_e_hora",
                  "data_risposta", "data_recensione", "data_da_resposta", "data_da_avaliacao"),
    "start": ("start_date", "data_inizio", "inizio", "data_de_inicio", "inicio"),
    "end": ("end_date", "data_fine", "fine", "data_de_fim", "fim"),
    "channel": ("canale", "canal"),
    "touchpoint": ("touch_point", "punto_di_contatto", "punto_contatto", "ponto_de_contato", "ponto_de_contacto",
                   "punto_de_contacto"),
    "stage": ("journey_stage", "fase", "fase_del_percorso", "etapa", "etapa_da_jornada"),
    "event": ("evento", "nome_evento", "nome_do_evento"),
    "value": ("valore", "importo", "valor"),
    "nps": ("nps_score", "voto_nps", "punteggio_nps", "nota_nps", "pontuacao_nps"),
    "csat": ("csat_score", "voto_csat", "punteggio_csat", "nota_csat", "pontuacao_csat"),
    "ces": ("ces_score", "voto_ces", "punteggio_ces", "nota_ces", "pontuacao_ces"),
    "comment": ("comments", "commento", "commenti", "comentario", "comentarios"),
    "rating": ("stars", "star_rating", "stelle", "valutazione", "estrelas"),
    "text": ("review_text", "testo", "testo_recensione", "texto", "texto_da_avaliacao"),
    "source": ("fonte", "origine", "origem"),
    "language": ("lingua", "idioma"),
    "description": ("descrizione", "descricao"),
    "owner": ("responsabile", "responsavel"),
    "scope": ("ambito", "escopo"),
}
#: What else exports often call a canonical column (snake case; ``*`` matches any text, as in ``how_likely*``):
#: named in the hint when the column is missing (:func:`export_columns`), never read as it unasked. The scores
#: are what NPS, CSAT and CES tools name them, their question's words included; Italian exports' names follow.
EXPORT_NAMES = {
    "customer_id": ("user_id", "client_id", "account_id", "contact_id", "customer", "member_id", "cliente"),
    "timestamp": ("time", "created", "created_at", "submitted", "submitted_at", "date_submitted", "response_date",
                  "review_date", "event_time", "occurred_at", "at", "ora"),
    "channel": ("source", "medium", "platform", "device"),
    "touchpoint": ("event", "event_name", "page", "action", "activity", "step", "queue", "category", "topic"),
    "rating": ("score", "review_score", "overall", "voto"),
    "intervention_id": ("id", "change_id", "name"),
    "start": ("date", "launched", "from"),
    "scope": ("channel", "touchpoint", "area"),
    "nps": ("score", "net_promoter_score", "likelihood_to_recommend", "recommendation_score", "how_likely*",
            "*recommend*", "*consiglier*", "*raccomand*"),
    "csat": ("score", "satisfaction", "satisfaction_score", "overall_satisfaction", "*satisf*", "soddisfazione",
             "*soddisf*"),
    "ces": ("effort", "effort_score", "customer_effort", "customer_effort_score", "how_easy*", "*effort*", "sforzo",
            "*sforzo*", "*facil*"),
    "comment": ("feedback", "verbatim", "open_answer", "open_text", "reason", "why", "text", "*comment*",
                "*feedback*"),
    "text": ("review", "body", "content", "comment", "message", "review_body", "*review_text*", "*comment*",
             "*message*", "recensione"),
}


def export_columns(column: str, present) -> list[str]:
    """The columns of *present* that exports call *column* (:data:`HEADER_NAMES`, then :data:`EXPORT_NAMES`),
    most usual name first; accents aside.

    Examples
    --------
    >>> export_columns("nps", ["date", "how_likely_are_you_to_recommend_us", "comment"])
    ['how_likely_are_you_to_recommend_us']
    >>> export_columns("timestamp", ["id", "created_at", "data_e_hora"])
    ['data_e_hora', 'created_at']
    """
    plain = {}
    for name in map(str, present):
        plain.setdefault(_plain(name), name)
    found = [plain[c] for name in (*HEADER_NAMES.get(column, ()), *EXPORT_NAMES.get(column, ()))
             for c in fnmatch.filter(plain, name)]
    return list(dict.fromkeys(found))


def recognised_columns(table: str, present) -> dict[str, str]:
    """The columns of *present* (snake-case names) to read as a canonical column of *table* they lack: a column
    named as :data:`HEADER_NAMES` names one, when no other column has a name exports give it ("date" beside
    "time" is not the timestamp alone).

    Examples
    --------
    >>> recognised_columns("surveys", ["id_risposta", "data", "punto_di_contatto", "voto_nps", "commento"])
    {'id_risposta': 'response_id', 'data': 'timestamp', 'punto_di_contatto': 'touchpoint', 'voto_nps': 'nps', \
'commento': 'comment'}
    >>> recognised_columns("events", ["customer_id", "date", "time", "channel", "touchpoint"])
    {}
    """
    canonical = [*REQUIRED[table], *OPTIONAL[table]]
    others = [c for c in present if c not in canonical]
    found = {}
    for column in canonical:
        sources = export_columns(column, others) if column not in present else []
        if len(sources) == 1 and _plain(sources[0]) in HEADER_NAMES.get(column, ()):
            found[sources[0]] = column
    return found


def _plain(name: str) -> str:
    """*name* without its accents ("código_cliente" -> "codigo_cliente")."""
    return "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))


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

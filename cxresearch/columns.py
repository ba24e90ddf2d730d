"""The library's columns: what each one holds (its *kind*) and how its name reads (its *label*).

One home for both, so tables are formatted from declarations, never from guesses:

* :data:`KINDS` lists the ways a column reads (a fraction of 1 as a percentage, a count, a duration...).
* :data:`TABLES` declares, next to the name of each table the library returns, the kind of each of its
  columns. A column name is one quantity in one unit across the library (``share``, ``reach`` and every
  rate are fractions of 1, ``csat`` the top-2-box share too; NPS is a score from -100 to 100, not a
  share; ``impact`` is the pain points' index, reach times excess dissatisfaction, and ``outcome_impact`` a
  topic's effect in points of the outcome: NPS points, or percentage points of CSAT or of a good outcome), so the declarations merge into :data:`COLUMN_KINDS`; a test checks
  that every column of every table is declared and that no name is declared with two kinds.
* :data:`METRIC_UNITS` gives each KPI or metric key its unit: a value in a column of kind ``metric``
  (``value`` of a KPI table, ``before`` of an intervention) reads in the unit of its row's metric.
* :func:`column_label` and :func:`value_label` say how the library's names read in the language in
  force: exact names from :data:`LABELS`, name patterns from :data:`PATTERNS` (``rating_delivery`` ->
  "Rating: delivery"), other names in their words with acronyms in capitals, all through the catalogs.

Columns of the reader's own tables that the library does not declare read by their dtype
(:mod:`cxresearch.display`).
"""
from __future__ import annotations

import re

from .i18n import N_, _, stage_label

__all__ = ["KINDS", "TABLES", "OUTCOMES", "COLUMN_KINDS", "NUMERIC_KINDS", "METRIC_KINDS", "METRIC_UNITS", "DETAILS", "BARE_BOUNDS", "LABELS", "PATTERNS", "HEADERS", "column_label", "header",
           "value_label", "code_label", "kinds_of", "name_part", "days_since", "zero_when_absent"]

#: How each kind of column reads.
KINDS = {
    "share": "a fraction of 1 shown as a percentage (0.756 -> 75.6%)",
    "percent": "already a percentage (84.2 -> 84.2%)",
    "metric": "in the unit of the row's metric (METRIC_UNITS): a share as a percentage, NPS in points, a mean",
    "metric_change": "a change in the unit of the row's metric: percentage points, NPS points, a mean's units",
    "metric_margin": "a size of change without a sign (a standard error, a minimum detectable effect), as metric_change",
    "count": "a whole number with thousands separators",
    "number": "a number with the table's decimals",
    "score": "at most three significant digits (0.0123, 0.188, -12.3)",
    "p_value": "three decimals, '<0.001' below that",
    "duration": "a timedelta in words (3 min 48 s)",
    "date": "a date in the reader's words (Dec 1, 2026; 1 dic 2026)",
    "flag": "yes / no",
    "list": "items joined by ' · '",
    "text": "as it is (the library's category values in the reader's language)",
    "code": "a code of the data (a touchpoint, a channel, a path of touchpoints) in words (chat_support -> chat support)",
    "sentence": "a sentence, its `names` (column, file, setting) set as code",
}
#: Kinds that format numbers (shown right-aligned; a column of another dtype reads by its dtype instead).
NUMERIC_KINDS = frozenset({"share", "percent", "count", "number", "score", "p_value", "metric", "metric_change",
                           "metric_margin"})
#: Kinds read in the unit of their row's metric, from the table's ``metric`` (or ``kpi``) column.
METRIC_KINDS = frozenset({"metric", "metric_change", "metric_margin"})
#: Metric key -> its unit: ``"share"`` (a fraction of 1, shown as a percentage, its changes in percentage
#: points), ``"points"`` (NPS: a score from -100 to 100, the promoters' minus the detractors' percentage, not a
#: share), ``"mean"`` (a mean answer on its scale, or a mean sentiment score).
METRIC_UNITS = {"nps": "points", "csat": "share", "csat_top2box": "share", "exit_rate": "share",
                "conversion": "share", "csat_mean": "mean", "ces": "mean", "sentiment": "mean",
                # the summary's review KPIs (4-5 stars, mean stars) and the names of their saved estimates
                "rating": "share", "review_top2box": "share", "rating_mean": "mean", "review_mean": "mean",
                # surveys' share of satisfied answers (a two-valued satisfaction column) and its saved estimate
                "satisfied": "share", "satisfied_share": "share",
                # the share of customers with a yes/no outcome (cxresearch.outcomes)
                "outcome_rate": "share"}
#: Customer columns that say how a customer's story ended (took the offer, bought, converted, was won or approved,
#: left, came out satisfied; a categorical ``outcome``): they describe personas without shaping them
#: (:data:`cxresearch.features.DESCRIPTORS`), and a yes/no one is the outcome whose rate the summary and the
#: persona cards report (:func:`cxresearch.outcomes.outcome_column`).
OUTCOMES = re.compile(r"^(churn.*|customer_status|outcome|subscribed|purchased|converted|won|approved|satisfied)$")


def _with_interval(column: str, kind: str) -> dict[str, str]:
    """*column* and its interval bounds ``<column>_low`` and ``<column>_high``, all of *kind*."""
    return {column: kind, f"{column}_low": kind, f"{column}_high": kind}


_CSAT = {"surveys": "count", **_with_interval("csat", "share"), **_with_interval("csat_mean", "number")}
_KPI = {"metric": "text", **_with_interval("value", "metric"), "low": "metric", "high": "metric", "se": "metric",
        "n": "count", "respondents": "count", "n_effective": "number", "design_effect": "number",
        "low_base": "flag", "top_share": "share", "bottom_share": "share", "df": "number", "weight_total": "number"}
_PAIN_POINTS = {"persona": "text", "name": "text", "stage": "text", "touchpoint": "code", "customers": "count",
                "reach": "share", "exit_rate": "share", "end_of_journey": "text", "abandon_rate": "share",
                "excess_exit_rate": "share", "excess_dissatisfaction": "share", "impact": "score", "negative_topics": "list", **_CSAT}
_EFFECT = {"before": "metric", "after": "metric", "before_n": "count", "after_n": "count",
           **_with_interval("change", "metric_change"), "change_p_value": "p_value"}

#: Table -> its columns' kinds, for every table the library returns (see the module docstring).
TABLES: dict[str, dict[str, str]] = {
    # journeys.JourneyMap
    "journey stages": {"persona": "text", "stage": "text", "customers": "count", "share": "share",
                       "converted": "count", "conversion": "share", "drop_off": "share",
                       "median_time_from_previous": "duration", "median_time": "duration", "events": "count",
                       "exits": "count", "exit_rate": "share", **_CSAT},
    "journey channels": {"level": "text", "channel": "code", "touchpoint": "code", "customers": "count",
                         "share": "share", "events": "count", "exits": "count", "exit_rate": "share",
                         "expected_exit_rate": "share", "completeness": "share", "flag": "text", **_CSAT},
    "journey paths": {"path": "code", "steps": "count", "sessions": "count", "share": "share", "customers": "count"},
    "journey touchpoints": {"touchpoint": "code", "stage": "text", "events": "count", "customers": "count",
                            "reach": "share", "entries": "count", "exits": "count", "exit_rate": "share"},
    "journey endings": {"touchpoint": "code", "stage": "text", "kind": "text", "sessions": "count", "share": "share",
                        "customers": "count", "reach": "share", "exit_rate": "share", **_CSAT},
    "journey transitions": {"step": "count", "from_touchpoint": "code", "to_touchpoint": "code", "count": "count",
                            "customers": "count", "median_time": "duration"},
    "journey funnel": {"persona": "text", "step": "count", "name": "text", "customers": "count",
                       "share_of_first": "share", "conversion": "share", "drop_off": "share",
                       "median_time_from_previous": "duration"},
    "pain points": {**_PAIN_POINTS, "rank": "count", "previous_rank": "count"},
    "cross-channel": {"customers": "count", "multichannel_customers": "count", "multichannel_share": "share",
                      "mean_channels": "number"},
    "channel switching": {"from_channel": "code", "to_channel": "code", "count": "count", "customers": "count"},
    # stats.kpi_summary, voice.kpi_table and the summary's KPI table
    "KPIs": {**_KPI, "kpi": "text", "KPI": "text", "label": "text", "responses": "count", "change": "metric_change",
             "before": "metric", "after": "metric", "diff": "metric_change", "p_value": "p_value", "significant": "flag",
             "note": "text", "channel": "code", "touchpoint": "code", "period": "date"},
    # stats.mix_decomposition: the summary's change of NPS split into within-channel change and channel mix
    "mix decomposition": {"share_before": "share", "share_after": "share", "value_before": "number",
                          "value_after": "number", "within": "number", "mix": "number"},
    # voice.key_drivers, topics, topic_impact
    "key drivers": {"driver": "text", **_with_interval("importance", "share"), "signed_importance": "share",
                    **_with_interval("rank", "count"), **_with_interval("beta", "score"), "direction": "text",
                    **_with_interval("performance", "number"), "quadrant": "text", "placement": "text",
                    "priority": "count", "correlation": "score",
                    "share": "share", "significant": "flag", "mean": "number"},
    "topics": {"topic": "text", "kind": "text", "terms": "text", "n": "count", "share": "share",
               "languages": "text", "sentiment": "number", "positive": "share", "negative": "share",
               "stability": "score", "examples": "list"},
    "topic impact": {"topic": "text", "n": "count", "share": "share", "outcome": "number",
                     "outcome_without": "number", **_with_interval("outcome_impact", "number"), "p_value": "p_value",
                     "q_value": "p_value",
                     "significant": "flag"},
    # personas.PersonaModel and the summary's persona shares
    "personas": {"name": "text", "size": "count", "share": "share", "stability": "score", "unstable": "flag",
                 "distinctiveness": "score", "top_traits": "text", "channels": "text", "suppressed": "flag",
                 **_with_interval("nps", "number"), "nps_n": "count", **_with_interval("csat", "share"),
                 "csat_n": "count", **_with_interval("outcome_rate", "share"), "outcome_n": "count",
                 "outcome_vs_rest": "share", "outcome_p_adjusted": "p_value",
                 "outcome_differs": "text"},
    "persona selection": {"k": "count", "silhouette": "score", "stability": "score", "stability_sd": "score",
                          "min_stability": "score", "min_size": "count", "top_variable": "text",
                          "top_share": "share", "mirror_pairs": "count", "refits": "count", "eligible": "flag",
                          "chosen": "flag", "davies_bouldin": "score", "ari": "score"},
    "persona separation": {"variable": "text", "share of the separation": "share"},
    "persona alignment": {"previous_id": "count", "status": "text", "distance": "score"},
    "persona shares": {"persona_id": "count", "name": "text", "size": "count", **_with_interval("share", "share"),
                       "status": "text", "previous_share": "share", "share_change": "share"},
    # interventions.intervention_effects and event_study
    "intervention effects": {"intervention_id": "text", "description": "text", "scope": "code",
                             "scope_kind": "text", "metric": "text", "better": "text", "before_start": "date",
                             "start": "date", "after_end": "date", **_EFFECT,
                             **{f"comparison_{name}": kind for name, kind in _EFFECT.items()},
                             "customers": "count", **_with_interval("did", "metric_change"),
                             "did_se": "metric_margin", "did_p_value": "p_value", "did_p_adjusted": "p_value",
                             "mde": "metric_margin",
                             "pretrend_p_value": "p_value", "pretrend": "text", "verdict": "text",
                             "previous_verdict": "text"},
    "event study": {"intervention_id": "text", "metric": "text", "bin": "count", "bin_start": "date",
                    "scope_n": "count", "comparison_n": "count", "gap": "metric_change",
                    **_with_interval("effect", "metric_change")},
    # capabilities.supported and the summary's analyses not computed
    "analyses": {"key": "text", "analysis": "text", "available": "flag", "missing": "sentence",
                 "why": "sentence"},
}


#: Estimation details the compact view of a table leaves out (:func:`cxresearch.display.pretty`), and the
#: ``kpi`` key beside the ``KPI`` label of the summary's KPI table (the key says in which unit a row reads).
DETAILS = frozenset({"se", "df", "n_effective", "design_effect", "weight_total", "did_se", "bottom_share", "kpi",
                     "outcome_n", "outcome_vs_rest", "outcome_p_adjusted"})
#: Estimates whose interval bounds are the columns ``low`` and ``high`` (a KPI's value); any other column's
#: bounds are ``<column>_low`` and ``<column>_high``.
BARE_BOUNDS = frozenset({"value"})


def _merged(tables: dict[str, dict[str, str]]) -> dict[str, str]:
    """Column -> kind over every table; a name declared with two kinds is an error of the declarations."""
    merged: dict[str, str] = {}
    for table, columns in tables.items():
        for column, kind in columns.items():
            if kind not in KINDS:
                raise ValueError(f"{table}: column {column!r} has kind {kind!r}, not one of {list(KINDS)}")
            if merged.setdefault(column, kind) != kind:
                raise ValueError(f"{table}: column {column!r} is {kind!r} here and {merged[column]!r} elsewhere")
    return merged


#: The library's column names and their kinds, merged from :data:`TABLES`.
COLUMN_KINDS = _merged(TABLES)


def kinds_of(columns) -> dict[str, str]:
    """The declared kinds of those of *columns* the library declares (column -> kind)."""
    return {column: COLUMN_KINDS[column] for column in columns if column in COLUMN_KINDS}


#: Names whose reading is not their words: column or value name -> label (translated when shown).
LABELS = {
    "avg_order_value": N_("average order value"), "n_events": N_("events"), "n_sessions": N_("sessions"),
    "n_purchases": N_("purchases"), "n_channels": N_("channels used"), "n_surveys": N_("survey answers"),
    "n_reviews": N_("reviews"), "recency_days": N_("days since last visit"),
    "tenure_days": N_("days since first visit"), "share_change": N_("share change"),
    "share_of_first": N_("share of first"), "share_of_the_separation": N_("share of the separation"),
    "share_before": N_("share before"), "share_after": N_("share after"), "value_before": N_("value before"),
    "value_after": N_("value after"), "within": N_("change within segments"), "mix": N_("change from the mix"),
    "nps_n": N_("NPS answers"), "csat_n": N_("CSAT answers"),   # answers, not customers: some answer twice
}
#: Name patterns: prefix -> how the rest of the name reads (``rating_delivery`` -> "Rating: delivery").
PATTERNS = {"rating_": N_("rating: %(name)s"), "share_": N_("%(name)s share")}
#: Words written in capitals inside other names ("csat_low" -> "CSAT low").
_ACRONYMS = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "sd": "SD", "did": "DiD", "kpi": "KPI", "se": "SE",
             "mde": "MDE", "df": "df"}

#: Headers of the library's columns in their words, before capitals: what :func:`column_label` looks up in the
#: catalogs, marked here for extraction.
HEADERS = (
    N_("stage"), N_("channel"), N_("touchpoint"), N_("touchpoints"), N_("persona"), N_("persona id"), N_("name"),
    N_("share"), N_("size"), N_("customers"), N_("surveys"), N_("events"), N_("reviews"), N_("sessions"),
    N_("exits"), N_("entries"), N_("count"), N_("n"), N_("n rest"), N_("rows"), N_("columns"), N_("table"),
    N_("column"), N_("first"), N_("last"), N_("missing"), N_("analysis"), N_("available"), N_("metric"), N_("value"),
    N_("low"), N_("high"), N_("se"), N_("respondents"), N_("n effective"), N_("design effect"), N_("low base"),
    N_("reach"), N_("conversion"), N_("drop off"), N_("exit rate"), N_("abandon rate"), N_("end of journey"), N_("expected exit rate"), N_("excess exit rate"),
    N_("excess dissatisfaction"), N_("median time"), N_("median time from previous"), N_("CSAT"), N_("NPS"),
    N_("CES"), N_("CSAT mean"), N_("NPS n"), N_("CSAT n"), N_("impact"), N_("rank"), N_("previous rank"),
    N_("priority"), N_("completeness"), N_("multichannel share"), N_("multichannel customers"), N_("share of first"),
    N_("steps"), N_("step"), N_("converted"), N_("from"), N_("to"), N_("path"), N_("status"), N_("change"),
    N_("significant"), N_("previous"), N_("p value"), N_("p adjusted"), N_("note"), N_("period"), N_("driver"),
    N_("importance"), N_("signed importance"), N_("performance"), N_("quadrant"), N_("placement"), N_("direction"), N_("rank low"),
    N_("rank high"), N_("mean"), N_("topic"), N_("theme"), N_("terms"), N_("examples"), N_("positive"),
    N_("negative"), N_("sentiment"), N_("texts"), N_("language"), N_("languages"), N_("discovered"), N_("coherence"),
    N_("stability"), N_("stability sd"), N_("silhouette"), N_("k"), N_("chosen"), N_("eligible"),
    N_("min stability"), N_("top share"), N_("top variable"), N_("mirror pairs"), N_("davies bouldin"), N_("ari"),
    N_("distinctiveness"), N_("unstable"), N_("suppressed"), N_("variable"), N_("feature"), N_("correlation"),
    N_("beta"), N_("intervention id"), N_("description"), N_("scope"), N_("scope kind"), N_("start"), N_("end"),
    N_("verdict"), N_("previous verdict"), N_("before"), N_("after"), N_("before n"), N_("after n"),
    N_("comparison before"), N_("comparison after"), N_("comparison change"), N_("DiD"), N_("DiD p value"),
    N_("DiD p adjusted"), N_("DiD se"), N_("mde"), N_("pretrend p value"), N_("pretrend"), N_("bin"),
    N_("bin start"), N_("gap"), N_("group"), N_("label"), N_("kpi"), N_("KPI"), N_("estimate"), N_("why"),
    N_("needs"), N_("reason"), N_("headline"), N_("previous share"), N_("share change"), N_("previous id"),
    N_("moved on"), N_("left"), N_("event"), N_("events per session"), N_("cross channel sessions"),
    N_("n channels"), N_("from channel"), N_("to channel"), N_("quote"), N_("rating"), N_("text"), N_("source"),
    N_("week"), N_("month"), N_("respondents n"), N_("q value"), N_("change p value"), N_("effect"), N_("traits"),
    N_("top traits"), N_("underperforming"), N_("barely used"), N_("reason code"), N_("overall minus without"),
    N_("NPS without"), N_("NPS impact"), N_("answers"), N_("comments"), N_("answered"),
    N_("flag"), N_("level"), N_("mean channels"), N_("kind"), N_("share of the separation"), N_("stability SD"),
    N_("refits"), N_("min size"), N_("responses"), N_("channels"), N_("distance"), N_("outcome rate"),
    N_("outcome n"), N_("outcome differs"),
)


def _words(name: str) -> str:
    """*name* as the reader reads it, in lower case unless it is an acronym (untranslated words as they are)."""
    if name in LABELS:
        return _(LABELS[name])
    for prefix, template in PATTERNS.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            return _(template) % {"name": name[len(prefix):].replace("_", " ")}
    words = " ".join(_ACRONYMS.get(word, word) for word in name.split("_"))
    return _(words) if words else words


def column_label(column) -> str:
    """How a column's name reads in a sentence or on an axis, in the language in force.

    Examples
    --------
    >>> column_label("rating_delivery"), column_label("avg_order_value"), column_label("csat_low")
    ('rating: delivery', 'average order value', 'CSAT low')
    >>> column_label("exit_rate"), column_label("share_app"), column_label("k")
    ('exit rate', 'app share', 'k')
    """
    name = str(column)
    for suffix, bound in (("_low", N_("%(column)s low")), ("_high", N_("%(column)s high"))):
        if name.endswith(suffix) and name != suffix.lstrip("_"):
            return _(bound) % {"column": _words(name.removesuffix(suffix))}
    return _words(name)


def header(column) -> str:
    """How a column's name reads as a table header: :func:`column_label` with a capital first letter
    (one-letter symbols such as k and n stay as they are).

    Examples
    --------
    >>> header("rating_delivery"), header("avg_order_value"), header("exit_rate"), header("k")
    ('Rating: delivery', 'Average order value', 'Exit rate', 'k')
    """
    label = column_label(column)
    return label[:1].upper() + label[1:] if len(label) > 1 else label


#: Category values the library writes into its tables, as a reader sees them (translated when shown).
VALUES = frozenset((
    N_("fix first"), N_("keep up"), N_("low priority"), N_("possible overkill"),
    N_("fix first or keep up"), N_("low priority or possible overkill"), N_("fix first or low priority"),
    N_("keep up or possible overkill"), N_("uncertain"),
    N_("kept"), N_("new"), N_("vanished"), N_("first run"),
    N_("improved"), N_("worse"), N_("no detectable change"), N_("not enough data"), N_("not identified"),
    N_("too few answers to tell"), N_("too few sessions to tell"),
    N_("passed"), N_("failed"), N_("not testable"), N_("scope"), N_("comparison"), N_("all"), N_("other"), N_("exit"),
    N_("positive"), N_("negative"), N_("neutral"), N_("higher"), N_("lower"), N_("within noise"),
    N_("customers"), N_("events"), N_("surveys"), N_("reviews"), N_("interventions"), N_("theme"), N_("discovered"),
    N_("channel"), N_("touchpoint"), N_("underperforming"), N_("barely used"), N_("outcome"), N_("end of journey")))
#: Metric keys the library writes as values (a ``metric`` column, a driver's column name) and how they read.
METRIC_VALUES = frozenset({"nps", "csat", "ces", "csat_mean", "exit_rate", "conversion", "sentiment"})


def value_label(value) -> str:
    """A value the library writes as the reader reads it: its category words (:data:`VALUES`) translated,
    metric keys and column names as headers read ("nps" -> "NPS", "rating_price" -> "Rating: price"),
    standard journey stage names (:func:`~cxresearch.i18n.stage_label`) in the reader's language, other
    values (the data's own stage, channel, persona names) as they are."""
    text = str(value)
    if text in VALUES:
        return _(text)
    if text in METRIC_VALUES or any(text.startswith(prefix) and len(text) > len(prefix) for prefix in ("rating_",)):
        return header(text)
    return stage_label(text)


def code_label(code, *, prefix: str = "", stage: bool = False) -> str:
    """A code of the data (a touchpoint, a channel, a rating column, a stage) in words: *prefix* left out,
    underscores read as spaces; when *stage* (the code names a journey stage), a standard stage name in the
    reader's language. Other codes stay the data's words: a touchpoint called "service" is no stage.

    Examples
    --------
    >>> from cxresearch.i18n import using
    >>> code_label("chat_support"), code_label("rating_call_center", prefix="rating_")
    ('chat support', 'call center')
    >>> with using("it"):
    ...     code_label("service"), code_label("service", stage=True), code_label("reached_back_office",
    ...                                                                          prefix="reached_", stage=True)
    ('service', 'assistenza', 'back office')
    """
    code = str(code).removeprefix(prefix)
    return (stage_label(code) if stage else code).replace("_", " ")


def name_part(value) -> str:
    """A value of the data (a channel, a stage) as part of a column name: lower-case snake_case ASCII.

    Examples
    --------
    >>> name_part("Call Center"), name_part("  ")
    ('call_center', 'unknown')
    """
    return re.sub(r"[^0-9a-z]+", "_", str(value).strip().lower()).strip("_") or "unknown"


_COUNT_OR_SHARE = re.compile(r"^(n_.*|share_.*|reached_.*|spend|avg_order_value|service_contacts|"
                             r"cross_channel_sessions|frequency)$")


def days_since(column: str) -> str:
    """The customer feature of a date attribute: days from it to the reference time.

    Examples
    --------
    >>> days_since("signup_date"), days_since("created_at"), days_since("birthday")
    ('days_since_signup', 'days_since_created', 'days_since_birthday')
    """
    return f"days_since_{re.sub(r'_(date|at)$', '', column)}"


def zero_when_absent(column: str) -> bool:
    """True for a customer feature that is 0, not missing, for a customer without rows (counts, shares, reach).

    Examples
    --------
    >>> zero_when_absent("n_events"), zero_when_absent("recency_days")
    (True, False)
    """
    return bool(_COUNT_OR_SHARE.match(column))

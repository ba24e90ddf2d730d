"""Tables formatted for people: percentages, readable headers, durations in words, no stray index.

Everything is written in the language in force (:mod:`cxresearch.i18n`):
numbers with its separators, headers and the library's category values
(:data:`VALUE_LABELS`) through the message catalogs.

Analyses return plain DataFrames for computing; notebooks, explorers and
reports show them through :func:`pretty`, which only formats (values are never
changed). How a column reads is declared, not guessed: each column has a
*kind* (:data:`KINDS`), taken from the ``kinds`` argument, else from the
table's ``attrs["kinds"]``, else from :data:`COLUMN_KINDS` (the library's own
column names, declared once; ``x_low`` and ``x_high`` read like ``x``), else
from the column's dtype.
"""
from __future__ import annotations

from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
from markupsafe import Markup
from pandas.io.formats.style import Styler

from . import i18n
from .errors import ParameterError
from .i18n import N_, _, format_count, format_date, format_number, format_percent

__all__ = ["pretty", "humanize_duration", "card_grid", "column_label", "value_label", "KINDS", "COLUMN_KINDS",
           "VALUE_LABELS", "COLUMN_LABELS"]

_TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                                autoescape=True)
i18n.install(_TEMPLATES)

#: How each kind of column reads.
KINDS = {
    "share": "a fraction of 1 shown as a percentage (0.756 -> 75.6%)",
    "percent": "already a percentage (84.2 -> 84.2%)",
    "count": "a whole number with thousands separators",
    "number": "a number with the table's decimals",
    "score": "at most three significant digits (0.0123, 0.188, -12.3)",
    "p_value": "three decimals, '<0.001' below that",
    "duration": "a timedelta in words (3 min 48 s)",
    "date": "a date in the reader's words (Dec 1, 2026; 1 dic 2026)",
    "flag": "yes / no",
    "list": "items joined by ' · '",
    "text": "as it is (the library's category values in the reader's language)",
}

_SHARES = ("share", "reach", "conversion", "drop_off", "exit_rate", "expected_exit_rate", "excess_exit_rate",
           "excess_dissatisfaction", "completeness", "multichannel_share", "share_of_first", "positive",
           "negative", "importance", "signed_importance", "missing")
_COUNTS = ("size", "customers", "n", "n_rest", "surveys", "events", "exits", "entries", "sessions", "count",
           "converted", "steps", "min_size", "rank", "priority", "previous_rank", "multichannel_customers",
           "nps_n", "csat_n", "rows", "columns", "k", "step")
_SCORES = ("impact", "silhouette", "stability", "stability_sd", "davies_bouldin", "correlation", "beta",
           "sentiment", "ari")
#: The library's column names and their kinds.
COLUMN_KINDS = {**dict.fromkeys(_SHARES, "share"), **dict.fromkeys(_COUNTS, "count"),
                **dict.fromkeys(_SCORES, "score"), "csat": "percent", "p_value": "p_value",
                "did_p_value": "p_value", "median_time": "duration", "median_time_from_previous": "duration"}

#: Kinds that format numbers: a column of another dtype is formatted by its dtype instead.
_NUMERIC_KINDS = frozenset({"share", "percent", "count", "number", "score", "p_value"})

#: Words written in capitals in headers.
_ACRONYMS = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "sd": "SD", "did": "DiD", "kpi": "KPI"}

#: Headers of the library's columns as :func:`column_label` spells them, marked for the catalogs.
COLUMN_LABELS = (
    N_("stage"), N_("channel"), N_("touchpoint"), N_("touchpoints"), N_("persona"), N_("persona id"), N_("name"),
    N_("share"), N_("size"), N_("customers"), N_("surveys"), N_("events"), N_("reviews"), N_("sessions"),
    N_("exits"), N_("entries"), N_("count"), N_("n"), N_("n rest"), N_("rows"), N_("columns"), N_("table"),
    N_("column"), N_("first"), N_("last"), N_("missing"), N_("analysis"), N_("available"), N_("metric"), N_("value"),
    N_("low"), N_("high"), N_("se"), N_("respondents"), N_("n effective"), N_("design effect"), N_("low base"),
    N_("reach"), N_("conversion"), N_("drop off"), N_("exit rate"), N_("expected exit rate"), N_("excess exit rate"),
    N_("excess dissatisfaction"), N_("median time"), N_("median time from previous"), N_("CSAT"), N_("NPS"),
    N_("CES"), N_("CSAT mean"), N_("NPS n"), N_("CSAT n"), N_("impact"), N_("rank"), N_("previous rank"),
    N_("priority"), N_("completeness"), N_("multichannel share"), N_("multichannel customers"), N_("share of first"),
    N_("steps"), N_("step"), N_("converted"), N_("from"), N_("to"), N_("path"), N_("status"), N_("change"),
    N_("significant"), N_("previous"), N_("p value"), N_("p adjusted"), N_("note"), N_("period"), N_("driver"),
    N_("importance"), N_("signed importance"), N_("performance"), N_("quadrant"), N_("direction"), N_("rank low"),
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
    N_("NPS without"), N_("answers"), N_("comments"), N_("answered"),
    N_("flag"), N_("level"), N_("mean channels"), N_("kind"), N_("share of the separation"), N_("stability SD"),
    N_("min size"), N_("responses"),
)

#: Category values the library writes into its tables, as a reader sees them (translated when shown).
VALUE_LABELS = {value: value for value in (
    N_("fix first"), N_("keep up"), N_("low priority"), N_("possible overkill"),
    N_("kept"), N_("new"), N_("vanished"),
    N_("improved"), N_("worse"), N_("no detectable change"), N_("not enough data"), N_("not identified"),
    N_("passed"), N_("failed"), N_("scope"), N_("comparison"), N_("all"), N_("other"), N_("exit"),
    N_("positive"), N_("negative"), N_("neutral"), N_("higher"), N_("lower"),
    N_("customers"), N_("events"), N_("surveys"), N_("reviews"), N_("interventions"), N_("theme"), N_("discovered"))}


def humanize_duration(value) -> str:
    """A timedelta in words, two units at most.

    Examples
    --------
    >>> humanize_duration(pd.Timedelta(days=85, hours=9, minutes=5))
    '85 d 9 h'
    >>> humanize_duration(pd.Timedelta(minutes=3, seconds=48))
    '3 min 48 s'
    """
    if pd.isna(value):
        return i18n.MISSING
    seconds = int(round(pd.Timedelta(value).total_seconds()))
    # TRANSLATORS: abbreviations of days, hours, minutes and seconds in a duration ("85 d 9 h").
    units = [(_("%(n)s d"), 86_400), (_("%(n)s h"), 3_600), (_("%(n)s min"), 60), (_("%(n)s s"), 1)]
    parts = []
    for unit, size in units:
        amount, seconds = divmod(seconds, size)
        if amount or parts:
            parts.append((amount, unit))
        if len(parts) == 2:
            break
    parts = [(amount, unit) for amount, unit in parts if amount] or [(0, units[-1][1])]
    return " ".join(unit % {"n": format_count(amount)} for amount, unit in parts)


def pretty(table: pd.DataFrame, *, decimals: int = 1, kinds: dict | None = None) -> Styler:
    """The table styled for reading.

    Each column is formatted by its kind (see the module docstring); headers
    read with spaces and capitalised acronyms ("CSAT low"); a named index
    becomes the first column (``k`` of the persona selection), an unnamed one
    is hidden; a wide table scrolls inside the notebook's width.

    Parameters
    ----------
    table : pandas.DataFrame
        The table to show (not changed).
    decimals : int
        Decimals of shares, percentages and numbers.
    kinds : dict, optional
        Column -> one of :data:`KINDS`, overriding the declared kinds.

    Examples
    --------
    >>> t = pd.DataFrame({"stage": ["a"], "share": [0.756], "csat": [84.213], "n": [1200]})
    >>> html = pretty(t).to_html()
    >>> "75.6%" in html and "84.2%" in html and "1,200" in html
    True
    >>> with i18n.using("it"):
    ...     html = pretty(t).to_html()
    >>> "75,6%" in html and "84,2%" in html and "1.200" in html and ">fase<" in html
    True
    """
    declared = {**table.attrs.get("kinds", {}), **(kinds or {})}
    unknown = {kind for kind in declared.values() if kind not in KINDS}
    if unknown:
        raise ParameterError(f"unknown column kind(s) {sorted(unknown)}; valid kinds are {list(KINDS)}.")
    shown = table.reset_index() if any(name is not None for name in table.index.names) else table
    formats = {column: _formatter(_kind(shown[column], declared), decimals) for column in shown.columns}
    return (shown.style.format({c: f for c, f in formats.items() if f is not None}, na_rep=i18n.MISSING)
            .format_index(column_label, axis="columns")
            .hide(axis="index")
            .set_table_attributes('style="display:block;max-width:100%;overflow-x:auto"'))


def _kind(values: pd.Series, declared: dict) -> str:
    """The kind of a column: declared, else the library's, else from its dtype."""
    name = str(values.name)
    base = name.removesuffix("_low").removesuffix("_high")
    kind = declared.get(name) or declared.get(base) or COLUMN_KINDS.get(name) or COLUMN_KINDS.get(base)
    if kind in _NUMERIC_KINDS and not pd.api.types.is_numeric_dtype(values):
        kind = None   # a column named like a number that holds text (a pivot of verdicts by metric, say)
    if kind == "share" and not values.dropna().between(-1, 1).all():
        kind = None   # a column named like a share that holds something else
    if kind is not None:
        return kind
    if pd.api.types.is_timedelta64_dtype(values):
        return "duration"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if pd.api.types.is_bool_dtype(values):
        return "flag"
    if pd.api.types.is_numeric_dtype(values):
        whole = pd.api.types.is_integer_dtype(values) or np.allclose(values.dropna() % 1, 0)
        return "count" if whole else "number"
    if values.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any():
        return "list"
    return "text"


def _formatter(kind: str, decimals: int):
    """A Styler formatter for *kind*, in the language in force."""
    return {
        "share": lambda v: format_percent(v, decimals=decimals),
        "percent": lambda v: format_number(v, decimals=decimals) + "%",
        "count": format_count,
        "number": lambda v: format_number(v, decimals=decimals),
        "score": _significant, "duration": humanize_duration,
        "date": lambda when: format_date(when, format="medium"),
        "p_value": lambda p: "<" + format_number(0.001, decimals=3) if p < 0.001 else format_number(p, decimals=3),
        "flag": lambda v: _("yes") if v else _("no"),
        "list": lambda items: " · ".join(value_label(item) for item in items),
        "text": value_label,
    }[kind]


def _significant(value) -> str:
    """At most three significant digits with the locale's separators (0.0123, -12.3, 1230)."""
    from babel.numbers import format_decimal

    return format_decimal(value, format="@##", locale=i18n.number_locale())


def column_label(column) -> str:
    """How a column's name reads as a header, in the language in force.

    Words are separated and acronyms capitalised (``csat_low`` -> "CSAT low"),
    then translated through the catalogs (``"exit rate"`` -> "tasso di
    uscita"); a name the catalogs lack reads in its English words.
    """
    name = str(column)
    for suffix, bound in (("_low", N_("%(column)s low")), ("_high", N_("%(column)s high"))):
        if name.endswith(suffix) and name != suffix.lstrip("_"):
            return _(bound) % {"column": column_label(name.removesuffix(suffix))}
    words = " ".join(_ACRONYMS.get(word, word) for word in name.split("_"))
    return _(words) if words else words


def value_label(value) -> str:
    """A category value the library writes (:data:`VALUE_LABELS`) as the reader reads it; other values as they are."""
    text = str(value)
    return _(text) if text in VALUE_LABELS else text


def card_grid(cards) -> CardGrid:
    """Cards (HTML, e.g. persona cards) side by side in a responsive grid.

    As many columns of at least 340 px as the page is wide: one on a phone,
    two or three in JupyterLab and in the reports. Each card is HTML already
    (escaped where it was built); everything else in the grid comes from the
    ``card_grid.html.j2`` template.
    """
    return CardGrid(_TEMPLATES.get_template("card_grid.html.j2").render(cards=[Markup(card) for card in cards]))


class CardGrid(str):
    """HTML of a grid of cards that renders itself in Jupyter."""

    def _repr_html_(self) -> str:
        return str(self)

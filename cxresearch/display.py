"""Tables formatted for people: percentages, readable headers, durations in words, no stray index.

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

__all__ = ["pretty", "humanize_duration", "card_grid", "KINDS", "COLUMN_KINDS"]

_TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                                autoescape=True)
i18n.install(_TEMPLATES)

#: How each kind of column reads.
KINDS = {
    "share": "a fraction of 1 shown as a percentage (0.756 -> 75.6%)",
    "percent": "already a percentage (84.2 -> 84.2%)",
    "count": "a whole number with thousands separators",
    "number": "a number with the table's decimals",
    "score": "three significant digits (0.0123, 0.188, -12.3)",
    "p_value": "three decimals, '<0.001' below that",
    "duration": "a timedelta in words (3 min 48 s)",
    "flag": "yes / no",
    "list": "items joined by ' · '",
    "text": "as it is",
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

#: Words written in capitals in headers.
_ACRONYMS = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "sd": "SD", "did": "DiD", "kpi": "KPI"}


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
        return "–"
    seconds = int(round(pd.Timedelta(value).total_seconds()))
    units = [("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1)]
    parts = []
    for name, size in units:
        amount, seconds = divmod(seconds, size)
        if amount or parts:
            parts.append(f"{amount} {name}")
        if len(parts) == 2:
            break
    parts = [p for p in parts if not p.startswith("0 ")] or ["0 s"]
    return " ".join(parts)


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
    """
    declared = {**table.attrs.get("kinds", {}), **(kinds or {})}
    unknown = {kind for kind in declared.values() if kind not in KINDS}
    if unknown:
        raise ParameterError(f"unknown column kind(s) {sorted(unknown)}; valid kinds are {list(KINDS)}.")
    shown = table.reset_index() if any(name is not None for name in table.index.names) else table
    formats = {column: _formatter(_kind(shown[column], declared), decimals) for column in shown.columns}
    return (shown.style.format({c: f for c, f in formats.items() if f is not None}, na_rep="–")
            .format_index(_header, axis="columns")
            .hide(axis="index")
            .set_table_attributes('style="display:block;max-width:100%;overflow-x:auto"'))


def _kind(values: pd.Series, declared: dict) -> str:
    """The kind of a column: declared, else the library's, else from its dtype."""
    name = str(values.name)
    base = name.removesuffix("_low").removesuffix("_high")
    kind = declared.get(name) or declared.get(base) or COLUMN_KINDS.get(name) or COLUMN_KINDS.get(base)
    if kind == "share" and not values.dropna().between(-1, 1).all():
        kind = None   # a column named like a share that holds something else
    if kind is not None:
        return kind
    if pd.api.types.is_timedelta64_dtype(values):
        return "duration"
    if pd.api.types.is_bool_dtype(values):
        return "flag"
    if pd.api.types.is_numeric_dtype(values):
        whole = pd.api.types.is_integer_dtype(values) or np.allclose(values.dropna() % 1, 0)
        return "count" if whole else "number"
    if values.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any():
        return "list"
    return "text"


def _formatter(kind: str, decimals: int):
    """A Styler formatter for *kind* (None: shown as it is)."""
    return {
        "share": f"{{:.{decimals}%}}", "percent": f"{{:.{decimals}f}}%", "count": "{:,.0f}",
        "number": f"{{:,.{decimals}f}}", "score": "{:.3g}", "duration": humanize_duration,
        "p_value": lambda p: "<0.001" if p < 0.001 else f"{p:.3f}",
        "flag": lambda v: "yes" if v else "no",
        "list": lambda items: " · ".join(str(item) for item in items),
    }.get(kind)


def _header(label) -> str:
    return " ".join(_ACRONYMS.get(word, word) for word in str(label).split("_"))


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

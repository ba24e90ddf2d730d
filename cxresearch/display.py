"""Tables formatted for people: percentages, readable headers, durations in words, no stray index.

Everything is written in the language in force (:mod:`cxresearch.i18n`):
numbers with its separators, headers and the library's category values
(:data:`VALUE_LABELS`) through the message catalogs.

Analyses return plain DataFrames for computing; notebooks, explorers and
reports show them through :func:`pretty`, which only formats (values are never
changed). How a column reads is declared, not guessed: each column has a
*kind* (:data:`KINDS`), taken from the ``kinds`` argument, else from
:data:`COLUMN_KINDS` (the library's own column names, declared once; ``x_low``
and ``x_high`` read like ``x``), else from the column's dtype. Columns of a
metric kind read in the unit of their row's metric (:func:`metric_value`,
:func:`metric_change`).
"""
from __future__ import annotations

import functools
import html
import re

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

from . import i18n
from .errors import ParameterError
from .columns import (BARE_BOUNDS, COLUMN_KINDS, DETAILS, KINDS, METRIC_KINDS, METRIC_UNITS, NUMERIC_KINDS,
                      code_label, column_label, header, value_label)
from .i18n import _, format_count, format_date, format_number, format_percent

__all__ = ["pretty", "humanize_duration", "metric_value", "metric_change", "interval_decimals", "column_label",
           "header", "value_label", "code_label"]


def humanize_duration(value) -> str:
    """A timedelta in words, two units at most.

    Examples
    --------
    >>> humanize_duration(pd.Timedelta(days=85, hours=9, minutes=5))
    '85 d 9 h'
    >>> humanize_duration(pd.Timedelta(minutes=3, seconds=48))
    '3 min 48 s'
    >>> humanize_duration(pd.Timedelta(0))
    '0 s'
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
    parts = [(amount, unit) for amount, unit in parts if amount] or [(0, units[-1][0])]
    return " ".join(unit % {"n": format_count(amount)} for amount, unit in parts)


def metric_value(metric: str, value, *, decimals: int = 1) -> str:
    """A value of *metric* in its unit (:data:`cxresearch.columns.METRIC_UNITS`), in the language in force.

    Examples
    --------
    >>> metric_value("csat", 0.842), metric_value("nps", 12.34), metric_value("ces", 5.123, decimals=2)
    ('84.2%', '12.3', '5.12')

    A share outside -1..1 is a percentage an earlier version saved: it reads as the number it is.

    >>> metric_value("csat", 84.2)
    '84.2'
    """
    if METRIC_UNITS.get(metric, metric) == "share" and not pd.isna(value) and -1 <= value <= 1:
        return _share(value, decimals)
    return _number(value, decimals)


def _number(value, decimals: int) -> str:
    """*value* with *decimals* decimals (:func:`~cxresearch.i18n.format_number`); one that rounds to zero reads
    "0.0", never "-0.0"."""
    number = format_number(value, decimals=decimals)
    return number[1:] if number.startswith("-") and not number.strip("-0,.") else number


def interval_decimals(metric: str, low, high, *, decimals: int = 1) -> int:
    """The decimals, from *decimals* on, at which the interval *low* to *high* of *metric* shows its width.

    Examples
    --------
    >>> interval_decimals("review_mean", 4.183, 4.209), interval_decimals("csat", 0.72, 0.76, decimals=0)
    (2, 0)
    """
    return _apart(lambda value, places: metric_value(metric, value, decimals=places), low, high, decimals)


def metric_change(metric: str, value, *, decimals: int = 1, words: bool = False, signed: bool = True,
                  unit: bool = True) -> str:
    """A change of *metric* with its sign and unit: percentage points for shares, NPS points for NPS.

    *metric* is a metric key or a unit of :data:`cxresearch.columns.METRIC_UNITS` (``"share"`` for a change of a
    share of customers).
    *words* spells the unit out, for sentences; without, it is abbreviated, for tables; *signed* False
    leaves the sign out (a margin written after "±"); *unit* False leaves the unit out (the first bound of
    "-12 to -2 NPS points").

    Examples
    --------
    >>> metric_change("csat", 0.041), metric_change("nps", 3.21, words=True), metric_change("ces", -0.123, decimals=2)
    ('+4.1 pp', '+3.2 NPS points', '-0.12')
    >>> with i18n.using("it"):
    ...     metric_change("csat", 0.041, words=True), metric_change("nps", 70, signed=False)
    ('+4,1 punti percentuali', '70,0 pt')
    """
    if pd.isna(value):
        return i18n.MISSING
    kind = METRIC_UNITS.get(metric, metric)
    number = format_number(abs(value) * (100 if kind == "share" else 1), decimals=decimals)
    if signed and number.strip("0,."):   # a change that rounds to zero has no sign: "0.0 pp", never "-0.0 pp"
        number = ("-" if value < 0 else "+") + number
    if not unit:
        return number
    if kind == "share":
        return (_("%(value)s percentage points") if words else _("%(value)s pp")) % {"value": number}
    if kind == "points":
        return (_("%(value)s NPS points") if words else _("%(value)s pt")) % {"value": number}
    return number


def pretty(table: pd.DataFrame, *, decimals: int = 1, kinds: dict | None = None, compact: bool = True) -> Styler:
    """The table styled for reading.

    Each column is formatted by its kind (see the module docstring); headers
    read as :func:`cxresearch.columns.header` spells them ("CSAT low", "Rating: delivery");
    text is left-aligned and numbers right-aligned; a named index becomes the
    first column (``k`` of the persona selection), an unnamed one is hidden; a
    wide table scrolls inside the page's width. The compact view (the default)
    fits more of a table in the page: a value and its interval bounds read as one
    column, "79.7% (69.2–87.3%)" on one line, and estimation details
    (:data:`cxresearch.columns.DETAILS`) are left out.

    Parameters
    ----------
    table : pandas.DataFrame or pandas.Series
        The table to show (not changed); a Series shows as a table of one column.
    decimals : int
        Decimals of shares, percentages and numbers.
    kinds : dict, optional
        Column -> one of :data:`cxresearch.columns.KINDS`, overriding the library's declarations.
    compact : bool
        The compact view; False shows every column on its own.

    Examples
    --------
    >>> t = pd.DataFrame({"stage": ["a"], "share": [0.756], "csat": [0.84213], "n": [1200]})
    >>> html = pretty(t).to_html()
    >>> "75.6%" in html and "84.2%" in html and "1,200" in html
    True
    >>> with i18n.using("it"):
    ...     html = pretty(t).to_html()
    >>> "75,6%" in html and "84,2%" in html and "1.200" in html and ">Fase<" in html
    True
    """
    unknown = {kind for kind in (kinds or {}).values() if kind not in KINDS}
    if unknown:
        raise ParameterError(f"unknown column kind(s) {sorted(unknown)}; valid kinds are {list(KINDS)}.")
    declared = {**COLUMN_KINDS, **(kinds or {})}
    table = table.to_frame() if isinstance(table, pd.Series) else table
    shown = table.reset_index() if any(name is not None for name in table.index.names) else table
    column_kinds = {column: _kind(shown[column], declared.get(str(column))) for column in shown.columns}
    formats = {column: _formatter(kind, decimals) for column, kind in column_kinds.items()}
    shown = _in_metric_units(shown, column_kinds, formats, decimals)
    headers = {column: header(column) for column in shown.columns}
    if compact:
        shown = _compact(shown, column_kinds, formats, headers, decimals)
    intervals = [column for column in shown.columns if formats[column] is str]
    numbers = [column for column in shown.columns if column_kinds[column] in _RIGHT_ALIGNED]
    words = [column for column in shown.columns if column not in numbers]
    alignment = [{"selector": f"th.col_heading.col{i}",
                  "props": [("text-align", "right" if column in numbers else "left")]}
                 for i, column in enumerate(shown.columns)]
    return (shown.style.format({column: formats[column] for column in shown.columns}, na_rep=i18n.MISSING,
                               escape="html")
            .format_index(lambda column: html.escape(str(headers[column])), axis="columns")
            .hide(axis="index")
            .set_properties(subset=numbers, **{"text-align": "right"})
            .set_properties(subset=words, **{"text-align": "left"})
            .set_properties(subset=intervals, **{"white-space": "nowrap"})
            .set_table_styles(alignment, overwrite=False)
            .set_table_attributes('style="display:block;max-width:100%;overflow-x:auto"'))


def _in_metric_units(shown: pd.DataFrame, kinds: dict, formats: dict, decimals: int) -> pd.DataFrame:
    """*shown* with its columns of a metric kind written in the unit of each row's metric (the ``metric`` or
    ``kpi`` column); without such a column they read as numbers. A value and its interval bounds get the
    decimals that keep the bounds apart (:func:`_apart`). *formats* is updated."""
    key = next((column for column in ("metric", "kpi") if column in shown.columns), None)
    columns = [column for column, kind in kinds.items() if kind in METRIC_KINDS]
    if key is None or not columns:
        return shown
    shown = shown.copy()
    places = {column: [decimals] * len(shown) for column in columns}
    for column in columns:
        low, high = _bounds(column)
        if low in places and high in places:
            write = _metric_writer(kinds[column])
            places[column] = places[low] = places[high] = [
                _apart(lambda value, places: write(str(metric), value, decimals=places), lo, hi, decimals)
                for metric, lo, hi in zip(shown[key], shown[low], shown[high])]
    for column in columns:
        write = _metric_writer(kinds[column])
        shown[column] = pd.Series([value if pd.isna(value) else write(str(metric), value, decimals=d)
                                   for metric, value, d in zip(shown[key], shown[column], places[column])],
                                  index=shown.index, dtype=object)
        formats[column] = str
    return shown


def _metric_writer(kind: str):
    if kind == "metric_margin":
        return functools.partial(metric_change, signed=False)
    return metric_value if kind == "metric" else metric_change


def _bounds(column) -> tuple[str, str]:
    """The names of *column*'s interval bounds (:data:`cxresearch.columns.BARE_BOUNDS`)."""
    return ("low", "high") if column in BARE_BOUNDS else (f"{column}_low", f"{column}_high")


def _apart(write, low, high, decimals: int) -> int:
    """The fewest decimals from *decimals* on (three more at most) at which ``write(value, decimals)`` tells
    *low* from *high*: a narrow interval shows its width ("4.20 (4.18–4.21)", not "4.2 (4.2–4.2)")."""
    if pd.isna(low) or pd.isna(high) or low == high:
        return decimals
    return next((places for places in range(decimals, decimals + 3) if write(low, places) != write(high, places)),
                decimals + 3)


def _compact(shown: pd.DataFrame, kinds: dict, formats: dict, headers: dict, decimals: int) -> pd.DataFrame:
    """*shown* without its detail columns, each number with interval bounds as one column of text.

    *formats* and *headers* are updated for the merged columns: their cells are
    formatted already, their header says they hold an interval.
    """
    shown = shown.drop(columns=[column for column in shown.columns if column in DETAILS])
    for column in list(shown.columns):
        bounds = list(_bounds(column))
        if kinds[column] not in NUMERIC_KINDS or not all(bound in shown.columns for bound in bounds):
            continue
        written = [None if pd.isna(value) else _interval(kinds[column], formats[column], value, low, high, decimals)
                   for value, low, high in zip(shown[column], shown[bounds[0]], shown[bounds[1]])]
        signed = any(str(bound).startswith(("-", "+")) for parts in written if parts for bound in parts[1:])
        shown[column] = [i18n.MISSING if parts is None else _joined(*parts, words=signed) for parts in written]
        shown = shown.drop(columns=bounds)
        formats[column] = str
        headers[column] = _("%(column)s (interval)") % {"column": headers[column]}
    return shown


def _interval(kind: str, write, value, low, high, decimals: int) -> tuple[str, str | None, str | None]:
    """*value* and its bounds written by *write*, or with the decimals that keep the bounds apart when *kind* has
    decimals; the low bound without the unit the high one ends with; bounds None when *value* has none."""
    if pd.isna(low) or pd.isna(high):
        return write(value), None, None
    if kind in _WITH_DECIMALS:
        write = _formatter(kind, _apart(lambda bound, places: _formatter(kind, places)(bound), low, high, decimals))
    return write(value), _without_unit(write(low), write(high)), write(high)


def _joined(value: str, low: str | None, high: str | None, *, words: bool) -> str:
    """"79.7% (69.2–87.3%)", or with *words* "-56.8 (-63.0 to -49.7)": a column whose bounds carry signs writes
    every interval in words, as a dash beside a minus or plus sign would read as one more (one way per column)."""
    if low is None:
        return value
    # TRANSLATORS: an interval whose bounds carry signs, in brackets after its value: "-56.8 (-63.0 to -49.7)".
    bounds = _("%(low)s to %(high)s") % {"low": low, "high": high} if words else f"{low}–{high}"
    return f"{value} ({bounds})"


def _without_unit(low: str, high: str) -> str:
    """*low* without the unit *high* ends with ("80.1" of "80.1%" before "88.0%"; "+1.0" of "+1.0 pp")."""
    unit = high[len(high.rstrip("%abcdefghijklmnopqrstuvwxyz. ")):]
    return low.removesuffix(unit) if unit else low


#: Kinds written with a number of decimals (the others are whole, significant digits or words).
_WITH_DECIMALS = frozenset({"share", "percent", "number"})
#: A Markdown code span of a sentence (capabilities' "add a `stage` column").
_CODE_SPAN = re.compile(r"`([^`]+)`")
#: Kinds shown right-aligned, so digits line up.
_RIGHT_ALIGNED = NUMERIC_KINDS | {"duration", "date"}
#: Kinds that format values of one dtype only: a column of another dtype reads by its dtype.
_FITS = {**dict.fromkeys(NUMERIC_KINDS, pd.api.types.is_numeric_dtype),
         "duration": pd.api.types.is_timedelta64_dtype, "date": pd.api.types.is_datetime64_any_dtype,
         "text": lambda values: not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values),
         "code": lambda values: not pd.api.types.is_numeric_dtype(values),
         "sentence": lambda values: not pd.api.types.is_numeric_dtype(values),
         "list": lambda values: values.map(_is_list).any()}


def _kind(values: pd.Series, declared: str | None) -> str:
    """The kind of a column: *declared* when it fits the column's values, else from its dtype.

    A declared kind that does not fit is a reader's own column that shares a
    library name: a pivot of verdicts by metric (columns csat and nps holding
    words), a column named share holding percents, a column named missing
    holding numbers; they read by their dtype.
    """
    if declared is not None and _FITS.get(declared, lambda _values: True)(values) and (
            declared != "share" or bool(values.dropna().between(-1, 1).all())):
        return declared
    if pd.api.types.is_timedelta64_dtype(values):
        return "duration"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if pd.api.types.is_bool_dtype(values):
        return "flag"
    if pd.api.types.is_numeric_dtype(values):
        whole = pd.api.types.is_integer_dtype(values) or np.allclose(values.dropna() % 1, 0)
        return "count" if whole else "number"
    if values.map(_is_list).any():
        return "list"
    return "text"


def _is_list(value) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))


def _formatter(kind: str, decimals: int):
    """A Styler formatter for *kind*, in the language in force."""
    return {
        "share": lambda v: _share(v, decimals),
        "percent": lambda v: _number(v, decimals) + "%",
        "count": format_count,
        "number": lambda v: _number(v, decimals),
        "metric": lambda v: _number(v, decimals),
        "metric_change": lambda v: _number(v, decimals),
        "metric_margin": lambda v: _number(v, decimals),
        "score": i18n.format_significant, "duration": humanize_duration,
        "date": lambda when: format_date(when, format="medium"),
        "p_value": lambda p: "<" + format_number(0.001, decimals=3) if p < 0.001 else format_number(p, decimals=3),
        "flag": lambda v: _("yes") if v else _("no"),
        "list": lambda items: " · ".join(html.escape(value_label(item)) for item in items),
        "text": value_label,
        "code": code_label,
        "sentence": _sentence,
    }[kind]


def _sentence(text) -> str:
    """*text*, HTML-escaped already, with its Markdown code spans (`stage`) as ``<code>`` rather than backticks."""
    return _CODE_SPAN.sub(r"<code>\1</code>", str(text))


def _share(value, decimals: int) -> str:
    """A fraction of 1 as a percentage; one too small to show at *decimals* reads "<0.1%", not "0.0%"."""
    smallest = 10.0 ** -decimals / 100
    if 0 < abs(value) < smallest / 2:
        return ("<" if value > 0 else ">-") + format_percent(smallest, decimals=decimals)
    return format_percent(value, decimals=decimals)


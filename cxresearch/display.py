"""Tables formatted for people: shares as percentages, durations in words, tidy numbers.

Analyses return plain DataFrames for computing; notebooks and reports show them
through :func:`pretty`, which only formats (values are never changed).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pandas.io.formats.style import Styler

__all__ = ["pretty", "humanize_duration"]

#: Columns holding shares in [0, 1], shown as percentages.
SHARE_COLUMNS = re.compile(r"(^|_)(share|rate|conversion|drop_off|reach|completeness|proportion)(_|$)")
#: Columns holding probabilities, shown with three decimals.
P_VALUE_COLUMNS = re.compile(r"(^|_)p(_value)?$")


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


def pretty(table: pd.DataFrame, *, decimals: int = 1) -> Styler:
    """The table styled for reading: percentages, durations, thousands separators, "–" for missing.

    Shares (columns named like ``share``, ``*_rate``, ``conversion``, ``drop_off``,
    ``reach``) become percentages, p-values get three decimals, timedeltas read
    "3 min 48 s", other numbers get *decimals* decimals; headers read with spaces
    instead of underscores. A plain 0..n-1 index is hidden.

    Examples
    --------
    >>> t = pd.DataFrame({"stage": ["a"], "share": [0.756], "csat": [84.213], "n": [1200]})
    >>> pretty(t).to_html().count("75.6%")
    1
    """
    formats = {}
    for column in table.columns:
        values = table[column]
        name = str(column)
        if pd.api.types.is_timedelta64_dtype(values):
            formats[column] = humanize_duration
        elif pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            continue
        elif P_VALUE_COLUMNS.search(name):
            formats[column] = "{:.3f}"
        elif SHARE_COLUMNS.search(name) and values.dropna().between(0, 1).all():
            formats[column] = f"{{:.{decimals}%}}"
        elif pd.api.types.is_integer_dtype(values) or np.allclose(values.dropna() % 1, 0):
            formats[column] = "{:,.0f}"
        else:
            formats[column] = f"{{:,.{decimals}f}}"
    styler = table.style.format(formats, na_rep="–").format_index(
        lambda label: str(label).replace("_", " "), axis="columns")
    if isinstance(table.index, pd.RangeIndex):
        styler = styler.hide(axis="index")
    return styler

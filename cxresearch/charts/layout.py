"""What every chart shares: input checks that list the valid choices, and axes that label every category.

Long category names are wrapped on the axis (the hover shows the full name);
a chart with many categories grows in height instead of skipping labels.
"""
from __future__ import annotations

import textwrap

import pandas as pd
import plotly.io as pio
from plotly.io._base_renderers import PlotlyRenderer

from .._checks import check_choice
from ..capabilities import Unavailable
from ..columns import METRIC_UNITS
from ..errors import ParameterError, did_you_mean
from ..i18n import number_symbols, plotly_locales

__all__ = ["check_columns", "check_choice", "NoChart", "no_chart", "wrap", "category_axis", "height_for", "separators",
           "value_format", "tick_format", "locale_config", "speak_the_language"]

#: Pixels per category row of a chart whose rows are categories.
ROW_HEIGHT = 26
#: Characters per line of a wrapped label, and lines kept before "…".
LABEL_WIDTH, LABEL_LINES = 22, 2


def check_columns(table: pd.DataFrame, columns, *, chart: str, source: str) -> None:
    """Raise :class:`ParameterError` unless *table* has *columns*, naming the table the chart expects."""
    if not isinstance(table, pd.DataFrame):
        raise ParameterError(f"{chart} takes a DataFrame ({source}); got {type(table).__name__}.")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ParameterError(f"{chart} needs the columns {list(columns)} ({source}); missing {missing}, "
                             f"found {list(table.columns)}.{did_you_mean(missing[0], table.columns)}")


class NoChart(Unavailable):
    """What a chart returns when its input holds nothing to draw: a sentence saying why (and what it would need),
    shown in the page in place of empty axes."""


def no_chart(why: str) -> NoChart:
    """A :class:`NoChart` saying *why*."""
    return NoChart(why)


def wrap(label, width: int = LABEL_WIDTH, lines: int = LABEL_LINES) -> str:
    """*label* on at most *lines* lines of *width* characters (``<br>`` between), "…" when cut.

    Examples
    --------
    >>> wrap("Email-heavy budget omnichannel browsers", 20)
    'Email-heavy budget<br>omnichannel browsers'
    """
    return "<br>".join(textwrap.wrap(str(label), width, max_lines=lines, placeholder="…")) or str(label)


def category_axis(categories, *, width: int = LABEL_WIDTH, lines: int = LABEL_LINES, label=str, **settings) -> dict:
    """Axis settings that put a tick and a (wrapped) label on every category, in the given order.

    *label* gives the text shown for a category (:func:`~cxresearch.i18n.stage_label` for journey stages); labels
    wrap at *width* characters on at most *lines* lines.
    """
    names = [str(c) for c in categories]
    return {"type": "category", "categoryorder": "array", "categoryarray": names, "tickmode": "array",
            "tickvals": names, "ticktext": [wrap(label(n), width, lines) for n in names], "automargin": True,
            **settings}


def height_for(rows: int, *, per_row: int = ROW_HEIGHT, extra: int = 200, minimum: int = 420) -> int:
    """Figure height that gives each of *rows* category rows room for its label."""
    return max(minimum, extra + per_row * rows)


def separators() -> str:
    """Plotly's decimal and thousands separators in the language in force (``",."`` in Italian)."""
    decimal, group = number_symbols()
    return decimal + group


def locale_config() -> dict:
    """plotly.js config that writes a figure's dates, numbers and mode bar in the language in force ({} in English).

    The locale travels with the figure (``config.locales``), so no page or
    JupyterLab needs plotly.js's locale files.
    """
    modules = plotly_locales()
    if not modules:
        return {}
    name = modules[0]["name"]
    return {"locale": name, "locales": {name: {key: modules[0][key] for key in ("dictionary", "format")}}}


class _LanguageRenderer(PlotlyRenderer):
    """plotly's mime renderer (JupyterLab, VS Code, the routine's pages) with the language in force at display."""

    def to_mimebundle(self, fig_dict):
        bundle = super().to_mimebundle(fig_dict)
        figure = bundle["application/vnd.plotly.v1+json"]
        config = {**figure.get("config", {}), **locale_config()}
        if config:
            figure["config"] = config
        return bundle


def speak_the_language() -> None:
    """Make figures shown in a kernel (JupyterLab's live charts) write dates and numbers in the language in force.

    Replaces plotly's mime renderer by one that adds :func:`locale_config` to
    each figure it shows; ``cxresearch.charts`` calls it when imported.
    """
    renderer = _LanguageRenderer()
    for name in ("plotly_mimetype", "jupyterlab", "nteract", "vscode"):
        pio.renderers[name] = renderer
    if pio.renderers.default:
        pio.renderers.default = pio.renderers.default       # the default's renderers, looked up again


def value_format(metric: str) -> str:
    """The d3 format of one value of *metric* in a hover: a share as a percentage (CSAT, exit rate), else one
    decimal (NPS points, means)."""
    return ".1%" if METRIC_UNITS.get(metric) == "share" else ".1f"


def tick_format(metric: str) -> str:
    """The d3 format of an axis of *metric*: percentages for a share, plotly's own otherwise."""
    return ".0%" if METRIC_UNITS.get(metric) == "share" else ""

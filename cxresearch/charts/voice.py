"""Voice-of-the-customer charts: each takes a computed table and returns a ``go.Figure``."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..capabilities import Unavailable
from ..columns import COLUMN_KINDS
from ..display import code_label, column_label, value_label
from ..i18n import _, pgettext
from .layout import (category_axis, check_choice, check_columns, height_for, no_chart, separators, tick_format,
                     value_format)

__all__ = ["kpi_chart", "trend_chart", "driver_quadrant_chart", "topic_sentiment_chart", "topic_impact_chart"]

_QUADRANT_COLOURS = {"fix first": "#d62728", "keep up": "#2ca02c", "low priority": "#7f7f7f",
                     "possible overkill": "#1f77b4"}
#: Where each quadrant's name goes (paper coordinates), in the order of _QUADRANT_COLOURS.
_QUADRANT_CORNERS = [(0, 1), (1, 1), (0, 0), (1, 0)]
#: KPI table columns that are not groups.
_KPI_COLUMNS = ("metric", "value", "low", "high", "n")
#: Plot area (pixels) assumed when placing labels.
_PLOT_SIZE = (620, 420)
#: Directions (x right, y down) tried in turn for a label, at growing distances (pixels) from its point.
_DIRECTIONS = [(0, -1), (0, 1), (1, 0), (-1, 0), (1, -1), (-1, -1), (1, 1), (-1, 1)]
_DISTANCES = (8, 28, 48, 68)


def kpi_chart(table: pd.DataFrame, *, metric: str = "nps", group_col: str | None = None) -> go.Figure:
    """Bars of one KPI with interval whiskers, per group, from :func:`~cxresearch.voice.kpi_table`."""
    from ..kpis import KPI_METRICS  # here, not at the top: the table comes from the KPI engine

    check_columns(table, ["metric", "value", "low", "high", "n"], chart="kpi_chart", source="voice.kpi_table")
    check_choice("metric", metric, list(KPI_METRICS))       # an empty table (all groups too small) draws no bars
    if group_col is not None:
        check_choice("group_col", group_col, [c for c in table.columns if c not in _KPI_COLUMNS])
    rows = table[table["metric"] == metric]
    words = code_label if COLUMN_KINDS.get(group_col) == "code" else str    # a channel's code in words
    labels = rows[group_col].map(words) if group_col else pd.Series([_("all")] * len(rows), index=rows.index)
    figure = go.Figure(go.Bar(x=labels, y=rows["value"], customdata=rows["n"],
                              error_y={"type": "data", "symmetric": False, "array": rows["high"] - rows["value"],
                                       "arrayminus": rows["value"] - rows["low"]},
                              hovertemplate="%{x}: %{y:" + value_format(metric) + "} (n=%{customdata})"
                                            "<extra></extra>"))
    return figure.update_layout(title=_("%(metric)s with 95%% interval") % {"metric": metric.upper()},
                                yaxis={"title": column_label(metric), "tickformat": tick_format(metric)},
                                separators=separators(),
                                xaxis=category_axis(pd.unique(labels), title=column_label(group_col or ""), width=14))


def trend_chart(trend: pd.DataFrame) -> go.Figure:
    """KPI per period with its interval band; significant changes are marked (:func:`kpi_trend`)."""
    check_columns(trend, ["period", "metric", "value", "low", "high", "significant"], chart="trend_chart",
                  source="voice.kpi_trend")
    metric = trend["metric"].iloc[0] if len(trend) else ""
    changed = trend[trend["significant"].fillna(False).astype(bool)]
    return go.Figure([
        go.Scatter(x=pd.concat([trend["period"], trend["period"][::-1]]),
                   y=pd.concat([trend["high"], trend["low"][::-1]]), fill="toself", line={"width": 0},
                   fillcolor="rgba(31,119,180,0.2)", name=_("interval"), hoverinfo="skip"),
        go.Scatter(x=trend["period"], y=trend["value"], mode="lines+markers", name=column_label(metric)),
        go.Scatter(x=changed["period"], y=changed["value"], mode="markers", name=_("significant change"),
                   marker={"size": 14, "symbol": "star", "color": "#d62728"}),
    ]).update_layout(title=_("%(metric)s over time") % {"metric": metric.upper()},
                     yaxis={"title": column_label(metric), "tickformat": tick_format(metric)}, separators=separators())



def driver_quadrant_chart(drivers: pd.DataFrame) -> go.Figure:
    """Importance-performance quadrant of :func:`~cxresearch.voice.key_drivers`, quadrants named.

    Top left "fix first" (important, rated low), top right "keep up", bottom
    left "low priority", bottom right "possible overkill". Each driver is
    labelled (without its ``rating_`` prefix; the hover shows the full name)
    at the first spot around its point where the label overlaps no other label.
    With the table's intervals (``importance_low``... ``performance_high``)
    each point has whiskers, and a driver whose ``placement`` is not one
    quadrant (an interval straddles an average line) is drawn hollow.
    """
    check_columns(drivers, ["driver", "importance", "performance", "quadrant"], chart="driver_quadrant_chart",
                  source="voice.key_drivers")
    x, y = drivers["performance"].astype(float), drivers["importance"].astype(float)
    intervals = {axis: column for axis, column in (("x", "performance"), ("y", "importance"))
                 if {f"{column}_low", f"{column}_high"} <= set(drivers.columns)}
    spans = {column: drivers[[column, *(f"{column}_{end}" for end in ("low", "high") if column in intervals.values())]]
             .astype(float).stack() for column in ("performance", "importance")}   # whiskers inside the axes
    x_range, y_range = _padded(spans["performance"]), _padded(spans["importance"], low=0)
    placement = drivers["placement"] if "placement" in drivers.columns else drivers["quadrant"]
    traces = []
    for quadrant, colour in _QUADRANT_COLOURS.items():
        rows = drivers[drivers["quadrant"] == quadrant]
        settled = placement[rows.index] == quadrant
        whiskers = {f"error_{axis}": _whisker(rows[column], rows[f"{column}_low"], rows[f"{column}_high"], colour)
                    for axis, column in intervals.items()}
        traces.append(go.Scatter(
            x=rows["performance"], y=rows["importance"], mode="markers", name=value_label(quadrant),
            legendgroup=quadrant, showlegend=False,
            marker={"size": 12, "color": colour, "line": {"width": 2, "color": colour},
                    "symbol": settled.map({True: "circle", False: "circle-open"})},
            customdata=rows["driver"].map(value_label), text=placement[rows.index].map(value_label), **whiskers,
            hovertemplate="%{customdata}<br>%{text}<br>" + _("performance") + " %{x:.2f}<br>" + _("importance")
            + " %{y:.1%}<extra></extra>"))
    legend = [(value_label(quadrant), quadrant, {"color": colour}) for quadrant, colour in _QUADRANT_COLOURS.items()
              if (drivers["quadrant"] == quadrant).any()]
    if (placement != drivers["quadrant"]).any():
        legend.append((_("hollow: its interval crosses a line"), None,
                       {"color": "#57606a", "symbol": "circle-open", "line": {"width": 2}}))
    traces += [go.Scatter(x=[None], y=[None], mode="markers", name=name, legendgroup=group, customdata=[],
                          marker={"size": 12, **marker}, hoverinfo="skip") for name, group, marker in legend]
    figure = go.Figure(traces)
    figure.add_vline(x=x.mean(), line_dash="dot")
    figure.add_hline(y=y.mean(), line_dash="dot")
    for (quadrant, colour), (qx, qy) in zip(_QUADRANT_COLOURS.items(), _QUADRANT_CORNERS):
        figure.add_annotation(x=qx, y=qy, xref="paper", yref="paper", xanchor="left" if qx == 0 else "right",
                              yanchor="top" if qy == 1 else "bottom", showarrow=False,
                              text=f"<b>{value_label(quadrant)}</b>", font={"color": colour, "size": 13}, opacity=0.8)
    placed = place_labels((x - x_range[0]) / (x_range[1] - x_range[0]),
                          (y - y_range[0]) / (y_range[1] - y_range[0]), _driver_labels(drivers["driver"]))
    for label, px, py, (ax, ay) in zip(_driver_labels(drivers["driver"]), x, y, placed):
        figure.add_annotation(x=px, y=py, ax=ax, ay=ay, text=label, showarrow=True, arrowhead=0, arrowwidth=1,
                              arrowcolor="#8c959f", font={"size": 12}, name="driver")
    return figure.update_layout(title=_("Key drivers: importance vs performance"), height=_PLOT_SIZE[1] + 140,
                                separators=separators(),
                                xaxis={"title": _("performance (mean rating)"), "range": x_range},
                                yaxis={"title": _("importance (share of R²)"), "range": y_range,
                                       "tickformat": ".0%"},
                                legend={"orientation": "h", "y": -0.2})


def topic_sentiment_chart(summary: pd.DataFrame) -> go.Figure | Unavailable:
    """Stacked shares of positive, neutral and negative texts per topic (``Topics.summary``); without a topic, a
    sentence saying why (:func:`~cxresearch.charts.layout.no_chart`)."""
    check_columns(summary, ["topic", "positive", "negative"], chart="topic_sentiment_chart", source="Topics.summary")
    if summary.empty:
        return no_chart(_("No chart of topics: no theme or topic was found in these texts. It needs texts that "
                          "mention a CX theme (delivery, price, waiting time...) or enough texts sharing the same "
                          "words to form a topic, each in at least the run's smallest group size of texts."))
    neutral = 1 - summary["positive"] - summary["negative"]
    topics = summary["topic"].astype(str)
    parts = [(pgettext("texts", "negative"), summary["negative"], "#d62728"),
             (pgettext("texts", "neutral"), neutral, "#c7c7c7"), (pgettext("texts", "positive"), summary["positive"],
                                                                  "#2ca02c")]
    return go.Figure([go.Bar(y=topics, x=share, name=name, orientation="h", marker_color=colour,
                             hovertemplate="%{y}: %{x:.0%} " + name + "<extra></extra>")
                      for name, share, colour in parts]).update_layout(
        barmode="stack", title=_("Topics by sentiment"), xaxis_title=_("share of texts"), xaxis_tickformat=".0%",
        separators=separators(),
        yaxis=category_axis(pd.unique(topics), autorange="reversed"), height=height_for(len(topics), per_row=34))


def topic_impact_chart(impact: pd.DataFrame, *, outcome: str = "NPS") -> go.Figure | Unavailable:
    """Points of the outcome each topic costs or earns, with interval; flagged topics are solid (the table of
    :func:`topic_impact`, *outcome* its ``outcome``: "NPS", "CSAT"...); without a topic, a sentence saying why
    (:func:`~cxresearch.charts.layout.no_chart`)."""
    check_columns(impact, ["topic", "outcome_impact", "outcome_impact_low", "outcome_impact_high", "significant"],
                  chart="topic_impact_chart", source="voice.topic_impact")
    if impact.empty:
        return no_chart(_("No chart of the impact of topics on %(outcome)s: no topic of the comments has enough "
                          "answers that also answer %(outcome)s. It needs survey answers with both a comment and "
                          "an answer to %(outcome)s, at least the run's smallest group size of them per topic.")
                        % {"outcome": outcome})
    colours = [("#d62728" if value < 0 else "#2ca02c") if flagged else "#c7c7c7"
               for value, flagged in zip(impact["outcome_impact"], impact["significant"])]
    topics = impact["topic"].astype(str)
    points = _("%(outcome)s points") % {"outcome": outcome}
    return go.Figure(go.Bar(
        y=topics, x=impact["outcome_impact"], orientation="h", marker_color=colours,
        error_x={"type": "data", "symmetric": False, "array": impact["outcome_impact_high"] - impact["outcome_impact"],
                 "arrayminus": impact["outcome_impact"] - impact["outcome_impact_low"]},
        hovertemplate="%{y}: %{x:+.1f} " + points + "<extra></extra>",
    )).update_layout(title=_("Impact of each topic on %(outcome)s (overall minus without the topic; grey: not "
                             "significant)") % {"outcome": outcome},
                     xaxis_title=points, separators=separators(),
                     yaxis=category_axis(pd.unique(topics), autorange="reversed"),
                     height=height_for(len(topics), per_row=34))


def place_labels(x, y, labels, *, size=None) -> list[tuple[float, float]]:
    """Pixel offsets (ax, ay) putting each label near its point without overlapping another label or point.

    *x* and *y* are the points' positions scaled to 0..1 over the plot area;
    a label is a box of about 7 px per character by 16 px, tried in eight
    directions around its point, then farther away; the first free spot
    inside the plot wins (the last one tried when none is free).
    """
    width, height = size or _PLOT_SIZE
    points = [(float(px) * width, (1 - float(py)) * height) for px, py in zip(x, y)]
    taken = [(px - 7, py - 7, px + 7, py + 7) for px, py in points]
    offsets = []
    for (px, py), label in zip(points, labels):
        w, h = 7 * len(label) + 6, 16
        for gap in _DISTANCES:
            for ux, uy in _DIRECTIONS:
                ax, ay = ux * (w / 2 + gap), uy * (h / 2 + gap)
                box = _box(px + ax, py + ay, w, h)
                if (box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
                        and not any(_overlap(box, other) for other in taken)):
                    break
            else:
                continue
            break
        taken.append(box)
        offsets.append((ax, ay))
    return offsets


def label_boxes(x, y, labels, offsets, *, size=None) -> list[tuple[float, float, float, float]]:
    """The pixel boxes of labels placed at *offsets* (to check them)."""
    width, height = size or _PLOT_SIZE
    return [_box(float(px) * width + ax, (1 - float(py)) * height + ay, 7 * len(label) + 6, 16)
            for px, py, label, (ax, ay) in zip(x, y, labels, offsets)]


def _box(cx, cy, w, h):
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _driver_labels(drivers: pd.Series) -> list[str]:
    return [code_label(d, prefix="rating_") for d in drivers]


def _whisker(values: pd.Series, low: pd.Series, high: pd.Series, colour: str) -> dict:
    """Plotly error bars from *values* to their interval *low*-*high*, thin, in the points' colour."""
    return {"type": "data", "symmetric": False, "array": high - values, "arrayminus": values - low,
            "color": colour, "thickness": 1, "width": 0}


def _padded(values: pd.Series, *, low: float | None = None) -> list[float]:
    """An axis range around *values* with 12% room on each side for labels."""
    lo, hi = float(values.min()), float(values.max())
    pad = (hi - lo) * 0.12 or 0.5
    return [lo - pad if low is None else max(low, lo - pad), hi + pad]

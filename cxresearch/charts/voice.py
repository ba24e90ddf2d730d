"""Voice-of-the-customer charts: each takes a computed table and returns a ``go.Figure``."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

__all__ = ["kpi_chart", "trend_chart", "driver_quadrant_chart", "topic_sentiment_chart", "topic_impact_chart"]

_QUADRANT_COLOURS = {"fix first": "#d62728", "keep up": "#2ca02c", "low priority": "#7f7f7f",
                     "possible overkill": "#1f77b4"}


def kpi_chart(table: pd.DataFrame, *, metric: str = "nps", group_col: str | None = None) -> go.Figure:
    """Bars of one KPI with interval whiskers, per group, from :func:`~cxresearch.voice.kpi_table`."""
    rows = table[table["metric"] == metric]
    labels = rows[group_col].astype(str) if group_col else pd.Series(["all"] * len(rows), index=rows.index)
    figure = go.Figure(go.Bar(x=labels, y=rows["value"], customdata=rows["n"],
                              error_y={"type": "data", "symmetric": False, "array": rows["high"] - rows["value"],
                                       "arrayminus": rows["value"] - rows["low"]},
                              hovertemplate="%{x}: %{y:.1f} (n=%{customdata})<extra></extra>"))
    return figure.update_layout(title=f"{metric.upper()} with 95% interval", yaxis_title=metric,
                                xaxis_title=group_col or "")


def trend_chart(trend: pd.DataFrame) -> go.Figure:
    """KPI per period with its interval band; significant changes are marked (:func:`kpi_trend`)."""
    metric = trend["metric"].iloc[0] if len(trend) else ""
    changed = trend[trend["significant"]]
    return go.Figure([
        go.Scatter(x=pd.concat([trend["period"], trend["period"][::-1]]),
                   y=pd.concat([trend["high"], trend["low"][::-1]]), fill="toself", line={"width": 0},
                   fillcolor="rgba(31,119,180,0.2)", name="interval", hoverinfo="skip"),
        go.Scatter(x=trend["period"], y=trend["value"], mode="lines+markers", name=metric),
        go.Scatter(x=changed["period"], y=changed["value"], mode="markers", name="significant change",
                   marker={"size": 14, "symbol": "star", "color": "#d62728"}),
    ]).update_layout(title=f"{metric.upper()} over time", yaxis_title=metric)


def driver_quadrant_chart(drivers: pd.DataFrame) -> go.Figure:
    """Importance-performance quadrant of :func:`~cxresearch.voice.key_drivers`."""
    figure = go.Figure([
        go.Scatter(x=rows["performance"], y=rows["importance"], mode="markers+text", text=rows["driver"],
                   textposition="top center", name=quadrant, marker={"size": 12, "color": colour})
        for quadrant, colour in _QUADRANT_COLOURS.items()
        for rows in [drivers[drivers["quadrant"] == quadrant]]
    ])
    figure.add_vline(x=drivers["performance"].mean(), line_dash="dot")
    figure.add_hline(y=drivers["importance"].mean(), line_dash="dot")
    return figure.update_layout(title="Key drivers: importance vs performance",
                                xaxis_title="performance (mean rating)", yaxis_title="importance (share of R²)")


def topic_sentiment_chart(summary: pd.DataFrame) -> go.Figure:
    """Stacked shares of positive, neutral and negative texts per topic (``Topics.summary``)."""
    neutral = 1 - summary["positive"] - summary["negative"]
    parts = [("negative", summary["negative"], "#d62728"), ("neutral", neutral, "#c7c7c7"),
             ("positive", summary["positive"], "#2ca02c")]
    return go.Figure([go.Bar(y=summary["topic"], x=share, name=name, orientation="h", marker_color=colour)
                      for name, share, colour in parts]).update_layout(
        barmode="stack", title="Topics by sentiment", xaxis_title="share of texts", xaxis_tickformat=".0%")


def topic_impact_chart(impact: pd.DataFrame) -> go.Figure:
    """NPS points each topic costs or earns, with interval; flagged topics are solid (:func:`topic_impact`)."""
    colours = [("#d62728" if value < 0 else "#2ca02c") if flagged else "#c7c7c7"
               for value, flagged in zip(impact["impact"], impact["significant"])]
    return go.Figure(go.Bar(
        y=impact["topic"], x=impact["impact"], orientation="h", marker_color=colours,
        error_x={"type": "data", "symmetric": False, "array": impact["high"] - impact["impact"],
                 "arrayminus": impact["impact"] - impact["low"]},
    )).update_layout(title="NPS impact by topic (overall NPS minus NPS without the topic; grey: not significant)",
                    xaxis_title="NPS points")

"""Intervention charts: each takes a computed table and returns a ``go.Figure``."""
from __future__ import annotations

import typing

import pandas as pd
import plotly.graph_objects as go

from .._checks import check_instance
from ..display import code_label, column_label
from ..i18n import _
from .layout import check_columns, separators, tick_format, value_format

if typing.TYPE_CHECKING:
    from ..interventions import InterventionSeries

__all__ = ["intervention_chart"]

_COLOURS = {"scope": ("#1f77b4", "rgba(31,119,180,0.2)"), "comparison": ("#7f7f7f", "rgba(127,127,127,0.2)")}


def intervention_chart(info: InterventionSeries, effects: pd.DataFrame | None = None) -> go.Figure:
    """A metric over time at the intervention's scope and on the comparison, start marked.

    Takes the output of :func:`~cxresearch.interventions.intervention_series`:
    one line with its interval band per group and a vertical line at the start.
    Given the :func:`~cxresearch.interventions.intervention_effects` table, it
    shades the windows the verdicts compare (``before_start`` to ``after_end``).
    """
    from ..interventions import InterventionSeries  # here, not at the top: the series comes from that module

    check_instance("intervention_chart's input", info, InterventionSeries,
                   "the InterventionSeries that interventions.intervention_series returns")
    series = info.table
    check_columns(series, ["group", "label", "period", "value", "low", "high", "n"], chart="intervention_chart",
                  source="interventions.intervention_series")
    traces = []
    for group, (line, band) in _COLOURS.items():
        rows = series[series["group"] == group]
        label = rows["label"].iloc[0] if len(rows) else group
        traces += [
            go.Scatter(x=pd.concat([rows["period"], rows["period"][::-1]]),
                       y=pd.concat([rows["high"], rows["low"][::-1]]), fill="toself", fillcolor=band,
                       line={"width": 0}, name=_("%(label)s: 95%% interval") % {"label": label}, hoverinfo="skip", showlegend=False),
            go.Scatter(x=rows["period"], y=rows["value"], mode="lines+markers", name=label, customdata=rows["n"],
                       line={"color": line}, hovertemplate="%{x|%b %Y}: %{y:" + value_format(info.metric)
                       + "} (n=%{customdata})<extra></extra>"),
        ]
    figure = go.Figure(traces)
    figure.add_vline(x=info.start, line_dash="dash", line_color="#d62728")
    figure.add_annotation(x=info.start, y=1, yref="paper", yanchor="bottom", showarrow=False, xanchor="left",
                          text=_("%(intervention)s starts: %(description)s") % {"intervention": info.intervention_id,
                                                                             "description": info.description})
    rows = effects.loc[effects["intervention_id"] == info.intervention_id] if effects is not None else []
    if len(rows):
        window = rows.iloc[0]
        figure.add_vrect(x0=window["before_start"].tz_convert(None), x1=window["after_end"].tz_convert(None),
                         fillcolor="#d62728", opacity=0.07, line_width=0, layer="below",
                         annotation={"text": _("windows of the verdicts"), "font": {"size": 11}},
                         annotation_position="bottom left")
    better = _("lower is better") if info.better == "lower" else _("higher is better")
    return figure.update_layout(title=_("%(metric)s at %(scope)s (%(better)s)") % {
        "metric": _(info.label), "scope": code_label(info.scope, stage=info.scope_kind == "stage"), "better": better},
        yaxis={"title": column_label(info.metric), "tickformat": tick_format(info.metric)}, margin={"t": 90},
        separators=separators())

"""Journey charts: each takes a table of a :class:`~cxresearch.journeys.JourneyMap` and returns a ``go.Figure``.

Tables split by persona draw one trace per persona (emotion curve, funnel);
the Sankey and the heatmaps draw one persona at a time: pass its rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..errors import ParameterError

__all__ = ["journey_sankey", "journey_heatmap", "emotion_curve", "funnel_chart", "transition_heatmap"]

_EXIT = "exit"


def journey_sankey(flows: pd.DataFrame) -> go.Figure:
    """Sankey of the first steps of sessions, from :meth:`JourneyMap.flows`; sessions ending flow to "exit"."""
    _one_persona(flows)
    target_names = flows["to_touchpoint"].fillna(_EXIT)
    source = "step " + flows["step"].astype(str) + ": " + flows["from_touchpoint"].astype(str)
    target = np.where(flows["to_touchpoint"].isna(), "step " + flows["step"].astype(str) + ": " + _EXIT,
                      "step " + (flows["step"] + 1).astype(str) + ": " + target_names.astype(str))
    nodes = pd.Index(pd.unique(np.concatenate([source.to_numpy(dtype=object), target.astype(object)])))
    labels = [name.split(": ", 1)[1] for name in nodes]
    colours = ["#d62728" if label == _EXIT else "#1f77b4" for label in labels]
    return go.Figure(go.Sankey(
        node={"label": labels, "color": colours, "pad": 12},
        link={"source": nodes.get_indexer(source), "target": nodes.get_indexer(target), "value": flows["count"],
              "customdata": flows["customers"],
              "hovertemplate": "%{source.label} → %{target.label}: %{value} sessions "
                               "(%{customdata} customers)<extra></extra>"},
    )).update_layout(title="How sessions unfold (first steps)")


def journey_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """The journey map: stages x channels, coloured by CSAT and sized by reach (:attr:`JourneyMap.matrix`)."""
    _one_persona(matrix)
    size = 12 + 48 * np.sqrt(matrix["share"] / max(matrix["share"].max(), 1e-9))
    return go.Figure(go.Scatter(
        x=matrix["stage"], y=matrix["channel"], mode="markers",
        marker={"size": size, "color": matrix["csat"], "colorscale": "RdYlGn", "cmin": 0, "cmax": 100,
                "colorbar": {"title": "CSAT %"}, "line": {"width": 1, "color": "#444"}},
        customdata=np.column_stack([matrix["customers"], matrix["share"], matrix["exit_rate"], matrix["surveys"]]),
        hovertemplate="%{x} · %{y}<br>CSAT %{marker.color:.0f}% (n=%{customdata[3]})<br>"
                      "%{customdata[0]} customers (%{customdata[1]:.0%})<br>"
                      "exit rate %{customdata[2]:.0%}<extra></extra>",
    )).update_layout(title="Journey map: reach (size) and satisfaction (colour) by stage and channel",
                     xaxis={"title": "stage", "categoryorder": "array", "categoryarray": pd.unique(matrix["stage"])},
                     yaxis_title="channel")


def emotion_curve(stages: pd.DataFrame) -> go.Figure:
    """Mean CSAT (1-5) across the stages with its interval, one line per persona (:attr:`JourneyMap.stages`)."""
    figure = go.Figure([
        go.Scatter(x=rows["stage"], y=rows["csat_mean"], mode="lines+markers", name=str(name),
                   error_y={"type": "data", "symmetric": False,
                            "array": rows["csat_mean_high"] - rows["csat_mean"],
                            "arrayminus": rows["csat_mean"] - rows["csat_mean_low"]},
                   customdata=rows["surveys"], hovertemplate="%{x}: %{y:.2f} (n=%{customdata})<extra></extra>")
        for name, rows in _by_persona(stages)
    ])
    figure.add_hline(y=3, line_dash="dot", annotation_text="neutral")
    return figure.update_layout(title="Emotion curve: satisfaction along the journey", xaxis_title="stage",
                                yaxis={"title": "mean CSAT (1-5)", "range": [1, 5]})


def funnel_chart(funnel: pd.DataFrame) -> go.Figure:
    """Customers at each ordered step with the share kept from the first (:meth:`JourneyMap.funnel`)."""
    return go.Figure([
        go.Funnel(y=rows["name"], x=rows["customers"], name=str(name), textinfo="value+percent initial")
        for name, rows in _by_persona(funnel)
    ]).update_layout(title="Funnel")


def transition_heatmap(transitions: pd.DataFrame, *, normalise: bool = True) -> go.Figure:
    """From x to touchpoint heatmap of :attr:`JourneyMap.transitions`.

    With *normalise* each row shows where sessions go next from a touchpoint
    (shares of its outgoing transitions), else the raw counts.
    """
    _one_persona(transitions)
    grid = transitions.pivot_table(index="from_touchpoint", columns="to_touchpoint", values="count",
                                   aggfunc="sum", fill_value=0)
    values = grid.div(grid.sum(axis=1), axis=0) if normalise else grid
    return go.Figure(go.Heatmap(
        z=values.to_numpy(), x=values.columns, y=values.index, colorscale="Blues",
        customdata=grid.to_numpy(),
        hovertemplate="%{y} → %{x}: " + ("%{z:.0%}" if normalise else "%{z}") + " (%{customdata})<extra></extra>",
    )).update_layout(title="Transitions between touchpoints" + (" (share of next steps)" if normalise else ""),
                     xaxis_title="to", yaxis_title="from", yaxis_autorange="reversed")


def _by_persona(table: pd.DataFrame):
    """(name, rows) per persona, or one ("all", table) when the table is not split."""
    if "persona" not in table:
        return [("all", table)]
    return list(table.groupby("persona", sort=False))


def _one_persona(table: pd.DataFrame) -> None:
    if "persona" in table and table["persona"].nunique() > 1:
        raise ParameterError(f"this chart draws one persona at a time; the table holds "
                             f"{sorted(table['persona'].unique())}: pass the rows of one of them.")

"""Persona charts: each takes outputs of a fitted :class:`~cxresearch.personas.PersonaModel`.

Personas with fewer than ``min_group_size`` customers are left out of every
chart (with a :class:`~cxresearch.errors.SmallGroupWarning`).
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._checks import check_instance
from ..capabilities import Unavailable
from ..i18n import _, format_number, format_percent
from ..privacy import MIN_GROUP_SIZE, suppress_small
from .layout import category_axis, check_columns, height_for, no_chart, separators, wrap

__all__ = ["persona_sizes_chart", "persona_shares_chart", "trait_heatmap", "persona_traits_chart", "projection_chart", "k_selection_chart"]

#: Characters per line and most lines of a persona name on a chart axis: names of three or four traits
#: ("Customers with above-average days since registered and using automatic more than the rest") are read whole.
NAME_WIDTH, NAME_LINES = 30, 4


def _names_axis(names, **settings) -> tuple[dict, int]:
    """Axis settings for persona names, whole on up to :data:`NAME_LINES` lines, and the pixels a row needs."""
    lines = max((wrap(name, NAME_WIDTH, NAME_LINES).count("<br>") + 1 for name in names), default=1)
    return category_axis(names, width=NAME_WIDTH, lines=NAME_LINES, **settings), max(44, 16 * lines + 12)


def persona_sizes_chart(personas: pd.DataFrame, *, min_group_size: int = MIN_GROUP_SIZE) -> go.Figure | Unavailable:
    """Horizontal bars of persona sizes with their shares (``model.personas_``); for one group (no segmentation),
    a sentence instead."""
    check_columns(personas, ["name", "size", "share"], chart="persona_sizes_chart", source="model.personas_")
    if len(personas) == 1:
        return no_chart(_("No chart of persona sizes: all customers form one group."))
    shown = suppress_small(personas, size_col="size", min_group_size=min_group_size).iloc[::-1]   # first on top
    names = shown["name"].astype(str)
    axis, row = _names_axis(names)
    return go.Figure(go.Bar(
        x=shown["size"], y=names, orientation="h", text=[format_percent(s, decimals=0) for s in shown["share"]],
        textposition="auto", hovertemplate="%{y}: %{x:,} " + _("customers") + " (%{text})<extra></extra>",
    )).update_layout(title=_("Personas by size"), xaxis_title=_("customers"), separators=separators(),
                     yaxis=axis, height=height_for(len(names), per_row=row, minimum=300))


def persona_shares_chart(shares: pd.DataFrame) -> go.Figure:
    """Horizontal bars of each persona's share of customers with its 95% interval (``Summary.persona_shares``;
    vanished personas are left out)."""
    check_columns(shares, ["name", "share", "share_low", "share_high"], chart="persona_shares_chart",
                  source="Summary.persona_shares")
    shown = shares.loc[shares["status"] != "vanished"] if "status" in shares.columns else shares
    names = shown["name"].astype(str)
    axis, row = _names_axis(names, autorange="reversed")
    return go.Figure(go.Bar(
        x=shown["share"], y=names, orientation="h", text=[format_percent(s, decimals=0) for s in shown["share"]],
        textposition="inside", insidetextanchor="start",
        error_x={"type": "data", "symmetric": False, "array": shown["share_high"] - shown["share"],
                 "arrayminus": shown["share"] - shown["share_low"]},
        hovertemplate="%{y}: %{text}<extra></extra>",
    )).update_layout(title=_("Persona shares"), xaxis={"title": _("share of customers"), "tickformat": ".0%"},
                     separators=separators(), yaxis=axis, height=height_for(len(names), per_row=row, minimum=300))


def trait_heatmap(traits: pd.DataFrame, personas: pd.DataFrame, *, top: int = 15,
                  min_group_size: int = MIN_GROUP_SIZE) -> go.Figure | Unavailable:
    """Standardised mean differences of the *top* most distinctive features per persona; for one group (no
    segmentation), a sentence instead: no customer is set apart from the others.

    Parameters
    ----------
    traits : pandas.DataFrame
        ``model.traits_`` (persona x feature).
    personas : pandas.DataFrame
        ``model.personas_`` for names and sizes.
    """
    check_columns(personas, ["name", "size"], chart="trait_heatmap", source="model.personas_")
    if len(personas) == 1:
        return no_chart(_("No chart of traits: with all customers in one group, there are no others to differ "
                          "from."))
    shown = suppress_small(personas, size_col="size", min_group_size=min_group_size)
    rows = traits.loc[shown.index]
    columns = rows.abs().max().sort_values(ascending=False, kind="stable").index[:top]
    values = rows[columns]
    features, names = _feature_labels(columns), shown["name"].astype(str).tolist()
    axis, row = _names_axis(names, autorange="reversed")
    return go.Figure(go.Heatmap(
        z=values.to_numpy(), x=features, y=names,
        zmid=0, colorscale="RdBu", reversescale=True, colorbar={"title": _("SD vs rest")},
        text=values.round(1).to_numpy(), texttemplate="%{text}",
        hovertemplate="%{y}<br>%{x}: %{z:+.2f} " + _("SD vs the other customers") + "<extra></extra>",
    )).update_layout(title=_("What sets each persona apart (standardised mean difference)"), separators=separators(),
                     xaxis=category_axis(features, width=16, tickangle=-40),
                     yaxis=axis, height=height_for(len(names), per_row=row, extra=300))


def persona_traits_chart(traits: pd.Series, *, top: int = 10) -> go.Figure:
    """Bars of one persona's strongest traits (a row of ``model.traits_``)."""
    strongest = traits.dropna().abs().sort_values(ascending=False, kind="stable").index[:top][::-1]
    values = traits[strongest]
    labels = _feature_labels(strongest)
    return go.Figure(go.Bar(
        x=values, y=labels, orientation="h",
        marker_color=["#2166ac" if v > 0 else "#b2182b" for v in values],
        hovertemplate="%{y}: %{x:+.2f} " + _("SD vs the other customers") + "<extra></extra>",
    )).update_layout(title=_("Strongest traits"), xaxis_title=_("standardised mean difference vs the rest"),
                     separators=separators(),
                     yaxis=category_axis(labels, width=28), height=height_for(len(labels), per_row=30, minimum=320))


def projection_chart(projection) -> go.Figure:
    """Scatter of customers on two principal axes, coloured by persona (the
    :class:`~cxresearch.personas.projection.Projection` of :func:`projection_data`)."""
    from ..personas.projection import Projection  # here, not at the top: the projection comes from a fitted model

    check_instance("projection_chart's input", projection, Projection,
                   "the Projection that personas.projection_data returns")
    points, explained = projection.points, projection.explained_variance
    check_columns(points, ["pc1", "pc2", "name"], chart="projection_chart", source="personas.projection_data")
    figure = go.Figure([
        go.Scattergl(x=group["pc1"], y=group["pc2"], mode="markers", name=str(name),
                     marker={"size": 5, "opacity": 0.6}, hoverinfo="name")
        for name, group in points.groupby("name", sort=False)
    ])
    variance = _("%(axis)s (%(share)s of variance)")
    return figure.update_layout(title=_("Customers on the two main axes of the persona space"), separators=separators(),
                                xaxis_title=variance % {"axis": "PC1", "share": format_percent(explained[0], decimals=0)},
                                yaxis_title=variance % {"axis": "PC2", "share": format_percent(explained[1], decimals=0)})


def k_selection_chart(selection: pd.DataFrame, *, stability_threshold: float | None = None,
                      highly_stable: float | None = 0.85) -> go.Figure:
    """Silhouette and per-persona bootstrap Jaccard per number of personas, the chosen k marked
    (``model.selection_``).

    The stability panel draws the mean Jaccard of the personas (with its SD)
    and, when ``selection`` has ``min_stability``, the least stable persona's:
    the line the two thresholds apply to. *stability_threshold* is the one every
    persona must reach for a number to be eligible, *highly_stable* the one from
    which the largest such number is preferred (default the selection's own,
    :data:`cxresearch.personas.selection.HIGHLY_STABLE`, Hennig's "highly stable"); None draws no line.
    """
    check_columns(selection, ["silhouette", "stability", "stability_sd", "chosen"], chart="k_selection_chart",
                  source="model.selection_")
    figure = make_subplots(rows=1, cols=2, subplot_titles=(_("Silhouette (higher is better)"),
                                                           _("Stability: bootstrap Jaccard of the personas")))
    k = selection.index.to_numpy()
    figure.add_trace(go.Scatter(x=k, y=selection["silhouette"], mode="lines+markers", name=_("silhouette"),
                                showlegend=False), 1, 1)
    figure.add_trace(go.Scatter(x=k, y=selection["stability"], mode="lines+markers", name=_("mean of the personas"),
                                error_y={"type": "data", "array": selection["stability_sd"]}), 1, 2)
    if "min_stability" in selection:
        figure.add_trace(go.Scatter(x=k, y=selection["min_stability"], mode="lines+markers",
                                    name=_("least stable persona"), line={"dash": "dot"}), 1, 2)
    lines = ((stability_threshold, _("eligible: every persona at least %(value)s")),
             (highly_stable, _("preferred: every persona at least %(value)s")))
    for value, text in lines:
        if value is not None:
            figure.add_hline(y=value, line_dash="dot", line_color="#7f7f7f", row=1, col=2,
                             annotation_text=text % {"value": format_number(value, decimals=2)},
                             annotation_position="bottom right")
    for chosen in selection.index[selection["chosen"]]:
        figure.add_vline(x=chosen, line_dash="dash", line_color="#2ca02c")
    return figure.update_layout(title=_("Choosing the number of personas"), separators=separators(),
                                legend={"orientation": "h", "y": -0.25}).update_xaxes(
        title_text=_("number of personas"), tickmode="array", tickvals=list(k))


def _feature_labels(columns) -> list[str]:
    """Readable labels of feature columns (:func:`~cxresearch.personas.feature_label`)."""
    from ..personas import feature_label  # here, not at the top: the traits come from a fitted model

    return [feature_label(c) for c in columns]

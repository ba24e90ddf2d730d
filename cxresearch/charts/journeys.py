"""Journey charts: each takes a table of a :class:`~cxresearch.journeys.JourneyMap` and returns a ``go.Figure``.

Tables split by persona draw one trace per persona (emotion curve, funnel);
the Sankey and the heatmaps draw one persona at a time: pass its rows.
"""
from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .._checks import check_positive
from ..display import code_label, column_label
from ..errors import ParameterError
from ..i18n import _, format_count
from ..capabilities import Unavailable
from .layout import category_axis, check_columns, height_for, no_chart, separators

__all__ = ["journey_sankey", "journey_heatmap", "emotion_curve", "funnel_chart", "transition_heatmap"]

_EXIT, _OTHER = "exit", "other"
_COLOURS = {_EXIT: "#d62728", _OTHER: "#bdbdbd", None: "#1f77b4"}
#: A journey stage's code in words: a standard stage in the reader's language (other codes stay the data's).
_stage_words = partial(code_label, stage=True)


def journey_sankey(flows: pd.DataFrame, *, nodes_per_step: int = 6) -> go.Figure:
    """Sankey of the first steps of sessions, from :meth:`JourneyMap.flows`; sessions ending flow to "exit".

    Each step shows its *nodes_per_step* busiest touchpoints (by sessions in
    and out); the others are grouped as "other", their names in its hover, so
    labels never pile up. Sessions ending at any step flow into one "exit" node.
    """
    check_columns(flows, ["step", "from_touchpoint", "to_touchpoint", "count"], chart="journey_sankey",
                  source="JourneyMap.flows(steps)")
    check_positive(nodes_per_step=nodes_per_step)
    _one_persona(flows)
    links, grouped = _grouped_links(flows, nodes_per_step)
    nodes = pd.Index(pd.unique(pd.concat([links["source"], links["target"]], ignore_index=True)))
    steps, labels = zip(*(name.split(": ", 1) for name in nodes)) if len(nodes) else ((), ())
    hover = [f" ({', '.join(map(code_label, grouped.get(step, [])))})" if label == _OTHER else ""
             for step, label in zip(steps, labels)]
    return go.Figure(go.Sankey(
        arrangement="snap",
        node={"label": [_(label) if label in (_EXIT, _OTHER) else code_label(label) for label in labels], "pad": 14,
              "customdata": hover,
              "color": [_COLOURS.get(label, _COLOURS[None]) for label in labels],
              "hovertemplate": "%{label}%{customdata}: %{value} " + _("sessions") + "<extra></extra>"},
        link={"source": nodes.get_indexer(links["source"]), "target": nodes.get_indexer(links["target"]),
              "value": links["count"], "customdata": links["customers"],
              "hovertemplate": "%{source.label} → %{target.label}: %{value} " + _("sessions")
                               + "%{customdata}<extra></extra>"},
    )).update_layout(title=_("How sessions unfold (first steps; the %(n)d busiest touchpoints per step)")
                     % {"n": nodes_per_step}, separators=separators(),
                     height=height_for(max(pd.Series(steps).value_counts(), default=0), per_row=56))


def _grouped_links(flows: pd.DataFrame, keep: int) -> tuple[pd.DataFrame, dict]:
    """Links between "k: name" nodes (k the step), all but the *keep* busiest names of a step as "other".

    Returns the links (source, target, count, customers hover text) and, per
    step, the names grouped as "other".
    """
    exits = flows["to_touchpoint"].isna().to_numpy()
    target_step = np.where(exits, flows["step"], flows["step"] + 1)
    ends = pd.DataFrame({"step": np.concatenate([flows["step"], target_step[~exits]]),
                         "name": np.concatenate([flows["from_touchpoint"].astype(str),
                                                 flows["to_touchpoint"][~exits].astype(str)]),
                         "count": np.concatenate([flows["count"], flows["count"][~exits]])})
    volume = (ends.groupby(["step", "name"])["count"].sum().reset_index()
              .sort_values(["step", "count", "name"], ascending=[True, False, True], kind="stable"))
    volume["kept"] = volume.groupby("step").cumcount() < keep
    kept = pd.MultiIndex.from_frame(volume.loc[volume["kept"], ["step", "name"]])
    others = volume[~volume["kept"]].groupby("step")["name"].agg(list)
    grouped = {str(step): names for step, names in others.items()}

    def node(step, name, is_exit):
        kept_here = pd.MultiIndex.from_arrays([step, name]).isin(kept)
        return np.where(is_exit, f"{_EXIT}: {_EXIT}",   # one exit node, last: sessions ending at any step
                        (pd.Series(step).astype(str) + ": " + np.where(kept_here, name, _OTHER)).to_numpy())

    links = pd.DataFrame({
        "source": node(flows["step"].to_numpy(), flows["from_touchpoint"].astype(str).to_numpy(), False),
        "target": node(target_step, flows["to_touchpoint"].astype(str).to_numpy(), exits),
        "count": flows["count"].to_numpy(),
        "customers": flows["customers"].to_numpy(dtype=float) if "customers" in flows else np.nan})
    links = links.groupby(["source", "target"], sort=False).agg(
        count=("count", "sum"), customers=("customers", lambda c: c.iloc[0] if len(c) == 1 else np.nan),
        ).reset_index()
    links["customers"] = [" (" + _("%(n)s customers") % {"n": format_count(c)} + ")" if pd.notna(c) else ""
                          for c in links["customers"]]
    return links, grouped


def journey_heatmap(matrix: pd.DataFrame) -> go.Figure:
    """The journey map: stages x channels, coloured by CSAT and sized by reach (:attr:`JourneyMap.matrix`); without
    any CSAT answer (a ticket log), sized by reach alone, its title saying so."""
    check_columns(matrix, ["stage", "channel", "share", "csat", "customers", "exit_rate", "surveys"],
                  chart="journey_heatmap", source="JourneyMap.matrix")
    _one_persona(matrix)
    size = 12 + 48 * np.sqrt(matrix["share"] / max(matrix["share"].max(), 1e-9))
    channels = sorted(pd.unique(matrix["channel"].astype(str)))
    answered = bool(matrix["csat"].notna().any())
    colour = ({"color": matrix["csat"], "colorscale": "RdYlGn", "cmin": 0, "cmax": 1,
               "colorbar": {"title": "CSAT", "tickformat": ".0%"}} if answered else {"color": "#1f77b4"})
    return go.Figure(go.Scatter(
        x=matrix["stage"].astype(str), y=matrix["channel"].astype(str), mode="markers",
        hovertext=[f"{_stage_words(stage)} · {code_label(channel)}"
                   for stage, channel in zip(matrix["stage"].astype(str), matrix["channel"].astype(str))],
        marker={"size": size, **colour, "line": {"width": 1, "color": "#444"}},
        customdata=np.column_stack([matrix["customers"], matrix["share"], matrix["exit_rate"], matrix["surveys"]]),
        hovertemplate="%{hovertext}<br>" + ("CSAT %{marker.color:.0%} (n=%{customdata[3]})<br>" if answered else "")
                      + "%{customdata[0]} " + _("customers") + " (%{customdata[1]:.0%})<br>"
                      + _("exit rate") + " %{customdata[2]:.0%}<extra></extra>",
    )).update_layout(title=_("Journey map: reach (size) and satisfaction (colour) by stage and channel") if answered
                     else _("Journey map: reach (size) by stage and channel; no CSAT answer to colour it by"),
                     separators=separators(),
                     xaxis=category_axis(pd.unique(matrix["stage"].astype(str)), title=column_label("stage"), width=14,
                                         label=_stage_words),
                     yaxis=category_axis(channels, title=column_label("channel"), label=code_label),
                     height=height_for(len(channels), per_row=60))


def emotion_curve(stages: pd.DataFrame) -> go.Figure | Unavailable:
    """Mean CSAT (1-5) across the stages with its interval, one line per persona (:attr:`JourneyMap.stages`);
    without a mean to draw, a sentence saying why (:func:`~cxresearch.charts.layout.no_chart`)."""
    check_columns(stages, ["stage", "csat_mean", "csat_mean_low", "csat_mean_high", "surveys"],
                  chart="emotion_curve", source="JourneyMap.stages")
    if stages["csat_mean"].isna().all():
        return no_chart(_("No emotion curve: no stage has enough CSAT answers naming one of its touchpoints. It "
                          "needs survey answers with a CSAT score and the touchpoint they rate, at least the run's "
                          "smallest group size of customers per stage."))
    figure = go.Figure([
        go.Scatter(x=rows["stage"].astype(str), y=rows["csat_mean"], mode="lines+markers", name=str(name),
                   error_y={"type": "data", "symmetric": False,
                            "array": rows["csat_mean_high"] - rows["csat_mean"],
                            "arrayminus": rows["csat_mean"] - rows["csat_mean_low"]},
                   customdata=rows["surveys"], hovertext=[_stage_words(stage) for stage in rows["stage"].astype(str)],
                   hovertemplate="%{hovertext}: %{y:.2f} (n=%{customdata})<extra></extra>")
        for name, rows in _by_persona(stages)
    ])
    figure.add_hline(y=3, line_dash="dot", annotation_text=_("neutral"))
    return figure.update_layout(title=_("Emotion curve: satisfaction along the journey"), separators=separators(),
                                xaxis=category_axis(pd.unique(stages["stage"].astype(str)), title=column_label("stage"),
                                                    width=14, label=_stage_words),
                                yaxis={"title": _("mean score of the CSAT answers (1-5)"), "range": [1, 5]})


def funnel_chart(funnel: pd.DataFrame, *, name_col: str = "name", share_col: str | None = None,
                 title: str | None = None) -> go.Figure:
    """Customers at each ordered step (:meth:`JourneyMap.funnel`), the counts written in full with the reader's
    separators, each with the share kept from the first step; or, with *share_col*, with that share (the
    journey's stages: ``name_col="stage", share_col="share"``, the share of all customers reaching each stage,
    which is no funnel: a later stage may reach more customers, so it is drawn as plain bars from zero, not
    as a funnel tapering from the first). A step named like a stage reads as one, as in the funnel a stage's name
    wins over a touchpoint's. *title* defaults to "Funnel"."""
    check_columns(funnel, [name_col, "customers", *([share_col] if share_col else [])], chart="funnel_chart",
                  source="JourneyMap.funnel(steps)")
    names = pd.unique(funnel[name_col].astype(str))
    if share_col is None:
        trace, share, words = go.Funnel, "%{percentInitial:.0%}", _("%(share)s of the first")
        settings = {"textinfo": "text"}
    else:
        trace, share, words = go.Bar, "%{customdata:.0%}", _("%(share)s of customers")
        settings = {"orientation": "h", "textposition": "auto"}
    return go.Figure([
        trace(y=rows[name_col].astype(str), x=rows["customers"], name=str(name),
              text=[format_count(n) for n in rows["customers"]],
              hovertext=[_stage_words(name) for name in rows[name_col].astype(str)],
              customdata=rows[share_col] if share_col else None, texttemplate="%{text} · " + share,
              hovertemplate="%{hovertext}: %{text} " + _("customers") + " · " + words % {"share": share}
                            + "<extra>%{fullData.name}</extra>", **settings)
        for name, rows in _by_persona(funnel)
    ]).update_layout(title=title or _("Funnel"), separators=separators(),
                     yaxis=category_axis(names, label=_stage_words, autorange="reversed" if share_col else None),
                     height=height_for(len(names), per_row=60))


def transition_heatmap(transitions: pd.DataFrame, *, normalise: bool = True) -> go.Figure:
    """From x to touchpoint heatmap of :attr:`JourneyMap.transitions`, every touchpoint labelled.

    With *normalise* each row shows where sessions go next from a touchpoint
    (shares of its outgoing transitions), else the raw counts. Without any transition (sessions of one event
    each), a sentence saying why (:func:`~cxresearch.charts.layout.no_chart`).
    """
    check_columns(transitions, ["from_touchpoint", "to_touchpoint", "count"], chart="transition_heatmap",
                  source="JourneyMap.transitions")
    _one_persona(transitions)
    if transitions.empty:
        return no_chart(_("No transitions between touchpoints: no session holds two events in a row that enough "
                          "customers share (at least the run's smallest group). Where customers go next needs "
                          "sessions of several events: a session_id column, or events closer together than the "
                          "session gap."))
    grid = transitions.pivot_table(index="from_touchpoint", columns="to_touchpoint", values="count",
                                   aggfunc="sum", fill_value=0)
    values = grid.div(grid.sum(axis=1), axis=0) if normalise else grid
    to, source = [code_label(c) for c in values.columns], [code_label(c) for c in values.index]
    return go.Figure(go.Heatmap(
        z=values.to_numpy(), x=to, y=source, colorscale="Blues",
        customdata=grid.to_numpy(),
        hovertemplate="%{y} → %{x}: " + ("%{z:.0%}" if normalise else "%{z}") + " (%{customdata})<extra></extra>",
    )).update_layout(title=_("Transitions between touchpoints (share of next steps)") if normalise
                     else _("Transitions between touchpoints"), separators=separators(),
                     xaxis=category_axis(to, title=_("to"), tickangle=-45),
                     yaxis=category_axis(source, title=_("from"), autorange="reversed"),
                     height=height_for(len(values.index), extra=260))


def _by_persona(table: pd.DataFrame):
    """(name, rows) per persona, or one ("all customers", table) when the table is not split."""
    if "persona" not in table:
        return [(_("all customers"), table)]
    return list(table.groupby("persona", sort=False))


def _one_persona(table: pd.DataFrame) -> None:
    if "persona" in table and table["persona"].nunique() > 1:
        raise ParameterError(f"this chart draws one persona at a time; the table holds "
                             f"{sorted(table['persona'].unique())}: pass the rows of one of them.")

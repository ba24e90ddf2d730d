"""``JourneyExplorer``: browse the journey map of a dataset by persona and channel in JupyterLab."""
from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from ..charts.journeys import emotion_curve, funnel_chart, journey_heatmap, journey_sankey, transition_heatmap
from ..journeys import AUTO_GAP, JourneyMap, journey_map
from ..display import pretty
from ..i18n import N_, _
from ..privacy import MIN_GROUP_SIZE
from .output import ExplorerBox, noted, show_in

__all__ = ["JourneyExplorer"]

#: The choice of every persona or channel (shown, like the charts' names, in the reader's language).
ALL = N_("all")
CHARTS = {
    N_("journey map"): lambda jm: journey_heatmap(jm.matrix),
    N_("session flows"): lambda jm: journey_sankey(jm.flows(5)),
    N_("emotion curve"): lambda jm: emotion_curve(jm.stages),
    N_("stage funnel"): lambda jm: funnel_chart(jm.funnel(list(jm.stage_labels))),
    N_("transitions"): lambda jm: transition_heatmap(jm.transitions),
}
NEEDS_STAGES = ("journey map", "emotion curve", "stage funnel")


class JourneyExplorer(ExplorerBox):
    """Pick a persona, a channel and a chart; see the chart and the top pain points.

    Parameters
    ----------
    ds : CXDataset
        The dataset to map (needs events).
    personas : Series, optional
        customer_id -> persona label, to filter by persona.
    gap, min_group_size
        As in :func:`~cxresearch.journeys.journey_map`.

    Examples
    --------
    >>> explorer = JourneyExplorer(ds, personas=labels)   # doctest: +SKIP
    >>> explorer                                           # doctest: +SKIP
    """

    def __init__(self, ds, *, personas: pd.Series | None = None, gap=AUTO_GAP,
                 min_group_size: int = MIN_GROUP_SIZE):
        self._overall = journey_map(ds, gap=gap, min_group_size=min_group_size)
        self._maps: dict[tuple[str, str], JourneyMap] = {}
        self._split = None if personas is None else journey_map(ds, personas=personas, gap=gap,
                                                                min_group_size=min_group_size)
        self._all = _(ALL)
        self._charts = {_(name): draw for name, draw in CHARTS.items()
                        if len(self._overall.stage_labels) or name not in NEEDS_STAGES}
        self.persona = widgets.Dropdown(description=_("persona"), options=[self._all] + (
            [] if self._split is None else [str(p) for p in self._split.persona_labels]))
        self.channel = widgets.Dropdown(description=_("channel"),
                                        options=[self._all, *self._overall.channel_labels])
        self.chart = widgets.ToggleButtons(options=list(self._charts))
        self.output = widgets.Output()
        self.note = widgets.HTML()
        for control in (self.persona, self.channel, self.chart):
            control.observe(self._refresh, names="value")
        super().__init__([widgets.HBox([self.persona, self.channel]), self.chart, self.note, self.output])
        self._refresh()

    @property
    def journey(self) -> JourneyMap:
        """The journey map of the current persona and channel selection."""
        return self._map(self.persona.value, self.channel.value)

    @property
    def figure(self):
        """The chart currently shown."""
        return self._charts[self.chart.value](self.journey)

    @property
    def pain_points(self):
        """The top five pain points (with a positive impact) of the selection, formatted for reading."""
        table = self.journey.pain_points(top=5)
        shown = [c for c in ("name", "stage", "customers", "reach", "abandon_rate", "csat", "impact") if c in table]
        return pretty(table.loc[table["impact"] > 0, shown]).set_caption(_("Top pain points"))

    def _map(self, persona: str, channel: str) -> JourneyMap:
        """Journey map of a selection, built once."""
        if (persona, channel) not in self._maps:
            jm = self._overall if persona == self._all else self._split.subset(persona=self._label(persona))
            self._maps[persona, channel] = jm if channel == self._all else jm.subset(channels=channel)
        return self._maps[persona, channel]

    def _label(self, persona: str):
        return next(p for p in self._split.persona_labels if str(p) == persona)

    def _refresh(self, *_) -> None:
        with noted(self.note):
            shown = self.figure, self.pain_points
        show_in(self.output, *shown)

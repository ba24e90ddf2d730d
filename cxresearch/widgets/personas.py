"""``PersonaExplorer``: pick a persona, see its card, its strongest traits and its KPIs."""
from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from ..charts.personas import persona_traits_chart
from ..i18n import _
from ..personas import PersonaModel, persona_card
from .output import ExplorerBox, noted, show_in

__all__ = ["PersonaExplorer"]


class PersonaExplorer(ExplorerBox):
    """Browse the personas of a fitted :class:`~cxresearch.personas.PersonaModel`.

    Personas smaller than the model's ``min_group_size`` are not offered.

    Parameters
    ----------
    model : PersonaModel
        A fitted model.
    quotes : pandas.DataFrame, optional
        Quotes from :func:`~cxresearch.personas.representative_quotes`.

    Examples
    --------
    >>> PersonaExplorer(model, quotes=quotes)   # doctest: +SKIP
    """

    def __init__(self, model: PersonaModel, *, quotes: pd.DataFrame | None = None):
        self.model = model
        self.quotes = quotes
        shown = model.personas_[~model.personas_["suppressed"].astype(bool)]
        self.persona = widgets.Dropdown(description=_("persona"), options=list(zip(shown["name"], shown.index)),
                                        layout={"width": "480px"}, style={"description_width": "initial"})
        self.card = widgets.HTML()
        self.chart = widgets.Output()
        self.note = widgets.HTML()
        self.persona.observe(self._refresh, names="value")
        super().__init__([self.persona, self.note, widgets.HBox([self.card, self.chart])])
        self._refresh()

    @property
    def figure(self):
        """The traits chart of the selected persona."""
        return persona_traits_chart(self.model.traits_.loc[self.persona.value])

    def _refresh(self, *_) -> None:
        with noted(self.note):
            self.card.value = persona_card(self.model, self.persona.value, quotes=self.quotes)
            figure = self.figure
        show_in(self.chart, figure)

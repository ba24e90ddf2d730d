"""Persona cards: the data a card shows (:class:`PersonaCardData`) and its rendering from a Jinja template.

:mod:`cxresearch.personas` fills a :class:`PersonaCardData` from a fitted
model; :func:`render_persona_card` draws it with ``templates/persona_card.html.j2``
(autoescaped): name, share with its interval and n, continuity with the
previous run, defining traits with their effect sizes in words, the
distribution behind each attribute, channels, KPIs with intervals, goals and
frustrations, quotes. A suppressed persona (smaller than ``min_group_size``)
shows only a sentence saying so. Printed, each card fills one A4 page.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .i18n import N_, _, format_number
from .templating import HTMLFragment, render_template

__all__ = ["Trait", "Attribute", "Kpi", "Quote", "PersonaCardData", "PersonaCard", "render_persona_card",
           "effect_words", "SMALL_EFFECT"]


@dataclass(frozen=True)
class Trait:
    """A defining trait: *label*, its standardised *effect* (SD from the other customers) and *words* saying it."""

    label: str
    effect: float
    words: str = ""


@dataclass(frozen=True)
class Attribute:
    """An attribute of the persona: its typical *value*, all customers' *overall* one and the *distribution* behind it.

    ``distribution`` lists ``(label, share)`` pairs, shares 0-1: the categories
    of a text attribute, or the bins of a number.
    """

    label: str
    value: str
    overall: str = ""
    distribution: tuple = ()


@dataclass(frozen=True)
class Kpi:
    """A KPI of the persona with its interval and the answers behind it, in the unit of *metric* (a key of
    :data:`cxresearch.columns.METRIC_UNITS`: ``"csat"`` a share of 1, ``"nps"`` points)."""

    label: str
    value: float
    low: float
    high: float
    n: int
    metric: str = ""


@dataclass(frozen=True)
class Quote:
    """A redacted quote; *tone* is ``"positive"``, ``"negative"`` or ``""``."""

    text: str
    tone: str = ""


@dataclass(frozen=True)
class PersonaCardData:
    """What a persona card shows. Shares are 0-1; ``stability`` is NaN for one group (no segmentation).

    ``status`` is the persona's continuity with the previous run: ``"kept"``,
    ``"new"``, ``"vanished"`` or ``""`` (no previous run).
    """

    persona_id: int
    name: str
    size: int
    share: float
    share_low: float
    share_high: float
    n_total: int
    stability: float = math.nan
    unstable: bool = False
    status: str = ""
    traits: tuple = ()
    attributes: tuple = ()
    channels: tuple = ()
    kpis: tuple = ()
    goals: tuple = ()
    frustrations: tuple = ()
    quotes: tuple = ()
    suppressed: bool = False
    min_group_size: int = 5
    notes: tuple = field(default=())


class PersonaCard(HTMLFragment):
    """A rendered persona card: HTML that shows itself in Jupyter."""


#: Smallest |standardised difference| that is a trait (Cohen's small effect); under it a group is "like the others".
SMALL_EFFECT = 0.2
#: A standardised difference in words, by size (Cohen: 0.2 small, 0.5 medium, 0.8 large) and sign.
EFFECT_WORDS = {("far", 1): N_("far above the others"), ("", 1): N_("above the others"),
                ("slightly", 1): N_("slightly above the others"), ("far", -1): N_("far below the others"),
                ("", -1): N_("below the others"), ("slightly", -1): N_("slightly below the others")}


def effect_words(effect: float) -> str:
    """A standardised difference in words: "far above", "above", "slightly above" (and below) the others.

    Cohen's rule of thumb: 0.2 small, 0.5 medium, 0.8 large; under 0.2 "like the others".
    """
    if effect is None or math.isnan(effect) or abs(effect) < SMALL_EFFECT:
        return _("like the others")
    size = "far" if abs(effect) >= 0.8 else "" if abs(effect) >= 0.5 else "slightly"
    return _(EFFECT_WORDS[(size, 1 if effect > 0 else -1)])


def render_persona_card(card: PersonaCardData) -> PersonaCard:
    """The HTML card of *card* (see the module docstring)."""
    return PersonaCard(render_template("persona_card.html.j2", card=card, effect_words=effect_words,
                                       stability=_stability(card)))


def _stability(card: PersonaCardData) -> str:
    if card.stability is None or math.isnan(card.stability):
        return _("one group: no stable segmentation")
    value = format_number(card.stability, decimals=2)
    if card.unstable:
        return _("unstable (stability %(value)s): may not reappear in other data") % {"value": value}
    return _("stability %(value)s") % {"value": value}

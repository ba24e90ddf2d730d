"""Persona cards: what a card shows (:func:`persona_card_data`), drawn by
:func:`cxresearch.cards.render_persona_card`."""
from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..cards import SMALL_EFFECT, Attribute, Kpi, PersonaCard, PersonaCardData, Quote, Trait, render_persona_card
from ..columns import code_label, name_part
from ..errors import ParameterError, SmallGroupWarning
from ..features import feature_group
from ..i18n import N_, _, format_list, format_number, format_percent, format_significant
from ..intervals import wilson_interval
from ..outcomes import outcome_label
from ..privacy import redact_pii
from .model import PersonaModel
from .profiles import category_label, feature_label

#: Smallest channel share a card lists, and that makes the channel's rating a goal or frustration of the persona.
CARD_CHANNEL = 0.05
#: Standardised difference in reaching an outcome stage that makes it a goal or frustration (a medium effect).
FEWER_REACH = 0.5
#: Stages customers want to reach (the journey's outcomes, by :func:`~cxresearch.columns.name_part`): fewer of a
#: persona reaching one is a frustration; fewer reaching awareness or service is none.
OUTCOME_STAGES = frozenset({"purchase", "onboarding", "usage", "retention", "loyalty", "advocacy", "renewal",
                            "redemption", "offer"})
_KPIS = (("nps", N_("NPS")), ("csat", N_("CSAT (share of 4-5 answers)")))
#: What personas would need, said where the data gives one group.
ONE_GROUP_NEEDS = N_("Personas need traits on which groups of customers differ: behaviour over time (events or "
                     "orders per customer: frequency, spend, channels), survey scores or more attributes per "
                     "customer. Add them to the export and run the routine again.")


def persona_card(model: PersonaModel, persona_id, *, quotes: pd.DataFrame | pd.Series | None = None,
                 min_group_size: int | None = None) -> PersonaCard:
    """Self-contained HTML card of one persona (template ``persona_card.html.j2``, autoescaped).

    A persona smaller than *min_group_size* (default: the model's) is
    suppressed, with a :class:`~cxresearch.errors.SmallGroupWarning`: the card
    says so and shows nothing else. See :func:`persona_card_data` for what it shows.
    """
    card = persona_card_data(model, persona_id, quotes=quotes, min_group_size=min_group_size)
    if card.suppressed:
        warnings.warn(f"persona {persona_id} has fewer than {card.min_group_size} customers; its card is suppressed.",
                      SmallGroupWarning, stacklevel=2)
    return render_persona_card(card)


def segmentation_note(model: PersonaModel) -> str | None:
    """Why the customers form one group and what personas would need, or None when *model* found personas."""
    check_is_fitted(model, "personas_")
    return None if model.segmentation_ is None else f"{model.segmentation_} {_(ONE_GROUP_NEEDS)}"


def persona_card_data(model: PersonaModel, persona_id, *, quotes: pd.DataFrame | pd.Series | None = None,
                      min_group_size: int | None = None) -> PersonaCardData:
    """What the card of one persona shows (:class:`~cxresearch.cards.PersonaCardData`; shares 0-1).

    Name, size and share with its 95% Wilson interval, stability, continuity
    with the previous run (after :meth:`PersonaModel.align_to`), the strongest
    distinct traits, who they are (attributes with the overall value and, for
    text attributes, the distribution), channels, NPS / CSAT with 95%
    intervals, the share with the customers' yes/no outcome (subscribed, churned...) with its interval and
    whether it differs from the other customers (Holm-adjusted), goals and frustrations from the touchpoints they use and the
    stages they reach (:func:`_goals`), and quotes (redacted).

    Parameters
    ----------
    model : PersonaModel
        A fitted model.
    persona_id : int
        One of ``model.personas_.index``.
    quotes : pandas.DataFrame or Series, optional
        Quotes from :func:`representative_quotes` (persona, quote, label), or
        one quote per persona id.
    min_group_size : int, optional
        Smallest persona shown; default the model's.
    """
    check_is_fitted(model, "personas_")
    if persona_id not in model.personas_.index:
        raise ParameterError(f"unknown persona id {persona_id!r}; valid ids are {model.personas_.index.tolist()}.")
    minimum = model.min_group_size if min_group_size is None else min_group_size
    info = model.personas_.loc[persona_id]
    total = int(model.personas_["size"].sum())
    share, low, high = (float(v) for v in wilson_interval(int(info["size"]), total))
    head = dict(persona_id=int(persona_id), name=str(info["name"]), size=int(info["size"]), share=share,
                share_low=low, share_high=high, n_total=total, min_group_size=minimum)
    if info["size"] < minimum:  # not even its name, which would describe it
        return PersonaCardData(**{**head, "name": _("Persona %(id)s") % {"id": persona_id}}, suppressed=True)
    profile, traits = model.profiles_.loc[persona_id], model.traits_.loc[persona_id]
    goals, frustrations, unrated = _goals(profile, model.overall_, traits)
    one_group = segmentation_note(model)   # all customers: nothing sets them apart from "the others"
    attributes = _attributes(profile, model.overall_, model.scale_, len(model.labels_))
    shown = () if one_group else _traits(traits, model.trait_columns_[persona_id])
    alike = None if one_group or shown else _("Nothing sets them apart: every trait lies within %(effect)s SD of "
                                              "the other customers.") % {"effect": format_number(SMALL_EFFECT,
                                                                                                 decimals=1)}
    return PersonaCardData(
        **head, stability=float(info["stability"]), unstable=bool(info["unstable"]), status=_status(model, persona_id),
        traits=shown, attributes=tuple(replace(a, overall="") for a in attributes) if one_group else attributes,
        channels=_channels(profile), kpis=_kpis(info) + _outcome(info, getattr(model, "outcome_", None)),
        goals=goals, frustrations=frustrations,
        quotes=_quotes(quotes, persona_id), notes=tuple(note for note in (one_group, alike, unrated) if note))


def _status(model: PersonaModel, persona_id) -> str:
    """"kept" or "new" after :meth:`PersonaModel.align_to`, else ""."""
    alignment = getattr(model, "alignment_", None)
    if alignment is None:
        return ""
    status = alignment.loc[alignment["persona"] == persona_id, "status"]
    return str(status.iloc[0]) if len(status) else ""


def _traits(traits: pd.Series, columns) -> tuple:
    """The persona's telling traits (:attr:`PersonaModel.trait_columns_`), as its name and ``top_traits`` say them."""
    return tuple(Trait(feature_label(c), float(traits[c])) for c in columns)


def _is_yes_no(mean: float, sd: float, n: int) -> bool:
    """True when a column of 0s and 1s has this *mean* and standard deviation *sd* over *n* customers:
    values between 0 and 1 have a variance of at most p(1 - p), reached only when each is 0 or 1."""
    if not (0 <= mean <= 1) or pd.isna(sd) or n < 2:
        return False
    return bool(np.isclose(sd ** 2 * (n - 1) / n, mean * (1 - mean), rtol=0.02, atol=1e-9))


def _attributes(profile: pd.Series, overall: pd.Series, scale: pd.Series, n: int) -> tuple:
    """Numeric attributes with the overall mean (a yes/no one as the share of yes); text attributes with their
    most common value and distribution."""
    columns = [c for c in profile.index if feature_group(c) == "profile"]
    numeric = []
    for c in columns:
        if "=" in c or pd.isna(profile[c]):
            continue
        share = _is_yes_no(overall[c], scale.get(c, np.nan), n)
        shown = (lambda v: format_percent(v, decimals=0)) if share else format_significant
        numeric.append(Attribute(feature_label(c), shown(profile[c]), shown(overall[c])))
    shares = profile[[c for c in columns if "=" in c]].dropna()
    texts = []
    for attribute, values in shares.groupby(shares.index.str.split("=").str[0], sort=False):  # one per attribute
        values = values.sort_values(ascending=False, kind="stable")
        categories = [category_label(c.split("=", 1)[1]) for c in values.index]
        top = f"{categories[0]} ({format_percent(values.iloc[0], decimals=0)})"
        texts.append(Attribute(feature_label(attribute), top,
                               distribution=tuple((c, float(v)) for c, v in zip(categories, values) if v > 0)))
    return tuple(numeric + texts)


def _channels(profile: pd.Series) -> tuple:
    shares = profile[[c for c in profile.index if feature_group(c) == "channels"]].dropna()
    shares = shares[shares >= CARD_CHANNEL].sort_values(ascending=False, kind="stable")
    return tuple((code_label(c, prefix="share_"), float(v)) for c, v in shares.items())


def _goals(profile: pd.Series, overall: pd.Series, traits: pd.Series) -> tuple[tuple, tuple, str | None]:
    """Goals, frustrations and what the card could not tell, from the persona's own ratings, channels and stages.

    Only what the persona uses counts: a channel's rating (``rating_app``)
    when at least :data:`CARD_CHANNEL` of their events are in that channel,
    an aspect rated by the surveys (delivery, price: no channel of that name,
    or no events at all) always. Goals are the two they rate highest and the
    outcome stages far more of them reach (by :data:`FEWER_REACH` SD);
    frustrations the (other) two they rate furthest below the other customers
    (by at least :data:`~cxresearch.cards.SMALL_EFFECT` SD) or under 3 / 5,
    and the outcome stages far fewer of them reach.
    """
    ratings = profile[[c for c in profile.index if feature_group(c) == "ratings"]].dropna()
    channels = "share_" + ratings.index.str.removeprefix("rating_")
    used = ratings[[c not in profile.index or profile[c] >= CARD_CHANNEL for c in channels]]
    if ratings.empty:
        note = _("Goals and frustrations from ratings need survey columns that rate touchpoints (rating_<touchpoint>, "
                 "1-5): this export has none.")
    elif used.empty:
        note = _("Goals and frustrations from ratings: they use none of the channels the surveys rate (%(rated)s).") % {
            "rated": format_list(code_label(c, prefix="rating_") for c in ratings.index)}
    else:
        note = None

    def line(column: str) -> str:
        if column not in used.index:   # a sentence already
            return column
        rated = _("%(touchpoint)s: %(rating)s / 5 (all customers: %(overall)s)") % {
            "touchpoint": feature_label(column), "rating": format_number(used[column], decimals=1),
            "overall": format_number(overall[column], decimals=1)}
        channel = "share_" + column.removeprefix("rating_")
        return rated if channel not in profile.index else _("%(rating)s, %(share)s of their events") % {
            "rating": rated, "share": format_percent(profile[channel], decimals=0)}

    relative = traits.reindex(used.index).fillna(0.0)
    liked = used[(relative > -SMALL_EFFECT) & (used >= 3)]
    best = list(liked.sort_values(ascending=False, kind="stable").index[:2])
    worst = [c for c in relative.sort_values(kind="stable").index
             if c not in best and (relative[c] <= -SMALL_EFFECT or used[c] < 3)][:2]
    stages = traits[[c for c in traits.index if feature_group(c) == "journey"
                     and name_part(c.removeprefix("reached_")) in OUTCOME_STAGES]].dropna().sort_values(kind="stable")

    def reach(template: str, columns) -> list[str]:
        return [template % {"stage": code_label(c, prefix="reached_", stage=True),
                            "share": format_percent(profile[c], decimals=0),
                            "overall": format_percent(overall[c], decimals=0)} for c in columns[:2]]

    fewer = reach(_("fewer reach %(stage)s: %(share)s of them (all customers: %(overall)s)"),
                  stages.index[stages <= -FEWER_REACH])
    more = reach(_("more reach %(stage)s: %(share)s of them (all customers: %(overall)s)"),
                 stages.index[::-1][stages[::-1] >= FEWER_REACH])
    if not (used.empty or best or more):
        best = [_("none: they rate every touchpoint they use below the other customers or under 3 / 5")]
    if not (used.empty or worst or fewer):
        worst = [_("none: they rate every touchpoint they use at least as well as the other customers")]
    return tuple(map(line, best)) + tuple(more), tuple(map(line, worst)) + tuple(fewer), note


def _kpis(info: pd.Series) -> tuple:
    return tuple(Kpi(_(label), float(info[metric]), float(info[f"{metric}_low"]), float(info[f"{metric}_high"]),
                     int(info[f"{metric}_n"]), metric)
                 for metric, label in _KPIS
                 if metric in info and pd.notna(info[metric]) and info[f"{metric}_n"] > 0)


#: How a persona's outcome rate compares with the other customers' (Holm-adjusted across the personas).
_DIFFERS = {"higher": N_("%(outcome)s: higher than the other customers"),
            "lower": N_("%(outcome)s: lower than the other customers"),
            "within noise": N_("%(outcome)s: as the other customers, within noise")}


def _outcome(info: pd.Series, column: str | None) -> tuple:
    """The share of the persona with the customers' yes/no outcome, as a KPI whose label says whether it differs
    from the other customers' (none without an outcome, or for a persona too small to have a rate)."""
    if column is None or pd.isna(info.get("outcome_rate", np.nan)):
        return ()
    label = _(_DIFFERS[info["outcome_differs"]]) % {"outcome": outcome_label(column).capitalize()}
    return (Kpi(label, float(info["outcome_rate"]), float(info["outcome_rate_low"]),
                float(info["outcome_rate_high"]), int(info["outcome_n"]), "outcome_rate"),)


def _quotes(quotes, persona_id) -> tuple:
    """The persona's quotes, redacted; a mixed persona's carry their tone ("positive", "negative")."""
    if quotes is None:
        return ()
    if isinstance(quotes, pd.Series):
        mine = [(quotes.loc[persona_id], "")] if persona_id in quotes.index else []
    else:
        mine = quotes.loc[quotes["persona"] == persona_id, ["quote", "label"]].itertuples(index=False)
    return tuple(Quote(redact_pii(str(text)), str(label)) for text, label in mine)

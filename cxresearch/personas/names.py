"""Readable, unique persona names built from each persona's strongest traits, in the language of the pages.

A name is put together from translated pieces: a noun ("customers",
"buyers", "browsers"), up to four adjectives from the lexicon below, the
persona's channel and, when these say too little, its strongest other traits.
The order and the joining words are messages of the catalog too, so a name
reads as the language writes it: "App-first frequent young buyers" in
English, "Acquirenti frequenti e giovani via app" in Italian. Every noun is
plural and every Italian word was chosen to fit men and women alike
("clienti", "giovani", "sopra la media").
"""
from __future__ import annotations

import re

import pandas as pd

from ..cards import SMALL_EFFECT
from ..columns import code_label
from ..features import feature_group
from ..i18n import _, format_list, format_number, pgettext
from .profiles import category_label, distinct, feature_label
from .space import MISSING

#: Smallest |standardised mean difference| that makes a trait part of a name (a medium effect).
NAME_EFFECT = 0.5
#: Traits a persona is described by (the personas table, the card, the name's own traits).
SHOWN_TRAITS = 5


def explained(weaker: float, stronger: float, correlation: float) -> bool:
    """True when a stronger trait leaves a weaker one nothing to say: what the persona's difference on the weaker
    variable is beyond what the stronger one predicts is under :data:`~cxresearch.cards.SMALL_EFFECT`.

    With standardised differences, a linear prediction of the weaker
    variable from the stronger one moves the persona by ``r * stronger`` SD
    (the regression slope in SD units is the correlation *r*): "no phone
    service" (+3.4 SD) with r = -0.48 predicts -1.6 SD of long distance
    charges, so "below-average long distance charges" (-1.6 SD) adds nothing;
    business class (+1.3 SD) beside satisfaction (+1.6 SD, r = 0.5) does.

    Examples
    --------
    >>> explained(-1.6, 3.4, -0.48), explained(1.3, 1.6, 0.5), explained(-1.6, 3.4, 0.48)
    (True, False, False)
    """
    return abs(weaker - correlation * stronger) < SMALL_EFFECT


def telling_traits(traits: pd.Series, similar: pd.DataFrame | None = None, *, top: int = SHOWN_TRAITS) -> list[str]:
    """The columns of a persona's *top* strongest traits that each say something new, strongest first.

    A trait is left out when it is under :data:`~cxresearch.cards.SMALL_EFFECT`, another category of an
    attribute already listed, nearly the same variable as a stronger one (:func:`~.profiles.distinct`) or
    explained by a stronger one listed (:func:`explained`); *similar* holds the correlations between the
    columns (:func:`~.profiles.correlations`).
    """
    traits = traits.dropna()
    strongest = traits[traits.abs() >= SMALL_EFFECT].abs().sort_values(ascending=False, kind="stable").index
    chosen = []
    for column in distinct(strongest, similar):
        if similar is None or column not in similar.index or not any(
                explained(traits[column], traits[kept], similar.at[kept, column])
                for kept in chosen if kept in similar.index):
            chosen.append(column)
        if len(chosen) == top:
            break
    return chosen


def _lexicon() -> tuple[tuple[str, str, str | None], ...]:
    """(feature pattern, adjective when the persona is above the rest, when below), in the language in force.

    Name pieces are translated in the context "persona name", apart from the same English words elsewhere
    (a "new" persona of the run's continuity is "nuova"; "new" customers in a name are "nuovi").
    """
    return (
        (r"frequency|n_sessions|n_events", pgettext("persona name", "frequent"),
         pgettext("persona name", "occasional")),
        (r"spend|avg_order_value", pgettext("persona name", "big-spending"), pgettext("persona name", "budget")),
        (r"nps|csat|review_rating|review_sentiment|satisfied|satisfaction", pgettext("persona name", "delighted"),
         pgettext("persona name", "disappointed")),
        (r"ces", pgettext("persona name", "effortless"), pgettext("persona name", "struggling")),
        (r"age", pgettext("persona name", "senior"), pgettext("persona name", "young")),
        (r"recency_days", pgettext("persona name", "lapsing"), pgettext("persona name", "recently active")),
        (r"tenure_days|tenure(_in)?_months?|days_since_signup", pgettext("persona name", "long-time"), pgettext("persona name", "new")),
        (r"service_contacts", pgettext("persona name", "support-seeking"), pgettext("persona name", "self-reliant")),
        (r"n_channels|cross_channel_sessions", pgettext("persona name", "omnichannel"),
         pgettext("persona name", "single-channel")),
        (r"n_reviews", pgettext("persona name", "vocal"), None),
    )


def _noun(purchases: float) -> str:
    """What a persona is called by its purchases: buyers above the rest, browsers below, else customers."""
    if purchases >= NAME_EFFECT:
        return pgettext("persona name", "buyers")
    return pgettext("persona name", "browsers") if purchases <= -NAME_EFFECT else pgettext("persona name", "customers")


def _words(traits: pd.Series) -> tuple[list[str], list[str]]:
    """Adjectives for the persona's strong traits, strongest first, and the columns they come from.

    One adjective per family of the lexicon: the strongest trait of a family names it, so a persona
    delighted by NPS and disappointed by its review stars is "delighted", never "disappointed delighted".
    """
    lexicon = _lexicon()
    words, columns, families = [], [], set()
    for column in traits.abs().sort_values(ascending=False, kind="stable").index:
        effect = traits[column]
        if abs(effect) < NAME_EFFECT:
            break
        family = next((i for i, (pattern, _high, _low) in enumerate(lexicon) if re.fullmatch(pattern, str(column))),
                      None)
        word = None if family is None else lexicon[family][1 if effect > 0 else 2]
        if word and family not in families:
            words.append(word)
            columns.append(column)
            families.add(family)
    return words, columns


def _adjectives(words: list[str]) -> str:
    """Adjectives joined as the language joins them ("frequent young"; "frequenti e giovani")."""
    joined = words[0] if words else ""
    for position, word in enumerate(words[1:], start=2):
        if position < len(words):
            # TRANSLATORS: joins a persona name's adjectives (not the last one); Italian puts a comma.
            joined = _("%(adjectives)s %(adjective)s") % {"adjectives": joined, "adjective": word}
        else:
            # TRANSLATORS: joins the last adjective of a persona name; Italian puts "e".
            joined = _("%(adjectives)s %(last)s") % {"adjectives": joined, "last": word}
    return joined


def trait_words(column: str, effect: float) -> str:
    """A trait as a manager says it, against the other customers: "below-average tenure in months", "more often
    Month-to-Month contract", "reach delivery less often", "rate seat comfort lower", "use email more"."""
    if "=" in column:
        known = _known(column, effect)
        if known:
            return known
        has = _has(column, effect)
        if has is not None:   # "more often without internet service", never "more often no internet service"
            template = _("more often with %(attribute)s") if has else _("more often without %(attribute)s")
            return template % {"attribute": feature_label(column.partition("=")[0])}
        words, more = _category_words(column, effect)
        return (_("more often %(trait)s") if more else _("less often %(trait)s")) % {"trait": words}
    if feature_group(column) == "channels":
        template = _("use %(channel)s more") if effect > 0 else _("use %(channel)s less")
        return template % {"channel": code_label(column, prefix="share_")}
    return _clause([column], effect) or _level(column, effect)


def traits_in_words(traits: pd.Series, columns: list[str]) -> str:
    """The traits *columns* of a persona in words (:func:`trait_words`), or the sentence saying it has none."""
    if not columns:
        return _("none: every trait within %(effect)s SD of the other customers") % {
            "effect": format_number(SMALL_EFFECT, decimals=1)}
    return ", ".join(trait_words(column, traits[column]) for column in columns)


def _level(column: str, effect: float) -> str:
    """A number's trait: "above-average spend", "below-average installments"."""
    template = _("above-average %(feature)s") if effect > 0 else _("below-average %(feature)s")
    return template % {"feature": feature_label(column)}


def _clause_prefix(column: str) -> str | None:
    """The prefix of a trait said as a clause (journey reach, touchpoint rating), else None."""
    return next((p for p in ("reached_", "rating_") if column.startswith(p)), None)


def _clause(columns: list[str], effect: float, *, name: bool = False) -> str:
    """Reach or rating traits of one kind and direction as one clause ("reach delivery less often", in a name
    "reaching delivery less often"; "rate seat comfort and cleanliness lower"), else ""."""
    prefix = _clause_prefix(columns[0])
    if prefix is None:
        return ""
    more = effect > 0
    if prefix == "reached_" and name:
        template = (pgettext("persona name", "reaching %(name)s more often") if more
                    else pgettext("persona name", "reaching %(name)s less often"))
    elif prefix == "reached_":
        template = _("reach %(name)s more often") if more else _("reach %(name)s less often")
    elif name:
        template = (pgettext("persona name", "rating %(name)s higher") if more
                    else pgettext("persona name", "rating %(name)s lower"))
    else:
        template = _("rate %(name)s higher") if more else _("rate %(name)s lower")
    return template % {"name": format_list([code_label(c, prefix=prefix, stage=prefix == "reached_")
                                            for c in columns])}


def _traits_phrase(traits: list[tuple[str, float]], clauses: tuple[str, ...] = ()) -> str:
    """"with boleto payment type and below-average installments", then *clauses* and the reach and rating
    traits, those of one kind and direction in one clause ("rating seat comfort and cleanliness lower"), for
    (column, effect) pairs; "" when there is none."""
    with_words, grouped = [], {}
    for column, effect in traits:
        prefix = _clause_prefix(column)
        if prefix:
            grouped.setdefault((prefix, effect > 0), []).append(column)
        else:
            with_words.append(_category_words(column, effect)[0] if "=" in column else _level(column, effect))
    said = [_("with %(traits)s") % {"traits": format_list(with_words)}] if with_words else []
    said += [*clauses, *(_clause(columns, 1.0 if more else -1.0, name=True)
                         for (_prefix, more), columns in grouped.items())]
    return format_list(said)


def _category_words(column: str, effect: float = 1.0) -> tuple[str, bool]:
    """A category trait in words and whether the persona has it more often than the rest.

    A yes/no attribute reads as having it or not ("no internet service", "phone service"; fewer customers
    without a service is more of them with it), any other as its category and attribute ("premium plan",
    "debit card payment type"), or the category alone when it names the attribute already ("Personal Travel").
    """
    attribute = feature_label(column.partition("=")[0])
    has = _has(column, effect)
    if has is not None:
        return (attribute if has else _("no %(attribute)s") % {"attribute": attribute}), True
    category = category_label(column.partition("=")[2]).replace("_", " ")
    if set(re.findall(r"\w{4,}", category.lower())) & set(re.findall(r"\w{4,}", attribute.lower())):
        return category, effect > 0   # "Personal Travel", not "Personal Travel type of travel"
    # TRANSLATORS: a category trait in a persona name, e.g. "premium plan", "Month-to-Month contract";
    # Italian puts the attribute first: "piano premium".
    return _("%(category)s %(attribute)s") % {"category": category, "attribute": attribute}, effect > 0


#: Categories that answer a yes/no attribute (a trait "internet service=No" reads "no internet service").
_YES, _NO = frozenset({"yes", "true"}), frozenset({"no", "false"})


def _has(column: str, effect: float) -> bool | None:
    """For a yes/no attribute's trait, whether the persona has the attribute more often than the rest (fewer
    customers without a service is more of them with it); None for any other trait."""
    answer = column.partition("=")[2].strip().lower()
    return (answer in _YES) == (effect > 0) if answer in _YES | _NO else None


def _known(column: str, effect: float) -> str | None:
    """A "not given" category's trait as the attribute known more or less often ("more often with age known"),
    never "less often not given age"; None for any other trait."""
    if column.partition("=")[2] != MISSING:
        return None
    template = _("more often with %(attribute)s known") if effect < 0 else _("more often with %(attribute)s not given")
    return template % {"attribute": feature_label(column.partition("=")[0])}


def _compose(channel: tuple[str, str] | None, adjectives: list[str], noun: str, traits: list) -> str:
    """One persona name from its parts, in the order and with the words of the language in force.

    A channel the persona uses most gives "<channel>-first"; one it uses more than the rest but not most
    reads as such ("... using email more than the rest"), never "email-heavy" for a persona on the web.
    """
    first = channel is not None and channel[1] == "first"
    prefix = _("%(channel)s-first") % {"channel": channel[0]} if first else ""
    clauses = (pgettext("persona name", "using %(channel)s more than the rest") % {"channel": channel[0]},) if (
        channel is not None and not first) else ()
    # TRANSLATORS: the order of a persona name's parts, any of which may be empty; e.g. "App-first frequent young
    # buyers with high spend". Italian: "%(noun)s %(adjectives)s %(channel)s %(traits)s".
    name = _("%(channel)s %(adjectives)s %(noun)s %(traits)s") % {
        "channel": prefix, "adjectives": _adjectives(adjectives), "noun": noun,
        "traits": _traits_phrase(traits, clauses)}
    name = " ".join(name.split())
    return name[0].upper() + name[1:]


def name_personas(traits: pd.DataFrame, profiles: pd.DataFrame, suppressed: pd.Series,
                  similar: pd.DataFrame | None = None) -> pd.Series:
    """Readable unique names such as "App-first frequent young buyers", from each persona's traits.

    Only a persona's telling traits (:func:`telling_traits`, the ones its
    table row and card show) name it. The most distinctive channel gives
    "<channel>-first" when it is also the persona's most used channel, else
    "using <channel> more than the rest"; up to two adjectives come from the
    strongest traits in the lexicon; the noun is "buyers" or "browsers" by
    purchases. When these say fewer than two things, the strongest other
    traits are added ("with above-average monthly charge and Month-to-Month
    contract"), so a name rests on at least two traits where the persona has
    two of at least :data:`NAME_EFFECT`. Personas whose names would still be
    alike get their strongest trait outside the lexicon ("... with approved
    outcome"); a number is the last resort. Names are written in the
    language in force (:mod:`cxresearch.i18n`).
    """
    channels = [c for c in traits.columns if feature_group(c) == "channels"]
    parts, extra = {}, {}
    for pid, row in traits.iterrows():  # one row per persona, not per customer
        row = row[telling_traits(row, similar)]
        channel = None
        used = row.reindex(channels).dropna()
        if len(used) and used.max() >= NAME_EFFECT:
            strongest = used.idxmax()
            kind = "first" if profiles.loc[pid, channels].idxmax() == strongest else "heavy"
            channel = (code_label(strongest, prefix="share_"), kind)
        purchases = row.get("n_purchases", 0.0)
        adjectives, said = _words(row)
        described = (channel is not None) + len(adjectives[:2]) + (abs(purchases) >= NAME_EFFECT)
        phrase = _other_traits(row, 2 - described, similar, said=said[:2]) if described < 2 else []
        mainstream = [] if channel or phrase else [pgettext("persona name", "mainstream")]
        parts[pid] = (channel, adjectives or mainstream, _noun(purchases), phrase)
        extra[pid] = phrase or _other_traits(row, 1, similar, said=said[:4])

    def compose(pid, n_words, phrase=None):
        channel, adjectives, noun, own = parts[pid]
        return _compose(channel, adjectives[:n_words], noun, own if phrase is None else phrase)

    def alike(names: pd.Series) -> pd.Series:
        """Names that say the same words as another one, in any order ("senior big-spending", "big-spending senior")."""
        return names.map(lambda name: " ".join(sorted(name.lower().replace(",", " ").split()))).duplicated(keep=False)

    names = pd.Series({pid: compose(pid, 2) for pid in parts})
    for n_words in (3, 4):
        clash = alike(names)
        names[clash] = [compose(pid, n_words) for pid in names.index[clash]]
    clash = alike(names)  # still alike: say their strongest trait outside the lexicon
    names[clash] = [compose(pid, 4, extra[pid]) for pid in names.index[clash]]
    names[suppressed.to_numpy()] = _("Small group")
    return deduplicate(names)


def _other_traits(traits: pd.Series, count: int, similar: pd.DataFrame | None, *, said=()) -> list[tuple[str, float]]:
    """The *count* strongest traits outside the lexicon and the channels that reach :data:`NAME_EFFECT`, as
    (column, effect), one per attribute, none redundant with a stronger one or with the columns *said* by the
    name's adjectives (:func:`~.profiles.distinct`); a category the persona has less often than the rest never
    names it; [] when there is none."""
    covered = "|".join(pattern for pattern, _high, _low in _lexicon())
    others = traits[[c for c in traits.index if not re.fullmatch(covered, str(c))
                     and feature_group(c) != "channels" and not (traits[c] < 0 and "=" in str(c)
                                                                 and not _category_words(str(c), traits[c])[1])]]
    strongest = others[others.abs() >= NAME_EFFECT].abs().sort_values(ascending=False, kind="stable").index
    return [(str(column), float(others[column])) for column in distinct(strongest, similar, kept=said)[:count]]


def deduplicate(names: pd.Series) -> pd.Series:
    """Number repeated names ("Small group", "Small group 2", ...), first occurrence unchanged."""
    repeat = names.groupby(names).cumcount()
    return names.where(repeat == 0, names + " " + (repeat + 1).astype(str))

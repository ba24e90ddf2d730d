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

from ..columns import code_label
from ..features import feature_group
from ..i18n import _, format_list, pgettext
from .profiles import category_label, distinct, feature_label

#: Smallest |standardised mean difference| that makes a trait part of a name (a medium effect).
NAME_EFFECT = 0.5

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


def _traits_phrase(traits: list[tuple[str, float]]) -> str:
    """"with high <feature> and <attribute> <category>" for (column, effect) pairs; "" when there is none."""
    if not traits:
        return ""
    words = [_category_words(column) if "=" in column
             else (_("high %(feature)s") if effect > 0 else _("low %(feature)s")) % {"feature": feature_label(column)}
             for column, effect in traits]
    return _("with %(traits)s") % {"traits": format_list(words)}


def _category_words(column: str) -> str:
    """A category trait in words: a yes/no attribute as having it or not ("no internet service", "phone
    service"), any other as its category and attribute ("premium plan", "Month-to-Month contract"), or the
    category alone when it names the attribute already ("Personal Travel", "Loyal Customer")."""
    attribute = feature_label(column.partition("=")[0])
    answer = column.partition("=")[2].strip().lower()
    if answer in _NO:
        return _("no %(attribute)s") % {"attribute": attribute}
    if answer in _YES:
        return attribute
    category = category_label(column.partition("=")[2])
    if set(re.findall(r"\w{4,}", category.lower())) & set(re.findall(r"\w{4,}", attribute.lower())):
        return category   # "Personal Travel", not "Personal Travel type of travel"
    # TRANSLATORS: a category trait in a persona name, e.g. "premium plan", "Month-to-Month contract";
    # Italian puts the attribute first: "piano premium".
    return _("%(category)s %(attribute)s") % {"category": category, "attribute": attribute}


#: Categories that answer a yes/no attribute (a trait "internet service=No" reads "no internet service").
_YES, _NO = frozenset({"yes", "true"}), frozenset({"no", "false"})


def _compose(channel: tuple[str, str] | None, adjectives: list[str], noun: str, traits: list) -> str:
    """One persona name from its parts, in the order and with the words of the language in force."""
    prefix = "" if channel is None else (
        _("%(channel)s-first") if channel[1] == "first" else _("%(channel)s-heavy")) % {"channel": channel[0]}
    # TRANSLATORS: the order of a persona name's parts, any of which may be empty; e.g. "App-first frequent young
    # buyers with high spend". Italian: "%(noun)s %(adjectives)s %(channel)s %(traits)s".
    name = _("%(channel)s %(adjectives)s %(noun)s %(traits)s") % {
        "channel": prefix, "adjectives": _adjectives(adjectives), "noun": noun, "traits": _traits_phrase(traits)}
    name = " ".join(name.split())
    return name[0].upper() + name[1:]


def name_personas(traits: pd.DataFrame, profiles: pd.DataFrame, suppressed: pd.Series,
                  similar: pd.DataFrame | None = None) -> pd.Series:
    """Readable unique names such as "App-first frequent young buyers", from each persona's traits.

    The most distinctive channel gives "<channel>-first" when it is also the
    persona's most used channel, else "<channel>-heavy"; up to two adjectives
    come from the strongest traits in the lexicon; the noun is "buyers" or
    "browsers" by purchases. When these say fewer than two things, the
    strongest other traits are added ("with high monthly charge and
    Month-to-Month contract"), so a name rests on at least two traits where the
    persona has two of at least :data:`NAME_EFFECT`. Personas whose names
    would still be alike get their strongest trait outside the lexicon
    ("... with approved outcome"); a number is the last resort. Names are
    written in the language in force (:mod:`cxresearch.i18n`).
    """
    channels = [c for c in traits.columns if feature_group(c) == "channels"]
    parts, extra = {}, {}
    for pid, row in traits.iterrows():  # one row per persona, not per customer
        row = row.dropna()
        channel = None
        if channels and row.reindex(channels).max() >= NAME_EFFECT:
            strongest = row.reindex(channels).idxmax()
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
    name's adjectives (:func:`~.profiles.distinct`); [] when there is none."""
    covered = "|".join(pattern for pattern, _high, _low in _lexicon())
    others = traits[[c for c in traits.index if not re.fullmatch(covered, str(c))
                     and feature_group(c) != "channels" and not (traits[c] < 0 and "=" in str(c))]]
    strongest = others[others.abs() >= NAME_EFFECT].abs().sort_values(ascending=False, kind="stable").index
    return [(str(column), float(others[column])) for column in distinct(strongest, similar, kept=said)[:count]]


def deduplicate(names: pd.Series) -> pd.Series:
    """Number repeated names ("Small group", "Small group 2", ...), first occurrence unchanged."""
    repeat = names.groupby(names).cumcount()
    return names.where(repeat == 0, names + " " + (repeat + 1).astype(str))

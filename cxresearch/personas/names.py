"""Readable, unique persona names built from each persona's strongest traits."""
from __future__ import annotations

import re

import pandas as pd

from ..features import feature_group
from .profiles import distinct, feature_label

#: Smallest |standardised mean difference| that makes a trait part of a name (a medium effect).
NAME_EFFECT = 0.5

_WORDS = (  # feature pattern, word when the persona is above the rest, word when below
    (r"frequency|n_sessions|n_events", "frequent", "occasional"),
    (r"spend|avg_order_value", "big-spending", "budget"),
    (r"nps|csat|review_rating|review_sentiment|satisfied|satisfaction", "delighted", "disappointed"),
    (r"ces", "effortless", "struggling"),
    (r"age", "senior", "young"),
    (r"recency_days", "lapsing", "recently active"),
    (r"tenure_days|days_since_signup", "long-time", "new"),
    (r"service_contacts", "support-seeking", "self-reliant"),
    (r"n_channels|cross_channel_sessions", "omnichannel", "single-channel"),
    (r"n_reviews", "vocal", None),
)


def _words(traits: pd.Series) -> tuple[list[str], list[str]]:
    """Adjectives for the persona's strong traits, strongest first, each once, and the columns they come from."""
    words, columns = [], []
    for column in traits.abs().sort_values(ascending=False, kind="stable").index:
        effect = traits[column]
        if abs(effect) < NAME_EFFECT:
            break
        word = next(((high if effect > 0 else low) for pattern, high, low in _WORDS
                     if re.fullmatch(pattern, str(column))), None)
        if word and word not in words:
            words.append(word)
            columns.append(column)
    return words, columns


def name_personas(traits: pd.DataFrame, profiles: pd.DataFrame, suppressed: pd.Series,
                  similar: pd.DataFrame | None = None) -> pd.Series:
    """Readable unique names such as "App-first frequent young buyers", from each persona's traits.

    The most distinctive channel gives "<channel>-first" when it is also the
    persona's most used channel, else "<channel>-heavy"; up to two adjectives
    come from the strongest traits in the lexicon; the noun is "buyers" or
    "browsers" by purchases. When these say fewer than two things, the
    strongest other traits are added ("with high monthly charge and contract
    Month-to-Month"), so a name rests on at least two traits where the
    persona has two of at least :data:`NAME_EFFECT`. Personas whose names
    would still be alike get their strongest trait outside the lexicon
    ("... with outcome approved"); a number is the last resort.
    """
    channels = [c for c in traits.columns if feature_group(c) == "channels"]
    parts, extra = {}, {}
    for pid, row in traits.iterrows():  # one row per persona, not per customer
        row = row.dropna()
        prefix = []
        if channels and row.reindex(channels).max() >= NAME_EFFECT:
            channel = row.reindex(channels).idxmax()
            kind = "first" if profiles.loc[pid, channels].idxmax() == channel else "heavy"
            prefix = [f"{channel.removeprefix('share_').replace('_', ' ')}-{kind}"]
        purchases = row.get("n_purchases", 0.0)
        noun = "buyers" if purchases >= NAME_EFFECT else "browsers" if purchases <= -NAME_EFFECT else "customers"
        adjectives, said = _words(row)
        described = len(prefix) + len(adjectives[:2]) + (noun != "customers")
        phrase = _other_traits(row, 2 - described, similar, said=said[:2]) if described < 2 else []
        parts[pid] = (prefix, adjectives or ([] if prefix or phrase else ["mainstream"]), noun, phrase)
        extra[pid] = phrase or _other_traits(row, 1, similar, said=said[:4])

    def compose(pid, n_words, phrase=None):
        prefix, adjectives, noun, own = parts[pid]
        name = " ".join([*prefix, *adjectives[:n_words], noun, *(own if phrase is None else phrase)])
        return name[0].upper() + name[1:]

    names = pd.Series({pid: compose(pid, 2) for pid in parts})
    for n_words in (3, 4):
        clash = names.duplicated(keep=False)
        names[clash] = [compose(pid, n_words) for pid in names.index[clash]]
    clash = names.duplicated(keep=False)  # still alike: say their strongest trait outside the lexicon
    names[clash] = [compose(pid, 4, extra[pid]) for pid in names.index[clash]]
    names[suppressed.to_numpy()] = "Small group"
    return deduplicate(names)


def _other_traits(traits: pd.Series, count: int, similar: pd.DataFrame | None, *, said=()) -> list[str]:
    """["with high <feature> and <attribute> <category>"]: the *count* strongest traits outside the lexicon
    and the channels that reach :data:`NAME_EFFECT`, one per attribute, none redundant with a stronger one or with
    the columns *said* by the name's adjectives (:func:`~.profiles.distinct`); [] when there is none."""
    covered = "|".join(pattern for pattern, _, _ in _WORDS)
    others = traits[[c for c in traits.index if not re.fullmatch(covered, str(c))
                     and feature_group(c) != "channels" and not (traits[c] < 0 and "=" in str(c))]]
    strongest = others[others.abs() >= NAME_EFFECT].abs().sort_values(ascending=False, kind="stable").index
    picked = distinct(strongest, similar, kept=said)[:count]
    words = [feature_label(c).replace(":", "") if "=" in c else f"{'high' if others[c] > 0 else 'low'} {feature_label(c)}"
             for c in picked]
    return [f"with {' and '.join(words)}"] if words else []


def deduplicate(names: pd.Series) -> pd.Series:
    """Number repeated names ("Small group", "Small group 2", ...), first occurrence unchanged."""
    repeat = names.groupby(names).cumcount()
    return names.where(repeat == 0, names + " " + (repeat + 1).astype(str))


"""Review and comment texts of the demo data, composed from phrase banks.

The banks (phrases per language, topic and polarity; openers and closers per
sentiment; the sentences that plant an email or phone number; fake names) live
in ``resources/demo_phrases.yml``.
"""
from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
import yaml

from .synthetic_model import LANGUAGES, TOPICS

_SENTIMENTS = ("negative", "neutral", "positive")
_BANKS = yaml.safe_load((resources.files(__package__) / "resources" / "demo_phrases.yml").read_text(encoding="utf-8"))

#: PHRASES[language][topic] = (positive variants, negative variants).
PHRASES = {language: {topic: (tuple(variants["positive"]), tuple(variants["negative"]))
                      for topic, variants in topics.items()}
           for language, topics in _BANKS["phrases"].items()}
#: OPENERS / CLOSERS[language] = (negative, neutral, positive) variants ("" = none).
OPENERS = {language: tuple(tuple(variants[s]) for s in _SENTIMENTS) for language, variants in _BANKS["openers"].items()}
CLOSERS = {language: tuple(tuple(variants[s]) for s in _SENTIMENTS) for language, variants in _BANKS["closers"].items()}
#: Sentences giving the customer's (email, phone) in a few comments.
PII_SENTENCES = {language: (s["email"], s["phone"]) for language, s in _BANKS["pii_sentences"].items()}
#: Fake first and last names, one tuple per language of :data:`LANGUAGES`.
FIRST_NAMES = tuple(tuple(_BANKS["first_names"][language]) for language in LANGUAGES)
LAST_NAMES = tuple(tuple(_BANKS["last_names"][language]) for language in LANGUAGES)


def _ragged(rows):
    """Pad variant lists with "" into an object array; also return how many variants each cell has."""
    width = max(len(r) for r in rows)
    return (np.array([list(r) + [""] * (width - len(r)) for r in rows], dtype=object),
            np.array([len(r) for r in rows]))


_PHRASE = np.array([[PHRASES[lang][topic] for topic in TOPICS] for lang in LANGUAGES], dtype=object)
_OPENER, _OPENER_N = _ragged([v for lang in LANGUAGES for v in OPENERS[lang]])
_CLOSER, _CLOSER_N = _ragged([v for lang in LANGUAGES for v in CLOSERS[lang]])


def compose(rng, language, sentiment, topic, *, mixed):
    """Texts in *language* (0 en, 1 it) agreeing with *sentiment* (0 negative, 1 neutral, 2 positive).

    Opener + a phrase about *topic* (+ for *mixed* texts a phrase of the opposite
    polarity about another topic) + closer, each drawn from the phrase banks.
    """
    m = len(language)
    polarity = np.select([sentiment == 2, sentiment == 0], [0, 1], rng.integers(0, 2, m))
    other = (topic + rng.integers(1, len(TOPICS), m)) % len(TOPICS)
    cell = language * 3 + sentiment
    parts = [
        _OPENER[cell, (rng.random(m) * _OPENER_N[cell]).astype(int)],
        _PHRASE[language, topic, polarity, rng.integers(0, 3, m)],
        np.where(mixed, _PHRASE[language, other, 1 - polarity, rng.integers(0, 3, m)], ""),
        _CLOSER[cell, (rng.random(m) * _CLOSER_N[cell]).astype(int)],
    ]
    text = pd.Series(parts[0], dtype=object).str.cat([pd.Series(p, dtype=object) for p in parts[1:]], sep=" ")
    return text.str.replace(r"\s+", " ", regex=True).str.strip().to_numpy(dtype=object)


def pii_sentences(rng, language, email, phone):
    """A sentence per row giving the customer's email or phone number."""
    use_phone = rng.random(len(language)) < 0.5
    prefix = np.array([PII_SENTENCES[lang] for lang in LANGUAGES], dtype=object)[language, use_phone.astype(int)]
    return prefix + " " + np.where(use_phone, phone, email) + "."

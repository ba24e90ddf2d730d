"""Representative quotes: what a persona's own customers wrote, chosen to represent the persona.

Candidates are the survey comments and review texts of the persona's members.
Each text takes its *tone* from the score its author gave with it: NPS 9-10
or CSAT 4-5 or 4-5 stars is positive, NPS 0-6 or CSAT 1-2 or 1-2 stars is
negative (the first score an answer has decides: NPS, then CSAT; an NPS of
7-8 and texts without a score have no tone). A persona's tone follows its
members' scored texts: positive when positive texts are at least twice as
many as negative ones, negative the other way round, otherwise *mixed*. A
positive or negative persona gets one quote of its tone; a mixed persona gets
one positive and one negative, labelled as such. A text is quoted for a tone
only when what it says agrees: its sentiment score
(:func:`~cxresearch.text.sentiment`) is at least :data:`AGREES` on that side
and none of its sentences leans the other way by as much; a text with no
scored word scores 0 and is never quoted as positive or negative (texts in a
language no lexicon reads keep their author's tone). Among the texts of the
wanted tone the most *typical* one is chosen: written by the member closest
to the persona's centre in the model's space. Texts
under :data:`MIN_WORDS` words are passed over, and so is any text that nearly
repeats a quote already chosen for any persona (word-set Jaccard of at least
:data:`NEAR_DUPLICATE`). Quotes are redacted with
:func:`~cxresearch.privacy.redact_pii` (customers' names known from the PII
columns were already replaced by the loader).
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from ..privacy import redact_pii
from ..text import UnscoredLanguageWarning, reading_languages, sentences, sentiment
from .model import PersonaModel

#: Shortest text worth quoting, in words.
MIN_WORDS = 4
#: Word-set Jaccard similarity from which two texts count as the same quote.
NEAR_DUPLICATE = 0.7
#: A persona is positive (negative) when its positive (negative) texts are at least this many times the others.
DOMINANT = 2.0
#: Smallest sentiment score, on the tone's side, of a text quoted for that tone (VADER's neutral band, Hutto and Gilbert 2014).
AGREES = 0.05
#: Candidates examined per persona and tone, most typical first.
CANDIDATES = 200
COLUMNS = ["persona", "quote", "tone", "label"]


def representative_quotes(model: PersonaModel, X: pd.DataFrame, ds, *, max_chars: int = 280) -> pd.DataFrame:
    """Quotes per persona: typical of the persona and agreeing with its scores (see the module docstring).

    Parameters
    ----------
    model : PersonaModel
        A fitted model.
    X : pandas.DataFrame
        The features the model was fitted on, indexed by customer_id.
    ds : CXDataset
        The dataset the features came from.
    max_chars : int
        Longer texts are cut at a word boundary and end with an ellipsis.

    Returns
    -------
    pandas.DataFrame
        One row per quote: persona, quote (redacted), tone ("positive",
        "negative" or "" when its author gave no score) and label (the tone
        when the persona is mixed and shows one quote of each, else "").
        Personas smaller than ``min_group_size`` and personas without texts
        get no row.
    """
    texts = _texts(ds)
    if texts.empty:
        return pd.DataFrame(columns=COLUMNS).astype({"persona": "int64"})
    labels = model.predict(X)
    Z = model.transform(X)
    distance = np.linalg.norm(Z - model.centroids_.loc[labels.to_numpy()].to_numpy(), axis=1)
    members = pd.DataFrame({"customer_id": X.index.astype(str), "persona": labels.to_numpy(), "distance": distance})
    shown = model.personas_.index[~model.personas_["suppressed"].astype(bool)]
    pool = (members[members["persona"].isin(shown)].merge(texts, on="customer_id")
            .sort_values(["persona", "distance", "customer_id", "text"], kind="stable"))
    wanted = {persona: _wanted_tones(candidates["tone"]) for persona, candidates in pool.groupby("persona", sort=True)}
    pool = pool[[tone in wanted[persona] for persona, tone in zip(pool["persona"], pool["tone"])]]
    pool = pool[pool.groupby(["persona", "tone"]).cumcount() < CANDIDATES]
    pool = pool[_agrees(pool["text"], pool["tone"])]
    rows, chosen_words = [], []
    for persona, tones in wanted.items():
        candidates = pool[pool["persona"] == persona]
        for tone in tones:
            for text in candidates.loc[candidates["tone"] == tone, "text"]:
                words = _words(text)
                if len(words) >= MIN_WORDS and not any(_jaccard(words, seen) >= NEAR_DUPLICATE
                                                       for seen in chosen_words):
                    chosen_words.append(words)
                    rows.append((persona, text, tone, tone if len(tones) == 2 else ""))
                    break
    quotes = pd.DataFrame(rows, columns=COLUMNS).astype({"persona": "int64"})
    return quotes.assign(quote=redact_pii(quotes["quote"]).astype(object).map(lambda t: _cut(t, max_chars)))


def _texts(ds) -> pd.DataFrame:
    """customer_id, text and tone of every non-empty survey comment and review text linked to a customer."""
    found = []
    for table, text_col, scores in ((ds.surveys, "comment", (("nps", 9, 6), ("csat", 4, 2))),
                                    (ds.reviews, "text", (("rating", 4, 2),))):
        if table is None or not {"customer_id", text_col} <= set(table.columns):
            continue
        tone = pd.Series("", index=table.index, dtype=object)
        scored = pd.Series(False, index=table.index)
        for score_col, high, low in scores:  # the first score an answer has decides its tone
            if score_col in table.columns:
                score = pd.to_numeric(table[score_col], errors="coerce").where(~scored)
                tone = tone.mask(score >= high, "positive").mask(score <= low, "negative")
                scored |= score.notna()
        found.append(pd.DataFrame({"customer_id": table["customer_id"].astype("string"),
                                   "text": table[text_col].astype("string").str.strip(), "tone": tone}))
    if not found:
        return pd.DataFrame(columns=["customer_id", "text", "tone"])
    texts = pd.concat(found, ignore_index=True).dropna(subset=["customer_id", "text"])
    return texts[texts["text"] != ""].astype({"customer_id": str, "text": str})


def _agrees(texts: pd.Series, tones: pd.Series) -> np.ndarray:
    """Whether each text says what its tone says: score at least AGREES on its side, no sentence as far the other way.

    Texts without a tone agree; texts in a language no lexicon reads (no score) keep their author's tone.
    """
    texts = texts.reset_index(drop=True)
    side = tones.map({"positive": 1.0, "negative": -1.0}).fillna(0.0).to_numpy(dtype=float)
    if not len(texts):
        return np.ones(0, dtype=bool)
    with warnings.catch_warnings():  # the voice page counts the texts no lexicon reads
        warnings.simplefilter("ignore", UnscoredLanguageWarning)
        languages = reading_languages(texts)
        whole = sentiment(texts, languages).to_numpy(dtype=float)
        parts = sentences(texts)
        by_sentence = sentiment(parts.reset_index(drop=True), languages.iloc[parts.index].reset_index(drop=True))
    against = (by_sentence.to_numpy(dtype=float) * side[parts.index]).round(12)
    contradicted = np.zeros(len(texts), dtype=bool)
    contradicted[parts.index[against <= -AGREES]] = True
    scored = ~np.isnan(whole)
    return (side == 0) | ~scored | (((whole * side).round(12) >= AGREES) & ~contradicted)


def _wanted_tones(tones: pd.Series) -> list[str]:
    """["positive"], ["negative"], both for a mixed persona, or [""] when none of its texts has a score."""
    positive, negative = int((tones == "positive").sum()), int((tones == "negative").sum())
    if positive + negative == 0:
        return [""]
    if positive >= DOMINANT * negative:
        return ["positive"]
    if negative >= DOMINANT * positive:
        return ["negative"]
    return ["positive", "negative"]


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", text.casefold()))


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def _cut(text: str, max_chars: int) -> str:
    """*text* whole when it fits, else cut at the last word boundary before *max_chars* with an ellipsis."""
    if len(text) <= max_chars:
        return text
    head = text[:max_chars - 1]
    return (head.rsplit(" ", 1)[0] if " " in head else head).rstrip(" ,;:.") + "…"

"""Language and sentiment of customer texts (English and Italian), vectorised and offline.

- :func:`detect_language` counts the words only English or only Italian uses
  (stop words and sentiment words); the few texts without such words go to
  ``langdetect`` with a fixed seed.
- :func:`sentiment` scores each text in [-1, 1] with a lexicon: VADER's English
  lexicon (shipped by ``vaderSentiment``) or the Italian lexicon shipped in
  ``cxresearch/resources``, applying VADER's rules to all texts at once on one
  array of tokens: a negation in the three preceding words flips and damps a
  word's valence, boosters ("very", "molto") strengthen it, words after "but"
  ("ma", "però") weigh 1.5 times those before it (0.5), exclamation marks add
  emphasis, and the sum ``s`` is normalised as ``s / sqrt(s**2 + 15)``.
- :func:`fit_sentiment` learns a sentiment model from a dataset's own star
  ratings (TF-IDF + logistic regression); pass it to :func:`sentiment` as
  ``model=`` to score with it instead of the lexicon.
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from .errors import DataError, ParameterError

__all__ = ["LANGUAGES", "stop_words", "tokens", "detect_language", "sentiment", "fit_sentiment"]

#: Languages the text functions support.
LANGUAGES = ("en", "it")

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")   # words, keeping English contractions ("don't")
_ITALIAN_ELISION = re.compile(r"\b(l|un|dell|all|dall|nell|sull|quest|quell|c|d|s|m|t|v)'")
_NEGATORS_IT = frozenset({"non", "mai", "nessun", "nessuno", "nessuna", "niente", "nulla", "né", "senza",
                          "neanche", "nemmeno", "neppure", "poco", "poca", "pochi", "poche"})
_BOOSTERS_IT = {"molto": 0.293, "troppo": 0.293, "davvero": 0.293, "veramente": 0.293, "super": 0.293,
                "estremamente": 0.293, "assolutamente": 0.293, "proprio": 0.293, "tanto": 0.293,
                "decisamente": 0.293, "particolarmente": 0.293, "incredibilmente": 0.293, "così": 0.293,
                "abbastanza": -0.293, "leggermente": -0.293, "quasi": -0.293, "piuttosto": -0.293}
_CONTRAST = {"en": frozenset({"but"}), "it": frozenset({"ma", "però", "tuttavia"})}
_NEGATION_SCALAR = -0.74             # VADER's N_SCALAR
_WINDOW_DAMPING = (1.0, 0.95, 0.9)   # VADER's weight of a booster 1, 2, 3 words back
_NORMALISER = 15.0                   # VADER's alpha


def _resource_lines(name: str) -> list[str]:
    text = resources.files("cxresearch").joinpath("resources", name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=None)
def stop_words(lang: str) -> frozenset[str]:
    """Stop words of *lang* (``"en"``: scikit-learn's list; ``"it"``: shipped list)."""
    _check_lang(lang)
    return frozenset(ENGLISH_STOP_WORDS) if lang == "en" else frozenset(_resource_lines("stopwords_it.txt"))


@lru_cache(maxsize=None)
def _lexicon(lang: str) -> dict[str, float]:
    """Word -> valence (-4..4); Italian adjectives also match their other genders and numbers."""
    if lang == "en":
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        return dict(SentimentIntensityAnalyzer().lexicon)
    lexicon: dict[str, float] = {}
    for line in _resource_lines("sentiment_it.tsv"):
        word, valence = line.split("\t")
        endings = {"o": "aie", "e": "i"}.get(word[-1], "")
        for form in [word] + [word[:-1] + end for end in endings]:
            lexicon.setdefault(form, float(valence))
    return lexicon


@lru_cache(maxsize=None)
def _rules(lang: str) -> tuple[frozenset[str], dict[str, float]]:
    """Negators and boosters (word -> valence increment) of *lang*."""
    if lang == "en":
        from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE
        return frozenset(NEGATE), dict(BOOSTER_DICT)
    return _NEGATORS_IT, _BOOSTERS_IT


@lru_cache(maxsize=None)
def _markers(lang: str) -> frozenset[str]:
    """Words that mark a text as *lang*: its stop and sentiment words the other language lacks."""
    other = "it" if lang == "en" else "en"
    return frozenset((stop_words(lang) | _lexicon(lang).keys()) - stop_words(other) - _lexicon(other).keys())


def _check_lang(lang) -> None:
    if lang not in LANGUAGES:
        raise ParameterError(f"lang must be one of {', '.join(map(repr, LANGUAGES))} or None; got {lang!r}.")


def _as_series(texts) -> pd.Series:
    if isinstance(texts, str):
        raise ParameterError("texts must be a list or Series of strings, not one string; wrap it in a list.")
    return pd.Series(texts, dtype="object").astype("string")


def tokens(texts: pd.Series) -> pd.Series:
    """Lower-cased words of each text, exploded: one row per word, index = text position.

    Italian elisions (``l'ordine``) are split off; English contractions (``don't``)
    stay one word. Texts without words get one missing row.
    """
    lower = _as_series(texts).reset_index(drop=True).fillna("").str.lower().str.replace("’", "'")
    return lower.str.replace(_ITALIAN_ELISION, r"\1 ", regex=True).str.findall(_WORD).explode()


def detect_language(texts) -> pd.Series:
    """English or Italian, per text: ``"en"``, ``"it"``, or missing when a text has no words.

    A text is the language of which it uses more marker words (stop words and
    sentiment words only that language has); ties (e.g. a one-word text such as
    "Perfect") are settled by ``langdetect`` with ``DetectorFactory.seed = 0``,
    restricted to English and Italian.

    Examples
    --------
    >>> detect_language(["The delivery was late", "La consegna è arrivata in ritardo", ""]).tolist()
    ['en', 'it', <NA>]
    """
    series = _as_series(texts)
    words = tokens(series)
    position = words.index.to_numpy()
    counts = {lang: np.bincount(position, weights=words.isin(_markers(lang)).to_numpy(dtype=float),
                                minlength=len(series)) for lang in LANGUAGES}
    has_words = np.bincount(position, weights=words.notna().to_numpy(dtype=float), minlength=len(series)) > 0
    result = np.where(counts["it"] > counts["en"], "it", "en").astype(object)
    tie = has_words & (counts["it"] == counts["en"])
    result[tie] = [_langdetect_en_it(text) for text in series[tie]]
    result[~has_words] = pd.NA
    return pd.Series(result, index=series.index, dtype="string")


def _langdetect_en_it(text: str) -> str:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    try:
        probabilities = {guess.lang: guess.prob for guess in detect_langs(text)}
    except LangDetectException:
        return "en"
    return "it" if probabilities.get("it", 0.0) > probabilities.get("en", 0.0) else "en"


def sentiment(texts, lang=None, *, model: Pipeline | None = None) -> pd.Series:
    """Sentiment score in [-1, 1] of each text (missing for missing or empty texts).

    Parameters
    ----------
    texts : list or Series of str
    lang : {"en", "it"}, Series of those, or None
        Language of all texts, or of each text; None detects it per text
        (:func:`detect_language`).
    model : Pipeline, optional
        A model from :func:`fit_sentiment`; when given it scores every text as
        ``2 * P(positive) - 1`` and *lang* is ignored.

    Examples
    --------
    >>> scores = sentiment(["Great service, very fast!", "Non è buono, consegna in ritardo"])
    >>> bool(scores[0] > 0.5), bool(scores[1] < -0.5)
    (True, True)
    """
    series = _as_series(texts)
    empty = series.fillna("").str.strip() == ""
    if model is not None:
        scores = 2 * model.predict_proba(series.fillna("").to_numpy(dtype=object))[:, 1] - 1
        return pd.Series(scores, index=series.index, dtype=float).mask(empty)
    languages = _languages(series, lang)
    scores = pd.Series(np.nan, index=series.index, dtype=float)
    for code in LANGUAGES:
        chosen = (languages == code).fillna(False).to_numpy(dtype=bool) & ~empty.to_numpy()
        if chosen.any():
            scores[chosen] = _lexicon_scores(series[chosen], code)
    return scores


def _languages(series: pd.Series, lang) -> pd.Series:
    if lang is None:
        return detect_language(series)
    if isinstance(lang, str):
        _check_lang(lang)
        return pd.Series(lang, index=series.index, dtype="string")
    languages = pd.Series(lang, dtype="string").set_axis(series.index)
    unknown = sorted(set(languages.dropna()) - set(LANGUAGES))
    if unknown:
        raise ParameterError(f"languages must be one of {', '.join(map(repr, LANGUAGES))}; found {unknown}.")
    return languages


def _lexicon_scores(texts: pd.Series, lang: str) -> np.ndarray:
    """VADER-style compound score of every text at once (see the module docstring)."""
    words = tokens(texts)
    doc = words.index.to_numpy()
    negators, boosters = _rules(lang)
    valence = words.map(_lexicon(lang)).fillna(0.0).to_numpy(dtype=float, copy=True)
    is_negator = words.isin(negators).to_numpy() | words.str.endswith("n't").fillna(False).to_numpy(dtype=bool)
    boost = words.map(boosters).fillna(0.0).to_numpy(dtype=float)

    sign = np.sign(valence)
    negations = np.zeros(len(words))
    for back, damping in enumerate(_WINDOW_DAMPING, start=1):
        same_doc = np.zeros(len(words), dtype=bool)
        same_doc[back:] = doc[back:] == doc[:-back]
        previous_boost = np.zeros(len(words))
        previous_boost[back:] = boost[:-back]
        previous_negator = np.zeros(len(words))
        previous_negator[back:] = is_negator[:-back]
        valence += same_doc * sign * previous_boost * damping
        negations += same_doc * previous_negator
    valence *= _NEGATION_SCALAR ** negations

    is_contrast = words.isin(_CONTRAST[lang]).to_numpy()
    contrasts_so_far = pd.Series(is_contrast).groupby(doc).cumsum().to_numpy()
    doc_has_contrast = np.bincount(doc, weights=is_contrast, minlength=len(texts))[doc] > 0
    valence *= np.where(contrasts_so_far > 0, 1.5, np.where(doc_has_contrast, 0.5, 1.0))

    total = np.bincount(doc, weights=valence, minlength=len(texts))
    exclamations = np.minimum(texts.str.count("!").fillna(0).to_numpy(dtype=float), 4)
    total += np.sign(total) * 0.292 * exclamations
    return np.clip(total / np.sqrt(total**2 + _NORMALISER), -1, 1)


def fit_sentiment(texts, ratings, *, min_df: int = 2, C: float = 4.0) -> Pipeline:
    """Learn sentiment from a dataset's own star ratings (1-5).

    Ratings of 4-5 are positive, 1-2 negative, 3 is left out. The model is a
    TF-IDF of words and word pairs (English and Italian stop words kept, since
    negations matter) feeding a class-balanced logistic regression; it is
    deterministic. Score texts with ``sentiment(texts, model=...)``.

    Raises
    ------
    DataError
        When fewer than 10 positive or 10 negative rated texts remain.
    """
    frame = pd.DataFrame({"text": _as_series(texts).to_numpy(),
                          "rating": pd.to_numeric(pd.Series(ratings), errors="coerce").to_numpy()})
    frame = frame[frame["text"].fillna("").str.strip().ne("") & frame["rating"].notna() & frame["rating"].ne(3)]
    positive = (frame["rating"] >= 4).to_numpy()
    if min(positive.sum(), (~positive).sum()) < 10:
        raise DataError(f"fit_sentiment needs at least 10 positive (4-5) and 10 negative (1-2) rated texts; "
                        f"found {int(positive.sum())} positive and {int((~positive).sum())} negative.")
    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True, max_features=100_000),
        LogisticRegression(C=C, class_weight="balanced", max_iter=2000),
    )
    return model.fit(frame["text"].to_numpy(dtype=object), positive)

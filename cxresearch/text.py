"""Language and sentiment of customer texts, vectorised and offline.

- :func:`detect_language` names the language of each text (ISO 639-1) with
  ``py3langid``, a naive Bayes identifier (deterministic), reading each text
  in the light of the collection's language mix.
- :func:`sentiment` scores each text in [-1, 1] with a lexicon:

  - English: the VADER package itself (``vaderSentiment``: caps emphasis,
    idioms, "least", emoji...), its lexicon extended by a CX domain layer;
    a text's score is the mean of VADER's score of the whole text and the
    mean score of its sentences (:func:`sentences`) that carry sentiment:
    VADER was built for sentences, and on a long review its compound score
    saturates near +-1 whatever the closing complaint says;
  - Italian: Sentix 3 (Basile & Nissim; CC BY-SA 4.0, shipped in
    ``cxresearch/resources/sentix_it.tsv``) under the project's own CX lexicon;
  - Portuguese: LeIA, VADER's lexicon adapted to Portuguese (Almeida 2018; MIT);
  - French: Pattern's adjective lexicon (De Smedt & Daelemans 2012; public
    domain, PDDL) under the CX layer.

  The CX domain layer (``resources/cx_lexicon.tsv``) makes complaint words and
  phrases negative (late, lost, on hold, refund, rude, broken... in en, it,
  pt, fr, de and es; German and Spanish have no shippable general lexicon yet,
  so they are not scored). Italian, Portuguese and French apply VADER's rules to all texts at
  once on one array of tokens, looked up as written and then as their lemma
  (``simplemma``): one negation in the three preceding words flips and damps a
  word's valence, and several count once, since these languages use negative
  concord ("Non ho nessun problema", "Je n'ai jamais eu aucun problème" are positive); boosters ("molto",
  "davvero", "-mente" intensifiers) strengthen it; other "-mente" adverbs take
  their adjective's valence; words after "ma"/"mas"/"mais" weigh 1.5 times those before
  it (0.5), exclamation marks add emphasis, and the sum ``s`` is normalised as
  ``s / sqrt(s**2 + 15)``. Texts in other languages are left out (missing) with
  an :class:`UnscoredLanguageWarning` that counts them.
- :func:`fit_sentiment` learns sentiment from a dataset's own ratings in any
  language, cross-fitted: each rated text is scored by a model that never saw
  it; texts without a rating are scored by the model fitted on all rated ones.
"""
from __future__ import annotations

import re
import typing
import unicodedata
import warnings
from dataclasses import dataclass
from functools import lru_cache, partial
from importlib import resources

import numpy as np
import pandas as pd

from .errors import DataError, ParameterError
from .i18n import _, format_count, format_list, format_number, language_name, ngettext

if typing.TYPE_CHECKING:  # scikit-learn loads in fit_sentiment: the lexicons do not need it
    from sklearn.pipeline import Pipeline

__all__ = ["LANGUAGES", "UNDETERMINED", "NEAR_DUPLICATE", "UnscoredLanguageWarning", "SentimentFit", "stop_words",
           "tokens", "sentences", "distinct", "lemmas", "fold_accents", "opinion_words", "detect_language", "reading_languages", "sentiment", "star_agreement_note",
           "fit_sentiment"]

#: Languages :func:`sentiment` scores with a lexicon.
LANGUAGES = ("en", "it", "pt", "fr")
#: Language code of a text too short or too mixed to tell (ISO 639-2 "undetermined").
UNDETERMINED = "und"
#: Share of the shorter text's words found in the other from which two texts count as one said twice.
NEAR_DUPLICATE = 0.8
#: Valence from which a word of a general lexicon is an opinion (:func:`opinion_words`): half a step of VADER's -4..4
#: scale, and half the top of the French and Italian lexicons' -1..1 polarities (used at valence +-1).
OPINION_VALENCE = 0.5
#: Two texts sharing a sentence of at least this many words count as one said twice.
SHARED_SENTENCE_WORDS = 5

# py3langid languages left out of the default candidates: classical, constructed or regional languages that
# customers rarely write in and that short texts in a neighbouring major language are mistaken for
# (Galician for Portuguese, Latin or Esperanto for Italian...). Pass ``candidates=`` to include them.
_RARELY_CUSTOMER_LANGUAGES = frozenset({"an", "br", "eo", "fo", "fy", "gl", "la", "lb", "nn", "oc", "sa", "se",
                                        "vo", "wa"})

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\s*[\r\n]+\s*")
_WORD = re.compile(r"[^\W\d_]+(?:['_][^\W\d_]+)*")   # words; English contractions and joined phrases stay one
_ELISION = re.compile(r"\b(l|un|dell|all|dall|nell|sull|quest|quell|c|d|s|m|t|v|n|j|qu|jusqu|lorsqu|puisqu)'")
_RULES = {
    "it": {"negators": {"non", "mai", "nessun", "nessuno", "nessuna", "niente", "nulla", "né", "senza", "neanche",
                        "nemmeno", "neppure"},
           "boosters": {"molto": 0.293, "troppo": 0.293, "davvero": 0.293, "super": 0.293, "proprio": 0.293,
                        "tanto": 0.293, "così": 0.293, "estremamente": 0.293, "assolutamente": 0.293,
                        "veramente": 0.293, "decisamente": 0.293, "particolarmente": 0.293,
                        "incredibilmente": 0.293, "totalmente": 0.293, "completamente": 0.293,
                        "terribilmente": 0.293, "tremendamente": 0.293,
                        "abbastanza": -0.293, "leggermente": -0.293, "quasi": -0.293, "piuttosto": -0.293,
                        "poco": -0.293},
           "contrast": {"ma", "però", "tuttavia"}},
    "pt": {"negators": {"nao", "nunca", "jamais", "nenhum", "nenhuma", "nada", "nem", "sem", "ninguem"},
           "boosters": {"muito": 0.293, "muita": 0.293, "super": 0.293, "demais": 0.293, "bem": 0.293,
                        "tao": 0.293, "realmente": 0.293, "extremamente": 0.293, "totalmente": 0.293,
                        "completamente": 0.293, "absolutamente": 0.293, "bastante": 0.293,
                        "pouco": -0.293, "quase": -0.293, "meio": -0.293},
           "contrast": {"mas", "porem", "contudo"}},
    "fr": {"negators": {"ne", "n", "pas", "jamais", "rien", "aucun", "aucune", "personne", "ni", "sans", "guère"},
           "boosters": {"très": 0.293, "trop": 0.293, "vraiment": 0.293, "super": 0.293, "tellement": 0.293,
                        "extrêmement": 0.293, "absolument": 0.293, "totalement": 0.293, "complètement": 0.293,
                        "particulièrement": 0.293, "vachement": 0.293, "hyper": 0.293,
                        "assez": -0.293, "plutôt": -0.293, "peu": -0.293, "presque": -0.293},
           "contrast": {"mais", "cependant", "pourtant", "toutefois"}},
}
_NEGATION_SCALAR = -0.74             # VADER's N_SCALAR
_WINDOW_DAMPING = (1.0, 0.95, 0.9)   # VADER's weight of a booster 1, 2, 3 words back
_NORMALISER = 15.0                   # VADER's alpha
_PRIOR_WEIGHT = 20.0                 # the collection's language mix weighs as much as this many texts
_SENTIX_SCALE = 1.0                  # Sentix scores (-1..1) at valence +-1, under the CX lexicon (see METHODS.md)


class UnscoredLanguageWarning(UserWarning):
    """Texts in a language no lexicon reads were left out of sentiment (counted in the message)."""


def _resource_lines(name: str) -> list[str]:
    text = resources.files("cxresearch").joinpath("resources", name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=None)
def stop_words(lang: str) -> frozenset[str]:
    """Stop words of *lang* (ISO 639-1), from the ``stopwordsiso`` collection."""
    import stopwordsiso

    if not stopwordsiso.has_lang(lang):
        raise ParameterError(f"no stop words for language {lang!r}; known: {', '.join(sorted(stopwordsiso.langs()))}.")
    return frozenset(stopwordsiso.stopwords(lang))


def _as_series(texts) -> pd.Series:
    if isinstance(texts, str):
        raise ParameterError("texts must be a list or Series of strings, not one string; wrap it in a list.")
    return pd.Series(texts, dtype="object").astype("string")


def fold_accents(series: pd.Series) -> pd.Series:
    """Each text without its accents ("ótimo" -> "otimo"), as customers often type them."""
    return series.map(lambda text: "".join(c for c in unicodedata.normalize("NFD", text)
                                           if unicodedata.category(c) != "Mn"), na_action="ignore")


def tokens(texts: pd.Series) -> pd.Series:
    """Lower-cased words of each text, exploded: one row per word, index = text position.

    Italian and French elisions (``l'ordine``) are split off; English
    contractions (``don't``) stay one word. Texts without words get one missing row.
    """
    lower = _as_series(texts).reset_index(drop=True).fillna("").str.lower().str.replace("’", "'")
    return lower.str.replace(_ELISION, r"\1 ", regex=True).str.findall(_WORD).explode()


def distinct(texts, *, limit: int, similarity: float = NEAR_DUPLICATE) -> list[str]:
    """The first *limit* texts, in order, passing over any that nearly repeats one already kept.

    Two texts nearly repeat each other when at least *similarity* of the
    lower-cased words of the shorter one are words of the other (the overlap
    coefficient), or when they share a sentence of at least
    :data:`SHARED_SENTENCE_WORDS` words: "Fast delivery, parcel intact." is
    repeated by "Great! Fast delivery, parcel intact. I will buy again.", and
    "Not bad! The parcel arrived intact and on time." by "Mixed feelings. The
    parcel arrived intact and on time. Could be better."

    Examples
    --------
    >>> distinct(["Shipping was quick.", "Great! Shipping was quick!", "The staff were rude."], limit=3)
    ['Shipping was quick.', 'The staff were rude.']
    >>> distinct(["Not bad! The parcel arrived intact and on time.",
    ...           "Mixed feelings. The parcel arrived intact and on time. Could be better."], limit=2)
    ['Not bad! The parcel arrived intact and on time.']
    """
    kept, kept_words, kept_sentences = [], [], set()
    for text in texts:
        words = frozenset(re.findall(r"\w+", str(text).casefold()))
        long_sentences = {tuple(said) for sentence in _SENTENCE_END.split(str(text))
                          if len(said := re.findall(r"\w+", sentence.casefold())) >= SHARED_SENTENCE_WORDS}
        if not long_sentences & kept_sentences and all(
                len(words & seen) < similarity * min(len(words), len(seen)) for seen in kept_words):
            kept.append(text)
            kept_words.append(words)
            kept_sentences |= long_sentences
            if len(kept) == limit:
                break
    return kept


def sentences(texts) -> pd.Series:
    """Sentences of each text, exploded: one row per sentence, index = text position.

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` followed by white space, or
    at a line break; its closing punctuation stays with it. Texts without words
    have no rows.
    """
    split = _as_series(texts).reset_index(drop=True).fillna("").str.split(_SENTENCE_END, regex=True).explode()
    return split[split.str.contains(r"[^\W_]", regex=True).fillna(False)].str.strip()


@lru_cache(maxsize=8)
def _lemma_function(lang: str):
    import simplemma

    return lru_cache(maxsize=200_000)(lambda word: simplemma.lemmatize(word, lang=lang).lower())


def lemmas(words: pd.Series, lang: str) -> pd.Series:
    """Lemma of each (lower-cased) word in *lang* with ``simplemma``; unknown words stay as they are."""
    if lang not in _simplemma_languages():
        return words
    lemma = _lemma_function(lang)
    unique = pd.unique(words.dropna())
    return words.map(dict(zip(unique, map(lemma, unique))))


@lru_cache(maxsize=1)
def _simplemma_languages() -> frozenset[str]:
    from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

    return frozenset(SUPPORTED_LANGUAGES)


# ---------------------------------------------------------------------------------------------- languages

@lru_cache(maxsize=8)
def _identifier(candidates: tuple[str, ...] | None):
    from py3langid import langid

    identifier = langid.LanguageIdentifier.from_modelpath(langid.MODEL_DIR / langid.MODEL_FILE, norm_probs=True)
    known = sorted({code for code in identifier.nb_classes if len(code) == 2})
    chosen = [code for code in known if code not in _RARELY_CUSTOMER_LANGUAGES] if candidates is None else list(candidates)
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise ParameterError(f"candidates {unknown} are not languages py3langid knows; known: {', '.join(known)}.")
    identifier.set_languages(chosen)
    return identifier, sorted(set(chosen))


def detect_language(texts, *, candidates=None, min_confidence: float = 0.5) -> pd.Series:
    """Language of each text: an ISO 639-1 code, ``"und"`` when it cannot be told, missing when empty.

    ``py3langid`` gives each text the probability of every candidate language.
    Those probabilities are combined with the collection's own language mix
    (the share of each language among the texts identified with confidence on
    their own, a prior that makes "Entrega rápida" Portuguese among Brazilian
    reviews rather than Spanish), and a text gets the most probable language
    when that probability reaches *min_confidence*. Texts that give the
    identifier nothing to read ("ok", "Bom", "8") are ``"und"``.

    A text confident on its own keeps its own language; the prior only settles
    the others, and weighs as much as 20 texts, so a handful of texts barely moves it.

    Parameters
    ----------
    texts : list or Series of str
    candidates : list of str, optional
        Languages to choose from; default: all py3langid knows with an ISO
        639-1 code except a few classical, constructed and regional ones
        (Latin, Esperanto, Galician...).
    min_confidence : float
        Probability a language needs, in (0, 1].

    Examples
    --------
    >>> detect_language(["The delivery was late", "La consegna è arrivata in ritardo",
    ...                  "Die Lieferung kam zu spät", "ok", ""]).tolist()
    ['en', 'it', 'de', 'und', <NA>]
    """
    if not 0 < min_confidence <= 1:
        raise ParameterError(f"min_confidence must be in (0, 1]; got {min_confidence!r}.")
    series = _as_series(texts)
    identifier, codes = _identifier(None if candidates is None else tuple(sorted(set(candidates))))
    present = series.fillna("").str.contains(r"[^\W\d_]", regex=True).to_numpy()
    unique = pd.unique(series[present].to_numpy(dtype=object))
    result = pd.Series(pd.NA, index=series.index, dtype="string")
    result[present] = UNDETERMINED
    if not len(unique):
        return result
    column = {code: position for position, code in enumerate(codes)}
    probability = np.zeros((len(unique), len(codes)))
    for row, text in enumerate(unique):
        for code, p in identifier.rank(text):
            if code in column:
                probability[row, column[code]] = p
    says_something = probability.max(axis=1) - probability.min(axis=1) > 1e-6
    confident = says_something & (probability.max(axis=1) >= min_confidence)
    counts = np.bincount(probability[confident].argmax(axis=1), minlength=len(codes))
    prior = (counts + _PRIOR_WEIGHT / len(codes)) / (counts.sum() + _PRIOR_WEIGHT)
    posterior = np.where(confident[:, None], probability, probability * prior)
    posterior /= posterior.sum(axis=1, keepdims=True)
    label = np.where(says_something & (posterior.max(axis=1) >= min_confidence),
                     np.asarray(codes, dtype=object)[posterior.argmax(axis=1)], UNDETERMINED)
    by_text = dict(zip(unique, label))
    result[present] = series[present].map(by_text)
    return result


def reading_languages(texts) -> pd.Series:
    """Language to read each text in: :func:`detect_language`, except that texts too short to tell take the
    collection's most common language or, in a collection without one, the identifier's best guess however
    unsure (still "und" for texts it cannot read at all)."""
    series = _as_series(texts)
    languages = detect_language(series)
    known = languages[languages.ne(UNDETERMINED).fillna(False)]
    if len(known):
        return languages.replace(UNDETERMINED, known.mode().iloc[0])
    unsure = languages.eq(UNDETERMINED).fillna(False)
    if unsure.any():
        languages[unsure] = detect_language(series[unsure], min_confidence=1e-9)
    return languages


# ---------------------------------------------------------------------------------------------- lexicons

@lru_cache(maxsize=None)
def _cx_layer(lang: str) -> dict[str, float]:
    """CX domain terms of *lang* -> valence; phrases joined with "_" (as :func:`_join_phrases` writes them)."""
    layer = {}
    for line in _resource_lines("cx_lexicon.tsv"):
        code, term, valence = line.split("\t")
        if code == lang:
            layer[term.replace(" ", "_")] = float(valence)
    return layer


def _join_phrases(texts: pd.Series, lang: str) -> pd.Series:
    """Lower-case *texts* and join the CX layer's phrases of *lang* into single tokens, longest first."""
    lower = texts.str.lower().str.replace("’", "'")
    if lang == "pt":
        lower = fold_accents(lower)
    phrases = sorted((term for term in _cx_layer(lang) if "_" in term), key=len, reverse=True)
    for phrase in phrases:
        lower = lower.str.replace(r"\b" + re.escape(phrase.replace("_", " ")) + r"\b", phrase, regex=True)
    return lower


@lru_cache(maxsize=None)
def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon = {**analyzer.lexicon, **_cx_layer("en")}
    return analyzer


@lru_cache(maxsize=None)
def _lexicon(lang: str) -> dict[str, float]:
    """Word -> valence (-4..4) of *lang* ("it", "pt" or "fr"): CX layer over the project's words over the base lexicon."""
    return {**_general_lexicon(lang), **_cx_layer(lang)}


@lru_cache(maxsize=None)
def _general_lexicon(lang: str) -> dict[str, float]:
    """Word -> valence of *lang*: the general lexicon (VADER's for "en") without the CX layer, negators,
    boosters and contrast words."""
    if lang == "en":
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        return SentimentIntensityAnalyzer().lexicon
    lexicon: dict[str, float] = {}
    if lang == "it":
        for line in _resource_lines("sentiment_it.tsv"):
            word, valence = line.split("\t")
            endings = {"o": "aie", "e": "i"}.get(word[-1], "")
            for form in [word] + [word[:-1] + end for end in endings]:
                lexicon.setdefault(form, float(valence))
        function_words = stop_words("it")
        for line in _resource_lines("sentix_it.tsv")[1:]:
            lemma, score = line.split("\t")
            if lemma not in function_words:   # Sentix gives some function words ("per", "ed") a polarity
                lexicon.setdefault(lemma, float(np.clip(float(score), -1, 1)) * _SENTIX_SCALE)
    elif lang == "pt":
        for line in _resource_lines("leia_pt.tsv")[1:]:
            word, valence = line.split("\t")
            lexicon.setdefault(word, float(valence))
    else:
        for line in _resource_lines("pattern_fr.tsv")[1:]:   # Pattern's polarities (-1..1) at valence +-1, as Sentix
            word, polarity = line.split("\t")
            lexicon.setdefault(word, float(polarity))
    rules = _RULES[lang]
    for word in rules["negators"] | rules["boosters"].keys() | rules["contrast"]:
        lexicon.pop(word, None)
    return lexicon


def _valences(words: pd.Series, lang: str) -> np.ndarray:
    """Valence of each word: as written, else its lemma, else (Italian "-mente") its adjective's."""
    lexicon = _lexicon(lang)
    valence = words.map(lexicon)
    valence = valence.fillna(lemmas(words, lang).map(lexicon))
    if lang == "it":
        stem = words.str.extract(r"^(\w{3,})mente$", expand=False)   # pessima-mente, veloce-mente, facil-mente
        for adjective in (stem.str.replace(r"a$", "o", regex=True), stem, stem + "e"):
            valence = valence.fillna(adjective.map(lexicon)).fillna(lemmas(adjective, lang).map(lexicon))
    return valence.fillna(0.0).to_numpy(dtype=float)


def _lexicon_scores(texts: pd.Series, lang: str) -> np.ndarray:
    """VADER-style compound score of every Italian, Portuguese or French text at once (see the module docstring)."""
    rules = _RULES[lang]
    words = tokens(_join_phrases(texts, lang))
    doc = words.index.to_numpy()
    is_negator = words.isin(rules["negators"]).to_numpy()
    boost = words.map(rules["boosters"]).fillna(0.0).to_numpy(dtype=float)
    valence = np.where(is_negator | (boost != 0), 0.0, _valences(words, lang))

    sign = np.sign(valence)
    negated = np.zeros(len(words), dtype=bool)
    for back, damping in enumerate(_WINDOW_DAMPING, start=1):
        same_doc = np.zeros(len(words), dtype=bool)
        same_doc[back:] = doc[back:] == doc[:-back]
        previous_boost = np.zeros(len(words))
        previous_boost[back:] = boost[:-back]
        previous_negator = np.zeros(len(words), dtype=bool)
        previous_negator[back:] = is_negator[:-back]
        valence += same_doc * sign * previous_boost * damping
        negated |= same_doc & previous_negator
    # negative concord: several negators negate once; a CX phrase carries its own negation ("mai_arrivato")
    valence *= np.where(negated & ~words.str.contains("_").fillna(False).to_numpy(dtype=bool), _NEGATION_SCALAR, 1.0)

    is_contrast = words.isin(rules["contrast"]).to_numpy()
    contrasts_so_far = pd.Series(is_contrast).groupby(doc).cumsum().to_numpy()
    doc_has_contrast = np.bincount(doc, weights=is_contrast, minlength=len(texts))[doc] > 0
    valence *= np.where(contrasts_so_far > 0, 1.5, np.where(doc_has_contrast, 0.5, 1.0))

    total = np.bincount(doc, weights=valence, minlength=len(texts))
    exclamations = np.minimum(texts.str.count("!").fillna(0).to_numpy(dtype=float), 4)
    total += np.sign(total) * 0.292 * exclamations
    return np.clip(total / np.sqrt(total**2 + _NORMALISER), -1, 1)


def opinion_words(words: pd.Series, lang: str) -> pd.Series:
    """Whether each lower-cased word says how the writer feels rather than what about: a word its general
    sentiment lexicon scores strongly (|valence| of at least :data:`OPINION_VALENCE`, as written or as its
    lemma: "excelente", "gostar") or a booster ("super", "molto"). The CX layer is left out: its words name
    what went wrong ("late", "refund"). False in a language no lexicon reads (:data:`LANGUAGES`).

    Examples
    --------
    >>> opinion_words(pd.Series(["ótimo", "super", "entrega", "produto"]), "pt").tolist()
    [True, True, False, False]
    """
    if lang not in LANGUAGES:
        return pd.Series(False, index=words.index)
    written = fold_accents(words) if lang == "pt" else words   # the Portuguese lexicon is written without accents
    lexicon = _general_lexicon(lang)
    valence = written.map(lexicon).fillna(lemmas(written, lang).map(lexicon)).fillna(0.0)
    boosters = _RULES[lang]["boosters"].keys() if lang in _RULES else ()
    return (valence.abs() >= OPINION_VALENCE) | written.isin(boosters)


def _vader_scores(texts: pd.Series) -> np.ndarray:
    """VADER's compound score of each English text or sentence (each distinct one scored once)."""
    analyzer = _vader()
    joined = _join_phrases(texts, "en")
    unique = pd.unique(joined.to_numpy(dtype=object))
    by_text = {text: analyzer.polarity_scores(text)["compound"] for text in unique}
    return joined.map(by_text).to_numpy(dtype=float)


def _english_scores(texts: pd.Series) -> np.ndarray:
    """Mean of VADER's score of each whole English text and the mean score of its sentences that carry sentiment."""
    parts = sentences(texts)
    by_sentence = pd.Series(_vader_scores(parts.reset_index(drop=True)), dtype=float)
    opinionated = by_sentence.where(by_sentence != 0).groupby(parts.index.to_numpy()).mean()
    sentence_mean = opinionated.reindex(range(len(texts))).fillna(0.0).to_numpy(dtype=float)
    return (_vader_scores(texts) + sentence_mean) / 2


# ---------------------------------------------------------------------------------------------- sentiment

def sentiment(texts, lang=None, *, model: Pipeline | None = None) -> pd.Series:
    """Sentiment score in [-1, 1] of each text (missing for empty texts and unscored languages).

    Parameters
    ----------
    texts : list or Series of str
    lang : str, Series of str, or None
        Language of all texts, or of each text (ISO 639-1); None detects it
        (:func:`detect_language`). Texts too short to tell ("und") are read in
        the collection's most common language. Texts in a language outside
        :data:`LANGUAGES` are left missing, with an :class:`UnscoredLanguageWarning`.
    model : Pipeline, optional
        A model fitted by :func:`fit_sentiment` (``.model``); when given it scores
        every text as ``2 * P(positive) - 1`` and *lang* is ignored.

    Examples
    --------
    >>> scores = sentiment(["Great service, very fast!", "Non è buono, consegna in ritardo",
    ...                     "Non ho nessun problema", "Produto chegou quebrado"])
    >>> [bool(s > 0) for s in scores]
    [True, False, True, False]
    """
    series = _as_series(texts)
    empty = series.fillna("").str.strip() == ""
    if model is not None:
        scores = 2 * model.predict_proba(series.fillna("").to_numpy(dtype=object))[:, 1] - 1
        return pd.Series(scores, index=series.index, dtype=float).mask(empty)
    languages = _languages(series, lang).mask(empty)
    scores = pd.Series(np.nan, index=series.index, dtype=float)
    for code in LANGUAGES:
        chosen = (languages == code).fillna(False).to_numpy(dtype=bool)
        if chosen.any():
            scorer = _english_scores if code == "en" else partial(_lexicon_scores, lang=code)
            scores[chosen] = scorer(series[chosen].fillna(""))
    unscored = languages.dropna()[~languages.dropna().isin(LANGUAGES)].value_counts()
    if len(unscored):
        counts = ", ".join(f"{language_name(code)} {format_count(n)}" for code, n in unscored.items())
        warnings.warn(ngettext(
            "%(n)s text in a language no sentiment lexicon reads was left out of sentiment (%(counts)s; short texts "
            "are often mistaken for another language); a sentiment model learned from the data's own ratings can "
            "score it (see the methods guide on languages and sentiment).",
            "%(n)s texts in languages no sentiment lexicon reads were left out of sentiment (%(counts)s; short "
            "texts are often mistaken for another language); a sentiment model learned from the data's own ratings "
            "can score them (see the methods guide on languages and sentiment).", int(unscored.sum()))
            % {"n": format_count(int(unscored.sum())), "counts": counts}, UnscoredLanguageWarning, stacklevel=2)
    return scores


def _languages(series: pd.Series, lang) -> pd.Series:
    if lang is None:
        return reading_languages(series)
    if isinstance(lang, str):
        return pd.Series(lang, index=series.index, dtype="string")
    return pd.Series(lang, dtype="string").set_axis(series.index)


def star_agreement_note(ratings, scores) -> str:
    """A sentence for the page when the sentiment disagrees with the review stars, else ``""``.

    They agree when the mean score of each star level from 1 to 2 is below zero and of each level from 4 to 5
    above; levels without a scored text are not judged.

    Parameters
    ----------
    ratings : Series of int
        Review stars (1-5).
    scores : Series of float
        Sentiment of the same reviews (:func:`sentiment`), missing when not scored.
    """
    means = pd.Series(np.asarray(scores, dtype=float)).groupby(np.asarray(ratings, dtype=float)).mean().dropna()
    wrong = [level for level, mean in means.items() if (level <= 2 and mean >= 0) or (level >= 4 and mean <= 0)]
    if not wrong:
        return ""
    return _("Sentiment disagrees with the stars here: the reviews rated %(stars)s (of 5 stars) score %(means)s on "
             "average, on the wrong side of zero (1-2 stars should score below zero, 4-5 stars above). Read sentiment as a "
             "rough signal on this data; a lexicon written for its domain, or a model learned from its own stars "
             "(cx.fit_sentiment), would read it better.") % {
        "stars": format_list(format_count(level) for level in wrong),
        "means": format_list(format_number(means[level], decimals=2) for level in wrong)}


# ---------------------------------------------------------------------------------------------- learned

@dataclass(frozen=True)
class SentimentFit:
    """Sentiment learned from a dataset's own ratings (see :func:`fit_sentiment`).

    Attributes
    ----------
    scores : Series
        Score in [-1, 1] of every text, aligned on the input: out-of-fold for
        rated texts (from a model that never saw them), from :attr:`model` for
        unrated texts; missing for empty texts.
    scorer : Series
        How each text was scored: ``"model (out-of-fold)"`` or ``"model"``.
    auc : float
        Out-of-fold AUC of the scores against the ratings (high vs low).
    model : Pipeline
        TF-IDF + logistic regression fitted on all rated texts; pass it to
        :func:`sentiment` as ``model=`` to score new texts.
    """

    scores: pd.Series
    scorer: pd.Series
    auc: float
    model: Pipeline


def _sentiment_model(min_df: int, C: float) -> Pipeline:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True, max_features=100_000),
        LogisticRegression(C=C, class_weight="balanced", max_iter=2000),
    )


def fit_sentiment(texts, ratings, *, n_splits: int = 5, min_df: int = 2, C: float = 4.0,
                  random_state: int = 0) -> SentimentFit:
    """Learn sentiment from a dataset's own ratings (stars, 0-10 scores...), in any language, cross-fitted.

    A rating above the midpoint of the ratings' observed range is positive, one
    below it negative (the midpoint itself, e.g. 3 stars, is not trained on).
    The rated texts are split into *n_splits* stratified folds; each fold is
    scored by a model trained on the others, so no text is scored by a model
    that saw it. Texts without a rating are scored by a model trained on all
    rated texts. The model is a TF-IDF of words and word pairs (no stop words
    removed, since negations matter) feeding a class-balanced logistic regression.

    Raises
    ------
    DataError
        When fewer than *n_splits* (and 10) positive or negative rated texts remain.
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    series = _as_series(texts)
    rating = pd.to_numeric(pd.Series(ratings, dtype="object").set_axis(series.index), errors="coerce")
    has_text = series.fillna("").str.strip().ne("").to_numpy()
    rated = has_text & rating.notna().to_numpy()
    midpoint = (rating[rated].min() + rating[rated].max()) / 2
    polar = rated & rating.ne(midpoint).to_numpy()
    positive = (rating > midpoint).to_numpy()
    n_positive, n_negative = int((polar & positive).sum()), int((polar & ~positive).sum())
    if min(n_positive, n_negative) < max(10, n_splits):
        raise DataError(f"fit_sentiment needs at least {max(10, n_splits)} positive and negative rated texts "
                        f"(ratings above / below the midpoint {midpoint}); found {n_positive} positive and "
                        f"{n_negative} negative.")
    text = series.fillna("").to_numpy(dtype=object)
    scores = np.full(len(series), np.nan)
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=random_state)
    rated_rows = rated.nonzero()[0]
    strata = np.where(~polar[rated_rows], 2, positive[rated_rows].astype(int))
    for train, test in folds.split(rated_rows, strata):
        train_rows = rated_rows[train][polar[rated_rows[train]]]
        fold_model = _sentiment_model(min_df, C).fit(text[train_rows], positive[train_rows])
        scores[rated_rows[test]] = 2 * fold_model.predict_proba(text[rated_rows[test]])[:, 1] - 1
    model = _sentiment_model(min_df, C).fit(text[polar], positive[polar])
    unrated = has_text & ~rated
    if unrated.any():
        scores[unrated] = 2 * model.predict_proba(text[unrated])[:, 1] - 1
    scorer = pd.Series(np.where(rated, "model (out-of-fold)", np.where(unrated, "model", None)),
                       index=series.index, dtype="string")
    auc = float(roc_auc_score(positive[polar], scores[polar]))
    return SentimentFit(scores=pd.Series(scores, index=series.index, dtype=float), scorer=scorer, auc=auc,
                        model=model)

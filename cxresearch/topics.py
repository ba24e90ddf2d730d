"""Topics of customer texts: CX themes from a multilingual taxonomy, then data-driven topics for the rest.

:func:`topics` works in the texts' own languages:

1. Each text's language is detected (:func:`~cxresearch.text.reading_languages`:
   texts too short to tell are read in the collection's most common language)
   and its words are lemmatised in that language (``simplemma``).
2. **Themes.** The shipped CX theme taxonomy (``resources/cx_themes.yml``:
   delivery, price, staff and service, waiting time, app and website, checkout
   and payment, returns and refunds, product quality, communication, fit and
   size, packaging; seed terms in en, it, pt, de, es and fr), extended or
   overridden by ``taxonomy=``, assigns every text to every theme whose seed
   it uses, in its language. An Italian comment about a late "pacco" and an
   English one about a late "parcel" land in the same theme.
3. **Discovered topics.** The texts no theme covers go to NMF on a TF-IDF of
   their lemmas (stop words of their languages removed; NNDSVD initialisation
   and a fixed ``random_state``, so deterministic). With ``n_topics="auto"`` it
   fits 2..``max_topics`` topics and keeps the number whose topics are most
   coherent: the mean normalised pointwise mutual information (NPMI) of the
   pairs of each topic's top 5 terms, counted on document co-occurrence. Their
   stability is the mean Jaccard similarity between each topic's top terms and
   those of its best match when NMF is refitted on bootstrap resamples.

Each topic's examples are its most typical texts (a theme's: those whose seed
words are most its own; a discovered topic's: those whose NMF weight is most
its own), redacted with :func:`~cxresearch.privacy.redact_pii`, passing over
any text that nearly repeats an example already chosen (:func:`~cxresearch.text.distinct`).
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import warnings

import numpy as np
import pandas as pd
import yaml
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer

from .errors import DataError, DataWarning, ParameterError
from .i18n import _, format_count, format_percent, language_name
from .privacy import MIN_GROUP_SIZE, redact_pii, suppress_small
from .text import distinct, fold_accents, lemmas, opinion_words, reading_languages, sentiment, stop_words, tokens

__all__ = ["Topics", "topics", "theme_taxonomy"]

_COHERENCE_TERMS = 5
_NMF_ITERATIONS = 1000
_EXAMPLES = 3          # example texts per topic
_CANDIDATES = 200      # most typical texts examined for distinct examples
_TERM = re.compile(r"[^\W\d_]{3,}")   # what the discovered topics count as a term
_OPINION_SHARE = 0.5   # share of a discovered topic's top terms, words of opinion, that makes it general praise or complaint


@dataclass(frozen=True)
class Topics:
    """Themes and topics found in a set of texts.

    Attributes
    ----------
    summary : DataFrame
        One row per theme or discovered topic, largest first: ``topic``
        (label), ``kind`` ("theme" or "discovered"), ``terms`` (seed terms the
        texts used, or a discovered topic's top terms), ``n`` and ``share`` of
        texts mentioning it (a text may mention several themes, so shares can
        sum above 1), ``languages`` (share of each language among its texts),
        ``sentiment`` (mean score), ``positive`` and ``negative`` (shares of
        texts scoring above 0.05 / below -0.05), ``stability`` (discovered
        topics: mean Jaccard similarity of their top terms across bootstrap
        refits; missing for themes, which are assigned by rule) and
        ``examples`` (up to three redacted texts, most typical first, none
        nearly repeating another).
    document_topic : Series
        One label per text, aligned on the input index: its main theme (the
        theme whose seeds it uses most; ties go to the taxonomy's order), else
        its discovered topic; missing for texts with no known term.
    membership : DataFrame
        The full assignment: boolean, index aligned on the input, one column
        per topic of *summary* (in its order); a text is True for every theme
        it mentions and for its discovered topic.
    coherence : Series
        Mean NPMI coherence of the discovered topics by number of topics tried
        (empty when no discovered topics were fitted).
    """

    summary: pd.DataFrame
    document_topic: pd.Series
    membership: pd.DataFrame
    coherence: pd.Series

    @property
    def n_topics(self) -> int:
        """Number of themes and discovered topics found."""
        return len(self.summary)


# ---------------------------------------------------------------------------------------------- taxonomy

@lru_cache(maxsize=1)
def _shipped_taxonomy() -> dict:
    text = resources.files("cxresearch").joinpath("resources", "cx_themes.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def theme_taxonomy(extra: dict | None = None) -> pd.DataFrame:
    """The CX theme taxonomy as a table: ``theme``, ``label``, ``lang``, ``seed``, ``exact``, ``lemma``.

    Parameters
    ----------
    extra : dict, optional
        ``{theme: {"label": str, lang: [seed, ...], ...}}``, as under
        ``settings: topic_taxonomy`` in dataset.yml: new themes are added;
        seeds of an existing theme are added to its seeds; a label replaces its label.
        A seed of several words matches as a phrase and counts once per word
        when choosing a text's main theme; a seed written ``=word`` matches that
        word form only, not the other forms of its lemma (``=esperando``, not
        ``espero`` "I hope"), column ``exact``.
    """
    merged = {theme: dict(spec) for theme, spec in _shipped_taxonomy().items()}
    for theme, spec in (extra or {}).items():
        if not isinstance(spec, dict) or not all(isinstance(v, list) for k, v in spec.items() if k != "label"):
            raise ParameterError(f"taxonomy theme {theme!r} must map 'label' to a name and each language code "
                                 f"to a list of seed terms; got {spec!r}.")
        target = merged.setdefault(str(theme), {"label": str(theme).replace("_", " ").capitalize()})
        for key, value in spec.items():
            target[key] = value if key == "label" else list(target.get(key, [])) + list(value)
    rows = [(theme, _(spec["label"]), lang, str(seed).lower())
            for theme, spec in merged.items() for lang, seeds in spec.items() if lang != "label" for seed in seeds]
    table = pd.DataFrame(rows, columns=["theme", "label", "lang", "seed"])
    table["exact"] = table["seed"].str.startswith("=")
    table["seed"] = table["seed"].str.removeprefix("=")
    table["lemma"] = table["seed"]
    for lang, rows_of_lang in table.groupby("lang").groups.items():
        single = table.loc[rows_of_lang, "seed"]
        single = single[~single.str.contains(" ") & ~table.loc[rows_of_lang, "exact"]]
        table.loc[single.index, "lemma"] = lemmas(single, lang)
    return table.drop_duplicates(["theme", "lang", "seed"]).reset_index(drop=True)


def _theme_hits(words: pd.DataFrame, texts: pd.Series, language: pd.Series, taxonomy: pd.DataFrame) -> pd.DataFrame:
    """Count of seed uses per text (rows: text positions) and theme (columns, in taxonomy order)."""
    themes = list(dict.fromkeys(taxonomy["theme"]))
    single = taxonomy[~taxonomy["seed"].str.contains(" ")]
    matched = _seed_matches(words, single, ["theme", "lang"]).drop_duplicates(["position", "order", "theme"])
    hits = pd.crosstab(matched["position"], matched["theme"]).reindex(index=range(len(texts)), columns=themes,
                                                                      fill_value=0)
    lower = texts.fillna("").str.lower().reset_index(drop=True)
    for theme, lang, seed in taxonomy.loc[taxonomy["seed"].str.contains(" "), ["theme", "lang", "seed"]].itertuples(
            index=False):
        found = lower.str.contains(r"\b" + re.escape(seed) + r"\b", regex=True) & (language.to_numpy() == lang)
        hits[theme] += found.to_numpy(dtype=int) * len(seed.split())   # a phrase weighs as its words
    return hits


def _seed_terms_used(words: pd.DataFrame, taxonomy: pd.DataFrame, member: np.ndarray, theme: str) -> str:
    """The theme's seeds its texts used, most used first (up to 8)."""
    used = words[words["position"].isin(member.nonzero()[0])]
    matched = _seed_matches(used, taxonomy[taxonomy["theme"] == theme], ["lang", "seed"]).drop_duplicates("order")
    return ", ".join(matched["seed"].value_counts().index[:8])


def _seed_matches(words: pd.DataFrame, seeds: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
    """*words* joined to the *seeds* (their *keep* columns) they use: the word is the seed or its lemma, or the
    word's lemma is (unless the seed is ``exact``); one row per word and matching seed form."""
    keys = pd.concat([seeds.assign(term=seeds["seed"]), seeds.assign(term=seeds["lemma"])])
    keys = keys[list(dict.fromkeys(keep + ["lang", "term", "exact"]))].drop_duplicates()
    by_word = words.merge(keys, left_on=["lang", "word"], right_on=["lang", "term"])
    by_lemma = words.merge(keys[~keys["exact"]], left_on=["lang", "lemma"], right_on=["lang", "term"])
    return pd.concat([by_word, by_lemma])


# ---------------------------------------------------------------------------------------------- discovered

def _npmi(binary, top_terms: np.ndarray) -> float:
    """Mean NPMI over the pairs of each topic's top terms (rows of *top_terms*)."""
    n_docs = binary.shape[0]
    scores = []
    for terms in top_terms:
        columns = binary[:, terms]
        together = (columns.T @ columns).toarray() / n_docs
        alone = np.diag(together)
        with np.errstate(divide="ignore", invalid="ignore"):
            npmi = np.log(together / np.outer(alone, alone)) / -np.log(together)
        npmi = np.where(together > 0, npmi, -1.0)
        scores.append(npmi[np.triu_indices(len(terms), k=1)].mean())
    return float(np.mean(scores))


def _nmf(matrix, k: int, random_state: int, n_terms: int, *, settled: list | None = None):
    """NMF weights and top term indices; whether the solver settled within its iterations is appended to *settled*
    (scikit-learn's ConvergenceWarning is for developers: the page says it in words, see :func:`_discover`)."""
    model = NMF(n_components=k, init="nndsvd", random_state=random_state, max_iter=_NMF_ITERATIONS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = model.fit_transform(matrix)
    if settled is not None:
        settled.append(model.n_iter_ < _NMF_ITERATIONS)
    return weights, np.argsort(-model.components_, axis=1)[:, :max(n_terms, _COHERENCE_TERMS)]


def _stability(matrix, top: np.ndarray, k: int, n_terms: int, n_boot: int, random_state: int) -> np.ndarray:
    """Per topic: mean best-match Jaccard similarity of its top terms with those refitted on bootstrap resamples."""
    rng = np.random.default_rng(random_state)
    original = [set(row[:n_terms]) for row in top]
    similarity = np.zeros((n_boot, len(original)))
    for b in range(n_boot):
        _, boot_top = _nmf(matrix[rng.integers(0, matrix.shape[0], matrix.shape[0])], k, random_state, n_terms)
        for t, terms in enumerate(original):
            similarity[b, t] = max(len(terms & set(row[:n_terms])) / len(terms | set(row[:n_terms]))
                                   for row in boot_top)
    return similarity.mean(axis=0)


def _discover(documents: pd.Series, stops: list[str], spelled: dict, *, n_topics, max_topics: int, n_terms: int,
              min_df: int, n_boot: int, random_state: int):
    """NMF topics of lemmatised *documents* (terms without accents, *spelled* as most often written): (labels per
    document or None, summary rows, coherence)."""
    vectorizer = TfidfVectorizer(stop_words=stops or None, min_df=min_df, max_df=0.5, max_features=5000,
                                 sublinear_tf=True, token_pattern=r"(?u)\b" + _TERM.pattern + r"\b")
    try:
        matrix = vectorizer.fit_transform(documents.to_numpy(dtype=object))
    except ValueError:
        return None
    vocabulary = np.array([spelled.get(term, term) for term in vectorizer.get_feature_names_out()], dtype=object)
    binary = (matrix > 0).astype(float).tocsc()
    candidates = range(2, max_topics + 1) if n_topics == "auto" else [int(n_topics)]
    fits = {}
    for k in candidates:
        if k >= min(matrix.shape):   # as many topics as terms (or texts) is no grouping: each term its own "topic"
            break
        settled = []
        weights, top = _nmf(matrix, k, random_state, n_terms, settled=settled)
        fits[k] = (weights, top, _npmi(binary, top[:, :_COHERENCE_TERMS]), settled[0])
    if not fits:
        return None
    coherence = pd.Series({k: fit[2] for k, fit in fits.items()}, name="coherence").rename_axis("n_topics")
    k = int(coherence.idxmax())
    weights, top, settled = fits[k][0], fits[k][1], fits[k][3]
    if not settled:
        warnings.warn(_("The discovered topics come from a model that had not settled after %(n)s iterations, on "
                        "the %(texts)s texts no theme covers: read their terms as rough.")
                      % {"n": format_count(_NMF_ITERATIONS), "texts": format_count(matrix.shape[0])},
                      DataWarning, stacklevel=3)
    stability = _stability(matrix, top, k, n_terms, n_boot, random_state) if n_boot else np.full(k, np.nan)
    labels = np.array([", ".join(vocabulary[row[:3]]) for row in top])
    has_terms = weights.sum(axis=1) > 0
    assigned = np.where(has_terms, labels[weights.argmax(axis=1)], None)
    typicality = weights.max(axis=1) / np.maximum(weights.sum(axis=1), 1e-12)
    info = pd.DataFrame({"topic": labels, "terms": [", ".join(vocabulary[row[:n_terms]]) for row in top],
                         "stability": stability})
    return assigned, typicality, info, coherence


# ---------------------------------------------------------------------------------------------- topics

def topics(texts, *, taxonomy=None, n_topics="auto", max_topics: int = 10, n_terms: int = 8, scores=None,
           min_df: int = 3, n_boot: int = 10, random_state: int = 0, min_group_size: int = MIN_GROUP_SIZE) -> Topics:
    """Find the CX themes and data-driven topics of *texts*, and cross them with sentiment.

    Parameters
    ----------
    texts : list or Series of str
    taxonomy : dict or False, optional
        Themes added to the shipped taxonomy (see :func:`theme_taxonomy`), e.g.
        ``settings["topic_taxonomy"]`` of a dataset; ``False`` uses no taxonomy
        (every text goes to discovered topics).
    n_topics : int or "auto"
        Number of discovered topics, or ``"auto"`` to pick the most coherent of 2..max_topics.
    n_terms : int
        Top terms kept per discovered topic.
    scores : Series or array, optional
        Sentiment of each text (a Series is aligned on the texts' index, an
        array by position); computed with :func:`~cxresearch.text.sentiment` when not given.
    min_df : int
        A term must occur in at least this many uncovered texts to enter the discovered topics.
    n_boot : int
        Bootstrap refits for the stability of the discovered topics (0: skip).
    random_state : int
        Seed of the NMF solver and the bootstrap.
    min_group_size : int
        Themes and topics of fewer texts are left out of the summary (with a
        :class:`~cxresearch.errors.SmallGroupWarning`), as every group the pages show.
    """
    series = pd.Series(texts, dtype="object").astype("string")
    if not (n_topics == "auto" or (isinstance(n_topics, (int, np.integer)) and n_topics >= 1)):
        raise ParameterError(f"n_topics must be a positive integer or 'auto'; got {n_topics!r}.")
    present = (series.fillna("").str.strip() != "").to_numpy()
    if not present.any():
        raise DataError(_("Topics need texts; all %(n)s are empty or missing.") % {"n": format_count(len(series))})
    language = reading_languages(series).fillna("").reset_index(drop=True)

    exploded = tokens(series)
    words = pd.DataFrame({"position": exploded.index.to_numpy(), "word": exploded.to_numpy(dtype=object)})
    words = words.dropna(subset=["word"]).assign(order=lambda w: np.arange(len(w)))
    words["lang"] = language.to_numpy(dtype=object)[words["position"].to_numpy()]
    words["lemma"] = words["word"]
    # discovery reads lemmas, but stop words as written, so the stop list still finds them ("uma" is no verb "umar")
    words["discovery_term"] = words["word"]
    for lang, rows in words.groupby("lang").groups.items():
        written = words.loc[rows, "word"]
        lemma = lemmas(written, lang)
        words.loc[rows, "lemma"] = lemma.to_numpy()
        if _has_stop_words(lang):
            words.loc[rows, "discovery_term"] = lemma.where(~written.isin(stop_words(lang)), written).to_numpy()
        else:
            words.loc[rows, "discovery_term"] = lemma.to_numpy()

    if taxonomy is False:
        table = pd.DataFrame(columns=["theme", "label", "lang", "seed", "exact", "lemma"])
        hits = pd.DataFrame(index=range(len(series)))
    else:
        table = theme_taxonomy(taxonomy)
        hits = _theme_hits(words, series, language, table)
    labels = dict(zip(table["theme"], table["label"]))
    member = hits.to_numpy() > 0
    main = (np.where(member.any(axis=1), hits.columns.to_numpy(dtype=object)[hits.to_numpy().argmax(axis=1)], None)
            if hits.shape[1] else np.full(len(series), None))
    document_topic = pd.Series([labels.get(theme, pd.NA) if theme else pd.NA for theme in main],
                               index=series.index, dtype="string")
    membership = pd.DataFrame(member, index=series.index, columns=[labels[t] for t in hits.columns])
    seed_uses = hits.to_numpy(dtype=float)
    own_share = seed_uses / np.maximum(seed_uses.sum(axis=1, keepdims=True), 1)
    # how typical each text is of a topic: share of its seed words that are the theme's, then how many
    typicality = {labels[theme]: (own_share[:, i], seed_uses[:, i]) for i, theme in enumerate(hits.columns)}
    stability = {}

    if scores is None:
        score = sentiment(series)
    elif isinstance(scores, pd.Series):
        score = scores.astype(float).reindex(series.index)
    else:
        score = pd.Series(scores, dtype=float).set_axis(series.index)

    uncovered = present & ~member.any(axis=1)
    # one term however its accents are typed ("otimo" is "ótimo"), named as most often written
    words["discovery_term"], spelled = _one_spelling(words["discovery_term"])
    lemma_text = words.groupby("position")["discovery_term"].agg(" ".join).reindex(range(len(series)), fill_value="")
    stops = sorted(set(fold_accents(pd.Series(sorted(word for word in set().union(
        *(stop_words(lang) for lang in set(language[uncovered]) if _has_stop_words(lang))) if _TERM.fullmatch(word)),
        dtype=object))))
    coherence = pd.Series(dtype=float, name="coherence").rename_axis("n_topics")
    discovered = _discover(lemma_text[uncovered], stops, spelled, n_topics=n_topics, max_topics=max_topics,
                           n_terms=n_terms, min_df=min_df, n_boot=n_boot,
                           random_state=random_state) if uncovered.any() else None
    discovered_info = pd.DataFrame(columns=["topic", "terms", "stability"])
    if discovered is not None:
        assigned, weight, discovered_info, coherence = _named_by_what_they_say(
            *discovered, score[uncovered].to_numpy(), set(language[uncovered]))
        rows = uncovered.nonzero()[0]
        document_topic.iloc[rows] = pd.array(assigned, dtype="string")
        own_weight = np.zeros(len(series))
        own_weight[rows] = weight
        for label in discovered_info["topic"]:
            typicality[label] = (own_weight, np.zeros(len(series)))
            membership[label] = False
            membership.iloc[rows, membership.columns.get_loc(label)] = assigned == label
        stability = dict(zip(discovered_info["topic"], discovered_info["stability"]))
    elif taxonomy is False:
        raise DataError(_("Topics need texts sharing words (at least %(min_df)s texts using each term); the %(n)s texts "
                          "given share too few.") % {"min_df": format_count(min_df),
                                                      "n": format_count(int(present.sum()))})

    theme_terms = {labels[t]: _seed_terms_used(words, table, member[:, i], t) for i, t in enumerate(hits.columns)}
    terms = theme_terms | dict(zip(discovered_info["topic"], discovered_info["terms"]))
    rows = []
    n_with_topic = int(membership.any(axis=1).sum())
    for label in membership.columns:
        mask = membership[label].to_numpy()
        if not mask.any():
            continue
        s = score[mask]
        share, uses = (values[mask] for values in typicality[label])
        typical = mask.nonzero()[0][np.lexsort((-uses, -share))][:_CANDIDATES]   # stable: ties keep text order
        mix = language[mask].value_counts(normalize=True)
        rows.append({"topic": label, "kind": "theme" if label in theme_terms else "discovered",
                     "terms": terms[label], "n": int(mask.sum()), "share": mask.sum() / max(n_with_topic, 1),
                     "languages": _language_mix(mix),
                     "sentiment": s.mean(), "positive": (s > 0.05).mean(), "negative": (s < -0.05).mean(),
                     "stability": stability.get(label, np.nan),
                     "examples": distinct(redact_pii(series.iloc[typical]), limit=_EXAMPLES)})
    columns = ["topic", "kind", "terms", "n", "share", "languages", "sentiment", "positive", "negative",
               "stability", "examples"]
    summary = pd.DataFrame(rows, columns=columns).sort_values("n", ascending=False, kind="stable")
    summary = suppress_small(summary, size_col="n", min_group_size=min_group_size, label_col="topic").reset_index(drop=True)
    return Topics(summary=summary, document_topic=document_topic, membership=membership[list(summary["topic"])],
                  coherence=coherence)


def _one_spelling(terms: pd.Series) -> tuple[pd.Series, dict]:
    """*terms* without accents, and each as it is most often written ("otimo" -> "ótimo"; ties: the first in
    alphabetical order)."""
    folded = fold_accents(terms)
    counts = pd.DataFrame({"key": folded, "term": terms}).value_counts().rename("count").reset_index()
    shown = counts.sort_values(["count", "term"], ascending=[False, True]).drop_duplicates("key")
    return folded, dict(zip(shown["key"], shown["term"]))


def _named_by_what_they_say(assigned, typicality, info: pd.DataFrame, coherence, scores, languages):
    """The discovered topics, those whose top terms are at least half words of opinion
    (:func:`~cxresearch.text.opinion_words`: "produto, excelente, gostar, vir, comprar, satisfeito, amar, adorar")
    named "General praise" or "General complaint" by their texts' mean sentiment and merged into one topic each:
    texts that say how they feel about no subject, not a subject. A merged topic's terms alternate between its
    parts, the largest first; its stability is the mean of theirs."""
    names = {}
    for label, terms in zip(info["topic"], info["terms"]):
        top = pd.Series(terms.split(", "), dtype=object)
        opinions = pd.concat([opinion_words(top, lang) for lang in languages if lang] or [top.map(bool) & False],
                             axis=1).any(axis=1)
        if opinions.mean() >= _OPINION_SHARE:
            tone = np.nanmean(scores[assigned == label]) if (assigned == label).any() else np.nan
            names[label] = _("General complaint") if tone < 0 else _("General praise")
    if not names:
        return assigned, typicality, info, coherence
    renamed = np.array([names.get(label, label) for label in assigned], dtype=object)
    size = pd.Series(assigned).value_counts()
    parts = info.assign(size=info["topic"].map(size).fillna(0), topic=info["topic"].replace(names))
    merged = parts.sort_values("size", ascending=False, kind="stable").groupby("topic", sort=False).agg(
        terms=("terms", _alternated), stability=("stability", "mean"))
    info = merged.reindex(list(dict.fromkeys(parts["topic"]))).reset_index()
    return np.where(assigned == None, None, renamed), typicality, info, coherence   # noqa: E711


def _alternated(term_lists: pd.Series) -> str:
    """"a, b" and "c, a" -> "a, c, b": the first terms of each list, then the second ones..., once each, as many as
    the longest list holds."""
    lists = [terms.split(", ") for terms in term_lists]
    ordered = dict.fromkeys(term for rank in itertools.zip_longest(*lists) for term in rank if term is not None)
    return ", ".join(list(ordered)[:max(map(len, lists))])


def _has_stop_words(lang: str) -> bool:
    import stopwordsiso

    return bool(lang) and stopwordsiso.has_lang(lang)


def _language_mix(shares: pd.Series) -> str:
    """"Portuguese 98%, Spanish 2%": each language of a topic's texts by name with its share, those under 1% as one
    "other languages" (short texts are often mistaken for another language)."""
    shown = shares[shares >= 0.005]
    unknown = _("language unknown")
    words = [f"{language_name(code) if code else unknown} {format_percent(share, decimals=0)}"
             for code, share in shown.items()]
    if len(shown) < len(shares):
        words.append(_("other languages <1%"))
    return ", ".join(words)

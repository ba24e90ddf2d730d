"""Topics of customer texts: NMF on TF-IDF, labelled by their top terms, with sentiment.

:func:`topics` is deterministic (NNDSVD initialisation and a fixed
``random_state``) and drops English and Italian stop words. With
``n_topics="auto"`` it fits 2..``max_topics`` topics and keeps the number whose
topics are most coherent: the mean normalised pointwise mutual information
(NPMI) of the pairs of each topic's top 5 terms, counted on document
co-occurrence.
Every example text it returns goes through :func:`~cxresearch.privacy.redact_pii`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer

from .errors import DataError, ParameterError
from .privacy import redact_pii
from .text import sentiment, stop_words

__all__ = ["Topics", "topics"]

_COHERENCE_TERMS = 5


@dataclass(frozen=True)
class Topics:
    """Topics found in a set of texts.

    Attributes
    ----------
    summary : DataFrame
        One row per topic, largest first: ``topic`` (label: its top 3 terms),
        ``terms`` (top terms, comma separated), ``n`` and ``share`` of documents,
        ``sentiment`` (mean score), ``positive`` and ``negative`` (shares of
        documents scoring above 0.05 / below -0.05) and ``examples`` (up to
        three redacted texts most typical of the topic).
    document_topic : Series
        Topic label of each text, aligned on the input index (missing for texts
        with no known term).
    coherence : Series
        Mean NPMI coherence by number of topics tried.
    """

    summary: pd.DataFrame
    document_topic: pd.Series
    coherence: pd.Series

    @property
    def n_topics(self) -> int:
        """Number of topics."""
        return len(self.summary)


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


def topics(texts, *, n_topics="auto", max_topics: int = 10, n_terms: int = 8, scores=None,
           min_df: int = 3, random_state: int = 0) -> Topics:
    """Find the topics of *texts*, label them, and cross them with sentiment.

    Parameters
    ----------
    texts : list or Series of str
    n_topics : int or "auto"
        Number of topics, or ``"auto"`` to pick the most coherent of 2..max_topics.
    n_terms : int
        Top terms kept per topic.
    scores : Series or array, optional
        Sentiment of each text (a Series is aligned on the texts' index, an
        array by position); computed with
        :func:`~cxresearch.text.sentiment` when not given.
    min_df : int
        A term must occur in at least this many texts.
    random_state : int
        Seed of the NMF solver.
    """
    series = pd.Series(texts, dtype="object").astype("string")
    if not (n_topics == "auto" or (isinstance(n_topics, (int, np.integer)) and n_topics >= 1)):
        raise ParameterError(f"n_topics must be a positive integer or 'auto'; got {n_topics!r}.")
    present = series.fillna("").str.strip() != ""
    vectorizer = TfidfVectorizer(stop_words=sorted(stop_words("en") | stop_words("it")), min_df=min_df,
                                 max_df=0.5, max_features=5000, sublinear_tf=True,
                                 token_pattern=r"(?u)\b[^\W\d_]{3,}\b")
    try:
        matrix = vectorizer.fit_transform(series[present].to_numpy(dtype=object))
    except ValueError as error:
        raise DataError(f"topics needs texts sharing words (at least {min_df} texts per term); found "
                        f"{int(present.sum())} non-empty texts: {error}") from None
    vocabulary = vectorizer.get_feature_names_out()
    binary = (matrix > 0).astype(float).tocsc()

    candidates = range(2, max_topics + 1) if n_topics == "auto" else [int(n_topics)]
    fits = {}
    for k in candidates:
        if k > min(matrix.shape):
            break
        model = NMF(n_components=k, init="nndsvd", random_state=random_state, max_iter=1000)
        weights = model.fit_transform(matrix)
        top = np.argsort(-model.components_, axis=1)[:, :max(n_terms, _COHERENCE_TERMS)]
        fits[k] = (weights, top, _npmi(binary, top[:, :_COHERENCE_TERMS]))
    if not fits:
        raise DataError(f"topics needs more texts and terms than topics; found {matrix.shape[0]} texts and "
                        f"{matrix.shape[1]} terms for n_topics={n_topics!r}.")
    coherence = pd.Series({k: fit[2] for k, fit in fits.items()}, name="coherence").rename_axis("n_topics")
    weights, top, _ = fits[int(coherence.idxmax())]

    labels = np.array([", ".join(vocabulary[row[:3]]) for row in top])
    has_terms = weights.sum(axis=1) > 0
    topic_index = weights.argmax(axis=1)
    document_topic = pd.Series(pd.NA, index=series.index, dtype="string")
    document_topic.iloc[present.to_numpy().nonzero()[0][has_terms]] = labels[topic_index[has_terms]]

    if scores is None:
        score = sentiment(series)
    elif isinstance(scores, pd.Series):
        score = scores.astype(float).reindex(series.index)
    else:
        score = pd.Series(scores, dtype=float).set_axis(series.index)
    frame = pd.DataFrame({"topic": document_topic, "sentiment": score, "text": series})
    share_of_topic = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
    frame.loc[present, "typicality"] = share_of_topic[np.arange(len(topic_index)), topic_index]
    grouped = frame.dropna(subset=["topic"]).groupby("topic")
    summary = grouped.agg(n=("text", "size"), sentiment=("sentiment", "mean"),
                          positive=("sentiment", lambda s: (s > 0.05).mean()),
                          negative=("sentiment", lambda s: (s < -0.05).mean()))
    examples = (frame.dropna(subset=["topic"]).sort_values("typicality", ascending=False, kind="stable")
                .groupby("topic").head(3).groupby("topic")["text"].agg(lambda t: list(redact_pii(t))))
    summary = summary.assign(terms=pd.Series({label: ", ".join(vocabulary[row[:n_terms]])
                                              for label, row in zip(labels, top)}),
                             share=summary["n"] / has_terms.sum(), examples=examples)
    summary = summary.sort_values("n", ascending=False).reset_index()
    columns = ["topic", "terms", "n", "share", "sentiment", "positive", "negative", "examples"]
    return Topics(summary=summary[columns], document_topic=document_topic, coherence=coherence)

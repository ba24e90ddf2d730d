"""Text: language detection, sentiment (lexicon and supervised), topics."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from cxresearch import load_dataset
from cxresearch.errors import ParameterError
from cxresearch.synthetic import generate
from cxresearch.text import detect_language, fit_sentiment, sentiment
from cxresearch.topics import topics

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CLOTHING = SHARED_DATA / "womens_ecommerce_clothing_reviews" / "Womens Clothing E-Commerce Reviews.csv"


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    folder = generate(tmp_path_factory.mktemp("demo") / "demo", customers=5000, seed=7)
    reviews = load_dataset(folder).reviews
    return reviews[reviews["text"].notna()].reset_index(drop=True)


def test_detect_language_of_short_texts():
    texts = ["The delivery was late", "La consegna è arrivata in ritardo", "Ottimo", "Perfect",
             "Prodotto ottimo, consegna veloce", "Great value", "", None]
    assert detect_language(texts).tolist() == ["en", "it", "it", "en", "it", "en", pd.NA, pd.NA]


def test_detect_language_recovers_the_demo_languages(reviews):
    detected = detect_language(reviews["text"])
    assert (detected == reviews["language"]).mean() >= 0.98


@pytest.mark.parametrize("text, sign", [
    ("Great service, very fast!", 1), ("Terrible, never again", -1), ("not good at all", -1),
    ("Prodotto ottimo, consegna veloce", 1), ("Non è buono", -1), ("Pessimo servizio", -1),
    ("Consegna senza problemi", 1), ("Commessa gentilissima", 1), ("Pacco arrivato rotto", -1),
])
def test_sentiment_sign_of_clear_sentences(text, sign):
    assert np.sign(sentiment([text]).iloc[0]) == sign


def test_negation_and_boosters_change_the_score():
    en = sentiment(["good", "very good", "not good"], lang="en").tolist()
    it = sentiment(["buono", "molto buono", "non buono"], lang="it").tolist()
    for plain, boosted, negated in (en, it):
        assert boosted > plain > 0 > negated


def test_sentiment_keeps_index_bounds_and_missing_texts():
    texts = pd.Series(["Amazing!!!", None, "", "awful awful awful terrible horrible"], index=[5, 6, 7, 8])
    scores = sentiment(texts)
    assert scores.index.tolist() == [5, 6, 7, 8]
    assert scores.isna().tolist() == [False, True, True, False]
    assert scores.dropna().between(-1, 1).all() and scores[8] < -0.9


def test_sentiment_rejects_unknown_language():
    with pytest.raises(ParameterError, match="'en', 'it'"):
        sentiment(["hola"], lang="es")


def test_sentiment_agrees_with_demo_star_ratings_in_each_language(reviews):
    polar = reviews[reviews["rating"] != 3]
    scores = sentiment(polar["text"])
    for language in ("en", "it"):
        mine = polar["language"] == language
        agree = (scores[mine] > 0) == (polar.loc[mine, "rating"] >= 4)
        assert agree.mean() >= 0.85, language


def test_supervised_sentiment_learns_from_ratings_and_scores_held_out_reviews(reviews):
    train, test = reviews.iloc[::2], reviews.iloc[1::2]
    model = fit_sentiment(train["text"], train["rating"])
    polar = test[test["rating"] != 3]
    scores = sentiment(polar["text"], model=model)
    assert scores.between(-1, 1).all()
    assert roc_auc_score(polar["rating"] >= 4, scores) >= 0.9


@pytest.mark.skipif(not CLOTHING.exists(), reason=f"real clothing reviews not found at {CLOTHING}")
def test_sentiment_agrees_with_real_clothing_review_ratings():
    raw = pd.read_csv(CLOTHING)
    raw = raw[raw["Review Text"].notna() & (raw["Rating"] != 3)]
    text = raw["Title"].fillna("") + ". " + raw["Review Text"]
    scores = sentiment(text, lang="en")
    positive = raw["Rating"] >= 4
    assert ((scores > 0) == positive).mean() >= 0.80
    assert roc_auc_score(positive, scores) >= 0.80


def test_topics_find_planted_themes_deterministically():
    rng = np.random.default_rng(0)
    themes = {"delivery": "delivery late parcel courier delayed tracking".split(),
              "staff": "staff rude shop assistant helpful cashier".split(),
              "app": "app crashes login screen freezes update".split()}
    labels = rng.choice(list(themes), size=150)
    texts = pd.Series([" ".join(rng.choice(themes[label], size=3, replace=False)) for label in labels])
    first, second = topics(texts, min_df=2), topics(texts, min_df=2)
    assert first.n_topics == 3
    assert first.summary.equals(second.summary)
    crossed = pd.crosstab(first.document_topic, labels)
    assert (crossed.max(axis=1) == crossed.sum(axis=1)).all()      # every topic holds one theme
    assert first.summary["n"].sum() == 150


def test_topic_examples_are_redacted():
    texts = pd.Series(["chat wait hour answer mario@example.it"] * 6 + ["price cheap value good"] * 6)
    result = topics(texts, n_topics=2, min_df=2)
    examples = " ".join(" ".join(e) for e in result.summary["examples"])
    assert "@" not in examples and "[email]" in examples


@pytest.mark.parametrize("order", ["sliced", "sorted", "shuffled"])
def test_topics_label_each_text_by_its_own_index(order):
    texts = pd.Series(["delivery late parcel courier"] * 8 + ["price cheap value money"] * 8,
                      index=range(100, 116))
    frame = {"sliced": texts.iloc[2:-2], "sorted": texts.sort_values(ascending=False),
             "shuffled": texts.sample(frac=1, random_state=3)}[order]
    scores = pd.Series(np.where(frame.str.startswith("delivery"), -0.5, 0.5), index=frame.index)
    result = topics(frame, n_topics=2, min_df=2, scores=scores.sample(frac=1, random_state=4))
    assert result.document_topic.index.equals(frame.index)
    delivery = result.document_topic[frame.str.startswith("delivery")]
    price = result.document_topic[frame.str.startswith("price")]
    assert delivery.nunique() == price.nunique() == 1 and delivery.iloc[0] != price.iloc[0]
    assert "delivery" in delivery.iloc[0] or "late" in delivery.iloc[0] or "parcel" in delivery.iloc[0]
    by_topic = result.summary.set_index("topic")["sentiment"]
    assert by_topic[delivery.iloc[0]] == -0.5 and by_topic[price.iloc[0]] == 0.5

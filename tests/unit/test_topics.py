"""Topics: multilingual CX themes, membership, discovered topics, alignment on the input index."""
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxresearch import i18n, load_dataset
from cxresearch.errors import DataError, ParameterError
from cxresearch.synthetic import generate
from cxresearch.text import detect_language
from cxresearch.topics import theme_taxonomy, topics

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
OLIST_REVIEWS = SHARED_DATA / "olist_ecommerce_sample15k" / "olist_order_reviews_dataset.csv"
DELIVERY_LABELS = Path(__file__).resolve().parents[1] / "data" / "olist_delivery_labels.csv"


def test_a_late_parcel_is_one_theme_in_every_language():
    texts = pd.Series(["The parcel arrived late", "Il pacco è arrivato in ritardo", "A entrega atrasou muito",
                       "Die Lieferung kam zu spät", "El paquete llegó con retraso", "Le colis est arrivé en retard",
                       "The staff were rude and the refund never came"], index=[10, 11, 12, 13, 14, 15, 16])
    result = topics(texts, scores=np.zeros(7), n_boot=0, min_group_size=1)
    assert result.document_topic.iloc[:6].eq("Delivery").all()
    assert result.membership.index.equals(texts.index)
    assert result.membership.loc[16, ["Staff and service", "Returns and refunds"]].all()   # several themes
    assert not result.membership.loc[16, "Delivery"]
    assert result.membership.dtypes.eq(bool).all()


def test_taxonomy_extends_with_new_themes_and_seeds():
    table = theme_taxonomy({"loyalty": {"label": "Loyalty programme", "en": ["points", "loyalty card"]},
                            "delivery": {"it": ["fattorino"]}})
    assert {"Loyalty programme", "Delivery"} <= set(table["label"])
    assert "fattorino" in set(table.loc[(table["theme"] == "delivery") & (table["lang"] == "it"), "seed"])
    texts = ["I lost all my points", "Il fattorino era simpatico", "My loyalty card was refused"]
    result = topics(texts, taxonomy={"loyalty": {"label": "Loyalty programme", "en": ["points", "loyalty card"]},
                                     "delivery": {"it": ["fattorino"]}}, scores=[0, 0, 0], n_boot=0)
    assert result.document_topic.tolist() == ["Loyalty programme", "Delivery", "Loyalty programme"]
    with pytest.raises(ParameterError, match="loyalty"):
        theme_taxonomy({"loyalty": ["points"]})


def test_discovered_topics_find_planted_themes_deterministically():
    rng = np.random.default_rng(0)
    themes = {"garden": "garden lawn mower hedge trimmer shovel".split(),
              "kitchen": "kitchen kettle toaster blender spatula oven".split(),
              "music": "guitar strings amplifier piano drums violin".split()}
    labels = rng.choice(list(themes), size=150)
    texts = pd.Series([" ".join(rng.choice(themes[label], size=3, replace=False)) for label in labels])
    first = topics(texts, taxonomy=False, min_df=2, scores=np.zeros(150), n_boot=5)
    second = topics(texts, taxonomy=False, min_df=2, scores=np.zeros(150), n_boot=5)
    assert first.n_topics == 3 and first.summary["kind"].eq("discovered").all()
    assert first.summary.drop(columns="examples").equals(second.summary.drop(columns="examples"))
    crossed = pd.crosstab(first.document_topic, labels)
    assert (crossed.max(axis=1) == crossed.sum(axis=1)).all()      # every topic holds one planted theme
    assert first.summary["n"].sum() == 150
    assert first.summary["stability"].between(0.8, 1).all()        # clear themes come back in every resample


def test_topic_examples_are_redacted():
    texts = pd.Series(["chat wait hour answer mario@example.it"] * 6 + ["price cheap value good"] * 6)
    result = topics(texts, min_df=2, scores=np.zeros(12), n_boot=0)
    examples = " ".join(" ".join(e) for e in result.summary["examples"])
    assert "@" not in examples and "[email]" in examples


def test_topic_examples_are_the_themes_own_texts_without_near_repeats():
    shipping = "Excellent service. Shipping was quick and the tracking always worked."
    texts = pd.Series([shipping, shipping + " Highly recommended.", "Great! " + shipping + " I will buy it again.",
                       "Poor quality: the fabric is flimsy.", "Poor quality: the fabric is flimsy!",
                       "The material feels cheaply made, the quality is poor.",
                       "Broken and defective after two days."], index=range(20, 27))
    summary = topics(texts, scores=np.zeros(7), n_boot=0, min_group_size=1).summary.set_index("topic")
    # quality's examples are texts about quality only, one of the repeated pair, ...
    assert summary.loc["Product quality", "examples"] == [
        "Poor quality: the fabric is flimsy.", "The material feels cheaply made, the quality is poor.",
        "Broken and defective after two days."]
    # ... and a mixed text only where no text of the theme alone is left; its repeats with more words around never
    assert summary.loc["Delivery", "examples"] == [shipping]


@pytest.mark.parametrize("order", ["sliced", "sorted", "shuffled"])
def test_topics_label_each_text_by_its_own_index(order):
    texts = pd.Series(["delivery late parcel courier"] * 8 + ["price cheap value money"] * 8, index=range(100, 116))
    frame = {"sliced": texts.iloc[2:-2], "sorted": texts.sort_values(ascending=False),
             "shuffled": texts.sample(frac=1, random_state=3)}[order]
    scores = pd.Series(np.where(frame.str.startswith("delivery"), -0.5, 0.5), index=frame.index)
    result = topics(frame, scores=scores.sample(frac=1, random_state=4), n_boot=0)
    assert result.document_topic.index.equals(frame.index) and result.membership.index.equals(frame.index)
    assert result.document_topic[frame.str.startswith("delivery")].eq("Delivery").all()
    assert result.document_topic[frame.str.startswith("price")].eq("Price").all()
    by_topic = result.summary.set_index("topic")["sentiment"]
    assert by_topic["Delivery"] == -0.5 and by_topic["Price"] == 0.5


def test_no_theme_of_the_bilingual_demo_is_one_language(tmp_path):
    surveys = load_dataset(generate(tmp_path / "demo", customers=1500, random_state=11)).surveys
    comments = surveys["comment"].dropna()
    result = topics(comments, n_boot=0)
    themes = result.summary[result.summary["kind"] == "theme"]
    assert len(themes) >= 6
    language = detect_language(comments)
    for label in themes["topic"]:
        shares = language[result.membership[label]].value_counts(normalize=True)
        assert shares.max() <= 0.9, (label, shares.to_dict())
    assert result.document_topic.notna().mean() > 0.95


@pytest.mark.skipif(not OLIST_REVIEWS.exists(), reason=f"Olist reviews not found at {OLIST_REVIEWS}")
def test_delivery_theme_catches_late_and_missing_olist_deliveries():
    labels = pd.read_csv(DELIVERY_LABELS, comment="#")
    raw = pd.read_csv(OLIST_REVIEWS).drop_duplicates("review_id").set_index("review_id")
    comments = raw["review_comment_message"].dropna()
    sample = pd.concat([comments.drop(labels["review_id"]).sample(800, random_state=0),
                        comments.loc[labels["review_id"]]])
    delivery = topics(sample, scores=np.zeros(len(sample)), n_boot=0).membership["Delivery"]
    caught = delivery.loc[labels["review_id"]].to_numpy()
    late = labels["late_or_missing"].eq(1).to_numpy()
    about = labels["about_delivery"].eq(1).to_numpy()
    assert caught[late].mean() >= 0.9                    # recall on late or missing deliveries
    assert about[caught].mean() >= 0.75                  # precision against "says something about delivery"


def test_dataset_yml_extends_the_taxonomy(tmp_path):
    folder = generate(tmp_path / "demo", customers=150, random_state=3)
    config = folder / "dataset.yml"
    original = config.read_text(encoding="utf-8")
    config.write_text(original + "topic_taxonomy:\n  loyalty:\n    label: Loyalty programme\n"
                                 "    en: [points, loyalty card]\n    it: [punti, tessera]\n", encoding="utf-8")
    ds = load_dataset(folder)
    assert ds.topic_taxonomy["loyalty"]["it"] == ["punti", "tessera"]
    result = topics(["My loyalty card has no points", "Ho perso i punti della tessera"],
                    taxonomy=ds.topic_taxonomy, scores=[0, 0], n_boot=0)
    assert result.document_topic.eq("Loyalty programme").all()
    config.write_text(original + "topic_taxonomy:\n  loyalty: [points]\n", encoding="utf-8")
    with pytest.raises(DataError, match="topic_taxonomy"):
        load_dataset(folder)


def test_stop_words_are_not_lemmatised_into_topic_terms():
    texts = ["Comprei uma cadeira linda para a sala", "Comprei cadeiras lindas para a cozinha",
             "Cadeira linda, comprei duas", "Comprei mesa e cadeira lindas"] * 3   # "uma" in a quarter of them
    result = topics(texts, taxonomy=False, scores=np.zeros(len(texts)), n_topics=1, min_df=2, n_boot=0,
                    min_group_size=1)
    terms = " ".join(result.summary["terms"])
    assert "umar" not in terms and "uma" not in terms.split(", ")
    # ...while themes still match a stop word through its lemma ("worked" -> "work", the seed "working"'s lemma)
    themes = topics(["It worked for a week, then it stopped", "The delivery was late and the parcel was damaged"],
                    scores=[0, 0], n_boot=0, min_group_size=1).membership
    assert themes.loc[0, "Product quality"]


def test_the_topic_table_shows_terms_as_written_and_examples_one_after_another():
    from cxresearch.display import pretty

    summary = topics(["The parcel arrived late", "Late parcel, again", "Rude staff in the store"], scores=[0, 0, 0],
                     n_boot=0).summary
    html = pretty(summary).to_html()
    for terms, examples in summary[["terms", "examples"]].itertuples(index=False):
        assert f">{terms}<" in html and f">{' · '.join(examples)}<" in html      # not "p · a · r · c · e · l"


def test_themes_of_fewer_texts_than_the_smallest_group_are_left_out_with_a_note():
    from cxresearch.errors import SmallGroupWarning

    texts = ["The delivery was late again"] * 6 + ["The price is too high"] * 3 + ["ok"] * 5
    with pytest.warns(SmallGroupWarning, match="1 group with fewer than 5 members hidden: “Price”."):
        found = topics(texts, n_topics=2, n_boot=0, min_group_size=5)
    assert (found.summary["n"] >= 5).all() and len(found.summary)
    assert list(found.membership.columns) == list(found.summary["topic"])
    shown = topics(texts, n_topics=2, n_boot=0, min_group_size=1).summary
    assert (shown["n"] < 5).any()


def test_a_topic_model_that_did_not_settle_is_a_note_not_a_library_warning(monkeypatch):
    import sys
    import warnings

    from cxresearch.errors import DataWarning

    texts = ["Comprei uma cadeira linda para a sala", "Comprei cadeiras lindas para a cozinha",
             "Cadeira linda, comprei duas", "Comprei mesa e cadeira lindas"] * 3
    monkeypatch.setattr(sys.modules["cxresearch.topics"], "_NMF_ITERATIONS", 2)   # too few to settle
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        topics(texts, taxonomy=False, scores=np.zeros(12), n_topics=2, min_df=2, n_boot=3, min_group_size=1)
    assert [(w.category, str(w.message)) for w in caught] == [
        (DataWarning, "The discovered topics come from a model that had not settled after 2 iterations, on the 12 "
                      "texts no theme covers: read their terms as rough.")]   # once, and no ConvergenceWarning


def test_a_topics_languages_read_by_name_and_the_stray_ones_as_other_languages():
    from cxresearch.topics import _language_mix

    mix = pd.Series({"pt": 0.994, "es": 0.004, "sl": 0.002})        # Olist: "pt 100%, es 0%" before
    assert _language_mix(mix) == "Portuguese 99%, other languages <1%"
    with i18n.using("it"):
        assert _language_mix(pd.Series({"it": 0.7, "en": 0.3})) == "italiano 70%, inglese 30%"


def test_portuguese_waiting_time_is_waiting_not_hoping_or_expecting():
    texts = pd.Series(["Era exatamente o que eu esperava, produto muito bom",
                       "Espero que resolvam o meu problema com o produto",
                       "Produto conforme o esperado, recomendo a loja",
                       "Estou esperando o meu produto faz um mês",
                       "Tive que esperar quase uma semana pelo produto",
                       "O tempo de espera foi enorme para o produto"])
    waiting = topics(texts, scores=np.zeros(6), n_boot=0, min_group_size=1).membership["Waiting time"]
    assert waiting.tolist() == [False, False, False, True, True, True]
    table = theme_taxonomy()
    exact = table[(table["lang"] == "pt") & (table["theme"] == "waiting_time") & table["exact"]]
    assert "esperando" in set(exact["seed"]) and exact["lemma"].equals(exact["seed"])


def test_texts_that_only_praise_are_named_general_praise_and_accents_make_no_second_term():
    """Portuguese reviews: "otimo" is "ótimo" typed without its accent; a topic of opinion words is no subject."""
    words = ["ótimo", "otimo", "excelente", "perfeito", "adorei", "recomendo", "maravilhoso", "amei"]
    praise = [f"{a.capitalize()}, {b}!" for a, b in itertools.permutations(words, 2)][:40] + ["Ótimo, ótimo!"] * 10
    things, colours = ["camiseta", "caneca", "mochila", "cadeira"], ["azul", "verde", "preta", "branca", "vermelha"]
    subject = [f"A {thing} veio na cor {colour}, modelo {thing} de {colour}" for thing in things for colour in colours]
    found = topics(praise + subject * 2, taxonomy=False, n_topics=2, n_boot=0, min_df=2)
    summary = found.summary.set_index("topic")
    assert summary.loc["General praise", "n"] == 50 and summary.loc["General praise", "sentiment"] > 0.5
    terms = summary.loc["General praise", "terms"].split(", ")
    assert "ótimo" in terms and "otimo" not in terms     # one term, written as most reviews write it
    subject_topic = summary.index.drop("General praise")[0]
    assert not subject_topic.startswith("General") and "cor" in subject_topic
    assert found.membership["General praise"].sum() == 50 and set(found.document_topic.dropna()) == set(summary.index)
    with i18n.using("it"):
        italian = topics(praise + subject * 2, taxonomy=False, n_topics=2, n_boot=0, min_df=2).summary["topic"]
    assert "Lodi generiche" in set(italian)


def test_two_topics_of_praise_are_one_general_praise_with_the_terms_of_both():
    """Praise in two vocabularies is two NMF topics of opinion words: the reader sees one topic, not two lists."""
    excellent, loved = ["ótimo", "excelente", "perfeito", "maravilhoso"], ["adorei", "recomendo", "amei", "super"]
    praise = [f"{a.capitalize()}, {b}!" for words in (excellent, loved) for a, b in itertools.permutations(words, 2)]
    things, colours = ["camiseta", "caneca", "mochila", "cadeira"], ["azul", "verde", "preta", "branca", "vermelha"]
    subject = [f"A {thing} veio na cor {colour}, modelo {thing} de {colour}" for thing in things for colour in colours]
    found = topics(praise * 2 + subject * 2, taxonomy=False, n_topics=3, n_boot=2, min_df=2)
    summary = found.summary.set_index("topic")
    assert len(summary) == 2 and summary.loc["General praise", "n"] == 48 == found.membership["General praise"].sum()
    terms = summary.loc["General praise", "terms"].split(", ")
    assert len(terms) == 8 and {"ótimo", "excelente", "adorar", "recomendar"} <= set(terms)   # lemmas of both
    assert set(found.document_topic.iloc[:48]) == {"General praise"}
    assert 0 <= summary.loc["General praise", "stability"] <= 1


def test_texts_without_topics_are_one_error_in_the_pages_language():
    with pytest.raises(DataError, match="all 2 are empty or missing"):
        topics(["", None], n_boot=0)
    with i18n.using("it"), pytest.raises(DataError, match=r"almeno 3 testi per ogni termine\); i 2 testi forniti"):
        topics(["Una sedia blu", "Un tavolo verde"], taxonomy=False, scores=[0, 0], n_boot=0)

"""PersonaModel: scikit-learn contract, planted personas of the demo data, stability, names and cards."""
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from cxresearch import i18n, load_dataset
from cxresearch.dataset import CXDataset
from cxresearch.display import pretty
from cxresearch.errors import DataError, ParameterError, SmallGroupWarning
from cxresearch.features import NoCustomerDataError, persona_basis, persona_sources
from cxresearch.personas import (PersonaModel, PersonaState, PersonaStateWarning, UnstablePersonasWarning,
                                 fit_personas, persona_card, persona_card_data, projection_data,
                                 representative_quotes)
from cxresearch.personas.profiles import feature_label, standardised_differences
from cxresearch.synthetic import generate


@parametrize_with_checks([PersonaModel(n_bootstrap=3, random_state=0),
                          PersonaModel(method="gmm", n_bootstrap=3, random_state=0)])
def test_scikit_learn_contract(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnstablePersonasWarning)
        check(estimator)


# ----------------------------------------------------------------- demo data
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = generate(tmp_path_factory.mktemp("demo"), customers=3000, random_state=42)
    ds = load_dataset(folder)
    features, model = fit_personas(ds, random_state=7)
    truth = pd.read_csv(folder / "truth" / "personas.csv", dtype=str).set_index("customer_id")["persona"]
    planted = json.loads((folder / "truth" / "personas.json").read_text())
    return ds, features, truth.reindex(features.index), planted, model


def test_auto_k_recovers_the_planted_personas(demo):
    _, features, truth, planted, model = demo
    assert model.n_personas_ == truth.nunique() == len(planted)
    assert adjusted_rand_score(truth, model.labels_) >= 0.9
    assert model.personas_["stability"].min() >= model.stability_threshold and not model.personas_["unstable"].any()
    assert model.segmentation_ is None and model.separation_.max() <= 0.5 + 0.05
    chosen = model.selection_.loc[model.n_personas_]
    assert chosen["eligible"] and model.selection_["chosen"].sum() == 1


def test_predicting_the_training_data_returns_the_labels(demo):
    _, features, _, _, model = demo
    pd.testing.assert_series_equal(model.predict(features), model.labels_)
    proba = model.predict_proba(features)
    assert np.allclose(proba.sum(axis=1), 1)
    assert (model.persona_ids_[proba.argmax(axis=1)] == model.labels_.to_numpy()).mean() > 0.99


def test_same_seed_and_shuffled_rows_give_the_same_personas(demo):
    _, features, _, _, model = demo
    again = PersonaModel(active=persona_basis(features), random_state=7).fit(features)
    pd.testing.assert_series_equal(again.labels_, model.labels_)
    shuffled = features.sample(frac=1, random_state=3)
    permuted = PersonaModel(active=persona_basis(features), random_state=7).fit(shuffled)
    pd.testing.assert_series_equal(permuted.labels_.reindex(features.index), model.labels_)
    assert permuted.personas_["name"].tolist() == model.personas_["name"].tolist()


def test_persona_table_is_consistent(demo):
    _, features, _, _, model = demo
    table = model.personas_
    assert table["size"].tolist() == model.labels_.value_counts().sort_index().tolist()
    assert table["size"].is_monotonic_decreasing  # ids ordered by size
    assert table["share"].sum() == pytest.approx(1)
    assert table["name"].is_unique and table["name"].str.len().gt(0).all()
    assert ((table["nps_low"] <= table["nps"]) & (table["nps"] <= table["nps_high"])).all()
    assert table["csat"].between(0, 100).all()
    app = model.profiles_["share_app"].idxmax()
    assert table.loc[app, "name"].startswith("App-first") and table.loc[app, "channels"].startswith("app")


def test_cards_are_self_contained_escaped_and_quote_redacted_text(demo):
    ds, features, _, _, model = demo
    quotes = representative_quotes(model, features, ds)
    assert set(quotes["persona"]) <= set(model.personas_.index)
    assert not quotes["quote"].str.contains("@example").any()
    card = persona_card(model, 0, quotes=quotes)
    assert card._repr_html_() == card
    assert model.personas_.loc[0, "name"] in card and "NPS" in card and "95% interval" in card
    assert "http" not in card and "<script" not in card and "<link" not in card


def test_quotes_represent_their_persona_in_tone_and_never_repeat(demo):
    ds, features, _, _, model = demo
    quotes = representative_quotes(model, features, ds)
    shown = model.personas_.index[~model.personas_["suppressed"]]
    assert set(quotes["persona"]) == set(shown)  # every demo persona wrote something
    nps = model.personas_["nps"]
    for persona, mine in quotes.groupby("persona"):
        if len(mine) == 2:  # a mixed persona: one of each, labelled
            assert sorted(mine["label"]) == ["negative", "positive"] == sorted(mine["tone"])
        else:  # agrees with the persona's NPS where that is clearly on one side
            assert mine["label"].tolist() == [""]
            if nps[persona] > 20:
                assert mine["tone"].tolist() == ["positive"], (persona, nps[persona], mine)
            if nps[persona] < -20:
                assert mine["tone"].tolist() == ["negative"], (persona, nps[persona], mine)
    words = [frozenset(q.casefold().replace(".", " ").split()) for q in quotes["quote"]]
    assert all(len(a & b) / len(a | b) < 0.7 for i, a in enumerate(words) for b in words[i + 1:])
    store = model.profiles_["share_store"].idxmax()  # the satisfied store-first persona of issue 19
    assert "negative" not in quotes.loc[quotes["persona"] == store, "tone"].tolist() or nps[store] < 20


def test_a_quote_says_what_its_label_says():
    from cxresearch.personas.quotes import _agrees
    texts = pd.Series(["Attesa lunghissima in chat e poi è caduta la linea.",       # a complaint with NPS 10 (issue 19)
                       "Servizio eccellente. Attesa lunghissima in chat e poi è caduta la linea. Consigliatissimo.",
                       "Ordinare dall'app richiede un minuto.",                       # no scored word: neutral
                       "La qualità dei prodotti è eccellente.", "Never again. The staff were rude and unhelpful.",
                       "Great service, quick delivery."], index=range(10, 16))
    positive = _agrees(texts, pd.Series("positive", index=texts.index))
    negative = _agrees(texts, pd.Series("negative", index=texts.index))
    assert positive.tolist() == [False, False, False, True, False, True]  # a praise holding a complaint is not
    assert negative.tolist() == [True, False, False, False, True, False]  # quoted for either side
    assert _agrees(texts, pd.Series("", index=texts.index)).all()  # no tone to agree with


def test_quote_tones_come_from_the_authors_own_scores():
    from cxresearch.personas.quotes import _texts, _wanted_tones
    surveys = pd.DataFrame({"customer_id": ["a", "b", "c", "d", None], "nps": [10, 3, np.nan, 8, 10],
                            "csat": [1, 5, 5, 2, 5], "comment": ["Great", "Bad", "Fine", "Meh", "Orphan"]})
    reviews = pd.DataFrame({"customer_id": ["a", "b"], "rating": [2, 4], "text": ["Broken", "  "]})
    texts = _texts(CXDataset(name="t", surveys=surveys, reviews=reviews))
    # NPS first (10 positive, 3 negative, 8 passive is no tone), then CSAT (5 positive); empty texts dropped
    assert texts.values.tolist() == [["a", "Great", "positive"], ["b", "Bad", "negative"], ["c", "Fine", "positive"],
                                     ["d", "Meh", ""], ["a", "Broken", "negative"]]
    tones = lambda p, n: _wanted_tones(pd.Series(["positive"] * p + ["negative"] * n + [""] * 3))  # noqa: E731
    assert tones(4, 2) == ["positive"] and tones(1, 2) == ["negative"] and tones(3, 2) == ["positive", "negative"]
    assert tones(0, 0) == [""]


def test_projection_data_has_one_point_per_sampled_customer(demo):
    _, features, _, _, model = demo
    projection = projection_data(model, features, sample=500, random_state=0)
    points = projection.points
    assert len(points) == 500 and set(points.columns) == {"pc1", "pc2", "persona", "name"}
    first, second = projection.explained_variance
    assert 0 < second <= first and first + second <= 1
    assert (points["persona"] == model.labels_.loc[points.index]).all()


# ------------------------------------------------------------- small literal data
@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=400, centers=[[0, 0, 0], [6, 0, 0], [0, 6, 0]], cluster_std=0.8, random_state=0)
    frame = pd.DataFrame(X, columns=["spend", "age", "frequency"], index=[f"c{i:03d}" for i in range(400)])
    frame["region"] = np.where(y == 2, "north", "south")
    return frame, y


def test_gmm_and_fixed_k(blobs):
    frame, y = blobs
    gmm = PersonaModel(method="gmm", n_bootstrap=5, random_state=0).fit(frame)
    assert gmm.n_personas_ == 3 and adjusted_rand_score(y, gmm.labels_) > 0.95
    with pytest.warns(UnstablePersonasWarning, match="k=4 has stability"):  # four personas in three blobs
        fixed = PersonaModel(4, stability_threshold=0.9, n_bootstrap=5, random_state=0).fit(frame)
    assert fixed.n_personas_ == 4 and list(fixed.selection_.index) == [4]


def test_align_to_keeps_ids_and_names_and_reports_changes(blobs):
    frame, y = blobs
    first = PersonaModel(3, n_bootstrap=5, random_state=0).fit(frame).rename({0: "Core", 1: "Second", 2: "Third"})
    # the same customers, ordered so that a different cluster is largest
    later = frame.drop(frame.index[y == 0][:50])
    second = PersonaModel(3, n_bootstrap=5, random_state=1).fit(later).align_to(first)
    shared = later.index
    pd.testing.assert_series_equal(second.labels_, first.labels_.loc[shared])
    assert second.personas_["name"].to_dict() == first.personas_["name"].to_dict()
    assert set(second.alignment_["status"]) == {"kept"}

    # the third persona moves far away: it vanishes and a new one appears
    moved = frame.copy()
    moved.loc[y == 2, "age"] -= 6
    moved.loc[y == 2, "frequency"] += 12
    third = PersonaModel(3, n_bootstrap=5, random_state=0).fit(moved).align_to(first)
    status = third.alignment_.set_index("status")
    gone = first.labels_[y == 2].iloc[0]
    assert status.loc["vanished", "previous_id"] == gone
    assert status.loc["new", "persona"] == 3  # the next free id
    assert (third.labels_[y == 2] == 3).all()
    pd.testing.assert_series_equal(third.labels_[y != 2], first.labels_[y != 2])
    assert sorted(third.personas_.index) == sorted(set(first.personas_.index) - {gone} | {3})
    assert third.personas_.index.name == first.personas_.index.name   # no id column appears in the aligned table


def test_the_next_periods_same_segments_keep_their_ids_whatever_only_describes_them(blobs):
    """A second run on the next period showed every persona as vanished and new: its journey reach, ratings and
    other describing features had all moved. Matching weighs the features that shaped the personas."""
    frame, y = blobs
    rng = np.random.default_rng(0)

    def period(shift: float) -> pd.DataFrame:
        described = pd.DataFrame(rng.normal(shift, 1.0, (len(frame), 20)), index=frame.index,
                                 columns=[f"reached_step_{i}" for i in range(20)])
        return frame.join(described)
    basis = ["spend", "age", "frequency"]
    first = PersonaModel(3, active=basis, n_bootstrap=3, random_state=0).fit(period(0.0))
    second = PersonaModel(3, active=basis, n_bootstrap=3, random_state=1).fit(period(1.0)).align_to(first)
    assert set(second.alignment_["status"]) == {"kept"}
    pd.testing.assert_series_equal(second.labels_, first.labels_)


def test_alignment_reads_as_a_table_in_the_readers_language(blobs):
    frame, y = blobs
    first = PersonaModel(3, n_bootstrap=5, random_state=0).fit(frame)
    moved = frame.copy()
    moved.loc[y == 2, "age"] -= 6
    moved.loc[y == 2, "frequency"] += 12
    aligned = PersonaModel(3, n_bootstrap=5, random_state=0).fit(moved).align_to(first)
    with i18n.using("it"):
        html = pretty(aligned.alignment_).to_html()
        distance = i18n.format_significant(aligned.alignment_["distance"].dropna().iloc[0])
    assert ">Distanza<" in html and ">Id precedente<" in html and ">Stato<" in html
    assert ">confermata<" in html and ">nuova<" in html and ">scomparsa<" in html and ">kept<" not in html
    assert f">{distance}<" in html   # a score: three significant digits, decimal comma


def test_rename_validates_ids_and_uniqueness(blobs):
    model = PersonaModel(3, n_bootstrap=3, random_state=0).fit(blobs[0])
    assert model.rename({1: "Night owls"}).personas_.loc[1, "name"] == "Night owls"
    with pytest.raises(ParameterError, match="unknown persona id"):
        model.rename({9: "x"})
    with pytest.raises(ParameterError, match="unique"):
        model.rename({0: "Night owls"})
    with pytest.raises(ParameterError, match="empty"):
        model.rename({0: " "})


def test_card_escapes_text_and_suppresses_small_personas(blobs):
    model = PersonaModel(3, n_bootstrap=3, random_state=0).fit(blobs[0]).rename({0: "<b>Bold</b> & co"})
    card = persona_card(model, 0, quotes=pd.Series({0: "Mail me at mario.rossi@example.it <script>"}))
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in card and "<b>Bold" not in card
    assert "[email]" in card and "&lt;script&gt;" in card and "mario.rossi" not in card
    with pytest.warns(SmallGroupWarning):
        small = persona_card(model, 0, min_group_size=10_000)
    assert "fewer than 10000 customers" in small and "Bold" not in small


def test_card_data_shows_shares_as_fractions_and_labels_a_mixed_personas_two_voices(blobs):
    model = PersonaModel(3, n_bootstrap=3, random_state=0).fit(blobs[0])
    quotes = pd.DataFrame({"persona": [0, 0, 1], "quote": ["Loved it all", "Hated the wait", "Fine overall"],
                           "tone": ["positive", "negative", "positive"], "label": ["positive", "negative", ""]})
    card = persona_card_data(model, 0, quotes=quotes)
    assert card.size == model.personas_.loc[0, "size"] and card.n_total == 400
    assert card.share == pytest.approx(card.size / 400) and card.share_low < card.share < card.share_high < 1
    assert [(q.text, q.tone) for q in card.quotes] == [("Loved it all", "positive"), ("Hated the wait", "negative")]
    assert [q.tone for q in persona_card_data(model, 1, quotes=quotes).quotes] == [""]
    assert card.attributes[-1].label == "region" and sum(s for _, s in card.attributes[-1].distribution) == 1
    assert len({t.label.split(":")[0] for t in card.traits}) == len(card.traits)  # one trait per attribute
    hidden = persona_card_data(model, 0, min_group_size=10_000)
    assert hidden.suppressed and hidden.name == "Persona 0" and not hidden.traits


def test_card_data_reads_in_the_readers_language(blobs):
    """Attribute names and values in the reader's words and separators: 'età 6,13 (tutti: 1,99)' in Italian."""
    model = PersonaModel(3, n_bootstrap=3, random_state=0).fit(blobs[0])
    north = int(model.profiles_["region=north"].idxmax())
    with i18n.using("it"):
        italian = [(a.label, a.value, a.overall) for a in persona_card_data(model, north).attributes]
    english = [(a.label, a.value, a.overall) for a in persona_card_data(model, north).attributes]
    assert italian == [("età", "6,13", "1,99"), ("regione", "north (100%)", "")]
    assert english == [("age", "6.13", "1.99"), ("region", "north (100%)", "")]


def test_standardised_differences_known_answer():
    values = pd.DataFrame({"x": [1.0, 2.0, 3.0, 5.0, 6.0, 7.0], "y": [1.0] * 6, "yes": [1.0, 1, 1, 0, 0, 0]})
    d = standardised_differences(values, np.array([0, 0, 0, 1, 1, 1]))
    # means 2 vs 6 over an overall SD of sqrt(28 / 5); a constant column has no difference;
    # a yes/no trait every member shares stays bounded: 1 / sqrt(0.3), not an infinite pooled-SD effect
    assert d["x"].tolist() == pytest.approx([-4 / np.sqrt(5.6), 4 / np.sqrt(5.6)])
    assert d["y"].tolist() == [0.0, 0.0]
    assert d["yes"].tolist() == pytest.approx([1 / np.sqrt(0.3), -1 / np.sqrt(0.3)])


def test_unstable_data_warns_and_bad_parameters_list_choices():
    noise = np.random.default_rng(0).uniform(size=(200, 2))
    with pytest.warns(UnstablePersonasWarning, match="No stable segmentation"):
        model = PersonaModel(k_range=(2, 4), stability_threshold=1.0, n_bootstrap=3, random_state=0).fit(noise)
    assert model.n_personas_ == 1 and model.segmentation_.startswith("No stable segmentation")
    assert model.personas_["name"].tolist() == ["All customers"] and model.labels_.eq(0).all()
    # scikit-learn's declared constraints, its wording, raised as our ParameterError
    with pytest.raises(ParameterError, match="'method' parameter of PersonaModel must be a str among .*'gmm'"):
        PersonaModel(method="dbscan").fit(noise)
    with pytest.raises(ParameterError, match="active columns .* Did you mean 'spend'"):
        PersonaModel(active=["spned"]).fit(pd.DataFrame(noise, columns=["spend", "age"]))
    with pytest.raises(ParameterError, match="'n_personas' parameter of PersonaModel must be a str among {'auto'} or"):
        PersonaModel("many").fit(noise)
    with pytest.raises(ParameterError, match="'k_range' parameter of PersonaModel must be a pair"):
        PersonaModel(k_range=(5, 3)).fit(noise)


# --------------------------------------------------------------- charts, widget
def test_charts_draw_the_model_outputs(demo):
    from cxresearch.charts.personas import (k_selection_chart, persona_sizes_chart, persona_traits_chart,
                                            projection_chart, trait_heatmap)
    _, features, _, _, model = demo
    sizes = persona_sizes_chart(model.personas_)
    assert list(sizes.data[0].x) == model.personas_["size"].tolist()[::-1]
    heat = trait_heatmap(model.traits_, model.personas_, top=6)
    assert heat.data[0].z.shape == (model.n_personas_, 6) and list(heat.data[0].y) == model.personas_["name"].tolist()
    bars = persona_traits_chart(model.traits_.loc[0], top=4)
    assert abs(bars.data[0].x[-1]) == model.traits_.loc[0].abs().max()
    points = projection_data(model, features, sample=300, random_state=0)
    assert sum(len(trace.x) for trace in projection_chart(points).data) == 300   # points: a Projection
    k_chart = k_selection_chart(model.selection_, stability_threshold=0.75)
    assert {shape.x0 for shape in k_chart.layout.shapes if shape.line.dash == "dash"} == {model.n_personas_}


def test_sizes_chart_leaves_out_small_personas():
    from cxresearch.charts.personas import persona_sizes_chart
    table = pd.DataFrame({"name": ["Big", "Tiny"], "size": [40, 3], "share": [0.93, 0.07]})
    with pytest.warns(SmallGroupWarning):
        figure = persona_sizes_chart(table, min_group_size=5)
    assert list(figure.data[0].y) == ["Big"]


def test_explorer_shows_the_selected_persona(demo):
    from cxresearch.widgets.personas import PersonaExplorer
    _, _, _, _, model = demo
    explorer = PersonaExplorer(model)
    assert model.personas_.loc[0, "name"] in explorer.card.value
    explorer.persona.value = 2
    assert model.personas_.loc[2, "name"] in explorer.card.value
    assert len(explorer.persona.options) == (~model.personas_["suppressed"]).sum()


# ------------------------------------------------------- whatever per-customer source exists
@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    return load_dataset(generate(tmp_path_factory.mktemp("small"), customers=400, random_state=3))


@pytest.mark.parametrize("tables", [("events",), ("surveys",), ("reviews",), ("customers",)])
def test_personas_come_from_any_single_per_customer_table(small_demo, tables):
    ds = CXDataset(name="part", **{t: getattr(small_demo, t) for t in tables})
    assert persona_sources(ds) == list(tables)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnstablePersonasWarning)
        features, model = fit_personas(ds, n_bootstrap=3, random_state=0)
    assert model.labels_.index.equals(features.index)
    # personas, or one group and the sentence saying why there is no stable segmentation
    assert model.n_personas_ >= 3 or (model.n_personas_ == 1 and "No stable segmentation" in model.segmentation_)
    quotes = representative_quotes(model, features, ds)  # no texts in some shapes: no rows
    assert set(quotes["persona"]) <= set(model.personas_.index)


def test_no_per_customer_source_is_one_plain_sentence(small_demo):
    unlinked = CXDataset(name="nps export", surveys=small_demo.surveys.drop(columns="customer_id"),
                         reviews=small_demo.reviews.assign(customer_id=None))
    assert persona_sources(unlinked) == []
    with pytest.raises(NoCustomerDataError, match="customer_id") as raised:
        fit_personas(unlinked)
    assert isinstance(raised.value, DataError) and "\n" not in str(raised.value)
    few = CXDataset(name="few", customers=small_demo.customers.head(7))
    with pytest.raises(NoCustomerDataError, match="7 customers found"):
        fit_personas(few)
    bare = CXDataset(name="ids only", customers=small_demo.customers[["customer_id"]])
    with pytest.raises(NoCustomerDataError, match="share every feature"):
        fit_personas(bare)


# ------------------------------------------------------ state between runs, in plain files
def test_saved_state_keeps_ids_and_names_in_the_next_run(blobs, tmp_path):
    from cxresearch.summary import save_persona_model

    frame, y = blobs
    first = PersonaModel(3, n_bootstrap=3, random_state=0).fit(frame).rename({0: "Core", 1: "Second", 2: "Third"})
    save_persona_model(first, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(PersonaState.FILES)
    assert json.loads((tmp_path / "persona_model.json").read_text())["personas"]["name"] == ["Core", "Second", "Third"]
    state = PersonaState.read(tmp_path)
    pd.testing.assert_frame_equal(state.profiles, first.profiles_)
    pd.testing.assert_frame_equal(state.centroids, first.centroids_)
    later = frame.drop(frame.index[y == 0][:50])
    second = PersonaModel(3, n_bootstrap=3, random_state=1).fit(later).align_to(state)
    pd.testing.assert_series_equal(second.labels_, first.labels_.loc[later.index])
    assert second.personas_["name"].to_dict() == first.personas_["name"].to_dict()
    assert set(second.alignment_["status"]) == {"kept"}


@pytest.mark.parametrize("damage", ["truncated json", "other format", "bad parquet", "other personas", "pickle only"])
def test_unreadable_state_warns_and_the_run_goes_on_unaligned(blobs, tmp_path, damage):
    from cxresearch.summary import save_persona_model

    frame, _ = blobs
    save_persona_model(PersonaModel(3, n_bootstrap=3, random_state=0).fit(frame), tmp_path)
    meta = tmp_path / "persona_model.json"
    if damage == "truncated json":
        meta.write_text(meta.read_text()[:40])
    elif damage == "other format":
        meta.write_text(json.dumps({"format": "something else", "version": 7}))
    elif damage == "bad parquet":
        (tmp_path / "persona_profiles.parquet").write_bytes(b"PAR1 not really")
    elif damage == "other personas":
        (tmp_path / "persona_centroids.parquet").write_bytes(
            PersonaState.of(PersonaModel(2, n_bootstrap=3, random_state=0).fit(frame)).files()[
                "persona_centroids.parquet"])
    else:
        for name in PersonaState.FILES:
            (tmp_path / name).unlink()
        (tmp_path / "persona_model.pkl").write_bytes(b"\x80\x04not to be loaded")
    with pytest.warns(PersonaStateWarning, match="not aligned"):
        assert PersonaState.read(tmp_path) is None
    model = PersonaModel(3, n_bootstrap=3, random_state=0).fit(frame)  # fitted afresh, no alignment
    assert not hasattr(model, "alignment_")


def test_no_saved_state_is_silent(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert PersonaState.read(tmp_path) is None


def test_traits_that_say_the_same_thing_are_named_once():
    from cxresearch.personas.profiles import correlations, distinct
    values = pd.DataFrame({"total_charges": [1.0, 2, 3, 4, 5, 6], "total_revenue": [1.1, 2, 3.2, 4, 5.1, 6],
                           "months_left": [6.1, 5, 4, 3.2, 2, 1], "age": [3.0, 1, 2, 6, 4, 5]},
                          index=[f"c{i}" for i in range(6)])
    similar = correlations(values)
    assert similar.loc["total_charges", "total_revenue"] > 0.99 and similar.loc["age", "total_charges"] < 0.8
    assert similar.loc["total_charges", "months_left"] < -0.99   # the same thing the other way round
    order = ["total_charges", "total_revenue", "months_left", "age", "plan=basic", "plan=plus"]
    assert distinct(order, similar) == ["total_charges", "age", "plan=basic"]  # one per attribute, no redundant one
    assert distinct(order, similar, kept=["total_revenue"]) == ["age", "plan=basic"]  # already said by the name
    assert correlations(values.iloc[::-1]).equals(similar)  # row order does not matter


def test_personas_alike_in_the_lexicon_are_told_apart_by_their_strongest_other_trait():
    from cxresearch.personas.names import name_personas
    traits = pd.DataFrame({"frequency": [1.0, 1.2, -0.9], "recency_days": [-0.8, -0.7, 0.9],
                           "outcome=approved": [2.5, -0.3, -0.5], "outcome=open": [-0.2, 5.8, -0.3]})
    names = name_personas(traits, traits, pd.Series([False, False, False]))
    assert names.tolist() == ["Frequent recently active customers with approved outcome",
                              "Frequent recently active customers with open outcome", "Occasional lapsing customers"]


# ------------------------------------------------------ bootstrap refits that stop once settled
def test_refits_are_settled_only_when_every_persona_is_clear_of_the_thresholds():
    from cxresearch.personas.selection import settled
    steady = np.array([[0.99, 0.97], [0.98, 0.97], [0.99, 0.96], [0.99, 0.98], [0.98, 0.97]])
    assert settled(steady, (0.6, 0.85))                    # every persona surely above both
    assert not settled(steady, ())                          # nothing to decide: never stop early
    below = steady.copy()
    below[:, 1] = [0.30, 0.35, 0.25, 0.32, 0.28]
    assert settled(below, (0.6, 0.85))                     # one persona surely under 0.6: not eligible, whatever else
    straddling = steady.copy()
    straddling[:, 1] = [0.50, 0.70, 0.55, 0.65, 0.60]
    assert not settled(straddling, (0.6, 0.85))            # its interval holds 0.6
    between = steady.copy()
    between[:, 1] = [0.80, 0.90, 0.78, 0.92, 0.85]
    assert not settled(between, (0.6, 0.85))               # surely above 0.6, but 0.85 still open
    between[:, 1] = [0.74, 0.75, 0.73, 0.75, 0.74]
    assert settled(between, (0.6, 0.85))                   # eligible, not highly stable: settled


def test_bootstrap_refits_stop_early_on_clear_personas_and_not_without_thresholds():
    from functools import partial

    from sklearn.cluster import KMeans

    from cxresearch.personas.selection import MIN_REFITS, bootstrap_jaccard
    X, y = make_blobs(300, centers=[[0, 0], [10, 10], [-10, 10]], random_state=0)
    rng = np.random.RandomState(0)
    make = partial(KMeans, 3, n_init=3, random_state=0)
    early = bootstrap_jaccard(X, y, 3, make, 10, rng, thresholds=(0.6, 0.85))
    full = bootstrap_jaccard(X, y, 3, make, 10, rng)
    assert early.shape == (MIN_REFITS, 3) and full.shape == (10, 3)
    assert early.mean(axis=0).min() > 0.99 and full.mean(axis=0).min() > 0.99


def test_a_name_never_says_one_family_of_traits_both_ways():
    """Satisfied by NPS but unhappy in reviews: the stronger trait names it ("delighted"), once."""
    from cxresearch.personas.names import name_personas
    traits = pd.DataFrame({"nps": [1.4, -0.9], "review_rating": [-0.9, 1.1], "csat": [0.8, -0.6],
                           "age": [0.7, -0.7]})
    names = name_personas(traits, traits, pd.Series([False, False])).tolist()
    assert names == ["Delighted senior customers", "Delighted young customers"]  # the strongest of the family
    assert not any("delighted" in n.lower() and "disappointed" in n.lower() for n in names)


def test_card_reads_yes_no_columns_as_shares_rare_categories_as_other_and_numbers_in_the_locale(blobs):
    """The clothing reviews' card showed "recommended 0.822" and "class: infrequent_sklearn"."""
    from cxresearch import i18n
    frame, y = blobs
    rng = np.random.default_rng(0)
    classes = np.array([f"class {i}" for i in range(20)])            # more than the encoder keeps (12)
    frame = frame.assign(recommended=(rng.uniform(size=len(frame)) < np.where(y == 0, 0.9, 0.3)).astype(float),
                         product=classes[rng.integers(0, 20, size=len(frame))], age=frame["age"] + 30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnstablePersonasWarning)
        model = PersonaModel(3, n_bootstrap=3, random_state=0).fit(frame)
    card = persona_card_data(model, 0)
    shown = {a.label: a for a in card.attributes}
    recommended = frame["recommended"][model.labels_ == 0].mean()
    assert shown["recommended"].value == i18n.format_percent(recommended, decimals=0)
    assert shown["recommended"].overall == i18n.format_percent(frame["recommended"].mean(), decimals=0)
    age = frame["age"][model.labels_ == 0].mean()
    assert shown["age"].value == i18n.format_significant(age) and 29 < age < 31   # 3 digits, no trailing zero
    assert "other" in dict(shown["product"].distribution)
    html = persona_card(model, 0)
    assert "infrequent" not in html and "sklearn" not in html
    with i18n.using("it"):
        card = persona_card_data(model, 0)
        shown = {a.label: a for a in card.attributes}
        assert "altro" in dict(shown["product"].distribution)
        assert shown[feature_label("age")].value == i18n.format_significant(age)     # in the page's locale


def test_a_difference_under_a_small_effect_is_no_trait():
    """A UTF-16 export's persona read "survey answers -0.0 SD" as its top trait: under 0.2 SD is no trait."""
    from cxresearch.personas.names import telling_traits, traits_in_words
    traits = pd.Series({"n_surveys": -0.004, "age": 0.91, "region=centro": 0.03, "plan=premium": -0.25})
    assert telling_traits(traits) == ["age", "plan=premium"]
    assert traits_in_words(traits, ["age", "plan=premium"]) == "above-average age, less often premium plan"
    assert telling_traits(traits.where(traits.abs() < 0.2, 0.1)) == []
    assert traits_in_words(traits, []) == "none: every trait within 0.2 SD of the other customers"
    with i18n.using("it"):
        assert traits_in_words(traits, ["age", "plan=premium"]) == "età sopra la media, meno spesso piano premium"
        assert traits_in_words(traits, []) == "nessuna: ogni caratteristica entro 0,2 DS dagli altri clienti"


def test_traits_read_as_a_manager_says_them_in_both_languages():
    """Persona tables listed "payment_type: boleto +2.5 SD", "internet service: No", "rating_seat_comfort"."""
    from cxresearch.personas.names import trait_words
    cases = {("payment_type=boleto", 2.5): ("more often boleto payment type", "più spesso payment type boleto"),
             ("internet_service=No", 2.4): ("more often without internet service", "più spesso senza internet service"),
             ("internet_service=No", -0.9): ("more often with internet service", "più spesso con internet service"),
             ("rating_seat_comfort", -1.4): ("rate seat comfort lower", "valutano peggio seat comfort"),
             ("reached_delivery", -0.6): ("reach delivery less often", "raggiungono meno spesso consegna"),
             ("share_email", 0.6): ("use email more", "usano di più email"),
             ("installments", 1.6): ("above-average installments", "installments sopra la media"),
             ("age=missing", -1.0): ("more often with age known", "più spesso con età disponibile")}
    for (column, effect), (english, italian) in cases.items():
        assert trait_words(column, effect) == english
        with i18n.using("it"):
            assert trait_words(column, effect) == italian


def test_a_trait_a_stronger_one_explains_is_told_once():
    """Telco's "no phone service" persona also listed its low long distance charges, which follow from it; its
    DSL internet does not, and stays. A trait the stronger one predicts the other way round stays too."""
    from cxresearch.personas.names import telling_traits
    traits = pd.Series({"phone_service=No": 3.4, "avg_monthly_long_distance_charges": -1.6,
                        "internet_type=DSL": 1.2, "age": 0.5})
    def correlations(phone_and_distance: float) -> pd.DataFrame:
        return pd.DataFrame([[1.0, phone_and_distance, 0.2, 0.0], [phone_and_distance, 1.0, 0.0, 0.0],
                             [0.2, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]], index=traits.index, columns=traits.index)
    assert telling_traits(traits, correlations(-0.48)) == ["phone_service=No", "internet_type=DSL", "age"]
    assert "avg_monthly_long_distance_charges" in telling_traits(traits, correlations(0.48))


def test_a_category_in_a_name_reads_as_a_group_a_manager_knows():
    """"Senior customers with plan premium" read the column, not the customers: the category comes first."""
    from cxresearch.personas.names import name_personas
    traits = pd.DataFrame({"age": [1.9, -1.3], "plan=premium": [0.7, -0.1], "contract=Month-to-Month": [0.1, 0.9]})
    names = name_personas(traits, traits, pd.Series([False, False]))
    assert names.tolist() == ["Senior customers with premium plan", "Young customers with Month-to-Month contract"]
    with i18n.using("it"):
        assert name_personas(traits, traits, pd.Series([False, False]))[0] == "Clienti senior con piano premium"
    telco = pd.DataFrame({"tenure_in_months": [-1.2, 1.2], "csat": [-0.9, 0.9]})  # "... with low tenure in months"
    assert name_personas(telco, telco, pd.Series([False, False])).tolist() == ["New disappointed customers",
                                                                               "Long-time delighted customers"]
    travel = pd.DataFrame({"satisfied": [-1.0, 1.0], "type_of_travel=Personal Travel": [1.2, -1.2]})
    assert name_personas(travel, travel, pd.Series([False, False]))[0] == "Disappointed customers with Personal Travel"


def test_goals_and_frustrations_come_from_the_touchpoints_each_persona_uses(demo):
    """Demo personas: a goal or frustration names a channel only when the persona uses it, compares the rating
    with all customers, and the planted support-seekers are frustrated by chat and delivery."""
    _, _, _, _, model = demo
    channels = {column.removeprefix("share_") for column in model.profiles_ if column.startswith("share_")}
    for persona in model.personas_.index:
        card = persona_card_data(model, persona)
        profile = model.profiles_.loc[persona]
        for line in card.goals + card.frustrations:
            touchpoint = line.split(":")[0].removesuffix(" rating").replace(" ", "_")
            if touchpoint in channels:
                assert profile[f"share_{touchpoint}"] >= 0.05 and "of their events" in line, line
        assert card.goals and card.frustrations and not card.notes
    service = model.profiles_["service_contacts"].idxmax()
    frustrations = persona_card_data(model, service).frustrations
    assert any(line.startswith("chat rating: ") for line in frustrations), frustrations
    assert any(line.startswith("delivery rating: ") for line in frustrations), frustrations
    app = model.profiles_["share_app"].idxmax()
    assert persona_card_data(model, app).goals[0].startswith("app rating: ")
    browsers = model.traits_["reached_purchase"].idxmin()
    assert any(line.startswith("fewer reach purchase: ") for line in persona_card_data(model, browsers).frustrations)
    with i18n.using("it"):
        assert "(tutti i clienti: " in persona_card_data(model, app).goals[0]


def test_a_card_without_rated_touchpoints_says_what_goals_would_need(blobs):
    model = PersonaModel(3, n_bootstrap=3, random_state=0).fit(blobs[0])
    card = persona_card_data(model, 0)
    assert card.goals == card.frustrations == ()
    assert card.notes == ("Goals and frustrations from ratings need survey columns that rate touchpoints "
                          "(rating_<touchpoint>, 1-5): this export has none.",)


def test_no_segmentation_names_the_condition_its_closest_candidate_fails(demo):
    """Surveys alone: the closest number of personas is stable but mirrored, and the sentence says so
    (it said "no number ... gives personas that all reappear in resamples (best: 3, least stable 0.92)")."""
    ds = CXDataset(name="surveys", surveys=demo[0].surveys)
    with pytest.warns(UnstablePersonasWarning):
        _, model = fit_personas(ds, random_state=7)
    assert model.segmentation_ is not None
    table = model.selection_
    closest = int(model.segmentation_.split("closest: ")[1].split()[0])
    reasons = model.segmentation_.split("where ")[1]
    row = table.loc[closest]
    assert ("mirror each other" in reasons) == bool(row["mirror_pairs"])
    assert ("least stable persona reappears" in reasons) == (row["min_stability"] < model.stability_threshold)
    assert not table["eligible"].any() and "some personas mirror each other" in reasons


def test_a_card_lists_traits_that_say_the_same_thing_once():
    """Telco cards listed "total charges" and "total revenue", "internet service: No" and "internet type: not
    given": the card leaves out a trait redundant with a stronger one, as the personas table does."""
    rng = np.random.default_rng(0)
    group = np.repeat([0, 1, 2], 100)
    charges = group * 3.0 + rng.normal(size=300)
    features = pd.DataFrame({"total_charges": charges, "total_revenue": charges * 1.1 + rng.normal(0, 0.05, 300),
                             "age": rng.normal(size=300) + (group == 1) * 2.0})
    model = PersonaModel(3, n_bootstrap=3, random_state=0).fit(features)
    for persona in model.personas_.index:
        labels = [trait.label for trait in persona_card_data(model, persona).traits]
        assert not {"total charges", "total revenue"} <= set(labels), labels
        columns = model.trait_columns_[persona]
        assert labels == [feature_label(column) for column in columns]
        assert len(model.personas_.loc[persona, "top_traits"].split(", ")) == len(columns)


def test_the_page_table_leaves_out_columns_that_say_nothing():
    """Without events every persona's channels are empty and, often, no persona is suppressed or unstable: the
    table drops those columns so that its KPIs fit the page (the NPS and CSAT n were cut off)."""
    from cxresearch.personas import overview
    table = pd.DataFrame({"name": ["A", "B"], "stability": [0.9, 0.5], "unstable": [False, True],
                          "channels": ["", ""], "suppressed": [False, False], "nps": [10.0, np.nan]})
    assert overview(table).columns.tolist() == ["name", "stability", "unstable", "nps"]
    shown = table.assign(channels=["app 73%", ""], suppressed=[False, True])
    assert overview(shown).columns.tolist() == table.columns.tolist()


def test_goals_and_frustrations_known_answer():
    """A channel they never use is neither goal nor frustration; an aspect (price) always counts; outcome stages
    more of them reach are goals, fewer frustrations; reaching service less is neither."""
    from cxresearch.personas.card import _goals
    columns = ["rating_app", "share_app", "rating_chat", "share_chat", "rating_price", "reached_purchase",
               "reached_service", "reached_loyalty"]
    profile = pd.Series([4.5, 0.7, 2.0, 0.0, 2.5, 0.95, 0.1, 0.1], index=columns)
    overall = pd.Series([4.0, 0.3, 2.5, 0.2, 3.3, 0.6, 0.5, 0.4], index=columns)
    traits = pd.Series([0.5, 1.5, -0.5, -1.0, -0.8, 0.9, -1.0, -0.7], index=columns)
    goals, frustrations, note = _goals(profile, overall, traits)
    assert goals == ("app rating: 4.5 / 5 (all customers: 4.0), 70% of their events",
                     "more reach purchase: 95% of them (all customers: 60%)")
    assert frustrations == ("price rating: 2.5 / 5 (all customers: 3.3)",
                            "fewer reach loyalty: 10% of them (all customers: 40%)")
    assert note is None
    unused = _goals(profile.drop(["rating_app", "rating_price"]), overall, traits)
    assert unused[0] == ("more reach purchase: 95% of them (all customers: 60%)",)
    assert unused[2] == "Goals and frustrations from ratings: they use none of the channels the surveys rate (chat)."
    with i18n.using("it"):
        assert _goals(profile, overall, traits)[0][1] == ("più di loro arrivano alla fase acquisto: il 95% "
                                                          "(tutti i clienti: 60%)")


def test_channel_words_in_names_and_tables_read_as_the_data_writes_them():
    """dunnhumby's Italian persona read "... spesso via campaign" while its card said "campagna": both keep the
    channel's own name (a channel called like a journey stage is no stage); a persona that uses a channel more
    than the rest but buys in store is not "campaign-heavy" either."""
    from cxresearch.personas.names import name_personas
    from cxresearch.personas.profiles import preferred_channels
    traits = pd.DataFrame({"share_campaign": [1.0, -1.0], "share_store": [-1.0, 1.0], "age": [0.9, -0.9]})
    profiles = pd.DataFrame({"share_campaign": [0.2, 0.01], "share_store": [0.8, 0.99], "age": [50.0, 30.0]})
    assert name_personas(traits, profiles, pd.Series([False, False])).tolist() == [
        "Senior customers using campaign more than the rest", "Store-first young customers"]
    with i18n.using("it"):
        assert name_personas(traits, profiles, pd.Series([False, False])).tolist() == [
            "Clienti senior che usano campaign più degli altri", "Clienti giovani via store"]
        assert preferred_channels(profiles.loc[0]) == "store 80%, campaign 20%"
    assert preferred_channels(profiles.loc[0]) == "store 80%, campaign 20%"


def test_ids_and_outcomes_name_no_persona_unless_they_shaped_it():
    """olist_funnel's personas read "40dec9f3... landing page id" as a trait and telco's the customer status
    (churned, stayed) the cards report as an outcome: neither is a trait, names and tables say real traits."""
    import hashlib
    rng = np.random.default_rng(0)
    group = np.repeat([0, 1, 2], 80)
    pages = np.array([hashlib.md5(str(i).encode()).hexdigest() for i in range(6)])
    features = pd.DataFrame({"spend": group * 3.0 + rng.normal(size=240), "age": rng.normal(size=240) + group,
                             "landing_page": pages[group * 2 + rng.integers(0, 2, 240)],
                             "customer_status": np.where(group == 0, "Churned", "Stayed")},
                            index=[f"c{i}" for i in range(240)])
    model = PersonaModel(3, active=["spend", "age"], n_bootstrap=3, random_state=0).fit(features)
    assert not model.traits_.columns.str.startswith("landing_page").any()
    assert model.traits_.columns.str.startswith("customer_status=").any()   # the heatmap still shows it
    for persona in model.personas_.index:
        assert set(model.trait_columns_[persona]) <= {"spend", "age"}
        assert not {"status", "Churned", "Stayed", "page"} & set(model.personas_.loc[persona, "name"].split())


def test_customers_with_few_distinct_profiles_print_no_convergence_warnings():
    """A 300-customer export of four categories let "ConvergenceWarning: Number of distinct clusters (3) found
    smaller than n_clusters (8)" out on stderr once per refit: the k it concerns is never chosen, so it is quiet."""
    from sklearn.exceptions import ConvergenceWarning
    rng = np.random.default_rng(0)
    features = pd.DataFrame({"plan": rng.choice(["basic", "plus"], 300), "region": rng.choice(["north", "south"], 300)},
                            index=[f"c{i}" for i in range(300)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", UnstablePersonasWarning)
        model = PersonaModel(n_bootstrap=3, random_state=0).fit(features)
    assert model.n_personas_ <= 4   # never more personas than distinct customers


def test_a_duration_all_customers_share_names_no_persona():
    """cdnow's one cohort read "New lapsing customers" though every tenure lies within 462-545 days: three weeks
    less than the rest is no "new"; recency, which spreads, still names them."""
    rng = np.random.default_rng(0)
    group = np.repeat([0, 1, 2], 100)
    features = pd.DataFrame({"tenure_days": 502 + 23 * rng.normal(size=300) - 25 * (group == 0),
                             "recency_days": rng.gamma(2, 30, 300) + 150 * (group == 0),
                             "avg_order_value": rng.normal(size=300) + 3 * (group == 1)},
                            index=[f"c{i}" for i in range(300)])
    model = PersonaModel(3, n_bootstrap=3, random_state=0).fit(features)
    assert "tenure_days" in model.traits_ and not any("tenure_days" in c for c in model.trait_columns_)
    names = " ".join(model.personas_["name"]).lower()
    assert "new" not in names and "long-time" not in names and "lapsing" in names


def test_ratings_of_one_direction_read_as_one_clause():
    """Airline personas read "Customers rating seat comfort lower and rating cleanliness lower"."""
    from cxresearch.personas.names import name_personas
    traits = pd.DataFrame({"rating_seat_comfort": [-1.4, 0.9], "rating_cleanliness": [-1.3, 0.8],
                           "reached_delivery": [-0.7, 0.0], "age": [0.0, 0.6]})
    assert name_personas(traits, traits, pd.Series([False, False])).tolist() == [
        "Customers rating seat comfort and cleanliness lower", "Senior customers rating seat comfort higher"]
    with i18n.using("it"):
        assert name_personas(traits, traits, pd.Series([False, False]))[0] == (
            "Clienti che valutano peggio seat comfort e cleanliness")


def test_two_columns_of_one_fact_shape_the_personas_once():
    """olist's personas clustered on CSAT and review stars, the same answer twice: the second does not shape them
    and a note says so."""
    from cxresearch.errors import DataWarning
    rng = np.random.default_rng(0)
    group = np.repeat([0, 1, 2], 80)
    csat = np.clip(np.round(3 + group - 1 + rng.normal(0, 0.5, 240)), 1, 5)
    features = pd.DataFrame({"csat": csat, "review_rating": csat, "age": rng.normal(size=240) + 2 * (group == 1)},
                            index=[f"c{i}" for i in range(240)])
    with pytest.warns(DataWarning, match="review_rating measure the same as csat"):
        model = PersonaModel(3, active=["csat", "review_rating", "age"], n_bootstrap=3, random_state=0).fit(features)
    assert model.active_ == ["csat", "age"] and "review_rating" in model.traits_

"""Topic impact: the outcome overall (NPS, CSAT, a 1/0 satisfaction) minus without the topic's answers, with bootstrap
intervals and FDR flags."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxresearch.errors import DataError, ParameterError, SmallGroupWarning
from cxresearch.topics import topics
from cxresearch.voice import topic_impact

# 12 answers: 7 promoters, 4 detractors, 1 passive -> overall NPS 100 * (7 - 4) / 12 = 25
SCORES = [0, 2, 4, 6, 10, 9, 10, 9, 8, 9, 10, 10]
LABELS = ["wait"] * 4 + ["staff"] * 5 + [None] * 3


def test_impact_is_overall_minus_nps_without_the_topic():
    result = topic_impact(pd.DataFrame({"nps": SCORES}), pd.Series(LABELS), min_group_size=4, n_boot=200)
    table = result.table.set_index("topic")
    assert result.overall == pytest.approx(25.0) and result.n == 12
    # without "wait": 7 promoters, 0 detractors in 8 -> 87.5; "wait" costs 62.5 points
    assert table.loc["wait", "outcome_without"] == pytest.approx(87.5)
    assert table.loc["wait", "outcome_impact"] == pytest.approx(25 - 87.5)
    assert table.loc["wait", "outcome"] == pytest.approx(-100.0)
    # without "staff" (10, 9, 10, 9, 8): 3 promoters, 4 detractors in 7 -> -100/7
    assert table.loc["staff", "outcome_impact"] == pytest.approx(25 + 100 / 7)
    assert table.index[0] == "wait" and table.loc["staff", "n"] == 5
    assert table.loc["wait", "share"] == pytest.approx(4 / 12)
    assert (table["outcome_impact_low"] <= table["outcome_impact"]).all()
    assert (table["outcome_impact"] <= table["outcome_impact_high"]).all()
    # one name, one unit: outcome_impact in NPS points, never the pain points' impact index; every column declared
    from cxresearch.columns import COLUMN_KINDS
    assert set(result.table.columns) <= set(COLUMN_KINDS) and COLUMN_KINDS["impact"] == "score"


def test_an_answer_may_carry_several_topics():
    membership = pd.DataFrame({"wait": [True] * 4 + [False] * 8,
                               "staff": [False] * 4 + [True] * 5 + [False] * 3,
                               "price": [True, False, False, False, True, True] + [False] * 6})
    table = topic_impact(pd.DataFrame({"nps": SCORES}), membership, min_group_size=3, n_boot=200).table
    price = table.set_index("topic").loc["price"]
    # without answers 0, 4, 5 (scores 0, 10, 9): 5 promoters, 3 detractors in 9
    assert price["n"] == 3 and price["outcome_impact"] == pytest.approx(25 - 100 * 2 / 9)
    single = topic_impact(pd.DataFrame({"nps": SCORES}), pd.Series(LABELS), min_group_size=3, n_boot=200).table
    both = table.set_index("topic").loc[["wait", "staff"], ["outcome_impact", "outcome_impact_low", "outcome_impact_high"]]
    pd.testing.assert_frame_equal(both, single.set_index("topic").loc[["wait", "staff"], ["outcome_impact", "outcome_impact_low", "outcome_impact_high"]])


def test_topics_are_matched_by_index_label_not_position():
    surveys = pd.DataFrame({"nps": SCORES}, index=range(100, 112)).sample(frac=1, random_state=3)
    labels = pd.Series(LABELS, index=range(100, 112))   # in the original order, surveys shuffled
    table = topic_impact(surveys, labels, min_group_size=4, n_boot=200).table.set_index("topic")
    assert table.loc["wait", "outcome_impact"] == pytest.approx(25 - 87.5)
    sliced = topic_impact(surveys.iloc[2:], labels, min_group_size=2, n_boot=200)
    assert sliced.n == 10
    with pytest.raises(ParameterError, match="indexed like the surveys"):
        topic_impact(surveys, pd.Series(LABELS, index=range(12)), min_group_size=4)


def test_a_frequent_mild_topic_outranks_a_tiny_extreme_one():
    rng = np.random.default_rng(1)
    scores = rng.choice([10, 9, 8, 7, 5, 3], size=2000, p=[.3, .2, .2, .1, .1, .1])
    labels = np.full(2000, None, dtype=object)
    labels[:8] = "broken"                    # 8 answers, all scored 0
    scores[:8] = 0
    mild = np.arange(8, 608)                 # 600 answers, half of them turned into detractors
    scores[mild[::2]] = 4
    labels[mild] = "delivery"
    table = topic_impact(pd.DataFrame({"nps": scores}), pd.Series(labels), n_boot=500).table
    assert table["topic"].tolist() == ["delivery", "broken"]
    assert table.loc[0, "significant"] and table.loc[1, "outcome"] == -100


def test_no_flags_on_topics_unrelated_to_the_score_and_the_planted_one_is_found():
    rng = np.random.default_rng(5)
    n = 3000
    scores = rng.integers(0, 11, size=n)
    membership = pd.DataFrame(rng.random((n, 20)) < 0.1, columns=[f"t{i}" for i in range(20)])
    membership["planted"] = scores <= 3
    result = topic_impact(pd.DataFrame({"nps": scores}), membership, n_boot=1000, random_state=1)
    table = result.table.set_index("topic")
    assert table.loc["planted", "significant"] and table.loc["planted", "outcome_impact"] < 0
    assert not table.drop(index="planted")["significant"].any()
    assert (table["q_value"] >= table["p_value"]).all()


def test_repeated_answers_widen_the_cluster_bootstrap():
    rng = np.random.default_rng(2)
    once = pd.DataFrame({"nps": rng.integers(0, 11, 300), "customer_id": [f"C{i}" for i in range(300)]})
    labels = pd.Series(np.where(rng.random(300) < 0.3, "wait", None))
    copies, copied_labels = pd.concat([once] * 4, ignore_index=True), pd.concat([labels] * 4, ignore_index=True)
    width = {}
    for name, frame, topic, cluster in [("once", once, labels, None), ("rows", copies, copied_labels, None),
                                        ("customers", copies, copied_labels, "customer_id")]:
        row = topic_impact(frame, topic, cluster_col=cluster, n_boot=1000, random_state=4).table.iloc[0]
        width[name] = row["outcome_impact_high"] - row["outcome_impact_low"]
    assert width["rows"] == pytest.approx(width["once"] / 2, rel=0.2)
    assert width["customers"] == pytest.approx(width["once"], rel=0.2)


def test_small_topics_are_suppressed_and_bad_arguments_explained():
    with pytest.warns(SmallGroupWarning):
        table = topic_impact(pd.DataFrame({"nps": SCORES}), pd.Series(LABELS), n_boot=100).table
    assert table["topic"].tolist() == ["staff"]
    with pytest.raises(ParameterError, match="fdr"):
        topic_impact(pd.DataFrame({"nps": SCORES}), pd.Series(LABELS), fdr=5)
    with pytest.raises(DataError, match="Topic impact needs an outcome in the surveys.*columns are score"):
        topic_impact(pd.DataFrame({"score": SCORES}), pd.Series(LABELS))
    with pytest.raises(ParameterError, match="score_col 'score' must be `nps`"):
        topic_impact(pd.DataFrame({"score": SCORES}), pd.Series(LABELS), score_col="score")
    with pytest.raises(ParameterError, match="no column 'nps'|nps"):
        topic_impact(pd.DataFrame({"score": SCORES}), pd.Series(LABELS), score_col="nps")


def test_no_topic_to_weigh_gives_an_empty_table_with_the_overall_nps():
    # every theme of a small export too small to show (issue 19): membership without columns
    texts = ["The delivery was late again"] * 3 + ["The price is too high"] * 3 + ["ok"] * 4
    with pytest.warns(SmallGroupWarning, match="2 groups with fewer than 5 members hidden: “Delivery” and “Price”."):
        found = topics(texts, n_topics=2, n_boot=0, min_group_size=5)
    assert found.membership.shape == (10, 0)
    result = topic_impact(pd.DataFrame({"nps": [0, 1, 2, 9, 10, 10, 5, 10, 9, 8]}), found.membership, n_boot=50)
    assert result.table.empty and "outcome_impact" in result.table.columns
    assert result.overall == pytest.approx(10.0) and result.n == 10   # 5 promoters, 4 detractors in 10


def test_chart_greys_out_topics_not_flagged():
    from cxresearch.charts import topic_impact_chart

    table = pd.DataFrame({"topic": ["wait", "staff"], "outcome_impact": [-5.0, 1.0], "outcome_impact_low": [-7.0, -1.0],
                          "outcome_impact_high": [-3.0, 3.0], "significant": [True, False]})
    bar = topic_impact_chart(table).data[0]
    assert list(bar.marker.color) == ["#d62728", "#c7c7c7"]
    assert list(bar.error_x.array) == [2.0, 2.0]


def test_shuffled_rows_give_the_same_intervals():
    rng = np.random.default_rng(8)
    answers = pd.DataFrame({"nps": rng.integers(0, 11, 400), "customer_id": [f"C{i % 150}" for i in range(400)]})
    labels = pd.Series(rng.choice(["wait", "staff", None], 400))
    shuffled = answers.sample(frac=1, random_state=3)
    for cluster in (None, "customer_id"):
        first, again = (topic_impact(data, labels, cluster_col=cluster, n_boot=200).table
                        for data in (answers, shuffled))
        pd.testing.assert_frame_equal(first, again)


def test_without_nps_the_impact_is_in_points_of_csat_the_share_of_4_and_5():
    # 12 answers, 8 of them 4-5 -> CSAT 66.7%; without "wait" (1, 2, 3, 2): 8 of 8 -> 100%; "wait" costs 33.3 points
    csat = [1, 2, 3, 2, 4, 5, 4, 5, 4, 5, 5, 4]
    result = topic_impact(pd.DataFrame({"csat": csat}), pd.Series(LABELS), min_group_size=4, n_boot=200)
    table = result.table.set_index("topic")
    assert result.outcome == "CSAT" and result.overall == pytest.approx(200 / 3) and "4-5" in result.note
    assert table.loc["wait", "outcome"] == 0 and table.loc["wait", "outcome_without"] == pytest.approx(100)
    assert table.loc["wait", "outcome_impact"] == pytest.approx(200 / 3 - 100)
    # with NPS too, NPS comes first, as for key drivers; asked for, CSAT all the same
    both = pd.DataFrame({"nps": SCORES, "csat": csat})
    assert topic_impact(both, pd.Series(LABELS), min_group_size=4, n_boot=50).outcome == "NPS"
    assert topic_impact(both, pd.Series(LABELS), score_col="csat", min_group_size=4, n_boot=50).overall == \
        pytest.approx(result.overall)


def test_a_planted_complaint_lowers_csat_and_a_satisfied_flag_and_is_flagged():
    rng = np.random.default_rng(7)
    n = 3000
    membership = pd.DataFrame(rng.random((n, 12)) < 0.1, columns=[f"t{i}" for i in range(12)])
    membership["late"] = rng.random(n) < 0.15
    good = np.where(membership["late"], 0.35, 0.8)      # the planted topic: 35% satisfied against 80%
    happy = rng.random(n) < good
    csat = np.where(happy, rng.choice([4, 5], n), rng.choice([1, 2, 3], n))
    for frame, outcome in [(pd.DataFrame({"csat": csat}), "CSAT"),
                           (pd.DataFrame({"satisfaction": np.where(happy, "satisfied", "neutral or dissatisfied")}),
                            "satisfaction")]:
        result = topic_impact(frame, membership, n_boot=1000, random_state=3)
        table = result.table.set_index("topic")
        assert result.outcome == outcome and result.overall == pytest.approx(100 * happy.mean())
        # the share satisfied without the topic's answers, by hand
        assert table.loc["late", "outcome_impact"] == pytest.approx(
            100 * (happy.mean() - happy[~membership["late"]].mean()))
        assert table.index[0] == "late" and table.loc["late", "outcome_impact_high"] < -4
        assert table.loc["late", "significant"] and (table.drop(index="late")["outcome_impact"].abs() < 1.5).all()
    assert "“satisfied” answers to satisfaction" in result.note


OLIST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "olist_ecommerce_sample15k"


@pytest.mark.skipif(not OLIST.exists(), reason=f"Olist export not found at {OLIST}")
def test_olist_reviews_without_nps_say_what_delivery_costs_in_csat():
    from cxresearch import recipes

    surveys = recipes.load("olist", OLIST).surveys
    found = topics(surveys["comment"], scores=np.zeros(len(surveys)), n_boot=0)
    result = topic_impact(surveys, found.membership, cluster_col="customer_id", n_boot=500)
    table = result.table.set_index("topic")
    # 14,924 reviews, 76.9% of them 4-5 stars (the recipe's CSAT); delivery is the largest drag, about 5.7 points
    assert result.outcome == "CSAT" and result.n == 14924 and result.overall == pytest.approx(76.9, abs=0.05)
    assert table.index[0] == "Delivery" and table.loc["Delivery", "significant"]
    assert -6.5 < table.loc["Delivery", "outcome_impact_low"] < table.loc["Delivery", "outcome_impact_high"] < -4.5
    assert table.loc["Waiting time", "outcome"] < 25 and table.loc["Waiting time", "significant"]

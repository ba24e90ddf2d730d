"""Topic impact: overall NPS minus the NPS without the topic's answers, with bootstrap intervals and FDR flags."""
import numpy as np
import pandas as pd
import pytest

from cxresearch.errors import ParameterError, SmallGroupWarning
from cxresearch.topics import topics
from cxresearch.voice import topic_impact

# 12 answers: 7 promoters, 4 detractors, 1 passive -> overall NPS 100 * (7 - 4) / 12 = 25
SCORES = [0, 2, 4, 6, 10, 9, 10, 9, 8, 9, 10, 10]
LABELS = ["wait"] * 4 + ["staff"] * 5 + [None] * 3


def test_impact_is_overall_minus_nps_without_the_topic():
    result = topic_impact(pd.DataFrame({"nps": SCORES}), pd.Series(LABELS), min_group_size=4, n_boot=200)
    table = result.table.set_index("topic")
    assert result.nps == pytest.approx(25.0) and result.n == 12
    # without "wait": 7 promoters, 0 detractors in 8 -> 87.5; "wait" costs 62.5 points
    assert table.loc["wait", "nps_without"] == pytest.approx(87.5)
    assert table.loc["wait", "nps_impact"] == pytest.approx(25 - 87.5)
    assert table.loc["wait", "nps"] == pytest.approx(-100.0)
    # without "staff" (10, 9, 10, 9, 8): 3 promoters, 4 detractors in 7 -> -100/7
    assert table.loc["staff", "nps_impact"] == pytest.approx(25 + 100 / 7)
    assert table.index[0] == "wait" and table.loc["staff", "n"] == 5
    assert table.loc["wait", "share"] == pytest.approx(4 / 12)
    assert (table["nps_impact_low"] <= table["nps_impact"]).all()
    assert (table["nps_impact"] <= table["nps_impact_high"]).all()
    # one name, one unit: nps_impact in NPS points, never the pain points' impact index; every column declared
    from cxresearch.columns import COLUMN_KINDS
    assert set(result.table.columns) <= set(COLUMN_KINDS) and COLUMN_KINDS["impact"] == "score"


def test_an_answer_may_carry_several_topics():
    membership = pd.DataFrame({"wait": [True] * 4 + [False] * 8,
                               "staff": [False] * 4 + [True] * 5 + [False] * 3,
                               "price": [True, False, False, False, True, True] + [False] * 6})
    table = topic_impact(pd.DataFrame({"nps": SCORES}), membership, min_group_size=3, n_boot=200).table
    price = table.set_index("topic").loc["price"]
    # without answers 0, 4, 5 (scores 0, 10, 9): 5 promoters, 3 detractors in 9
    assert price["n"] == 3 and price["nps_impact"] == pytest.approx(25 - 100 * 2 / 9)
    single = topic_impact(pd.DataFrame({"nps": SCORES}), pd.Series(LABELS), min_group_size=3, n_boot=200).table
    both = table.set_index("topic").loc[["wait", "staff"], ["nps_impact", "nps_impact_low", "nps_impact_high"]]
    pd.testing.assert_frame_equal(both, single.set_index("topic").loc[["wait", "staff"], ["nps_impact", "nps_impact_low", "nps_impact_high"]])


def test_topics_are_matched_by_index_label_not_position():
    surveys = pd.DataFrame({"nps": SCORES}, index=range(100, 112)).sample(frac=1, random_state=3)
    labels = pd.Series(LABELS, index=range(100, 112))   # in the original order, surveys shuffled
    table = topic_impact(surveys, labels, min_group_size=4, n_boot=200).table.set_index("topic")
    assert table.loc["wait", "nps_impact"] == pytest.approx(25 - 87.5)
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
    assert table.loc[0, "significant"] and table.loc[1, "nps"] == -100


def test_no_flags_on_topics_unrelated_to_the_score_and_the_planted_one_is_found():
    rng = np.random.default_rng(5)
    n = 3000
    scores = rng.integers(0, 11, size=n)
    membership = pd.DataFrame(rng.random((n, 20)) < 0.1, columns=[f"t{i}" for i in range(20)])
    membership["planted"] = scores <= 3
    result = topic_impact(pd.DataFrame({"nps": scores}), membership, n_boot=1000, random_state=1)
    table = result.table.set_index("topic")
    assert table.loc["planted", "significant"] and table.loc["planted", "nps_impact"] < 0
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
        width[name] = row["nps_impact_high"] - row["nps_impact_low"]
    assert width["rows"] == pytest.approx(width["once"] / 2, rel=0.2)
    assert width["customers"] == pytest.approx(width["once"], rel=0.2)


def test_small_topics_are_suppressed_and_bad_arguments_explained():
    with pytest.warns(SmallGroupWarning):
        table = topic_impact(pd.DataFrame({"nps": SCORES}), pd.Series(LABELS), n_boot=100).table
    assert table["topic"].tolist() == ["staff"]
    with pytest.raises(ParameterError, match="fdr"):
        topic_impact(pd.DataFrame({"nps": SCORES}), pd.Series(LABELS), fdr=5)
    with pytest.raises(ParameterError, match="score"):
        topic_impact(pd.DataFrame({"score": SCORES}), pd.Series(LABELS))


def test_no_topic_to_weigh_gives_an_empty_table_with_the_overall_nps():
    # every theme of a small export too small to show (issue 19): membership without columns
    texts = ["The delivery was late again"] * 3 + ["The price is too high"] * 3 + ["ok"] * 4
    with pytest.warns(SmallGroupWarning, match="2 groups with fewer than 5 members hidden: “Delivery” and “Price”."):
        found = topics(texts, n_topics=2, n_boot=0, min_group_size=5)
    assert found.membership.shape == (10, 0)
    result = topic_impact(pd.DataFrame({"nps": [0, 1, 2, 9, 10, 10, 5, 10, 9, 8]}), found.membership, n_boot=50)
    assert result.table.empty and "nps_impact" in result.table.columns
    assert result.nps == pytest.approx(10.0) and result.n == 10   # 5 promoters, 4 detractors in 10


def test_chart_greys_out_topics_not_flagged():
    from cxresearch.charts import topic_impact_chart

    table = pd.DataFrame({"topic": ["wait", "staff"], "nps_impact": [-5.0, 1.0], "nps_impact_low": [-7.0, -1.0],
                          "nps_impact_high": [-3.0, 3.0], "significant": [True, False]})
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

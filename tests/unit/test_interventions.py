"""Tests for intervention effects: hand-computed difference-in-differences and the demo's planted truth."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from cxresearch import CXDataset, ParameterError, load_dataset
from cxresearch.errors import DataError, SmallGroupWarning
from cxresearch.interventions import compare_verdicts, intervention_effects, intervention_series
from cxresearch.stats import csat, z_value
from cxresearch.synthetic import generate

START = pd.Timestamp("2025-03-01", tz="UTC")
STAGES = {"browse": ["home"], "service": ["chat"], "buy": ["cart", "checkout"]}
Z = z_value(0.95)


def interventions(scope="chat", end=None, start=START):
    return pd.DataFrame({"intervention_id": ["I1"], "start": [start], "end": [pd.Timestamp(end, tz="UTC")],
                         "scope": [scope], "description": ["more chat agents"], "owner": ["care"],
                         "expected_metric": ["csat"]})


def surveys(groups):
    """One answer per score; *groups* maps (touchpoint, days after START) -> list of (nps, csat)."""
    rows = [(tp, START + pd.Timedelta(days=day), score_nps, score_csat)
            for (tp, day), answers in groups.items() for score_nps, score_csat in answers]
    frame = pd.DataFrame(rows, columns=["touchpoint", "timestamp", "nps", "csat"])
    return frame.assign(response_id=[f"R{i}" for i in range(len(frame))],
                        channel=frame["touchpoint"].map({"chat": "chat", "web": "web", "home": "web"}))


def answers(nps_scores, csat_scores):
    return list(zip(nps_scores, csat_scores))


# scope (chat) NPS: before p=.5 d=.3 -> 20, after p=.8 d=.1 -> 70; CSAT top-2-box 20% -> 80%.
# comparison (web) NPS: before p=.4 d=.2 -> 20, after p=.5 d=.1 -> 40; CSAT 50% -> 60%.
KNOWN = {
    ("chat", -10): answers([10, 10, 9, 8, 7, 6, 5, 3, 10, 9], [5, 4, 3, 3, 2, 2, 1, 1, 3, 3]),
    ("chat", 10): answers([10, 10, 10, 10, 10, 10, 9, 9, 8, 2], [5, 5, 5, 5, 4, 4, 4, 4, 2, 1]),
    ("web", -10): answers([10, 9, 8, 7, 6, 10, 9, 8, 7, 6], [5, 5, 5, 4, 4, 3, 3, 3, 2, 1]),
    ("web", 10): answers([10, 10, 9, 9, 10, 8, 8, 7, 7, 6], [5, 5, 5, 4, 4, 4, 3, 3, 2, 1]),
}


@pytest.fixture
def known():
    ds = CXDataset(name="known", surveys=surveys(KNOWN), interventions=interventions(), stages=STAGES)
    table = intervention_effects(ds, window="4W", metrics=["nps", "csat", "csat_mean"])
    return table.set_index("metric")


def test_nps_difference_in_differences_is_hand_computed(known):
    row = known.loc["nps"]
    assert (row["before"], row["after"]) == pytest.approx((20, 70))
    assert (row["comparison_before"], row["comparison_after"]) == pytest.approx((20, 40))
    assert (row["change"], row["comparison_change"], row["did"]) == pytest.approx((50, 20, 30))
    # variance of an NPS share difference: (p + d - (p - d)^2) / n, in points^2 times 100^2
    variances = [(0.5 + 0.3 - 0.2**2) / 10, (0.8 + 0.1 - 0.7**2) / 10,
                 (0.4 + 0.2 - 0.2**2) / 10, (0.5 + 0.1 - 0.4**2) / 10]
    se_did = 100 * math.sqrt(sum(variances))
    assert (row["did_low"], row["did_high"]) == pytest.approx((30 - Z * se_did, 30 + Z * se_did))
    se_change = 100 * math.sqrt(variances[0] + variances[1])
    assert (row["change_low"], row["change_high"]) == pytest.approx((50 - Z * se_change, 50 + Z * se_change))
    assert row["did_p_value"] == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(30 / se_did / math.sqrt(2)))))
    assert row["verdict"] == "no detectable change"  # +30 points, but the interval holds zero


def test_csat_difference_in_differences_matches_compare(known):
    row = known.loc["csat"]
    assert (row["before"], row["after"], row["comparison_before"], row["comparison_after"]) == pytest.approx(
        (20, 80, 50, 60))
    assert row["did"] == pytest.approx(50)
    chat = surveys(KNOWN).query("touchpoint == 'chat'")
    before, after = csat(chat["csat"][:10]), csat(chat["csat"][10:])
    web = surveys(KNOWN).query("touchpoint == 'web'")
    # each share's standard error is the half-width of its Wilson interval over z
    ses = [(e.high - e.low) / (2 * Z) for e in (before, after, csat(web["csat"][:10]), csat(web["csat"][10:]))]
    assert (row["change_low"], row["change_high"]) == pytest.approx((60 - Z * math.hypot(*ses[:2]),
                                                                     60 + Z * math.hypot(*ses[:2])))
    half = Z * math.sqrt(sum(se**2 for se in ses))
    assert (row["did_low"], row["did_high"]) == pytest.approx((50 - half, 50 + half))
    assert row["did_low"] > 0 and row["verdict"] == "improved"
    means = known.loc["csat_mean"]  # chat 2.7 -> 3.9, web 3.5 -> 3.6
    assert (means["change"], means["comparison_change"], means["did"]) == pytest.approx((1.2, 0.1, 1.1))


def test_a_drop_in_a_higher_is_better_metric_is_worse():
    flipped = {("chat", -10): KNOWN[("chat", 10)], ("chat", 10): KNOWN[("chat", -10)],
               ("web", -10): KNOWN[("web", -10)], ("web", 10): KNOWN[("web", 10)]}
    ds = CXDataset(name="worse", surveys=surveys(flipped), interventions=interventions())
    row = intervention_effects(ds, window="4W", metrics=["csat"]).iloc[0]
    assert row["did"] == pytest.approx(-70) and row["verdict"] == "worse"


def test_small_groups_are_suppressed_as_not_enough_data():
    small = {key: values[:4] for key, values in KNOWN.items()}
    ds = CXDataset(name="small", surveys=surveys(small), interventions=interventions())
    with pytest.warns(SmallGroupWarning):
        row = intervention_effects(ds, window="4W", metrics=["csat"]).iloc[0]
    assert row["verdict"] == "not enough data"
    assert np.isnan([row["before"], row["after"], row["change"], row["did"], row["did_low"]]).all()
    assert row["before_n"] == 4  # the size stays visible, the numbers do not


def test_windows_are_cut_at_start_and_end():
    # answers 10 days after the start fall outside an intervention that ended after 5 days
    ds = CXDataset(name="ended", surveys=surveys(KNOWN), interventions=interventions(end="2025-03-06"))
    row = intervention_effects(ds, window="4W", metrics=["csat"], min_group_size=1).iloc[0]
    assert (row["before_n"], row["after_n"], row["verdict"]) == (10, 0, "not enough data")
    assert row["after_end"] == pd.Timestamp("2025-03-06", tz="UTC")
    assert row["before_start"] == START - pd.Timedelta(weeks=4)
    narrow = intervention_effects(CXDataset(name="n", surveys=surveys(KNOWN), interventions=interventions()),
                                  window="9D", metrics=["csat"], min_group_size=1).iloc[0]
    assert (narrow["before_n"], narrow["after_n"]) == (0, 0)


def test_stage_and_channel_scopes_attribute_surveys():
    data = surveys(KNOWN)
    at_home = data.assign(touchpoint=data["touchpoint"].replace("web", "home"))
    stage = CXDataset(name="s", surveys=at_home, interventions=interventions(scope="service"), stages=STAGES)
    row = intervention_effects(stage, window="4W", metrics=["nps"]).iloc[0]
    assert (row["scope_kind"], row["did"]) == ("stage", pytest.approx(30))
    assert row["comparison_before_n"] == 10  # home answers: "browse" is another stage
    unstaged = intervention_effects(CXDataset(name="u", surveys=data, interventions=interventions(scope="service"),
                                              stages=STAGES), window="4W", metrics=["nps"]).iloc[0]
    assert unstaged["comparison_before_n"] == 0  # "web" belongs to no stage, so to no comparison stage
    channel = CXDataset(name="c", surveys=data.assign(touchpoint="home"), interventions=interventions(scope="web"))
    row = intervention_effects(channel, window="4W", metrics=["nps"]).iloc[0]
    assert (row["scope_kind"], row["did"]) == ("channel", pytest.approx(-30))


def events(sessions):
    """Events from ``{days after START: "home chat cart"}``, one customer per session, a minute apart."""
    rows = [(f"c{day}", START + pd.Timedelta(days=day, minutes=step), "web", touchpoint)
            for day, path in sessions.items() for step, touchpoint in enumerate(path.split())]
    frame = pd.DataFrame(rows, columns=["customer_id", "timestamp", "channel", "touchpoint"])
    return frame.assign(stage=frame["touchpoint"].map({tp: s for s, tps in STAGES.items() for tp in tps}))


SESSIONS = {-4: "home chat", -3: "chat cart", -2: "chat", -1: "home chat cart",
            1: "home chat cart", 2: "chat cart", 3: "chat cart checkout", 4: "chat"}


def test_exit_rate_and_conversion_of_sessions_are_hand_counted():
    ds = CXDataset(name="e", events=events(SESSIONS), interventions=interventions(), stages=STAGES)
    table = intervention_effects(ds, window="1W", metrics=["exit_rate", "conversion"], min_group_size=1)
    exits, conversion = table.set_index("metric").loc["exit_rate"], table.set_index("metric").loc["conversion"]
    # exits at chat: before 2 of 4 sessions, after 1 of 4; other touchpoints (session, touchpoint pairs):
    # before home 0, cart 1, home 0, cart 1 -> 2/4; after home 0, cart 1, cart 1, cart 0, checkout 1 -> 3/5
    assert (exits["before"], exits["after"], exits["before_n"], exits["after_n"]) == pytest.approx((50, 25, 4, 4))
    assert (exits["comparison_before"], exits["comparison_after"]) == pytest.approx((50, 60))
    assert exits["did"] == pytest.approx(-35) and exits["better"] == "lower"
    # sessions reaching "buy" after chat: before 2 of 4, after 3 of 4; only "home" has a next stage
    # among the others, and every home session moves on: 2/2 before, 1/1 after
    assert (conversion["before"], conversion["after"]) == pytest.approx((50, 75))
    assert (conversion["comparison_before_n"], conversion["comparison_after_n"]) == (2, 1)
    assert conversion["did"] == pytest.approx(25)


def test_sentiment_of_reviews_that_mention_the_scope():
    texts = ["The chat support was terrible and slow"] * 6 + ["Great chat support, fast and helpful"] * 6 \
        + ["Great shoes, I love them"] * 12
    days = [-5] * 6 + [5] * 6 + [-5] * 6 + [5] * 6
    reviews = pd.DataFrame({"review_id": [f"V{i}" for i in range(24)], "rating": 3.0, "text": texts,
                            "timestamp": [START + pd.Timedelta(days=d) for d in days]})
    ds = CXDataset(name="r", reviews=reviews, stages={"service": ["chat_support"]},
                   interventions=interventions(scope="chat_support"))
    row = intervention_effects(ds, window="2W").iloc[0]
    assert row["metric"] == "sentiment" and (row["before_n"], row["after_n"]) == (6, 6)
    assert row["before"] < 0 < row["after"] and row["comparison_change"] == pytest.approx(0)
    assert row["verdict"] == "improved"
    only_chat = intervention_effects(ds, window="2W", mentions={"chat_support": ["shoes"]}).iloc[0]
    assert only_chat["before"] > 0 and only_chat["comparison_before_n"] == 6


def test_without_interventions_the_table_is_empty_with_its_columns():
    table = intervention_effects(CXDataset(name="none", surveys=surveys(KNOWN)))
    assert table.empty and {"did", "verdict", "intervention_id"} <= set(table.columns)


def test_bad_parameters_list_the_valid_choices():
    ds = CXDataset(name="known", surveys=surveys(KNOWN), interventions=interventions())
    with pytest.raises(ParameterError, match="'csat', 'csat_mean', 'nps'"):
        intervention_effects(ds, metrics=["cast"])
    with pytest.raises(ParameterError, match="positive duration"):
        intervention_effects(ds, window="2 months")
    with pytest.raises(ParameterError, match="'I1'"):
        intervention_series(ds, "I9")
    with pytest.raises(DataError, match="touchpoint, channel or stage"):
        intervention_effects(CXDataset(name="x", surveys=surveys(KNOWN), interventions=interventions(scope="fax")))


def test_series_per_period_for_scope_and_comparison():
    ds = CXDataset(name="known", surveys=surveys(KNOWN), interventions=interventions())
    series = intervention_series(ds, "I1", metric="csat", freq="M")
    assert series[["group", "label", "period", "n"]].to_dict("records") == [
        {"group": "scope", "label": "chat", "period": pd.Timestamp("2025-02-01"), "n": 10},
        {"group": "scope", "label": "chat", "period": pd.Timestamp("2025-03-01"), "n": 10},
        {"group": "comparison", "label": "other touchpoints", "period": pd.Timestamp("2025-02-01"), "n": 10},
        {"group": "comparison", "label": "other touchpoints", "period": pd.Timestamp("2025-03-01"), "n": 10}]
    assert series["value"].tolist() == pytest.approx([20, 80, 50, 60])
    assert (series["low"] < series["value"]).all() and (series["value"] < series["high"]).all()
    assert series.attrs["start"] == pd.Timestamp("2025-03-01") and series.attrs["better"] == "higher"


def test_compare_verdicts_lists_only_changes():
    previous = pd.DataFrame({"intervention_id": ["I1", "I1", "I2"], "metric": ["csat", "nps", "csat"],
                             "verdict": ["no detectable change", "improved", "worse"]})
    current = pd.DataFrame({"intervention_id": ["I1", "I1", "I3"], "metric": ["csat", "nps", "csat"],
                            "verdict": ["improved", "improved", "not enough data"]})
    changes = compare_verdicts(current, previous)
    assert changes.fillna("-").to_dict("records") == [
        {"intervention_id": "I1", "metric": "csat", "previous_verdict": "no detectable change", "verdict": "improved"},
        {"intervention_id": "I2", "metric": "csat", "previous_verdict": "worse", "verdict": "-"},
        {"intervention_id": "I3", "metric": "csat", "previous_verdict": "-", "verdict": "not enough data"}]
    with pytest.raises(ParameterError, match="verdict"):
        compare_verdicts(current.drop(columns="verdict"), previous)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = generate(tmp_path_factory.mktemp("demo") / "demo", customers=5000, seed=42)
    truth = json.loads((folder / "truth" / "interventions.json").read_text())
    return load_dataset(folder), {item["intervention_id"]: item for item in truth}


def test_demo_working_intervention_improves_csat_and_exit_rate(demo):
    ds, truth = demo
    assert truth["I001"]["works"]
    effects = intervention_effects(ds).set_index(["intervention_id", "metric"])
    for metric in ("csat", "csat_mean", "exit_rate"):
        row = effects.loc[("I001", metric)]
        assert row["verdict"] == "improved", metric
        assert row["did_high"] < 0 if metric == "exit_rate" else row["did_low"] > 0
    exits = effects.loc[("I001", "exit_rate")]
    planted = truth["I001"]["planted_effect"]["exit_probability"]
    assert exits["change_low"] < 100 * (planted["after"] - planted["before"]) < exits["change_high"]


def test_demo_null_intervention_shows_no_detectable_change(demo):
    ds, truth = demo
    assert not truth["I002"]["works"]
    verdicts = intervention_effects(ds).query("intervention_id == 'I002'").set_index("metric")["verdict"]
    assert set(verdicts) <= {"no detectable change", "not enough data"}
    assert (verdicts[["csat", "csat_mean", "nps", "exit_rate", "conversion"]] == "no detectable change").all()


def test_demo_series_shows_the_chat_exit_rate_drop_at_the_start(demo):
    ds, _ = demo
    series = intervention_series(ds, "I001", metric="exit_rate", freq="M")
    scope = series[series["group"] == "scope"].set_index("period")["value"]
    start = series.attrs["start"]
    assert scope[scope.index < start].min() > scope[scope.index >= start].max()


def test_optional_intervention_columns_may_be_missing():
    bare = interventions()[["intervention_id", "start", "scope"]]
    ds = CXDataset(name="bare", surveys=surveys(KNOWN), interventions=bare)
    row = intervention_effects(ds, window="4W", metrics=["csat"]).iloc[0]
    assert (row["description"], row["verdict"]) == ("", "improved")
    series = intervention_series(ds, "I1")
    assert series.attrs["metric"] == "csat"  # no expected metric: the first one the data can observe
    events_only = CXDataset(name="ev", events=events(SESSIONS), interventions=interventions(), stages=STAGES)
    assert intervention_series(events_only, "I1", freq="W").attrs["metric"] == "exit_rate"


def test_chart_draws_both_groups_and_marks_the_start():
    from cxresearch.charts import intervention_chart

    ds = CXDataset(name="known", surveys=surveys(KNOWN), interventions=interventions())
    figure = intervention_chart(intervention_series(ds, "I1", metric="csat"))
    lines = [trace for trace in figure.data if trace.mode == "lines+markers"]
    assert [trace.name for trace in lines] == ["chat", "other touchpoints"]
    assert list(lines[0].y) == pytest.approx([20, 80])
    assert pd.Timestamp(figure.layout.shapes[0].x0) == pd.Timestamp("2025-03-01")
    assert figure.layout.annotations[0].text == "I1 starts: more chat agents"

"""Tests for intervention effects: hand-computed difference-in-differences and the demo's planted truth."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from cxresearch import CXDataset, ParameterError, i18n, load_dataset, pretty
from cxresearch.errors import DataError, DataWarning, SmallGroupWarning
from cxresearch.interventions import (METRICS, changes_note, compare_verdicts, event_study, event_study_table,
                                      intervention_effects, intervention_series, intervention_study, window_note)
from cxresearch.routine import RoutineParameters, run_intervention_study
from cxresearch.stats import z_value
from cxresearch.synthetic import generate
from cxresearch.text import sentiment

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
    # every answer is its own customer: the bootstrap SE approaches the multinomial one,
    # variance of an NPS share difference (p + d - (p - d)^2) / n, in points^2 times 100^2
    variances = [(0.5 + 0.3 - 0.2**2) / 10, (0.8 + 0.1 - 0.7**2) / 10,
                 (0.4 + 0.2 - 0.2**2) / 10, (0.5 + 0.1 - 0.4**2) / 10]
    assert row["did_se"] == pytest.approx(100 * math.sqrt(sum(variances)), rel=0.15)
    assert (row["did_low"], row["did_high"]) == pytest.approx((30 - Z * row["did_se"], 30 + Z * row["did_se"]))
    assert row["did_p_value"] == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(30 / row["did_se"] / math.sqrt(2)))))
    assert row["customers"] == 40
    # +30 points, but the interval holds zero: this sample could only have detected an effect of more than
    # 25 NPS points (a large change), so it cannot tell
    assert row["mde"] > 30 and row["verdict"] == "too few answers to tell"


def test_csat_minimum_detectable_effect_is_hand_computed(known):
    row = known.loc["csat"]
    # shares of 1, NPS in points
    assert (row["before"], row["after"], row["comparison_before"], row["comparison_after"]) == pytest.approx(
        (0.2, 0.8, 0.5, 0.6))
    assert row["did"] == pytest.approx(0.5)
    # shares 0.2 -> 0.8 at the scope, 0.5 -> 0.6 elsewhere, ten answers each
    se = math.sqrt((0.2 * 0.8 + 0.8 * 0.2 + 0.5 * 0.5 + 0.6 * 0.4) / 10)   # 28.5 percentage points
    assert row["did_se"] == pytest.approx(se, rel=0.15)
    # 80% power at the 5% level: MDE = (z_0.975 + z_0.80) * SE = 2.80 * SE
    assert row["mde"] == pytest.approx((Z + 0.8416212335729143) * row["did_se"])
    assert row["mde"] == pytest.approx(2.80 * se, rel=0.15)
    # +50 percentage points on ten answers a group is within noise: the MDE (80 points) says it cannot tell
    assert row["verdict"] == "too few answers to tell"
    means = known.loc["csat_mean"]  # chat 2.7 -> 3.9, web 3.5 -> 3.6
    assert (means["change"], means["comparison_change"], means["did"]) == pytest.approx((1.2, 0.1, 1.1))
    # twenty times the answers: the SE shrinks by sqrt(20) and the same +50 percentage points is detected
    many = {key: values * 20 for key, values in KNOWN.items()}
    large = intervention_effects(CXDataset(name="many", surveys=surveys(many), interventions=interventions()),
                                 window="4W", metrics=["csat"]).iloc[0]
    assert large["did_se"] == pytest.approx(se / math.sqrt(20), rel=0.1)
    assert large["did"] == pytest.approx(0.5) and large["verdict"] == "improved"
    # no change on forty times the answers: the MDE (14 percentage points) is below a large change (20)
    same = {("chat", day): KNOWN[("web", day)] * 40 for day in (-10, 10)}
    steady = intervention_effects(CXDataset(name="steady", surveys=surveys(
        {**same, **{("web", day): KNOWN[("web", day)] * 40 for day in (-10, 10)}}), interventions=interventions()),
        window="4W", metrics=["csat"], n_boot=200).iloc[0]
    assert steady["did"] == pytest.approx(0) and steady["mde"] < 0.2 and steady["verdict"] == "no detectable change"


def test_a_drop_in_a_higher_is_better_metric_is_worse():
    flipped = {("chat", -10): KNOWN[("chat", 10)] * 3, ("chat", 10): KNOWN[("chat", -10)] * 3,
               ("web", -10): KNOWN[("web", -10)] * 3, ("web", 10): KNOWN[("web", 10)] * 3}
    ds = CXDataset(name="worse", surveys=surveys(flipped), interventions=interventions())
    row = intervention_effects(ds, window="4W", metrics=["csat"]).iloc[0]
    assert row["did"] == pytest.approx(-0.7) and row["verdict"] == "worse"


def test_small_groups_are_suppressed_as_not_enough_data():
    small = {key: values[:4] for key, values in KNOWN.items()}
    ds = CXDataset(name="small", surveys=surveys(small), interventions=interventions())
    with pytest.warns(SmallGroupWarning) as caught:
        row = intervention_effects(ds, window="4W", metrics=["csat"]).iloc[0]
    # the note names the intervention and metric it hid, never a size
    assert [str(w.message) for w in caught] == ["1 group with fewer than 5 members hidden: “I1 · CSAT”."]
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
            1: "home chat cart", 2: "chat cart", 3: "chat cart checkout", 4: "chat",
            -6: "home", -5: "home cart", 5: "home cart checkout", 6: "cart"}   # the last four never touch chat


def test_sessions_touching_the_scope_are_left_out_of_the_comparison_arm():
    ds = CXDataset(name="e", events=events(SESSIONS), interventions=interventions(), stages=STAGES)
    table = intervention_effects(ds, window="1W", metrics=["exit_rate", "conversion"], min_group_size=1)
    exits, conversion = table.set_index("metric").loc["exit_rate"], table.set_index("metric").loc["conversion"]
    # exits at chat: before 2 of 4 sessions, after 1 of 4
    assert (exits["before"], exits["after"], exits["before_n"], exits["after_n"]) == pytest.approx((.5, .25, 4, 4))
    # comparison: only the sessions that never touch chat, one row per (session, touchpoint):
    # before home 1 (day -6 ends there), home 0 and cart 1 (day -5) -> 2/3;
    # after home 0, cart 0, checkout 1 (day 5) and cart 1 (day 6) -> 2/4.
    # Counting the chat sessions' other touchpoints too would give 4/7 before and 5/9 after.
    assert (exits["comparison_before_n"], exits["comparison_after_n"]) == (3, 4)
    assert (exits["comparison_before"], exits["comparison_after"]) == pytest.approx((2 / 3, .5))
    assert exits["did"] == pytest.approx(-.25 + .5 / 3) and exits["better"] == "lower"
    # sessions reaching "buy" after chat: before 2 of 4, after 3 of 4; among the others only "home" has a
    # next stage: before day -6 stays (0) and day -5 moves on (1), after day 5 moves on -> 1/2 and 1/1
    assert (conversion["before"], conversion["after"]) == pytest.approx((.5, .75))
    assert (conversion["comparison_before_n"], conversion["comparison_after_n"]) == (2, 1)
    assert conversion["did"] == pytest.approx(.25 - .5)
    assert exits["customers"] == 12


def chat_reviews() -> CXDataset:
    """Six bad then six good reviews of the chat support around START, and twelve good ones of shoes."""
    texts = ["The chat support was terrible and slow"] * 6 + ["Great chat support, fast and helpful"] * 6 \
        + ["Great shoes, I love them"] * 12
    days = [-5] * 6 + [5] * 6 + [-5] * 6 + [5] * 6
    reviews = pd.DataFrame({"review_id": [f"V{i}" for i in range(24)], "rating": 3.0, "text": texts,
                            "timestamp": [START + pd.Timedelta(days=d) for d in days]})
    return CXDataset(name="r", reviews=reviews, stages={"service": ["chat_support"]},
                     interventions=interventions(scope="chat_support"))


def test_sentiment_of_reviews_that_mention_the_scope():
    ds = chat_reviews()
    row = intervention_effects(ds, window="2W").iloc[0]
    assert row["metric"] == "sentiment" and (row["before_n"], row["after_n"]) == (6, 6)
    assert row["before"] < 0 < row["after"] and row["comparison_change"] == pytest.approx(0)
    assert row["verdict"] == "improved"
    only_chat = intervention_effects(ds, window="2W", mentions={"chat_support": ["shoes"]}).iloc[0]
    assert only_chat["before"] > 0 and only_chat["comparison_before_n"] == 6


def test_the_interventions_files_mentions_column_sets_the_words_naming_a_scope():
    """Reviews that name the chat without "support" count once the file lists "chat"; the page says which words
    counted, in how many reviews, each word of the name alone, and where to list others."""
    ds = chat_reviews()
    ds.reviews["text"] = ds.reviews["text"].str.replace("chat support", "chat", n=1).where(
        ds.reviews.index % 2 == 0, ds.reviews["text"])          # half of the chat reviews say only "chat"
    named = intervention_effects(ds, window="2W", min_group_size=1).iloc[0]
    assert (named["before_n"], named["after_n"]) == (3, 3)
    listed = ds.interventions.assign(mentions="chat; chat support ;")
    widened = CXDataset(name="r", reviews=ds.reviews, stages=ds.stages, interventions=listed)
    row = intervention_effects(widened, window="2W").iloc[0]
    assert (row["before_n"], row["after_n"]) == (6, 6) and row["verdict"] == "improved"
    note = changes_note(ds, intervention_effects(ds, window="2W", min_group_size=1))
    assert note.startswith("- **I1** at chat support (touchpoint) from March 1, 2025: more chat agents")
    assert ("- chat support: “chat support” in 6 reviews (alone: “chat” in 12 reviews and “support” in 6 reviews)"
            in note) and "interventions file's `mentions` column" in note
    assert "- chat support: “chat” and “chat support” in 12 reviews (alone: “support” in 6 reviews)\n" in changes_note(
        widened, intervention_effects(widened, window="2W"))
    with i18n.using("it"):
        italian = changes_note(ds, intervention_effects(ds, window="2W", min_group_size=1))
    assert italian.startswith("- **I1** su chat support (touchpoint) dal 1° marzo 2025") and "6 recensioni" in italian


def test_without_review_sentiment_the_changes_name_each_scope_in_words_only():
    ds = CXDataset(name="known", surveys=surveys(KNOWN), interventions=interventions(), stages=STAGES)
    assert changes_note(ds, intervention_effects(ds, window="4W", metrics=["csat"])) == (
        "- **I1** at chat (touchpoint) from March 1, 2025: more chat agents")


def test_without_interventions_the_table_is_empty_with_its_columns():
    table = intervention_effects(CXDataset(name="none", surveys=surveys(KNOWN)))
    assert table.empty and {"did", "verdict", "intervention_id"} <= set(table.columns)


def test_bad_parameters_list_the_valid_choices():
    ds = CXDataset(name="known", surveys=surveys(KNOWN), interventions=interventions())
    with pytest.raises(ParameterError, match="'csat', 'csat_mean', 'nps'"):
        intervention_effects(ds, metrics=["cast"])
    with pytest.raises(ParameterError, match="positive duration"):
        intervention_effects(ds, window="2 months")
    with pytest.raises(ParameterError, match="'fdr_bh', 'holm', 'none'"):
        intervention_effects(ds, correction="bonferoni")
    with pytest.raises(ParameterError, match="pretrend_bins"):
        intervention_effects(ds, pretrend_bins=1)
    with pytest.raises(ParameterError, match="'I1'"):
        intervention_series(ds, "I9")
    with pytest.raises(DataError, match="touchpoint, channel or stage"):
        intervention_effects(CXDataset(name="x", surveys=surveys(KNOWN), interventions=interventions(scope="fax")))


def test_series_per_period_for_scope_and_comparison():
    ds = CXDataset(name="known", surveys=surveys(KNOWN), interventions=interventions())
    result = intervention_series(ds, "I1", metric="csat", freq="M")
    series = result.table
    assert series[["group", "label", "period", "n"]].to_dict("records") == [
        {"group": "scope", "label": "chat", "period": pd.Timestamp("2025-02-01"), "n": 10},
        {"group": "scope", "label": "chat", "period": pd.Timestamp("2025-03-01"), "n": 10},
        {"group": "comparison", "label": "other touchpoints", "period": pd.Timestamp("2025-02-01"), "n": 10},
        {"group": "comparison", "label": "other touchpoints", "period": pd.Timestamp("2025-03-01"), "n": 10}]
    assert series["value"].tolist() == pytest.approx([.2, .8, .5, .6])
    assert (series["low"] < series["value"]).all() and (series["value"] < series["high"]).all()
    assert result.start == pd.Timestamp("2025-03-01") and result.better == "higher"
    # standard errors from the data, not from the (asymmetric, Wilson) intervals: sqrt(p (1 - p) / n)
    assert series["se"].tolist() == pytest.approx([math.sqrt(p * (1 - p) / 10) for p in (.2, .8, .5, .6)])


def test_a_series_names_the_periods_it_hides_by_intervention_group_and_month():
    ds = CXDataset(name="known", surveys=surveys({**KNOWN, ("chat", 40): answers([10, 9], [5, 4])}),
                   interventions=interventions(), stages=STAGES)
    with pytest.warns(SmallGroupWarning) as caught:
        intervention_series(ds, "I1", metric="csat", freq="M")
    assert [str(w.message) for w in caught] == ["1 group with fewer than 5 members hidden: “I1 · chat · Apr 2025”."]


def test_series_standard_errors_of_nps_and_means_come_from_the_answers():
    ds = CXDataset(name="known", surveys=surveys(KNOWN), interventions=interventions())
    answers = ds.surveys
    for metric, values in (("nps", lambda a: 100 * ((a >= 9).astype(float) - (a <= 6))), ("csat_mean", None)):
        series = intervention_series(ds, "I1", metric=metric, freq="M").table
        first = series.iloc[0]
        scores = answers.loc[(answers["touchpoint"] == "chat")
                             & (answers["timestamp"] < pd.Timestamp("2025-03-01", tz="UTC"))]
        scores = scores["nps" if metric == "nps" else "csat"].astype(float)
        scores = values(scores) if values else scores
        assert first["value"] == pytest.approx(scores.mean())
        assert first["se"] == pytest.approx(scores.std(ddof=0 if metric == "nps" else 1) / math.sqrt(len(scores)))


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
    # a previous run in 8-week windows, this one in 16: I1's CSAT verdict answers another question, not a change
    windows = {"start": pd.Timestamp("2025-07-01", tz="UTC")}
    eight = previous.assign(before_start=str(windows["start"] - pd.Timedelta(weeks=8)), start=str(windows["start"]))
    sixteen = current.assign(before_start=windows["start"] - pd.Timedelta(weeks=16), **windows)
    assert compare_verdicts(sixteen, eight)["intervention_id"].tolist() == ["I2", "I3"]
    assert compare_verdicts(sixteen, eight.assign(before_start=sixteen["before_start"].astype(str))).equals(changes)


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("demo") / "demo", customers=5000, random_state=42)


@pytest.fixture(scope="module")
def demo(demo_folder):
    folder = demo_folder
    truth = json.loads((folder / "truth" / "interventions.json").read_text())
    ds = load_dataset(folder)
    effects = {window: intervention_effects(ds, window=window).set_index(["intervention_id", "metric"])
               for window in ("8W", "26W")}
    return ds, {item["intervention_id"]: item for item in truth}, effects


def test_demo_working_intervention_improves_csat_and_exit_rate(demo):
    _, truth, effects = demo
    assert truth["I001"]["works"]
    # 26 weeks either side: the planted exit-rate and CSAT gains are found, after Holm's correction
    for metric in ("csat", "csat_mean", "exit_rate"):
        row = effects["26W"].loc[("I001", metric)]
        assert row["verdict"] == "improved" and row["pretrend"] == "passed", metric
        assert row["did_high"] < 0 if metric == "exit_rate" else row["did_low"] > 0
    # 8 weeks: the exit rate (hundreds of sessions) is found; CSAT (a few dozen chat answers) points the
    # right way, and the page says how large an effect this sample could have detected
    short = effects["8W"]
    assert short.loc[("I001", "exit_rate"), "verdict"] == "improved"
    for metric in ("csat", "csat_mean"):
        row = short.loc[("I001", metric)]
        assert row["did"] > 0
        assert row["verdict"] == "improved" or row["did_p_adjusted"] >= 0.05 and row["mde"] > 0
    exits = short.loc[("I001", "exit_rate")]
    planted = truth["I001"]["planted_effect"]["exit_probability"]
    assert exits["change_low"] < planted["after"] - planted["before"] < exits["change_high"]


def test_demo_null_intervention_shows_no_detectable_change(demo):
    _, truth, effects = demo
    assert not truth["I002"]["works"]
    for table in effects.values():
        verdicts = table.loc["I002", "verdict"]
        assert set(verdicts) <= {"no detectable change", "too few answers to tell", "not enough data"}
        # hundreds of sessions: no change, and a large one would have been seen
        assert (verdicts[["exit_rate", "conversion"]] == "no detectable change").all()
        # a few dozen chat answers: even a large change (20 percentage points of CSAT) could go unseen
        assert (verdicts[["csat", "csat_mean", "nps"]] == "too few answers to tell").all()
        assert (table.loc[("I002", "csat"), "mde"] > 0.2) and (table.loc["I002", "mde"].dropna() > 0).all()


def test_demo_series_shows_the_chat_exit_rate_drop_at_the_start(demo):
    ds, _, _ = demo
    result = intervention_series(ds, "I001", metric="exit_rate", freq="M")
    scope = result.table[result.table["group"] == "scope"].set_index("period")["value"]
    start = result.start
    assert scope[scope.index < start].min() > scope[scope.index >= start].max()


def test_demo_event_study_is_flat_before_the_start_and_drops_after(demo):
    ds, _, _ = demo
    study = event_study(ds, metrics=["exit_rate"]).query("intervention_id == 'I001'").set_index("bin")
    assert study.index.tolist() == [-4, -3, -2, -1, 0, 1, 2, 3]
    assert study.loc[-1, "effect"] == 0
    before, after = study.loc[[-4, -3, -2]], study.loc[[0, 1, 2, 3]]
    assert ((before["effect_low"] < 0) & (before["effect_high"] > 0)).all()
    assert (after["effect_high"] < 0).all()


def test_the_event_study_table_reads_each_bin_in_its_metrics_unit_without_negative_zeros(demo):
    ds, _, _ = demo
    study = intervention_study(ds, metrics=["exit_rate", "nps"], n_boot=50, random_state=1)
    table = event_study_table(study.event_study)
    assert list(table.columns) == ["intervention_id", "metric", "-4", "-3", "-2", "-1", "0", "1", "2", "3"]
    shown = pretty(table, kinds=dict.fromkeys(table.columns[2:], "metric_change")).data.set_index(
        ["intervention_id", "metric"])
    exits = study.event_study.set_index(["intervention_id", "metric", "bin"])["effect"]
    assert shown.loc[("I001", "exit_rate"), "-1"] == "0.0 pp"        # the reference bin, no sign
    assert shown.loc[("I001", "exit_rate"), "0"] == f"{exits[('I001', 'exit_rate', 0)] * 100:+.1f} pp"
    assert not shown.apply(lambda column: column.astype(str).str.startswith(("-0.0", "+0.0"))).any().any()


def test_optional_intervention_columns_may_be_missing():
    bare = interventions()[["intervention_id", "start", "scope"]]
    ds = CXDataset(name="bare", surveys=surveys(KNOWN), interventions=bare)
    row = intervention_effects(ds, window="4W", metrics=["csat"]).iloc[0]
    assert row["description"] == "" and row["did"] == pytest.approx(0.5)
    assert intervention_series(ds, "I1").metric == "csat"  # no expected metric: the first one the data can observe
    events_only = CXDataset(name="ev", events=events(SESSIONS), interventions=interventions(), stages=STAGES)
    assert intervention_series(events_only, "I1", freq="W").metric == "exit_rate"


def test_chart_draws_both_groups_and_marks_the_start():
    from cxresearch.charts import intervention_chart

    ds = CXDataset(name="known", surveys=surveys(KNOWN), interventions=interventions())
    figure = intervention_chart(intervention_series(ds, "I1", metric="csat"))
    lines = [trace for trace in figure.data if trace.mode == "lines+markers"]
    assert [trace.name for trace in lines] == ["chat", "other touchpoints"]
    assert list(lines[0].y) == pytest.approx([.2, .8])
    assert pd.Timestamp(figure.layout.shapes[0].x0) == pd.Timestamp("2025-03-01")
    assert figure.layout.annotations[0].text == "I1 starts: more chat agents"
    # given the verdicts' table, the windows they compare are shaded (4 weeks before, cut at the end after)
    ended = CXDataset(name="ended", surveys=surveys(KNOWN), interventions=interventions(end="2025-03-20"))
    effects = intervention_effects(ended, window="4W", metrics=["csat"])
    shaded = intervention_chart(intervention_series(ended, "I1", metric="csat"), effects).layout.shapes[-1]
    assert (pd.Timestamp(shaded.x0), pd.Timestamp(shaded.x1)) == (pd.Timestamp("2025-02-01"), pd.Timestamp("2025-03-20"))


def trending(slope_scope, *, per_day=12, seed=0):
    """CSAT answers every day of [-28, 28) at chat (mean rising by *slope_scope* a day) and at web (flat)."""
    rng = np.random.default_rng(seed)
    rows = []
    for day in range(-28, 28):
        for touchpoint, mean in (("chat", 3 + slope_scope * day), ("web", 3.0)):
            scores = np.clip(np.round(mean + rng.normal(0, 0.7, per_day)), 1, 5)
            rows += [(touchpoint, START + pd.Timedelta(days=day, hours=h), 7, s) for h, s in enumerate(scores)]
    frame = pd.DataFrame(rows, columns=["touchpoint", "timestamp", "nps", "csat"])
    return frame.assign(response_id=[f"R{i}" for i in range(len(frame))], channel=frame["touchpoint"])


def test_a_trend_already_under_way_before_the_start_is_not_identified():
    # chat CSAT climbs all along: the after window beats the before window, but nothing happened at the start
    ds = CXDataset(name="trend", surveys=trending(0.03), interventions=interventions())
    row = intervention_effects(ds, window="4W", metrics=["csat_mean"]).iloc[0]
    assert row["did"] > 0 and row["did_p_value"] < 0.05
    assert row["pretrend"] == "failed" and row["pretrend_p_value"] < 0.05
    assert row["verdict"] == "not identified"
    flat = intervention_effects(CXDataset(name="flat", surveys=trending(0.0), interventions=interventions()),
                                window="4W", metrics=["csat_mean"]).iloc[0]
    assert flat["pretrend"] == "passed" and flat["verdict"] == "no detectable change"
    study = event_study(ds, window="4W", metrics=["csat_mean"]).set_index("bin")
    assert study.loc[-4, "effect"] < study.loc[-2, "effect"] < 0 == study.loc[-1, "effect"]


def test_repeated_answers_of_one_customer_widen_the_interval():
    many = {key: values * 8 for key, values in KNOWN.items()}
    answers = surveys(many)
    alone = intervention_effects(CXDataset(name="alone", surveys=answers, interventions=interventions()),
                                 window="4W", metrics=["csat"]).iloc[0]
    # the same answers, but each customer gave eight identical ones (one per copy of KNOWN)
    grouped = answers.assign(customer_id=[f"C{i // 80}-{i % 10}" for i in range(len(answers))])
    assert grouped["customer_id"].nunique() == 40
    clustered = intervention_effects(CXDataset(name="clustered", surveys=grouped, interventions=interventions()),
                                     window="4W", metrics=["csat"]).iloc[0]
    assert (alone["customers"], clustered["customers"]) == (320, 40)
    assert clustered["did"] == pytest.approx(alone["did"])
    assert clustered["did_se"] == pytest.approx(alone["did_se"] * math.sqrt(8), rel=0.2)


def test_verdicts_are_corrected_across_interventions_and_metrics():
    many = {key: values * 3 for key, values in KNOWN.items()}
    two = pd.concat([interventions(), interventions(scope="web").assign(intervention_id="I2")], ignore_index=True)
    ds = CXDataset(name="two", surveys=surveys(many), interventions=two)
    table = intervention_effects(ds, window="4W", metrics=["nps", "csat", "csat_mean"])
    raw = table["did_p_value"].to_numpy()
    order = np.argsort(raw)
    holm = np.maximum.accumulate(np.minimum(1, (6 - np.arange(6)) * raw[order]))
    assert table["did_p_adjusted"].to_numpy()[order] == pytest.approx(holm)
    # mean CSAT moved with raw p of 0.013 and 0.014: a change on its own, not once corrected across the six;
    # on thirty answers a group neither NPS nor mean CSAT could have shown a large change (25 points, 0.5)
    too_few = "too few answers to tell"
    assert table["verdict"].tolist() == [too_few, "improved", too_few, too_few, "worse", too_few]
    bh = intervention_effects(ds, window="4W", metrics=["nps", "csat", "csat_mean"], correction="fdr_bh")
    ranks = np.empty(6)
    ranks[order] = np.arange(1, 7)
    expected = np.minimum.accumulate((raw * 6 / ranks)[order][::-1])[::-1]
    assert bh["did_p_adjusted"].to_numpy()[order] == pytest.approx(np.minimum(expected, 1))
    none = intervention_effects(ds, window="4W", metrics=["nps", "csat", "csat_mean"], correction="none")
    assert none["did_p_adjusted"].to_numpy() == pytest.approx(raw)
    assert none["verdict"].tolist() == [too_few, "improved", "improved", too_few, "worse", "worse"]


def straightforward(ds, plan_metric, *, window, bins, n_boot, seed):
    """Exit rate and its cluster bootstrap the slow, plain way: sessions from sessionize, one resample at a time.

    Each resample draws customers (numbered in the order of their ids as text) with replacement and recomputes
    every window mean from the drawn customers' rows; the reference for the matrix-product bootstrap.
    """
    from cxresearch.sessions import sessionize

    events = sessionize(ds.events)
    last = events.groupby("session")["touchpoint"].last()
    first = events.drop_duplicates(["session", "touchpoint"])
    rows = pd.DataFrame({"time": first["timestamp"], "place": first["touchpoint"], "session": first["session"],
                         "customer": first["customer_id"],
                         "score": (first["touchpoint"].to_numpy() == last.loc[first["session"]].to_numpy()) * 1.0})
    touched = set(rows.loc[rows["place"] == "chat", "session"])
    rows = rows[(rows["place"] == "chat") | ~rows["session"].isin(touched)]
    start, before_start = START, START - pd.Timedelta(window)
    rows = rows[(rows["time"] >= before_start) & (rows["time"] < START + pd.Timedelta(window))]
    rows = rows.assign(arm=np.where(rows["place"] == "chat", 0, 1), after=(rows["time"] >= start).astype(int),
                       bin=((rows["time"] - before_start) // ((start - before_start) / bins)).astype(int))
    customers = sorted(rows["customer"].unique())
    by_customer = [rows[rows["customer"] == c] for c in customers]

    def did(frame):
        mean = frame.groupby(["arm", "after"])["score"].mean()
        return (mean.get((0, 1), np.nan) - mean.get((0, 0), np.nan)) - (
            mean.get((1, 1), np.nan) - mean.get((1, 0), np.nan))

    def gaps(frame):
        mean = frame.groupby(["arm", "bin"])["score"].mean()
        return np.array([mean.get((0, b), np.nan) - mean.get((1, b), np.nan) for b in range(2 * bins)])

    rng = np.random.RandomState(seed)
    resamples = [pd.concat([by_customer[i] for i in rng.randint(0, len(customers), len(customers))])
                 for _ in range(n_boot)]
    boot_did = [did(r) for r in resamples]
    boot_effects = np.array([g - g[bins - 1] for g in map(gaps, resamples)])
    return did(rows), np.nanstd(boot_did, ddof=1), gaps(rows), boot_effects


def test_the_matrix_bootstrap_equals_refitting_each_resample_on_the_drawn_customers():
    # three customers share the sessions of SESSIONS (and two more come back), so clusters hold several sessions
    frame = events({**SESSIONS, 7: "chat", -7: "chat home", 8: "home"})
    frame["customer_id"] = frame["customer_id"].map(lambda c: f"k{int(c[1:]) % 5}" if c != "c8" else "z")
    ds = CXDataset(name="ref", events=frame, interventions=interventions(), stages=STAGES)
    study = intervention_study(ds, window="2W", metrics=["exit_rate"], n_boot=60, random_state=3, min_group_size=1)
    row = study.effects.iloc[0]
    did, did_se, gap, boot_effects = straightforward(ds, "exit_rate", window="2W", bins=4, n_boot=60, seed=3)
    assert row["customers"] == 6
    assert (row["did"], row["did_se"]) == pytest.approx((did, did_se), rel=1e-12)
    shown = study.event_study.set_index("bin")
    assert shown["gap"].to_numpy() == pytest.approx(gap[shown.index + 4], rel=1e-12)
    low, high = np.nanpercentile(boot_effects, [2.5, 97.5], axis=0)
    assert shown["effect_low"].to_numpy() == pytest.approx(low[shown.index + 4], rel=1e-12)
    assert shown["effect_high"].to_numpy() == pytest.approx(high[shown.index + 4], rel=1e-12)


def test_a_precomputed_sentiment_is_used_as_given():
    ds = chat_reviews()
    scored = intervention_effects(ds, window="2W", random_state=1)
    scores = sentiment(ds.reviews["text"])
    pd.testing.assert_frame_equal(scored, intervention_effects(ds, window="2W", random_state=1, sentiment=scores))
    flipped = intervention_effects(ds, window="2W", random_state=1, sentiment=-scores).iloc[0]
    assert flipped["did"] == pytest.approx(-scored.iloc[0]["did"]) and flipped["verdict"] == "worse"
    with pytest.raises(ParameterError, match="one score per review"):
        intervention_effects(ds, window="2W", sentiment=pd.Series([0.1, 0.2]))


def test_a_run_journey_log_gives_the_same_evidence_as_cutting_the_sessions_here():
    from cxresearch.journeys import journey_log

    frame = events({**SESSIONS, 7: "chat", -7: "chat home"})
    ds = CXDataset(name="log", events=frame.sample(frac=1, random_state=0), interventions=interventions(),
                   stages=STAGES)
    here = intervention_study(ds, window="2W", n_boot=50, min_group_size=1)
    given = intervention_study(ds, window="2W", n_boot=50, min_group_size=1, log=journey_log(ds))
    pd.testing.assert_frame_equal(here.effects, given.effects)
    pd.testing.assert_frame_equal(here.event_study, given.event_study)
    series = intervention_series(ds, "I1", metric="conversion", log=journey_log(ds)).table
    pd.testing.assert_frame_equal(series, intervention_series(ds, "I1", metric="conversion").table)
    assert set(here.effects["metric"]) == {"exit_rate", "conversion"}


def test_the_minimum_detectable_effect_and_se_read_as_sizes_without_a_sign(known):
    shown = pretty(known.reset_index()[["metric", "did", "did_low", "did_high", "mde"]]).data.set_index("metric")
    assert known.loc["nps", "mde"] > 0 and shown.loc["nps", "mde"] == f"{known.loc['nps', 'mde']:.1f} pt"
    assert shown.loc["csat", "mde"] == f"{known.loc['csat', 'mde'] * 100:.1f} pp"
    assert shown.loc["csat", "did"].startswith("+")     # a change keeps its sign


def test_the_routine_measures_in_its_intervention_window(tmp_path):
    ds = CXDataset(name="known", surveys=surveys(KNOWN), interventions=interventions(), stages=STAGES)
    parameters = RoutineParameters(data_dir=str(tmp_path), intervention_window="3W", min_group_size=1)
    effects = run_intervention_study(parameters, ds, {"sentiment": None, "log": None}).effects
    assert (effects["start"] - effects["before_start"] == pd.Timedelta(weeks=3)).all()
    assert effects.equals(intervention_effects(ds, window="3W", min_group_size=1, random_state=42))


def test_window_note_names_the_window_and_how_to_widen_it_when_answers_are_too_few(demo):
    _, _, effects = demo
    short = effects["8W"].reset_index()
    note = window_note(short)
    assert note.startswith("Each verdict compares the 8 weeks before an intervention's start with the 8 weeks after "
                           "it (the run's `intervention_window`, 8W")
    # I001's CSAT at chat support: a few dozen answers, too few to tell in 8 weeks; the note gives the counts and
    # the smallest change the sample would detect, then the wider window to run with
    csat = short.set_index(["intervention_id", "metric"]).loc[("I001", "csat")]
    assert csat["verdict"] == "too few answers to tell"
    assert (f"- **I001** {METRICS['csat'].label}: {csat['before_n']} answers at chat support before the start, "
            f"{csat['after_n']} answers after: ±{csat['mde'] * 100:.1f} percentage points") in note
    assert "- **I001** exit rate" not in note       # found in 8 weeks: nothing to widen
    assert "`-p intervention_window=16W`" in note and "a second try at significance" in note
    # 26 weeks: I001's CSAT gain is found; I002's few newsletter answers still cannot tell, so widen again
    wide = window_note(effects["26W"].reset_index())
    assert "26 weeks" in wide and "**I001** CSAT" not in wide and "**I002** CSAT" in wide
    assert "`-p intervention_window=52W`" in wide
    with i18n.using("it"):
        italian = window_note(short)
    assert italian.startswith("Ogni esito confronta una finestra di 8 settimane prima dell'avvio di un intervento")
    assert f"{csat['after_n']} risposte dopo" in italian and "`-p intervention_window=16W`" in italian


def test_window_note_of_an_intervention_that_ended_and_of_days():
    ds = CXDataset(name="ended", surveys=surveys(KNOWN), interventions=interventions(end="2025-03-06"))
    note = window_note(intervention_effects(ds, window="10D", metrics=["csat"], min_group_size=1))
    assert "the 10 days before an intervention's start with the 10 days after it" in note
    assert "I1 ended on March 6, 2025: its after window stops there." in note
    assert window_note(intervention_effects(CXDataset(name="none", surveys=surveys(KNOWN)))) == ""


def test_a_period_run_measures_each_intervention_on_the_weeks_around_it(demo, demo_folder):
    # a run over July to December: I001 starts on July 1, so its before window lies before the period; I002
    # (April 1) ended its 8-week after window in May: the run of its own period measures it
    _, _, effects = demo
    params = RoutineParameters(data_dir=str(demo_folder), period_start="2025-07-01")
    with pytest.warns(DataWarning, match=r"1 intervention is not measured in this period.*\(I002\)"):
        history = params.load_history()
    assert params.history_start == "2025-03-11" and list(history.interventions["intervention_id"]) == ["I001"]
    assert history.events["timestamp"].min() >= pd.Timestamp("2025-03-11", tz="UTC")
    with pytest.warns(DataWarning, match="I002"):
        period = params.load()
    assert period.events["timestamp"].min() >= pd.Timestamp("2025-07-01", tz="UTC")
    # the period alone holds none of I001's before window: nothing to compare
    alone = intervention_study(period, random_state=42).effects.set_index(["intervention_id", "metric"])
    assert (alone.loc["I001", "before_n"] == 0).all() and (alone.loc["I001", "verdict"] == "not enough data").all()
    # the history holds it whole: the same counts and means as a measurement on all the data
    measured = run_intervention_study(params, history).effects.set_index(["intervention_id", "metric"])
    columns = ["before_start", "after_end", "before", "before_n", "after", "after_n", "change"]
    pd.testing.assert_frame_equal(measured.loc[["I001"], columns], effects["8W"].loc[["I001"], columns])


def test_window_note_names_the_after_windows_the_period_cuts(demo):
    _, _, effects = demo
    note = window_note(effects["8W"].reset_index(), period_end="2025-08-01")
    assert ("The run's period ends on July 31, 2025: the after window of I001 stops there. A run whose period "
            "reaches the end of that window measures it whole.") in note
    assert "period ends" not in window_note(effects["8W"].reset_index(), period_end="2026-01-01")


def test_a_scope_written_as_the_pages_show_it_reads_as_its_code_and_a_typo_names_the_closest(demo_folder, tmp_path):
    """'Chat Support' (as the pages print chat_support) is that touchpoint, with a note; 'newslettr' is a problem
    naming the file, column, line and the closest code."""
    import shutil

    from cxresearch.dataset import validate

    folder = shutil.copytree(demo_folder, tmp_path / "demo", ignore=shutil.ignore_patterns("truth"))
    table = pd.read_csv(folder / "interventions.csv")
    table["scope"] = table["scope"].replace({"chat_support": "Chat Support", "newsletter": "newslettr"})
    table.to_csv(folder / "interventions.csv", index=False)
    report = validate(folder)
    assert "interventions.csv: scopes read as the data's codes: 'chat support' → 'chat_support'." in report.notes
    (problem,) = report.problems
    assert (problem.file, problem.column, problem.values) == ("interventions.csv", "scope", ("newslettr",))
    assert "the closest codes: 'newslettr' → 'newsletter'" in problem.message
    table["scope"] = table["scope"].replace({"newslettr": "newsletter"})
    table.to_csv(folder / "interventions.csv", index=False)
    assert load_dataset(folder).interventions["scope"].tolist() == ["chat_support", "newsletter"]

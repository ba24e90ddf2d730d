"""Journeys on tiny literal event tables with exact expected output."""
import warnings

import numpy as np
import pandas as pd
import pytest

from cxresearch.charts import emotion_curve, journey_heatmap, journey_sankey, transition_heatmap
from cxresearch.dataset import CXDataset, load_dataset, load_snapshot, save_snapshot, write_dataset
from cxresearch.errors import DataError, DataWarning, ParameterError, SmallGroupWarning
from cxresearch import i18n
from cxresearch.journeys import (JourneyMap, funnel_note, journey_log, journey_map, journey_table, pain_point_note,
                                 place_name, sessionize)
from cxresearch.widgets import JourneyExplorer

STAGES = {"awareness": ["home"], "consideration": ["product"], "purchase": ["checkout"], "service": ["chat"]}


def table(rows, columns=("customer_id", "timestamp", "channel", "touchpoint")):
    events = pd.DataFrame(rows, columns=list(columns))
    events["timestamp"] = pd.to_datetime(events["timestamp"], utc=True)
    return events


@pytest.fixture
def events():
    # file order is deliberately not journey order; b's 09:01 events tie in time
    return table([
        ("a", "2024-01-01 10:00", "web", "home"),
        ("b", "2024-01-01 09:00", "app", "home"),
        ("a", "2024-01-01 10:05", "web", "product"),
        ("a", "2024-01-01 10:07", "web", "checkout"),
        ("b", "2024-01-01 09:01", "app", "product"),
        ("a", "2024-01-01 11:00", "web", "home"),      # 53 min later: new session
        ("c", "2024-01-01 12:00", "store", "checkout"),
        ("b", "2024-01-01 09:01", "app", "home"),      # same time as product: file order keeps it after
    ])


@pytest.fixture
def jm(events):
    return journey_map(CXDataset(name="tiny", events=events, stages=STAGES), min_group_size=1)


def test_sessionize_cuts_on_gap_and_keeps_file_order_for_ties(events):
    out = sessionize(events)
    assert out.index.tolist() == [0, 2, 3, 5, 1, 4, 7, 6]
    assert out["session"].tolist() == [0, 0, 0, 1, 2, 2, 2, 3]
    assert out["position"].tolist() == [1, 2, 3, 1, 1, 2, 3, 1]
    assert events.columns.tolist() == ["customer_id", "timestamp", "channel", "touchpoint"]  # input untouched


def test_sessionize_gap_is_strictly_more_than(events):
    assert sessionize(events, gap="52min")["session"].nunique() == 4
    assert sessionize(events, gap="53min")["session"].nunique() == 3    # exactly 53 min apart: same session
    assert sessionize(events, gap="1h")["session"].tolist() == [0, 0, 0, 0, 1, 1, 1, 2]
    assert sessionize(events, gap=None)["session"].nunique() == 3


def test_sessionize_orders_nanoseconds_over_centuries():
    # 500 years in nanoseconds and three customers do not fit one packed 63-bit key: the lexsort path
    events = table([("c", "2200-01-01 00:00:00.000000001", "web", "home"),
                    ("a", "2200-01-01 00:00:00.000000002", "web", "cart"),
                    ("a", "1700-01-01 00:00:00.000000003", "web", "home"),
                    ("b", "1700-01-01 00:00:00.000000000", "web", "home"),
                    ("a", "2200-01-01 00:00:00.000000002", "web", "chat")])
    out = sessionize(events, gap=None)
    assert out.index.tolist() == [2, 1, 4, 3, 0]
    assert out["session"].tolist() == [0, 0, 0, 1, 2]


def test_sessionize_breaks_where_session_id_changes():
    events = table([("a", "2024-01-01 10:00", "web", "home", "s1"),
                    ("a", "2024-01-01 10:01", "web", "product", "s1"),
                    ("a", "2024-01-01 10:02", "app", "home", "s2"),
                    ("a", "2024-01-01 10:03", "app", "chat", None)],
                   columns=("customer_id", "timestamp", "channel", "touchpoint", "session_id"))
    assert sessionize(events)["session"].tolist() == [0, 0, 1, 2]


def order_milestones():
    """One customer's two orders, milestones days apart, then two unlabelled web visits 20 min apart."""
    return table([("a", "2024-01-01 10:00", "web", "order_placed", "o1"),
                  ("a", "2024-01-01 10:20", "web", "payment_approved", "o1"),
                  ("a", "2024-01-03 08:00", "web", "handed_to_carrier", "o1"),
                  ("a", "2024-01-09 15:00", "web", "delivered", "o1"),
                  ("a", "2024-02-01 10:00", "web", "order_placed", "o2"),
                  ("a", "2024-02-06 10:00", "web", "delivered", "o2"),
                  ("a", "2024-03-01 10:00", "web", "home", None),
                  ("a", "2024-03-01 10:20", "web", "product", None),
                  ("a", "2024-03-01 12:00", "web", "home", None)],
                 columns=("customer_id", "timestamp", "channel", "touchpoint", "session_id"))


def test_sessionize_trusts_given_session_ids_and_cuts_the_rest_at_30_minutes():
    events = order_milestones()
    assert sessionize(events)["session"].tolist() == [0, 0, 0, 0, 1, 1, 2, 2, 3]
    assert sessionize(events, gap=None)["session"].tolist() == [0, 0, 0, 0, 1, 1, 2, 2, 2]
    assert sessionize(events, gap="30min")["session"].tolist() == [0, 0, 1, 2, 3, 4, 5, 5, 6]


def test_journey_map_takes_the_datasets_session_gap():
    events = order_milestones()
    trusted = journey_map(CXDataset(name="orders", events=events), min_group_size=1)
    assert trusted.touchpoints.set_index("touchpoint")["exits"].to_dict() == {
        "order_placed": 0, "payment_approved": 0, "handed_to_carrier": 0, "delivered": 2, "home": 1, "product": 1}
    assert trusted.transitions["count"].sum() == 5      # 3 + 1 inside the orders, 1 inside the visit
    per_customer = journey_map(CXDataset(name="orders", events=events, session_gap=None), min_group_size=1)
    assert per_customer.transitions["count"].sum() == 6  # ... and 2 inside the visits, which are one session
    cut = journey_map(CXDataset(name="orders", events=events, session_gap=pd.Timedelta("30min")), min_group_size=1)
    assert cut.transitions["count"].sum() == 2           # only 10:00 -> 10:20 of o1 and of the visit
    assert journey_map(CXDataset(name="orders", events=events, session_gap=None), gap="30min",
                       min_group_size=1).transitions["count"].sum() == 2   # an explicit gap wins


@pytest.mark.parametrize("setting, expected", [("", "auto"), ("session_gap: 45\n", pd.Timedelta("45min")),
                                               ("session_gap: none\n", None), ("session_gap: auto\n", "auto")])
def test_session_gap_is_read_from_dataset_yml_and_kept_by_snapshots_and_imports(tmp_path, setting, expected):
    order_milestones().to_csv(tmp_path / "events.csv", index=False)
    (tmp_path / "dataset.yml").write_text("name: orders\n" + setting, encoding="utf-8")
    ds = load_dataset(tmp_path)
    assert ds.session_gap == expected
    assert load_snapshot(save_snapshot(ds, tmp_path / "snapshot")).session_gap == expected
    assert load_dataset(write_dataset(ds, tmp_path / "copy")).session_gap == expected


def test_a_bad_session_gap_names_the_setting_and_what_it_takes(tmp_path):
    order_milestones().to_csv(tmp_path / "events.csv", index=False)
    (tmp_path / "dataset.yml").write_text("session_gap: half an hour\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"session_gap must be a number of minutes.*'none'.*'half an hour'"):
        load_dataset(tmp_path)


def test_sessionize_errors_name_the_problem(events):
    with pytest.raises(DataError, match="missing column 'timestamp'.*Did you mean 'timestmp'"):
        sessionize(events.rename(columns={"timestamp": "timestmp"}))
    with pytest.raises(DataError, match=r"expected datetimes; found dtype"):
        sessionize(events.assign(timestamp=events["timestamp"].astype(str)))
    with pytest.raises(DataError, match=r"empty values.*row 3"):
        sessionize(events.assign(customer_id=events["customer_id"].where(events.index != 1)))
    with pytest.raises(ParameterError, match="gap must be a positive duration"):
        sessionize(events, gap="soon")
    with pytest.raises(ParameterError, match="positive"):
        sessionize(events, gap="-5min")


def test_transitions_exact(jm):
    got = jm.transitions
    assert got[["from_touchpoint", "to_touchpoint", "count", "customers"]].values.tolist() == [
        ["home", "product", 2, 2], ["product", "checkout", 1, 1], ["product", "home", 1, 1]]
    assert got["median_time"].tolist() == [pd.Timedelta("3min"), pd.Timedelta("2min"), pd.Timedelta(0)]


def test_entries_and_exits(jm):
    got = jm.touchpoints.set_index("touchpoint")
    assert got.loc[["home", "checkout", "product"], ["events", "entries", "exits", "customers"]].values.tolist() == [
        [4, 3, 2, 2], [2, 1, 2, 2], [2, 0, 0, 2]]
    assert got["exit_rate"].to_dict() == {"home": 0.5, "checkout": 1.0, "product": 0.0}
    assert got["stage"].to_dict() == {"home": "awareness", "checkout": "purchase", "product": "consideration"}


def test_stages_in_dataset_order_with_conversion_and_time(jm):
    got = jm.stages
    assert got["stage"].tolist() == ["awareness", "consideration", "purchase", "service"]
    assert got["customers"].tolist() == [2, 2, 2, 0]   # nobody reached service: shown, it discloses nobody
    assert got["converted"].tolist() == [0, 2, 1, 0]   # c bought without considering
    shown = journey_table(got).data["converted"]                 # on the page the first stage converts from nothing
    assert pd.isna(shown.iloc[0]) and shown.iloc[1:].tolist() == [2, 1, 0]
    np.testing.assert_allclose(got["conversion"], [np.nan, 1.0, 0.5, 0.0])
    np.testing.assert_allclose(got["drop_off"], [np.nan, 0.0, 0.5, 1.0])
    assert got["median_time_from_previous"].tolist()[1:3] == [pd.Timedelta("3min"), pd.Timedelta("2min")]


def test_funnel_orders_steps_and_applies_window(jm):
    got = jm.funnel(["home", "checkout"])
    assert got["customers"].tolist() == [2, 1]
    assert got["conversion"].tolist()[1] == 0.5
    assert got["median_time_from_previous"].iloc[1] == pd.Timedelta("7min")
    assert jm.funnel(["home", "checkout"], within="5min")["customers"].tolist() == [2, 0]
    assert jm.funnel(["home", "home"])["customers"].tolist() == [2, 2]        # strictly after: a at 11:00, b's tie
    assert jm.funnel(["checkout", "home"])["customers"].tolist() == [2, 1]    # a returned home at 11:00
    assert jm.funnel(["awareness", "purchase"])["customers"].tolist() == [2, 1]


def test_the_map_says_how_its_sessions_were_cut():
    events = table([("a", "2024-01-01 10:00", "web", "home"), ("a", "2024-01-01 10:20", "web", "checkout")])
    said = {gap: journey_map(CXDataset(name="t", events=events), gap=gap)._repr_markdown_()
            for gap in ("auto", "45min", None)}
    assert "A session ends after 30 minutes of inactivity." in said["auto"]
    assert "A session ends after 45 min of inactivity." in said["45min"]
    assert "A session ends only where the session_id or the customer changes." in said[None]
    with_id = journey_map(CXDataset(name="t", events=events.assign(session_id=["s1", "s2"])))
    assert "Sessions follow the export's session_id" in with_id._repr_markdown_()


def test_funnel_counts_what_its_window_leaves_out_and_the_note_says_how_to_count_them():
    # x reaches checkout 40 days after home, y within 3 days, z reaches product only after 50 days
    days = {"x": (0, 1, 40), "y": (0, 2, 3), "z": (0, 50, None)}
    rows = [(c, pd.Timestamp("2024-01-01") + pd.Timedelta(days=d), "web", tp) for c, steps in days.items()
            for d, tp in zip(steps, ("home", "product", "checkout")) if d is not None]
    jm = journey_map(CXDataset(name="slow", events=table(rows), stages=STAGES), min_group_size=1)
    steps = ["home", "product", "checkout"]
    assert jm.funnel(steps, within="30D")["customers"].tolist() == [3, 2, 1]
    assert jm.funnel(steps)["customers"].tolist() == [3, 3, 2]  # z at product, x at checkout: only later
    note = funnel_note(jm, steps, within="30D")
    assert "within 30 days of their first step (the run's `funnel_window`, 30D)" in note
    assert "1 at product (of 3 in the whole period) and 1 at checkout (of 2 in the whole period)" in note
    # the steps' median delays add up to 22 days; twice the window (60 days) holds everyone at every step
    assert "`-p funnel_window=60D`" in note and "`-p funnel_window=` for no limit" in note
    assert jm.funnel(steps, within="60D")["customers"].tolist() == [3, 3, 2]
    assert "leaves no one out" in funnel_note(jm, steps, within="8W")
    assert "no time limit" in funnel_note(jm, steps, within="")
    with i18n.using("it"):
        assert "entro 30 giorni" in funnel_note(jm, steps, within="30D")


def test_funnel_rejects_unknown_step(jm):
    with pytest.raises(ParameterError, match=r"unknown funnel step 'chekout'.*Did you mean 'checkout'"):
        jm.funnel(["home", "chekout"])


def test_paths_and_truncation(jm):
    assert jm.paths()[["path", "sessions"]].values.tolist() == [
        ["checkout", 1], ["home", 1], ["home > product > checkout", 1], ["home > product > home", 1]]
    short = jm.paths(max_steps=2)
    assert short[["path", "sessions", "customers", "share"]].values.tolist()[0] == ["home > product > ...", 2, 2, 0.5]
    assert len(jm.paths(top=1)) == 1


def test_paths_hide_and_note_only_the_small_paths_they_would_show(events):
    jm = journey_map(CXDataset(name="tiny", events=events, stages=STAGES), min_group_size=2)
    with pytest.warns(SmallGroupWarning, match=r"^2 groups with fewer than 2"):   # of the top 2, not all 4
        assert jm.paths(top=2).empty
    assert jm.paths(top=1, max_steps=2)["path"].tolist() == ["home > product > ..."]   # 2 customers: shown


def test_a_hidden_groups_note_names_stages_in_the_readers_language(events):
    jm = journey_map(CXDataset(name="tiny", events=events, stages=STAGES), min_group_size=2)
    with i18n.using("it"), pytest.warns(SmallGroupWarning) as caught:
        jm.matrix
    said = " ".join(str(w.message) for w in caught)
    assert "“consapevolezza · app”" in said and "awareness" not in said      # b's home on the app: one customer


def test_paths_compared_packed_or_row_by_row_agree(jm):
    # 3 touchpoints take 2 bits a step: 20 steps pack into one int64 key, 40 are compared as rows
    assert jm.paths(max_steps=20).equals(jm.paths(max_steps=40))
    assert jm.paths(max_steps=20)["path"].tolist() == jm.paths(max_steps=40)["path"].tolist()


def test_actions_count_customers_per_stage_and_event(events):
    named = events.assign(event=["view", "view", "view", "buy", "view", "view", "buy", None])
    actions = journey_map(CXDataset(name="tiny", events=named, stages=STAGES), min_group_size=1).actions
    assert actions.values.tolist() == [["awareness", "view", 2], ["consideration", "view", 2],
                                       ["purchase", "buy", 2]]    # b's home at 09:01 has no event name
    assert journey_map(CXDataset(name="tiny", events=events), min_group_size=1).actions.empty


def test_a_shared_log_must_be_cut_with_the_maps_gap(events):
    ds = CXDataset(name="tiny", events=events, stages=STAGES)
    log = journey_log(ds, gap="1h")
    assert journey_map(ds, gap="1h", log=log, min_group_size=1).transitions.equals(
        journey_map(ds, gap="1h", min_group_size=1).transitions)
    with pytest.raises(ParameterError, match="cut with gap=Timedelta"):
        journey_map(ds, log=log)


def test_flows_include_exits(jm):
    got = jm.flows(3)
    rows = got.assign(to_touchpoint=got["to_touchpoint"].fillna("(exit)"))[
        ["step", "from_touchpoint", "to_touchpoint", "count"]].values.tolist()
    assert rows == [[1, "home", "product", 2], [1, "checkout", "(exit)", 1], [1, "home", "(exit)", 1],
                    [2, "product", "checkout", 1], [2, "product", "home", 1]]


def test_cross_channel_and_switching():
    events = table([("a", "2024-01-01 10:00", "web", "home"), ("a", "2024-01-02 10:00", "store", "checkout"),
                    ("b", "2024-01-01 10:00", "web", "home"), ("b", "2024-01-01 10:01", "web", "product")])
    jm = journey_map(CXDataset(name="x", events=events), min_group_size=1)
    assert jm.cross_channel[["customers", "multichannel_customers", "multichannel_share"]].values.tolist() == [
        [2, 1, 0.5]]
    assert jm.switching[["from_channel", "to_channel", "count", "customers"]].values.tolist() == [
        ["web", "store", 1, 1]]  # web to web is no switch


def pain_dataset():
    """20 customers: half go home > product > chat and leave unhappy, half buy happily."""
    rows, answers = [], []
    for i in range(20):
        last = "chat" if i < 10 else "checkout"
        for minute, tp in enumerate(["home", "product", last]):
            rows.append((f"c{i:02d}", f"2024-01-01 10:{minute:02d}", "chat" if tp == "chat" else "web", tp))
        answers.append((f"r{i}", f"c{i:02d}", "2024-01-01 11:00", rows[-1][2], last, 1.0 if i < 10 else 5.0))
    surveys = pd.DataFrame(answers, columns=["response_id", "customer_id", "timestamp", "channel", "touchpoint",
                                             "csat"])
    return CXDataset(name="pain", events=table(rows), surveys=surveys, stages=STAGES)


def test_pain_point_ranks_first_with_its_evidence():
    jm = journey_map(pain_dataset())
    got = jm.pain_points(negative_topics=pd.Series({"chat": "waiting time"}))
    top = got.iloc[0]
    assert (top["name"], top["stage"], top["reach"], top["exit_rate"], top["csat"]) == ("chat", "service", 0.5, 1, 0)
    assert top["excess_exit_rate"] == 0                 # every visit ends its session: an end of journey, no excess
    assert top["end_of_journey"] == "end of journey" and np.isnan(top["abandon_rate"])
    assert top["excess_dissatisfaction"] == pytest.approx(0.5)            # overall CSAT 50%
    assert top["impact"] == pytest.approx(0.5 * 0.5)
    assert top["negative_topics"] == "waiting time"
    checkout = got.set_index("name").loc["checkout"]
    assert checkout["excess_exit_rate"] == 0 and checkout["impact"] == 0   # happy exits: no pain
    stages = jm.pain_points(by="stage")
    assert stages["name"].iloc[0] == "service" and stages["impact"].iloc[0] == pytest.approx(top["impact"])


def test_without_answers_the_last_step_of_every_journey_is_no_pain():
    """Half leave at chat, half at checkout, both the last step of every visit: without answers nothing tells a
    drop-off from an end there, so both are ends of journey and nothing ranks."""
    ds = pain_dataset()
    ds.surveys = None
    jm = journey_map(ds)
    pains = jm.pain_points().set_index("name")
    assert pains.loc[["chat", "checkout"], "end_of_journey"].tolist() == ["end of journey"] * 2
    assert pains["impact"].eq(0).all() and pains.loc["chat", "abandon_rate"] != pains.loc["chat", "abandon_rate"]
    assert pain_point_note(jm).endswith("Every session reaches one: with no exit and no CSAT answer to rank, there is "
                                        "no pain point.")
    with pytest.raises(ParameterError, match="by must be one of 'touchpoint', 'stage'; got 'channel'"):
        jm.pain_points(by="channel")


def loan_dataset(stages=None):
    """10 applications: 6 declined, after which the back office closes its work item (nothing new follows), and 4
    left at the work item with no outcome."""
    rows = []
    for i in range(10):
        steps = ["submitted", "work", "declined", "work"] if i < 6 else ["submitted", "work"]
        rows += [(f"c{i}", f"2024-01-01 10:{minute:02d}", "web", tp) for minute, tp in enumerate(steps)]
    return CXDataset(name="loans", events=table(rows), stages=stages or {})


def test_an_end_of_journey_completes_its_session_and_exits_rank_where_journeys_were_left():
    jm = journey_map(loan_dataset(), min_group_size=1)
    pains = jm.pain_points().set_index("name")
    # declined: nothing new after any of its 6 visits; work: 10 of 16 visits go nowhere new (62.5% < 75%)
    assert pains["end_of_journey"].to_dict() == {"work": "", "submitted": "", "declined": "end of journey"}
    # the 6 declined sessions end at work but are complete: only the 4 left there count
    assert pains.loc["work", "abandon_rate"] == pytest.approx(4 / 16)
    assert pains.loc["work", "excess_exit_rate"] == pytest.approx(4 / 16 - 4 / 26)   # 26 visits at work or submitted
    assert pains.loc["work", "impact"] == pytest.approx(4 / 16 - 4 / 26)              # reach 1, no answers
    assert pains.index[0] == "work" and pains.loc[["submitted", "declined"], "impact"].eq(0).all()
    ends = jm.endings
    assert ends[["touchpoint", "kind", "sessions", "share", "customers", "exit_rate"]].values.tolist() == [
        ["declined", "end of journey", 6, 0.6, 6, 0.0]]
    assert pain_point_note(jm) == (
        "Ends of journey found in the data, places after which at least three visits in four go nowhere new (the "
        "session ends there or only comes back to earlier places): declined (60% of sessions). None of them is a place "
        "customers leave: their exits do not rank, and a session that reached one is complete, wherever it ends. 4 of "
        "10 sessions (40%) end before reaching one: the exits the pain points rank.")


def test_an_outcome_stage_declares_outcomes_and_a_persona_keeps_the_journey_ends():
    jm = journey_map(loan_dataset({"application": ["submitted", "work"], "outcome": ["declined"]}), min_group_size=1)
    assert jm.endings["kind"].tolist() == ["outcome"]
    assert jm.pain_points(by="stage").set_index("name")["end_of_journey"].to_dict() == {
        "application": "", "outcome": "outcome"}
    assert pain_point_note(jm).startswith("The journey's outcomes, as the dataset declares them (its stage `outcome`): "
                                          "declined (60% of sessions).")
    personas = pd.Series(["declined"] * 6 + ["left"] * 4, index=[f"c{i}" for i in range(10)])
    left = journey_map(loan_dataset(), personas=personas, min_group_size=1).subset(persona="left")
    # alone, the leavers end every visit at work; judged on the whole journey, work is no end: their exits rank
    pains = left.pain_points().set_index("name")
    assert pains.loc["work", "end_of_journey"] == "" and pains.loc["work", "abandon_rate"] == 1
    assert pains.loc["work", "excess_exit_rate"] == pytest.approx(1 - 4 / 8)      # 8 visits at work or submitted


def test_stage_and_matrix_satisfaction_with_interval():
    jm = journey_map(pain_dataset())
    service = jm.stages.set_index("stage").loc["service"]
    assert (service["surveys"], service["csat"], service["csat_mean"]) == (10, 0.0, 1.0)
    assert 0 < service["csat_high"] < 35   # Wilson interval of 0/10
    purchase = jm.matrix.set_index(["stage", "channel"]).loc[("purchase", "web")]
    assert (purchase["customers"], purchase["events"], purchase["exit_rate"]) == (10, 10, 1.0)


def test_channel_audit_flags_underperforming_and_barely_used():
    ds = pain_dataset()
    rare = table([("z", "2024-01-02 10:00", "fax", "home")] + [
        (f"y{i}", "2024-01-02 10:00", "web", "home") for i in range(40)])
    ds.events = pd.concat([ds.events, rare], ignore_index=True)
    audit = journey_map(ds, min_group_size=1).channels
    assert audit.columns[:4].tolist() == ["level", "channel", "touchpoint", "flag"]   # the verdict readable first
    flags = audit.loc[audit["level"] == "channel"].set_index("channel")["flag"].to_dict()
    assert flags == {"chat": "underperforming", "fax": "barely used", "web": ""}
    product = audit.set_index(["level", "channel", "touchpoint"]).loc[("touchpoint", "web", "product")]
    assert (product["exit_rate"], product["expected_exit_rate"], product["flag"]) == (0, 0, "")  # never an exit
    assert (audit["completeness"] == 1.0).all()
    shown = journey_table(audit).data                      # on the page: narrower, the same rows
    assert "level" not in shown and "completeness" not in shown and len(shown) == len(audit)
    assert shown.loc[audit["level"] == "channel", "touchpoint"].eq("all touchpoints").all()
    with i18n.using("it"):
        assert ">tutti i touchpoint<" in journey_table(audit).to_html()


def test_personas_split_every_table_and_suppress_small_groups():
    ds = pain_dataset()
    personas = pd.Series({f"c{i:02d}": ("hurried" if i < 10 else "happy") for i in range(20)})
    jm = journey_map(ds, personas=personas)
    assert jm.transitions.columns[0] == "persona"
    hurried = jm.transitions.loc[jm.transitions["persona"] == "hurried"]
    assert hurried[["from_touchpoint", "to_touchpoint", "count"]].values.tolist() == [
        ["home", "product", 10], ["product", "chat", 10]]
    pains = jm.pain_points().set_index(["persona", "name"])
    assert pains.loc[("hurried", "chat"), "csat"] == 0
    assert pains.loc[("hurried", "chat"), "excess_dissatisfaction"] == 0   # as unhappy as the rest of their journey
    with pytest.warns(SmallGroupWarning):
        small = journey_map(ds, personas=personas, min_group_size=11)
        assert small.transitions.empty
    with pytest.warns(DataWarning, match="1 customer"):
        journey_map(ds, personas=personas.drop("c00"))


def test_subset_by_channel_and_persona():
    ds = pain_dataset()
    personas = pd.Series({f"c{i:02d}": ("hurried" if i < 10 else "happy") for i in range(20)})
    jm = journey_map(ds, personas=personas)
    web = jm.subset(channels="web", persona="happy")
    assert web.transitions[["persona", "from_touchpoint", "to_touchpoint", "count"]].values.tolist() == [
        ["happy", "home", "product", 10], ["happy", "product", "checkout", 10]]
    with pytest.raises(ParameterError, match=r"channel must be one of .*; got 'wbe'. Did you mean 'web'"):
        jm.subset(channels="wbe")


def test_missing_or_empty_events_and_bad_parameters(events):
    with pytest.raises(DataError, match="no events table"):
        journey_map(CXDataset(name="empty"))
    with pytest.raises(DataError, match="no events; journeys need at least one"):
        journey_map(CXDataset(name="empty", events=events.iloc[:0]))
    with pytest.raises(ParameterError, match="min_group_size must be a whole number of 1 or more; got 0"):
        journey_map(CXDataset(name="tiny", events=events), min_group_size=0)
    with pytest.raises(ParameterError, match="top must be a whole number of 1 or more"):
        journey_map(CXDataset(name="tiny", events=events)).paths(top=0)

def test_charts_draw_the_tables(jm):
    sankey = journey_sankey(jm.flows(3)).data[0]
    assert list(sankey.link.value) == [2, 1, 1, 1, 1]
    assert [sankey.node.label[i] for i in sankey.link.target] == ["product", "exit", "exit", "checkout", "home"]
    heat = transition_heatmap(jm.transitions).data[0]
    assert list(heat.y) == ["home", "product"] and list(heat.x) == ["checkout", "home", "product"]
    assert heat.z.tolist() == [[0, 0, 1], [0.5, 0.5, 0]]
    curve = emotion_curve(journey_map(pain_dataset()).stages).data[0]
    assert list(curve.x) == ["awareness", "consideration", "purchase", "service"]
    assert list(curve.y)[2:] == [5.0, 1.0]


def test_single_persona_charts_refuse_a_mixed_table():
    personas = pd.Series({f"c{i:02d}": ("hurried" if i < 10 else "happy") for i in range(20)})
    matrix = journey_map(pain_dataset(), personas=personas).matrix
    with pytest.raises(ParameterError, match=r"one persona at a time.*\['happy', 'hurried'\]"):
        journey_heatmap(matrix)
    assert len(journey_heatmap(matrix[matrix["persona"] == "happy"]).data[0].x) == 3


def test_explorer_filters_by_persona_and_channel():
    personas = pd.Series({f"c{i:02d}": ("hurried" if i < 10 else "happy") for i in range(20)})
    explorer = JourneyExplorer(pain_dataset(), personas=personas)
    assert explorer.persona.options == ("all", "happy", "hurried")
    explorer.chart.value = "transitions"
    assert list(explorer.figure.data[0].y) == ["home", "product"]
    explorer.persona.value = "hurried"
    explorer.channel.value = "web"
    assert explorer.journey.transitions[["from_touchpoint", "to_touchpoint", "count"]].values.tolist() == [
        ["home", "product", 10]]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from cxresearch import load_dataset
    from cxresearch.synthetic import generate
    folder = generate(tmp_path_factory.mktemp("demo") / "demo", customers=3000, random_state=42)
    return folder, load_dataset(folder)


def test_demo_transitions_equal_the_planted_truth(demo):
    folder, ds = demo
    truth = pd.read_csv(folder / "truth" / "transitions.csv")
    got = journey_map(ds).transitions[["from_touchpoint", "to_touchpoint", "count"]]
    key = ["from_touchpoint", "to_touchpoint"]
    pd.testing.assert_frame_equal(got.sort_values(key, ignore_index=True), truth.sort_values(key, ignore_index=True),
                                  check_dtype=False)


def test_demo_planted_pain_point_ranks_first(demo):
    folder, ds = demo
    planted = pd.read_json(folder / "truth" / "pain_point.json", typ="series")
    jm = journey_map(ds)
    assert jm.pain_points(top=1)["name"].tolist() == [planted["touchpoint"]]
    assert jm.pain_points(by="stage", top=1)["name"].tolist() == [planted["stage"]]
    audit = jm.channels.set_index(["level", "channel"])
    assert audit.loc[("channel", planted["channel"]), "flag"] == "underperforming"


def test_make_demo_ranks_the_planted_pain_point_first_not_a_natural_end(tmp_path):
    """On make demo's data (5,000 customers, seed 42) returns, where 89 % of visits end the session, outranked the
    planted chat support by its exits; a place where most visits end is an end of journey, its exits no pain."""
    from cxresearch import load_dataset
    from cxresearch.synthetic import generate
    folder = generate(tmp_path / "demo", customers=5000, random_state=42)
    planted = pd.read_json(folder / "truth" / "pain_point.json", typ="series")
    pains = journey_map(load_dataset(folder)).pain_points(top=5).set_index("name")
    assert pains.index[0] == planted["touchpoint"]
    assert pains.loc["returns", "exit_rate"] > 0.75 and pains.loc["returns", "excess_exit_rate"] == 0
    assert pains.loc["returns", "end_of_journey"] == "end of journey"
    assert pains.loc["chat_support", "end_of_journey"] == "" and pains.loc["chat_support", "excess_exit_rate"] > 0


def test_maps_of_one_shared_log_equal_maps_cut_from_their_own_events(demo):
    """The routine cuts the sessions once: the overall map, the map by persona and each persona's map count that
    log and give the tables of maps cut from the events alone (the persona's events only, as they once were)."""
    _, ds = demo
    ids = ds.customers["customer_id"]
    personas = pd.Series(np.array(["north", "south", "west"])[np.arange(len(ids)) % 3], index=ids.to_numpy())
    personas = personas.drop(ids.iloc[:7])        # customers without a persona are left out of the split
    log = journey_log(ds)

    def own(events, labels=None):
        return JourneyMap(events, surveys=ds.surveys, stages=list(ds.stages), touchpoint_stage=ds.touchpoint_stage,
                          personas=labels, gap=log.gap)

    west = personas[personas == "west"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        pairs = [(journey_map(ds, log=log), journey_map(ds)),
                 (journey_map(ds, personas=personas, log=log),
                  own(ds.events.loc[ds.events["customer_id"].isin(personas.index)], personas)),
                 (journey_map(ds, personas=personas, log=log).subset(persona="west"),
                  own(ds.events.loc[ds.events["customer_id"].isin(west.index)], west))]
    for shared, alone in pairs:
        assert list(shared.customers) == list(alone.customers)
        for table in ("transitions", "touchpoints", "stages", "matrix", "actions", "channels", "cross_channel",
                      "switching"):
            pd.testing.assert_frame_equal(getattr(shared, table), getattr(alone, table), check_exact=True)
        steps = list(shared.stage_labels)
        for method, args in (("paths", (10,)), ("flows", (5,)), ("pain_points", ()), ("funnel", (steps,))):
            pd.testing.assert_frame_equal(getattr(shared, method)(*args), getattr(alone, method)(*args),
                                          check_exact=True)
        pd.testing.assert_frame_equal(shared.pain_points(by="stage"), alone.pain_points(by="stage"), check_exact=True)


def test_the_maps_summary_says_when_there_are_no_stages():
    events = table([("a", "2024-01-01 10:00", "web", "home"), ("a", "2024-01-01 10:01", "web", "product")])
    bare = journey_map(CXDataset(name="x", events=events), min_group_size=1)._repr_markdown_()
    assert bare.startswith("The journey map covers 2 events of 1 customer in 1 session. ")   # not "across 0 stages"
    staged = journey_map(CXDataset(name="x", events=events, stages={"browse": ["home", "product"]}), min_group_size=1)
    assert "2 events of 1 customer in 1 session across 1 stage. " in staged._repr_markdown_()


def test_without_answers_the_csat_and_impact_columns_stay_numbers():
    events = table([(c, f"2024-01-01 10:0{i}", "web", tp) for c in "abcdef" for i, tp in enumerate(["home", "cart"])])
    pains = journey_map(CXDataset(name="x", events=events), min_group_size=1).pain_points()
    numeric = ["csat", "csat_low", "csat_high", "excess_dissatisfaction", "impact"]
    assert all(pd.api.types.is_float_dtype(pains[c]) for c in numeric), pains.dtypes  # object reads unformatted
    assert pains["csat"].isna().all() and pains["surveys"].eq(0).all()


def test_journey_tables_without_answers_leave_the_csat_columns_out_and_the_map_says_so_once():
    ds = pain_dataset()
    for table in (ds.events, ds.surveys):      # a touchpoint code with an underscore, as exports write them
        table["touchpoint"] = table["touchpoint"].replace({"chat": "chat_support"})
    ds.stages = {**STAGES, "service": ["chat_support"]}
    answered = journey_map(ds)
    html = journey_table(answered.pain_points()).to_html()
    assert ">chat support<" in html and "chat_support" not in html          # the code in words
    assert "CSAT" in html and "<caption>" not in html                         # answers: every column, no note
    ds.surveys = None                                                         # a ticket log: events only
    bare = journey_map(ds)
    for table in (bare.pain_points(), bare.pain_points(by="stage"), bare.stages, bare.channels):
        assert table["surveys"].eq(0).all() and table["csat"].isna().all()   # the tables keep their columns
        html = journey_table(table).to_html()
        assert ">CSAT" not in html and ">Surveys<" not in html and "Excess dissatisfaction" not in html
        assert "<caption>" not in html                                        # not once per table ...
    headline = "No CSAT survey answer names a touchpoint or channel of these events"
    assert headline in bare._repr_markdown_() and headline not in answered._repr_markdown_()   # ... but once
    by_stage = journey_table(bare.pain_points(by="stage")).data
    assert "stage" not in by_stage and by_stage["name"].tolist() == bare.pain_points(by="stage")["name"].tolist()
    shown = journey_table(bare.channels).to_html()
    assert ">Exit rate<" in shown and ">chat support<" in shown               # the rest as before
    with i18n.using("it"):
        italian = journey_table(bare.pain_points()).to_html()
    assert ">Copertura<" in italian and ">chat support<" in italian
    assert "<caption>" not in journey_table(bare.pain_points().iloc[:0]).to_html()   # no rows: nothing to say


@pytest.mark.parametrize("name, ends", [
    ("dunnhumby", {"basket": "end of journey"}),
    ("bpic2012", {"a_declined": "outcome", "a_cancelled": "outcome", "a_approved": "outcome"}),
    ("olist_funnel", {"deal_won": "end of journey"}),
])
def test_no_outcome_of_a_real_journey_ranks_as_a_pain_point(name, ends):
    """A basket alone in its session, a bank's decision on a loan, a deal won: ends of journey, reported with the
    share of sessions reaching them, never ranked on their exits (these exports have no CSAT answers). The first
    stage's places (a campaign mailing, a lead's first contact: 7,158 of 8,000 leads go no further) start
    journeys and are never ends."""
    from cxresearch import recipes
    from .test_recipes import folder
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        jm = journey_map(recipes.load(name, folder(name)))
    found = jm.endings.set_index("touchpoint")
    assert found.loc[list(ends), "kind"].to_dict() == ends
    starts = jm.touchpoints.loc[jm.touchpoints["stage"] == jm.stages["stage"].iloc[0], "touchpoint"]
    assert len(starts) and not starts.isin(found.index).any()
    pains = jm.pain_points(top=len(jm.touchpoint_labels))
    assert not pains.loc[pains["impact"] > 0, "name"].isin(found.index).any()
    if name == "bpic2012":   # the cases left waiting after the offer's call: the log's 399 open applications
        assert pains["name"].iloc[0] == "w_call_after_offer" and found.loc["a_declined", "share"] == pytest.approx(
            7635 / 13087)


def test_olist_late_deliveries_rank_on_their_answers_not_their_exits():
    from cxresearch import recipes
    from .test_recipes import folder
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        jm = journey_map(recipes.load("olist", folder("olist")))
    top = jm.pain_points(top=1).iloc[0]
    assert (top["name"], top["end_of_journey"], top["excess_exit_rate"]) == ("delivered_late", "end of journey", 0)
    assert top["csat"] < 0.3 and top["surveys"] > 900


def test_a_pain_points_place_reads_in_words_with_its_stage():
    # raw codes named the summary's actions: "Fix w call after offer" (bpic2012), "Fix 298" (a store id)
    assert place_name("w_call_after_offer", "back_office") == "call after offer (back office)"
    assert place_name("A_Declined", "outcome") == "Declined (outcome)"
    assert place_name("298", "purchase") == "touchpoint 298 (purchase)"
    assert place_name("chat_support", float("nan")) == place_name("chat_support") == "chat support"
    assert place_name("x_y") == "x y"   # one letter before a word of one letter: no code family
    assert place_name("delivery", "delivery") == "delivery"   # a stage ranked as a place reads as the stage
    with i18n.using("it"):
        assert place_name("delivered_late", "delivery") == "delivered late (consegna)"
        assert place_name("delivery", "delivery") == "consegna" and place_name("delivery") == "delivery"

"""Every column of every table the library returns is declared with its kind; shares are fractions of 1."""
import json
from types import SimpleNamespace

import pandas as pd
import pytest

import cxresearch as cx
from cxresearch import i18n
from cxresearch.briefing import top_actions
from cxresearch.columns import COLUMN_KINDS, code_label
from cxresearch.display import pretty
from cxresearch.summary import _persona_shares, _ranked_pain_points, load_previous
from cxresearch.synthetic import generate


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = generate(tmp_path_factory.mktemp("demo"), customers=300, random_state=3, months=4)
    return cx.load_dataset(folder)


def undeclared(table: pd.DataFrame) -> list[str]:
    return [column for column in table.columns if column not in COLUMN_KINDS]


def test_journey_and_kpi_tables_declare_every_column(demo):
    journey = cx.journey_map(demo)
    tables = {"stages": journey.stages, "touchpoints": journey.touchpoints, "transitions": journey.transitions,
              "flows": journey.flows(), "matrix": journey.matrix, "channels": journey.channels,
              "paths": journey.paths(5), "pain points": journey.pain_points(), "by stage": journey.pain_points(
                  by="stage"), "funnel": journey.funnel(list(demo.stages)[:3]),
              "cross-channel": journey.cross_channel, "switching": journey.switching,
              "KPIs": cx.stats.kpi_summary(demo.surveys, by=["channel"]),
              "supported": cx.capabilities.supported(demo)}
    assert {name: undeclared(table) for name, table in tables.items() if undeclared(table)} == {}


def test_persona_shares_are_fractions_of_one_and_old_percent_files_are_read_as_such(tmp_path):
    personas = pd.DataFrame({"name": ["Savers", "Chatters", "Few"], "size": [600, 396, 4],
                             "suppressed": [False, False, True]})
    shares = _persona_shares(SimpleNamespace(personas_=personas), None)
    assert shares["share"].round(3).tolist() == [0.6, 0.396]
    assert (shares["share_low"] < shares["share"]).all() and (shares["share_high"] < 1).all()
    assert undeclared(shares) == []
    assert shares["status"].tolist() == ["first run"] * 2        # not blank without a previous run (issue 19)
    with i18n.using("it"):
        assert "prima esecuzione" in pretty(shares).to_html()

    (tmp_path / "kpis.json").write_text(json.dumps({"kpis": {}, "previous_run": None, "headline": {}}))
    shares.assign(share=100 * shares["share"], share_low=100 * shares["share_low"],
                  share_high=100 * shares["share_high"]).to_csv(tmp_path / "persona_shares.csv", index=False)
    before = load_previous(tmp_path).persona_shares
    assert before["share"].round(3).tolist() == [0.6, 0.396]       # saved in percent by an earlier version
    shares.to_csv(tmp_path / "persona_shares.csv", index=False)
    assert load_previous(tmp_path).persona_shares["share"].round(3).tolist() == [0.6, 0.396]

    aligned = SimpleNamespace(personas_=personas.assign(size=[500, 496, 4]),
                              alignment_=pd.DataFrame({"persona": [0, 1], "status": ["kept", "kept"]}))
    moved = _persona_shares(aligned, SimpleNamespace(persona_shares=before))
    assert moved["share_change"].round(3).tolist() == [-0.1, 0.1]


def test_summary_pain_points_leave_out_places_without_impact():
    pains = pd.DataFrame({"name": ["chat", "home", "faq"], "impact": [0.2, 0.0, 0.05]})
    ranked = _ranked_pain_points(pains.sort_values("impact", ascending=False), None)
    assert ranked["name"].tolist() == ["chat", "faq"] and ranked["rank"].tolist() == [1, 2]


def test_a_stage_word_is_translated_only_where_it_names_a_stage():
    # "support" and "delivery" are standard stages: as a stage they read in Italian, as a channel or a touchpoint
    # they are the data's own names and stay as the export writes them
    pains = pd.DataFrame({"name": ["support", "delivery", "purchase"], "stage": ["service", "fulfilment", "purchase"],
                          "reach": 0.5, "exit_rate": 0.2, "impact": [0.3, 0.2, 0.1], "customers": 40, "csat": float("nan"),
                          "surveys": 0, "end_of_journey": "", "abandon_rate": 0.2, "excess_exit_rate": 0.1,
                          "excess_dissatisfaction": 0.0})
    with i18n.using("it"):
        assert (code_label("purchase", stage=True), code_label("reached_support", prefix="reached_", stage=True),
                code_label("store"), code_label("support"), code_label("home_delivery")) == (
            "acquisto", "supporto", "store", "support", "home delivery")
        places = [action.title for action in top_actions(SimpleNamespace(pain_points=pains, drivers=None, themes=None, themes_of="", kpis={}))]
    assert places[0] == "Intervenire su support (assistenza)" and places[-1] == "Intervenire su acquisto"
    assert "delivery" in places[1] and "consegna" not in places[1]


def test_csat_is_a_share_of_one_and_an_old_run_saved_in_percent_compares_with_a_new_one(tmp_path):
    """CSAT top-2-box is a fraction of 1 (NPS stays in points); a previous run saved CSAT in percent."""
    from cxresearch.routine.runs import _headline
    from cxresearch.summary import _kpi_changes

    after = cx.stats.csat([5, 4, 4, 2] * 50)
    assert after.value == pytest.approx(0.75) and 0.68 < after.low < after.value < after.high < 0.81
    old = {"value": 70.0, "low": 63.4, "high": 75.9, "se": 3.2, "n": 200, "metric": "csat_top2box",
           "top_share": 0.7, "bottom_share": float("nan"), "n_effective": 200.0}
    (tmp_path / "kpis.json").write_text(json.dumps({"kpis": {"csat": old}, "previous_run": None, "headline": {}}))
    before = load_previous(tmp_path).kpis["csat"]
    assert (before.value, before.low, before.high) == pytest.approx((0.70, 0.634, 0.759))
    change = _kpi_changes({"csat": after}, SimpleNamespace(kpis={"csat": before})).iloc[0]
    assert change["diff"] == pytest.approx(0.05) and change["low"] < 0.05 < change["high"] < 0.2
    assert _headline({"CSAT": {"metric": "csat", "value": 0.75, "change": 0.05, "significant": False},
                      "NPS": {"metric": "nps", "value": 12.3, "change": -2.0, "significant": True}}) == \
        "CSAT 75.0% (+5.0 pp) · NPS 12.3 (-2.0 pt*)"
    assert _headline({"CSAT": {"value": 70.0, "change": None}}) == "CSAT 70.0"   # an old run's, as it was saved

"""The summary's first screen from a hand-made Summary: findings with direction and interval, changes, actions."""
import dataclasses

import pandas as pd

from cxresearch import i18n
from cxresearch.briefing import changes_since, first_screen, headline_findings, top_actions
from cxresearch.stats import Estimate
from cxresearch.summary import Summary

PAINS = pd.DataFrame({
    "rank": [1, 2, 3, 4], "previous_rank": pd.array([1, 3, pd.NA, 2], dtype="Int64"),
    "name": ["chat", "returns", "faq", "home"], "stage": ["service", "service", "service", "browse"],
    "customers": [400, 300, 200, 900], "reach": [0.27, 0.35, 0.2, 0.9], "exit_rate": [0.61, 0.9, 0.4, 0.1],
    "surveys": [71, 12, 0, 50], "csat": [0.25, 0.51, float("nan"), 0.80], "csat_low": [0.16, 0.42, float("nan"), 0.70],
    "csat_high": [0.37, 0.60, float("nan"), 0.88], "impact": [0.2, 0.1, 0.05, 0.0]})


def summary(previous=True):
    kpi_changes = pd.DataFrame({"kpi": ["nps", "csat"], "before": [30.0, 0.70], "after": [23.0, 0.74],
                                "diff": [-7.0, 0.04], "low": [-12.0, -0.01], "high": [-2.0, 0.09],
                                "significant": [True, False], "p_value": [0.01, 0.2], "note": ["", ""]})
    shares = pd.DataFrame({"persona_id": [0, 1, 2], "name": ["Savers", "Chatters", "Gone"], "size": [600, 300, 0],
                           "share": [0.6, 0.3, 0.0], "share_low": [0.57, 0.27, float("nan")],
                           "share_high": [0.63, 0.33, float("nan")], "status": ["kept", "new", "vanished"],
                           "share_change": [0.02, float("nan"), -0.1]})
    stages = pd.DataFrame({"stage": ["browse", "service"], "csat": [0.84, 0.44], "csat_low": [0.80, 0.38],
                           "csat_high": [0.88, 0.50], "surveys": [400, 276]})
    return Summary(kpis={"nps": Estimate(23.0, 18.0, 28.0, 1297), "csat": Estimate(0.74, 0.71, 0.77, 1230)},
                   persona_model=None, persona_shares=shares, assignments=pd.DataFrame(), stages=stages,
                   pain_points=PAINS, kpi_changes=kpi_changes if previous else pd.DataFrame(),
                   previous_run="2026-11-01" if previous else None)


def test_five_findings_with_direction_and_interval():
    findings = headline_findings(summary())
    assert [f.direction for f in findings] == ["down", "steady", "down", "up", "down"]
    assert findings[0].text == "NPS is 23, -7 NPS points since the previous run" and findings[0].good is False
    assert findings[0].interval == "95% interval 18 to 28, 1,297 answers"
    assert findings[1].text == "CSAT is 74%"   # steady: the arrow, and once under "Since the previous run"
    assert findings[2].text == "Service is the least satisfying stage: CSAT 44%, against 84% at browse"
    assert findings[3].text == "Savers: 60% of customers, +2 percentage points since the previous run"
    assert findings[4].text.startswith("The costliest pain point is chat: 27% of customers")


def test_a_mean_kpi_says_its_scale():
    with_ces = dataclasses.replace(summary(previous=False), kpis={"ces": Estimate(5.21, 5.1, 5.3, 400)})
    assert headline_findings(with_ces)[0].text == "CES is 5.2 on a scale of 1 to 7"
    with i18n.using("it"):
        assert headline_findings(with_ces)[0].text == "CES: 5,2 su una scala da 1 a 7"


def test_the_previous_run_is_named_by_its_date():
    dated = dataclasses.replace(summary(), previous_run="20261101T093000Z-abc123")
    with i18n.using("it"):
        html = str(first_screen(dated))
    assert "(1 nov 2026, 09:30:00 UTC)" in html and "abc123" not in html


def test_first_run_has_no_direction_and_no_changes():
    findings = headline_findings(summary(previous=False))
    assert findings[0].direction == "" and findings[0].text == "NPS is 23"
    assert changes_since(summary(previous=False)) == []


def test_changes_since_the_previous_run():
    assert changes_since(summary()) == [
        "NPS moved from 30 to 23 (95% interval of the change -12 to -2 NPS points)",
        "Steady since the previous run, the change within noise: CSAT.",
        "New persona: Chatters.", "Vanished persona: Gone.",
        "returns moved from rank 3 to 2 among pain points.", "faq is a new top pain point (rank 3)."]


def test_top_three_actions_carry_stage_owner_and_evidence():
    actions = top_actions(summary(), stage_plan={"service": {"owner": "Customer care"}})
    assert [a.place for a in actions] == ["chat", "returns", "faq"]          # home has no impact
    assert actions[0].owner == "Customer care" and actions[0].stage == "service"
    assert actions[0].evidence == ("27% of customers pass there, 61% of visits end there; "
                                   "CSAT 25%, 95% interval 16% to 37%, 71 answers")
    assert [a.level for a in actions] == ["solid", "thin", "solid"]          # 12 answers; faq: 200 customers
    assert "no CSAT answers there; 200 customers" in actions[2].evidence


def test_first_screen_renders_findings_before_actions_escaped():
    html = str(first_screen(summary(), stage_plan={"service": {"owner": "<Care>"}}))
    assert html.index("Headline findings") < html.index("Since the previous run") < html.index("Top three actions")
    assert "&lt;Care&gt;" in html and "<Care>" not in html
    assert html.count('class="cxf-finding"') == 5 and html.count('class="cxf-action ') == 3
    html = str(first_screen(summary(previous=False)))
    assert "first run of this dataset" in html and "not set (add an owner to dataset.yml)" in html


def test_italian_findings_and_changes_read_as_an_italian_manager_writes_them():
    moved = dataclasses.replace(summary(), stages=summary().stages.assign(csat=[0.81, 0.44]), verdict_changes=pd.DataFrame(
        {"intervention_id": ["I1"], "metric": ["exit_rate"], "previous_verdict": ["no detectable change"],
         "verdict": ["improved"]}))
    with i18n.using("it"):
        findings, changes = headline_findings(moved), changes_since(moved)
    assert findings[0].text == "NPS: 23, -7 punti NPS rispetto all'esecuzione precedente"
    assert findings[2].text == "Assistenza è la fase meno soddisfacente: CSAT al 44%, contro l'81% della fase browse"
    assert changes[-1] == "Intervento I1, tasso di uscita (% di sessioni): nessuna variazione rilevabile → migliorato."
    assert changes_since(moved)[-1] == "Intervention I1, exit rate (share of sessions): no detectable change → improved."


def test_without_events_the_actions_say_they_were_not_computed_rather_than_that_none_stand_out():
    calm = dataclasses.replace(summary(), pain_points=PAINS.assign(impact=0.0))
    assert "No pain point stands out" in str(first_screen(calm))
    no_events = dataclasses.replace(summary(), pain_points=pd.DataFrame(), stages=pd.DataFrame())
    html = str(first_screen(no_events))
    assert "Not computed" in html and "events file" in html and "No pain point stands out" not in html
    unstaged = dataclasses.replace(calm, stages=pd.DataFrame())   # events without stages (a purchase log)
    html = str(first_screen(unstaged))
    assert "No pain point stands out" in html and "events file" not in html


def test_a_change_of_csat_reads_in_percentage_points():
    moved = summary()
    moved = dataclasses.replace(moved, kpi_changes=moved.kpi_changes.assign(significant=True))
    assert headline_findings(moved)[1].text == "CSAT is 74%, +4 percentage points since the previous run"
    assert changes_since(moved)[1] == ("CSAT moved from 70% to 74% (95% interval of the change -1 to "
                                       "+9 percentage points)")


def test_a_narrow_interval_shows_its_width_and_touchpoint_codes_read_as_words():
    narrow = dataclasses.replace(summary(previous=False), kpis={"rating_mean": Estimate(4.196, 4.183, 4.209, 23486)},
                                 pain_points=PAINS.assign(name=["chat_support", "returns", "faq", "home"]))
    finding = headline_findings(narrow)[0]
    assert finding.text == "Reviews average 4.20 stars on a scale of 1 to 5" and finding.interval.startswith("95% interval 4.18 to 4.21")
    html = str(first_screen(narrow))
    assert "Fix chat support" in html and "chat_support" not in html   # as the persona cards read them


def test_one_group_is_no_persona_finding_rather_than_the_largest_of_one():
    one = summary(previous=False)
    one = dataclasses.replace(one, persona_shares=pd.DataFrame({
        "persona_id": [0], "name": ["All customers"], "size": [23486], "share": [1.0], "share_low": [0.9998],
        "share_high": [1.0], "status": ["first run"], "share_change": [float("nan")]}))
    finding = [f for f in headline_findings(one) if "customers" in f.text][0]
    # the clothing reviews read "The largest persona is All customers, 100% of customers (1 personas)"
    assert finding.text == "No personas: all 23,486 customers form one group"
    assert finding.interval.startswith("no stable segmentation")


def test_a_stage_within_noise_of_the_best_is_no_headline_finding():
    # Olist's case: 12 answers at purchase (75%, 47%-91%) against delivery's 77% (76%-78%)
    stages = pd.DataFrame({"stage": ["purchase", "delivery"], "csat": [0.75, 0.77], "csat_low": [0.47, 0.76],
                           "csat_high": [0.91, 0.78], "surveys": [12, 14000]})
    finding = headline_findings(dataclasses.replace(summary(), stages=stages))[2]
    assert finding.text == ("No stage is clearly less satisfying: purchase (CSAT 75%) and delivery (77%) differ "
                            "within noise, too few answers to tell them apart")
    assert finding.direction == "steady" and finding.good is None


def test_without_any_csat_the_top_pain_point_says_it_is_ranked_by_exits_alone():
    # a ticket log without surveys: the ranking is exits above the journey's usual, not dissatisfaction
    pains = PAINS.assign(csat=float("nan"), csat_low=float("nan"), csat_high=float("nan"), surveys=0)
    finding = headline_findings(dataclasses.replace(summary(), pain_points=pains))[-1]
    assert finding.text == ("Without CSAT answers, pain points are ranked by exits alone: most visits beyond the "
                            "usual end at chat (61% of visits; 27% of customers pass there)")
    assert "costliest" not in finding.text


def test_reviews_that_are_the_surveys_answers_give_one_csat_finding_not_two():
    # Olist: each review is the order's CSAT answer, so CSAT and "Review stars 4-5" were two findings of 76.9%
    kpis = {"csat": Estimate(0.769, 0.762, 0.776, 14924), "rating": Estimate(0.769, 0.762, 0.776, 14924),
            "rating_mean": Estimate(4.1, 4.0, 4.2, 14924)}
    same = dataclasses.replace(summary(previous=False), kpis=kpis, reviews_are_surveys=True)
    findings = headline_findings(same)
    assert [f.text for f in findings[:2]] == ["CSAT is 77%", "Reviews average 4.1 stars on a scale of 1 to 5"]
    assert findings[0].interval == "95% interval 76% to 78%, 14,924 answers, the review stars (4-5) themselves"
    apart = [f.text for f in headline_findings(dataclasses.replace(same, reviews_are_surveys=False))]
    assert "77% of reviews give 4 or 5 stars" in apart

"""The summary's first screen from a hand-made Summary: findings with direction and interval, changes, actions."""
import dataclasses

import numpy as np
import pandas as pd

from cxresearch import i18n
from cxresearch.briefing import changes_since, first_screen, headline_findings, top_actions
from cxresearch.dataset import load_dataset
from cxresearch.drivers import key_drivers
from cxresearch.stats import Estimate
from cxresearch.summary import Summary, summarise
from cxresearch.voice import topic_impact

# the journey's CSAT is 74%: excess_dissatisfaction is 74% minus a place's CSAT; the usual abandon rate is 31%
PAINS = pd.DataFrame({
    "rank": [1, 2, 3, 4], "previous_rank": pd.array([1, 3, pd.NA, 2], dtype="Int64"),
    "name": ["chat", "returns", "faq", "home"], "stage": ["service", "service", "service", "browse"],
    "customers": [400, 300, 200, 900], "reach": [0.27, 0.35, 0.2, 0.9], "exit_rate": [0.61, 0.9, 0.4, 0.1],
    "abandon_rate": [0.61, 0.25, 0.3, 0.1], "excess_exit_rate": [0.30, 0.0, 0.0, 0.0],
    "surveys": [71, 12, 40, 50], "csat": [0.25, 0.51, 0.60, 0.80], "csat_low": [0.16, 0.42, 0.45, 0.70],
    "csat_high": [0.37, 0.60, 0.74, 0.88], "excess_dissatisfaction": [0.49, 0.23, 0.14, 0.0],
    "impact": [0.17, 0.08, 0.03, 0.0]})


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
    assert findings[4].text == ("The costliest pain point is chat (service): CSAT 25% against 74% across the journey, "
                                "and 27% of customers pass there")   # what the ranking rests on


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
        "returns (service) moved from rank 3 to 2 among pain points.",
        "faq (service) is a new top pain point (rank 3)."]


def test_top_three_actions_carry_place_owner_and_the_evidence_they_were_ranked_by():
    actions = top_actions(summary(), stage_plan={"service": {"owner": "Customer care"}})
    assert [a.title for a in actions] == ["Fix chat (service)", "Fix returns (service)", "Fix faq (service)"]
    assert actions[0].owner == "Customer care" and actions[0].stage == "service"   # home has no impact
    # CSAT against the journey's (the ranking's dissatisfaction), the abandons above the usual, not the raw exits
    assert actions[0].evidence == ("CSAT 25% against 74% across the journey (95% interval 16% to 37%, 71 answers); "
                                   "27% of customers pass there; 61.0% of visits there leave the journey unfinished, "
                                   "against 31.0% elsewhere")
    assert "90%" not in actions[1].evidence and "leave the journey" not in actions[1].evidence  # no excess: unsaid
    # the demo's returns: an end of journey ranked on its CSAT read "89% of visits end there"
    ending = dataclasses.replace(summary(), pain_points=PAINS.assign(end_of_journey=["", "end of journey", "", ""]))
    assert top_actions(ending)[1].evidence == ("CSAT 51% against 74% across the journey (95% interval 42% to 60%, "
                                               "12 answers); 35% of customers pass there; an end of journey, whose "
                                               "exits do not count")
    assert [a.level for a in actions] == ["solid", "thin", "solid"]          # 12 answers at returns


def test_first_screen_renders_actions_before_findings_escaped():
    html = str(first_screen(summary(), stage_plan={"service": {"owner": "<Care>"}}))
    assert html.index("Top three actions") < html.index("Headline findings") < html.index("Since the previous run")
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
    assert "No action stands out" in str(first_screen(calm))
    no_events = dataclasses.replace(summary(), pain_points=pd.DataFrame(), stages=pd.DataFrame())
    html = str(first_screen(no_events))
    assert "Not computed" in html and "events file" in html and "No action stands out" not in html
    unstaged = dataclasses.replace(calm, stages=pd.DataFrame())   # events without stages (a purchase log)
    html = str(first_screen(unstaged))
    assert "No action stands out" in html and "events file" not in html


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
    assert "Fix chat support (service)" in html and "chat_support" not in html   # as the persona cards read them


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
    # Olist's case: 12 answers at purchase (75%, 47%-91%) against delivery's 77% (76%-78%); the headline said "No
    # stage is clearly less satisfying" beside the costliest pain point, a late delivery at CSAT 26%
    stages = pd.DataFrame({"stage": ["purchase", "delivery"], "csat": [0.75, 0.77], "csat_low": [0.47, 0.76],
                           "csat_high": [0.91, 0.78], "surveys": [12, 14000]})
    findings = headline_findings(dataclasses.replace(summary(), stages=stages))
    assert not [f for f in findings if "stage" in f.text]
    assert findings[-1].text.startswith("The costliest pain point is chat (service): CSAT 25%")


def test_without_any_csat_the_top_pain_point_says_it_is_ranked_by_exits_alone():
    # a ticket log without surveys: the ranking is abandons above the journey's usual, not dissatisfaction
    pains = PAINS.assign(csat=float("nan"), csat_low=float("nan"), csat_high=float("nan"), surveys=0,
                         excess_dissatisfaction=0.0)
    finding = headline_findings(dataclasses.replace(summary(), pain_points=pains))[-1]
    assert finding.text == ("Without CSAT answers, pain points are ranked by exits alone: at chat (service), 61.0% of "
                            "visits leave the journey unfinished, against 31.0% elsewhere (27% of customers pass "
                            "there)")
    assert "costliest" not in finding.text
    action = top_actions(dataclasses.replace(summary(), pain_points=pains))[0]
    assert action.evidence == ("61.0% of visits there leave the journey unfinished, against 31.0% elsewhere; 27% of "
                               "customers pass there; no CSAT answers") and action.level == "solid"  # 400 customers


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


def _voice(seed=3, n=600):
    """Survey answers where a rating ``rating_wifi`` rated low drives NPS, and the comments about waiting (the
    detractors') cost NPS: the key drivers and topic impact computed on them."""
    rng = np.random.default_rng(seed)
    wifi, food = rng.integers(1, 4, n).astype(float), rng.integers(3, 6, n).astype(float)   # wifi rated lower
    nps = np.clip(np.round(3 * wifi - 1 + rng.normal(0, 1, n)), 0, 10)
    answers = pd.DataFrame({"nps": nps, "rating_wifi": wifi, "rating_food": food})
    waiting = pd.Series(np.where(nps <= 4, "Waiting time", None), index=answers.index)
    return (key_drivers(answers, score_col=None, n_boot=50, random_state=0),
            topic_impact(answers, waiting, n_boot=200, random_state=0))


def test_without_events_the_actions_are_the_drivers_to_fix_first_and_the_costliest_themes():
    # an NPS-only export with ratings and comments read "Not computed" where it could name what to fix
    drivers, themes = _voice()
    survey_only = dataclasses.replace(summary(previous=False), pain_points=pd.DataFrame(), stages=pd.DataFrame(),
                                      drivers=drivers, themes=themes)
    actions = top_actions(survey_only)
    assert [a.title for a in actions] == ["Fix first: wifi", "Act on what customers say about Waiting time"]
    wifi = drivers.table.set_index("driver").loc["rating_wifi"]
    assert actions[0].evidence.startswith(f"{round(100 * wifi['share'])}% of what the ratings explain of NPS (R² ")
    assert "rated 2.0 on average, against 3.0 across the 2 ratings; 600 answers" in actions[0].evidence
    wait = themes.table.iloc[0]
    assert actions[1].evidence.startswith(f"{round(100 * wait['share'])}% of the answers mention it; NPS is "
                                          f"{-wait['outcome_impact']:.1f} NPS points lower with them than without")
    assert not actions[0].stage and not actions[0].owner and "Owner" not in str(first_screen(survey_only))
    with i18n.using("it"):
        assert top_actions(survey_only)[0].title == "Da correggere per prima: wifi"


def test_actions_take_a_pain_point_a_driver_and_a_theme_in_turn():
    drivers, themes = _voice()
    titles = [a.title for a in top_actions(dataclasses.replace(summary(), drivers=drivers, themes=themes))]
    assert titles == ["Fix chat (service)", "Fix first: wifi", "Act on what customers say about Waiting time"]


def test_review_themes_say_what_they_cost_the_share_of_four_and_five_stars():
    reviews = pd.DataFrame({"csat": [1, 2, 1, 5, 5, 4, 5, 4, 5, 5] * 20})
    about = pd.Series(["Fit"] * 3 + [None] * 7 * 1 + ["Fit"] * 3 + [None] * 7 + [None] * 180).iloc[:200]
    themes = topic_impact(reviews, about.set_axis(reviews.index), score_col="csat", n_boot=200, random_state=0)
    shown = dataclasses.replace(summary(previous=False), pain_points=pd.DataFrame(), themes=themes,
                                themes_of="reviews")
    # 6 of 200 reviews, all 1-2 stars: 4-5 stars are 70% of all and 72.2% without them, 2.2 points lower with them
    assert top_actions(shown)[0].evidence.startswith(
        "3% of the reviews mention it; the share of 4-5 stars is 2.2 percentage points lower with them than without")


def test_surveys_with_only_a_satisfied_or_not_answer_give_the_satisfied_share(make_dataset):
    # the airline survey: no NPS or CSAT, a satisfaction column "satisfied" / "neutral or dissatisfied"
    answers = "\n".join(f"R{i},2025-01-0{1 + i % 9},{'satisfied' if i < 7 else 'neutral or dissatisfied'}"
                        for i in range(10))
    folder = make_dataset({"surveys.csv": "response_id,timestamp,satisfaction\n" + answers + "\n"})
    result = summarise(load_dataset(folder), personas=2)
    estimate = result.kpis["satisfied"]
    assert (estimate.value, estimate.n) == (0.7, 10)
    assert (round(estimate.low, 3), round(estimate.high, 3)) == (0.397, 0.892)   # Wilson, 7 of 10
    finding = headline_findings(result)[0]
    assert finding.text == "70% of answers are satisfied" and finding.interval == "95% interval 40% to 89%, 10 answers"
    # with the customers' own satisfied outcome (airline: 43.9% of customers were satisfied) it is said once
    customers = "customer_id,satisfied\n" + "".join(f"C{i},{int(i < 7)}\n" for i in range(10))
    answers = "\n".join(f"R{i},2025-01-0{1 + i % 9},C{i},{'satisfied' if i < 7 else 'neutral'}" for i in range(10))
    both = summarise(load_dataset(make_dataset({"customers.csv": customers, "surveys.csv": (
        "response_id,timestamp,customer_id,satisfaction\n" + answers + "\n")})), personas=2)
    texts = [f.text for f in headline_findings(both)]
    assert texts[0] == "70.0% of customers were satisfied" and "70% of answers are satisfied" not in texts


def test_an_intervention_interval_wider_than_half_the_scale_says_too_few_answers_not_its_width():
    # "this sample detects only changes of ±131.0 NPS points": more than the scale's half, read as noise
    effects = pd.DataFrame([{"intervention_id": "I1", "description": "", "scope": "chat", "scope_kind": "touchpoint",
                             "start": "2025-07-01T00:00:00Z", "metric": "nps", "verdict": "too few answers to tell",
                             "did": 8.0, "did_low": -120.0, "did_high": 136.0, "mde": 131.0}])
    text = dataclasses.replace(summary(previous=False), interventions=effects).intervention_findings()
    assert "131" not in text.split("(95% interval")[1]
    assert text.endswith("even a large change (25.0 NPS points) could go unseen: too few answers to detect any "
                         "change smaller than half the scale")
    narrower = dataclasses.replace(summary(previous=False), interventions=effects.assign(mde=70.4))
    assert narrower.intervention_findings().endswith("this sample detects only changes of ±70.4 NPS points or more "
                                                     "(80% power)")

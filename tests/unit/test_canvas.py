"""The journey-map canvas on a tiny literal dataset with known cells, evidence levels and rendering."""
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cxresearch import i18n
from cxresearch.canvas import (LANES, THEME_SHARE, _negative_topics, evidence_level, journey_canvas,
                               persona_canvases, render_canvases, voice_inputs)
from cxresearch.dataset import CXDataset
from cxresearch.errors import ParameterError, SmallGroupWarning
from cxresearch.journeys import journey_log, journey_map
from cxresearch.voice import key_drivers, topic_impact

STAGES = {"browse": ["home"], "buy": ["checkout"], "service": ["chat"]}
EMAIL = "mario.rossi@example.com"


@pytest.fixture
def ds():
    """40 customers browse (home), 8 of them buy (checkout), 3 of those chat; CSAT 4/5 at home, 1-3 at checkout."""
    customers = [f"c{i:02d}" for i in range(40)]
    rows = [(c, "2025-01-01 10:00", "web", "home", "page_view") for c in customers]
    rows += [(c, "2025-01-01 10:05", "web", "checkout", "purchase") for c in customers[:8]]
    rows += [(c, "2025-01-02 10:00", "chat", "chat", "message") for c in customers[:3]]
    events = pd.DataFrame(rows, columns=["customer_id", "timestamp", "channel", "touchpoint", "event"])
    events["timestamp"] = pd.to_datetime(events["timestamp"], utc=True)
    home = [(f"h{i}", c, "home", 4 + i % 2, "") for i, c in enumerate(customers)]
    checkout = [(f"k{i}", c, "checkout", 2 + i % 2, f"comment {i}") for i, c in enumerate(customers[:8])]
    checkout[0] = ("k0", customers[0], "checkout", 1, f"Slow payment, write to {EMAIL} please")
    surveys = pd.DataFrame(home + checkout, columns=["response_id", "customer_id", "touchpoint", "csat", "comment"])
    surveys["timestamp"] = pd.Timestamp("2025-01-03", tz="UTC")
    return CXDataset(name="tiny", events=events, surveys=surveys, stages={k: list(v) for k, v in STAGES.items()})


def test_evidence_level_thresholds():
    assert [evidence_level(n, min_group_size=5, low_base=30) for n in (None, 0, 4, 5, 29, 30)] == \
        ["none", "none", "none", "thin", "thin", "solid"]


def test_cells_carry_their_numbers_and_evidence(ds):
    canvas = journey_canvas(ds)
    assert canvas.stages == ("browse", "buy", "service")
    assert canvas.lanes == tuple(lane for lane in LANES if lane != "goal")
    assert canvas.customers == 40
    browse, buy, service = (canvas.cell("touchpoints", s) for s in canvas.stages)
    assert browse.items[0] == "home · 100% reach" and (browse.n, browse.evidence) == (40, "solid")
    assert buy.items[0] == "checkout · 20% reach" and (buy.n, buy.evidence) == (8, "thin")
    assert service.items == () and service.evidence == "none" and "smallest group" in service.why  # 3 customers
    assert canvas.cell("actions", "browse").items == ("page view · 100% of customers",)  # codes read as words
    assert canvas.cell("emotion", "browse").items[0] == "Mean score 4.50 of 5"  # a mean, not CSAT's share
    assert canvas.cell("volume", "buy").items[:2] == ("8 customers (20%)", "8 events")


def test_emotion_curve_is_mean_csat_with_interval(ds):
    curve = journey_canvas(ds).emotion.set_index("stage")
    assert curve.loc["browse", "mean"] == pytest.approx(4.5)
    assert curve.loc["browse", "low"] < 4.5 < curve.loc["browse", "high"]
    assert (curve.loc["browse", "n"], curve.loc["browse", "evidence"]) == (40, "solid")
    assert curve.loc["buy", "mean"] == pytest.approx((1 + 3 + 2 + 3 + 2 + 3 + 2 + 3) / 8)
    assert curve.loc["buy", "evidence"] == "thin"


def test_touchpoint_and_channel_codes_read_as_words(ds):
    ds.events["touchpoint"] = ds.events["touchpoint"].replace({"chat": "chat_support"})
    ds.events["channel"] = ds.events["channel"].replace({"chat": "live_chat"})
    canvas = journey_canvas(CXDataset(name="codes", events=ds.events, stages={"service": ["chat_support"]}),
                            min_group_size=1)
    assert canvas.cell("touchpoints", "service").items == ("chat support · 8% reach", "Channels: live chat 8%")
    assert canvas.cell("pain_points", "service").items == () or "chat support" in canvas.cell(
        "pain_points", "service").items[0]


def test_pain_point_and_quote_of_the_unhappy_stage(ds):
    canvas = journey_canvas(ds)
    pain = canvas.cell("pain_points", "buy")
    assert pain.items[0].startswith("checkout: end of journey, CSAT 0%") and pain.evidence == "thin"
    assert canvas.cell("pain_points", "browse").items == ()      # above the journey's satisfaction
    ds.surveys.loc[ds.surveys["response_id"].isin(["h0", "h1", "h2"]), "comment"] = "Nice home page"
    hidden = journey_canvas(ds).cell("quotes", "browse")   # 40 customers, 3 comments
    assert hidden.items == () and hidden.why == "Not shown: 3 comments here; a cell needs at least 5."
    quote = canvas.cell("quotes", "buy")
    assert quote.n == 8 and EMAIL not in quote.items[0] and "[email]" in quote.items[0]
    kpis = canvas.cell("kpis", "browse")
    assert kpis.items == ("CSAT 100% (91% to 100%), n=40",) and kpis.evidence == "solid"


def test_goals_and_owners_come_from_the_stage_plan(ds):
    canvas = journey_canvas(ds, stage_plan={"buy": {"goal": "Pay in one step", "owner": "E-commerce"}})
    assert canvas.lanes[0] == "goal"
    assert canvas.cell("goal", "buy").items == ("Goal: Pay in one step", "Owner: E-commerce")
    assert canvas.cell("goal", "browse").items == ()
    with pytest.raises(ParameterError, match="stages \\['pay'\\].*'browse', 'buy', 'service'"):
        journey_canvas(ds, stage_plan={"pay": {"goal": "x"}})


def test_one_canvas_overall_and_one_per_persona(ds):
    personas = pd.Series(["Buyers"] * 8 + ["Lookers"] * 30 + ["Few"] * 2,
                         index=[f"c{i:02d}" for i in range(40)])
    canvases = persona_canvases(ds, personas)
    assert [c.title for c in canvases] == ["All customers", "Lookers", "Buyers"]    # "Few" is under 5
    assert [c.customers for c in canvases] == [40, 30, 8]
    assert canvases[2].cell("touchpoints", "buy").items[0] == "checkout · 100% reach"


def test_a_personas_hidden_groups_make_no_note_the_overall_ones_do(ds):
    personas = pd.Series(["Buyers"] * 8 + ["Lookers"] * 32, index=[f"c{i:02d}" for i in range(40)])
    with pytest.warns(SmallGroupWarning) as caught:
        canvases = persona_canvases(ds, personas)
    hidden = " ".join(str(w.message) for w in caught if issubclass(w.category, SmallGroupWarning))
    assert "chat" in hidden and "Buyers" not in hidden      # the 3 chat customers, once, not once per persona
    assert canvases[1].cell("touchpoints", "service").why   # Buyers' chat cell says it shows nothing


def test_the_pages_journey_maps_draw_the_same_canvases(ds):
    """The journey page passes the maps it has already; the canvases are those built from the dataset."""
    personas = pd.Series(["Buyers"] * 8 + ["Lookers"] * 30 + ["Few"] * 2, index=[f"c{i:02d}" for i in range(40)])
    given = persona_canvases(ds, personas, journey=journey_map(ds), by_persona=journey_map(ds, personas=personas))
    assert str(render_canvases(given, key="t")) == str(render_canvases(persona_canvases(ds, personas), key="t"))
    log = journey_log(ds)   # the routine's: sessions cut once, every map counting them
    shared = persona_canvases(ds, personas, journey=journey_map(ds, log=log),
                              by_persona=journey_map(ds, personas=personas, log=log))
    assert str(render_canvases(shared, key="t")) == str(render_canvases(given, key="t"))
    buyers = journey_map(ds, personas=personas).subset(persona="Buyers")
    assert persona_canvases(ds, personas, journey=buyers)[0].customers == 8      # the map given is the one drawn


def test_rendering_has_every_stage_and_lane_escaped_with_a_switch(ds):
    ds.events.loc[ds.events["touchpoint"] == "home", "touchpoint"] = "<b>home</b>"
    ds.stages["browse"] = ["<b>home</b>"]
    ds.surveys.loc[ds.surveys["touchpoint"] == "home", "touchpoint"] = "<b>home</b>"
    personas = pd.Series(["Buyers"] * 8 + ["Lookers"] * 32, index=[f"c{i:02d}" for i in range(40)])
    html = str(render_canvases(persona_canvases(ds, personas), key="t"))
    assert "<b>home</b>" not in html and "&lt;b&gt;home&lt;/b&gt;" in html
    panels = re.findall(r'<section class="cxc-panel" id="t-panel-\d"', html)
    assert len(panels) == 3 and len(re.findall(r'type="radio" name="t-pick"', html)) == 3
    first = html.split('id="t-panel-1"')[0]
    for lane in journey_canvas(ds).lanes:
        for stage in STAGES:
            assert f'data-lane="{lane}" data-stage="{stage}"' in first
    assert 'data-evidence="thin"' in first and 'data-evidence="none"' in first
    assert "@page cxc-a3 { size: A3 landscape" in html


def test_stage_plan_is_read_from_dataset_yml(tmp_path, ds):
    from cxresearch.dataset import load_dataset
    from cxresearch.errors import DataError
    ds.events.to_csv(tmp_path / "events.csv", index=False)
    settings = "stages: {browse: [home], buy: [checkout], service: [chat]}\n"
    (tmp_path / "dataset.yml").write_text(settings + "stage_plan: {Buy: {goal: Pay in one step, owner: Web team}}\n")
    loaded = load_dataset(tmp_path)
    assert loaded.stage_plan == {"buy": {"goal": "Pay in one step", "owner": "Web team"}}
    assert journey_canvas(loaded).cell("goal", "buy").items == ("Goal: Pay in one step", "Owner: Web team")
    (tmp_path / "dataset.yml").write_text(settings + "stage_plan: {bye: {goal: x}, buy: {budget: 3}}\n")
    with pytest.raises(DataError) as error:
        load_dataset(tmp_path)
    assert "stage_plan.bye: no such stage" in str(error.value) and "Did you mean 'buy'" in str(error.value)
    assert "stage_plan.buy must hold goal and/or owner; found {'budget': 3}" in str(error.value)


def test_a_journey_without_stages_says_what_the_canvas_needs(ds):
    bare = CXDataset(name="bare", events=ds.events)
    canvas = journey_canvas(bare)
    assert canvas.stages == () and canvas.cells == {}
    personas = pd.Series(["Buyers"] * 8 + ["Lookers"] * 32, index=[f"c{i:02d}" for i in range(40)])
    html = str(render_canvases(persona_canvases(bare, personas), key="t"))
    assert html.count("No journey stages in this dataset") == 1     # once, not once per persona
    assert 'class="cxc-legend"' not in html and 'id="t-panel-1"' not in html


def test_a_ticket_log_says_no_survey_answer_rather_than_too_few(ds):
    answered = journey_canvas(ds)
    assert answered.cell("kpis", "service").why.startswith("Too few")     # answers elsewhere, none here: too few
    tickets = journey_canvas(CXDataset(name="tickets", events=ds.events, stages=STAGES))
    for lane in ("emotion", "quotes", "kpis"):
        for stage in tickets.stages:
            cell = tickets.cell(lane, stage)
            assert cell.items == () and cell.why.startswith("No survey answer names a touchpoint of this journey")
    html = str(render_canvases([tickets], key="t"))
    for lane in ("emotion", "quotes", "opportunities", "kpis"):    # said once across the stages, not per stage
        assert html.count(f'class="cxc-cell ev-none" data-lane="{lane}"') == 1, lane
        assert html.count(tickets.cell(lane, "browse").why) == 1, lane
    assert html.count("grid-column: span 3") == 4 and '<div class="cxc-curve">' not in html   # no empty curve
    assert html.count('data-lane="volume"') == 1 + 3                # a lane with numbers keeps its cells


def test_a_stage_complaint_is_a_theme_in_one_in_ten_of_its_comments_and_says_its_base():
    answers = pd.DataFrame({"stage": ["buy"] * 100 + ["service"] * 100})
    delivery = [i < 5 for i in range(100)] + [i < 2 for i in range(100)]          # 5% of buy, 2% of service
    waiting = [False] * 100 + [i < 30 for i in range(100)]                        # 30% of service
    topics = SimpleNamespace(   # what a topics result holds: membership per answer, tone per theme
        membership=pd.DataFrame({"delivery": delivery, "waiting": waiting, "praise": [True] * 200}),
        summary=pd.DataFrame({"topic": ["delivery", "waiting", "praise"], "negative": [9, 9, 0],
                              "positive": [1, 1, 9]}))
    got = _negative_topics(answers, topics)
    assert THEME_SHARE == 0.10
    # delivery: more often at buy (5%) than overall (3.5%), yet in 5 of 100 comments: no complaint of the stage
    assert got[["stage", "topic", "n", "share", "base"]].values.tolist() == [["service", "waiting", 30, 0.3, 100]]


def _planted_csat_drivers(n=600, seed=4):
    """CSAT (1-5) driven by the checkout rating (rated low); the home rating is rated high and drives little."""
    rng = np.random.default_rng(seed)
    checkout, home, chat = rng.integers(1, 4, n), rng.integers(3, 6, n), rng.integers(2, 5, n)
    csat = np.clip(np.round(1.2 * checkout + 0.1 * home + rng.normal(0, 0.6, n)), 1, 5)
    return pd.DataFrame({"rating_checkout": checkout, "rating_home": home, "rating_chat": chat, "csat": csat})


def test_drivers_of_csat_are_opportunities_of_their_stage_by_placement(ds):
    drivers = key_drivers(_planted_csat_drivers(), score_col=None, n_boot=100)
    placement = drivers.table.set_index("driver")["placement"]
    assert drivers.target == "CSAT" and placement["rating_checkout"] == "fix first"
    assert placement["rating_home"] == "possible overkill"
    canvas = journey_canvas(ds, drivers=drivers)
    buy, browse = canvas.cell("opportunities", "buy").items, canvas.cell("opportunities", "browse").items
    assert buy[0].startswith("Improve checkout: ") and "of the explained CSAT" in buy[0] and "(fix first)" in buy[0]
    assert browse[0].startswith("home: rated above the other drivers") and "(possible overkill)" in browse[0]
    with i18n.using("it"):
        italian = journey_canvas(ds, drivers=drivers).cell("opportunities", "buy").items[0]
    assert italian.startswith("Migliorare checkout: ") and "CSAT" in italian


def test_the_canvas_voice_explains_the_outcome_the_surveys_have(ds):
    """No NPS: key drivers of CSAT, and the checkout complaint's cost in CSAT points, on the canvas."""
    ratings = _planted_csat_drivers(n=len(ds.surveys), seed=2).drop(columns="csat")
    surveys = pd.concat([ds.surveys, ratings.set_axis(ds.surveys.index)], axis=1)
    rated = CXDataset(name="tiny", events=ds.events, surveys=surveys, stages=ds.stages)
    voice = voice_inputs(rated)
    assert voice["drivers"].target == "CSAT" and voice["topic_effects"].outcome == "CSAT"
    assert voice["topic_effects"].table.empty   # the comments too few for a theme
    about = pd.DataFrame({"payment": rated.surveys["touchpoint"].eq("checkout")})   # the 8 checkout answers, CSAT 1-3
    effects = topic_impact(rated.surveys, about, n_boot=500)
    topics = SimpleNamespace(membership=about.assign(praise=~about["payment"]), summary=pd.DataFrame(
        {"topic": ["payment", "praise"], "negative": [8, 0], "positive": [0, 40]}))
    assert effects.outcome == "CSAT" and effects.table.loc[0, "significant"]
    # CSAT 40 of 48 answers 4-5, and 40 of the 40 without the checkout complaint's: -16.7 points
    assert effects.table.loc[0, "outcome_impact"] == pytest.approx(100 * 40 / 48 - 100)
    low, high = (f"{value:.1f}" for value in effects.table.loc[0, ["outcome_impact_low", "outcome_impact_high"]])
    items = journey_canvas(rated, topics=topics, topic_effects=effects).cell("opportunities", "buy").items
    assert items == (f"Fix payment: -16.7 CSAT points overall (95% interval {low} to {high}), 100% of comments here",)

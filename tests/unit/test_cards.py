"""Persona cards rendered from PersonaCardData: what each part shows, escaping, suppression, print layout."""
import math

from cxresearch.cards import Attribute, Kpi, PersonaCardData, Quote, Trait, effect_words, render_persona_card
from cxresearch.templating import card_grid


def card(**changes):
    values = dict(persona_id=2, name="Chat <script>x</script> seekers", size=412, share=0.139, share_low=0.127,
                  share_high=0.152, n_total=2970, stability=0.91, status="new",
                  traits=(Trait("Chat contacts", 1.6), Trait("NPS", -0.6)),
                  attributes=(Attribute("Region", "north 48%", "north 40%", (("north", 0.48), ("south", 0.52))),),
                  channels=(("chat", 0.62),), kpis=(Kpi("NPS", -31, -40, -22, 301),),
                  goals=("Get an answer in one contact",), frustrations=("Waiting time in chat",),
                  quotes=(Quote("Endless queue, write to [email].", "negative"),))
    return PersonaCardData(**{**values, **changes})


def test_card_shows_share_interval_traits_distribution_and_continuity():
    html = str(render_persona_card(card()))
    assert "14% of customers (95% interval 13% to 15%) · 412 of 2,970 customers" in html
    assert "Chat contacts: <small>far above the others (+1.6 SD)</small>" in html
    assert "NPS: <small>below the others (-0.6 SD)</small>" in html
    assert "north 48% · south 52%" in html and "width: 48.0%" in html
    rare = Attribute("Division", "General 59%", "", (("General", 0.59), ("Petite", 0.407), ("missing", 0.003)))
    assert "Petite 41% · missing &lt;1%" in str(render_persona_card(card(attributes=(rare,))))   # not "missing 0%"
    assert "95% interval -40 to -22, 301 answers" in html
    assert "new since the previous run" in html and "a negative voice" in html
    assert "stability 0.91" in html and "@page cxp-a4 { size: A4 portrait" in html


def test_card_text_is_escaped():
    html = str(render_persona_card(card()))
    assert "<script>x</script>" not in html and "Chat &lt;script&gt;x&lt;/script&gt; seekers" in html


def test_suppressed_card_says_so_and_shows_nothing_else():
    html = str(render_persona_card(card(suppressed=True, min_group_size=5)))
    assert "fewer than 5 customers" in html
    assert "Chat contacts" not in html and "412" not in html and "Endless queue" not in html


def test_stability_in_words():
    assert "one group: no stable segmentation" in str(render_persona_card(card(stability=math.nan)))
    assert "unstable (stability 0.41)" in str(render_persona_card(card(stability=0.41, unstable=True)))


def test_effect_words_follow_cohens_thresholds():
    assert [effect_words(e) for e in (0.1, -0.3, 0.5, -0.9, math.nan)] == [
        "like the others", "slightly below the others", "above the others", "far below the others",
        "like the others"]


def test_card_grid_puts_cards_side_by_side_escaped_once():
    grid = card_grid(["<div>one</div>", "<div>two &amp; three</div>"])
    assert "grid-template-columns: repeat(auto-fill, minmax(340px, 1fr))" in grid
    assert '<div class="cx-card-grid">' in grid and "break-after: page" in grid   # printed: one card per page
    assert "<div><div>one</div></div>" in grid and "<div><div>two &amp; three</div></div>" in grid
    assert grid._repr_html_() == str(grid)


def test_one_group_card_says_why_and_what_personas_would_need_instead_of_comparing_it_with_itself():
    import warnings

    import numpy as np
    import pandas as pd

    from cxresearch import charts
    from cxresearch.personas import PersonaModel, persona_card_data
    from cxresearch.personas.card import segmentation_note

    noise = pd.DataFrame(np.random.default_rng(0).uniform(size=(200, 2)), columns=["age", "spend"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = PersonaModel(k_range=(2, 4), stability_threshold=1.0, n_bootstrap=3, random_state=0).fit(noise)
    data = persona_card_data(model, 0)
    assert data.traits == () and data.size == data.n_total == 200
    assert model.personas_["top_traits"].tolist() == [""]   # not "age +0.0 SD": there are no others to differ from
    assert data.notes[0] == segmentation_note(model) and data.notes[0].startswith("No stable segmentation")
    assert "Personas need traits on which groups of customers differ" in data.notes[0]
    html = str(render_persona_card(data))
    assert "All 200 customers" in html and "95% interval 100%" not in html and "What sets them apart" not in html
    assert "(all:" not in html   # the one group is all customers: no comparison with itself
    assert "one group: no stable segmentation" in html
    assert "all customers form one group" in repr(charts.persona_sizes_chart(model.personas_))
    assert "no others to differ from" in repr(charts.trait_heatmap(model.traits_, model.personas_))


def test_persona_names_say_yes_no_attributes_as_having_them_or_not():
    import pandas as pd

    from cxresearch import i18n
    from cxresearch.personas.names import name_personas

    traits = pd.DataFrame({"internet_service=No": [0.9, -0.9], "total_charges": [-0.8, 0.8],
                           "phone_service=Yes": [0.0, 0.7]})
    names = name_personas(traits, traits, pd.Series([False, False]))
    # the telco personas were "Customers with internet service No and ..."; fewer without it is more with it
    assert names.tolist() == ["Customers with no internet service and below-average total charges",
                              "Customers with internet service and above-average total charges"]
    with i18n.using("it"):
        assert name_personas(traits, traits, pd.Series([False, False]))[0] == (
            "Clienti con internet service assente e addebiti totali sotto la media")


def test_the_summary_shows_why_there_are_no_personas_not_all_customers_at_100_percent():
    import warnings

    import numpy as np
    import pandas as pd

    from cxresearch.capabilities import Unavailable
    from cxresearch.personas import PersonaModel
    from cxresearch.personas.card import segmentation_note
    from cxresearch.summary import Summary, _persona_shares

    def summary_of(model):
        return Summary(kpis={}, persona_model=model, persona_shares=_persona_shares(model, None),
                       assignments=pd.DataFrame(), stages=pd.DataFrame(), pain_points=pd.DataFrame())

    noise = pd.DataFrame(np.random.default_rng(0).uniform(size=(200, 2)), columns=["age", "spend"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one_group = PersonaModel(k_range=(2, 4), stability_threshold=1.0, n_bootstrap=3, random_state=0).fit(noise)
    shown = summary_of(one_group).shares_shown()
    assert isinstance(shown, Unavailable) and shown.sentence == segmentation_note(one_group)
    clusters = pd.DataFrame({"age": np.r_[np.full(60, 20.0), np.full(60, 60.0)] + np.random.default_rng(1).normal(
        size=120), "spend": np.r_[np.full(60, 10.0), np.full(60, 90.0)]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        two = PersonaModel(2, n_bootstrap=3, random_state=0).fit(clusters)
    shares = summary_of(two).shares_shown()
    assert isinstance(shares, pd.DataFrame) and shares["size"].sum() == 120 and len(shares) == 2

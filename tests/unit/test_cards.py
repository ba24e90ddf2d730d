"""Persona cards rendered from PersonaCardData: what each part shows, escaping, suppression, print layout."""
import math

from cxresearch.cards import Attribute, Kpi, PersonaCardData, Quote, Trait, effect_words, render_persona_card


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
    assert "95% interval -40 to -22, n = 301" in html
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

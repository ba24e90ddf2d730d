"""Persona KPIs come from the KPI engine: per answer, suppressed below min_group_size, equal to kpi_table."""
import numpy as np
import pandas as pd
import pytest

from cxresearch.personas.profiles import persona_kpis
from cxresearch.voice import kpi_table

# persona 0: customers a-e (a answers 10 and 0); persona 1: customers f-i, only four (suppressed)
SURVEYS = pd.DataFrame({
    "customer_id": ["a", "a", "b", "c", "d", "e", "f", "g", "h", "i"],
    "nps": [10, 0, 9, 9, 7, 3, 10, 10, 10, 10],
    "csat": [5, 1, 4, 4, 3, 2, 5, 5, 5, 5],
})
LABELS = pd.Series([0] * 5 + [1] * 4, index=list("abcdefghi"), name="persona")


def test_persona_kpis_count_answers_not_per_customer_means_and_match_kpi_table():
    # old bug: customer a's mean answer (5) made a detractor; per answer a is one promoter and one detractor
    kpis = persona_kpis(SURVEYS, LABELS, 5)
    assert kpis.loc[0, "nps"] == pytest.approx(100 * (3 - 2) / 6)
    assert kpis.loc[0, "nps_n"] == 6 and kpis.loc[0, "csat"] == pytest.approx(3 / 6)
    table = kpi_table(SURVEYS.assign(persona=SURVEYS["customer_id"].map(LABELS)), by=["persona"],
                      metrics=["nps"], min_group_size=5).set_index("persona")
    assert (kpis.loc[0, "nps_low"], kpis.loc[0, "nps_high"]) == pytest.approx(
        (table.loc[0, "low"], table.loc[0, "high"]))


def test_persona_kpis_are_hidden_below_min_group_size():
    # old bug: a persona of 1-4 respondents showed its NPS and CSAT
    kpis = persona_kpis(SURVEYS, LABELS, 5).reindex([0, 1])
    assert kpis.loc[1].isna().all()
    assert persona_kpis(SURVEYS, LABELS, 4).loc[1, "nps"] == 100


def test_persona_kpis_without_customer_ids_are_empty():
    assert persona_kpis(SURVEYS.drop(columns="customer_id"), LABELS, 5).empty
    assert persona_kpis(None, LABELS, 5).empty


def test_a_persona_card_counts_its_answers_and_says_so():
    """Olist cards read "CSAT ... n = 5,607" under a persona of 5,603 customers: n counts the persona's answers
    (some customers answer twice), and the card and the table say answers, not customers."""
    from cxresearch import i18n
    from cxresearch.cards import Kpi, PersonaCardData, render_persona_card
    from cxresearch.columns import header
    from cxresearch.personas.card import _kpis
    kpis = persona_kpis(SURVEYS, LABELS, 5)
    assert kpis.loc[0, "csat_n"] == 6 > (LABELS == 0).sum()   # six answers of five customers
    shown = _kpis(kpis.loc[0])
    assert [kpi.n for kpi in shown] == [6, 6]
    card = PersonaCardData(persona_id=0, name="Callers", size=5, share=0.5, share_low=0.2, share_high=0.8,
                           n_total=10, stability=0.9, status="", traits=(), attributes=(), channels=(),
                           kpis=shown + (Kpi("Churned: higher than the other customers", 0.4, 0.1, 0.8, 5,
                                             "outcome_rate"),), goals=(), frustrations=(), quotes=())
    html = str(render_persona_card(card))
    assert html.count(", 6 answers") == 2 and ", 5 customers" in html and "n = " not in html
    assert header("csat_n") == "CSAT answers"
    with i18n.using("it"):
        assert header("nps_n") == "Risposte NPS"

"""Customer outcomes (subscribed, bought, churned): the share with its Wilson interval, per persona with Holm's
correction, on the summary's first screen and the persona cards; known answers by hand and from the real exports."""
import dataclasses
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from cxresearch import i18n, recipes
from cxresearch.briefing import headline_findings
from cxresearch.capabilities import available, missing
from cxresearch.dataset import CXDataset
from cxresearch.outcomes import outcome_by_group, outcome_column, outcome_flags, outcome_rate
from cxresearch.personas.card import _outcome
from cxresearch.stats import Estimate
from cxresearch.summary import Summary, _gap, brief, sections

SHARED_DATA = Path(os.environ.get("CXRESEARCH_SHARED_DATA",
                                  Path(__file__).resolve().parents[2].parent / "shared" / "data"))


def shared(name: str):
    path = SHARED_DATA / recipes.RECIPES[name].folder
    if recipes.missing(name, path):
        pytest.skip(f"shared data for recipe {name!r} not available (set CXRESEARCH_SHARED_DATA)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return recipes.load(name, path)


def test_yes_no_columns_read_as_one_and_zero_and_other_columns_are_no_outcome():
    assert outcome_flags(pd.Series([True, False, None], dtype="object")).tolist()[:2] == [1.0, 0.0]
    assert outcome_flags(pd.Series(["Yes", " no", "YES"])).tolist() == [1.0, 0.0, 1.0]
    assert outcome_flags(pd.Series([1.0, 0.0, np.nan])).tolist()[:2] == [1.0, 0.0]
    assert outcome_flags(pd.Series(["Stayed", "Churned", "Joined"])) is None
    assert outcome_flags(pd.Series([np.nan, np.nan])) is None
    customers = pd.DataFrame({"customer_id": ["a", "b"], "churn_score": [35, 80], "customer_status": ["Stayed", "x"],
                              "age": [1, 0], "churn_value": [0, 1], "subscribed": [1, 1]})
    # the first outcome-named yes/no column; a 0-100 score, a three-valued status and `age` (0/1 but no outcome) not
    assert outcome_column(customers) == "churn_value"
    assert outcome_column(customers.drop(columns=["churn_value", "subscribed"])) is None
    assert outcome_column(None) is None


def test_the_share_has_the_wilson_interval_and_leaves_out_customers_without_a_value():
    customers = pd.DataFrame({"customer_id": [str(i) for i in range(205)],
                              "purchased": ["yes"] * 30 + ["no"] * 170 + [None] * 5})
    rate = outcome_rate(customers)
    low, high = proportion_confint(30, 200, method="wilson")
    assert (rate.column, rate.positives, rate.n, rate.missing) == ("purchased", 30, 200, 5)
    assert (rate.value, rate.low, rate.high) == pytest.approx((0.15, low, high))
    assert rate.sentence() == "15.0% of customers bought"
    assert rate.interval() == "95% interval 10.7% to 20.6%; 30 of 200 customers (column purchased); 5 without a " \
                              "value left out"
    with i18n.using("it"):
        assert rate.sentence() == "15,0% dei clienti ha acquistato"
    assert outcome_rate(customers.drop(columns="purchased")) is None


def test_per_group_the_difference_from_the_rest_is_tested_and_holm_adjusted():
    """Known answer: three groups, one far above the rest, one far below, one like the others; p-values of the
    two-proportion z test adjusted by statsmodels' Holm, computed here from the counts."""
    counts = {"A": (60, 100), "B": (5, 100), "C": (13, 60)}   # (yes, customers)
    flags, groups = [], []
    for group, (k, n) in counts.items():
        flags += [1.0] * k + [0.0] * (n - k)
        groups += [group] * n
    ids = [str(i) for i in range(len(flags))]
    table = outcome_by_group(pd.Series(flags, index=ids), pd.Series(groups, index=ids, name="persona"),
                             min_group_size=5)
    total_k, total_n = 78, 260
    p_values, diffs = [], []
    for k, n in counts.values():
        rest_k, rest_n = total_k - k, total_n - n
        pooled = total_k / total_n
        z = (k / n - rest_k / rest_n) / np.sqrt(pooled * (1 - pooled) * (1 / n + 1 / rest_n))
        p_values.append(2 * norm.sf(abs(z)))
        diffs.append(k / n - rest_k / rest_n)
    assert table["outcome_rate"].tolist() == pytest.approx([0.6, 0.05, 13 / 60])
    assert table["outcome_vs_rest"].tolist() == pytest.approx(diffs)
    assert table["outcome_p_adjusted"].tolist() == pytest.approx(multipletests(p_values, method="holm")[1])
    assert table["outcome_differs"].tolist() == ["higher", "lower", "within noise"]
    assert table["outcome_n"].tolist() == [100, 100, 60]
    small = outcome_by_group(pd.Series(flags, index=ids), pd.Series(groups, index=ids), min_group_size=70)
    assert small.index.tolist() == ["A", "B"]      # a group under the smallest size gets no rate


def test_capabilities_say_what_an_outcome_would_need():
    without = CXDataset("x", customers=pd.DataFrame({"customer_id": ["a", "b"], "age": [30, 40]}))
    assert missing(without, "outcome").startswith("No yes/no outcome column in the customers table in this dataset: "
                                                  "add one (1/0, `yes`/`no` or `true`/`false`) named `subscribed`")
    assert available(CXDataset("y", customers=pd.DataFrame({"customer_id": ["a"], "won": [1.0]})), "outcome")


def summary_with(outcome_rows=None):
    shares = pd.DataFrame({"persona_id": [0, 1, 2], "name": ["Savers", "Chatters", "Quiet"], "size": [600, 300, 100],
                           "share": [0.6, 0.3, 0.1], "share_low": [0.57, 0.27, 0.08], "share_high": [0.63, 0.33, 0.12],
                           "status": ["first run"] * 3, "share_change": [float("nan")] * 3})
    if outcome_rows is not None:
        shares = shares.assign(**outcome_rows)
    rate = outcome_rate(pd.DataFrame({"customer_id": [str(i) for i in range(1000)],
                                      "subscribed": [1] * 113 + [0] * 887}))
    return Summary(kpis={"nps": Estimate(23.0, 18.0, 28.0, 1297)}, persona_model=None, persona_shares=shares,
                   assignments=pd.DataFrame(), stages=pd.DataFrame(), pain_points=pd.DataFrame(), outcome=rate)


def test_the_first_screen_leads_with_the_outcome_and_names_the_persona_that_differs_most():
    rows = {"outcome_rate": [0.05, 0.25, 0.10], "outcome_rate_low": [0.04, 0.20, 0.05],
            "outcome_rate_high": [0.07, 0.30, 0.17], "outcome_n": [600, 300, 100],
            "outcome_vs_rest": [-0.155, 0.197, -0.014], "outcome_differs": ["lower", "higher", "within noise"]}
    findings = headline_findings(summary_with(rows))
    assert findings[0].text == "11.3% of customers subscribed"
    assert findings[0].interval.startswith("95% interval 9.5% to 13.4%; 113 of 1,000 customers")
    assert findings[-1].text == "Chatters: 25% subscribed, against 5% of the other customers"
    assert findings[-1].direction == "up" and "Holm's correction for 3 personas" in findings[-1].interval
    assert all("Quiet" not in f.text for f in findings)
    assert len(headline_findings(summary_with())) == 3       # no per-persona rates: no persona outcome finding
    with i18n.using("it"):
        assert headline_findings(summary_with(rows))[0].text == "11,3% dei clienti ha sottoscritto"


def test_a_persona_card_shows_its_outcome_and_whether_it_differs():
    info = pd.Series({"outcome_rate": 0.477, "outcome_rate_low": 0.458, "outcome_rate_high": 0.496,
                      "outcome_n": 2729, "outcome_differs": "higher"})
    kpi, = _outcome(info, "churn_value")
    assert (kpi.label, kpi.value, kpi.n, kpi.metric) == ("Churned: higher than the other customers", 0.477, 2729,
                                                         "outcome_rate")
    assert _outcome(info, None) == () and _outcome(info.drop("outcome_rate"), "won") == ()


def test_the_summary_says_each_missing_thing_once_in_full_and_briefly_in_its_sections():
    ds = CXDataset("customers only", customers=pd.DataFrame({"customer_id": ["a", "b"], "age": [30, 40]}))
    unavailable = brief(ds, __import__("cxresearch").when(ds, "kpis", lambda: None))
    assert unavailable.data == ("*Not computed: no surveys in this dataset (the list at the end of the page says "
                                "what to add).*")
    assert _gap(missing(ds, "nps")) == _gap(missing(ds, "kpis")) == (
        "No surveys in this dataset: add a surveys file (response_id, timestamp and scores).")
    assert brief(ds, 42) == 42
    links = sections("").data, sections("reports/run1").data
    assert "(01_personas.ipynb)" in links[0] and "index.html" not in links[0]     # by hand in JupyterLab
    assert "(01_personas.html)" in links[1] and "(../index.html)" in links[1]     # in the run's report


@pytest.mark.parametrize(("recipe", "column", "positives", "customers"), [
    ("bank_marketing", "subscribed", 4_640, 41_188),        # README: y = yes 4,640 of 41,188 calls
    ("online_shoppers", "purchased", 1_908, 12_330)])       # README: Revenue True 1,908 of 12,330 sessions
def test_the_real_exports_outcome_rates_are_their_readmes(recipe, column, positives, customers):
    rate = outcome_rate(shared(recipe).customers)
    assert (rate.column, rate.positives, rate.n, rate.missing) == (column, positives, customers, 0)
    assert round(rate.value, 3) == round(positives / customers, 3)      # 11.3% and 15.5%
    assert rate.low < rate.value < rate.high


def test_telco_personas_carry_their_churn_rate_with_holm_flags():
    from cxresearch.personas import fit_personas
    from cxresearch.summary import summarise

    ds = shared("telco")
    _, model = fit_personas(ds, random_state=42)
    assert model.outcome_ == "churn_value"
    personas = model.personas_.dropna(subset=["outcome_rate"])
    churned = ds.customers.set_index("customer_id")["churn_value"]
    by_hand = churned.groupby(model.labels_.reindex(churned.index)).mean()
    assert personas["outcome_rate"].tolist() == pytest.approx(by_hand.loc[personas.index].tolist())
    assert set(personas["outcome_differs"]) <= {"higher", "lower", "within noise"}
    assert (personas["outcome_differs"] == "higher").any()
    summary = summarise(dataclasses.replace(ds, surveys=None), persona_model=model)
    assert summary.outcome.positives == int(churned.sum()) and "outcome_rate" in summary.persona_shares

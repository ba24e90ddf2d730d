"""Raking survey answers to dataset.yml margins: known answers, matched margins, clear errors, every KPI weighted."""
import numpy as np
import pandas as pd
import pytest

from cxresearch import load_dataset
from cxresearch.errors import DataError, WeightingWarning
from cxresearch.kpis import kpi_summary
from cxresearch.voice import key_drivers, kpi_trend, topic_impact
from cxresearch.weighting import check_margins, rake, rake_surveys, weighting_note, weighting_summary

CHANNEL = ["web"] * 6 + ["store"] * 4
REGION = ["n", "s", "n", "n", "s", "n", "s", "s", "n", "s"]
MARGINS = {"channel": {"web": 0.5, "store": 0.5}, "region": {"n": 0.3, "s": 0.7}}
# samplics 0.6.1, SampleWeight().rake(samp_weight=np.ones(10), margins={"channel": CHANNEL, "region": REGION},
# control={"channel": {"web": 5, "store": 5}, "region": {"n": 3, "s": 7}}, tol=1e-12, ctrl_tol=1e-12,
# max_iter=1000): the reference raking of the survey-statistics library, computed once and written here.
SAMPLICS = [0.5885621722338105, 1.3228756555320227, 0.5885621722338105, 0.5885621722338105, 1.3228756555320227,
            0.5885621722338105, 1.4514162296453184, 1.4514162296453184, 0.6457513110647584, 1.4514162296453184]


def test_raking_matches_samplics_and_the_closed_form():
    weights = rake(pd.DataFrame({"channel": CHANNEL, "region": REGION}), MARGINS)
    assert weights.tolist() == pytest.approx(SAMPLICS, abs=1e-9)
    # the fixed point in closed form: web answers weigh a, store answers b, times c for north, d for south
    # (4a c + 2a d = 5 and so on) gives web-south = sqrt(7) / 2
    assert weights.iloc[1] == pytest.approx(np.sqrt(7) / 2, abs=1e-9)


def test_one_margin_is_post_stratification_and_every_margin_is_matched():
    answers = pd.DataFrame({"channel": ["web"] * 3 + ["store"]})
    assert rake(answers, {"channel": {"web": 0.5, "store": 0.5}}).tolist() == pytest.approx([2 / 3] * 3 + [2])
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"channel": rng.choice(["web", "app", "store"], 2000, p=[0.6, 0.3, 0.1]),
                          "region": rng.choice(["n", "c", "s"], 2000, p=[0.2, 0.3, 0.5]),
                          "plan": rng.choice(["basic", "pro"], 2000, p=[0.8, 0.2])})
    margins = {"channel": {"web": 0.4, "app": 0.3, "store": 0.3}, "region": {"n": 0.34, "c": 0.33, "s": 0.33},
               "plan": {"basic": 0.5, "pro": 0.5}}
    weights = rake(frame, margins)
    assert weights.mean() == pytest.approx(1)
    for column, shares in margins.items():
        weighted = weights.groupby(frame[column]).sum() / weights.sum()
        assert weighted.to_dict() == pytest.approx(shares, abs=1e-6)


@pytest.mark.parametrize("margins, message", [
    ({"channel": {"web": 0.5, "store": 0.4}}, r"dataset.yml.*margins.channel: shares must sum to 1; they sum to 0.9"),
    ({"channel": {"web": 0.5, "store": 0.3, "fax": 0.2}}, r"margins.channel: no answer falls in \['fax'\]"),
    ({"channel": {"web": 1.0, "app": 0.0}}, r"margins.channel.app: must be a share between 0 and 1"),
    ({"chanel": {"web": 0.5, "store": 0.5}}, r"margins.chanel: the surveys \(and customers\) have no column 'chanel'"),
    ({"channel": {"web": 1.0}}, r"margins.channel: must map at least two categories"),
    ({"region": {"n": 0.5, "x": 0.5}}, r"margins.region: categories \['s'\] of the data have no share"),
    (["channel"], r"margins: must map survey or customer columns to category shares"),
])
def test_bad_margins_name_the_dataset_yml_key(margins, message):
    with pytest.raises(DataError, match=message):
        rake(pd.DataFrame({"channel": CHANNEL, "region": REGION}), margins)


def test_missing_categories_are_an_error_not_a_silent_weight_of_one():
    with pytest.raises(DataError, match=r"margins.region: 1 answer\(s\) have no 'region'"):
        rake(pd.DataFrame({"channel": CHANNEL, "region": REGION[:-1] + [None]}), MARGINS)


def test_customer_columns_are_joined_and_kpis_use_the_weights():
    surveys = pd.DataFrame({"customer_id": [f"C{i}" for i in range(10)], "channel": CHANNEL,
                            "nps": [10] * 6 + [0] * 4})
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(10)], "region": REGION})
    weighted = rake_surveys(surveys, MARGINS, customers=customers)
    assert "region" not in weighted.columns and weighted["weight"].tolist() == pytest.approx(SAMPLICS, abs=1e-9)
    row = kpi_summary(weighted, metrics=["nps"], min_group_size=1).iloc[0]
    assert row["value"] == pytest.approx(0.0)          # web promoters and store detractors now weigh half each
    assert row["n_effective"] < row["n"]
    summary = weighting_summary(weighted, MARGINS)
    assert summary.n_effective == pytest.approx(sum(SAMPLICS) ** 2 / sum(w * w for w in SAMPLICS))
    assert summary.efficiency == pytest.approx(summary.n_effective / 10)
    assert "channel, region" in summary.note and "effective sample size" in summary.note
    assert weighting_summary(surveys) is None and weighting_note(surveys) == ""
    assert weighting_note(weighted, MARGINS) == summary.note


def test_low_efficiency_warns():
    answers = pd.DataFrame({"channel": ["web"] * 95 + ["store"] * 5})
    weighted = answers.assign(weight=rake(answers, {"channel": {"web": 0.1, "store": 0.9}}))
    with pytest.warns(WeightingWarning, match="below 40%"):
        summary = weighting_summary(weighted)
    assert summary.efficiency < 0.4


def _weighted_folder(tmp_path, margins_yaml):
    rng = np.random.default_rng(2)
    n = 400
    stamps = pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 180, n), unit="D")
    channel = rng.choice(["web", "store"], n, p=[0.8, 0.2])
    rating = rng.integers(1, 6, n)
    nps = np.clip(np.where(channel == "web", 8, 4) + (rating - 3) + rng.integers(-1, 2, n), 0, 10)
    pd.DataFrame({"response_id": [f"R{i}" for i in range(n)], "timestamp": stamps.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "customer_id": [f"C{i}" for i in range(n)], "channel": channel, "nps": nps,
                  "rating_app": rating}).to_csv(tmp_path / "surveys.csv", index=False)
    (tmp_path / "dataset.yml").write_text(margins_yaml)
    return tmp_path


def test_dataset_yml_margins_weight_every_kpi_trend_and_driver(tmp_path):
    ds = load_dataset(_weighted_folder(tmp_path, "margins:\n  channel: {web: 0.5, store: 0.5}\n"))
    surveys = ds.surveys
    assert ds.margins == {"channel": {"web": 0.5, "store": 0.5}}
    shares = surveys.groupby("channel")["weight"].sum() / surveys["weight"].sum()
    assert shares.to_dict() == pytest.approx({"web": 0.5, "store": 0.5})
    unweighted = kpi_summary(surveys.drop(columns="weight"), metrics=["nps"]).iloc[0]
    weighted = kpi_summary(surveys, metrics=["nps"]).iloc[0]
    assert weighted["value"] < unweighted["value"] - 10   # the weaker store answers now count for half
    trend = kpi_trend(surveys, freq="Q").table
    assert trend["value"].tolist() != pytest.approx(kpi_trend(surveys.drop(columns="weight"), freq="Q").table["value"])
    drivers = key_drivers(surveys, score_col="nps", n_boot=20)
    plain = key_drivers(surveys, score_col="nps", n_boot=20, weight_col=None)
    assert drivers.r2 != pytest.approx(plain.r2)
    # a period is raked again, so its weighted shares match the margins too
    period = ds.between("2025-03-01", "2025-05-01").surveys
    shares = period.groupby("channel")["weight"].sum() / period["weight"].sum()
    assert shares.to_dict() == pytest.approx({"web": 0.5, "store": 0.5})


def test_bad_dataset_yml_margins_are_load_problems(tmp_path):
    folder = _weighted_folder(tmp_path, "margins:\n  channel: {web: 0.5, shop: 0.5}\n")
    with pytest.raises(DataError, match=r"dataset.yml.*margins.channel: categories \['store'\] of the data"):
        load_dataset(folder)
    (folder / "dataset.yml").write_text("margins:\n  channel: {web: 0.7, store: 0.5}\n")
    with pytest.raises(DataError, match=r"margins.channel: shares must sum to 1; they sum to 1.2"):
        load_dataset(folder)


def test_check_margins_accepts_rounding():
    assert check_margins({"c": {"a": 0.333, "b": 0.333, "d": 0.333}}) == {"c": {"a": 0.333, "b": 0.333, "d": 0.333}}


def test_weighted_nps_intervals_cover_the_population_value():
    # Population: half web (NPS +50), half store (NPS -10): NPS +20. Samples of 400 draw 80 % web answers.
    # One margin: raking is post-stratification (tested above), so the weights are written in closed form
    # for 1,000 samples at once. The weighted intervals cover +20 at the nominal rate; the unweighted ones
    # sit around +38 and almost never do.
    rng = np.random.default_rng(21)
    reps, n = 1000, 400
    channel = np.where(rng.random((reps, n)) < 0.8, "web", "store")
    u = rng.random((reps, n))
    promoter = np.where(channel == "web", u < 0.6, u < 0.3)
    detractor = np.where(channel == "web", u > 0.9, u > 0.6)
    frame = pd.DataFrame({"rep": np.repeat(np.arange(reps), n), "channel": channel.ravel(),
                          "nps": np.where(promoter, 10, np.where(detractor, 0, 8)).ravel()})
    frame["weight"] = 0.5 / (frame.groupby(["rep", "channel"])["nps"].transform("size") / n)
    coverage = {}
    for weight_col in ("weight", None):
        table = kpi_summary(frame, by=["rep"], metrics=["nps"], min_group_size=1, weight_col=weight_col)
        coverage[weight_col] = ((table["low"] <= 20) & (table["high"] >= 20)).mean()
    assert 0.93 <= coverage["weight"] <= 0.97, coverage
    assert coverage[None] < 0.05


def test_topic_impact_uses_the_survey_weights():
    answers = pd.DataFrame({"nps": [0, 2, 10, 9, 10, 9, 8, 10, 9, 10], "weight": [3.0] * 2 + [1.0] * 8})
    about = pd.Series(["wait", "wait"] + [None] * 8)
    result = topic_impact(answers, about, min_group_size=2, n_boot=50)
    # weighted: 6 detractor-weights and 7 promoter-weights of 14 -> NPS 100/14; without "wait": 7 of 8 -> 87.5
    assert result.overall == pytest.approx(100 / 14)
    row = result.table.iloc[0]
    assert row["outcome_impact"] == pytest.approx(100 / 14 - 87.5) and row["share"] == pytest.approx(6 / 14)
    assert topic_impact(answers, about, min_group_size=2, n_boot=50, weight_col=None).overall == pytest.approx(50)

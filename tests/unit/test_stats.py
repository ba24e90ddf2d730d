"""Standard intervals and the KPI engine: known answers, bugs of the old code, coverage by simulation."""
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from cxresearch.errors import DataError, ParameterError, SmallGroupWarning, WeightingWarning
from cxresearch.stats import (absent_metrics, adjust_pvalues, ces, compare, csat, design_effects, kish_effective_n, kpi_summary,
                              mean_diff_interval, mean_interval, mix_decomposition, nps, nps_diff_interval,
                              nps_interval, proportion_diff_interval, wilson_interval)

Z95 = 1.959963984540054


# ------------------------------------------------------------ known answers
def _rocks(promoters, detractors, n, z=Z95):
    """Adjusted Wald by hand: 3/4 added to promoters and detractors, 3 to n."""
    p, d, m = (promoters + 0.75) / (n + 3), (detractors + 0.75) / (n + 3), n + 3
    half = z * math.sqrt((p + d - (p - d) ** 2) / m)
    return 100 * (p - d - half), 100 * (p - d + half)


@pytest.mark.parametrize("counts", [(5, 2, 10), (40, 25, 100), (12, 30, 50), (3, 0, 4)])
def test_nps_interval_is_the_adjusted_wald_interval(counts):
    value, low, high = nps_interval(*counts)
    assert value == pytest.approx(100 * (counts[0] - counts[1]) / counts[2])
    assert (low, high) == pytest.approx(tuple(np.clip(_rocks(*counts), -100, 100)))


def test_nps_of_five_promoters_is_not_a_zero_width_interval():
    # old bug: the plain Wald interval of 5 promoters out of 5 was [100, 100]
    estimate = nps([10, 9, 10, 9, 10])
    assert estimate.value == 100
    assert estimate.high == 100 and estimate.low == pytest.approx(_rocks(5, 0, 5)[0]) and estimate.low < 50


def test_nps_interval_never_leaves_the_scale():
    # old bug: 30 promoters and 1 detractor gave an upper bound of 106
    _, low, high = nps_interval(30, 1, 31)
    assert high <= 100 and low == pytest.approx(_rocks(30, 1, 31)[0])
    grid = np.array([(p, d, n) for n in (1, 2, 5, 31, 200) for p in range(n + 1) for d in range(n + 1 - p)])
    _, low, high = nps_interval(grid[:, 0], grid[:, 1], grid[:, 2])
    assert (low >= -100).all() and (high <= 100).all() and (low <= high).all()


def test_wilson_matches_statsmodels_and_the_textbook_formula():
    hits, n = np.array([0, 3, 8, 50, 99]), np.array([10, 10, 10, 120, 100])
    _, low, high = wilson_interval(hits, n)
    expected = proportion_confint(hits, n, method="wilson")
    assert low == pytest.approx(expected[0]) and high == pytest.approx(expected[1])
    p = 8 / 10
    centre = (p + Z95**2 / 20) / (1 + Z95**2 / 10)
    half = Z95 * math.sqrt(p * (1 - p) / 10 + Z95**2 / 400) / (1 + Z95**2 / 10)
    assert (low[2], high[2]) == pytest.approx((centre - half, centre + half))


def test_newcombe_difference_reproduces_newcombe_1998_and_statsmodels():
    # Newcombe (1998), Stat Med 17:873, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339
    diff, low, high, p = proportion_diff_interval(48, 80, 56, 70)
    assert diff == pytest.approx(0.2)
    assert (round(float(low), 4), round(float(high), 4)) == (0.0524, 0.3339)
    expected = confint_proportions_2indep(np.array([9, 20]), np.array([10, 50]), np.array([3, 30]),
                                          np.array([10, 50]), method="newcomb")
    _, low, high, _ = proportion_diff_interval([3, 30], [10, 50], [9, 20], [10, 50])
    assert low == pytest.approx(expected[0]) and high == pytest.approx(expected[1])
    # pooled two-proportion z test = Pearson chi-square without continuity correction
    chi2 = sps.chi2_contingency([[56, 14], [48, 32]], correction=False)
    assert p == pytest.approx(chi2.pvalue)


def test_nps_difference_adds_the_adjusted_variances():
    diff, low, high, p = nps_diff_interval(20, 10, 50, 35, 5, 60)
    a1, a2 = (20.75 - 10.75) / 53, (35.75 - 5.75) / 63
    v1 = ((20.75 + 10.75) / 53 - a1**2) / 53
    v2 = ((35.75 + 5.75) / 63 - a2**2) / 63
    se = math.sqrt(v1 + v2)
    assert diff == pytest.approx(100 * (30 / 60 - 10 / 50))
    assert (low, high) == pytest.approx((100 * (a2 - a1 - Z95 * se), 100 * (a2 - a1 + Z95 * se)))
    assert p == pytest.approx(2 * sps.norm.sf((a2 - a1) / se))


def test_mean_intervals_match_scipy():
    sample = np.array([1, 2, 2, 3, 5, 6, 7, 7, 7, 4.0])
    low, high = mean_interval(sample.mean(), sample.std(ddof=1), sample.size)
    expected = sps.ttest_1samp(sample, 0).confidence_interval()
    assert (low, high) == pytest.approx((expected.low, expected.high))
    other = np.array([3, 4, 5, 6, 6, 7, 7, 7.0])
    se1, se2 = sps.sem(sample), sps.sem(other)
    diff, low, high, p = mean_diff_interval(sample.mean(), se1, sample.size - 1, other.mean(), se2, other.size - 1)
    welch = sps.ttest_ind(other, sample, equal_var=False)
    assert p == pytest.approx(welch.pvalue)
    ci = welch.confidence_interval()
    assert (low, high) == pytest.approx((ci.low, ci.high))


def test_ces_standard_error_comes_from_the_data_not_a_clipped_interval():
    # old bug: the SE was read back from an interval clipped to 1-7, e.g. 0.180 instead of 0.231
    scores = [7, 7, 7, 7, 6, 7, 1, 7]
    estimate = ces(scores)
    assert estimate.high == 7                       # the shown interval is cut at the top of the scale
    assert estimate.se == pytest.approx(sps.sem(scores))
    assert estimate.se > (estimate.high - estimate.low) / (2 * sps.t.ppf(0.975, 7))
    before = ces([5, 6, 5, 6, 5, 6, 4, 6])
    assert compare(before, estimate).p_value == pytest.approx(
        sps.ttest_ind(scores, [5, 6, 5, 6, 5, 6, 4, 6], equal_var=False).pvalue)


def test_cluster_robust_variance_matches_statsmodels_wls_with_clustered_errors():
    rng = np.random.default_rng(4)
    customers = rng.integers(0, 40, 300)
    y = rng.normal(rng.normal(0, 1, 40)[customers], 1)
    weights = rng.uniform(0.5, 2, 300)
    frame = pd.DataFrame({"y": y, "customer_id": customers, "w": weights})
    table = design_effects(frame, "y", cluster_col="customer_id", weight_col="w")
    fit = sm.WLS(y, np.ones(300), weights=weights).fit(cov_type="cluster", cov_kwds={"groups": customers,
                                                                                       "use_correction": False})
    g = 40
    assert table.loc[0, "var_design"] == pytest.approx(fit.bse[0] ** 2 * g / (g - 1))
    assert table.loc[0, "design_effect"] > 1.5     # strong within-customer correlation


def test_kish_effective_sample_size_and_its_warning():
    assert kish_effective_n([1, 1, 1, 1], warn=False) == (4.0, 1.0)
    n_eff, efficiency = kish_effective_n([1, 1, 2, 2], warn=False)
    assert n_eff == pytest.approx(36 / 10) and efficiency == pytest.approx(0.9)
    with pytest.warns(WeightingWarning, match="below 40%"):
        kish_effective_n([1] * 9 + [30])


def test_design_effect_of_equal_weights_and_single_answers_is_one():
    frame = pd.DataFrame({"nps": [10, 9, 3, 7, 8, 10, 0, 9], "customer_id": range(8)})
    row = kpi_summary(frame, metrics=["nps"], min_group_size=1).iloc[0]
    assert row["design_effect"] == pytest.approx(1.0) and row["n_effective"] == pytest.approx(8)


def test_weights_move_the_estimate_and_reduce_the_effective_n():
    frame = pd.DataFrame({"nps": [10, 10, 0, 0], "weight": [3.0, 1.0, 1.0, 1.0]})
    assert kpi_summary(frame, metrics=["nps"], min_group_size=1).loc[0, "value"] == pytest.approx(100 * 2 / 6)
    frame = pd.DataFrame({"nps": [10, 0, 10, 0], "weight": [3.0, 3.0, 1.0, 1.0]})
    row = kpi_summary(frame, metrics=["nps"], min_group_size=1).iloc[0]
    # weights unrelated to the answers: the design effect is Kish's, n sum w^2 / (sum w)^2
    assert row["design_effect"] == pytest.approx(4 * 20 / 64)
    with pytest.raises(DataError, match="'weight'"):
        kpi_summary(frame.assign(weight=[1, -1, 1, 1]), metrics=["nps"], min_group_size=1)


# ------------------------------------------------------------ the engine
SURVEYS = pd.DataFrame({
    "customer_id": ["a", "a", "b", "c", "d", "e", "f", "g", "g", "g", "h"],
    "channel": ["web"] * 6 + ["app"] * 5,
    "nps": [10, 9, 9, 5, 7, 10, 0, 3, 10, 6, 8],
    "csat": [5, 4, 4, 2, 3, 5, 1, 2, 5, 3, 4],
})


def test_kpi_summary_counts_per_answer_suppresses_by_respondent_and_skips_absent_metrics():
    with pytest.warns(SmallGroupWarning):
        table = kpi_summary(SURVEYS, by=["channel"], metrics=["nps", "csat", "csat_mean", "ces"])
    assert set(table["channel"]) == {"web"}     # app: 5 answers but only 3 customers
    rows = table.set_index("metric")
    assert rows.loc["nps", "value"] == pytest.approx(100 * (4 - 1) / 6)
    assert rows.loc["csat", "value"] == pytest.approx(4 / 6)     # a share of 1, NPS in points
    assert rows.loc["csat_mean", "value"] == pytest.approx(23 / 6)
    assert rows.loc["nps", "respondents"] == 5 and rows.loc["nps", "n"] == 6
    assert table["low_base"].all()
    assert absent_metrics(SURVEYS, ["nps", "csat", "csat_mean", "ces"]) == {"ces": "ces"}
    assert kpi_summary(SURVEYS[["channel"]], metrics=["nps"]).empty


def test_kpi_summary_explains_bad_arguments():
    with pytest.raises(ParameterError, match="Did you mean 'nps'"):
        kpi_summary(SURVEYS, metrics=["nsp"])
    with pytest.raises(ParameterError, match="Did you mean 'channel'"):
        kpi_summary(SURVEYS, by=["chanel"])
    with pytest.raises(DataError, match="from 0 to 10"):
        kpi_summary(SURVEYS.assign(nps=SURVEYS["nps"] + 5), metrics=["nps"])


def test_low_base_flag_is_separate_from_suppression():
    frame = pd.DataFrame({"nps": np.tile([10, 9, 7, 3], 10)})
    assert not kpi_summary(frame, metrics=["nps"]).loc[0, "low_base"]
    assert kpi_summary(frame.head(20), metrics=["nps"]).loc[0, "low_base"]
    assert not kpi_summary(frame.head(20), metrics=["nps"], low_base=10).loc[0, "low_base"]


def test_adjust_pvalues_matches_statsmodels_and_ignores_missing():
    adjusted, flags = adjust_pvalues([0.01, np.nan, 0.04, 0.03, 0.2])
    assert adjusted[[0, 2, 3, 4]] == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.2])
    assert flags.tolist() == [True, False, False, False, False] and np.isnan(adjusted[1])
    adjusted, _ = adjust_pvalues([0.01, 0.04, 0.03], correction="holm")
    assert adjusted == pytest.approx([0.03, 0.06, 0.06])


def test_compare_uses_the_method_of_each_metric():
    before, after = csat([1, 2, 4] * 20), csat([2, 4, 5] * 20)
    result = compare(before, after)
    expected = confint_proportions_2indep(40, 60, 20, 60, method="newcomb")
    assert (result.low, result.high) == pytest.approx(expected)      # a change of shares, in fractions of 1
    with pytest.raises(ParameterError):
        compare(before, nps([10]))


# ------------------------------------------------------------ coverage by simulation
def _simulate(rng, reps, n, probs, repeat):
    """reps samples of n answers; with *repeat*, customers answer *repeat* times with correlated answers."""
    customers = n // repeat
    if repeat == 1:
        category = rng.choice(3, size=(reps, n), p=probs)
    else:
        # each customer has their own category probabilities (Dirichlet around probs): answers correlate
        own = rng.dirichlet(np.asarray(probs) * 2, size=(reps, customers))
        draws = rng.random((reps, customers, repeat))
        category = (draws[..., None] > np.cumsum(own, axis=-1)[:, :, None, :]).sum(-1).reshape(reps, n)
    customer = np.repeat(np.arange(customers), repeat)
    return pd.DataFrame({"rep": np.repeat(np.arange(reps), n), "customer_id": np.tile(customer, reps),
                         "nps": np.array([10, 7, 3])[category.ravel()],
                         "csat": np.array([5, 3, 1])[category.ravel()]})


@pytest.mark.parametrize("n, repeat", [(50, 1), (500, 1), (50, 2), (500, 5)])
def test_nps_and_top2box_intervals_cover_the_truth_93_to_97_percent(n, repeat):
    probs = (0.45, 0.30, 0.25)
    reps = 2000 if n == 50 else 1000
    frame = _simulate(np.random.default_rng(n + repeat), reps, n, probs, repeat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = kpi_summary(frame, by=["rep"], metrics=["nps", "csat"], low_base=0)
    truth = {"nps": 100 * (probs[0] - probs[2]), "csat": probs[0]}
    cover = (table["low"] <= table["metric"].map(truth)) & (table["metric"].map(truth) <= table["high"])
    coverage = cover.groupby(table["metric"]).mean()
    assert coverage.between(0.93, 0.97).all(), coverage.to_dict()
    if repeat > 1:
        assert table["design_effect"].mean() > 1.2


def test_mix_decomposition_shows_a_simpson_reversal():
    # both channels improve by 10 points, but answers move to the weaker store: overall NPS falls 30 points
    def answers(web_n, web_promoters, store_n, store_promoters):
        web = [10] * web_promoters + [0] * (web_n - web_promoters)
        store = [10] * store_promoters + [0] * (store_n - store_promoters)
        return pd.DataFrame({"channel": ["web"] * web_n + ["store"] * store_n, "nps": web + store})
    before = answers(100, 75, 100, 25)      # web +50, store -50, overall 0
    after = answers(20, 16, 180, 54)        # web +60, store -40, overall -30
    result = mix_decomposition(before, after, by="channel")
    parts = result.table.set_index("channel")
    assert result.change == pytest.approx(-30)
    assert result.within == pytest.approx(10) and result.mix == pytest.approx(-40)
    assert parts["within"].to_dict() == pytest.approx({"web": 5, "store": 5})
    assert parts.loc["web", "share_after"] == pytest.approx(0.1)

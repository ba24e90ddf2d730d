"""Voice of the customer: KPIs with intervals, trends, key drivers, topic impact."""
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxresearch import i18n, load_dataset
from cxresearch.errors import DataError, DataWarning, ParameterError, SmallGroupWarning
from cxresearch.stats import nps_interval, wilson_interval
from cxresearch.synthetic import generate
from cxresearch.voice import compare, key_drivers, kpi_table, kpi_trend, nps

Z95 = 1.959963984540054


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = generate(tmp_path_factory.mktemp("demo") / "demo", customers=5000, random_state=42)
    return load_dataset(folder), Path(folder) / "truth"


def test_nps_and_interval_of_a_hand_made_list():
    # 5 promoters (10, 10, 9, 10, 9), 3 detractors (6, 0, 3), 2 passives, n = 10
    estimate = nps([10, 10, 9, 8, 7, 6, 0, 10, 9, 3])
    # adjusted Wald (Rocks 2016): 3/4 added to promoters and detractors, 3 to n
    p, d = 5.75 / 13, 3.75 / 13
    half = Z95 * math.sqrt((p + d - (p - d) ** 2) / 13)
    assert estimate.value == pytest.approx(20.0)
    assert (estimate.low, estimate.high) == pytest.approx((100 * (p - d - half), 100 * (p - d + half)))
    assert estimate.se == pytest.approx(100 * math.sqrt((0.5 + 0.3 - 0.2**2) / 10 * 10 / 9))
    assert estimate.n == 10


def test_nps_interval_covers_the_truth_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    promoter, passive, detractor = 0.45, 0.30, 0.25
    counts = rng.multinomial(200, [promoter, passive, detractor], size=2000)
    _, low, high = nps_interval(counts[:, 0], counts[:, 2], 200)
    truth = 100 * (promoter - detractor)
    assert 0.93 <= np.mean((low <= truth) & (truth <= high)) <= 0.97


def test_wilson_interval_covers_the_truth_95_percent_of_the_time():
    rng = np.random.default_rng(2)
    hits = rng.binomial(200, 0.72, size=2000)
    _, low, high = wilson_interval(hits, 200)
    assert 0.93 <= np.mean((low <= 0.72) & (0.72 <= high)) <= 0.97


SURVEYS = pd.DataFrame({
    "timestamp": pd.to_datetime(["2025-01-05", "2025-01-06", "2025-01-07", "2025-01-08", "2025-01-09",
                                 "2025-02-01", "2025-02-02", "2025-02-03", "2025-02-04", "2025-02-05",
                                 "2025-02-06"], utc=True),
    "channel": ["web"] * 5 + ["app"] * 5 + ["chat"],
    "nps": [10, 9, 9, 5, 7, 0, 3, 10, 6, 8, 10],
    "csat": [5, 4, 4, 2, 3, 1, 2, 5, 3, 4, 5],
    "ces": [7, 6, 6, 2, 5, 1, 2, 7, 4, 5, 6],
})


def test_kpi_table_by_channel_matches_hand_computation_and_hides_small_groups():
    with pytest.warns(SmallGroupWarning):
        table = kpi_table(SURVEYS, by=["channel"], metrics=["nps", "csat", "ces"])
    assert "chat" not in set(table["channel"])   # one answer: suppressed, never shown
    rows = table.set_index(["channel", "metric"])
    # web: promoters 10, 9, 9 of 5; detractor 5 -> 40; app: promoter 10, detractors 0, 3, 6 -> -40
    assert rows.loc[("web", "nps"), "value"] == pytest.approx(40.0)
    assert rows.loc[("app", "nps"), "value"] == pytest.approx(-40.0)
    assert rows.loc[("web", "csat"), "value"] == pytest.approx(0.6)   # 5, 4, 4 of 5 are 4-5: a share of 1
    assert rows.loc[("app", "ces"), "value"] == pytest.approx(19 / 5)
    _, low, high = nps_interval(3, 1, 5)
    assert (rows.loc[("web", "nps"), "low"], rows.loc[("web", "nps"), "high"]) == pytest.approx((low, high))
    assert (table["n"] >= 5).all()


def test_kpi_table_derives_month_from_timestamp():
    table = kpi_table(SURVEYS, by=["month"], metrics="nps", min_group_size=1)
    assert table["month"].dt.month.tolist() == [1, 2]
    assert table["value"].tolist() == pytest.approx([40.0, (2 - 3) / 6 * 100])


def test_kpi_table_rejects_unknown_metric_and_column_and_off_scale_answers():
    with pytest.raises(ParameterError, match="'nps', 'csat'"):
        kpi_table(SURVEYS, metrics=["nsp"])
    with pytest.raises(ParameterError, match="Did you mean 'channel'"):
        kpi_table(SURVEYS, by=["chanel"])
    with pytest.raises(DataError, match="from 0 to 10"):
        kpi_table(SURVEYS.assign(nps=SURVEYS["nps"] + 5), metrics=["nps"])
    with i18n.using("it"), pytest.raises(DataError) as raised:   # as an Italian page would show it
        kpi_table(SURVEYS.assign(csat=[7.0] + SURVEYS["csat"].iloc[1:].tolist()), metrics=["csat"])
    assert "la colonna 'csat' deve contenere risposte CSAT da 1 a 5; 1 fuori scala: 7,0." in str(raised.value)


def test_kpi_trend_flags_a_planted_drop_and_not_a_stable_period():
    month_starts = pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"], utc=True)
    stamps = month_starts.repeat(30) + pd.to_timedelta(np.tile(np.arange(30), 3), unit="h")
    scores = np.r_[np.tile([10, 9, 8], 10), np.tile([10, 9, 8], 10), np.tile([0, 3, 8], 10)]
    trend = kpi_trend(pd.DataFrame({"timestamp": stamps, "nps": scores}), freq="M").table
    assert trend["value"].tolist() == pytest.approx([200 / 3, 200 / 3, -200 / 3])
    assert trend["significant"].tolist() == [False, False, True]
    assert trend.loc[2, "change"] == pytest.approx(-400 / 3)
    assert trend.loc[2, "change_low"] < trend.loc[2, "change"] < trend.loc[2, "change_high"] < 0


def test_compare_is_reexported_and_detects_a_difference():
    result = compare(nps([0, 3, 5, 6, 7] * 20), nps([9, 10, 10, 8, 7] * 20))
    assert result.diff == pytest.approx(60 - (-80))
    assert result.significant and result.low > 0


def test_demo_planted_top_driver_ranks_first(demo):
    ds, truth = demo
    planted = json.loads((truth / "drivers.json").read_text())
    for target in ("nps", "csat"):
        with pytest.warns(DataWarning, match="rate every driver"):
            table = key_drivers(ds.surveys, score_col=target, cluster_col="customer_id", n_boot=100).table
        assert table.loc[0, "driver"] == planted[target]["top_driver"]
        assert table.loc[0, "rank_low"] == 1


def test_demo_planted_kpis_are_recovered_within_their_intervals(demo):
    ds, truth = demo
    planted = json.loads((truth / "kpis.json").read_text())["overall"]
    table = kpi_table(ds.surveys).set_index("metric")
    for metric, key in [("nps", "nps"), ("csat", "csat_top2box"), ("ces", "ces_mean")]:
        assert table.loc[metric, "low"] <= planted[key] <= table.loc[metric, "high"]

"""Run-over-run KPI changes: from the KPI engine, and never tested as independent when periods overlap."""
import json

import numpy as np
import pandas as pd
import pytest

from cxresearch import i18n
from cxresearch.dataset import CXDataset
from cxresearch.display import pretty
from cxresearch.stats import Estimate, compare
from cxresearch.summary import PreviousRun, Summary, _kpi_changes, _kpis, _nps_mix, _nps_segments


def _dataset(start, scores, customers=None):
    stamps = pd.date_range(start, periods=len(scores), freq="D", tz="UTC")
    surveys = pd.DataFrame({"response_id": [f"{start}-{i}" for i in range(len(scores))], "timestamp": stamps,
                            "nps": scores})
    if customers is not None:
        surveys["customer_id"] = customers
    return CXDataset(name="t", surveys=surveys)


def _previous(kpis):
    # the previous run's KPIs as they come back from kpis.json
    saved = {key: Estimate.from_dict(json.loads(json.dumps(e.to_dict(), default=float))) for key, e in kpis.items()}
    return PreviousRun(run_id="r1", kpis=saved, persona_model=None, persona_shares=pd.DataFrame(),
                       pain_points=pd.DataFrame())


def test_disjoint_periods_are_compared_with_the_engines_method():
    before = _kpis(_dataset("2025-01-01", [10, 9, 3, 7, 8] * 20))
    after = _kpis(_dataset("2025-06-01", [10, 9, 10, 7, 8] * 20))
    changes = _kpi_changes(after, _previous(before)).set_index("kpi")
    expected = compare(before["nps"], after["nps"])
    assert changes.loc["nps", "diff"] == pytest.approx(40)
    assert (changes.loc["nps", "low"], changes.loc["nps", "p_value"]) == pytest.approx((expected.low, expected.p_value))
    assert changes.loc["nps", "note"] == ""


def test_overlapping_periods_are_not_tested_as_independent_samples():
    before = _kpis(_dataset("2025-01-01", [10, 9, 3, 7, 8] * 20))
    after = _kpis(_dataset("2025-03-01", [10, 9, 10, 7, 8] * 20))     # 100 days from Jan 1 reach into March
    row = _kpi_changes(after, _previous(before)).iloc[0]
    assert row["diff"] == pytest.approx(40)
    assert np.isnan(row["p_value"]) and not row["significant"]
    assert "overlap" in row["note"]


def test_summary_kpis_are_suppressed_below_min_group_size_and_carry_the_design_effect():
    assert _kpis(_dataset("2025-01-01", [10, 9, 3, 7]), min_group_size=5) == {}
    # each customer answers four times the same way: 10 customers, not 40 independent answers
    repeated = _kpis(_dataset("2025-01-01", np.repeat([10, 0] * 5, 4), customers=np.repeat(np.arange(10), 4)))
    assert repeated["nps"].design_effect > 1 and repeated["nps"].n_effective < 40


def _channels(start, web_n, web_promoters, store_n, store_promoters):
    web = [10] * web_promoters + [0] * (web_n - web_promoters)
    store = [10] * store_promoters + [0] * (store_n - store_promoters)
    ds = _dataset(start, web + store, customers=[f"{start}-C{i}" for i in range(web_n + store_n)])
    ds.surveys["channel"] = ["web"] * web_n + ["store"] * store_n
    return ds


def test_summary_splits_the_change_of_nps_into_channel_mix_and_within_channels(tmp_path):
    # both channels improve by 10 points, but answers move to the weaker store: overall NPS falls 30 points
    before = _channels("2024-01-01", 100, 75, 100, 25)      # web +50, store -50
    after = _channels("2025-06-01", 20, 16, 180, 54)        # web +60, store -40
    saved = _nps_segments(before, 5)
    saved.to_csv(tmp_path / "nps_segments.csv", index=False)    # as the previous run wrote it
    previous = _previous(_kpis(before))
    previous.nps_segments = pd.read_csv(tmp_path / "nps_segments.csv")
    mix = _nps_mix(_nps_segments(after, 5), previous, 5)
    assert (mix.change, mix.within, mix.mix) == pytest.approx((-30, 10, -40))
    assert mix.table.set_index("channel")["within"].to_dict() == pytest.approx({"web": 5, "store": 5})
    summary = Summary(kpis={}, persona_model=None, persona_shares=pd.DataFrame(), assignments=pd.DataFrame(),
                      stages=pd.DataFrame(), pain_points=pd.DataFrame(), previous_run="r1", nps_mix=mix)
    assert summary.mix_findings() == ("NPS moved -30.0 points since the run of r1: 10.0 from changes within channels (each "
                                      "channel's NPS at the previous run's channel shares) and -40.0 from answers "
                                      "moving between channels.")
    assert _nps_mix(_nps_segments(after, 5), None, 5) is None
    with i18n.using("it"):   # shares as percentages, contributions in points, headers in the reader's words
        html = pretty(mix.table).to_html()
    for text in ("Quota prima", "Quota dopo", "Valore prima", "Valore dopo", "Variazione nei segmenti",
                 "Variazione dal mix", ">50,0%<", ">10,0%<", ">90,0%<", ">5,0<"):
        assert text in html, text
    assert "0.5" not in html and "share" not in html.lower()


def test_small_channels_are_pooled_before_they_are_saved():
    ds = _channels("2025-01-01", 30, 20, 3, 1)
    segments = _nps_segments(ds, 5)
    assert segments["channel"].tolist() == ["other segments", "web"]
    assert segments.set_index("channel").loc["other segments", "respondents"] == 3

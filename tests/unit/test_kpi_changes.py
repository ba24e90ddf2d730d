"""Run-over-run KPI changes: from the KPI engine, and never tested as independent when periods overlap."""
import json

import numpy as np
import pandas as pd
import pytest

from cxresearch.dataset import CXDataset
from cxresearch.stats import Estimate, compare
from cxresearch.summary import PreviousRun, _kpi_changes, _kpis


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

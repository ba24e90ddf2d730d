"""Properties of the voice KPIs and drivers over generated answers."""
import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from cxresearch.voice import key_drivers, kpi_table, nps

nps_lists = st.lists(st.integers(0, 10), min_size=5, max_size=200)


@settings(deadline=None)   # no wall-clock limit: the machine may be loaded
@given(nps_lists)
def test_nps_lies_in_its_interval_and_range(scores):
    estimate = nps(scores)
    assert -100 <= estimate.value <= 100
    assert estimate.low <= estimate.value <= estimate.high


@settings(deadline=None)
@given(nps_lists)
def test_kpi_table_overall_row_equals_nps_of_the_list(scores):
    table = kpi_table(pd.DataFrame({"nps": scores}), metrics=["nps"])
    estimate = nps(scores)
    assert np.allclose(table.loc[0, ["value", "low", "high"]].to_numpy(dtype=float),
                       [estimate.value, estimate.low, estimate.high])


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_driver_importances_are_non_negative_and_sum_to_r2(seed, weights):
    rng = np.random.default_rng(seed)
    ratings = rng.integers(1, 6, size=(300, 3)).astype(float)
    target = ratings @ np.array(weights) + rng.normal(0, 1, 300)
    frame = pd.DataFrame(ratings, columns=["rating_a", "rating_b", "rating_c"]).assign(score=target)
    result = key_drivers(frame, score_col="score")
    table = result.table
    assert (table["importance"] >= -1e-12).all()
    assert np.isclose(table["importance"].sum(), result.r2)
    assert table["importance"].is_monotonic_decreasing

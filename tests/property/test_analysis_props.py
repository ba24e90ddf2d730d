"""Properties across the analyses: CSAT shares, one feature row per customer, personas predict their own labels.

Transitions summing to events minus sessions is covered in ``test_journeys_props.py``.
"""
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxresearch.dataset import CXDataset
from cxresearch.features import customer_features
from cxresearch.personas import PersonaModel
from cxresearch.voice import kpi_table

CUSTOMER_IDS = [f"c{i}" for i in range(8)]
START = pd.Timestamp("2025-01-01", tz="UTC")

csat_answers = st.lists(st.tuples(st.sampled_from(["web", "app", "store"]),
                                  st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0, np.nan])), min_size=1, max_size=80)


@settings(max_examples=60, deadline=None)
@given(csat_answers)
def test_csat_top2box_and_the_rest_add_up_to_every_answer_overall_and_by_channel(rows):
    surveys = pd.DataFrame(rows, columns=["channel", "csat"])
    answered = surveys.dropna()
    if answered.empty:
        return
    overall = kpi_table(surveys, metrics=["csat"], min_group_size=1).iloc[0]
    satisfied = (answered["csat"] >= 4).sum()
    assert overall["n"] == len(answered)
    assert np.isclose(overall["value"] * overall["n"], satisfied)          # a share of 1
    assert np.isclose(overall["value"] + (answered["csat"] <= 3).mean(), 1)
    by_channel = kpi_table(surveys, by=["channel"], metrics=["csat"], min_group_size=1)
    assert by_channel["n"].sum() == len(answered)
    assert np.isclose((by_channel["value"] * by_channel["n"]).sum(), satisfied)


def _table(draw, columns: dict, *, n_max: int) -> pd.DataFrame | None:
    """A table of up to *n_max* rows for customers of CUSTOMER_IDS, or None (the dataset lacks it)."""
    n = draw(st.integers(0, n_max))
    if n == 0:
        return None
    ids = draw(st.lists(st.sampled_from(CUSTOMER_IDS), min_size=n, max_size=n))
    minutes = draw(st.lists(st.integers(0, 90 * 24 * 60), min_size=n, max_size=n))
    frame = pd.DataFrame({"customer_id": pd.array(ids, dtype="str"),
                          "timestamp": START + pd.to_timedelta(minutes, unit="min")})
    return frame.assign(**{name: values(n) for name, values in columns.items()})


@st.composite
def datasets(draw):
    customers = draw(st.one_of(st.none(), st.lists(st.sampled_from(CUSTOMER_IDS), min_size=1, unique=True)))
    events = _table(draw, {"channel": lambda n: "web", "touchpoint": lambda n: "home"}, n_max=30)
    surveys = _table(draw, {"response_id": lambda n: [f"r{i}" for i in range(n)], "nps": lambda n: 7.0}, n_max=10)
    reviews = _table(draw, {"review_id": lambda n: [f"v{i}" for i in range(n)], "rating": lambda n: 4.0}, n_max=10)
    return CXDataset(name="p", events=events, surveys=surveys, reviews=reviews,
                     customers=None if customers is None else pd.DataFrame({
                         "customer_id": pd.array(customers, dtype="str"), "age": 40.0}))


@settings(max_examples=60, deadline=None)
@given(datasets())
def test_one_feature_row_per_customer(ds):
    tables = [t for t in (ds.events, ds.surveys, ds.reviews) if t is not None]
    if ds.customers is None and not tables:
        return
    features = customer_features(ds)
    assert features.index.is_unique
    expected = (set(ds.customers["customer_id"]) if ds.customers is not None
                else set().union(*(t["customer_id"] for t in tables)))
    assert set(features.index) == expected


@st.composite
def separated_groups(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    sizes = draw(st.lists(st.integers(10, 20), min_size=3, max_size=3))
    centres = np.array([[0.0, 0.0, 0.0], [9.0, 0.0, 3.0], [0.0, 9.0, -3.0]])
    values = np.vstack([c + rng.standard_normal((s, 3)) for c, s in zip(centres, sizes)])
    return pd.DataFrame(values, columns=["x", "y", "z"], index=[f"c{i:03d}" for i in range(len(values))])


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(separated_groups(), st.sampled_from([3, "auto"]))
def test_personas_predict_their_training_labels(frame, n_personas):
    model = PersonaModel(n_personas, k_range=(2, 4), n_bootstrap=3, random_state=0).fit(frame)
    pd.testing.assert_series_equal(model.predict(frame), model.labels_, check_names=False)

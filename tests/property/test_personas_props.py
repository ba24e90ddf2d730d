"""Properties of customer features and personas over generated inputs."""
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxresearch.dataset import CXDataset
from cxresearch.features import customer_features
from cxresearch.personas import PersonaModel
from cxresearch.personas.profiles import standardised_differences

CHANNELS = ["web", "app", "store", "chat"]


@st.composite
def event_logs(draw):
    n = draw(st.integers(1, 40))
    return pd.DataFrame({
        "customer_id": pd.array(draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n)), dtype="str"),
        "timestamp": pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(
            draw(st.lists(st.integers(0, 3 * 24 * 60), min_size=n, max_size=n)), unit="min"),
        "channel": pd.array(draw(st.lists(st.sampled_from(CHANNELS), min_size=n, max_size=n)), dtype="str"),
        "touchpoint": "home",
        "value": draw(st.lists(st.sampled_from([np.nan, 0.0, 10.0, 25.5]), min_size=n, max_size=n)),
    })


@settings(max_examples=60, deadline=None)
@given(event_logs(), st.randoms(use_true_random=False))
def test_event_features_are_consistent_and_order_free(events, rnd):
    features = customer_features(CXDataset(name="x", events=events))
    shares = features.filter(like="share_")
    assert np.allclose(shares.sum(axis=1), 1)
    assert (features["n_sessions"] <= features["n_events"]).all() and (features["n_sessions"] >= 1).all()
    assert features["cross_channel_sessions"].between(0, 1).all()
    assert (features["n_purchases"] <= features["n_events"]).all()
    assert np.allclose(features["spend"], events.groupby("customer_id")["value"].sum().reindex(features.index))
    order = list(range(len(events)))
    rnd.shuffle(order)
    pd.testing.assert_frame_equal(customer_features(CXDataset(name="x", events=events.iloc[order])), features)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=6, max_size=30), st.floats(0.1, 100), st.floats(-1e3, 1e3))
def test_standardised_differences_ignore_units_and_mirror_two_groups(values, scale, shift):
    labels = np.arange(len(values)) % 2
    column = pd.DataFrame({"x": values})
    d = standardised_differences(column, labels)["x"]
    rescaled = standardised_differences(column * scale + shift, labels)["x"]
    assert np.allclose(d, rescaled, atol=1e-6)
    assert np.isclose(d[0], -d[1])


@st.composite
def blobs(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    centres = np.array([[0.0, 0.0], [8.0, 0.0], [0.0, 8.0]])
    sizes = draw(st.lists(st.integers(12, 25), min_size=3, max_size=3))
    X = np.vstack([c + rng.standard_normal((s, 2)) for c, s in zip(centres, sizes)])
    return pd.DataFrame(X, columns=["u", "v"], index=[f"c{i:03d}" for i in range(len(X))])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blobs(), st.randoms(use_true_random=False))
def test_personas_do_not_depend_on_row_order_and_probabilities_agree(frame, rnd):
    model = PersonaModel(k_range=(2, 4), n_bootstrap=3, random_state=0).fit(frame)
    order = list(range(len(frame)))
    rnd.shuffle(order)
    permuted = PersonaModel(k_range=(2, 4), n_bootstrap=3, random_state=0).fit(frame.iloc[order])
    pd.testing.assert_series_equal(permuted.labels_.reindex(frame.index), model.labels_)
    proba = model.predict_proba(frame)
    assert np.allclose(proba.sum(axis=1), 1)
    assert (model.persona_ids_[proba.argmax(axis=1)] == model.predict(frame).to_numpy()).all()

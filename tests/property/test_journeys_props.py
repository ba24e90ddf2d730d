"""Properties of sessions, transitions and funnels on random event tables."""
import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from cxresearch.dataset import CXDataset
from cxresearch.features import customer_features
from cxresearch.journeys import journey_map, sessionize

TOUCHPOINTS = ["home", "product", "cart", "chat"]
STAGES = {"consideration": ["home", "product"], "purchase": ["cart"], "service": ["chat"]}

event_rows = st.lists(st.tuples(st.sampled_from("abcd"), st.integers(0, 300), st.sampled_from(["web", "app"]),
                                st.sampled_from(TOUCHPOINTS)), min_size=1, max_size=60)


def frame(rows) -> pd.DataFrame:
    events = pd.DataFrame(rows, columns=["customer_id", "minute", "channel", "touchpoint"])
    events["timestamp"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(events.pop("minute"), unit="min")
    return events


def reference_transitions(events: pd.DataFrame, gap: pd.Timedelta) -> pd.Series:
    """Transitions the slow, obvious way: pandas stable sort and shift."""
    ev = events.sort_values(["customer_id", "timestamp"], kind="stable")
    same = (ev["customer_id"] == ev["customer_id"].shift()) & (ev["timestamp"].diff() <= gap)
    pairs = pd.DataFrame({"from_touchpoint": ev["touchpoint"].shift()[same], "to_touchpoint": ev["touchpoint"][same]})
    return pairs.value_counts().sort_index().rename("count")


@settings(max_examples=60, deadline=None)
@given(event_rows, st.integers(1, 120))
def test_transitions_match_a_plain_pandas_reference(rows, gap_minutes):
    events, gap = frame(rows), pd.Timedelta(minutes=gap_minutes)
    jm = journey_map(CXDataset(name="p", events=events, stages=STAGES), gap=gap, min_group_size=1)
    got = jm.transitions.set_index(["from_touchpoint", "to_touchpoint"])["count"]
    assert got.to_dict() == reference_transitions(events, gap).to_dict()
    sessions = int(sessionize(events, gap=gap)["session"].max()) + 1
    assert got.sum() == len(events) - sessions
    assert jm.touchpoints["entries"].sum() == jm.touchpoints["exits"].sum() == sessions


@settings(max_examples=60, deadline=None)
@given(event_rows, st.integers(1, 120))
def test_sessions_are_numbered_in_journey_order(rows, gap_minutes):
    events, gap = frame(rows), pd.Timedelta(minutes=gap_minutes)
    out = sessionize(events, gap=gap)
    session, position = out["session"].to_numpy(), out["position"].to_numpy()
    new = np.r_[True, session[1:] != session[:-1]]
    assert set(np.diff(session)) <= {0, 1} and session[0] == 0
    assert (position[new] == 1).all() and (np.diff(position)[~new[1:]] == 1).all()
    step = out["timestamp"].diff().to_numpy()[1:]
    same_customer = (out["customer_id"].to_numpy()[1:] == out["customer_id"].to_numpy()[:-1])
    assert (step[same_customer] >= pd.Timedelta(0)).all()
    assert ((step > gap) | ~same_customer)[new[1:]].all() and (step <= gap)[~new[1:]].all()
    assert out["session"].nunique() >= sessionize(events, gap=gap * 2)["session"].nunique()


def reference_funnel(events: pd.DataFrame, steps: list[str]) -> list[int]:
    """Customers reaching each step, matching steps greedily in each customer's ordered events."""
    counts = [0] * len(steps)
    for _, rows in events.sort_values(["customer_id", "timestamp"], kind="stable").groupby("customer_id"):
        visited, position = rows["touchpoint"].tolist(), -1
        for i, step in enumerate(steps):
            if step not in visited[position + 1:]:
                break
            position = visited.index(step, position + 1)
            counts[i] += 1
    return counts


@settings(max_examples=60, deadline=None)
@given(event_rows, st.lists(st.sampled_from(TOUCHPOINTS), min_size=1, max_size=5))
def test_funnel_matches_a_step_by_step_reference(rows, steps):
    events = frame(rows)
    jm = journey_map(CXDataset(name="p", events=events, stages=STAGES), min_group_size=1)
    assert jm.funnel(steps)["customers"].tolist() == reference_funnel(events, steps)


@settings(max_examples=40, deadline=None)
@given(event_rows, st.permutations(range(4)), st.randoms(use_true_random=False))
def test_funnel_never_grows_and_row_order_does_not_matter(rows, order, random):
    events = frame(rows).drop_duplicates(["customer_id", "timestamp"])  # no ties: any row order is the same log
    steps = [TOUCHPOINTS[i] for i in order]
    ds = CXDataset(name="p", events=events, stages=STAGES)
    funnel = journey_map(ds, min_group_size=1).funnel(steps)
    assert (np.diff(funnel["customers"]) <= 0).all()
    shuffled = events.sample(frac=1, random_state=random.randint(0, 2**31))
    again = journey_map(CXDataset(name="p", events=shuffled, stages=STAGES), min_group_size=1)
    pd.testing.assert_frame_equal(again.funnel(steps), funnel)
    pd.testing.assert_frame_equal(again.stages, journey_map(ds, min_group_size=1).stages)


session_rows = st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 240), st.sampled_from(["web", "app", "chat"]),
                                  st.sampled_from([None, "s1", "s2", "s3"]), st.sampled_from([None, 0.0, 12.5])),
                        min_size=1, max_size=50)


@settings(max_examples=25, deadline=None)
@given(session_rows, st.sampled_from(["auto", None, pd.Timedelta("20min"), pd.Timedelta("1h")]))
def test_feature_engines_cut_sessions_and_aggregate_alike(rows, gap):
    # ties in time, interleaved and missing session ids: the SQL definition must match the pandas path exactly
    events = pd.DataFrame(rows, columns=["customer_id", "minute", "channel", "session_id", "value"])
    events["timestamp"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(events.pop("minute"), unit="min")
    events = events.assign(touchpoint="home", stage=np.where(events["channel"] == "app", "purchase", None),
                           value=events["value"].astype(float))
    ds = CXDataset(name="p", events=events, session_gap=gap)
    by_pandas = customer_features(ds, engine="pandas")
    pd.testing.assert_frame_equal(customer_features(ds, engine="duckdb"), by_pandas)
    assert by_pandas["n_sessions"].sum() == sessionize(events, gap=gap)["session"].nunique()

"""Known-answer tests of the per-customer feature table."""
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from cxresearch.dataset import CXDataset
from cxresearch.errors import DataError, ParameterError
from cxresearch.features import NoCustomerDataError, customer_features, feature_group, persona_basis


def t(text):
    return pd.Timestamp(text, tz="UTC")


@pytest.fixture
def ds():
    events = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "a", "b", "a"],
        "timestamp": [t("2024-01-01 10:00"), t("2024-01-01 10:10"), t("2024-01-01 12:00"), t("2024-01-02 09:00"),
                      t("2024-01-01 12:05"), t("2024-01-02 09:05"), t("2024-01-01 12:10")],
        "channel": ["web", "app", "web", "store", "web", "chat", "web"],
        "touchpoint": ["home", "product_page", "home", "checkout", "checkout", "chat", "home"],
        "event": ["view", "view", "view", "purchase", "purchase", "contact", "view"],
        "session_id": ["s1", "s1", "s2", "s3", "s2", "s3", "s4"],
        "value": [np.nan, np.nan, np.nan, 50.0, 30.0, np.nan, np.nan],
        "stage": ["consideration", "consideration", "consideration", "purchase", "purchase", "service",
                  "consideration"],
    })
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "age": [30.0, 40.0, 50.0],
                              "region": pd.array(["north", "south", "north"], dtype="str"),
                              "signup_date": [t("2023-12-02 12:00"), t("2023-12-31 12:00"), pd.NaT]})
    surveys = pd.DataFrame({"response_id": ["r1", "r2", "r3"], "timestamp": [t("2024-01-01")] * 3,
                            "customer_id": ["a", "a", None], "nps": [9.0, 7.0, 3.0], "csat": [5.0, np.nan, 1.0],
                            "rating_checkout": [4.0, 2.0, 1.0]})
    reviews = pd.DataFrame({"review_id": ["v1", "v2"], "timestamp": [t("2024-01-01")] * 2,
                            "customer_id": ["b", "b"], "rating": [2.0, 4.0]})
    return CXDataset(name="tiny", customers=customers, events=events, surveys=surveys, reviews=reviews,
                     stages={"consideration": ["home"], "purchase": ["checkout"], "service": ["chat"]})


def test_behaviour_features_have_known_values(ds):
    f = customer_features(ds, as_of=t("2024-01-03 12:00"))
    a, b = f.loc["a"], f.loc["b"]
    # a: s1 (10:00, 10:10), s2 (12:00, 12:05), s4 starts at 12:10 because the session_id changes
    assert a["n_events"] == 5 and a["n_sessions"] == 3 and b["n_sessions"] == 1
    assert a["events_per_session"] == pytest.approx(5 / 3)
    assert a["share_web"] == pytest.approx(0.8) and a["share_app"] == pytest.approx(0.2) and a["share_store"] == 0
    assert a["n_channels"] == 2 and b["n_channels"] == 2
    assert a["cross_channel_sessions"] == pytest.approx(1 / 3) and b["cross_channel_sessions"] == 1
    assert (a["n_purchases"], a["spend"], a["avg_order_value"]) == (1, 30, 30)
    assert (b["n_purchases"], b["spend"], b["service_contacts"]) == (1, 50, 1)
    assert a["service_contacts"] == 0
    assert a["recency_days"] == pytest.approx((t("2024-01-03 12:00") - t("2024-01-01 12:10")) / pd.Timedelta(days=1))
    assert a["tenure_days"] == pytest.approx(2 + 2 / 24)
    assert a["frequency"] == pytest.approx(3 / 30 * 30)
    assert list(f.filter(like="reached_").columns) == ["reached_consideration", "reached_purchase", "reached_service"]
    assert a[["reached_consideration", "reached_purchase", "reached_service"]].tolist() == [1, 1, 0]


def test_time_gap_splits_sessions_without_session_ids(ds):
    events = ds.events.drop(columns="session_id")
    f = customer_features(CXDataset(name="x", events=events), gap="30min")
    assert f.loc["a", "n_sessions"] == 2  # 10:00-10:10, then 12:00-12:10
    assert customer_features(CXDataset(name="x", events=events), gap="3h").loc["a", "n_sessions"] == 1


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_given_session_ids_are_trusted_unless_the_dataset_sets_a_gap(engine):
    # two orders whose milestones are days apart, then two visits without a session id 3 h apart
    events = pd.DataFrame({
        "customer_id": ["a"] * 6,
        "timestamp": [t("2024-01-01 10:00"), t("2024-01-03 08:00"), t("2024-01-09 15:00"), t("2024-02-01 10:00"),
                      t("2024-03-01 10:00"), t("2024-03-01 13:00")],
        "channel": ["web", "web", "web", "app", "web", "web"],
        "touchpoint": ["placed", "shipped", "delivered", "placed", "home", "home"],
        "session_id": ["o1", "o1", "o1", "o2", None, None],
    })
    sessions = {gap: customer_features(CXDataset(name="x", events=events, session_gap=gap), engine=engine)
                .loc["a", "n_sessions"] for gap in ("auto", None, pd.Timedelta("30min"))}
    assert sessions == {"auto": 4, None: 3, pd.Timedelta("30min"): 6}
    assert customer_features(CXDataset(name="x", events=events, session_gap=None), gap="auto",
                             engine=engine).loc["a", "n_sessions"] == 3   # "auto" is the dataset's setting


def test_survey_review_and_profile_features(ds):
    f = customer_features(ds, as_of=t("2024-01-03 12:00"))
    assert f.loc["a", ["n_surveys", "nps", "csat", "rating_checkout"]].tolist() == [2, 8, 5, 3]
    assert f.loc["b", "n_surveys"] == 0 and np.isnan(f.loc["b", "nps"])
    assert (f.loc["b", "n_reviews"], f.loc["b", "review_rating"]) == (2, 3)
    assert f.loc["a", "days_since_signup"] == pytest.approx(32)
    assert f.loc["b", "region"] == "south" and "signup_date" not in f


def test_customer_without_activity_has_zero_counts_and_missing_averages(ds):
    c = customer_features(ds).loc["c"]
    assert (c["n_events"], c["n_sessions"], c["spend"], c["share_web"], c["n_reviews"]) == (0, 0, 0, 0, 0)
    assert np.isnan(c["recency_days"]) and np.isnan(c["nps"]) and np.isnan(c["days_since_signup"])


def test_rows_are_the_customers_table_and_absent_tables_add_no_columns(ds):
    only_events = customer_features(CXDataset(name="x", events=ds.events))
    assert list(only_events.index) == ["a", "b"]
    assert not any(c in only_events for c in ("nps", "n_reviews", "age"))
    assert list(customer_features(ds).index) == ["a", "b", "c"]


def test_review_sentiment_is_used_when_present(ds):
    reviews = ds.reviews.assign(sentiment=[-0.5, 0.9])
    f = customer_features(CXDataset(name="x", customers=ds.customers, reviews=reviews))
    assert f.loc["b", "review_sentiment"] == pytest.approx(0.2)


def test_event_order_does_not_matter_and_inputs_are_not_mutated(ds):
    before = ds.events.copy()
    shuffled = CXDataset(name="x", customers=ds.customers, events=ds.events.sample(frac=1, random_state=1))
    pd.testing.assert_frame_equal(customer_features(shuffled), customer_features(
        CXDataset(name="x", customers=ds.customers, events=ds.events)))
    pd.testing.assert_frame_equal(ds.events, before)


def test_bad_inputs_raise_clear_errors(ds):
    with pytest.raises(NoCustomerDataError, match="nothing per customer"):
        customer_features(CXDataset(name="empty"))
    with pytest.raises(ParameterError, match="gap must be a positive duration"):
        customer_features(ds, gap="soon")
    with pytest.raises(ParameterError, match="must be a positive duration"):
        customer_features(ds, gap="-5min")


def test_persona_basis_and_groups():
    frame = pd.DataFrame({
        "age": [30, 40, 50, 60], "region": ["n", "s", "n", "s"], "plan": ["a", "b", "a", "b"],
        "share_app": [0.2, 0.5, 0.9, 0.0], "share_web": [0.8, 0.5, 0.1, 1.0], "n_purchases": [1, 1, 2, 1],
        "frequency": [0.5, 1.0, 2.0, 0.2], "recency_days": [3.0, 9.0, 1.0, 40.0], "nps": [9, None, None, 3],
        "csat": [5, None, None, None], "reached_purchase": [1, 0, 1, 1], "spend": [10, 20, 30, 40],
        "avg_order_value": [10, 20, 15, 40], "churn_value": [0, 1, 0, 1], "city": ["x", "y", "z", "w"]})
    frame["tier"] = "gold"  # constant: shapes nothing
    # a quarter of the customers buy twice: frequency and recency mean something; csat is missing for 3 of 4
    assert persona_basis(frame) == ["age", "plan", "share_app", "share_web", "n_purchases", "frequency",
                                    "recency_days", "nps", "avg_order_value"]
    outcomes = frame.assign(subscribed=[1.0, 0.0, 0.0, 1.0], purchased=[0.0, 1.0, 1.0, 0.0], won=[1, 1, 0, 0],
                            marital=["married", "single", "single", "divorced"])
    assert persona_basis(outcomes) == persona_basis(frame)   # how it ended describes personas, never shapes them
    one_visit = frame.assign(n_purchases=1)
    assert "recency_days" not in persona_basis(one_visit) and "frequency" not in persona_basis(one_visit)
    # bpic2012's applicants split on when they applied: a date that is the one visit itself says when they came
    dated = one_visit.assign(tenure_days=[10.0, 50.0, 90.0, 300.0], days_since_registered=[11.0, 52.0, 90.0, 301.0],
                             days_since_signup=[400.0, 30.0, 900.0, 20.0])
    assert "days_since_registered" not in persona_basis(dated) and "days_since_signup" in persona_basis(dated)
    assert "share_app" not in persona_basis(frame.drop(columns="share_web"))  # one channel share is no mix
    assert [feature_group(c) for c in ["age", "region", "share_app", "frequency", "nps", "reached_purchase",
                                       "spend"]] == [
        "profile", "profile", "channels", "behaviour", "voice", "journey", "behaviour"]


def test_the_sql_definition_runs_on_a_table_without_file_order(ds):
    # a lake table has no file order: ties in time go by touchpoint, then channel (none tie here)
    from cxresearch.engine import execute
    from cxresearch.sql import event_features_query, gap_parameters

    query = event_features_query(list(ds.events.columns), channels=["app", "chat", "store", "web"])
    table = execute(query, {"events": ds.events}, parameters=gap_parameters("auto")).set_index("customer_id")
    expected = customer_features(ds, engine="pandas")
    assert table.loc["a", ["n_events", "n_sessions", "_on_0", "_on_3"]].tolist() == [5, 3, 1, 4]
    assert table["cross_channel_sessions"].to_dict() == expected.loc[["a", "b"], "cross_channel_sessions"].to_dict()


def test_rows_follow_the_customers_table_even_with_unknown_or_repeated_ids(ds):
    customers = pd.concat([ds.customers.iloc[[1]], ds.customers]).reset_index(drop=True)  # b twice, b first
    events = pd.concat([ds.events, ds.events.iloc[[0]].assign(customer_id="z")])  # z is no listed customer
    f = customer_features(CXDataset(name="x", customers=customers, events=events, surveys=ds.surveys))
    assert list(f.index) == ["b", "a", "b", "c"] and "z" not in f.index
    assert f["n_events"].tolist() == [2, 5, 2, 0] and f["n_surveys"].tolist() == [0, 2, 0, 0]
    assert f.loc["a", "share_web"] == pytest.approx(0.8)


def test_customer_positions_are_the_same_whether_ids_come_in_runs_or_not():
    from cxresearch.features import _positions
    keys = pa.array(["a", "b"], pa.large_string())
    in_runs = pd.Series(["a", "a", "a", None, None, "z", "z", "b", "b"], dtype="str")  # half repeat: runs path
    assert _positions(in_runs, keys).tolist() == [0, 0, 0, -1, -1, -1, -1, 1, 1]
    assert _positions(in_runs, keys, missing=2).tolist() == [0, 0, 0, 2, 2, 2, 2, 1, 1]
    mixed = in_runs.iloc[[0, 7, 3, 1, 5, 8, 2, 6, 4]]  # no neighbours equal: every id looked up
    assert _positions(mixed, keys).tolist() == [0, 1, -1, 0, -1, 1, 0, -1, -1]


def test_events_grouped_by_customer_give_the_table_of_events_in_any_order(ds):
    events = pd.concat([ds.events, ds.events.iloc[[0, 0]].assign(customer_id="z")])  # z: no listed customer
    grouped = events.sort_values(["customer_id", "timestamp"], kind="stable")
    by_runs = customer_features(CXDataset(name="x", customers=ds.customers, events=grouped))
    assert by_runs["n_events"].tolist() == [5, 2, 0] and by_runs.loc["a", "n_sessions"] == 3
    pd.testing.assert_frame_equal(by_runs, customer_features(CXDataset(name="x", customers=ds.customers, events=events)),
                                  check_exact=True)

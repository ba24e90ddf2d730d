"""The pandas and DuckDB paths give the same results on the same (small) data."""
import numpy as np
import pandas as pd
import pytest

from cxresearch import dataset, readers
from cxresearch.dataset import CXDataset, load_dataset
from cxresearch.engine import choose_engine, sql
from cxresearch.errors import ParameterError
from cxresearch.features import customer_features
from cxresearch.synthetic import generate


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("demo"), customers=300, random_state=3)


def test_features_are_the_same_with_either_engine(demo):
    ds = load_dataset(demo)
    by_pandas = customer_features(ds, engine="pandas")
    by_duckdb = customer_features(ds, engine="duckdb")
    assert by_pandas.shape[0] == 300 and "share_web" in by_pandas and "reached_service" in by_pandas
    pd.testing.assert_frame_equal(by_pandas, by_duckdb)


def test_engines_agree_on_known_answers():
    t = pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:10", "2024-01-01 12:00", "2024-01-02 09:00",
                        "2024-01-01 10:05"], utc=True)
    events = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "a"], "timestamp": t,
                           "channel": ["web", "app", "web", "store", "web"],
                           "touchpoint": ["home", "home", "cart", "checkout", "cart"],
                           "value": [np.nan, np.nan, 20.0, 50.0, np.nan]})
    ds = CXDataset(name="tiny", events=events)
    for engine in ("pandas", "duckdb"):
        f = customer_features(ds, engine=engine)
        assert f.loc["a", ["n_events", "n_sessions", "n_channels", "n_purchases", "spend"]].tolist() == [4, 2, 2, 1, 20]
        assert f.loc["a", "cross_channel_sessions"] == 0.5
        assert f.loc["a", "share_web"] == 0.75 and f.loc["b", "share_store"] == 1.0


def test_engine_choice():
    assert choose_engine("auto", 10) == "pandas"
    assert choose_engine("auto", 10**9) == "duckdb"
    assert choose_engine("pandas", 10**9) == "pandas"
    with pytest.raises(ParameterError, match="engine must be one of"):
        choose_engine("polars", 10)
    assert sql("SELECT count(*) AS n FROM t", t=pd.DataFrame({"x": [1, 2, 3]}))["n"].tolist() == [3]


def test_large_csv_path_loads_the_same_dataset(demo, monkeypatch):
    exact = load_dataset(demo)
    monkeypatch.setattr(readers, "LARGE_CSV_BYTES", 0)
    fast = load_dataset(demo)
    for table, frame in exact.tables.items():
        pd.testing.assert_frame_equal(frame, getattr(fast, table), obj=table)


@pytest.mark.parametrize("events, line", [
    # a bad timestamp after a quoted newline: the exact reader counts the embedded newline
    ('customer_id,timestamp,channel,touchpoint,event\n'
     'a,2024-01-01T10:00:00Z,web,home,"two\nlines"\n'
     'a,not a time,web,home,view\n', 4),
    # a blank line: kept as a line, so the error names the right one
    ('customer_id,timestamp,channel,touchpoint\n'
     'a,2024-01-01T10:00:00Z,web,home\n'
     '\n'
     'a,not a time,web,home\n', 4),
    # a plain file: the fast path itself reports the line
    ('customer_id,timestamp,channel,touchpoint\n'
     'a,2024-01-01T10:00:00Z,web,home\n'
     'a,not a time,web,home\n', 3),
])
def test_large_csv_path_reports_the_right_line(make_dataset, monkeypatch, events, line):
    monkeypatch.setattr(readers, "LARGE_CSV_BYTES", 0)
    report = dataset.validate(make_dataset({"events.csv": events}))
    assert [p.lines for p in report.problems] == [(line,)]

"""The execution layer: one query in DuckDB's dialect gives the same table on DuckDB and on Spark.

Spark tests carry the ``spark`` marker and share one local session per test
process (pyspark in local mode needs a Java 17+ runtime). They are skipped,
saying why, where pyspark or Java is missing, unless ``CXRESEARCH_REQUIRE_SPARK``
is set (CI sets it), when they fail instead.
"""
from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest

from cxresearch.engine import execute, to_spark_sql
from cxresearch.errors import ParameterError

EVENTS = pd.DataFrame({
    "customer_id": ["a", "a", "b", "c"],
    "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:10", "2024-01-02 00:00", "2024-01-03 08:30"],
                                utc=True),
    "channel": ["web", "app", "web", "store"],
    "value": [1.5, np.nan, 2.0, 4.0],
})
PER_CUSTOMER = """
    SELECT customer_id, count(*) AS n, sum(value) AS spend, min(timestamp) AS first
    FROM events WHERE channel <> $skip GROUP BY customer_id ORDER BY customer_id
"""
EXPECTED = pd.DataFrame({"customer_id": ["a", "b"], "n": [2, 1], "spend": [1.5, 2.0],
                         "first": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 00:00"], utc=True)})


@pytest.fixture(scope="session")
def spark():
    """The local Spark session of this test process (created once, by :func:`cxresearch.engine.spark_session`)."""
    why = None
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        why = "no Java runtime (Spark needs Java 17+; .ci/run installs Debian's)"
    else:
        try:
            import pyspark  # noqa: F401
        except ImportError:
            why = "pyspark is not installed (pip install 'cxresearch[spark]')"
    if why:
        if os.environ.get("CXRESEARCH_REQUIRE_SPARK"):
            pytest.fail(f"CXRESEARCH_REQUIRE_SPARK is set but {why}")
        pytest.skip(why)
    from cxresearch.engine import spark_session

    return spark_session()


def assert_same(result: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same columns, rows and values; integer widths and string dtypes may differ between engines."""
    pd.testing.assert_frame_equal(result.reset_index(drop=True), expected.reset_index(drop=True),
                                  check_dtype=False)


def test_duckdb_reads_frames_and_parquet_alike(tmp_path):
    assert_same(execute(PER_CUSTOMER, {"events": EVENTS}, parameters={"skip": "store"}), EXPECTED)
    EVENTS.iloc[:2].to_parquet(tmp_path / "part-0.parquet")
    EVENTS.iloc[2:].to_parquet(tmp_path / "part-1.parquet")
    assert_same(execute(PER_CUSTOMER, {"events": str(tmp_path / "*.parquet")}, parameters={"skip": "store"}),
                EXPECTED)
    assert_same(execute(PER_CUSTOMER, {"events": tmp_path / "part-0.parquet"}, parameters={"skip": "store"}),
                EXPECTED.iloc[:1])


def test_bad_engine_or_source_is_a_parameter_error():
    with pytest.raises(ParameterError, match="engine must be one of 'duckdb', 'spark'; got 'sparc'. Did you mean"):
        execute("SELECT 1", {}, engine="sparc")
    with pytest.raises(ParameterError, match="catalog table name needs engine='spark'"):
        execute("SELECT * FROM events", {"events": "lake.events"})


def test_spark_sql_renames_only_input_tables():
    query = "WITH events AS (SELECT * FROM raw) SELECT x::DOUBLE FROM events JOIN stages s USING (stage)"
    assert to_spark_sql(query, {"raw": "lake.raw", "events": "v1", "stages": "v2"}) == (
        "WITH events AS (SELECT * FROM lake.raw) SELECT CAST(x AS DOUBLE) FROM events JOIN v2 AS s USING (stage)")


@pytest.mark.spark
def test_spark_gives_the_duckdb_result(spark, tmp_path):
    assert_same(execute(PER_CUSTOMER, {"events": EVENTS}, engine="spark", parameters={"skip": "store"}), EXPECTED)
    EVENTS.to_parquet(tmp_path / "events.parquet")
    assert_same(execute(PER_CUSTOMER, {"events": str(tmp_path / "events.parquet")}, engine="spark",
                        parameters={"skip": "store"}), EXPECTED)
    assert not [t for t in spark.catalog.listTables() if t.name.startswith("cxresearch_")], "temporary views left"


@pytest.mark.spark
def test_spark_reads_catalog_tables_in_place(spark):
    spark.createDataFrame(EVENTS.assign(timestamp=EVENTS["timestamp"].dt.tz_localize(None))
                          ).createOrReplaceTempView("lake_events")
    try:
        result = execute(PER_CUSTOMER, {"events": "lake_events"}, engine="spark", parameters={"skip": "store"})
    finally:
        spark.catalog.dropTempView("lake_events")
    assert_same(result, EXPECTED)

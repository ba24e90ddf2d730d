"""The execution layer: one query in DuckDB's dialect gives the same table on DuckDB and on Spark.

Spark tests carry the ``spark`` marker and share one local session per test
process (pyspark in local mode needs a Java 17+ runtime). They are skipped,
saying why, where pyspark or Java is missing, unless ``CXRESEARCH_REQUIRE_SPARK``
is set (CI sets it), when they fail instead.
"""
from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from cxresearch.engine import execute, to_spark_sql
from cxresearch.errors import DataError, ParameterError

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


def test_duckdb_spills_into_a_folder_of_its_own_under_the_temp_dir(tmp_path, monkeypatch):
    """Never into the current folder (DuckDB's default, ``.tmp``): under CXRESEARCH_TEMP_DIR, else TMPDIR, removed after."""
    from cxresearch.engine import TEMP_DIR_VARIABLE, sql

    monkeypatch.chdir(tmp_path)
    query = "SELECT current_setting('temp_directory') AS spill"
    for variable in (TEMP_DIR_VARIABLE, "TMPDIR"):
        base = tmp_path / variable
        base.mkdir()
        monkeypatch.setenv(variable, str(base))
        if variable == "TMPDIR":
            monkeypatch.delenv(TEMP_DIR_VARIABLE)
            monkeypatch.setattr("tempfile.tempdir", None)   # gettempdir() reads TMPDIR again
        for spill in (execute(query, {})["spill"].item(), sql(query)["spill"].item()):
            assert os.path.dirname(spill) == str(base) and os.path.basename(spill).startswith("cxresearch-duckdb-")
        assert list(base.iterdir()) == [], "spill folder left behind"
    assert sorted(p.name for p in tmp_path.iterdir()) == [TEMP_DIR_VARIABLE, "TMPDIR"]
    monkeypatch.setenv(TEMP_DIR_VARIABLE, str(tmp_path / "absent"))
    with pytest.raises(ParameterError, match="CXRESEARCH_TEMP_DIR must name an existing folder"):
        execute(query, {})


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
def test_spark_persists_a_query_once_and_later_queries_read_its_rows(spark, tmp_path):
    """The rows are computed and cached by persist: the file it read can go, and queries on it still answer."""
    from cxresearch.engine import persist

    EVENTS.to_parquet(tmp_path / "events.parquet")
    cached = persist("SELECT * FROM events WHERE value IS NOT NULL OR channel = 'app'",
                     {"events": str(tmp_path / "events.parquet")})
    try:
        (tmp_path / "events.parquet").unlink()
        assert cached.is_cached
        assert_same(execute(PER_CUSTOMER, {"events": cached}, engine="spark", parameters={"skip": "store"}), EXPECTED)
    finally:
        cached.unpersist()
    assert not cached.is_cached


@pytest.mark.spark
def test_spark_reads_catalog_tables_in_place(spark):
    spark.createDataFrame(EVENTS.assign(timestamp=EVENTS["timestamp"].dt.tz_localize(None))
                          ).createOrReplaceTempView("lake_events")
    try:
        result = execute(PER_CUSTOMER, {"events": "lake_events"}, engine="spark", parameters={"skip": "store"})
    finally:
        spark.catalog.dropTempView("lake_events")
    assert_same(result, EXPECTED)


# ---------------------------------------------------------------- the scalable aggregations, on every engine
ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]
STAGES = ["awareness", "consideration", "purchase"]
TOUCHPOINT_STAGE = {"home": "awareness", "product": "consideration", "cart": "purchase", "checkout": "purchase"}
# a: home 10:00 > product 10:05 > product 10:10 (one session), cart 12:00 (a new one); b: home > cart > checkout
JOURNEYS = pd.DataFrame({
    "customer_id": ["a", "a", "a", "b", "a", "b", "b"],
    "timestamp": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:10", "2024-01-01 12:00", "2024-01-02 09:00",
                                 "2024-01-01 10:05", "2024-01-02 09:03", "2024-01-02 09:20"], utc=True),
    "channel": ["web", "app", "web", "store", "web", "web", "web"],
    "touchpoint": ["home", "product", "cart", "home", "product", "cart", "checkout"]})


@pytest.fixture(params=ENGINES)
def engine(request):
    if request.param == "spark":
        request.getfixturevalue("spark")
    return request.param


def journey_map(events, *, gap="30min"):
    from cxresearch.journeys import JourneyMap

    return JourneyMap(events, stages=STAGES, touchpoint_stage=TOUCHPOINT_STAGE, min_group_size=1, gap=gap)


def test_transitions_match_the_journey_map(engine):
    from cxresearch.sql import transitions

    result = transitions(JOURNEYS, gap="30min", engine=engine)
    assert result[["from_touchpoint", "to_touchpoint", "count"]].values.tolist() == [
        ["cart", "checkout", 1], ["home", "cart", 1], ["home", "product", 1], ["product", "product", 1]]
    assert_same(result, journey_map(JOURNEYS).transitions)


def test_stage_counts_match_the_journey_map(engine):
    from cxresearch.sql import stage_counts

    result = stage_counts(JOURNEYS, stages=STAGES, touchpoint_stage=TOUCHPOINT_STAGE, gap="30min", engine=engine)
    # b reaches purchase after awareness at 09:03 (3 minutes); a's cart at 12:00 comes after consideration at 10:05
    assert result["customers"].tolist() == [2, 1, 2] and result["converted"].tolist() == [0, 1, 1]
    assert result["median_time_from_previous"].iloc[2] == pd.Timedelta("115min")
    expected = journey_map(JOURNEYS).stages
    assert_same(result, expected[[c for c in expected.columns if c in result.columns]])


def test_stages_of_an_events_column_and_unlisted_stages(engine):
    from cxresearch.sql import stage_counts

    events = JOURNEYS.assign(stage=JOURNEYS["touchpoint"].map(TOUCHPOINT_STAGE).replace({"consideration": "zoo"}))
    result = stage_counts(events, stages=["awareness", "missing", "purchase"], gap="30min", engine=engine)
    assert result["stage"].tolist() == ["awareness", "missing", "purchase", "zoo"]
    from cxresearch.journeys import JourneyMap

    expected = JourneyMap(events, stages=["awareness", "missing", "purchase"], min_group_size=1, gap="30min").stages
    assert_same(result, expected[[c for c in expected.columns if c in result.columns]])


@pytest.mark.parametrize("steps, within", [
    (["awareness", "product", "purchase"], None),    # stages and a touchpoint
    (["home", "product", "cart"], "1h"),            # a's cart comes 2 hours after home: outside the hour
    (["home", "home", "product", "product"], None),  # a step repeats: strictly after the previous one
])
def test_funnel_matches_the_journey_map(engine, steps, within):
    from cxresearch.sql import funnel

    result = funnel(JOURNEYS, steps, stages=STAGES, touchpoint_stage=TOUCHPOINT_STAGE, within=within, gap="30min",
                    engine=engine)
    assert_same(result, journey_map(JOURNEYS).funnel(steps, within=within))
    known = {("awareness", "product", "purchase"): [2, 1, 1], ("home", "product", "cart"): [2, 1, 0],
             ("home", "home", "product", "product"): [2, 0, 0, 0]}
    assert result["customers"].tolist() == known[tuple(steps)]


def test_funnel_steps_must_be_known_names():
    from cxresearch.sql import funnel

    with pytest.raises(ParameterError, match="unknown funnel step 'basket': no event has it"):
        funnel(JOURNEYS, ["home", "basket"], touchpoint_stage=TOUCHPOINT_STAGE)
    with pytest.raises(ParameterError, match="at least one step"):
        funnel(JOURNEYS, [])
    declared = funnel(JOURNEYS.iloc[:0], ["awareness", "checkout"], stages=STAGES, touchpoint_stage=TOUCHPOINT_STAGE)
    assert declared["customers"].tolist() == [0, 0] and declared["share_of_first"].isna().all()


def test_sessions_cut_where_the_session_id_changes(engine):
    from cxresearch.sql import transitions

    events = JOURNEYS.assign(session_id=["s1", "s2", "s2", "s3", "s1", "s3", None])
    result = transitions(events, gap=None, engine=engine)
    assert_same(result, journey_map(events, gap=None).transitions)
    # a: home s1 > product s1 | product s2 > cart s2 (no gap cut); b: home s3 > cart s3 | checkout (no id)
    assert sorted(map(tuple, result[["from_touchpoint", "to_touchpoint"]].values.tolist())) == [
        ("home", "cart"), ("home", "product"), ("product", "cart")]


def test_kpi_counts_match_the_kpi_engine(engine):
    from cxresearch.sql import kpi_counts
    from cxresearch.stats import kpi_summary

    surveys = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "d", "e", "f"],
                            "channel": ["web", "web", "web", "app", "app", "app", "app"],
                            "nps": [10, 9, 3, 7, 10, np.nan, 0], "csat": [5, 4, 2, np.nan, 3, 4, 5],
                            "ces": [1, 2, 7, 3, np.nan, np.nan, 4]})
    result = kpi_counts(surveys, by=["channel"], engine=engine).set_index("channel")
    # web: promoters 2, detractors 1 of 3 -> 33.3; app: promoters 1, detractors 1 of 3 -> 0
    assert result["nps"].tolist() == pytest.approx([0.0, 100 / 3])
    assert result["respondents"].tolist() == [4, 2]
    expected = kpi_summary(surveys, by=["channel"], metrics=("nps", "csat", "csat_mean", "ces"), min_group_size=1)
    for metric in ("nps", "csat", "csat_mean", "ces"):
        rows = expected.loc[expected["metric"] == metric].set_index("channel")
        assert result[metric].to_numpy() == pytest.approx(rows["value"].reindex(result.index).to_numpy()), metric
    overall = kpi_counts(surveys.drop(columns="ces"), engine=engine)
    assert len(overall) == 1 and overall["ces"].isna().all() and overall["nps_n"].item() == 6


def test_intervention_cells_give_the_difference_in_differences(engine):
    from cxresearch.dataset import CXDataset
    from cxresearch.interventions import intervention_effects
    from cxresearch.sql import intervention_cells

    from .test_interventions import KNOWN, START, interventions, surveys

    answers = surveys(KNOWN).assign(customer_id=lambda t: [f"c{i % 7}" for i in range(len(t))])
    ds = CXDataset(name="known", surveys=answers, interventions=interventions())
    effects = intervention_effects(ds, window="4W", metrics=["nps", "csat", "csat_mean"]).set_index("metric")
    for metric in ("nps", "csat", "csat_mean"):
        cells = intervention_cells(answers, scope="chat", kind="touchpoint", metric=metric,
                                   before_start=START - pd.Timedelta("4W"), start=START,
                                   after_end=START + pd.Timedelta("4W"), bins=4, engine=engine)
        after = cells["bin"] >= 4
        window = cells.groupby([cells["arm"], after])[["total", "n"]].sum()
        mean = window["total"] / window["n"]
        did = (mean["scope", True] - mean["scope", False]) - (mean["comparison", True] - mean["comparison", False])
        assert did == pytest.approx(effects.loc[metric, "did"]), metric
        assert cells.groupby("customer")["n"].sum().sum() == 40 and cells["customer"].nunique() == 7


def test_checking_an_export_does_not_load_pyspark(tmp_path):
    """pandera imports pyspark.pandas when pyspark is installed; cxresearch keeps it from doing so (schema_models)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed: nothing to keep out")
    (tmp_path / "surveys.csv").write_text("response_id,timestamp,nps\nr1,2025-01-01,9\nr2,2025-01-02,x\n")
    script = ("import sys; from cxresearch import validate; report = validate(sys.argv[1]); "
              "assert report.problems, 'the bad nps was not found'; "
              "print(sorted(m for m in sys.modules if m.startswith('pyspark')))")
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]" and "pyspark" not in done.stderr.lower(), done.stderr


def persona_features(n: int, seed: int) -> pd.DataFrame:
    """Customers with a number (some missing), a skewed number, a text column with a rare value and channel shares."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    shares = rng.dirichlet([1, 1, 1], n) * 0.3 + np.eye(3)[group] * 0.7
    return pd.DataFrame({
        "age": np.where(rng.random(n) < 0.1, np.nan, 25 + 20 * group + rng.normal(0, 3, n)),
        "spend": rng.lognormal(2 + group, 0.5),
        "plan": np.where(rng.random(n) < 0.03, "lifetime", np.array(["basic", "plus", "premium"])[group]),
        "share_web": shares[:, 0], "share_app": shares[:, 1], "share_store": shares[:, 2],
    }, index=pd.Index([f"c{i:03d}" for i in range(n)], name="customer_id"))


def test_personas_are_assigned_in_the_engine_as_the_model_predicts(engine, tmp_path):
    from cxresearch.personas import PersonaModel
    from cxresearch.sql.personas import assign_personas

    model = PersonaModel(n_personas=3, random_state=0).fit(persona_features(90, seed=1))
    new = persona_features(200, seed=2)
    new.loc[new.index[:5], "plan"] = ["gold", None, "lifetime", "basic", None]   # unseen, missing, rare
    new.loc[new.index[5:10], ["age", "share_app"]] = np.nan
    result = assign_personas(new, model, engine=engine)
    assert result["customer_id"].tolist() == new.index.tolist()
    assert result["persona"].tolist() == model.predict(new).tolist()
    assert result["persona_name"].tolist() == model.personas_["name"].reindex(result["persona"]).tolist()
    assign_personas(new.reset_index(), model, engine=engine, into=tmp_path / "personas.parquet")
    written = pd.read_parquet(tmp_path / "personas.parquet").sort_values("customer_id", ignore_index=True)
    assert_same(written, result)


@pytest.mark.spark
def test_event_features_sql_gives_the_duckdb_table_on_spark(spark):
    from cxresearch.sql import event_features_query, gap_parameters

    events = JOURNEYS.assign(value=[np.nan, np.nan, 20.0, np.nan, np.nan, 15.0, np.nan],
                             stage=JOURNEYS["touchpoint"].map(TOUCHPOINT_STAGE), event_row=np.arange(len(JOURNEYS)))
    query = event_features_query(list(events.columns), channels=["app", "store", "web"], stages=STAGES,
                                 service_channels=("chat",))
    by_engine = [execute(query, {"events": events}, engine=engine, parameters=gap_parameters("30min"))
                 .sort_values("customer_id", ignore_index=True) for engine in ("duckdb", "spark")]
    assert by_engine[0][["customer_id", "n_events", "n_sessions", "n_purchases", "spend"]].values.tolist() == [
        ["a", 4, 2, 1, 20.0], ["b", 3, 1, 1, 15.0]]
    assert_same(by_engine[1], by_engine[0])


def test_events_at_one_instant_keep_the_file_order(engine):
    from cxresearch.sql import transitions

    events = JOURNEYS.assign(timestamp=JOURNEYS["timestamp"].where(JOURNEYS["customer_id"].ne("a"),
                                                                   pd.Timestamp("2024-01-01 10:00", tz="UTC")))
    result = transitions(events, gap="30min", engine=engine)   # a: home > product > cart > product, in file order
    assert ("product", "cart", 1) in map(tuple, result[["from_touchpoint", "to_touchpoint", "count"]].values.tolist())
    assert_same(result, journey_map(events).transitions)


# ---------------------------------------------------------------- tables where they live (dataset.yml)
def settings_of(folder, text):
    from cxresearch.errors import ValidationReport
    from cxresearch.settings import read_settings

    (folder / "dataset.yml").write_text(text)
    report = ValidationReport(folder)
    return read_settings(folder, report), [p.message for p in report.problems], report.notes


def test_dataset_yml_names_tables_by_path_uri_or_spark_table(tmp_path):
    (tmp_path / "lake" / "events").mkdir(parents=True)
    EVENTS.to_parquet(tmp_path / "lake" / "events" / "part-0.parquet")
    config, problems, notes = settings_of(tmp_path, """
engine: spark
tables:
  events: {path: "lake/events/*.parquet"}
  surveys: {path: "s3a://bucket/cx/surveys/"}
  customers: {table: "lakehouse.cx.customers"}
  interventions: {table: "lakehouse.cx.changes"}
""")
    assert problems == [] and config.engine == "spark"
    assert config.tables == {"events": {"path": str(tmp_path / "lake/events/*.parquet")},
                             "surveys": {"path": "s3a://bucket/cx/surveys/"},
                             "customers": {"table": "lakehouse.cx.customers"},
                             "interventions": {"table": "lakehouse.cx.changes"}}
    assert notes == ["tables.events is read in place by the engine (cxresearch run --engine); the in-memory analyses "
                     "read the folder's own files only.",
                     "tables.surveys is read in place by the engine (cxresearch run --engine); the in-memory analyses "
                     "read the folder's own files only.",
                     "tables.customers is read in place by the engine (cxresearch run --engine); the in-memory "
                     "analyses read the folder's own files only.",
                     "tables.interventions is not read yet: the engine step reads events, surveys, reviews, "
                     "customers."]
    # a local folder reads as its Parquet files on DuckDB too
    assert_same(execute(PER_CUSTOMER, {"events": tmp_path / "lake"}, parameters={"skip": "store"}), EXPECTED)


@pytest.mark.parametrize("text, message", [
    ("engine: sparc", "engine must be one of duckdb, spark (who runs `cxresearch run --engine`); found 'sparc'. "
                      "Did you mean 'spark'?"),
    ("tables: {event: {path: x.parquet}}", "tables.event: unknown table; expected one of customers, events, "),
    ("tables: {events: lake/events.parquet}", "tables.events must be {path: <Parquet file, folder, glob or URI>} or "
                                              "{table: <Spark table name>}"),
    ("tables: {events: {path: a, table: b}}", "tables.events must be {path:"),
    ("tables: {events: {path: 'lake/*.parquet'}}", "tables.events: 'lake/*.parquet' matches no file or folder"),
    ("tables: {events: {path: 'events.csv'}}", "tables.events: 'events.csv' is not a Parquet file"),
    ("tables: {events: {table: 'lake/events'}}", "tables.events: 'lake/events' is not a table name"),
    ("{engine: duckdb, tables: {events: {table: cx.events}}}", "tables.events names the Spark table 'cx.events', "
                                                              "which only Spark reads"),
])
def test_bad_table_locations_are_problems_of_dataset_yml(tmp_path, text, message):
    (tmp_path / "events.csv").write_text("customer_id\na\n")
    config, problems, _ = settings_of(tmp_path, text)
    assert len(problems) == 1 and problems[0].startswith(message), problems
    assert not config.tables


# ---------------------------------------------------------------- validation of large tables in the engine
BAD_SURVEYS = pd.DataFrame({
    "response_id": ["r1", "r2", "r3", "r3", "r5", "r6", "r7", "r8"],
    "timestamp": ["2025-01-01T10:00:00Z", "2025-01-02", "yesterday", "2025-01-03", "2025-01-04", "", "2025-01-05",
                  "2025-01-06"],
    "customer_id": ["a", "b", None, "c", "d", "e", "f", "g"],
    "nps": ["9", "11", "3", "x", "7.5", "-1", "10", None],
    "csat": ["5", "4", "3", "2", "1", "6", "5", "4"],
})


def loader_problems(tmp_path, table: str, frame: pd.DataFrame) -> set:
    from cxresearch.dataset import validate

    frame.to_csv(tmp_path / f"{table}.csv", index=False)
    return {(p.column, p.message, p.count) for p in validate(tmp_path).problems}


def test_engine_checks_word_problems_as_the_loader(engine, tmp_path):
    from cxresearch.sql.checks import check_table

    problems = check_table(BAD_SURVEYS, "surveys", name="surveys.csv", engine=engine)
    found = {(p.column, p.message.split(" Rows by ")[0], p.count) for p in problems}
    assert found == loader_problems(tmp_path, "surveys", BAD_SURVEYS)
    assert [(p.column, p.message.split(" Rows by ")[1]) for p in problems] == [
        ("response_id", "response_id: r3, r3."),
        ("timestamp", "response_id: r6."),                         # empty
        ("timestamp", "response_id: r3: yesterday."),
        ("nps", "response_id: r3: x."),                            # not a number
        ("nps", "response_id: r2: 11, r6: -1."),                   # out of range
        ("nps", "response_id: r5: 7.5."),                          # not whole
        ("csat", "response_id: r6: 6.")]


def test_engine_checks_name_missing_columns_and_sample_ten_rows(engine, tmp_path):
    from cxresearch.sql.checks import check_table

    events = JOURNEYS.rename(columns={"touchpoint": "page"})
    problems = check_table(events, "events", engine=engine)
    assert [str(p) for p in problems] == [
        "events, column 'touchpoint': required column 'touchpoint' is missing; the file has customer_id, timestamp, "
        "channel, page. Did you mean 'page'? Rename that column, or map it under columns.events in dataset.yml "
        "(page: touchpoint)."]
    many = pd.DataFrame({"customer_id": [f"c{i:02d}" for i in range(25)], "channel": "web", "touchpoint": "home",
                         "timestamp": pd.Timestamp("2025-01-01", tz="UTC"), "value": ["1"] * 20 + ["x"] * 5})
    many.loc[3:14, "channel"] = " "
    problems = check_table(many, "events", engine=engine)
    assert [(p.column, p.count) for p in problems] == [("channel", 12), ("value", 5)]
    assert problems[0].message.endswith("Rows by customer_id, timestamp: c03 2025-01-01T00:00:00Z, "
                                        + ", ".join(f"c{i:02d} 2025-01-01T00:00:00Z" for i in range(4, 13))
                                        + " (and 2 more).")


# ---------------------------------------------------------------- cxresearch run --engine
def engine_dataset(folder, *, bad_nps: bool = False):
    """A dataset folder with the journeys as Parquet events, surveys and a dataset.yml naming stages and the events."""
    (folder / "lake").mkdir(parents=True)
    JOURNEYS.to_parquet(folder / "lake" / "events.parquet")
    surveys = pd.DataFrame({"response_id": ["r1", "r2", "r3"], "customer_id": ["a", "b", "b"],
                            "timestamp": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"], utc=True),
                            "channel": ["web", "web", "store"], "nps": [10.0, 12.0 if bad_nps else 3.0, 8.0]})
    surveys.to_parquet(folder / "surveys.parquet")
    (folder / "dataset.yml").write_text("stages: {awareness: [home], consideration: [product], "
                                        "purchase: [cart, checkout]}\nsession_gap: 30\n"
                                        "tables: {events: {path: lake/events.parquet}}\n")
    return folder


def test_run_on_the_engine_writes_the_aggregates_of_the_in_memory_analyses(engine, tmp_path, capsys):
    from cxresearch.cli import main
    from cxresearch.dataset import CXDataset
    from cxresearch.features import customer_features, event_features
    from cxresearch.stats import kpi_summary

    data = engine_dataset(tmp_path / "data")
    assert main(["run", str(data), "--engine", engine, "--reports", str(tmp_path / "reports")]) == 0
    out = next((tmp_path / "reports").glob("*-engine"))
    manifest = json.loads((out / "engine_run.json").read_text())
    assert manifest["engine"] == engine and manifest["tables"]["events"] == str(data / "lake/events.parquet")
    # each engine reads a cleaned copy of each lake table, made once (DuckDB's removed with its folder at the end)
    assert "cleaned_copies" in manifest and not list(out.glob("cleaned-*"))
    assert [s["step"] for s in manifest["steps"]] == ["transitions", "stages", "funnel", "customer event aggregates",
                                                      "kpis", "kpis_by_channel",   # the surveys have no touchpoint
                                                      "customer features"]
    assert manifest["not_computed"] == {   # a partial export: no reviews, no customers, and the run says so
        "review features": "the dataset has no reviews table: no n_reviews, review_rating or review_sentiment",
        "customer attributes": "the dataset has no customers table: no attributes or days_since_* columns, and the "
                               "customers are those of the other tables",
        "personas": "2 customers with features, at least 10 who differ are needed for two personas",
        "intervention arms": "the dataset has no interventions table"}
    assert "Not computed on the engine yet:" in capsys.readouterr().out
    assert_same(pd.read_parquet(out / "transitions.parquet"), journey_map(JOURNEYS).transitions)
    assert_same(pd.read_parquet(out / "funnel.parquet"), journey_map(JOURNEYS).funnel(STAGES))
    aggregates = pd.read_parquet(out / "customer_event_aggregates.parquet").sort_values("customer_id").set_index(
        "customer_id")
    events = JOURNEYS.assign(stage=JOURNEYS["touchpoint"].map(TOUCHPOINT_STAGE))
    expected = event_features(events, gap="30min", stages=STAGES, engine="pandas")
    for column in ("n_events", "n_sessions", "n_purchases", "spend", "service_contacts", "cross_channel_sessions",
                   "reached_awareness", "reached_purchase"):
        assert aggregates[column].tolist() == expected[column].tolist(), column
    assert aggregates["events_on_web"].tolist() == [3, 2]   # a: 3 of 4 events on the web, b: 2 of 3
    surveys = pd.read_parquet(data / "surveys.parquet")
    features = pd.read_parquet(out / "customer_features.parquet").set_index("customer_id").sort_index()
    in_memory = customer_features(CXDataset(name="lake", events=events, surveys=surveys, stages=STAGES), gap="30min")
    assert_same(features[in_memory.columns], in_memory)
    kpis = pd.read_parquet(out / "kpis_by_channel.parquet").set_index("channel")
    assert kpis.loc["web", "nps"] == pytest.approx(kpi_summary(surveys[surveys["channel"] == "web"], metrics=("nps",),
                                                               min_group_size=1)["value"].item())


def customers_and_reviews(folder, *, csv: bool):
    """The engine dataset with messy customer attributes and reviews: Parquet files, or customers as CSV and reviews
    without their sentiment."""
    customers = pd.DataFrame({
        "customer_id": [" a", "b", "c"], "age": [34, None, 51], "plan": [" Gold", "basic ", "NA"],
        "zip_code": ["00123", "20100", "n/a"], "score": ["1.5", " 2", None], "email": ["a@x.it", "b@x.it", "c@x.it"],
        "phone": ["+39 333 123 4567", "02 1234", None],
        "signup_date": ["2023-06-01", "2023-12-24", None],
        "last_seen_at": pd.to_datetime(["2024-01-01 08:00", None, "2023-11-30 00:00"], utc=True)})
    reviews = pd.DataFrame({"review_id": ["v1", "v2", "v3", "v4"], "customer_id": ["a", "a", "d", None],
                            "phone": [None, None, None, "333-1234567"],   # v4: a's, by the last 9 digits
                            "timestamp": pd.to_datetime(["2024-01-03", "2024-01-05", "2024-01-04", "2024-01-06"],
                                                        utc=True),
                            "rating": [5, 2, 4, 1], "sentiment": [0.8, -0.4, 0.1, -0.9]})
    surveys = pd.read_parquet(folder / "surveys.parquet")   # one more answer, of c by email, one of nobody known
    surveys = pd.concat([surveys, pd.DataFrame({"response_id": ["r4", "r5"], "customer_id": [None, None],
                                                "email": [" C@X.it", "z@x.it"], "channel": "web", "nps": [9.0, 2.0],
                                                "timestamp": pd.Timestamp("2024-01-05", tz="UTC")})])
    surveys.to_parquet(folder / "surveys.parquet")
    if csv:
        customers.to_csv(folder / "customers.csv", index=False)
        reviews.drop(columns="sentiment").to_parquet(folder / "reviews.parquet")
    else:
        customers.to_parquet(folder / "customers.parquet")
        reviews.to_parquet(folder / "reviews.parquet")


@pytest.mark.parametrize("csv", [False, True], ids=["parquet", "customers-csv"])
def test_engine_features_have_the_review_and_customer_columns_of_the_in_memory_ones(engine, tmp_path, csv):
    """Customer attributes (typed, cleaned and dated as the loader does, personal data left out) and reviews."""
    from cxresearch.dataset import load_dataset
    from cxresearch.features import customer_features
    from cxresearch.sql.routine import run_on_engine

    data = engine_dataset(tmp_path / "data")
    customers_and_reviews(data, csv=csv)
    (data / "events.parquet").write_bytes((data / "lake" / "events.parquet").read_bytes())
    (data / "dataset.yml").write_text("stages: {awareness: [home], consideration: [product], "
                                      "purchase: [cart, checkout]}\nsession_gap: 30\n")
    out = run_on_engine(data, tmp_path / "reports", engine=engine, progress=lambda _: None)
    features = pd.read_parquet(out / "customer_features.parquet").set_index("customer_id").sort_index()
    in_memory = customer_features(load_dataset(data), gap="30min").sort_index()
    assert sorted(features.columns) == sorted(in_memory.columns)
    assert "email" not in features and features.index.tolist() == ["a", "b", "c"]   # the customers table's rows
    assert_same(features[in_memory.columns], in_memory)
    assert features["plan"].fillna("missing").tolist() == ["Gold", "basic", "missing"]
    assert features["zip_code"].tolist()[0] == "00123"
    assert features.loc["a", ["n_reviews", "review_rating"]].tolist() == pytest.approx([3.0, 8 / 3])
    assert features["n_surveys"].tolist() == [1.0, 2.0, 1.0]   # c's answer linked by its email, as the loader links
    not_computed = json.loads((out / "engine_run.json").read_text())["not_computed"]
    assert ("review_sentiment" in not_computed) == csv and "customer attributes" not in not_computed
    if not csv:
        assert features.loc["a", "review_sentiment"] == pytest.approx(-0.5 / 3)


def test_engine_respondents_are_the_in_memory_ones_with_identity_links(engine, tmp_path):
    """Answers without customer_id count for the customer of their email or phone, else as respondents of their own."""
    from cxresearch.dataset import load_dataset
    from cxresearch.sql.routine import run_on_engine
    from cxresearch.stats import kpi_summary

    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "email": ["a@x.it", "b@x.it", "shared@x.it", "shared@x.it"],
                  "phone": ["+39 333 123 4567", "02 9876 5432", None, None]}).to_parquet(data / "customers.parquet")
    pd.DataFrame({"response_id": [f"r{i}" for i in range(1, 8)],
                  "customer_id": ["a", None, None, None, "b", None, None],
                  "email": [None, " A@X.it", None, "z@x.it", None, "shared@x.it", None],
                  "phone": [None, None, "3331234567", None, None, None, "12"],   # r3: a's phone, r7: too short
                  "timestamp": pd.Timestamp("2024-01-05", tz="UTC"),
                  "nps": [9.0, 10.0, 6.0, 3.0, 7.0, 8.0, np.nan], "csat": [5.0, np.nan, 4.0, np.nan, 2.0, 3.0, 1.0]}
                 ).to_parquet(data / "surveys.parquet")
    out = run_on_engine(data, tmp_path / "reports", engine=engine, progress=lambda _: None)
    # r2 (email) and r3 (phone) are a's; r6's email is two customers', r4's nobody's, r7 has no usable identity
    assert json.loads((out / "engine_run.json").read_text())["links"] == {
        "surveys": {"without_customer_id": 5, "linked": 2}}
    kpis = pd.read_parquet(out / "kpis.parquet")
    assert kpis[["nps_respondents", "csat_respondents", "respondents"]].values.tolist() == [[4, 4, 5]]
    expected = kpi_summary(load_dataset(data).surveys, metrics=("nps", "csat", "ces"), min_group_size=1)
    assert expected.set_index("metric")["respondents"].to_dict() == {"nps": 4, "csat": 4}
    features = pd.read_parquet(out / "customer_features.parquet").set_index("customer_id").sort_index()
    assert features["n_surveys"].tolist() == [3.0, 1.0, 0.0, 0.0]


def test_run_on_the_engine_checks_the_tables_first(tmp_path, capsys):
    from cxresearch.cli import main

    data = engine_dataset(tmp_path / "data", bad_nps=True)
    assert main(["run", str(data), "--engine", "--reports", str(tmp_path / "reports")]) == 1
    assert ("surveys.parquet, column 'nps': 1 value is out of range; expected a whole number from 0 to 10. "
            "Rows by response_id: r2: 12.0.") in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()
    assert main(["validate", str(data), "--engine", "duckdb"]) == 1
    shown = capsys.readouterr().out
    assert shown.startswith("data: 1 problem") and "Rows by response_id: r2: 12.0." in shown
    assert main(["validate", str(engine_dataset(tmp_path / "good")), "--engine"]) == 0
    assert capsys.readouterr().out.startswith("good: OK")
    (data / "dataset.yml").write_text("tables: {surveys: {table: lakehouse.cx.surveys}}\n")
    assert main(["validate", str(data), "--engine"]) == 1
    assert ("dataset.yml: tables.surveys names the Spark table 'lakehouse.cx.surveys', which only Spark reads; set "
            "'engine: spark' (or run with --engine spark)") in capsys.readouterr().out
    assert main(["run", str(data), "--engine", "--period-start", "2024-01-01"]) == 2
    assert "--period-start set the notebook pages, which do not run with --engine yet" in capsys.readouterr().err


def customers_and_interventions(folder):
    """60 customers in three kinds of journeys (web browsers, app buyers, store and chat), the known survey
    answers of test_interventions spread over them, and their intervention, as Parquet and CSV in *folder*."""
    from .test_interventions import KNOWN, interventions, surveys

    rng = np.random.default_rng(7)
    rows = []
    for i in range(60):
        kind = i % 3
        channel, path = [("web", ["home", "product"]), ("app", ["home", "product", "cart", "checkout"]),
                         ("store", ["home", "chat"])][kind]
        for visit in range(1 + kind + int(rng.integers(0, 3))):
            start = pd.Timestamp("2025-02-01", tz="UTC") + pd.Timedelta(hours=int(rng.integers(0, 24 * 50)))
            rows += [(f"c{i:02d}", start + pd.Timedelta(minutes=3 * step), channel, touchpoint,
                      float(rng.integers(20, 90)) if touchpoint == "checkout" else np.nan)
                     for step, touchpoint in enumerate(path)]
    events = pd.DataFrame(rows, columns=["customer_id", "timestamp", "channel", "touchpoint", "value"])
    answers = surveys(KNOWN).assign(customer_id=lambda t: [f"c{i % 60:02d}" for i in range(len(t))])
    folder.mkdir()
    events.to_parquet(folder / "events.parquet")
    answers.to_parquet(folder / "surveys.parquet")
    interventions().to_csv(folder / "interventions.csv", index=False)
    (folder / "dataset.yml").write_text("stages: {browse: [home, product], buy: [cart, checkout], service: [chat]}\n")
    return events, answers


def test_run_on_the_engine_assigns_personas_and_counts_intervention_arms(engine, tmp_path):
    from cxresearch.dataset import CXDataset
    from cxresearch.features import persona_basis
    from cxresearch.interventions import intervention_effects
    from cxresearch.personas import PersonaModel
    from cxresearch.sql.routine import run_on_engine

    from .test_interventions import interventions

    events, answers = customers_and_interventions(tmp_path / "data")
    out = run_on_engine(tmp_path / "data", tmp_path / "reports", engine=engine, random_state=3, progress=lambda _: None)
    steps = [s["step"] for s in json.loads((out / "engine_run.json").read_text())["steps"]]
    assert steps[-3:] == ["customer features", "personas", "intervention arms"]
    features = pd.read_parquet(out / "customer_features.parquet").set_index("customer_id").sort_index()
    model = PersonaModel(active=persona_basis(features) or None, random_state=3).fit(features)   # all 60: the sample
    assigned = pd.read_parquet(out / "personas.parquet").sort_values("customer_id", ignore_index=True)
    assert assigned["customer_id"].tolist() == features.index.tolist()
    assert assigned["persona"].tolist() == model.predict(features).tolist()
    profiles = pd.read_parquet(out / "persona_profiles.parquet").set_index("persona")
    assert profiles["name"].tolist() == model.personas_["name"].tolist()
    assert profiles["customers_assigned"].tolist() == assigned["persona"].value_counts().sort_index().tolist()

    ds = CXDataset(name="known", events=events, surveys=answers, interventions=interventions(),
                   stages={"browse": ["home", "product"], "buy": ["cart", "checkout"], "service": ["chat"]})
    effects = intervention_effects(ds, metrics=["nps", "csat", "csat_mean"]).set_index("metric")
    arms = pd.read_parquet(out / "intervention_arms.parquet").set_index(["metric", "arm", "window"])
    for metric in ("nps", "csat", "csat_mean"):
        for arm, prefix in (("scope", ""), ("comparison", "comparison_")):
            for window in ("before", "after"):
                assert arms.loc[(metric, arm, window), "mean"] == pytest.approx(effects.loc[metric, prefix + window])
                assert arms.loc[(metric, arm, window), "answers"] == effects.loc[metric, f"{prefix}{window}_n"]
    cells = pd.read_parquet(out / "intervention_cells.parquet")
    assert cells.groupby("metric")["n"].sum().tolist() == [40, 40, 40]


def test_lake_tables_are_read_through_the_column_mapping_and_defaults(engine, tmp_path):
    from cxresearch.sql.routine import run_on_engine

    data = tmp_path / "data"
    (data / "lake" / "surveys").mkdir(parents=True)
    exported = JOURNEYS.drop(columns="channel").assign(timestamp=JOURNEYS["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    exported.rename(columns={"customer_id": "Client", "timestamp": "Event Time", "touchpoint": "Page"}).to_parquet(
        data / "lake" / "events.parquet")
    surveys = pd.DataFrame({"response_id": ["r1", "r2"], "customer_id": ["a", "b"], "nps": [10, 3],
                            "timestamp": pd.to_datetime(["2024-01-02", "2024-01-03"], utc=True)})
    surveys.iloc[:1].to_parquet(data / "lake" / "surveys" / "part-0.parquet")
    surveys.iloc[1:].to_parquet(data / "lake" / "surveys" / "part-1.parquet")
    settings = ("stages: {awareness: [home], consideration: [product], purchase: [cart, checkout]}\n"
                "session_gap: 30\ntables: {events: {path: lake/events.parquet}, surveys: {path: 'lake/surveys/*.parquet'}}\n"
                "columns: {events: {Client: customer_id, Event Time: timestamp, Page: touchpoint}}\n"
                "defaults: {events: {channel: web}}\n")
    (data / "dataset.yml").write_text(settings)
    out = run_on_engine(data, tmp_path / "reports", engine=engine, progress=lambda _: None)
    assert_same(pd.read_parquet(out / "transitions.parquet"), journey_map(JOURNEYS.assign(channel="web")).transitions)
    assert pd.read_parquet(out / "kpis.parquet")[["nps_n", "nps"]].values.tolist() == [[2, 0.0]]
    (data / "dataset.yml").write_text(settings.replace("Client: customer_id", "Customer: customer_id"))
    with pytest.raises(DataError) as error:
        run_on_engine(data, tmp_path / "reports", engine=engine, progress=lambda _: None)
    assert str(error.value.problems[0]) == ("dataset.yml, column 'Customer': columns.events maps 'Customer', which is "
                                            f"not a column of events ({data / 'lake' / 'events.parquet'}).")


def test_lake_values_are_cleaned_as_the_loader_cleans_them(engine, tmp_path):
    """Padded, upper-case and missing-token codes give the loader's journeys and KPIs on every engine."""
    from cxresearch.dataset import load_dataset
    from cxresearch.sql.routine import run_on_engine

    data = tmp_path / "data"
    data.mkdir()
    messy = JOURNEYS.assign(customer_id=[" a", "a ", "a", "b", "a", "\tb", "b"],
                            channel=[" Web", "APP", "web ", "Store", "n/a", "WEB", "web"],
                            touchpoint=["Home ", "product", " CART", "home", "Product", "cart", "CheckOut"],
                            event=["view", "view", "add", "view", "view", "add", " purchase "])
    messy.to_parquet(data / "events.parquet")
    surveys = pd.DataFrame({"response_id": ["r1", "r2", "r3"], "customer_id": ["a", " b", "b"],
                            "timestamp": pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"], utc=True),
                            "channel": ["EMAIL", " email ", "NA"], "nps": [10.0, 3.0, 8.0]})
    surveys.to_parquet(data / "surveys.parquet")
    (data / "dataset.yml").write_text("stages: {awareness: [home], consideration: [product], "
                                      "purchase: [cart, checkout]}\nsession_gap: 30\n"
                                      "defaults: {events: {channel: Web}}\n")
    loaded = load_dataset(data)
    assert loaded.events["channel"].tolist() == ["web", "app", "web", "store", "web", "web", "web"]
    out = run_on_engine(data, tmp_path / "reports", engine=engine, progress=lambda _: None)
    assert_same(pd.read_parquet(out / "transitions.parquet"), journey_map(loaded.events).transitions)
    aggregates = pd.read_parquet(out / "customer_event_aggregates.parquet").sort_values("customer_id")
    assert aggregates["customer_id"].tolist() == ["a", "b"] and aggregates["n_purchases"].tolist() == [0, 1]
    assert aggregates[["events_on_app", "events_on_store", "events_on_web"]].values.tolist() == [[1, 0, 3], [0, 1, 2]]
    kpis = pd.read_parquet(out / "kpis_by_channel.parquet")
    assert kpis["channel"].fillna("missing").tolist() == ["email", "missing"] and kpis["nps_n"].tolist() == [2, 1]
    assert sorted(loaded.surveys["channel"].dropna()) == ["email", "email"]


@pytest.mark.spark
def test_run_on_spark_reads_a_catalog_table_with_canonical_columns(spark, tmp_path):
    from cxresearch.sql.routine import run_on_engine

    data = engine_dataset(tmp_path / "data")
    spark.createDataFrame(JOURNEYS).createOrReplaceGlobalTempView("cx_events")
    try:
        (data / "dataset.yml").write_text("stages: {awareness: [home], consideration: [product], "
                                          "purchase: [cart, checkout]}\nsession_gap: 30\nengine: spark\n"
                                          "tables: {events: {table: global_temp.cx_events}}\n")
        out = run_on_engine(data, tmp_path / "reports", progress=lambda _: None)
    finally:
        spark.catalog.dropGlobalTempView("cx_events")
    assert json.loads((out / "engine_run.json").read_text())["tables"]["events"] == "global_temp.cx_events"
    stages = pd.read_parquet(out / "stages.parquet")
    expected = journey_map(JOURNEYS).stages
    assert_same(stages, expected[[c for c in expected.columns if c in stages.columns]])


def test_intervention_arms_use_the_routines_window(tmp_path, capsys):
    """The answers 10 days before and after the start fall in the bins the window cuts, or outside a 7-day one."""
    from cxresearch.cli import main

    customers_and_interventions(tmp_path / "data")
    reports = tmp_path / "reports"
    bins = {}
    for window in ("2W", "8W", "7D"):
        assert main(["run", str(tmp_path / "data"), "--engine", "duckdb", "-p", f"intervention_window={window}",
                     "--reports", str(reports / window)]) == 0
        out = next((reports / window).glob("*-engine"))
        assert json.loads((out / "engine_run.json").read_text())["intervention_window"] == window
        cells = pd.read_parquet(out / "intervention_cells.parquet")
        bins[window] = sorted(cells.loc[cells["metric"] == "nps", "bin"].unique().tolist())
    # 2W: bins of 3.5 days, day -10 in bin 1, day +10 in bin 4 + 2; 8W: bins of 14 days, bins 3 and 4
    assert bins == {"2W": [1, 6], "8W": [3, 4], "7D": []}
    assert main(["run", str(tmp_path / "data"), "--engine", "-p", "intervention_window=2 months",
                 "--reports", str(reports)]) == 2
    assert "intervention_window must be a whole number of weeks or days" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "data"), "--engine", "-p", "min_group_size=3", "--reports", str(reports)]) == 2
    assert "--parameter min_group_size set the notebook pages" in capsys.readouterr().err

"""The engine step on partial exports: every subset of tables, the in-memory numbers on each.

As ``test_shapes.py`` runs the notebooks on every non-empty subset of
{customers, events, surveys, reviews}, this runs ``cxresearch run --engine``
on each, the tables as Parquet files of one small generated export: the run
must do the most the tables allow, name in ``engine_run.json`` what it could
not compute and why, and give the in-memory path's numbers (customer
features, transitions, KPI values and respondents) on what it computed.
DuckDB runs every subset; Spark the single tables and the whole export.
"""
from __future__ import annotations

import itertools
import json
import shutil

import pandas as pd
import pytest

from .test_engines import assert_same, spark  # noqa: F401  (spark: the session fixture)

TABLES = ("customers", "events", "surveys", "reviews")
SUBSETS = [subset for size in range(1, 5) for subset in itertools.combinations(TABLES, size)]
ON_SPARK = [(table,) for table in TABLES] + [TABLES]
#: What each missing table keeps the run from computing (keys of engine_run.json's not_computed).
MISSING = {"events": {"journeys"}, "surveys": {"kpis", "intervention arms"},
           "reviews": {"review features"}, "customers": {"customer attributes"}}


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    from cxresearch.synthetic import generate

    return generate(tmp_path_factory.mktemp("engine-shapes") / "full", customers=300, random_state=3, months=6)


def subset(export, tables, folder):
    """*tables* of *export* as Parquet in *folder*, with its dataset.yml and interventions."""
    folder.mkdir()
    for name in ("dataset.yml", "interventions.csv"):
        shutil.copy(export / name, folder / name)
    for table in tables:
        pd.read_csv(export / f"{table}.csv", dtype={"customer_id": str}).to_parquet(folder / f"{table}.parquet")
    return folder


CASES = ([pytest.param(tables, "duckdb", id="duckdb-" + "+".join(tables)) for tables in SUBSETS]
         + [pytest.param(tables, "spark", id="spark-" + "+".join(tables), marks=pytest.mark.spark)
            for tables in ON_SPARK])


@pytest.mark.parametrize("tables, engine", CASES)
def test_the_engine_runs_on_every_subset_of_tables_with_the_in_memory_numbers(export, tables, engine, tmp_path,
                                                                              request):
    from cxresearch.dataset import load_dataset
    from cxresearch.features import customer_features
    from cxresearch.journeys import JourneyMap
    from cxresearch.sql.routine import run_on_engine
    from cxresearch.stats import kpi_summary

    if engine == "spark":
        request.getfixturevalue("spark")
    data = subset(export, tables, tmp_path / "data")
    out = run_on_engine(data, tmp_path / "reports", engine=engine, progress=lambda _: None)
    manifest = json.loads((out / "engine_run.json").read_text())
    steps = {step["step"] for step in manifest["steps"]}
    for table, analyses in MISSING.items():
        assert (analyses <= set(manifest["not_computed"])) == (table not in tables), (table, manifest["not_computed"])
    loaded = load_dataset(data)
    features = pd.read_parquet(out / "customer_features.parquet").set_index("customer_id").sort_index()
    in_memory = customer_features(loaded).sort_index()
    assert sorted(features.columns) == sorted(in_memory.columns)
    assert_same(features[in_memory.columns], in_memory)
    assert ("personas" in steps) == (len(features) >= 20)
    if "events" in tables:
        journeys = JourneyMap(loaded.events, stages=list(loaded.stages), touchpoint_stage=loaded.touchpoint_stage,
                              min_group_size=1, gap=loaded.session_gap)
        assert_same(pd.read_parquet(out / "transitions.parquet"), journeys.transitions)
        assert {"transitions", "stages", "funnel", "customer event aggregates"} <= steps
    if "surveys" in tables:
        kpis = pd.read_parquet(out / "kpis.parquet")
        expected = kpi_summary(loaded.surveys, metrics=("nps", "csat", "ces"), min_group_size=1).set_index("metric")
        for metric in ("nps", "csat", "ces"):
            assert kpis[metric].item() == pytest.approx(expected.loc[metric, "value"]), metric
            assert kpis[f"{metric}_respondents"].item() == expected.loc[metric, "respondents"], metric

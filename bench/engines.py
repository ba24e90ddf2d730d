"""DuckDB against Spark local on the same scalable aggregations: seconds printed, never asserted.

Each aggregation of :mod:`cxresearch.sql` (transitions, stage table, funnel
through the dataset's stages, KPI counts by channel) and the engine checks of
the events table (:mod:`cxresearch.sql.checks`) run on the bench's cached Parquet datasets (the same
folders as ``bench/run.py``: 100k customers / ~2M events, 1M customers / ~20M
events, generated on first use), read in place by each engine. Every engine
runs in its own fresh process, the Spark session's start timed apart, so the
steps compare the engines' work on the data::

    python bench/engines.py                 # 100k and 1m
    python bench/engines.py --sizes 100k    # ~2M events only
    python bench/engines.py --data FOLDER   # any dataset folder with events.parquet (and surveys.parquet)

Spark runs in local mode on every core (``local[*]``) with the driver memory
of ``--spark-memory``; prints the load average at start and end (the machine may be shared).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import SIZES, dataset  # noqa: E402  (the bench's cached datasets)

STEPS = ("transitions", "stage table", "funnel", "checks of events", "KPI counts by channel")


def _measure(folder: str, engine: str, memory: str, steps=STEPS) -> dict:
    """Seconds of each step on *engine* (run in this process), and of the Spark session's start."""
    from cxresearch import sql
    from cxresearch.sql.checks import check_table

    folder = Path(folder)
    spec = yaml.safe_load((folder / "dataset.yml").read_text()) or {}
    stages = spec.get("stages") or {}
    touchpoint_stage = {tp: stage for stage, tps in stages.items() for tp in tps or []}
    seconds = {}
    if engine == "spark":
        start = time.perf_counter()
        from pyspark.sql import SparkSession

        from cxresearch.engine import LOCAL_SPARK_CONFIG
        builder = SparkSession.builder.master("local[*]").config("spark.driver.memory", memory)
        for key, value in LOCAL_SPARK_CONFIG.items():
            builder = builder.config(key, value)
        builder.getOrCreate()
        seconds["Spark session start"] = time.perf_counter() - start
    events, surveys = str(folder / "events.parquet"), str(folder / "surveys.parquet")
    runs = {"transitions": lambda: sql.transitions(events, engine=engine),
            "stage table": lambda: sql.stage_counts(events, stages=list(stages), touchpoint_stage=touchpoint_stage,
                                                    engine=engine),
            "funnel": lambda: sql.funnel(events, list(stages), stages=list(stages), touchpoint_stage=touchpoint_stage,
                                         engine=engine),
            "checks of events": lambda: check_table(events, "events", engine=engine),
            "KPI counts by channel": lambda: sql.kpi_counts(surveys, by=["channel"], engine=engine)}
    for step in steps:
        start = time.perf_counter()
        runs[step]()
        seconds[step] = time.perf_counter() - start
    return seconds


def _in_subprocess(folder: Path, engine: str, memory: str, steps) -> dict:
    done = subprocess.run([sys.executable, __file__, "--measure", str(folder), engine, "--spark-memory", memory,
                           "--steps", *steps], capture_output=True, text=True)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _events(folder: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(folder / "events.parquet").metadata.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["100k", "1m"], choices=list(SIZES))
    parser.add_argument("--data", nargs="+", help="dataset folders to use instead of the cached sizes")
    parser.add_argument("--engines", nargs="+", default=["duckdb", "spark"], choices=["duckdb", "spark"])
    parser.add_argument("--spark-memory", default="6g", help="driver memory of the local Spark session")
    parser.add_argument("--steps", nargs="+", default=list(STEPS), choices=STEPS)
    parser.add_argument("--measure", nargs=2, metavar=("FOLDER", "ENGINE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(*args.measure, args.spark_memory, args.steps)))
        return
    folders = [Path(f) for f in args.data] if args.data else [dataset(size) for size in args.sizes]
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2-core machine; seconds scale with load, ratios less)")
    print("| events | step | " + " | ".join(f"{e} s" for e in args.engines) + " | spark / duckdb |")
    print("|---|---|" + "---|" * len(args.engines) + "---|")
    for folder in folders:
        n = f"{_events(folder):,}"
        results = {engine: _in_subprocess(folder, engine, args.spark_memory, args.steps) for engine in args.engines}
        for engine, result in results.items():
            if "error" in result:
                print(f"| {n} | {engine} failed: {result['error']} |")
        steps = [s for s in ("Spark session start", *args.steps) if any(s in r for r in results.values())]
        for step in steps:
            cells = [f"{results[e][step]:.1f}" if step in results[e] else "" for e in args.engines]
            both = all(step in results.get(e, {}) for e in ("duckdb", "spark"))
            ratio = f"{results['spark'][step] / results['duckdb'][step]:.1f}x" if both else ""
            print(f"| {n} | {step} | " + " | ".join(cells) + f" | {ratio} |", flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

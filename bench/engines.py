"""DuckDB against Spark local on the same scalable aggregations: seconds printed, never asserted.

Every step of ``cxresearch run --engine`` runs on the bench's cached Parquet
datasets (the same folders as ``bench/run.py``: 100k customers / ~2M events,
1M customers / ~20M events, generated on first use), read in place by each
engine: the aggregations of :mod:`cxresearch.sql` (transitions, stage table,
funnel through the dataset's stages, KPI counts by channel), the engine checks
of the events table (:mod:`cxresearch.sql.checks`), the per-customer event
aggregates and customer features written by the engine, the personas (a
sample's selection in memory, every customer's assignment in the engine) and
the intervention arms. Every engine runs in its own fresh process, the Spark
session's start timed apart, so the steps compare the engines' work on the data::

    python bench/engines.py                 # 100k and 1m
    python bench/engines.py --sizes 100k    # ~2M events only
    python bench/engines.py --data FOLDER   # any dataset folder with events.parquet (and surveys.parquet)
    python bench/engines.py --sizes 100k --steps run   # the whole `cxresearch run --engine`, cleaned copies included

Each step gets its wall seconds and its CPU seconds: user + system of the
bench process and its children (Spark local's JVM is one), read from ``/proc``
before and after. Spark runs in local mode on every core (``local[*]``) with
the driver memory of ``--spark-memory``; the load average is printed at start
and end (the machine may be shared). Each step's line is printed as the step
ends (with the load average then), and every figure so far is saved as JSON
in ``bench/results/engines-<UTC start>.json`` after each step, so a long run
can be followed and a killed one still leaves its figures; the table comparing
the engines follows when both have ended.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import RESULTS, SIZES, dataset  # noqa: E402  (the bench's cached datasets, where figures are saved)

STEPS = ("transitions", "stage table", "funnel", "checks of events", "KPI counts by channel", "event aggregates",
         "customer features", "personas", "intervention arms")
#: The whole ``cxresearch run --engine`` (checks, cleaned copies and every step on all four tables): ``--steps run``.
WHOLE_RUN = "run"
_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of process *pid* (default: this one) and of its living descendants."""
    pid = pid or os.getpid()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = (int(fields[11]) + int(fields[12])) / _TICK
        children = [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
                    for child in (task / "children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return own + sum(_cpu_seconds(child) for child in children)


def _measure(folder: str, engine: str, memory: str, steps=STEPS) -> None:
    """Print ``{step: [wall s, CPU s, load average]}`` on *engine* (run in this process) after the session and each step."""
    import pandas as pd

    from cxresearch import sql
    from cxresearch.errors import ValidationReport
    from cxresearch.readers import find_file
    from cxresearch.routine.parameters import RoutineParameters
    from cxresearch.settings import read_settings
    from cxresearch.sql import routine
    from cxresearch.sql.checks import check_table

    folder = Path(folder)
    report = ValidationReport(folder)
    settings = read_settings(folder, report)
    stages = list(settings.stages)
    touchpoint_stage = {tp: stage for stage, tps in settings.stages.items() for tp in tps}
    measured = {}
    if engine == "spark":
        wall, cpu = time.perf_counter(), _cpu_seconds()
        from pyspark.sql import SparkSession

        from cxresearch.engine import LOCAL_SPARK_CONFIG
        builder = SparkSession.builder.master("local[*]").config("spark.driver.memory", memory)
        for key, value in LOCAL_SPARK_CONFIG.items():
            builder = builder.config(key, value)
        builder.getOrCreate()
        measured["Spark session start"] = [time.perf_counter() - wall, _cpu_seconds() - cpu, os.getloadavg()[0]]
    tables = {"events": str(folder / "events.parquet"), "surveys": str(folder / "surveys.parquet")}
    events, surveys = tables["events"], tables["surveys"]
    journey = {"stages": stages, "touchpoint_stage": touchpoint_stage, "gap": settings.session_gap, "engine": engine}
    scratch = tempfile.TemporaryDirectory(prefix="engines-bench-")   # the tables the engine writes, removed at exit
    out = Path(scratch.name)
    skipped = {}

    def channels():
        return sql.execute("SELECT DISTINCT channel FROM events WHERE channel IS NOT NULL ORDER BY channel",
                           {"events": events}, engine=engine)["channel"].tolist()

    runs = {"transitions": lambda: sql.transitions(events, gap=settings.session_gap, engine=engine),
            "stage table": lambda: sql.stage_counts(events, **journey),
            "funnel": lambda: sql.funnel(events, stages, **journey),
            "checks of events": lambda: check_table(events, "events", engine=engine),
            "KPI counts by channel": lambda: sql.kpi_counts(surveys, by=["channel"], engine=engine),
            "event aggregates": lambda: routine._event_aggregates(events, out, channels(), stages, touchpoint_stage,
                                                                  settings.session_gap, engine, None),
            "customer features": lambda: routine._customer_features(tables, out, channels(), stages, settings, engine,
                                                                    None, skipped.__setitem__),
            "personas": lambda: routine._personas(out, "auto", 42, engine, None, skipped.__setitem__),
            "intervention arms": lambda: routine._intervention_arms(
                routine._in_memory(find_file(folder, "interventions", settings, report), "interventions", settings,
                                   report),
                tables, settings, out, pd.Timedelta(RoutineParameters.intervention_window), engine, None,
                skipped.__setitem__),
            WHOLE_RUN: lambda: routine.run_on_engine(folder, out / "reports", engine=engine, progress=lambda _: None)}
    print(json.dumps(measured), flush=True)
    for step in steps:
        wall, cpu = time.perf_counter(), _cpu_seconds()
        runs[step]()
        measured[step] = [time.perf_counter() - wall, _cpu_seconds() - cpu, os.getloadavg()[0]]
        print(json.dumps(measured), flush=True)   # each step as it ends: a later failure keeps the earlier ones


def _in_subprocess(folder: Path, engine: str, memory: str, steps, on_step) -> dict:
    """Measure *steps* on *engine* in a fresh process, calling ``on_step(step, figures)`` as each step ends."""
    with tempfile.TemporaryFile("w+") as stderr:
        child = subprocess.Popen([sys.executable, __file__, "--measure", str(folder), engine, "--spark-memory", memory,
                                  "--steps", *steps], stdout=subprocess.PIPE, stderr=stderr, text=True)
        measured = {}
        for line in child.stdout:   # one JSON line after the session and after each step: every figure so far
            for step, figures in (json.loads(line) if line.startswith("{") else {}).items():
                if step not in measured:
                    measured[step] = figures
                    on_step(step, figures)
        if child.wait():
            stderr.seek(0)
            lines = stderr.read().strip().splitlines()
            measured["error"] = lines[-1] if lines else f"failed (exit status {child.returncode})"
    return measured


def _commit() -> str | None:
    """The checkout's commit (short hash, ``+`` if it has changes), or None outside git."""
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+" if dirty else "")


def _events(folder: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(folder / "events.parquet").metadata.num_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["100k", "1m"], choices=list(SIZES))
    parser.add_argument("--data", nargs="+", help="dataset folders to use instead of the cached sizes")
    parser.add_argument("--engines", nargs="+", default=["duckdb", "spark"], choices=["duckdb", "spark"])
    parser.add_argument("--spark-memory", default="6g", help="driver memory of the local Spark session")
    parser.add_argument("--steps", nargs="+", default=list(STEPS), choices=[*STEPS, WHOLE_RUN])
    parser.add_argument("--measure", nargs=2, metavar=("FOLDER", "ENGINE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _measure(*args.measure, args.spark_memory, args.steps)
        return
    folders = [Path(f) for f in args.data] if args.data else [dataset(size) for size in args.sizes]
    started = time.time()
    RESULTS.mkdir(exist_ok=True)
    saved = RESULTS / time.strftime("engines-%Y-%m-%dT%H%MZ.json", time.gmtime(started))
    run = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)), "commit": _commit(),
           "load at start": os.getloadavg()[0], "spark memory": args.spark_memory,
           "figures": "[wall s, CPU s, load average at the step's end]", "sets": {}}
    print(f"load average at start: {run['load at start']:.1f} (2-core machine; seconds scale with load, ratios less)")
    print(f"commit {run['commit']}; figures saved after each step in {saved}", flush=True)
    tables = []
    for folder in folders:
        n = f"{_events(folder):,}"
        results = run["sets"][n] = {"folder": str(folder)}

        def on_step(engine, step, figures):
            results.setdefault(engine, {})[step] = figures
            saved.write_text(json.dumps(run, indent=1) + "\n")
            wall, cpu, load = figures
            print(f"{n} events, {engine}, {step}: {wall:.1f} s wall, {cpu:.1f} CPU s (load {load:.1f})", flush=True)

        for engine in args.engines:
            results[engine] = _in_subprocess(folder, engine, args.spark_memory, args.steps, partial(on_step, engine))
            saved.write_text(json.dumps(run, indent=1) + "\n")
        tables.append(_table(n, {e: results[e] for e in args.engines}, args.steps))
    print("| events | step | " + " | ".join(f"{e} wall s | {e} CPU s" for e in args.engines)
          + " | spark / duckdb, CPU |")
    print("|---|---|" + "---|---|" * len(args.engines) + "---|")
    print("\n".join(line for table in tables for line in table))
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


def _table(n: str, results: dict, steps) -> list[str]:
    """The Markdown rows of one dataset (*n* events): each step's figures per engine and Spark's CPU over DuckDB's."""
    lines = [f"| {n} | {engine} failed: {result['error']} |" for engine, result in results.items() if "error" in result]
    for step in [s for s in ("Spark session start", *steps) if any(s in r for r in results.values())]:
        cells = [f"{results[e][step][0]:.1f} | {results[e][step][1]:.1f}" if step in results[e] else " | "
                 for e in results]
        both = all(step in results.get(e, {}) for e in ("duckdb", "spark"))
        ratio = f"{results['spark'][step][1] / results['duckdb'][step][1]:.1f}x" if both else ""
        lines.append(f"| {n} | {step} | " + " | ".join(cells) + f" | {ratio} |")
    return lines


if __name__ == "__main__":
    main()

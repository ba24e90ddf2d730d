"""Benchmark: sessions, transitions and stage tables of a synthetic event log.

Times ``journey_map(...)`` plus its ``transitions`` and ``stages`` tables against
a plain numpy baseline over the same encoded arrays (stable lexsort by customer
and time, shift-compare, ``bincount`` of ``from * n + to``), and, when a Python
with pm4py is given, pm4py's ``discover_dfg`` on the same log. pm4py is never a
dependency of cxresearch: install it into a throwaway venv and pass its python::

    python bench/bench_journeys.py --events 2000000
    python bench/bench_journeys.py --events 20000000 --pm4py-python /tmp/pm4py/bin/python

Prints seconds, events per second, peak RSS and the ratios.
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from cxresearch.dataset import CXDataset
from cxresearch.journeys import journey_map

STAGES = ("awareness", "consideration", "purchase", "service", "loyalty")
CHANNELS = ("web", "app", "store", "email", "chat", "call_center", "social")
TOUCHPOINTS_PER_STAGE = 6
GAP_NS = 30 * 60 * 10**9

PM4PY_SCRIPT = """
import sys, time, pandas as pd, pm4py
log = pd.read_parquet(sys.argv[1])
start = time.perf_counter()
pm4py.discover_dfg(log, activity_key="touchpoint", case_id_key="customer_id", timestamp_key="timestamp")
print(time.perf_counter() - start)
"""


def generate(n_events: int, *, seed: int = 0, strings: bool = False) -> tuple[CXDataset, dict]:
    """A random event log of *n_events* (20 events per customer on average) and its integer codes."""
    rng = np.random.default_rng(seed)
    n_customers = max(n_events // 20, 1)
    touchpoints = [f"{stage}_{i}" for stage in STAGES for i in range(TOUCHPOINTS_PER_STAGE)]
    codes = {
        "customer": rng.integers(0, n_customers, n_events),
        "time": np.datetime64("2024-01-01", "ns").astype(np.int64)
        + rng.integers(0, 365 * 86400, n_events) * 10**9,
        "touchpoint": rng.integers(0, len(touchpoints), n_events),
        "channel": rng.integers(0, len(CHANNELS), n_events),
    }

    def column(values, labels):
        categorical = pd.Categorical.from_codes(values, categories=labels)
        return pd.Series(categorical).astype(str) if strings else categorical

    events = pd.DataFrame({
        "customer_id": column(codes["customer"], [f"c{i:08d}" for i in range(n_customers)]),
        "timestamp": pd.to_datetime(codes["time"], utc=True),
        "channel": column(codes["channel"], list(CHANNELS)),
        "touchpoint": column(codes["touchpoint"], touchpoints),
    })
    stages = {s: touchpoints[i * TOUCHPOINTS_PER_STAGE:(i + 1) * TOUCHPOINTS_PER_STAGE] for i, s in enumerate(STAGES)}
    return CXDataset(name="bench", events=events, stages=stages), codes


def baseline(codes: dict) -> np.ndarray:
    """Transitions counted with plain numpy on the encoded arrays."""
    order = np.lexsort((codes["time"], codes["customer"]))
    customer, t, tp = codes["customer"][order], codes["time"][order], codes["touchpoint"][order]
    inside = (customer[1:] == customer[:-1]) & (np.diff(t) <= GAP_NS)
    n = int(tp.max()) + 1
    return np.bincount(tp[:-1][inside] * n + tp[1:][inside], minlength=n * n)


def ours(ds: CXDataset) -> tuple:
    jm = journey_map(ds, min_group_size=1)
    return jm.transitions, jm.stages


def timed(function, *args) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def pm4py_seconds(ds: CXDataset, python: str) -> float | None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.parquet"
        ds.events.astype({"customer_id": str, "touchpoint": str, "channel": str}).to_parquet(path)
        run = subprocess.run([python, "-c", PM4PY_SCRIPT, str(path)], capture_output=True, text=True)
    if run.returncode:
        print(f"pm4py run failed, skipped: {run.stderr.strip().splitlines()[-1:]}")
        return None
    return float(run.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000, help="events in the synthetic log")
    parser.add_argument("--strings", action="store_true", help="plain str columns instead of categoricals")
    parser.add_argument("--pm4py-python", help="a python with pm4py installed (throwaway venv)")
    args = parser.parse_args(argv)

    ds, codes = generate(args.events, strings=args.strings)
    kind = "str" if args.strings else "categorical"
    base_s, counts = timed(baseline, codes)
    our_s, (transitions, stages) = timed(ours, ds)
    if int(transitions["count"].sum()) != int(counts.sum()):
        sys.exit(f"transition totals differ: cxresearch {transitions['count'].sum()} vs numpy {counts.sum()}")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"events: {args.events:,} ({kind} columns), customers: {len(codes['customer']) // 20:,}")
    print(f"numpy baseline (lexsort + bincount): {base_s:7.2f} s  {args.events / base_s:12,.0f} events/s")
    print(f"cxresearch sessions+transitions+stages: {our_s:7.2f} s  {args.events / our_s:12,.0f} events/s")
    print(f"ratio cxresearch / numpy: {our_s / base_s:.2f}x   peak RSS: {rss_mb:,.0f} MB")
    if args.pm4py_python:
        pm_s = pm4py_seconds(ds, args.pm4py_python)
        if pm_s is not None:
            print(f"pm4py discover_dfg: {pm_s:7.2f} s  {args.events / pm_s:12,.0f} events/s  "
                  f"-> cxresearch is {pm_s / our_s:.1f}x faster")
    else:
        print("pm4py: skipped (pass --pm4py-python with a throwaway venv's python to compare)")


if __name__ == "__main__":
    main()

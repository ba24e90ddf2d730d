"""Benchmark every scaling step of cxresearch against a baseline measured in the same run.

For each size (100k customers / ~2M events, 1M customers / ~20M events; 5,000
customers, the demo's size, for the routine only) a synthetic dataset is
generated once into ``bench/.cache/demo<size>_pq``
(:func:`cxresearch.synthetic.generate`, Parquet, seed 7). Every step and every
baseline runs in a fresh subprocess, one right after the other, so each peak
RSS is its own and both see the same machine load::

    python bench/run.py                      # import, then 5k (routine), 100k and 1M
    python bench/run.py --sizes 100k --quick # smoke run on 10k customers, no routine, no pm4py

Steps (baselines in brackets): ``import cxresearch`` [``import pandas``, which
every notebook needs anyway], load + validate [pyarrow read of the Parquet
files], features [plain DuckDB GROUP BY], PersonaModel auto-k [scikit-learn
KMeans at the chosen k], journey_map transitions + stages + funnel [numpy
factorize + lexsort + bincount; pm4py ``discover_dfg`` from a throwaway venv],
voice kpi_table + key_drivers + sentiment, and the whole ``cxresearch run``
(with where its time went: loading, each notebook's kernel start, cells and
page, from the run's manifest; its peak memory is the largest sum over the run and
its kernels, sampled twice a second, of each process's proportional set size,
so the snapshot the kernels map together counts once). Peers run on the same events, each from its own
throwaway venv under ``bench/.cache/``: pm4py ``discover_dfg`` and
retentioneering's transition matrix, against the journey step.
Each step's timed part (without imports and reading the cached dataset) runs
three times (``--repeat``) and the least wall and CPU seconds count. Prints the
table with wall and CPU seconds (and the load average at start and end: the
machine may be shared; ratios are measured side by side, and CPU seconds are not
inflated by waiting for a core), then each target of issue 17 with its figure,
its ratio to the target and whether it is met in wall and in CPU seconds, then
the journey step's ratio to each peer. Writes the same as Markdown to
``bench/.cache/results.md`` and every figure as JSON to
``bench/results/<UTC start>.json`` (not committed), which the README's table is
written from.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
#: Where each run's figures are saved as JSON (not committed).
RESULTS = HERE / "results"
SIZES = {"5k": 5_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}
#: Sizes at which only the whole routine runs (the demo's size: its target is the routine's time).
ROUTINE_ONLY = ("5k",)
SEED = 7
#: Runs of each timed step and baseline (``--repeat``); the least seconds count (see :func:`_best`).
REPEAT = int(os.environ.get("CXBENCH_REPEAT", "3"))
#: The routine's ``--memory-limit`` (GB): issue 17's memory target, which its memory gate keeps the pages within.
ROUTINE_MEMORY_GB = 8
#: Survey answers and reviews the voice step uses at most.
VOICE_SURVEYS, VOICE_REVIEWS = 200_000, 100_000

#: Peers of the journey step, each installed into its own venv on first use: packages, then a script that
#: reads the event log (customer_id, timestamp, touchpoint) from argv[1] and prints the wall and CPU seconds
#: its step took.
PEERS = {
    "pm4py": (["pm4py", "pandas", "pyarrow"], """
import sys, time, pandas as pd, pm4py
log = pd.read_parquet(sys.argv[1])
start, cpu = time.perf_counter(), time.process_time()
pm4py.discover_dfg(log, activity_key="touchpoint", case_id_key="customer_id", timestamp_key="timestamp")
print(time.perf_counter() - start, time.process_time() - cpu)
"""),
    "retentioneering": (["retentioneering", "pyarrow"], """
import os, sys, time, pandas as pd
os.environ["RETENTIONEERING_NO_TRACK"] = "1"  # no usage telemetry from the benchmark
from retentioneering.eventstream import Eventstream
log = pd.read_parquet(sys.argv[1])
start, cpu = time.perf_counter(), time.process_time()
stream = Eventstream(log, schema={"path_cols": ["customer_id"], "event_col": "touchpoint",
                                  "timestamp_col": "timestamp"})
stream.transition_graph_data(edge_weight="count")
print(time.perf_counter() - start, time.process_time() - cpu)
"""),
}
PEER_STEPS = {"pm4py": "pm4py discover_dfg", "retentioneering": "retentioneering transition_graph_data"}
#: Longest a peer's install or run may take before it counts as not available (seconds).
PEER_TIMEOUT = 3600


# ------------------------------------------------------------------ steps (run in a subprocess each)
def _import_seconds(module: str) -> tuple[float, int]:
    """Seconds to import *module* in a fresh interpreter (this one's children: their CPU is counted too)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
    return time.perf_counter() - start, 1


def step_import(data: Path) -> tuple[float, int]:
    return _import_seconds("cxresearch")


def baseline_import(data: Path) -> tuple[float, int]:
    return _import_seconds("pandas")


def _loaded(data: Path) -> Path:
    return CACHE / f"{data.name}.loaded.pkl"


def _load(data: Path):
    """The dataset as loaded by the load step (pickled there, so other steps skip the loader)."""
    return pickle.loads(_loaded(data).read_bytes())


class _Clock:
    """Wall and CPU seconds of a with-block (CPU: every thread of this process, so DuckDB's workers count)."""

    def __enter__(self):
        self.seconds, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.seconds, self.cpu = time.perf_counter() - self.seconds, time.process_time() - self.cpu


def _best(run):
    """``run()``'s last result, and the least wall and the least CPU seconds of :data:`REPEAT` runs.

    The least is the run the machine's other work disturbed least (as
    :mod:`timeit` advises); each result is dropped before the next run, so the
    peak RSS stays one run's.
    """
    seconds = cpu = float("inf")
    for _ in range(REPEAT):
        result = None
        with _Clock() as clock:
            result = run()
        seconds, cpu = min(seconds, clock.seconds), min(cpu, clock.cpu)
    return result, seconds, cpu


def step_load(data: Path) -> tuple[float, int, float]:
    from cxresearch.dataset import load_dataset
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds, seconds, cpu = _best(lambda: load_dataset(data))
    with _loaded(data).open("wb") as file:  # streamed: no second in-memory copy of the tables in the peak RSS
        pickle.dump(ds, file, protocol=5)
    return seconds, len(ds.events), cpu


def baseline_load(data: Path) -> tuple[float, int, float]:
    import pandas  # noqa: F401  (to_pandas would import it inside the clock; the load step imports it before)
    import pyarrow.parquet as pq
    rows, seconds, cpu = _best(lambda: sum(pq.read_table(file).to_pandas().shape[0]
                                           for file in sorted(data.glob("*.parquet"))))
    return seconds, rows, cpu


def step_features(data: Path) -> tuple[float, int, float]:
    from cxresearch.features import customer_features
    ds = _load(data)
    _, seconds, cpu = _best(lambda: customer_features(ds))
    return seconds, len(ds.events), cpu


def baseline_features(data: Path) -> tuple[float, int, float]:
    from cxresearch.engine import sql
    events = _load(data).events
    _, seconds, cpu = _best(lambda: sql(
        "SELECT customer_id, count(*), min(timestamp), max(timestamp), sum(value), count(DISTINCT session_id) "
        "FROM events GROUP BY customer_id", events=events))
    return seconds, len(events), cpu


def _basis(data: Path):
    """The persona basis columns of the customer features (computed once, then read from the cache)."""
    import pandas as pd
    from cxresearch.features import customer_features, persona_basis
    cached = CACHE / f"{data.name}.basis.parquet"
    if not cached.exists():
        features = customer_features(_load(data))
        features[persona_basis(features)].to_parquet(cached)
    return pd.read_parquet(cached)


def step_personas(data: Path) -> tuple[float, int, float]:
    from cxresearch.personas import PersonaModel
    basis = _basis(data)
    model, seconds, cpu = _best(lambda: PersonaModel(random_state=0).fit(basis))
    (CACHE / f"k_{data.name}.txt").write_text(str(model.n_personas_))
    return seconds, len(basis), cpu


def baseline_personas(data: Path) -> tuple[float, int, float]:
    import pandas as pd
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler
    basis = _basis(data)
    k = int((CACHE / f"k_{data.name}.txt").read_text())

    def cluster():
        numeric = pd.get_dummies(basis, dtype=float)  # text attributes as indicator columns, as PersonaModel does
        return KMeans(k, n_init="auto", random_state=0).fit(StandardScaler().fit_transform(
            numeric.fillna(numeric.median())))
    _, seconds, cpu = _best(cluster)
    return seconds, len(basis), cpu


def step_journeys(data: Path) -> tuple[float, int, float]:
    from cxresearch.journeys import journey_map
    ds = _load(data)

    def count():
        journeys = journey_map(ds)
        return journeys.transitions, journeys.stages, journeys.funnel(list(ds.stages))
    _, seconds, cpu = _best(count)
    return seconds, len(ds.events), cpu


def baseline_journeys(data: Path) -> tuple[float, int, float]:
    import numpy  # noqa: F401  (imported before the clock, as the journey step's modules are)
    import pandas  # noqa: F401
    events = _load(data).events
    _, seconds, cpu = _best(lambda: _transition_counts(events))
    return seconds, len(events), cpu


def _transition_counts(events) -> None:
    """Touchpoint transitions within 30 minutes, counted with numpy alone: the journey step's baseline."""
    import numpy as np
    import pandas as pd
    customer, _ = pd.factorize(events["customer_id"])
    touchpoint, labels = pd.factorize(events["touchpoint"])
    time_ns = events["timestamp"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    order = np.lexsort((time_ns, customer))
    customer, time_ns, touchpoint = customer[order], time_ns[order], touchpoint[order]
    inside = (customer[1:] == customer[:-1]) & (np.diff(time_ns) <= 30 * 60 * 10**9)
    np.bincount(touchpoint[:-1][inside] * len(labels) + touchpoint[1:][inside], minlength=len(labels) ** 2)


def step_voice(data: Path) -> tuple[float, int, float]:
    from cxresearch.text import sentiment
    from cxresearch.voice import key_drivers, kpi_table
    ds = _load(data)
    surveys, reviews = ds.surveys.head(VOICE_SURVEYS), ds.reviews.head(VOICE_REVIEWS)
    _, seconds, cpu = _best(lambda: (kpi_table(surveys), key_drivers(surveys),
                                     sentiment(reviews["text"], reviews["language"])))
    return seconds, len(surveys) + len(reviews), cpu


def step_routine(data: Path) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as reports, tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        run = subprocess.Popen([str(Path(sys.executable).with_name("cxresearch")), "run", str(data), "--reports", reports,
                                "--memory-limit", str(ROUTINE_MEMORY_GB)],
                               stdout=subprocess.DEVNULL, stderr=errors)
        peak = _tree_peak_rss(run)
        if run.returncode:
            errors.seek(0)
            raise RuntimeError(f"cxresearch run failed: {errors.read().decode(errors='replace')[-300:]}")
        seconds = time.perf_counter() - start
        shutil.copy(Path(reports, "latest", "manifest.json"), CACHE / "routine_manifest.json")
    (CACHE / "routine_peak_mb.txt").write_text(str(peak / 2**20))
    return seconds, SIZES.get(data.name.removeprefix("demo").removesuffix("_pq"), 0)


def _tree_peak_rss(process: subprocess.Popen) -> int:
    """Wait for *process*; the largest memory of it and its descendants together (kernels run at once).

    Each process counts its proportional set size (PSS): pages several kernels
    share, the memory-mapped snapshot above all, count once over the tree
    instead of once per kernel. Where PSS cannot be read (not Linux), RSS.
    """
    import psutil
    root, peak = psutil.Process(process.pid), 0
    while process.poll() is None:
        total = 0
        for member in [root, *root.children(recursive=True)]:
            try:
                total += _proportional_size(member)
            except psutil.Error:  # ended between listing and reading
                pass
        peak = max(peak, total)
        time.sleep(0.5)
    return peak


def _proportional_size(process) -> int:
    """Bytes of *process*'s PSS (``/proc/<pid>/smaps_rollup``), else its RSS."""
    try:
        with open(f"/proc/{process.pid}/smaps_rollup") as rollup:
            return next(int(line.split()[1]) * 1024 for line in rollup if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return process.memory_info().rss


STEPS = {name.removeprefix("step_"): fn for name, fn in globals().items() if name.startswith("step_")}
BASELINES = {name.removeprefix("baseline_"): fn for name, fn in globals().items() if name.startswith("baseline_")}
BASELINE_NAMES = {"import": "import pandas", "load": "pyarrow read_table", "features": "DuckDB GROUP BY",
                  "personas": "KMeans at chosen k", "journeys": "numpy lexsort+bincount"}
UNITS = {"import": "imports", "load": "events", "features": "events", "personas": "customers", "journeys": "events",
         "voice": "answers+reviews", "routine": "customers"}


# ------------------------------------------------------------------ driver
def measure(kind: str, step: str, data: Path) -> dict:
    """Run one step or baseline in a fresh interpreter; its seconds, rows and peak RSS (MB)."""
    run = subprocess.run([sys.executable, __file__, "--run", kind, step, str(data)], capture_output=True, text=True)
    if run.returncode:
        return {"error": (run.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(run.stdout.strip().splitlines()[-1])


def run_one(kind: str, step: str, data: Path) -> None:
    cpu = _cpu_seconds()
    seconds, rows, *timed_cpu = (STEPS if kind == "step" else BASELINES)[step](data)
    cpu = timed_cpu[0] if timed_cpu else _cpu_seconds() - cpu  # the timed part's, where a step measures it
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if step == "routine":
        peak = max(peak, float((CACHE / "routine_peak_mb.txt").read_text()))
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": rows, "peak_mb": peak}))


def _cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and its finished children: the figure load does not inflate."""
    return sum(getattr(resource.getrusage(who), field) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for field in ("ru_utime", "ru_stime"))


def dataset(size: str) -> Path:
    """The cached Parquet dataset of *size* customers, generated on first use."""
    folder = CACHE / f"demo{size}_pq"
    if not folder.is_dir():
        from cxresearch.synthetic import generate
        partial = folder.with_name(folder.name + ".partial")
        generate(partial, customers=SIZES[size], random_state=SEED, fmt="parquet")
        partial.rename(folder)
    return folder


def peer_python(peer: str) -> tuple[str | None, str]:
    """The python of *peer*'s throwaway venv, installed on first use; or None and why not."""
    venv = CACHE / f"{peer}-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        shutil.rmtree(venv, ignore_errors=True)
        steps = [[sys.executable, "-m", "venv", str(venv)],
                 [str(python), "-m", "pip", "install", "--quiet", *PEERS[peer][0]]]
        for command in steps:
            done = _run_peer(command)
            if done.returncode:
                shutil.rmtree(venv, ignore_errors=True)
                return None, (done.stderr.strip().splitlines() or ["install failed"])[-1][:120]
    return str(python), ""


def peer_seconds(peer: str, data: Path, python: str) -> dict:
    """*peer*'s wall and CPU seconds on the events of *data* (``seconds``, ``cpu``), or ``error``."""
    import pyarrow.parquet as pq
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "log.parquet"
        pq.write_table(pq.read_table(data / "events.parquet", columns=["customer_id", "timestamp", "touchpoint"]), log)
        run = _run_peer([python, "-c", PEERS[peer][1], str(log)])
    if run.returncode:
        return {"error": (run.stderr.strip().splitlines() or ["failed"])[-1][:120]}
    seconds, cpu = map(float, run.stdout.strip().splitlines()[-1].split())
    return {"seconds": seconds, "cpu": cpu}


def _run_peer(command: list[str]) -> subprocess.CompletedProcess:
    """Run a peer's install or step; a failed result (return code 1, the reason in stderr) past :data:`PEER_TIMEOUT`."""
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=PEER_TIMEOUT)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(command, 1, "", f"stopped after {PEER_TIMEOUT} s")


def routine_phases(size: str) -> list[dict]:
    """Rows saying where the whole routine's time went, from the manifest of the bench's run."""
    manifest = json.loads((CACHE / "routine_manifest.json").read_text())
    rows = [{"step": "  routine: load, check, snapshot", "size": size,
             "seconds": f"{manifest['timings']['input']:.2f}"}]
    for entry in manifest["notebooks"]:
        spent = entry.get("timings") or {}
        kernel = f"kernel {spent['kernel']:.1f} s, " if spent.get("kernel") is not None else ""
        rows.append({"step": f"  routine: {entry['name']}", "size": size, "seconds": f"{entry.get('seconds', 0):.2f}",
                     "baseline": f"{kernel}cells {spent.get('cells', 0):.1f} s, page {spent.get('page', 0):.1f} s"
                     if spent else entry["status"]})
    return rows


def row(step: str, size: str, result: dict, baseline: dict | None, baseline_name: str) -> dict:
    if "error" in result:
        return {"step": step, "size": size, "seconds": f"failed: {result['error']}"}
    out = {"step": step, "size": size, "seconds": f"{result['seconds']:.2f}", "CPU s": f"{result['cpu']:.1f}",
           "peak RSS MB": f"{result['peak_mb']:,.0f}",
           "rows/s": f"{result['rows'] / result['seconds']:,.0f} {UNITS[step]}", "baseline": baseline_name or "-",
           "baseline s": "-", "ratio": "-"}
    if baseline and "seconds" in baseline:
        out["baseline s"] = f"{baseline['seconds']:.2f}"
        out["baseline CPU s"] = f"{baseline['cpu']:.1f}"
        out["ratio"] = f"{result['seconds'] / baseline['seconds']:.2f}x"
        out["CPU ratio"] = f"{result['cpu'] / baseline['cpu']:.2f}x"
    elif baseline:
        out["baseline s"] = f"failed: {baseline['error']}"
    return out


def markdown(rows: list[dict]) -> str:
    columns = ["step", "size", "seconds", "CPU s", "peak RSS MB", "rows/s", "baseline", "baseline s", "baseline CPU s",
               "ratio", "CPU ratio"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5k,100k,1m", help=f"comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--quick", action="store_true", help="smoke run: 10k customers, no routine, no pm4py")
    parser.add_argument("--routine-sizes", default="5k,100k,1m", help="sizes to run the whole routine on (slow)")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated, of {', '.join(STEPS)}")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs of each timed step (the least counts)")
    parser.add_argument("--run", nargs=3, metavar=("KIND", "STEP", "DATA"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        kind, step, data = args.run
        run_one(kind, step, Path(data))
        return
    os.environ["CXBENCH_REPEAT"] = str(max(1, args.repeat))  # read by each step's interpreter
    CACHE.mkdir(exist_ok=True)
    sizes = ["10k"] if args.quick else args.sizes.lower().split(",")
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size {unknown[0]!r}; expected one of {', '.join(SIZES)}")
    steps = args.steps.lower().split(",")
    if set(steps) - set(STEPS):
        parser.error(f"unknown step {sorted(set(steps) - set(STEPS))[0]!r}; expected one of {', '.join(STEPS)}")
    peers = {peer: (None, "skipped in --quick") if args.quick else peer_python(peer)
             for peer in PEERS if "journeys" in steps}
    started, rows, notes, measured = time.time(), [], [f"load average at start: {_load_average()}"], {}
    if "import" in steps:
        result, baseline = measure("step", "import", CACHE), measure("baseline", "import", CACHE)
        measured["import", "-"] = result, baseline
        rows.append(row("import", "-", result, baseline, BASELINE_NAMES["import"]))
    for size in sizes:
        data = dataset(size)
        (CACHE / f"{data.name}.basis.parquet").unlink(missing_ok=True)
        for step in steps:
            if step == "import" or (size in ROUTINE_ONLY and step != "routine") or (step == "routine" and (
                    args.quick or size not in args.routine_sizes.lower().split(","))):
                continue
            print(f"{size} {step} ...", flush=True)
            added = len(rows)
            result = measure("step", step, data)
            baseline = measure("baseline", step, data) if step in BASELINES else None
            measured[step, size] = result, baseline
            rows.append(row(step, size, result, baseline, BASELINE_NAMES.get(step, "")))
            if step == "routine" and "seconds" in result:
                rows += routine_phases(size)
            for peer, (python, why) in peers.items() if step == "journeys" else ():
                print(f"{size} {PEER_STEPS[peer]} ...", flush=True)
                timed = peer_seconds(peer, data, python) if python else {"error": why}
                measured[f"journeys vs {peer}", size] = result, timed
                if "error" in timed:
                    notes.append(f"{peer} ({size}): not available ({timed['error']})")
                elif "seconds" in result:
                    rows.append(peer_row(peer, size, result, timed))
            print("\n".join(markdown(rows[added:]).splitlines()[2:]), flush=True)
    notes.append(f"load average at end: {_load_average()} ({os.cpu_count()} cores)")
    verdicts = targets(measured)
    table = markdown(rows) + "".join(f"\n\n{note}" for note in notes) + "\n\n" + "\n".join(verdicts["lines"])
    print("\n" + table)
    (CACHE / "results.md").write_text(table + "\n")
    saved = write_results(started, rows, notes, measured, verdicts["targets"])
    print(f"\nresults: {saved}")


def peer_row(peer: str, size: str, result: dict, timed: dict) -> dict:
    """The table row comparing the journey step with *peer* (its wall and CPU seconds *timed*)."""
    faster = timed["seconds"] / result["seconds"]
    return {"step": f"journeys vs {peer}", "size": size, "seconds": f"{result['seconds']:.2f}",
            "CPU s": f"{result['cpu']:.1f}", "baseline": PEER_STEPS[peer], "baseline s": f"{timed['seconds']:.2f}",
            "baseline CPU s": f"{timed['cpu']:.1f}", "ratio": f"{1 / faster:.2f}x" + (
                f" ({faster:.1f}x faster)" if faster > 1 else ""), "CPU ratio": f"{result['cpu'] / timed['cpu']:.2f}x"}


def write_results(started: float, rows: list[dict], notes: list[str], measured: dict, verdicts: list[dict]) -> Path:
    """Save the run as JSON in ``bench/results/<UTC start>.json`` (what the README's table is written from)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / time.strftime("%Y-%m-%dT%H%MZ.json", time.gmtime(started))
    path.write_text(json.dumps({
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cores": _cores(), "notes": notes,
        "measurements": [{"step": step, "size": size, "result": result, "baseline": baseline}
                         for (step, size), (result, baseline) in measured.items()],
        "targets": verdicts, "table": rows}, indent=1) + "\n")
    return path


#: Issue 17's targets: (step, size, what is compared, limit, label). ``seconds`` and ``peak_mb`` are limits on
#: the step's own figure, ``ratio`` a limit on its seconds over its baseline's.
TARGETS = [("import", "-", "seconds", 1.5, "import cxresearch under 1.5 s"),
           ("routine", "5k", "seconds", 30, "demo routine (5,000 customers) under 30 s"),
           ("routine", "100k", "seconds", 60, "routine at 100k customers under 60 s"),
           ("load", "1m", "ratio", 3, "load + validate within 3x pyarrow at 1M"),
           ("features", "100k", "ratio", 1.5, "features within 1.5x DuckDB (100k)"),
           ("features", "1m", "ratio", 1.5, "features within 1.5x DuckDB (1M)"),
           ("personas", "100k", "ratio", 10, "PersonaModel auto-k within 10x KMeans (100k)"),
           ("personas", "1m", "ratio", 10, "PersonaModel auto-k within 10x KMeans (1M)"),
           ("routine", "1m", "seconds", 300, "routine at 1M / 20M events in 5 minutes"),
           ("routine", "1m", "peak_mb", 8192, "routine at 1M / 20M events within 8 GB")]


def targets(measured: dict) -> dict:
    """Each target of :data:`TARGETS` measured in this run, then the peers' ratios.

    Returns ``lines`` to print (the figure, its ratio to the limit, met or not;
    a target not measured says so) and ``targets``, the same as records. Time
    is judged on wall seconds and on CPU seconds: on a shared machine the wall
    clock mostly measures waiting for a core, and CPU seconds divided by the
    cores are what the same work needs on this machine when it is idle.
    Ratios are judged both ways too: the pandas kernels run on one thread, the
    baselines (DuckDB, pyarrow, KMeans) on every core, so on idle cores the
    wall ratio is up to the cores times the CPU ratio.
    """
    cores = _cores()
    lines, records = ["Targets (issue 17):"], []
    for step, size, kind, limit, label in TARGETS:
        result, baseline = measured.get((step, size), ({}, None))
        record = {"target": label, "step": step, "size": size, "kind": kind, "limit": limit}
        if "seconds" not in result or (kind == "ratio" and "seconds" not in (baseline or {})):
            why = result.get("error") or (baseline or {}).get("error") or "not run"
            lines.append(f"- {label}: not measured ({why})")
            records.append(record | {"verdict": "not measured", "why": why})
            continue
        if kind == "ratio":
            wall, cpu = result["seconds"] / baseline["seconds"], result["cpu"] / baseline["cpu"]
            words = (f"{wall:.2f}x wall, {cpu:.2f}x CPU "
                     f"({result['seconds']:.1f} s against {baseline['seconds']:.1f} s; "
                     f"{result['cpu']:.1f} against {baseline['cpu']:.1f} CPU s)")
        elif kind == "peak_mb":
            wall = cpu = result["peak_mb"] / 1024
            words, limit = f"{wall:.1f} GB peak", limit / 1024
        else:
            wall, cpu = result["seconds"], result["cpu"] / cores
            words = (f"{wall:.1f} s wall, {result['cpu']:.1f} CPU s "
                     f"(at least {cpu:.1f} s on {cores} idle cores)")
        verdict = _verdict(wall, limit) if kind == "peak_mb" else (
            f"wall {_verdict(wall, limit)}, CPU {_verdict(cpu, limit)}")
        lines.append(f"- {label}: {words}: {verdict}")
        records.append(record | {"wall": wall, "cpu": cpu, "met_wall": wall <= limit, "met_cpu": cpu <= limit,
                                 "verdict": verdict})
    lines.append("Peers (issue 17, item 6: the journey step against each, on the same events):")
    for (step, size), (result, timed) in measured.items():
        if not step.startswith("journeys vs "):
            continue
        label = f"{step.removeprefix('journeys vs ')} ({size})"
        if "seconds" not in result or "seconds" not in timed:
            why = timed.get("error") or result.get("error") or "not run"
            lines.append(f"- {label}: not measured ({why})")
            records.append({"target": f"journeys vs {label}", "verdict": "not measured", "why": why})
            continue
        wall, cpu = timed["seconds"] / result["seconds"], timed["cpu"] / result["cpu"]
        lines.append(f"- {label}: the journey step {wall:.1f}x faster in wall, {cpu:.1f}x in CPU "
                     f"({result['seconds']:.1f} s against {timed['seconds']:.1f} s)")
        records.append({"target": f"journeys vs {label}", "step": step, "size": size, "faster_wall": wall,
                        "faster_cpu": cpu})
    return {"lines": lines, "targets": records}


def _verdict(figure: float, limit: float) -> str:
    return "met" if figure <= limit else f"missed by {figure / limit:.1f}x"


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _load_average() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()

"""Benchmark: PersonaModel with automatic k on a synthetic customers x features matrix.

Times ``PersonaModel(random_state=0).fit(X)`` (preprocessing, k selection on a
sample with bootstrap stability, final fit on all rows, profiles and names)
against plain scikit-learn ``KMeans(k, n_init="auto")`` at the k it chose, on
the same matrix: six Gaussian blobs, a third of the columns made skewed and
non-negative like counts and money. Each side runs in its own process, so each
peak RSS is its own::

    python bench/bench_personas.py                       # 1M customers x 30 features
    python bench/bench_personas.py --customers 100000

Prints seconds, peak RSS and the ratios.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

CENTRES = 6


def matrix(customers: int, features: int, seed: int = 0) -> np.ndarray:
    """Blobs around CENTRES random centres; every third column exponentiated (skewed, non-negative)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-3, 3, size=(CENTRES, features))
    X = centres[rng.integers(CENTRES, size=customers)] + rng.standard_normal((customers, features))
    X[:, ::3] = np.exp(X[:, ::3] / 2)
    return X


def side(name: str, customers: int, features: int, k: int) -> dict:
    """Run one side in this process; return its seconds, peak RSS in MB and k."""
    X = matrix(customers, features)
    start = time.perf_counter()
    if name == "personas":
        from cxresearch.personas import PersonaModel
        k = PersonaModel(random_state=0).fit(X).n_personas_
    else:
        from sklearn.cluster import KMeans
        KMeans(k, n_init="auto", random_state=0).fit(X)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "k": k}


def spawn(name: str, args, k: int = 0) -> dict:
    command = [sys.executable, __file__, "--side", name, "--customers", str(args.customers),
               "--features", str(args.features), "--k", str(k)]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--side", choices=["personas", "kmeans"], help=argparse.SUPPRESS)
    parser.add_argument("--k", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(side(args.side, args.customers, args.features, args.k)))
        return
    personas = spawn("personas", args)
    kmeans = spawn("kmeans", args, personas["k"])
    print(f"{args.customers:,} customers x {args.features} features, {CENTRES} planted blobs")
    print(f"PersonaModel auto-k   {personas['seconds']:8.1f} s  peak {personas['peak_mb']:7.0f} MB  "
          f"chose k={personas['k']}")
    print(f"KMeans(k={personas['k']}) baseline {kmeans['seconds']:8.1f} s  peak {kmeans['peak_mb']:7.0f} MB")
    print(f"ratio                 {personas['seconds'] / kmeans['seconds']:8.1f} x time  "
          f"{personas['peak_mb'] / kmeans['peak_mb']:5.1f} x memory")


if __name__ == "__main__":
    main()

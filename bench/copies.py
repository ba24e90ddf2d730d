"""A larger bench set from a generated one: every customer copied under new ids (for engine cost growth).

    python bench/copies.py bench/.cache/demo1m_pq /data/demo2m_x2_pq --copies 2

Copy 1 is the source as it is; copy k (k > 1) repeats every row of the
customers, events, surveys and reviews tables with each id column suffixed
``-k`` (``C0000001`` -> ``C0000001-2``, sessions, responses and reviews
too), so the set has k times the customers and events with the same
per-customer shape: right for measuring how an engine's cost grows with
events, not for analysis (every journey appears k times). DuckDB writes each
table with ``COPY ... TO ... (FORMAT parquet)``; ``dataset.yml`` and
``interventions.csv`` are copied as they are.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import duckdb

TABLES = ("customers", "events", "surveys", "reviews")
IDS = ("customer_id", "session_id", "response_id", "review_id")


def _copy_k(path: Path, columns: list[str], k: int) -> str:
    """SELECT of copy *k* of the Parquet file at *path*: its columns, ids suffixed after the first copy."""
    cells = [f"{c} || '-{k}' AS {c}" if k > 1 and c in IDS else c for c in columns]
    return f"SELECT {', '.join(cells)} FROM read_parquet('{path}')"


def copies(source: Path, out: Path, k: int, memory: str = "4GB") -> None:
    """Write *k* copies of the dataset folder *source* into *out* (created; its tables overwritten)."""
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"memory_limit": memory})   # rows in the source order, copy after copy
    for table in TABLES:
        path = source / f"{table}.parquet"
        if not path.exists():
            continue
        columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()]
        union = " UNION ALL ".join(_copy_k(path, columns, i) for i in range(1, k + 1))
        con.execute(f"COPY ({union}) TO '{out / f'{table}.parquet'}' (FORMAT parquet)")
    for name in ("dataset.yml", "interventions.csv"):
        if (source / name).exists():
            shutil.copy(source / name, out / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a dataset folder of Parquet tables (e.g. the bench's 1m set)")
    parser.add_argument("out", type=Path, help="the folder to write (outside git: several GB)")
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--memory", default="4GB", help="DuckDB's memory limit")
    args = parser.parse_args()
    copies(args.source, args.out, args.copies, args.memory)


if __name__ == "__main__":
    main()

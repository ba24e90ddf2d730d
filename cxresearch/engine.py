"""Which engine computes a table: pandas for small data, embedded DuckDB for large data.

Both engines compute the same definitions, so a result never depends on the
engine; ``engine="pandas"`` or ``engine="duckdb"`` forces one (tests compare
them), ``"auto"`` picks DuckDB from :data:`DUCKDB_MIN_ROWS` rows on.
"""
from __future__ import annotations

import duckdb
import pandas as pd

from .errors import ParameterError

__all__ = ["ENGINES", "DUCKDB_MIN_ROWS", "choose_engine", "sql"]

ENGINES = ("auto", "pandas", "duckdb")
#: From this many rows on, ``engine="auto"`` aggregates with DuckDB (below it pandas is as fast).
DUCKDB_MIN_ROWS = 1_000_000


def choose_engine(engine: str, rows: int) -> str:
    """``"pandas"`` or ``"duckdb"``: *engine* itself, or for ``"auto"`` the one suited to *rows*."""
    if engine not in ENGINES:
        raise ParameterError(f"engine must be one of {list(ENGINES)}; got {engine!r}.")
    if engine == "auto":
        return "duckdb" if rows >= DUCKDB_MIN_ROWS else "pandas"
    return engine


def sql(query: str, parameters=(), **tables: pd.DataFrame) -> pd.DataFrame:
    """Run *query* in a fresh in-memory DuckDB where each keyword names a DataFrame.

    Examples
    --------
    >>> sql("SELECT count(*) AS n FROM t WHERE x > ?", [1], t=pd.DataFrame({"x": [1, 2, 3]}))["n"].tolist()
    [2]
    """
    with duckdb.connect() as connection:
        for name, frame in tables.items():
            connection.register(name, frame)
        return connection.execute(query, list(parameters)).df()

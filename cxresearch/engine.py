"""Which engine computes a table: pandas for small data, DuckDB on one machine, Spark beyond it.

Two layers:

- :func:`choose_engine` and :func:`sql`: the in-process choice between the
  pandas and DuckDB paths of an analysis (``engine="auto"`` picks DuckDB from
  :data:`DUCKDB_MIN_ROWS` rows on); both compute the same definitions.
- :func:`execute`: the one execution layer of the scalable aggregations. A
  query is written once, in DuckDB's SQL dialect, over named tables; DuckDB
  runs it as written (embedded, out-of-core), Spark runs it after SQLGlot has
  transpiled it to Spark SQL. Tables are pandas DataFrames, Parquet files
  (path, glob or any URI the engine can read, such as ``s3a://`` for Spark)
  or, on Spark, catalog table names; the engine reads them where they are and
  only the query's result comes back to pandas.

The Spark session is the active one, else a Spark Connect session when
``SPARK_REMOTE`` is set (pyspark's own variable), else a local one
(``local[*]``, or the master named by ``CXRESEARCH_SPARK_MASTER``) created
once per process with the session time zone set to UTC. ``engine="spark"``
needs the ``spark`` extra (``pip install 'cxresearch[spark]'``: pyspark and
sqlglot) and a Java 17+ runtime.

DuckDB spills what does not fit in memory (sorts, windows, joins of large
logs) into a folder of its own, created for each query under the folder
named by ``CXRESEARCH_TEMP_DIR``, else under the system's temporary folder
(``TMPDIR``), and removed when the query ends.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import os
import re
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from ._checks import check_choice
from .errors import ParameterError

__all__ = ["ENGINES", "SQL_ENGINES", "DUCKDB_MIN_ROWS", "TEMP_DIR_VARIABLE", "View", "choose_engine", "sql", "execute", "write_parquet",
           "table_columns", "persist", "spark_session"]

ENGINES = ("auto", "pandas", "duckdb")
#: Engines that run the scalable aggregations' SQL (:func:`execute`).
SQL_ENGINES = ("duckdb", "spark")
#: From this many rows on, ``engine="auto"`` aggregates with DuckDB (below it pandas is as fast).
DUCKDB_MIN_ROWS = 1_000_000
#: Environment variable naming the folder under which DuckDB spills (default: the system's temporary folder).
TEMP_DIR_VARIABLE = "CXRESEARCH_TEMP_DIR"

#: Settings of the local Spark session this module creates (an existing or remote session keeps its own).
LOCAL_SPARK_CONFIG = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.shuffle.partitions": "8",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
}

_PATH_LIKE = re.compile(r"[/\\*?]|\.parquet$|^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_view_numbers = itertools.count()


@dataclass(frozen=True)
class View:
    """A table source read through one projection: each column an expression over *source*'s columns.

    *source* is any table :func:`execute` takes; *columns* pairs each output
    column with its expression (DuckDB dialect), e.g. ``("timestamp",
    'CAST("Event Time" AS TIMESTAMPTZ)')``. Both engines read the source in
    place and apply the projection in the query (how ``dataset.yml``'s column
    mapping and defaults reach a lake table).

    Examples
    --------
    >>> raw = pd.DataFrame({"Score": ["9", "3"]})
    >>> execute("SELECT sum(nps) AS total FROM t", {"t": View(raw, (("nps", 'CAST("Score" AS DOUBLE)'),))})["total"].item()
    12.0
    """

    source: object
    columns: tuple

    def select(self, table: str) -> str:
        """The projection's SELECT over the table named *table*."""
        return "SELECT " + ", ".join(f'{expression} AS "{name}"' for name, expression in self.columns) + f" FROM {table}"


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
    with _duckdb() as connection:
        for name, frame in tables.items():
            connection.register(name, frame)
        return connection.execute(query, list(parameters)).df()


def execute(query: str, tables: Mapping[str, object], *, engine: str = "duckdb",
            parameters: Mapping[str, object] | None = None, spark=None) -> pd.DataFrame:
    """Run *query* (DuckDB dialect) over *tables* on *engine* and return its result as a DataFrame.

    Parameters
    ----------
    query : str
        One SELECT statement in DuckDB's dialect; it names each table by its
        key in *tables* and each parameter as ``$name``. End it with ORDER BY
        when the row order matters: engines return rows in their own order.
    tables : mapping of str to DataFrame, str or Path
        The query's tables: a pandas DataFrame, a Parquet file, folder glob or
        URI (anything with a slash, a wildcard, a scheme or a ``.parquet``
        ending), a catalog table name such as ``"lake.events"`` (Spark
        only) or a :class:`View` of one of them; a Spark DataFrame also works on Spark.
    engine : {"duckdb", "spark"}
        Who runs it.
    parameters : mapping, optional
        Values of the ``$name`` placeholders (strings, numbers, dates).
    spark : SparkSession, optional
        The session to use on Spark (default :func:`spark_session`).

    Examples
    --------
    >>> events = pd.DataFrame({"channel": ["web", "app", "web"]})
    >>> execute("SELECT channel, count(*) AS n FROM events WHERE channel <> $skip GROUP BY channel ORDER BY channel",
    ...         {"events": events}, parameters={"skip": "store"}).to_dict("list")
    {'channel': ['app', 'web'], 'n': [1, 2]}
    """
    check_choice("engine", engine, SQL_ENGINES)
    parameters = dict(parameters or {})
    if engine == "spark":
        return _execute_on_spark(query, tables, parameters, spark or spark_session())
    return _execute_on_duckdb(query, tables, parameters)


def write_parquet(query: str, tables: Mapping[str, object], path, *, engine: str = "duckdb",
                  parameters: Mapping[str, object] | None = None, spark=None) -> None:
    """Run *query* as :func:`execute` does and write its result as Parquet at *path*, not through pandas.

    DuckDB writes one file; Spark writes a folder of part files (replacing
    what was there), at any URI it can write. Both read back with
    ``pandas.read_parquet(path)``.
    """
    check_choice("engine", engine, SQL_ENGINES)
    parameters = dict(parameters or {})
    if engine == "spark":
        _execute_on_spark(query, tables, parameters, spark or spark_session(), into=str(path))
    else:
        _execute_on_duckdb(query, tables, parameters, into=str(path))


def persist(query: str, tables: Mapping[str, object], *, parameters: Mapping[str, object] | None = None, spark=None):
    """Run *query* as :func:`execute` does on Spark, and keep its result in Spark's cache, computed now.

    Returns the Spark DataFrame, which :func:`execute` then takes as a table:
    later queries read the cached rows (memory, spilling to the executors'
    disks) instead of computing *query* again, on a local session or a
    cluster alike. Free it with its ``unpersist()``.
    """
    frame = _execute_on_spark(query, tables, dict(parameters or {}), spark or spark_session(), keep=True).persist()
    frame.count()   # every partition computed and cached
    return frame


def table_columns(source, *, engine: str = "duckdb", spark=None) -> list[str]:
    """Column names of a table source of :func:`execute`, read from its schema (no rows are read).

    Examples
    --------
    >>> table_columns(pd.DataFrame({"customer_id": [1], "nps": [9]}))
    ['customer_id', 'nps']
    """
    check_choice("engine", engine, SQL_ENGINES)
    if isinstance(source, pd.DataFrame):
        return [str(c) for c in source.columns]
    if engine == "spark":
        return list(_spark_frame(spark or spark_session(), "table", source).columns)
    return list(execute("SELECT * FROM t LIMIT 0", {"t": source}).columns)


def _is_path(source) -> bool:
    return isinstance(source, Path) or (isinstance(source, str) and bool(_PATH_LIKE.search(source)))


@contextlib.contextmanager
def _duckdb():
    """A fresh in-memory DuckDB spilling into a folder of its own (module docstring), removed once it is closed.

    Raises
    ------
    ParameterError
        When ``CXRESEARCH_TEMP_DIR`` names no folder.
    """
    base = os.environ.get(TEMP_DIR_VARIABLE) or None
    if base is not None and not Path(base).is_dir():
        raise ParameterError(f"{TEMP_DIR_VARIABLE} must name an existing folder, where DuckDB spills what does not "
                             f"fit in memory; got {base!r}. Create it, or unset {TEMP_DIR_VARIABLE} to spill under "
                             f"the system's temporary folder ({tempfile.gettempdir()}).")
    with tempfile.TemporaryDirectory(prefix="cxresearch-duckdb-", dir=base) as spill, \
            duckdb.connect(config={"temp_directory": spill}) as connection:
        yield connection


def _execute_on_duckdb(query: str, tables: Mapping[str, object], parameters: dict, *, into: str | None = None):
    with _duckdb() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute("SET enable_progress_bar = false")   # library code never writes to the terminal
        for name, source in tables.items():
            _register_on_duckdb(connection, name, source)
        if into is not None:
            return connection.sql(query, params=parameters or None).write_parquet(into)
        return connection.execute(query, parameters or None).df()


def _register_on_duckdb(connection, name: str, source) -> None:
    if isinstance(source, View):
        _register_on_duckdb(connection, f"{name}_source", source.source)
        connection.execute(f"CREATE VIEW {name} AS {source.select(name + '_source')}")
    elif isinstance(source, pd.DataFrame):
        connection.register(name, source)
    elif _is_path(source):   # a local folder is read as Spark reads it: its Parquet files, at any depth
        path = Path(source) / "**" / "*.parquet" if Path(source).is_dir() else source
        connection.read_parquet(str(path)).create_view(name)
    else:
        raise ParameterError(f"table {name!r} must be a DataFrame or a Parquet path on DuckDB; got {source!r} "
                             "(a catalog table name needs engine='spark').")


@functools.cache
def _local_spark_session():
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(os.environ.get("CXRESEARCH_SPARK_MASTER", "local[*]")).appName("cxresearch")
    for key, value in LOCAL_SPARK_CONFIG.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def spark_session():
    """The Spark session :func:`execute` uses: the active one, a Spark Connect one or a local one.

    Raises
    ------
    ParameterError
        When pyspark is not installed.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ParameterError("engine='spark' needs pyspark and sqlglot: pip install 'cxresearch[spark]' "
                             "(and a Java 17+ runtime for a local session).") from exc
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if os.environ.get("SPARK_REMOTE"):
        return SparkSession.builder.getOrCreate()
    return _local_spark_session()


def to_spark_sql(query: str, tables: Mapping[str, str] | None = None) -> str:
    """*query* (DuckDB dialect) in Spark SQL, with table names replaced as *tables* says.

    Examples
    --------
    >>> to_spark_sql("SELECT x::DOUBLE AS y FROM t WHERE z = $z", {"t": "lake.t"})
    'SELECT CAST(x AS DOUBLE) AS y FROM lake.t WHERE z = :z'
    """
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(query, read="duckdb")
    renamed = dict(tables or {})
    defined = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in list(tree.find_all(exp.Table)):
        if not table.db and table.name in renamed and table.name not in defined:
            replacement = exp.to_table(renamed[table.name], dialect="spark")
            if table.alias:
                replacement.set("alias", table.args["alias"])
            elif table.name != replacement.name:
                replacement.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
            table.replace(replacement)
    return tree.sql(dialect="spark")


def _execute_on_spark(query: str, tables: Mapping[str, object], parameters: dict, spark, *, into: str | None = None,
                      keep: bool = False):
    """The result of *query* as pandas, written at *into*, or when *keep* the Spark DataFrame (its plan resolved)."""
    views, names = [], {}
    with warnings.catch_warnings():
        # pyspark 4 warns on every pandas conversion that it does not test pandas 3 yet; tests check the results
        warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
        try:
            for name, source in tables.items():
                if isinstance(source, str) and not _is_path(source):
                    names[name] = source           # a catalog table, read in place
                    continue
                view = f"cxresearch_{name}_{os.getpid()}_{next(_view_numbers)}"
                _spark_frame(spark, name, source).createOrReplaceTempView(view)
                views.append(view)
                names[name] = view
            result = spark.sql(to_spark_sql(query, names), args=parameters or None)
            if keep:   # the views are resolved in its plan: dropping them below leaves it whole
                return result
            if into is not None:
                return result.write.mode("overwrite").parquet(into)
            result = result.toPandas()
        finally:
            for view in views:
                spark.catalog.dropTempView(view)
    return _in_utc(result, spark.conf.get("spark.sql.session.timeZone"))


def _in_utc(frame: pd.DataFrame, time_zone: str) -> pd.DataFrame:
    """Spark gives timestamps as naive wall times of the session's time zone; DuckDB as UTC: make them UTC."""
    naive = [c for c in frame.columns if pd.api.types.is_datetime64_dtype(frame[c])]  # tz-aware ones are not
    return frame.assign(**{c: frame[c].dt.tz_localize(time_zone).dt.tz_convert("UTC") for c in naive})


def _spark_schema(frame: pd.DataFrame):
    """The Spark schema of *frame* by its Arrow types (Spark cannot infer one from no rows); untyped is text."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema

    arrow = pa.Schema.from_pandas(frame, preserve_index=False)
    return from_arrow_schema(pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in arrow]))


def _spark_frame(spark, name: str, source):
    if isinstance(source, View):   # the source under a temporary name while Spark resolves the projection over it
        inner = f"cxresearch_{name}_source_{os.getpid()}_{next(_view_numbers)}"
        _spark_frame(spark, name, source.source).createOrReplaceTempView(inner)
        try:
            return spark.sql(to_spark_sql(source.select(inner)))
        finally:
            spark.catalog.dropTempView(inner)
    if isinstance(source, pd.DataFrame):
        return spark.createDataFrame(source) if len(source) else spark.createDataFrame([], _spark_schema(source))
    if _is_path(source):
        return spark.read.parquet(str(source))
    if hasattr(source, "createOrReplaceTempView"):
        return source
    if isinstance(source, str):
        return spark.table(source)
    raise ParameterError(f"table {name!r} must be a DataFrame, a Parquet path or a catalog table name; got {source!r}.")

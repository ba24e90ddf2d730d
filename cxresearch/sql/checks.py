"""Validation of large tables in the engine: the loader's checks of :mod:`cxresearch.schemas`, as one query per table.

:func:`check_table` builds, from the table's schema (required columns, types,
empty values, uniqueness, ranges and whole numbers, as the loader checks them
in :mod:`cxresearch.canonical`), one SELECT that flags every row, then keeps
per check the number of bad rows and the first :data:`~cxresearch.errors.MAX_EXAMPLES`
by the table's row key. Only those few rows come back. A lake table has no
file lines, so a bad row is named by its key (``response_id``, ``review_id``,
``intervention_id``, ``customer_id``, or for events ``customer_id`` and
``timestamp``); the wording of each problem is the loader's.
"""
from __future__ import annotations

import pandas as pd

from .. import schemas
from ..canonical import ISO_EXAMPLE, _expected, _field, _fix_hint, _missing_column_hint, failed_check
from ..engine import execute, table_columns
from ..errors import MAX_EXAMPLES, Problem
from ..i18n import _, format_count

__all__ = ["check_table", "row_key"]

#: Whole-table keys of a row, in order of preference, when the table has no unique id of its own.
_FALLBACK_KEY = ("customer_id", "timestamp")
_RANGE = {"greater_than_or_equal_to": (">=", "min_value"), "less_than_or_equal_to": ("<=", "max_value")}


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def row_key(table: str, columns) -> list[str]:
    """The columns that name a row of *table* in a problem: its unique id, else customer and time."""
    schema = schemas.SCHEMAS[table].to_schema()
    unique = [c for c, spec in schema.columns.items() if spec.unique and c in columns]
    return unique[:1] or [c for c in _FALLBACK_KEY if c in columns]


def _column_checks(table: str, columns) -> list[tuple[str, str, str]]:
    """``(column, kind, condition on the row)`` of every check of *table*'s schema on its *columns*."""
    schema = schemas.SCHEMAS[table].to_schema()
    timestamps = schemas.TIMESTAMPS.get(table, schemas.DEFAULT_TIMESTAMPS)
    checks = []
    for column in columns:
        field = _field(schema, column)
        if field is None:
            continue
        name = _quoted(column)
        present = f"{name} IS NOT NULL AND trim(CAST({name} AS VARCHAR)) <> ''"
        number = f"TRY_CAST({name} AS DOUBLE)"
        if not field.nullable:
            checks.append((column, "not_nullable", f"NOT ({present})"))
        if column in timestamps:
            checks.append((column, "timestamp", f"{present} AND TRY_CAST({name} AS TIMESTAMPTZ) IS NULL"))
        if column in schemas.NUMERIC.get(table, ()) or field.checks:
            checks.append((column, "number", f"{present} AND {number} IS NULL"))
        if field.unique:
            checks.append((column, "field_uniqueness", f"{present} AND count(*) OVER (PARTITION BY {name}) > 1"))
        bounds = [f"{number} {op} {check.statistics[key]}" for check in field.checks if check.name in _RANGE
                  for op, key in [_RANGE[check.name]]]
        if bounds:
            checks.append((column, "out_of_range", f"NOT ({' AND '.join(bounds)})"))
        if any(check.name == "whole_number" for check in field.checks):
            checks.append((column, "whole_number", f"{number} <> floor({number})"))
    return checks


def _message(table: str, column: str, kind: str, n: int) -> str:
    """The loader's words for *n* values of *column* failing the check *kind*."""
    expected = {"number": _("a number"), "timestamp": _(ISO_EXAMPLE)}.get(kind)
    return (failed_check(kind, n) % {"n": format_count(n),
                                     "expected": expected or _expected(schemas.SCHEMAS[table].to_schema(), column)}
            + _fix_hint(table, column, kind, {}))


def check_query(table: str, columns) -> tuple[str, list[tuple[str, str, str]], list[str]]:
    """The query checking *table* with *columns*, its checks and the row key.

    It returns, per failing check ``c<i>``, its count of bad rows (``bad``) and
    up to MAX_EXAMPLES of them (key columns and the value as text), first by key.
    """
    checks = _column_checks(table, columns)
    key = row_key(table, columns)
    flags = ", ".join(f"CASE WHEN {condition} THEN 1 ELSE 0 END AS c{i}" for i, (*_, condition) in enumerate(checks))
    keys = ", ".join(_quoted(c) for c in key)
    bad = " UNION ALL ".join(f"SELECT {i} AS check_number, {keys}, CAST({_quoted(column)} AS VARCHAR) AS value "
                             f"FROM flagged WHERE c{i} = 1" for i, (column, *_) in enumerate(checks))
    kept = list(dict.fromkeys([*key, *(column for column, *_ in checks)]))
    query = (f"WITH flagged AS (SELECT {', '.join(map(_quoted, kept))}, {flags} "
             f"FROM source), bad AS ({bad}), ranked AS (SELECT *, row_number() OVER (PARTITION BY check_number "
             f"ORDER BY {keys}, value) AS example, count(*) OVER (PARTITION BY check_number) AS bad FROM bad) "
             f"SELECT * FROM ranked WHERE example <= {MAX_EXAMPLES} ORDER BY check_number, example")
    return query, checks, key


def check_table(source, table: str, *, name: str | None = None, engine: str = "duckdb", spark=None) -> list[Problem]:
    """Problems of *table* read from *source* in the engine, worded as the loader words them.

    Parameters
    ----------
    source
        The table where it lives (see :func:`cxresearch.engine.execute`).
    table : str
        Its canonical name (``"events"``, ``"surveys"``, ...); its columns are
        the canonical names (a column mapping is not applied here).
    name : str, optional
        What the problems call it (default: the table's name).

    Examples
    --------
    >>> surveys = pd.DataFrame({"response_id": ["r1", "r2", "r2"], "timestamp": ["2025-01-01", "2025-01-02", "x"],
    ...                         "nps": [9, 11, 3]})
    >>> for problem in check_table(surveys, "surveys"):
    ...     print(problem)
    surveys, column 'response_id': 2 values are duplicated; expected a unique response id. Keep one row per response_id, or, if it does not identify a row, map it to another name in dataset.yml (columns.surveys: {response_id: source_response_id}): each row is then identified by its file and line. Rows by response_id: r2, r2.
    surveys, column 'timestamp': 1 value could not be read as a date-time; expected ISO-8601 such as 2025-03-01T14:05:00Z. Rows by response_id: r2: x.
    surveys, column 'nps': 1 value is out of range; expected a whole number from 0 to 10. Rows by response_id: r2: 11.
    """
    name = name or table
    columns = table_columns(source, engine=engine, spark=spark)
    missing = [c for c in schemas.REQUIRED[table] if c not in columns]
    if missing:
        others = [c for c in columns if c not in schemas.REQUIRED[table]]
        return [Problem(name, _("required column '%(column)s' is missing; the file has %(columns)s. %(hint)s") % {
                    "column": c, "columns": ", ".join(columns) or _("no columns"),
                    "hint": _missing_column_hint(c, others, table)}, column=c) for c in missing]
    query, checks, key = check_query(table, columns)
    if not checks:
        return []
    found = execute(query, {"source": source}, engine=engine, spark=spark)
    problems = []
    for number, rows in found.groupby("check_number", sort=True):
        column, kind, _condition = checks[int(number)]
        count = int(rows["bad"].iloc[0])
        shown = ", ".join(_example(row, key, column, kind) for row in rows.itertuples(index=False))
        if count > len(rows):
            shown += " " + _("(and %(n)s more)") % {"n": count - len(rows)}
        problems.append(Problem(name, _message(table, column, kind, count) + " "
                                + _("Rows by %(key)s: %(rows)s.") % {"key": ", ".join(key), "rows": shown},
                                column=column, values=tuple(rows["value"]), count=count))
    return problems


def _example(row, key: list[str], column: str, kind: str) -> str:
    """One bad row as its key (times in UTC, ISO), and its value unless the check is on the key's own column."""
    values = row._asdict()
    names = [_text(values[c]) for c in key]
    shown = column in key or kind == "not_nullable"
    return " ".join(names) + ("" if shown else f": {values['value']}")


def _text(value) -> str:
    if isinstance(value, pd.Timestamp):
        stamp = value.tz_convert("UTC") if value.tz else value
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)

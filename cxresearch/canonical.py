"""Raw tables -> canonical tables: column mapping, locale-aware parsing and schema checks.

:func:`to_canonical` renames a raw table's columns (``dataset.yml`` ``columns``,
case- and space-insensitive), fills declared defaults, parses numbers and
timestamps in the export's locale and validates the result with the table's
pandera schema, reporting every problem with its file, column and lines.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import schemas
from .errors import MAX_EXAMPLES, Problem, ValidationReport, closest, did_you_mean, line_label
from .i18n import N_, _, format_count, format_list, ngettext
from .privacy import PII_COLUMNS
from .readers import snake
from .settings import CONFIG_FILE, DatasetSettings

NA_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "#n/a"})
#: Every spelling of the missing-value tokens in upper and lower case, for one hash look-up per cell.
_NA_SPELLINGS = pa.array(sorted({"".join(chars) for token in NA_TOKENS
                                 for chars in itertools.product(*({c.lower(), c.upper()} for c in token))}),
                         type=pa.large_string())

#: What a date-time column expects, in the problems.
ISO_EXAMPLE = N_("ISO-8601 such as 2025-03-01T14:05:00Z")
#: A date written year first (2025-03-01, 2025/03/01): read year, month, day whatever the day-first setting.
_YEAR_FIRST = r"\s*\d{4}\D"

#: Free-text columns: kept as written (never typed, never trimmed).
FREE_TEXT = ("comment", "text", "title", "description")


def to_canonical(raw: pd.DataFrame, table: str, name: str, config: DatasetSettings,
                  report: ValidationReport, *, later=None) -> pd.DataFrame | None:
    """Rename, parse and validate one table; problems go to *report*.

    *later*, when given, runs the checks that only warn (repeated events): ``later(check, *args)``
    calls ``check(*args, report)``, possibly on another thread; without it they run here.
    """
    before = len(report.problems)
    frame = _rename(raw, table, name, config.columns.get(table, {}), report)
    if frame is None:
        return None
    _suggest_mappings(frame, dict(zip(frame.columns, raw.columns)), table, name, config, report)
    frame = _fill_defaults(frame, table, name, config.defaults.get(table, {}), report)
    present = list(frame.columns)
    frame = _number_rows(frame, table, name, report)
    missing = [c for c in schemas.REQUIRED[table] if c not in frame.columns]
    for column in missing:
        hint = _missing_column_hint(column, [c for c in present if c not in schemas.REQUIRED[table]], table)
        report.problems.append(Problem(name, _("required column '%(column)s' is missing; the file has %(columns)s. "
                                               "%(hint)s") % {"column": column, "hint": hint,
                                                              "columns": ", ".join(map(str, present)) or _("no columns")},
                                       column=column))
    if missing:
        return None
    categories = _categories(frame.columns, table, name, config.categories.get(table, ()), report)
    if categories is None:
        return None
    config = _with_decimal_comma(frame, table, name, config, report, categories)
    parsed, blank = _parse(frame, table, name, config, report, categories)
    del frame
    _check_schema(parsed, table, name, report, empty=blank, mapping=config.columns.get(table, {}))
    if table == "events" and len(report.problems) == before:
        if later is None:
            _count_repeated_rows(parsed, name, report)
        else:
            later(_count_repeated_rows, parsed, name)
    required = list(schemas.REQUIRED[table])
    frame = parsed[required + [c for c in parsed.columns if c not in required]]
    return frame if len(report.problems) == before else None


def _suggest_mappings(frame: pd.DataFrame, exported: dict, table: str, name: str, config: DatasetSettings,
                      report: ValidationReport) -> None:
    """Note the columns that exports usually give an optional canonical column the table lacks
    (an NPS tool's "How likely are you to recommend us?"), with the mapping that would use them.

    *exported* maps each column's name after mapping to the export's own. A score is suggested
    only for a column of numbers (an airline survey's 'satisfaction' labels are not CSAT).
    """
    lacking = [c for c in schemas.OPTIONAL[table] if c in schemas.EXPORT_NAMES and c not in exported]
    others = [c for c in exported if c not in (*schemas.REQUIRED[table], *schemas.OPTIONAL[table])]
    looks = {}
    for column in lacking:
        for source in schemas.export_columns(column, others):
            if column not in schemas.NUMERIC[table] or _all_numbers(frame[source], config):
                looks.setdefault(source, []).append(column)
    for source, columns in looks.items():
        report.notes.append(ngettext(
            "%(file)s: column '%(export)s' looks like %(columns)s; map it under columns.%(table)s in %(config)s to "
            "use it (\"%(export)s\": %(column)s).",
            "%(file)s: column '%(export)s' looks like one of %(columns)s; map it under columns.%(table)s in "
            "%(config)s to use it (\"%(export)s\": %(column)s).", len(columns)) % {
                "file": name, "export": exported[source], "columns": ", ".join(columns), "table": table,
                "config": CONFIG_FILE, "column": columns[0]})


def _all_numbers(values: pd.Series, config: DatasetSettings) -> bool:
    """Whether every present value of a raw column reads as a number in the export's locale."""
    text = _text(values)
    return bool(text.notna().any()) and bool(_numbers(text[text.notna()], config).notna().all())


def _fill_defaults(frame: pd.DataFrame, table: str, name: str, defaults: dict,
                   report: ValidationReport) -> pd.DataFrame:
    """Apply ``dataset.yml`` ``defaults``: a column the export lacks gets the value, a blank cell of one it has too.

    The filled cells are counted in a note, so the page says how much of the column is the default.
    """
    filled = {}
    for column, value in defaults.items():
        if column not in frame.columns:
            filled[column] = value
            continue
        blank = _text(frame[column]).isna()
        n = int(blank.sum())
        if n:
            filled[column] = frame[column].astype(object).where(~blank, value)
            report.notes.append(ngettext(
                "%(file)s: %(n)s blank %(column)s cell filled with '%(value)s' (defaults.%(table)s in %(config)s).",
                "%(file)s: %(n)s blank %(column)s cells filled with '%(value)s' (defaults.%(table)s in %(config)s).",
                n) % {"file": name, "n": format_count(n), "column": column, "value": value, "table": table,
                      "config": CONFIG_FILE})
    return frame.assign(**filled)


def _categories(columns, table: str, name: str, declared, report: ValidationReport) -> set[str] | None:
    """The columns ``dataset.yml`` ``categories`` declares for *table* (by their names after mapping), or None
    when one is not a column of the file or is a canonical column, which has its own type."""
    found, ok = set(), True
    canonical = {*schemas.REQUIRED[table], *schemas.NUMERIC[table], *schemas.IDS, *schemas.LOWERCASE, *FREE_TEXT,
                 *schemas.TIMESTAMPS.get(table, schemas.DEFAULT_TIMESTAMPS)}
    for column in declared:
        key = snake(column)
        if key not in columns:
            report.problems.append(Problem(CONFIG_FILE, _("categories.%(table)s names '%(column)s', which is not a "
                                                          "column of %(file)s.") % {
                                                              "table": table, "column": column, "file": name}
                                           + did_you_mean(key, [str(c) for c in columns]), column=column))
            ok = False
        elif key in canonical:
            report.problems.append(Problem(CONFIG_FILE, _("categories.%(table)s names '%(column)s', a canonical "
                                                          "column with its own type; expected the export's other "
                                                          "columns, such as region codes.") % {
                                                              "table": table, "column": column}, column=column))
            ok = False
        else:
            found.add(key)
    return found if ok else None


def _number_rows(frame: pd.DataFrame, table: str, name: str, report: ValidationReport) -> pd.DataFrame:
    """Identify rows by file and line when the table's own row id is absent (see ``schemas.ROW_IDS``)."""
    column = schemas.ROW_IDS.get(table)
    if column is None or column in frame.columns:
        return frame
    stem = Path(name).stem
    report.notes.append(_("%(file)s has no %(column)s column: each row is identified by its file and line "
                          "(%(example)s for line 2).") % {"file": name, "column": column, "example": f"{stem}:2"})
    return frame.assign(**{column: [f"{stem}:{line}" for line in frame.index]})


def _missing_column_hint(column: str, present, table: str) -> str:
    """How to supply a missing required column: the closest present name, else a usual export name
    (naming the other usual names present: a ticket log's 'queue' beside its 'event')."""
    sources = [c for c in dict.fromkeys([closest(column, present), *schemas.export_columns(column, present)])
               if c is not None]
    if not sources:
        return _("Add it, or map it under columns.%(table)s in %(config)s (export name: %(column)s).") % {
            "table": table, "config": CONFIG_FILE, "column": column}
    values = {"source": sources[0], "table": table, "config": CONFIG_FILE, "column": column,
              "others": ", ".join(f"'{c}'" for c in sources[1:])}
    if len(sources) > 1:
        return _("Did you mean '%(source)s' (or %(others)s)? Rename that column, or map it under columns.%(table)s "
                 "in %(config)s (%(source)s: %(column)s).") % values
    return _("Did you mean '%(source)s'? Rename that column, or map it under columns.%(table)s in %(config)s "
             "(%(source)s: %(column)s).") % values


def _rename(raw: pd.DataFrame, table: str, name: str, mapping: dict, report: ValidationReport):
    by_snake = {snake(c): c for c in raw.columns}
    renames, ok = {}, True
    for export, canonical in mapping.items():
        source = export if export in raw.columns else by_snake.get(snake(export))
        if source is None:
            report.problems.append(Problem(CONFIG_FILE, _("columns.%(table)s maps '%(export)s', which is not a "
                                                          "column of %(file)s.") % {
                                                              "table": table, "export": export, "file": name}
                                           + did_you_mean(export, raw.columns), column=export))
            ok = False
        elif canonical in renames.values():
            other = next(k for k, v in renames.items() if v == canonical)
            report.problems.append(Problem(CONFIG_FILE, _("columns.%(table)s maps both '%(other)s' and '%(source)s' "
                                                          "to '%(canonical)s'; expected one source column per "
                                                          "canonical column.") % {
                                                              "table": table, "other": other, "source": source,
                                                              "canonical": canonical},
                                           column=canonical))
            ok = False
        else:
            renames[source] = canonical
    if not ok:
        return None
    columns = [renames.get(c, snake(c)) for c in raw.columns]
    recognised = schemas.recognised_columns(table, columns)
    if recognised:
        read = [f"'{export}' → {recognised[column]}" for export, column in zip(raw.columns, columns) if column in recognised]
        report.notes.append(ngettext("%(file)s: a column read by its name: %(columns)s; if it is not that column, "
                                     "map the right one under columns.%(table)s in %(config)s.",
                                     "%(file)s: columns read by their names: %(columns)s; if one is not that column, "
                                     "map the right one under columns.%(table)s in %(config)s.", len(read)) % {
                                         "file": name, "columns": ", ".join(read), "table": table,
                                         "config": CONFIG_FILE})
        columns = [recognised.get(c, c) for c in columns]
    clashes = sorted({c for c in columns if columns.count(c) > 1})
    if clashes:
        report.problems.append(Problem(name, ngettext("after mapping, the column %(columns)s appears twice; drop or "
                                                      "rename one in %(config)s.",
                                                      "after mapping, the columns %(columns)s appear twice; drop or "
                                                      "rename one of each in %(config)s.", len(clashes))
                                       % {"columns": ", ".join(clashes), "config": CONFIG_FILE}))
        return None
    return raw.set_axis(columns, axis=1)


def _numeric_columns(table: str, columns) -> list[str]:
    return [c for c in columns if c in schemas.NUMERIC[table] or (table == "surveys" and c.startswith("rating_"))]


def _parse(frame: pd.DataFrame, table: str, name: str, config: DatasetSettings, report: ValidationReport,
           categories: set[str]) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """The table with every column parsed, and for each required column which raw cells were blank.

    The *categories* columns stay text whatever their values (codes such as 1/2/3 are not quantities).
    """
    out, blank = {}, {}
    numeric = _numeric_columns(table, frame.columns)
    timestamps = schemas.TIMESTAMPS.get(table, schemas.DEFAULT_TIMESTAMPS)
    for column in frame.columns:
        values = frame[column]
        if column in schemas.REQUIRED[table] and (column in timestamps or column in numeric):
            blank[column] = _text(values).isna() if _is_text(values) else values.isna()
        if column in timestamps:
            out[column] = _parse_timestamps(values, name, column, config, report)
        elif column in numeric:
            out[column] = _parse_numbers(values, name, column, config, report)
        elif column in schemas.LOWERCASE and isinstance(values.dtype, pd.CategoricalDtype):
            out[column] = cleaned_categories(values, lower=True)  # spelled out by :func:`spelled_out` at the end
        elif column in schemas.IDS or column in schemas.LOWERCASE:
            out[column] = _text(values, lower=column in schemas.LOWERCASE)
        elif column in FREE_TEXT:
            out[column] = _text(values, strip=False)
        elif column in PII_COLUMNS:  # text, never tried as numbers or dates (and dropped unless keep_pii)
            out[column] = _text(values)
        elif column in categories:
            out[column] = _codes(values)
        else:
            out[column] = _infer_column(values, config)
            if _is_text(values) and pd.api.types.is_float_dtype(out[column]) and out[column].count() < values.count():
                _warn_typos(report, name, column, out[column].isna() & _text(values).notna(), values)
        if column in schemas.REQUIRED[table] and column not in blank:
            blank[column] = out[column].isna()
    return pd.DataFrame(out, index=frame.index, copy=False), blank  # the parsed columns, not copies (one block each)


def _warn_typos(report: ValidationReport, name: str, column: str, typos: pd.Series, values: pd.Series) -> None:
    """Warn of the values of a column of numbers that are no number (:data:`TYPOS`), read as missing."""
    if n := int(typos.sum()):
        lines = ", ".join(f"{line_label(name, line)}: {value!r}" for line, value in values[typos].head(MAX_EXAMPLES).items())
        report.warnings.append(ngettext(
            "%(file)s: %(column)s holds numbers but %(n)s value is not one (%(lines)s); read as missing. Correct it "
            "in the file.",
            "%(file)s: %(column)s holds numbers but %(n)s values are not (%(lines)s); read as missing. Correct them "
            "in the file.", n) % {"file": name, "n": format_count(n), "column": column, "lines": lines})


def _is_text(values: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(values) or values.dtype == object or isinstance(values.dtype, pd.CategoricalDtype)


def _text(values: pd.Series, *, strip: bool = True, lower: bool = False) -> pd.Series:
    """Text with missing-value tokens as NaN (leading zeros kept; case kept unless *lower*), computed in Arrow.

    Categories (text columns with few distinct values, see :func:`cxresearch.readers.read_raw`)
    are cleaned once per category, then spelled out per row.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return spelled_out(cleaned_categories(values, strip=strip, lower=lower))
    if not _is_text(values):
        values = values.astype("str").where(values.notna())
    text = arrow_strings(values)
    stripped = _unless_same(pc.utf8_trim_whitespace(text), text) if _may_be_padded(text) else text
    kept = stripped if strip else text
    if _may_be_shorter(stripped, _NA_BYTES):  # a look-up of each value only when one may be a token
        tokens = pc.is_in(stripped, value_set=_NA_SPELLINGS)
        if pc.any(tokens).as_py():
            kept = pc.if_else(tokens, pa.scalar(None, type=pa.large_string()), kept)
    if lower:
        kept = _unless_same(pc.utf8_lower(kept), kept)
    return text_series(kept, values.index, name=values.name)


#: Bytes of the longest missing-value token.
_NA_BYTES = max(len(token.encode()) for token in NA_TOKENS)
#: Bytes that may start or end a string with white space: ASCII controls and space, and any non-ASCII byte.
_PADDING_BYTES = np.r_[np.ones(33, dtype=bool), np.zeros(94, dtype=bool), np.ones(129, dtype=bool)]


def _may_be_padded(strings: pa.ChunkedArray) -> bool:
    """Whether some of the large *strings* may start or end with white space, from their bytes: none when
    every byte is printable ASCII other than space (one pass, no copy), else each string's first and last byte
    (a tenth of the CPU of trimming them: millions of ids seldom need it)."""
    for offsets, data in _buffers(strings):
        if not len(data) or (data.min() > 32 and data.max() < 127):
            continue
        starts, ends = offsets[:-1], offsets[1:]
        filled = ends > starts
        if not filled.all():
            starts, ends = starts[filled], ends[filled]
        if _PADDING_BYTES[data[starts - offsets[0]]].any() or _PADDING_BYTES[data[ends - 1 - offsets[0]]].any():
            return True
    return False


def _may_be_shorter(strings: pa.ChunkedArray, size: int) -> bool:
    """Whether some of the large *strings* are missing or hold at most *size* bytes (from their offsets)."""
    return bool(strings.null_count) or any(np.diff(offsets).min() <= size for offsets, _ in _buffers(strings))


def _buffers(strings: pa.ChunkedArray):
    """Each non-empty chunk of the large *strings* as its offsets and the bytes they span, as numpy views."""
    for chunk in strings.chunks:
        if len(chunk):
            _, offsets, data = chunk.buffers()
            offsets = np.frombuffer(offsets, dtype=np.int64)[chunk.offset:chunk.offset + len(chunk) + 1]
            data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
            yield offsets, data[offsets[0]:offsets[-1]]


def cleaned_categories(values: pd.Series, *, strip: bool = True, lower: bool = False) -> pd.Series:
    """A category column with its categories cleaned as :func:`_text` cleans text, each once.

    Categories that cleaning makes equal are merged; missing-value tokens become missing.
    """
    categories = values.cat.categories
    return recoded(values, _text(pd.Series(categories, dtype=categories.dtype), strip=strip, lower=lower))


def recoded(values: pd.Series, new: pd.Series) -> pd.Series:
    """The category column *values* with its i-th category replaced by ``new[i]`` (equal ones merged, NaN missing)."""
    codes, distinct = pd.factorize(new)
    old = values.cat.codes.to_numpy()
    if (codes == np.arange(len(codes))).all():  # every category kept as it was: the codes stay (no pass over rows)
        mapped = old
    else:
        mapped = np.append(codes, -1).astype(old.dtype).take(old)  # a missing value's code, -1, takes the -1 appended
    return pd.Series(pd.Categorical.from_codes(mapped, dtype=pd.CategoricalDtype(distinct), validate=False),
                     index=values.index, name=values.name)


def spelled_out(values: pd.Series) -> pd.Series:
    """A category column as a pandas ``str`` column (one Arrow take of its categories)."""
    categories = arrow_strings(pd.Series(values.cat.categories)).combine_chunks()
    codes = values.cat.codes.to_numpy()
    spelled = categories.take(pa.array(codes, mask=codes < 0))  # an Array's take: 2x a chunked one's
    return text_series(pa.chunked_array([spelled]), values.index, name=values.name)


def spelled_out_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """*frame* with each category column spelled out (:func:`spelled_out`), as the loader's tables are."""
    return frame.assign(**{column: spelled_out(frame[column]) for column, dtype in frame.dtypes.items()
                           if isinstance(dtype, pd.CategoricalDtype)})


def _unless_same(changed: pa.ChunkedArray, original: pa.ChunkedArray) -> pa.ChunkedArray:
    """*original* when *changed* holds the same strings: the read buffers are kept instead of a second copy."""
    return original if pc.all(pc.equal(changed, original)).as_py() is not False else changed


def arrow_strings(values: pd.Series) -> pa.ChunkedArray:
    """A text column as Arrow large strings (no copy for the ``str`` columns pandas reads)."""
    return values.astype("str").array.__arrow_array__().cast(pa.large_string())


def distinct_strings(strings: pa.ChunkedArray) -> pa.Array:
    """The distinct present values of *strings*, each once.

    A value repeated on consecutive rows (an export grouped by customer) is dropped before the
    hashing: comparing neighbours costs a fifth of hashing each string.

    Examples
    --------
    >>> distinct_strings(pa.chunked_array([["c1", "c1", None], ["c2", "c1"]])).to_pylist()
    ['c1', 'c2']
    """
    strings = strings.drop_null()
    if len(strings) > 1:
        changed = strings[1:].filter(pc.not_equal(strings[1:], strings[:-1]))
        strings = pa.chunked_array(strings[:1].chunks + changed.chunks, type=strings.type)
    return pc.unique(strings)


def text_series(strings: pa.ChunkedArray, index: pd.Index, *, name=None) -> pd.Series:
    """Arrow strings as a pandas ``str`` column."""
    return pd.Series(pd.array(strings, dtype="str"), index=index, name=name)


def _parse_numbers(values: pd.Series, name: str, column: str, config: DatasetSettings, report: ValidationReport) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    text = _text(values)
    numbers = _numbers(text, config)
    bad = numbers.isna() & text.notna()
    report_values(report, name, column, bad, values, "number", _("a number with a decimal comma")
                  if config.csv.get("decimal") == "," else _("a number"))
    return numbers.astype(float)


#: A number as written with a decimal comma (7,5; 1.234,5; 12) and as written with a decimal point (7.5; 1,234.5).
_COMMA_NUMBER = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?"
_POINT_NUMBER = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?"


def _with_decimal_comma(frame: pd.DataFrame, table: str, name: str, config: DatasetSettings,
                        report: ValidationReport, categories: set[str]) -> DatasetSettings:
    """*config* reading this file's numbers with a decimal comma when they are unambiguously written so.

    Only without ``csv.decimal``, and only when a number column holds a comma: then
    each number column's values are read both ways. Values only a decimal comma reads
    (7,5; 1.234,5) in some column and none only a decimal point reads (7.5; 1,234,567)
    in any: the comma is the decimal separator (said in a note). Values of both kinds,
    or commas that could be thousands separators (1,234) alone: one problem names the
    columns and the setting that decides.
    """
    if "decimal" in config.csv:
        return config
    canonical = set(_numeric_columns(table, frame.columns))
    others = [c for c in frame.columns if c not in canonical and c not in categories and _inferred(c, table)]
    if not any(_has_comma(frame[c], numbers_only=c not in canonical) for c in [*canonical, *others]):
        return config
    comma, point, either = {}, {}, {}
    for column in [c for c in frame.columns if (c in canonical or c in others) and _is_text(frame[c])]:
        present = _text(frame[column]).dropna()
        by_comma = present.str.fullmatch(_COMMA_NUMBER)
        by_point = present.str.fullmatch(_POINT_NUMBER)
        if column not in canonical and not (by_comma | by_point).all():
            continue  # a text column with commas, not numbers
        for found, rows in ((comma, by_comma & ~by_point), (point, by_point & ~by_comma),
                            (either, by_comma & by_point & present.str.contains(",", regex=False))):
            if rows.any():
                found[column] = present[rows].iloc[0]
    if comma and not point:
        report.notes.append(_("%(file)s: numbers are written with a decimal comma (such as %(example)s in "
                              "%(column)s); read so. Set csv.decimal in %(config)s to say so.") % {
                                  "file": name, "example": next(iter(comma.values())), "column": next(iter(comma)),
                                  "config": CONFIG_FILE})
        return replace(config, csv={**config.csv, "decimal": ","})
    if comma or either:
        shown = comma or either
        values = {"examples": format_list(f"{v} ({c})" for c, v in shown.items()), "config": CONFIG_FILE,
                  "others": format_list(f"{v} ({c})" for c, v in point.items())}
        report.problems.append(Problem(name, _(
            "numbers such as %(examples)s have a decimal comma, others such as %(others)s a decimal point; expected "
            "one decimal separator in a file. Write every number one way, and set `csv: {decimal: \",\"}` in "
            "%(config)s if it is the comma.") % values if comma else _(
            "numbers such as %(examples)s may have a decimal comma or a thousands separator; set `csv: {decimal: "
            "\",\"}` in %(config)s if the comma is the decimal separator, `csv: {decimal: \".\"}` if it separates "
            "thousands.") % values))
    return config


def _inferred(column: str, table: str) -> bool:
    """Whether a column is one of the export's own that :func:`_infer_column` types by its values."""
    return not (column in schemas.REQUIRED[table] or column in schemas.IDS or column in schemas.LOWERCASE
                or column in FREE_TEXT or column in schemas.TIMESTAMPS.get(table, schemas.DEFAULT_TIMESTAMPS)
                or CODE_NAMES.search(str(column)))


def _has_comma(values: pd.Series, *, numbers_only: bool) -> bool:
    """Whether a text column holds a comma (one look in Arrow); when *numbers_only*, whether its first thousand
    values are numbers, one with a comma (a column of texts with commas is not looked at further)."""
    if not _is_text(values) or isinstance(values.dtype, pd.CategoricalDtype):
        return False
    if not numbers_only:
        return bool(pc.any(pc.match_substring(arrow_strings(values), ",")).as_py())
    sample = _text(values.iloc[:1000]).dropna()
    return bool(sample.str.contains(",", regex=False).any()
                and sample.str.fullmatch(f"{_COMMA_NUMBER}|{_POINT_NUMBER}").all())


def _parse_timestamps(values: pd.Series, name: str, column: str, config: DatasetSettings,
                      report: ValidationReport) -> pd.Series:
    """Parse ISO-8601 (any offset) and, failing that, locale dates; naive ones in the dataset's zone."""
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = values.dt.tz_convert("UTC") if values.dt.tz is not None else _localize(values, config.timezone)
        return stamps.dt.as_unit("us")
    text = _text(values)
    if config.timezone == "UTC":
        stamps = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    else:
        aware = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", na=False)
        stamps = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
        stamps[aware] = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
        naive = pd.to_datetime(text[~aware], format="ISO8601", errors="coerce")
        stamps[~aware] = _localize(naive, config.timezone)
    retry = stamps.isna() & text.notna()
    if retry.any():
        again = text[retry]
        year_first = again.str.match(_YEAR_FIRST)   # 2025/03/01 is year, month, day, day-first or not
        dayfirst = _day_first(again[~year_first], name, column, config, report)
        for rows, day_first in ((again[year_first], False), (again[~year_first], dayfirst)):
            fallback = pd.to_datetime(rows, format="mixed", dayfirst=day_first, errors="coerce")
            if fallback.dt.tz is None:
                fallback = _localize(fallback, config.timezone)
            stamps[rows.index] = fallback.dt.tz_convert("UTC")
    stamps = stamps.dt.as_unit("us")
    bad = stamps.isna() & text.notna()
    if (bad & text.str.match(_YEAR_FIRST, na=False)).any():   # 2025-13-01: no month 13
        expected = _("a date starting with its year in year, month, day order, as ISO-8601 such as "
                     "2025-03-01T14:05:00Z")
    elif config.csv.get("dayfirst"):
        expected = _("ISO-8601 such as 2025-03-01T14:05:00Z or day-first dates such as 01/03/2025 14:05")
    else:
        expected = _(ISO_EXAMPLE)
    report_values(report, name, column, bad, values, "timestamp", expected)
    future = int((stamps > pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)).sum())
    if future:
        report.warnings.append(ngettext("%(file)s: %(n)s %(column)s value lies in the future; check the export's "
                                        "clock or time zone.",
                                        "%(file)s: %(n)s %(column)s values lie in the future; check the export's "
                                        "clock or time zone.", future)
                               % {"file": name, "n": format_count(future), "column": column})
    return stamps


def _day_first(text: pd.Series, name: str, column: str, config: DatasetSettings, report: ValidationReport) -> bool:
    """Whether numeric dates such as 03/01/2025 put the day first: dataset.yml's ``csv.dayfirst``, else the values.

    Without the setting, a value whose first number exceeds 12 (15/01/2025) shows the
    day comes first, one whose second does (01/15/2025) that the month does; every
    value is then read the same way, and a file showing both orders is a problem.
    """
    if config.csv.get("dayfirst") is not None:
        return bool(config.csv["dayfirst"])
    parts = text.str.extract(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})\b").astype(float)
    year = parts[2].where(parts[2] >= 100, parts[2] + 2000)
    day_month, month_day = _calendar_date(year, parts[1], parts[0]), _calendar_date(year, parts[0], parts[1])
    day_first, month_first = (parts[0] > 12) & day_month, (parts[1] > 12) & month_day  # 31/02 shows neither
    if day_first.any() and month_first.any():
        later = text[month_first]   # the rows read otherwise than the first order found
        report.problems.append(Problem(name, _("dates in both day-first (%(day_first)s) and month-first "
                                               "(%(month_first)s) order; expected one order in a column.") % {
                                                   "day_first": text[day_first].iloc[0], "month_first": later.iloc[0]},
                                       column=column, lines=tuple(int(i) for i in later.index[:MAX_EXAMPLES]),
                                       values=tuple(later.iloc[:MAX_EXAMPLES]), count=len(later)))
    elif day_first.any():
        report.notes.append(_("%(file)s: %(column)s read day-first, as values such as %(example)s require; set "
                              "csv.dayfirst in dataset.yml to say so.") % {
                                  "file": name, "column": column, "example": text[day_first].iloc[0]})
        return True
    elif (either := day_month & month_day).any() and not month_first.any():
        report.warnings.append(_("%(file)s: %(column)s dates such as %(example)s could be day-first or month-first; "
                                 "read month-first. Set csv.dayfirst: true in dataset.yml if the day comes first.")
                               % {"file": name, "column": column, "example": text[either].iloc[0]})
    return False


def _calendar_date(year: pd.Series, month: pd.Series, day: pd.Series) -> pd.Series:
    """Whether each year, month and day make a date of the calendar (false where one is missing)."""
    parts = pd.DataFrame({"year": year, "month": month, "day": day}).dropna()
    real = pd.to_datetime(parts, errors="coerce").notna() if len(parts) else pd.Series(dtype=bool)
    return real.reindex(year.index, fill_value=False)


def _localize(naive: pd.Series, timezone: str) -> pd.Series:
    """Naive local times -> UTC; the repeated hour when clocks go back is read as standard time."""
    standard_time = np.zeros(len(naive), dtype=bool)
    return naive.dt.tz_localize(timezone, ambiguous=standard_time, nonexistent="shift_forward").dt.tz_convert("UTC")


def _codes(values: pd.Series) -> pd.Series:
    """A category column as text; whole numbers (a Parquet file's int or float codes) written without '.0'."""
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")
    return _text(values)


#: Share of the values of an export's column of numbers that may be typos ("quarantadue" among ages): they are
#: read as missing, with a warning, and the column stays numbers.
TYPOS = 0.01
#: Names of non-canonical columns kept as text whatever their values: ids, codes, zips, phone numbers.
CODE_NAMES = re.compile(r"(^|_)(id|code|phone)$|^zip")
#: Names of non-canonical text columns read as date-times when every value is one.
DATE_NAMES = re.compile(r"(^|_)(date|at)$")


def _infer_column(values: pd.Series, config: DatasetSettings, rows: np.ndarray | None = None) -> pd.Series:
    """A non-canonical column: numeric when every value but a few typos (:data:`TYPOS`) is a number, date-time
    when named so and every value is one. *rows*, when given, counts the rows holding each value (the distinct
    values of a category column).

    Ids, codes and phone numbers (``id``, ``*_id``, ``*_code``, ``zip*``, ``phone``,
    ``*_phone``) and values with leading zeros stay text.
    """
    if CODE_NAMES.search(str(values.name)):
        return _text(values)
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values
    if isinstance(values.dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(values.cat.categories):
        return _infer_categories(values, config)
    text = _text(values)
    strings = arrow_strings(text)
    present = len(strings) - strings.null_count
    zero_first = strings.filter(pc.fill_null(pc.starts_with(strings, "0"), False))
    if not present or (len(zero_first) and pc.any(pc.match_substring_regex(zero_first, r"^0\d")).as_py()):
        return text
    sample = text_series(strings.drop_null().slice(0, 1000), pd.RangeIndex(min(present, 1000)))
    if _numbers(sample, config).notna().mean() >= 0.9:  # a cheap look before converting every value
        numbers = _numbers(text, config)
        weights = np.ones(len(text)) if rows is None else rows
        if weights[numbers.notna().to_numpy()].sum() >= weights[text.notna().to_numpy()].sum() * (1 - TYPOS):
            return numbers.astype(float)   # the other values are typos, reported by _parse
    if values.name and DATE_NAMES.search(str(values.name)):
        stamps = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
        if stamps.notna().sum() == present:
            return stamps.dt.as_unit("us")
    return text


def _infer_categories(values: pd.Series, config: DatasetSettings) -> pd.Series:
    """:func:`_infer_column` of a category column, inferred once per distinct value in use.

    Text stays a category column, cleaned (the loader spells it out with :func:`spelled_out` at the end).
    """
    counts = category_counts(values)
    used = counts > 0
    distinct = _infer_column(pd.Series(values.cat.categories[used], name=values.name), config, rows=counts[used])
    if pd.api.types.is_string_dtype(distinct):
        return cleaned_categories(values)
    position = np.cumsum(used) - 1
    codes = values.cat.codes.to_numpy()
    rows = np.where(codes < 0, -1, position.take(codes))
    return pd.Series(pd.api.extensions.take(distinct.array, rows, allow_fill=True), index=values.index,
                     name=values.name)


def used_categories(values: pd.Series) -> np.ndarray:
    """Which categories of a category column some row holds."""
    return category_counts(values) > 0


#: Codes of a category column counted at a time (:func:`category_counts`).
_CODES_BLOCK = 1 << 16


def category_counts(values: pd.Series) -> np.ndarray:
    """How many rows hold each category of a category column, its codes counted a block at a time
    (no index array of the column's length: a third of the CPU of counting them at once)."""
    codes = values.cat.codes.to_numpy()
    counts = np.zeros(len(values.cat.categories) + 1, dtype=np.int64)
    for start in range(0, len(codes), _CODES_BLOCK):
        block = codes[start:start + _CODES_BLOCK].astype(np.intp)
        block += 1  # a missing value's code, -1, counts in the first place
        counts += np.bincount(block, minlength=len(counts))
    return counts[1:]


def _numbers(text: pd.Series, config: DatasetSettings) -> pd.Series:
    """Numbers of text in the export's locale (NaN where a value is not one); with a declared decimal point, commas
    that group thousands (1,234.5) are read too."""
    if config.csv.get("decimal") == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    elif config.csv.get("decimal") == ".":
        grouped = text.str.fullmatch(_POINT_NUMBER).fillna(False) & text.str.contains(",", regex=False).fillna(False)
        text = text.where(~grouped, text.str.replace(",", "", regex=False))
    return pd.to_numeric(text, errors="coerce")


def report_values(report: ValidationReport, name: str, column: str, bad: pd.Series, values: pd.Series,
                  kind: str, expected: str) -> None:
    """Report the *bad* rows of *values* as failing the check *kind* (see :func:`failed_check`), with *expected*."""
    n = int(bad.sum())
    if not n:
        return
    rows = values[bad]
    report.problems.append(Problem(name, failed_check(kind, n) % {"n": format_count(n), "expected": expected},
                                   column=column,
                                   lines=tuple(int(i) for i in rows.index[:MAX_EXAMPLES]),
                                   values=tuple(rows.iloc[:MAX_EXAMPLES].tolist()), count=n))


def failed_check(kind: str, n: int) -> str:
    """What *n* values failing the check *kind* are, with ``%(n)s`` and ``%(expected)s`` to fill in.

    *kind* is a schema check (``not_nullable``, ``field_uniqueness``, ``whole_number``,
    ``out_of_range``) or a parse (``number``, ``timestamp``, ``scope``).
    """
    what = {
        "not_nullable": lambda: ngettext("%(n)s value is empty", "%(n)s values are empty", n),
        "field_uniqueness": lambda: ngettext("%(n)s value is duplicated", "%(n)s values are duplicated", n),
        "whole_number": lambda: ngettext("%(n)s value is not a whole number", "%(n)s values are not whole numbers", n),
        "out_of_range": lambda: ngettext("%(n)s value is out of range", "%(n)s values are out of range", n),
        "number": lambda: ngettext("%(n)s value is not a number", "%(n)s values are not numbers", n),
        "timestamp": lambda: ngettext("%(n)s value could not be read as a date-time",
                                      "%(n)s values could not be read as a date-time", n),
        "scope": lambda: ngettext("%(n)s value is not a channel, touchpoint or stage of the data",
                                  "%(n)s values are not channels, touchpoints or stages of the data", n),
    }.get(kind, lambda: ngettext("%(n)s value fails a check", "%(n)s values fail a check", n))()
    # TRANSLATORS: what is wrong with some values ("3 values are empty"), then what the column expects.
    return _("%(what)s; expected %(expected)s.") % {"what": what, "expected": "%(expected)s"}


def _check_schema(frame: pd.DataFrame, table: str, name: str, report: ValidationReport,
                  *, empty: dict[str, pd.Series], mapping: dict) -> None:
    """Check each column against its field in the table's pandera schema and turn failures into problems.

    The field's nullability, uniqueness and checks (ranges, whole numbers) are
    evaluated column by column on whole arrays, without pandera's per-failure
    bookkeeping, so a table of millions of rows is checked in seconds. *empty*
    marks the raw cells that were blank, so a value already reported as
    unreadable is not reported again as missing; *mapping* (``columns.<table>``)
    names the export's columns in the suggested fixes.
    """
    schema = schemas.SCHEMAS[table].to_schema()
    failures = []
    for column in frame.columns:
        field = _field(schema, column)
        if field is None:
            continue
        values = frame[column]
        missing = values.isna()
        if not field.nullable:
            blank = missing & empty[column] if column in empty else missing
            failures.append((column, "not_nullable", blank, "" if column in empty else None))
        if field.unique:
            failures.append((column, "field_uniqueness", values.duplicated(keep=False) & ~missing, None))
        present = values[~missing] if field.checks else values  # a copy of the column only when it is checked
        for check in field.checks:
            passed = check(present).check_output
            kind = "out_of_range" if check.name.startswith(("greater", "less", "in_range")) else check.name
            failures.append((column, kind, values.index.isin(passed.index[~passed.to_numpy(dtype=bool)]), None))
    by_kind: dict[tuple[str, str], tuple[np.ndarray, object]] = {}
    for column, kind, rows, shown in failures:
        rows = np.asarray(rows, dtype=bool)
        if rows.any():
            earlier = by_kind.get((column, kind), (False, shown))[0]
            by_kind[column, kind] = (rows | earlier, shown)
    for (column, kind), (rows, shown) in sorted(by_kind.items()):
        failed = frame[column][rows]
        values = ([shown] * min(len(failed), MAX_EXAMPLES) if shown is not None
                  else [int(v) if isinstance(v, float) and v.is_integer() else v
                        for v in failed.iloc[:MAX_EXAMPLES].tolist()])
        report.problems.append(Problem(
            name, failed_check(kind, len(failed)) % {"n": format_count(len(failed)),
                                                     "expected": _expected(schema, column)}
            + _fix_hint(table, column, kind, mapping),
            column=column,
            lines=tuple(int(i) for i in failed.index[:MAX_EXAMPLES]), values=tuple(values), count=len(failed)))


def _fix_hint(table: str, column: str, kind: str, mapping: dict) -> str:
    """How to fix a failed check where the export, not the data, is at fault (empty text if none applies).

    Blank channels or touchpoints can take a declared default; a row id that repeats
    (one review covering several orders) can give way to numbering rows by file and line.
    """
    if kind == "not_nullable" and column in schemas.LOWERCASE:
        return " " + _("Fill them in, or declare a value for the blank cells under defaults.%(table)s in %(config)s, "
                       "such as `%(column)s: unknown`.") % {"table": table, "config": CONFIG_FILE, "column": column}
    if kind == "field_uniqueness" and column in schemas.ROW_IDS.get(table, ()) and table != "customers":
        export = next((source for source, target in mapping.items() if target == column), None)
        values = {"column": column, "export": export, "table": table, "config": CONFIG_FILE}
        if export is not None:
            return " " + _("Keep one row per %(column)s, or, if it does not identify a row, remove '%(export)s: "
                           "%(column)s' from columns.%(table)s in %(config)s: each row is then identified by its "
                           "file and line.") % values
        return " " + _("Keep one row per %(column)s, or, if it does not identify a row, map it to another name in "
                       "%(config)s (columns.%(table)s: {%(column)s: source_%(column)s}): each row is then identified "
                       "by its file and line.") % values
    return ""


def _count_repeated_rows(events: pd.DataFrame, name: str, report: ValidationReport) -> None:
    """Warn about events that repeat an earlier row in every column; they are kept (see docs/CONTRACT.md).

    Only rows sharing their customer and timestamp with another row (:func:`_same_customer_and_time`)
    are compared in full.
    """
    customers = pc.dictionary_encode(arrow_strings(events["customer_id"]).combine_chunks()).indices
    customers = np.asarray(pc.fill_null(customers, -1))
    candidates = events.take(np.flatnonzero(_same_customer_and_time(customers, events["timestamp"].array.asi8)))
    repeated = candidates.duplicated()
    n = int(repeated.sum())
    if not n:
        return
    at = np.flatnonzero(repeated.to_numpy())[0]
    hashes = pd.util.hash_pandas_object(candidates, index=False).to_numpy()
    line, first = candidates.index[at], candidates.index[np.flatnonzero(hashes == hashes[at])[0]]
    report.warnings.append(ngettext(
        "%(file)s: %(n)s row repeats an earlier row in every column (%(line)s repeats %(first)s); kept as a separate "
        "event: with times to the day or the second, it can be a real repeat (two purchases). If the export doubled "
        "it, remove it from the file.",
        "%(file)s: %(n)s rows repeat an earlier row in every column (%(line)s repeats %(first)s, for example); kept "
        "as separate events: with times to the day or the second, they can be real repeats (two purchases). If the "
        "export doubled them, remove them from the file.", n)
        % {"file": name, "n": format_count(n), "line": line_label(name, line), "first": line_label(name, first)})


def _same_customer_and_time(customers: np.ndarray, stamps: np.ndarray) -> np.ndarray:
    """Which rows may share their customer (codes numbered by first appearance) and timestamp with another row.

    An export grouped by customer and in time order within each (as most are) holds such rows side by
    side: neighbours are compared, no sort. One in time order holds them among rows that share their time
    with a neighbour; only those are sorted. Otherwise a sort of one hash per row finds them (a few rows
    more may be marked where hashes collide).
    """
    same_customer = customers[1:] == customers[:-1]
    in_time_order = stamps[1:] >= stamps[:-1]
    if (customers[1:] >= customers[:-1]).all() and (in_time_order | ~same_customer).all():
        return _beside_equal(same_customer & (stamps[1:] == stamps[:-1]))
    rows = np.flatnonzero(_beside_equal(stamps[1:] == stamps[:-1])) if in_time_order.all() else slice(None)
    keys = customers[rows].astype("uint64")
    keys *= np.uint64(0x9E3779B97F4A7C15)
    keys ^= stamps[rows].view("uint64")  # in place: each temporary of 21M rows costs its memory's first touch again
    shared = np.zeros(len(stamps), dtype=bool)
    shared[rows] = _shared(keys)
    return shared


def _beside_equal(equal: np.ndarray) -> np.ndarray:
    """Which rows equal a neighbour, from *equal*: whether each row but the first equals the one before."""
    beside = np.zeros(len(equal) + 1, dtype=bool)
    beside[1:] = equal
    beside[:-1] |= equal
    return beside


def _shared(values: np.ndarray) -> np.ndarray:
    """Which of *values* occur more than once: a sort finds the repeated values, a look-up marks their rows
    (a tenth of the CPU of ``Series.duplicated(keep=False)`` when few values repeat)."""
    ordered = np.sort(values)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    return pd.Series(values).isin(repeated).to_numpy() if len(repeated) else np.zeros(len(values), dtype=bool)


def _field(schema, column: str):
    """The schema's field for *column* (by name, or by a field's regular expression), or None."""
    for key, spec in schema.columns.items():
        if key == column or (spec.regex and re.fullmatch(key, column)):
            return spec
    return None


def _expected(schema, column: str) -> str:
    field = _field(schema, column)
    description = (field.description if field is not None else None) or N_("a valid value")
    bounds = re.fullmatch(r"a whole number from (\S+) to (\S+)", description)
    if bounds:
        return _("a whole number from %(low)s to %(high)s") % {"low": bounds[1], "high": bounds[2]}
    return _(description)

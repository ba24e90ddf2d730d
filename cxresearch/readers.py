"""Raw table files as found: byte sniffing, decoding, CSV parsing with line numbers.

:func:`find_file` locates a table's file in a dataset folder; :func:`read_raw`
reads it as text columns indexed by 1-based file line, reporting what makes it
unreadable (spreadsheets, binary data, broken encodings, unquoted separators).
"""
from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from .errors import MAX_EXAMPLES, Problem, ValidationReport
from .i18n import N_, _, format_list, ngettext
from .schemas import TABLES
from .settings import CONFIG_FILE, DatasetSettings

SUFFIXES = (".csv", ".csv.gz", ".parquet")

#: Spreadsheet files a user may drop in the folder instead of a CSV; not read, but named in a warning.
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")

#: Text columns of a Parquet file with at most this many distinct values in its first rows (channels,
#: touchpoints, stages, languages...) are read as categories, so that trimming, lower-casing and the missing-value
#: check run once per distinct value (:func:`cxresearch.canonical.to_canonical`) instead of once per cell.
FEW_VALUES = 1000

#: CSV files from this size on are parsed by pyarrow (see :func:`_read_large_csv`).
LARGE_CSV_BYTES = 32 * 2**20

_SIGNATURES = {
    b"PK\x03\x04": N_("an Excel .xlsx workbook (or another zip archive)"),
    b"\xd0\xcf\x11\xe0": N_("an old Excel .xls workbook"),
    b"PAR1": N_("a Parquet file (rename it to .parquet)"),
}


def find_file(folder: Path, table: str, config: DatasetSettings, report: ValidationReport) -> Path | None:
    if table in config.files:
        file = folder / config.files[table]
        if not file.is_file():
            report.problems.append(Problem(CONFIG_FILE, _("files.%(table)s names '%(file)s', which is not in the "
                                                          "dataset folder.") % {"table": table,
                                                                                "file": config.files[table]}))
            return None
        return file
    found = [folder / f"{table}{suffix}" for suffix in SUFFIXES if (folder / f"{table}{suffix}").is_file()]
    if len(found) > 1:
        report.problems.append(Problem(found[0].name, _("%(files)s both exist; expected one file per table.") % {
            "files": format_list(f.name for f in found)}))
        return None
    if not found:
        _warn_spreadsheets(folder, table, report)
    return found[0] if found else None


def _warn_spreadsheets(folder: Path, table: str, report: ValidationReport) -> None:
    """Name a table's spreadsheet (``customers.xlsx``...) or other file (``surveys.txt``) that stands where its
    CSV should be."""
    for file in sorted(folder.glob(f"{table}.*")):
        if file.suffix in SPREADSHEET_SUFFIXES:
            report.warnings.append(_(
                "%(file)s is a spreadsheet and was not read, so the %(table)s table is missing: save it as "
                "CSV (UTF-8) named %(table)s.csv (in Excel: File > Save As > CSV UTF-8).") % {
                    "file": file.name, "table": table})
        elif file.is_file():
            report.warnings.append(_(
                "%(file)s was not read, so the %(table)s table is missing: only .csv, .csv.gz and .parquet files "
                "are. If it is the table as text (comma-, semicolon- or tab-separated, UTF-8 or Excel's Unicode "
                "text), declare it in %(config)s: files: {%(table)s: %(file)s}.") % {
                    "file": file.name, "table": table, "config": CONFIG_FILE})


def unread_files(folder: Path) -> str:
    """A sentence naming the files of *folder* that hold no table read (empty when there are none), for the
    problem that no table file was found."""
    files = sorted(f.name for f in folder.iterdir() if f.is_file() and not f.name.startswith(".")
                   and f.name != CONFIG_FILE)
    if not files:
        return ""
    table, file = next(((f.split(".")[0], f) for f in files if f.split(".")[0] in TABLES), ("events", files[0]))
    return " " + ngettext(
        "The folder holds %(files)s: if it is a table as text (comma-, semicolon- or tab-separated, UTF-8 or Excel's "
        "Unicode text), declare it in %(config)s, such as files: {%(table)s: %(file)s}.",
        "The folder holds %(files)s: if one is a table as text (comma-, semicolon- or tab-separated, UTF-8 or "
        "Excel's Unicode text), declare it in %(config)s, such as files: {%(table)s: %(file)s}.", len(files)) % {
            "files": format_list(files[:5]) + ("..." if len(files) > 5 else ""), "file": file,
            "table": table, "config": CONFIG_FILE}


def read_raw(file: Path, config: DatasetSettings, report: ValidationReport) -> pd.DataFrame | None:
    """Read a table file as found: text columns, index = 1-based line (or row) numbers."""
    def problem(message):
        report.problems.append(Problem(file.name, message))
    if file.suffix == ".parquet":
        try:
            frame = _read_parquet(file)
        except Exception as exc:  # pyarrow raises many types for a corrupt file
            problem(_("could not be read as Parquet (%(error)s).") % {"error": f"{type(exc).__name__}: {exc}"})
            return None
        frame.index = np.arange(1, len(frame) + 1)
        return frame
    data = file.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            problem(_("is gzip-compressed but corrupt or truncated (%(error)s); download or export it again.")
                    % {"error": exc})
            return None
        if file.suffix != ".gz":
            report.notes.append(_("%(file)s is gzip-compressed; read it decompressed.") % {"file": file.name})
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            problem(_("is %(kind)s, not CSV text; export the sheet as CSV (UTF-8).") % {"kind": _(kind)})
            return None
    encoding = config.csv.get("encoding")
    utf16 = _utf16_codec(data, encoding)
    if utf16:
        text = _decode(data, utf16, file.name, report)
        if text is None:
            return None
        if not encoding:
            report.notes.append(_("%(file)s is UTF-16 text (%(kind)s); read it as %(encoding)s.") % {
                "file": file.name, "kind": _(_UTF16_KINDS[utf16]), "encoding": utf16})
        data, encoding = text.encode("utf-8"), "utf-8"
    if b"\x00" in data[:8192]:
        problem(_("is a binary file, not CSV text; expected comma- or semicolon-separated text "
                  "(if it is text in another encoding, declare it as csv.encoding in dataset.yml)."))
        return None
    if len(data) >= LARGE_CSV_BYTES:
        frame = _read_large_csv(data, encoding, config.csv.get("sep"), file.name)
        if frame is not None:
            return _without_blank_rows(frame, file.name, report)
    text = _decode(data, encoding, file.name, report)
    if text is None:
        return None
    leading = len(text) - len(text.lstrip("\r\n"))
    offset = text[:leading].count("\n")
    text = text[leading:]
    if not text.strip():
        problem(_("is empty; expected a header line naming the columns, then one row per line."))
        return None
    header_line = text.split("\n", 1)[0]
    sep = config.csv.get("sep") or _sniff_separator(header_line)
    try:
        header = next(csv.reader([header_line], delimiter=sep))
    except csv.Error as exc:  # a carriage return alone inside the header line
        problem(_("has a header line that cannot be read as CSV (%(error)s); expected column names on the first "
                  "line, then one row per line (with Windows or Unix line breaks).") % {"error": exc})
        return None
    if not _unique_header(header, file.name, report):
        return None
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False,
                            skip_blank_lines=False, header=0)
    except (pd.errors.ParserError, csv.Error, ValueError) as exc:
        frame, failure = None, _("%(error)s. Check for unbalanced quotes or rows with extra separators.") % {
            "error": str(exc).strip()}
    if frame is None or not isinstance(frame.index, pd.RangeIndex):  # pandas made an index of extra leading fields
        long_rows = _long_rows(text, sep, len(header), file.name, offset)
        if long_rows or frame is None:
            report.problems.append(long_rows or Problem(file.name, _("could not be parsed as CSV with separator "
                                                                     "%(sep)s: %(failure)s") % {
                                                                         "sep": repr(sep), "failure": failure}))
            return None
    frame.index = _line_numbers(frame, text, offset)
    return _without_blank_rows(frame, file.name, report)


def _read_parquet(file: Path) -> pd.DataFrame:
    """A Parquet file as pandas; text columns with few distinct values as categories (see :data:`FEW_VALUES`),
    dates as ISO text."""
    parquet = pq.ParquetFile(file)
    text = [f.name for f in parquet.schema_arrow if pyarrow.types.is_string(f.type) or pyarrow.types.is_large_string(f.type)]
    few = []
    if text and parquet.metadata.num_rows:
        first = next(pq.ParquetFile(file, read_dictionary=text).iter_batches(batch_size=1 << 16, columns=text))
        few = [c for c in text if len(first.column(c).dictionary) <= FEW_VALUES]
    table = pq.read_table(file, read_dictionary=few)
    for i, column in enumerate(table.schema):
        if pyarrow.types.is_date(column.type):  # as ISO text, as a CSV holds dates (not a Python object per cell)
            table = table.set_column(i, column.name, table.column(i).cast(pyarrow.large_string()))
    return table.to_pandas()


def _without_blank_rows(frame: pd.DataFrame, name: str, report: ValidationReport) -> pd.DataFrame:
    blank = (frame == "").all(axis=1)
    if not (~blank).any():
        report.warnings.append(_("%(file)s has a header but no rows.") % {"file": name})
    return frame.loc[~blank]


def _read_large_csv(data: bytes, encoding: str | None, sep: str | None, name: str) -> pd.DataFrame | None:
    """Parse a large UTF-8 CSV with pyarrow (every column as text, Arrow-backed), with a progress bar.

    Returns None, leaving the file to the exact reader, whenever a line number
    could come out wrong or a problem must be reported: another encoding,
    leading blank lines, a bad header, quoted newlines or blank lines (rows
    then differ from lines), or anything pyarrow cannot parse.
    """
    if encoding and codecs.lookup(encoding).name != "utf-8":
        return None
    data = data.removeprefix(b"\xef\xbb\xbf")
    header_line, _, _ = data[:1 << 16].partition(b"\n")
    try:
        header_line = header_line.decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return None
    sep = sep or _sniff_separator(header_line)
    try:
        header = next(csv.reader([header_line], delimiter=sep), [])
    except csv.Error:
        return None
    if not header or data[:1] in (b"\r", b"\n") or not _unique_header(header, name, ValidationReport(Path(name))):
        return None
    source = pyarrow.BufferReader(data)
    try:
        reader = pa_csv.open_csv(
            source, read_options=pa_csv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24),
            parse_options=pa_csv.ParseOptions(delimiter=sep, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(column_types={c: pyarrow.string() for c in header},
                                                  null_values=[], strings_can_be_null=False,
                                                  quoted_strings_can_be_null=False))
        batches = []
        with tqdm(total=len(data), unit="B", unit_scale=True, desc=f"reading {name}", leave=False) as progress:
            for batch in reader:
                batches.append(batch)
                progress.update(source.tell() - progress.n)
    except pyarrow.ArrowInvalid:
        return None
    table = pyarrow.Table.from_batches(batches, schema=reader.schema)
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    if table.num_rows != lines - 1:
        return None
    frame = table.to_pandas()
    frame.index = np.arange(2, len(frame) + 2)
    return frame


def _decode(data: bytes, encoding: str | None, name: str, report: ValidationReport) -> str | None:
    if encoding:
        try:
            return data.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            report.problems.append(Problem(name, _("could not be decoded as %(encoding)s (byte %(byte)s); check "
                                                   "csv.encoding in dataset.yml.") % {"encoding": encoding,
                                                                                      "byte": exc.start}))
            return None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        report.problems.append(Problem(name, _("is neither UTF-8 nor cp1252 text; declare its encoding as "
                                               "csv.encoding in dataset.yml.")))
        return None
    report.notes.append(_("%(file)s is not UTF-8; read it as cp1252 (Windows Western European).") % {"file": name})
    return text


_UTF16_KINDS = {"utf-16": N_("with a byte-order mark, as Excel's 'Unicode text' export"),
                "utf-16-le": N_("little-endian, without a byte-order mark"),
                "utf-16-be": N_("big-endian, without a byte-order mark")}


def _utf16_codec(data: bytes, declared: str | None) -> str | None:
    """The UTF-16 codec *data* is in: declared, marked by a byte-order mark, or told by its zero bytes.

    Text that is mostly ASCII has a zero in every other byte in UTF-16: the odd
    bytes in little-endian order, the even ones in big-endian order.
    """
    if declared:
        name = codecs.lookup(declared).name
        return name if name in _UTF16_KINDS else None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = data[:8192]
    sample = sample[:len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0) / (len(sample) / 2), sample[1::2].count(0) / (len(sample) / 2)
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def _long_rows(text: str, sep: str, fields: int, name: str, offset: int) -> Problem | None:
    """The rows with more fields than the header (an unquoted separator inside a text), as one problem."""
    lines, rows = [], []
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    try:
        next(reader)
        line = reader.line_num + 1
        for row in reader:
            if len(row) > fields:
                lines.append(line + offset)
                rows.append(row)
            line = reader.line_num + 1
    except csv.Error:  # a field beyond the csv module's size limit: leave the file to the generic message
        return None
    if not lines:
        return None
    shown = _("tab") if sep == "\t" else repr(sep)
    return Problem(name, ngettext("line %(line)s has %(fields)s fields, the header has %(header)s; %(rows)s row has "
                                  "more fields than the header, most likely because a text holds an unquoted "
                                  "separator (%(sep)s). Quote such texts in double quotes, or remove the extra "
                                  "separators.",
                                  "line %(line)s has %(fields)s fields, the header has %(header)s; %(rows)s rows have "
                                  "more fields than the header, most likely because a text holds an unquoted "
                                  "separator (%(sep)s). Quote such texts in double quotes, or remove the extra "
                                  "separators.", len(lines)) % {
                               "line": lines[0], "fields": len(rows[0]), "header": fields, "rows": len(lines),
                               "sep": shown},
                   lines=tuple(lines[:MAX_EXAMPLES]), values=tuple(sep.join(r) for r in rows[:MAX_EXAMPLES]),
                   count=len(lines))


def _sniff_separator(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _unique_header(header: list[str], name: str, report: ValidationReport) -> bool:
    seen: dict[str, str] = {}
    ok = True
    for column in header:
        key = snake(column)
        if key in seen:
            report.problems.append(Problem(name, _("the header names the column '%(column)s' twice (as '%(first)s' "
                                                   "and '%(column)s'); expected unique column names.") % {
                                                       "column": column, "first": seen[key]},
                                           column=column))
            ok = False
        seen[key] = column
    return ok


def _line_numbers(frame: pd.DataFrame, text: str, offset: int) -> np.ndarray:
    """1-based file line of each row (header = line 1), counting newlines inside quoted fields."""
    start = offset + 2 + np.arange(len(frame))
    if text.count("\n") <= len(frame) + 1 or not len(frame):
        return start
    inner = sum(frame[c].str.count("\n").to_numpy() for c in frame.columns)
    return start + np.concatenate([[0], np.cumsum(inner)[:-1]])


def snake(name) -> str:
    return re.sub(r"\W+", "_", str(name).strip().lower()).strip("_")

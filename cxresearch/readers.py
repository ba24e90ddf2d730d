"""Raw table files as found: byte sniffing, decoding, CSV parsing with line numbers, Excel workbooks.

:func:`find_file` locates a table's file in a dataset folder; :func:`read_raw`
reads it as text columns indexed by 1-based file line (a workbook's rows by their
Excel row numbers), reporting what makes it unreadable (old or encrypted
spreadsheets, binary data, broken encodings, unquoted separators).
"""
from __future__ import annotations

import codecs
import csv
import datetime
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

#: Excel workbooks read as tables (:func:`_read_workbook`): a sheet named like the table, else the first.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
SUFFIXES = (".csv", ".csv.gz", ".parquet", *WORKBOOK_SUFFIXES)

#: Spreadsheet files a user may drop in the folder instead of a CSV; not read, but named in a warning.
SPREADSHEET_SUFFIXES = (".xls", ".ods")

#: How many rows of a sheet are searched for its header, below title or blank rows.
HEADER_SEARCH_ROWS = 20

#: Text columns of a Parquet file with at most this many distinct values in its first rows (channels,
#: touchpoints, stages, languages...) are read as categories, so that trimming, lower-casing and the missing-value
#: check run once per distinct value (:func:`cxresearch.canonical.to_canonical`) instead of once per cell.
FEW_VALUES = 1000

#: CSV files from this size on are parsed by pyarrow (see :func:`_read_large_csv`).
LARGE_CSV_BYTES = 32 * 2**20

#: What Italian and Portuguese exports call a table's file, besides the table's own name (customers.csv).
FILE_NAMES = {"customers": ("clienti", "clientes"), "events": ("eventi", "eventos"),
              "surveys": ("questionari", "sondaggi", "risposte", "questionarios", "pesquisas", "respostas"),
              "reviews": ("recensioni", "avaliacoes"), "interventions": ("interventi", "intervencoes")}

_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
_SIGNATURES = {
    _ZIP: N_("an Excel .xlsx workbook (or another zip archive)"),
    _OLE: N_("an old Excel .xls workbook"),
    b"PAR1": N_("a Parquet file (rename it to .parquet)"),
}


def find_file(folder: Path, table: str, config: DatasetSettings, report: ValidationReport) -> Path | None:
    """*table*'s file in *folder*: the one dataset.yml's ``files`` names, else the one named as the table
    (``customers.csv``, or as :data:`FILE_NAMES` has it: ``clienti.csv``) with a suffix read; None when there is
    none or more than one (a problem)."""
    if table in config.files:
        file = folder / config.files[table]
        if not file.is_file():
            report.problems.append(Problem(CONFIG_FILE, _("files.%(table)s names '%(file)s', which is not in the "
                                                          "dataset folder.") % {"table": table,
                                                                                "file": config.files[table]}))
            return None
        return file
    found = [file for stem in (table, *FILE_NAMES[table]) for suffix in SUFFIXES
             if (file := folder / f"{stem}{suffix}").is_file()]
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
    for file in sorted(file for stem in (table, *FILE_NAMES[table]) for file in folder.glob(f"{stem}.*")):
        if file.suffix in SPREADSHEET_SUFFIXES:
            report.warnings.append(_(
                "%(file)s is a spreadsheet and was not read, so the %(table)s table is missing: save it as an "
                "Excel workbook (%(table)s.xlsx) or as CSV (UTF-8) named %(table)s.csv (in Excel: File > Save As).")
                % {"file": file.name, "table": table})
        elif file.is_file():
            report.warnings.append(_(
                "%(file)s was not read, so the %(table)s table is missing: only .csv, .csv.gz, .parquet, .xlsx and "
                ".xlsm files are. If it is the table as text (comma-, semicolon- or tab-separated, UTF-8 or Excel's Unicode "
                "text), declare it in %(config)s: files: {%(table)s: %(file)s}.") % {
                    "file": file.name, "table": table, "config": CONFIG_FILE})


def unread_files(folder: Path) -> str:
    """A sentence naming the files of *folder* that hold no table read (empty when there are none), for the
    problem that no table file was found."""
    files = sorted(f.name for f in folder.iterdir() if f.is_file() and not f.name.startswith(".")
                   and f.name != CONFIG_FILE)
    if not files:
        return ""
    from .recipes import RECIPES   # recipes read through the loader: imported when asked

    held = {name: sum(file in files for file in recipe.files) / len(recipe.files) for name, recipe in RECIPES.items()}
    recipe = max(held, key=held.get)
    if held[recipe] > 0.5:   # most of a public export's files: its recipe reads them
        return " " + _("These are files of the %(recipe)s export: read them with `cxresearch import %(recipe)s "
                       "%(folder)s --out NEW_FOLDER`, then use NEW_FOLDER.") % {"recipe": recipe, "folder": folder}
    table, file = next(((table, f) for f in files for table in TABLES  # customers_2025.txt, clienti.txt
                        if any(word in f.lower() for word in (table[:-1], *FILE_NAMES[table]))), ("events", files[0]))
    return " " + ngettext(
        "The folder holds %(files)s: if it is a table as text (comma-, semicolon- or tab-separated, UTF-8 or Excel's "
        "Unicode text), declare it in %(config)s, such as files: {%(table)s: %(file)s}.",
        "The folder holds %(files)s: if one is a table as text (comma-, semicolon- or tab-separated, UTF-8 or "
        "Excel's Unicode text), declare it in %(config)s, such as files: {%(table)s: %(file)s}.", len(files)) % {
            "files": format_list(files[:5]) + ("..." if len(files) > 5 else ""), "file": file,
            "table": table, "config": CONFIG_FILE}


def read_raw(file: Path, config: DatasetSettings, report: ValidationReport, *,
             table: str | None = None) -> pd.DataFrame | None:
    """Read a table file as found: text columns, index = 1-based line (or row) numbers.

    A workbook's sheet named like *table* is read, else its first sheet.
    """
    def problem(message):
        report.problems.append(Problem(file.name, message))
    if file.suffix in WORKBOOK_SUFFIXES:
        return _read_workbook(file, file.name, table, config, report)
    if file.suffix == ".parquet":
        try:
            frame = _read_parquet(file)
        except Exception as exc:  # pyarrow raises many types for a corrupt file
            problem(_("could not be read as Parquet (%(error)s).") % {"error": f"{type(exc).__name__}: {exc}"})
            return None
        frame.index = pd.RangeIndex(1, len(frame) + 1)
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
    book = _open_workbook(io.BytesIO(data)) if data.startswith(_ZIP) else None
    if book is not None:  # a workbook saved under a CSV name: read it as what it is
        report.notes.append(_("%(file)s is an Excel workbook, not CSV text; read it as one.") % {"file": file.name})
        return _workbook_table(book, file.name, table, config, report)
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
    return table.to_pandas(split_blocks=True, self_destruct=True)  # no copy into 2-D blocks; Arrow's memory freed


def _without_blank_rows(frame: pd.DataFrame, name: str, report: ValidationReport) -> pd.DataFrame:
    blank = (frame == "").all(axis=1)
    if not (~blank).any():
        _warn_no_rows(name, report)
    return frame.loc[~blank]


def _warn_no_rows(name: str, report: ValidationReport) -> None:
    report.warnings.append(_("%(file)s has a header but no rows.") % {"file": name})


def _read_workbook(file: Path, name: str, table: str | None, config: DatasetSettings,
                   report: ValidationReport) -> pd.DataFrame | None:
    """A table from an Excel workbook (.xlsx, .xlsm): see :func:`_workbook_table`."""
    with file.open("rb") as stream:
        if stream.read(4) == _OLE:  # Excel encrypts a workbook with a password into an OLE container
            report.problems.append(Problem(name, _(
                "is password-protected (or an old .xls workbook renamed); save it without a password as an Excel "
                "workbook (.xlsx) or as CSV (UTF-8).")))
            return None
    book = _open_workbook(file)
    if book is None:
        report.problems.append(Problem(name, _(
            "could not be read as an Excel workbook: it is damaged or not a workbook. Open it in Excel and save it "
            "again (File > Save As > Excel Workbook), or save the sheet as CSV (UTF-8).")))
        return None
    return _workbook_table(book, name, table, config, report)


def _open_workbook(source):
    """The workbook at *source* (a path or a binary stream) opened for reading cell values, or None if it is not one."""
    import openpyxl

    try:
        return openpyxl.load_workbook(source, read_only=True, data_only=True)
    except Exception:  # zipfile, XML and openpyxl's own errors: many types for a file that is not a workbook
        return None


def _workbook_table(book, name: str, table: str | None, config: DatasetSettings,
                    report: ValidationReport) -> pd.DataFrame | None:
    """The sheet of *book* named like *table* (else its first visible one) as raw columns, indexed by Excel row.

    Cells read as Excel stores them: dates and times as ISO text (naive, so in the
    dataset's time zone), whole numbers as digits, a column of numbers with fractions
    as floats (no decimal separator to read). Title and blank rows above the header
    are skipped; blank rows and columns with neither a name nor a value are left out.
    """
    try:
        sheet = _sheet(book, name, table, report)
        sheet.reset_dimensions()  # some writers store wrong dimensions: read every row there is
        rows = [(number, row) for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
                if any(_filled(value) for value in row)]
    finally:
        book.close()
    title = f"'{sheet.title}'"
    if not rows:
        report.problems.append(Problem(name, _("sheet %(sheet)s is empty; expected a header row naming the "
                                               "columns, then one row per record.") % {"sheet": title}))
        return None
    at = _header_row(rows)
    if at:
        report.notes.append(ngettext(
            "%(file)s, sheet %(sheet)s: %(n)s row above the header (row %(header)s) was left out: %(first)s.",
            "%(file)s, sheet %(sheet)s: %(n)s rows above the header (row %(header)s) were left out, the first: "
            "%(first)s.", at) % {"file": name, "sheet": title, "n": at, "header": rows[at][0],
                                 "first": " ".join(str(v) for v in rows[0][1] if _filled(v))})
    (header_number, header), body = rows[at], rows[at + 1:]
    width = max(len(row) for _number, row in rows[at:])
    cells = [row + (None,) * (width - len(row)) for _number, row in body]
    columns = list(zip(*cells)) if cells else [()] * width
    names = [_cell_text(value, ".").strip() for value in header] + [""] * (width - len(header))
    kept = [i for i in range(width) if names[i] or any(_filled(v) for v in columns[i])]
    unnamed = [i for i in kept if not names[i]]
    if unnamed:
        from openpyxl.utils import get_column_letter  # openpyxl loads only when a workbook is read

        filled = [(n, v) for (n, _row), v in zip(body, columns[unnamed[0]]) if _filled(v)]
        report.problems.append(Problem(name, ngettext(
            "sheet %(sheet)s: column %(columns)s has values but no name in the header (row %(header)s); expected "
            "a name for every column.",
            "sheet %(sheet)s: columns %(columns)s have values but no name in the header (row %(header)s); expected "
            "a name for every column.", len(unnamed)) % {
                "sheet": title, "header": header_number,
                "columns": format_list(get_column_letter(i + 1) for i in unnamed)},
            lines=tuple(n for n, _v in filled[:MAX_EXAMPLES]), values=tuple(v for _n, v in filled[:MAX_EXAMPLES]),
            count=len(filled)))
        return None
    if not _unique_header([names[i] for i in kept], name, report):
        return None
    if not body:
        _warn_no_rows(name, report)
    index = np.array([n for n, _row in body], dtype=np.int64)
    decimal = config.csv.get("decimal", ".")
    return pd.DataFrame({names[i]: _sheet_column(columns[i], decimal) for i in kept}, index=index)


def _sheet(book, name: str, table: str | None, report: ValidationReport):
    """The sheet named like *table* (ignoring case and spaces), else the first visible one (said in a note when
    there are others)."""
    sheets = [s for s in book.worksheets if s.sheet_state == "visible"] or book.worksheets
    named = next((s for s in book.worksheets if table and snake(s.title) == table), None)
    values = {"file": name, "n": len(book.worksheets), "sheets": format_list(s.title for s in book.worksheets),
              "sheet": (named or sheets[0]).title, "table": table or Path(name).stem}
    if named is not None and len(book.worksheets) > 1:
        report.notes.append(_("%(file)s has %(n)s sheets (%(sheets)s); read '%(sheet)s', named like the table.")
                            % values)
    elif named is None and len(sheets) > 1:
        report.notes.append(_("%(file)s has %(n)s sheets (%(sheets)s); read the first, '%(sheet)s'. A sheet named "
                              "%(table)s would be read instead.") % values)
    return named or sheets[0]


def _header_row(rows: list) -> int:
    """Which of the first non-blank *rows* is the header: the first naming two or more columns (a title row above
    it names one), else the first."""
    for at, (_number, row) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if sum(_filled(value) for value in row) >= 2:
            return at
    return 0


def _filled(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _sheet_column(values: tuple, decimal: str):
    """A sheet's column: floats when every value is a number and some has a fraction, else text as a CSV holds it."""
    numbers = [v for v in values if v is not None and v != ""]
    if numbers and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers) \
            and not all(float(v).is_integer() for v in numbers):
        return np.array([np.nan if v is None or v == "" else float(v) for v in values], dtype=float)
    return pd.array([_cell_text(v, decimal) for v in values], dtype="str")


def _cell_text(value, decimal: str) -> str:
    """A cell's value as text, as a CSV export writes it: ISO dates, whole numbers as digits, *decimal* in fractions."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    if isinstance(value, float):
        return repr(value).replace(".", decimal)
    if isinstance(value, datetime.datetime) and value.time() == datetime.time() and value.tzinfo is None:
        return value.date().isoformat()
    if isinstance(value, (datetime.date, datetime.time)):  # datetime is a date
        return value.isoformat()
    return str(value)


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

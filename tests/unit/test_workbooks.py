"""Excel workbooks as tables: the sheet read, cells as Excel stores them, rows by their Excel numbers, bad workbooks."""
from __future__ import annotations

import datetime
import io

import openpyxl
import pandas as pd
import pytest

from cxresearch import DataError, load_dataset, validate


def _workbook(*sheets: tuple[str, list]) -> bytes:
    """An .xlsx holding each (title, rows) sheet, written as Excel writes cells (numbers, dates, text)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


SURVEYS = [["response_id", "customer_id", "timestamp", "nps", "csat", "spend"],
           ["r1", 101, datetime.datetime(2025, 3, 1, 14, 5), 9, 4, 12.5],
           ["r2", 102, datetime.date(2025, 3, 2), 7, 3, 7],
           ["r3", None, datetime.datetime(2025, 3, 3, 9, 0), "n/a", 5, None]]


def test_a_workbook_reads_as_excel_stores_its_cells(make_dataset):
    folder = make_dataset({"surveys.xlsx": _workbook(("Sheet1", SURVEYS)),
                           "dataset.yml": "timezone: Europe/Rome\ncsv: {decimal: \",\"}\n"})
    surveys = load_dataset(folder).surveys
    # dates as Excel stores them (local times, here Rome's: UTC+1 in March); whole numbers as ids, not 101.0;
    # a column of numbers with fractions as numbers whatever csv.decimal says (a workbook has no separator)
    assert surveys["timestamp"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2025-03-01 13:05", "2025-03-01 23:00", "2025-03-03 08:00"]
    assert surveys["customer_id"].tolist()[:2] == ["101", "102"] and pd.isna(surveys["customer_id"].iloc[2])
    assert surveys["nps"].tolist()[:2] == [9.0, 7.0] and pd.isna(surveys["nps"].iloc[2])
    assert surveys["spend"].tolist()[:2] == [12.5, 7.0]


def test_the_sheet_named_like_the_table_is_read_else_the_first_with_a_note(make_dataset):
    other = [["response_id", "timestamp"], ["x", "not a date"]]
    named = validate(make_dataset({"surveys.xlsx": _workbook(("Notes", other), ("Surveys", SURVEYS))}))
    assert named.ok, named
    assert "surveys.xlsx has 2 sheets (Notes and Surveys); read 'Surveys', named like the table." in named.notes
    first = validate(make_dataset({"surveys.xlsx": _workbook(("Risposte", SURVEYS), ("Notes", other))}))
    assert first.ok and any("read the first, 'Risposte'. A sheet named surveys" in n for n in first.notes)
    # one workbook for two tables, a sheet each, through files:
    both = make_dataset({"export.xlsx": _workbook(("customers", [["customer_id"], [101], [102]]),
                                                  ("surveys", SURVEYS)),
                         "dataset.yml": "files: {customers: export.xlsx, surveys: export.xlsx}\n"})
    ds = load_dataset(both)
    assert ds.customers["customer_id"].tolist() == ["101", "102"] and len(ds.surveys) == 3


def test_problems_name_the_rows_as_excel_numbers_them_below_a_title_and_blank_rows(make_dataset):
    rows = [["Survey export, Q1 2025"], [], ["response_id", "timestamp", "nps"],
            ["r1", datetime.datetime(2025, 3, 1), 9], [], ["r2", datetime.datetime(2025, 3, 2), 11],
            ["r3", "yesterday", 12]]
    report = validate(make_dataset({"surveys.xlsx": _workbook(("Sheet1", rows))}))
    assert sorted((p.file, p.column, p.lines, p.values) for p in report.problems) == [
        ("surveys.xlsx", "nps", (6, 7), (11, 12)), ("surveys.xlsx", "timestamp", (7,), ("yesterday",))]
    assert ("surveys.xlsx, sheet 'Sheet1': 1 row above the header (row 3) was left out: Survey export, Q1 2025."
            in report.notes)


@pytest.mark.parametrize("content, says", [
    (b"PK\x03\x04\x14\x00rest-of-zip", "could not be read as an Excel workbook: it is damaged"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "is password-protected"),
    (_workbook(("Sheet1", [])), "sheet 'Sheet1' is empty"),
    (_workbook(("Sheet1", [["response_id", "timestamp", None], ["r1", "2025-03-01", "late"], ["r2", "2025-03-02"]])),
     "sheet 'Sheet1': column C has values but no name in the header (row 1)"),
])
def test_a_bad_workbook_is_one_clear_problem(make_dataset, content, says):
    with pytest.raises(DataError) as info:
        load_dataset(make_dataset({"surveys.xlsx": content}))
    problem, = info.value.problems
    assert problem.file == "surveys.xlsx" and says in problem.message
    if "column C" in says:
        assert (problem.lines, problem.values) == ((2,), ("late",))


def test_a_workbook_saved_under_a_csv_name_is_read_as_one(make_dataset):
    report = validate(make_dataset({"surveys.csv": _workbook(("Sheet1", SURVEYS))}))
    assert report.ok, report
    assert "surveys.csv is an Excel workbook, not CSV text; read it as one." in report.notes

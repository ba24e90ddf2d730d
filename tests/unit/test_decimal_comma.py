"""Numbers written with a decimal comma (Italian Excel's CSV): read when unambiguous, one clear problem when not."""
from __future__ import annotations

import pytest

from cxresearch import load_dataset, validate

HEADER = "response_id;timestamp;nps;csat;spend;note\n"


def _notes(report) -> str:
    return " ".join(report.notes)


def test_an_italian_excel_csv_is_read_with_its_decimal_comma_and_says_so(make_dataset):
    folder = make_dataset({"surveys.csv": HEADER + "r1;01/03/2025;9;4;12,50;ciao, bene\nr2;02/03/2025;7;3;1.234,5;ok\n"
                                                   "r3;15/03/2025;10;5;7;\n"})
    report = validate(folder)
    assert report.ok, report
    assert ("surveys.csv: numbers are written with a decimal comma (such as 12,50 in spend); read so. Set "
            "csv.decimal in dataset.yml to say so.") in report.notes
    surveys = load_dataset(folder).surveys
    assert surveys["spend"].tolist() == [12.5, 1234.5, 7.0]          # 1.234,5: a point groups the thousands
    assert surveys["note"].tolist()[:2] == ["ciao, bene", "ok"]      # a text with a comma stays text
    assert surveys["timestamp"].dt.strftime("%d %m").tolist() == ["01 03", "02 03", "15 03"]


def test_amounts_with_a_decimal_comma_are_read_so_in_a_canonical_column(make_dataset):
    folder = make_dataset({"events.csv": "customer_id;timestamp;channel;touchpoint;value\n"
                                         "c1;2025-03-01;web;checkout;59,90\nc2;2025-03-02;store;checkout;120\n"})
    assert load_dataset(folder).events["value"].tolist() == [59.9, 120.0]
    assert "decimal comma (such as 59,90 in value)" in _notes(validate(folder))


@pytest.mark.parametrize("rows, says", [
    # a comma and a point as the decimal separator in one file: which is meant cannot be told
    ("r1;2025-03-01;9;4;12,50;\nr2;2025-03-02;7;3;7.5;\n",
     "numbers such as 12,50 (spend) have a decimal comma, others such as 7.5 (spend) a decimal point"),
    ("r1;2025-03-01;9;4;12,50;\nr2;2025-03-02;7.5;3;7;\n",
     "numbers such as 12,50 (spend) have a decimal comma, others such as 7.5 (nps) a decimal point"),
    # every comma could group thousands
    ("r1;2025-03-01;9;4;1,234;\nr2;2025-03-02;7;3;2,500;\n",
     "numbers such as 1,234 (spend) may have a decimal comma or a thousands separator"),
])
def test_an_ambiguous_decimal_separator_is_one_problem_naming_the_columns(make_dataset, rows, says):
    report = validate(make_dataset({"surveys.csv": HEADER + rows}))
    problems = [p for p in report.problems if "decimal" in p.message]
    assert len(problems) == 1 and says in problems[0].message and "csv: {decimal:" in problems[0].message
    assert "decimal comma (such as" not in _notes(report)


def test_a_declared_separator_decides(make_dataset):
    thousands = make_dataset({"events.csv": 'customer_id,timestamp,channel,touchpoint,value\n'
                                            'c1,2025-03-01,web,home,"1,234"\nc1,2025-03-02,web,home,"2,500.5"\n',
                              "dataset.yml": 'csv: {decimal: "."}\n'})
    assert load_dataset(thousands).events["value"].tolist() == [1234.0, 2500.5]
    comma = make_dataset({"events.csv": "customer_id;timestamp;channel;touchpoint;value\nc1;2025-03-01;web;home;1,234\n",
                          "dataset.yml": 'csv: {decimal: ","}\n'})
    report = validate(comma)
    assert report.ok and "decimal comma (such as" not in _notes(report)
    assert load_dataset(comma).events["value"].tolist() == [1.234]


def test_without_commas_nothing_changes(make_dataset):
    report = validate(make_dataset({"surveys.csv": "response_id,timestamp,nps,spend\nr1,2025-03-01,9,12.5\n"}))
    assert report.ok and "decimal" not in _notes(report)

"""Loading the canonical tables: known answers, locale handling, privacy at the door."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cxresearch import CXDataset, DataError, load_dataset, validate
from cxresearch.errors import DataWarning

EVENTS = """
    customer_id,timestamp,channel,touchpoint,value
    007,2025-03-01T10:00:00Z, Web ,Home,
    007,2025-03-01 10:05:00,web,CHECKOUT,12.50
    008,2025-03-02T10:00:00+01:00,Store,checkout,30
"""
CUSTOMERS = """
    customer_id,age,region,email,phone,name
    007,34,nord,Anna@Example.com,+39 333 123 4567,Anna Bianchi
    008,51,sud,bruno@example.com,,Bruno Verdi
"""


def test_events_load_to_known_frame(make_dataset):
    ds = load_dataset(make_dataset({"events.csv": EVENTS}))
    expected = pd.DataFrame({
        "customer_id": ["007", "007", "008"],
        "timestamp": pd.to_datetime(["2025-03-01 10:00", "2025-03-01 10:05", "2025-03-02 09:00"], utc=True).as_unit("us"),
        "channel": ["web", "web", "store"],
        "touchpoint": ["home", "checkout", "checkout"],
        "value": [np.nan, 12.5, 30.0],
    })
    pd.testing.assert_frame_equal(ds.events, expected, check_dtype=False)
    assert ds.events["timestamp"].dt.tz is not None
    assert ds.customers is None and ds.surveys is None and ds.reviews is None


def test_naive_timestamps_read_in_declared_timezone(make_dataset):
    folder = make_dataset({"events.csv": EVENTS, "dataset.yml": "timezone: Europe/Rome\n"})
    stamps = load_dataset(folder).events["timestamp"]
    assert stamps.iloc[0] == pd.Timestamp("2025-03-01 10:00", tz="UTC")  # explicit Z kept
    assert stamps.iloc[1] == pd.Timestamp("2025-03-01 09:05", tz="UTC")  # naive Rome time (UTC+1)


def test_stages_fill_the_stage_column_in_order(make_dataset):
    folder = make_dataset({"events.csv": EVENTS, "dataset.yml": """
        name: Tiny shop
        stages:
          consideration: [home]
          purchase: [Checkout]
    """})
    ds = load_dataset(folder)
    assert ds.name == "Tiny shop"
    assert list(ds.stages) == ["consideration", "purchase"]
    assert ds.events["stage"].tolist() == ["consideration", "purchase", "purchase"]
    assert ds.touchpoint_stage == {"home": "consideration", "checkout": "purchase"}


def test_pii_columns_never_reach_the_dataset_unless_asked(make_dataset):
    folder = make_dataset({"customers.csv": CUSTOMERS})
    ds = load_dataset(folder)
    assert ds.customers.columns.tolist() == ["customer_id", "age", "region"]
    assert ds.customers["customer_id"].tolist() == ["007", "008"]  # leading zeros kept
    assert any("dropped the personal-data columns" in note for note in ds.notes)
    assert {"email", "phone", "name"} <= set(load_dataset(folder, keep_pii=True).customers.columns)


def test_surveys_identified_by_email_or_phone_are_linked(make_dataset):
    folder = make_dataset({"customers.csv": CUSTOMERS, "surveys.csv": """
        response_id,timestamp,customer_id,email,phone,nps
        r1,2025-03-01,007,,,9
        r2,2025-03-01,, anna@example.COM ,,3
        r3,2025-03-01,,,0039 333-1234567,10
        r4,2025-03-01,,stranger@example.com,,5
    """})
    ds = load_dataset(folder)
    assert ds.surveys["customer_id"].tolist()[:3] == ["007", "007", "007"]
    assert pd.isna(ds.surveys["customer_id"].iloc[3])
    assert "email" not in ds.surveys.columns and "phone" not in ds.surveys.columns
    assert any("linked 2 of 3 rows" in note for note in ds.notes)


def test_surveys_whose_emails_match_no_customer_stay_unlinked(make_dataset):
    folder = make_dataset({"customers.csv": CUSTOMERS, "surveys.csv": """
        response_id,timestamp,customer_id,email,nps
        r1,2025-03-01,007,,9
        r2,2025-03-01,,stranger@example.com,5
    """})
    ds = load_dataset(folder)
    assert ds.surveys["customer_id"].iloc[0] == "007" and pd.isna(ds.surveys["customer_id"].iloc[1])
    assert any("linked 0 of 1 rows" in note for note in ds.notes)


def test_a_customers_phone_column_of_digits_stays_text_and_links(make_dataset):
    """Read as a number, 3331234567 became '3331234567.0' and linked to nobody."""
    folder = make_dataset({"customers.csv": "customer_id,phone\nc1,3331234567\n",
                           "surveys.csv": "response_id,timestamp,phone,nps\nr1,2025-03-01,+39 333 123 4567,9\n"})
    assert load_dataset(folder).surveys["customer_id"].tolist() == ["c1"]
    assert load_dataset(folder, keep_pii=True).customers["phone"].tolist() == ["3331234567"]


def test_orphan_ids_are_a_warning_with_a_count(make_dataset):
    folder = make_dataset({"customers.csv": CUSTOMERS, "events.csv": EVENTS + "    999,2025-03-03T00:00:00Z,app,home,\n"})
    with pytest.warns(DataWarning, match=r"events: 1 row of 1 customer id not found"):
        ds = load_dataset(folder)
    assert len(ds.events) == 4  # nothing lost


def test_between_filters_every_timed_table(make_dataset):
    ds = load_dataset(make_dataset({"events.csv": EVENTS}))
    part = ds.between("2025-03-01T10:01:00Z", "2025-03-02")
    assert part.events["touchpoint"].tolist() == ["checkout"]
    assert len(ds.events) == 3  # the original is untouched
    assert isinstance(part, CXDataset)


@pytest.mark.parametrize("few_values", [0, 1000], ids=["text read as text", "text read as categories"])
def test_parquet_loads_like_csv(make_dataset, tmp_path, monkeypatch, few_values):
    from cxresearch import readers

    monkeypatch.setattr(readers, "FEW_VALUES", few_values)
    csv_folder = make_dataset({"events.csv": EVENTS})
    from_csv = load_dataset(csv_folder).events
    pq_folder = tmp_path / "pq"
    pq_folder.mkdir()
    raw = pd.read_csv(csv_folder / "events.csv", dtype=str)
    raw.to_parquet(pq_folder / "events.parquet")
    pd.testing.assert_frame_equal(load_dataset(pq_folder).events, from_csv)


def test_ids_padded_with_any_white_space_are_trimmed_and_plain_ones_kept(make_dataset):
    padded = ["007\t", "\u00a0008", "009\u3000", "010", "\u2003011"]
    events = pd.DataFrame({"customer_id": padded, "timestamp": ["2025-03-01T10:00:00Z"] * 5, "channel": "web",
                           "touchpoint": "home", "session_id": ["s1", "s2", "s2", "s3", "s4"]})
    ds = load_dataset(make_dataset({"events.csv": events.to_csv(index=False)}))
    assert ds.events["customer_id"].tolist() == ["007", "008", "009", "010", "011"]
    assert ds.events["session_id"].tolist() == ["s1", "s2", "s2", "s3", "s4"]


def test_missing_value_tokens_among_long_ids_are_found(tmp_path):
    # long ids are looked up as tokens only when some value is short enough to be one
    folder = tmp_path / "pq"
    folder.mkdir()
    ids = ["CUST-000001", "CUST-000002", "n/a", "CUST-000004"]
    pd.DataFrame({"customer_id": ids, "timestamp": ["2025-03-01T10:00:00Z"] * 4, "channel": "web",
                  "touchpoint": "home", "session_id": ["SESSION-1", "SESSION-1", "SESSION-2", "#N/A"]}).to_parquet(
        folder / "events.parquet")
    problems = _problems(folder)
    assert [(p.column, p.lines) for p in problems] == [("customer_id", (3,))]  # a Parquet file numbers rows from 1
    pd.DataFrame({"customer_id": ids[:2], "timestamp": ["2025-03-01T10:00:00Z"] * 2, "channel": "web",
                  "touchpoint": "home", "session_id": ["SESSION-1", "#N/A"]}).to_parquet(folder / "events.parquet")
    assert load_dataset(folder).events["session_id"].isna().tolist() == [False, True]


def test_parquet_dates_read_as_csv_dates(tmp_path):
    import datetime

    folder = tmp_path / "pq"
    folder.mkdir()
    days = [datetime.date(2024, 3, 1), None, datetime.date(1990, 12, 31)]
    pd.DataFrame({"customer_id": ["1", "2", "3"], "signup_date": days, "birthday": days}).to_parquet(
        folder / "customers.parquet")
    customers = load_dataset(folder).customers
    assert customers["signup_date"].tolist()[::2] == [pd.Timestamp("2024-03-01", tz="UTC"),
                                                      pd.Timestamp("1990-12-31", tz="UTC")]
    assert customers["birthday"].fillna("-").tolist() == ["2024-03-01", "-", "1990-12-31"]


def test_parquet_categories_infer_fill_and_check_like_text(tmp_path, monkeypatch):
    # columns a Parquet export holds as categories are inferred once per distinct value and stay categories while
    # stages are filled and scopes checked: the dataset equals the one read with every column as text
    from cxresearch import readers

    folder = tmp_path / "pq"
    folder.mkdir()
    pd.DataFrame({"customer_id": ["1", "2", "3", "4"], "timestamp": ["2025-03-01T10:00:00Z"] * 4,
                  "channel": ["Web", "app", " web", "Store"], "touchpoint": ["Home", "cart", "nowhere", "home"],
                  "weight": ["1.5", "2", "NA", "1.5"], "coupon_at": ["2025-01-02", None, "2025-01-03", "2025-01-02"],
                  "shelf": ["01", "2", "01", "2"], "note": ["a", "b", "a", " n/a"]}).to_parquet(folder / "events.parquet")
    (folder / "dataset.yml").write_text("stages: {browse: [home], buy: [cart]}\n")
    pd.DataFrame({"intervention_id": ["I1", "I2"], "start": ["2025-02-01"] * 2,
                  "scope": ["Web", "browse"]}).to_parquet(folder / "interventions.parquet")
    loaded = {}
    for few_values in (0, 1000):
        monkeypatch.setattr(readers, "FEW_VALUES", few_values)
        loaded[few_values] = load_dataset(folder)
    for table in ("events", "interventions"):
        pd.testing.assert_frame_equal(loaded[1000].tables[table], loaded[0].tables[table])
    events = loaded[1000].events
    assert events["weight"].tolist()[:2] == [1.5, 2.0] and events["weight"].isna().tolist()[2]
    assert str(events["coupon_at"].dtype) == "datetime64[us, UTC]" and events["shelf"].tolist() == ["01", "2", "01", "2"]
    assert events["stage"].fillna("-").tolist() == ["browse", "buy", "-", "browse"]
    assert events["channel"].dtype == "str" and events["channel"].tolist() == ["web", "app", "web", "store"]
    assert events["note"].isna().tolist() == [False, False, False, True]
    assert loaded[1000].notes == loaded[0].notes


def test_the_engine_reads_small_parquet_tables_as_the_loader_does(tmp_path):
    # interventions are read in memory for the engine step: their Parquet category columns come out as text
    from cxresearch.sql.routine import check_on_engine

    folder = tmp_path / "pq"
    folder.mkdir()
    pd.DataFrame({"customer_id": ["1", "2"], "timestamp": ["2025-03-01T10:00:00Z"] * 2, "channel": "web",
                  "touchpoint": "home"}).to_parquet(folder / "events.parquet")
    pd.DataFrame({"intervention_id": ["I1", "I2"], "start": ["2025-02-01"] * 2, "scope": ["Web", "home"],
                  "owner": ["CRM", "CRM"]}).to_parquet(folder / "interventions.parquet")
    interventions = check_on_engine(folder, engine="duckdb", progress=lambda _: None).interventions
    pd.testing.assert_frame_equal(interventions.reset_index(drop=True), load_dataset(folder).interventions)
    assert interventions["scope"].tolist() == ["web", "home"] and interventions["owner"].dtype == "str"


@pytest.mark.parametrize("few_values", [0, 1000], ids=["text read as text", "text read as categories"])
def test_parquet_text_problems_read_like_csv(make_dataset, tmp_path, monkeypatch, few_values):
    # missing-value tokens, blanks, padding and case in text columns a Parquet export may hold as categories
    from cxresearch import readers

    monkeypatch.setattr(readers, "FEW_VALUES", few_values)
    events = pd.DataFrame({"customer_id": ["1", "2", "3", "4"], "timestamp": ["2025-03-01T10:00:00Z"] * 4,
                           "channel": [" Web", "N/A", "web", None], "touchpoint": ["Home", "home ", "NULL", "x"],
                           "value": ["1", "n/a", "two", None]})
    csv_folder = make_dataset({"events.csv": events.to_csv(index=False)})
    pq_folder = tmp_path / "pq"
    pq_folder.mkdir()
    events.to_parquet(pq_folder / "events.parquet")
    problems = []
    for folder in (csv_folder, pq_folder):
        with pytest.raises(DataError) as caught:
            load_dataset(folder)
        problems.append([(p.column, p.message, p.lines, p.values) for p in caught.value.problems])
    csv_rows = [(column, message, tuple(line - 1 for line in lines), values)   # a CSV's line 2 is a table's row 1
                for column, message, lines, values in problems[0]]
    assert problems[1] == csv_rows
    assert [(column, lines) for column, _, lines, _ in problems[1]] == [("value", (3,)), ("channel", (2, 4)),
                                                                        ("touchpoint", (3,))]
    assert [values for column, _, _, values in problems[1] if column == "value"] == [("two",)]


def test_encodings_are_detected(make_dataset):
    text = "customer_id,city\n1,Forlì\n2,Cantù\n"
    for data in (text.encode("cp1252"), b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("utf-8")):
        ds = load_dataset(make_dataset({"customers.csv": data}))
        assert ds.customers["city"].tolist() == ["Forlì", "Cantù"]
        assert ds.customers.columns[0] == "customer_id"


@pytest.mark.parametrize("large", [False, True], ids=["exact reader", "large-file reader"])
def test_utf16_loads_with_or_without_byte_order_mark(make_dataset, monkeypatch, large):
    from cxresearch import readers

    monkeypatch.setattr(readers, "LARGE_CSV_BYTES", 0 if large else readers.LARGE_CSV_BYTES)
    text = "customer_id\tcity\r\n1\tForlì\r\n2\t\"Cantù\tcentro\"\r\n"
    for data in (text.encode("utf-16"), text.encode("utf-16-le"), text.encode("utf-16-be")):
        ds = load_dataset(make_dataset({"customers.csv": data}))
        assert ds.customers["city"].tolist() == ["Forlì", "Cantù\tcentro"]
        assert any("UTF-16" in note for note in ds.notes)


@pytest.mark.parametrize("large", [False, True], ids=["exact reader", "large-file reader"])
def test_rows_longer_than_the_header_are_named_by_line(make_dataset, monkeypatch, large):
    from cxresearch import readers

    monkeypatch.setattr(readers, "LARGE_CSV_BYTES", 0 if large else readers.LARGE_CSV_BYTES)
    folder = make_dataset({"events.csv": "customer_id;timestamp;channel;touchpoint\n"
                                         "1;2025-01-01;web;home;x\n2;2025-01-02;web;home\n3;2025-01-03;a;b;c;d\n"})
    with pytest.raises(DataError) as info:
        load_dataset(folder)
    [problem] = info.value.problems
    assert problem.message.startswith("line 2 has 5 fields, the header has 4; 2 rows have")
    assert problem.lines == (2, 4) and problem.values == ("1;2025-01-01;web;home;x", "3;2025-01-03;a;b;c;d")


def test_italian_export_loads_to_its_canonical_twin(make_dataset):
    canonical = make_dataset({
        "customers.csv": """
            customer_id,age,spesa_media
            C1,34,1234.5
            C2,51,99.9
        """,
        "events.csv": """
            customer_id,timestamp,channel,touchpoint,value
            C1,2025-03-01T10:00:00Z,negozio,cassa,1234.5
            C2,2025-12-31T23:59:00Z,web,pagina_prodotto,
        """,
        "surveys.csv": """
            response_id,timestamp,customer_id,nps,csat,comment
            R1,2025-03-02T09:30:00Z,C1,9,5,Perché è così più comodo
        """,
    })
    italian = make_dataset({
        "clienti.csv": "codice_cliente;età;spesa_media\r\nC1;34;1.234,5\r\nC2;51;99,9\r\n".encode("cp1252"),
        "eventi.csv": ("codice_cliente;data_ora;canale;punto_di_contatto;importo\r\n"
                       "C1;01/03/2025 10:00;Negozio;Cassa;1.234,50\r\n"
                       "C2;31/12/2025 23:59;WEB;pagina_prodotto;\r\n").encode("cp1252"),
        "questionari.csv": ("id_risposta;data;codice_cliente;nps;csat;commento\r\n"
                            "R1;02/03/2025 09:30;C1;9;5;Perché è così più comodo\r\n").encode("cp1252"),
        "dataset.yml": """
            name: Esportazione italiana
            csv: {sep: ";", decimal: ",", dayfirst: true, encoding: cp1252}
            files: {customers: clienti.csv, events: eventi.csv, surveys: questionari.csv}
            columns:
              customers: {codice_cliente: customer_id, età: age}
              events: {codice_cliente: customer_id, data_ora: timestamp, canale: channel,
                       punto_di_contatto: touchpoint, importo: value}
              surveys: {id_risposta: response_id, data: timestamp, codice_cliente: customer_id, commento: comment}
        """,
    })
    a, b = load_dataset(canonical), load_dataset(italian)
    for table in ("customers", "events", "surveys"):
        pd.testing.assert_frame_equal(getattr(b, table), getattr(a, table), obj=table)


# ------------------------------------------------------------------ bad input classes
def _problems(folder):
    with pytest.raises(DataError) as info:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load_dataset(folder)
    return info.value.problems


BAD_CASES = {
    "missing required column": (
        {"events.csv": "customer_id,timestmap,channel,touchpoint\n1,2025-01-01,web,home\n"},
        "events.csv", "timestamp", "Did you mean 'timestmap'", ()),
    "empty required value": (
        {"events.csv": "customer_id,timestamp,channel,touchpoint\n1,2025-01-01,web,home\n,2025-01-01,web,home\n"},
        "events.csv", "customer_id", "empty", (3,)),
    "unparsable timestamp": (
        {"events.csv": "customer_id,timestamp,channel,touchpoint\n1,2025-01-01,web,home\n1,last tuesday,web,home\n"},
        "events.csv", "timestamp", "could not be read as a date-time", (3,)),
    # scores off their scale: (file, id column, score column, values in file order, valid range, bad lines)
    **{f"{name} out of range": ({file: f"{key},timestamp,{column}\n" + "".join(
        f"x{i},2025-01-01,{value}\n" for i, value in enumerate(values))}, file, column, words, lines)
       for name, (file, key, column, values, words, lines) in {
           "nps": ("surveys.csv", "response_id", "nps", (11, -1, 10), "from 0 to 10", (2, 3)),
           "csat": ("surveys.csv", "response_id", "csat", (0, 5), "from 1 to 5", (2,)),
           "ces": ("surveys.csv", "response_id", "ces", (8,), "from 1 to 7", (2,)),
           "rating": ("surveys.csv", "response_id", "rating_chat", (6,), "from 1 to 5", (2,)),
           "review rating": ("reviews.csv", "review_id", "rating", (4, 9), "from 1 to 5", (3,))}.items()},
    "non-numeric score": (
        {"surveys.csv": "response_id,timestamp,nps\nr1,2025-01-01,nove\nr2,2025-01-01,\n"},
        "surveys.csv", "nps", "not a number", (2,)),
    "duplicate id": (
        {"surveys.csv": "response_id,timestamp\nr1,2025-01-01\nr2,2025-01-01\nr1,2025-01-02\n"},
        "surveys.csv", "response_id", "duplicated", (2, 4)),
    "binary file": (
        {"events.csv": b"\x00\x01\x02\x03binary"}, "events.csv", None, "binary", ()),
    "excel renamed csv": (
        {"customers.csv": b"PK\x03\x04\x14\x00rest-of-zip"}, "customers.csv", None, "Excel", ()),
    "carriage returns alone as line breaks": (
        {"customers.csv": b"customer_id,age\r1,34\r2,51"}, "customers.csv", None, "cannot be read as CSV", ()),
    "malformed dataset.yml": (
        {"events.csv": EVENTS, "dataset.yml": "name: [unclosed\n"}, "dataset.yml", None, "not valid YAML", ()),
    "mapping names a missing column": (
        {"events.csv": EVENTS, "dataset.yml": "columns:\n  events: {data_ora: timestamp}\n"},
        "dataset.yml", "data_ora", "not a column of events.csv", ()),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_input_gives_data_error_naming_file_column_and_lines(make_dataset, case):
    files, file, column, words, lines = BAD_CASES[case]
    problems = _problems(make_dataset(files))
    matching = [p for p in problems if p.file == file and p.column == column and words in p.message]
    assert matching, [str(p) for p in problems]
    assert matching[0].lines == lines
    assert words in str(DataError(problems))


def test_an_italian_nps_export_is_read_by_its_headers_and_a_second_date_column_gets_the_hint(make_dataset):
    export = "Data,Voto NPS,Commento\n2026-01-03,9,Ottimo servizio\n2026-01-04,3,Consegna lenta\n"
    report = validate(make_dataset({"surveys.csv": export}))
    assert report.ok, report
    assert [note.split(";")[0] for note in report.notes if "by their names" in note] == [
        "surveys.csv: columns read by their names: 'Data' → timestamp, 'Voto NPS' → nps, 'Commento' → comment"]
    problem, = _problems(make_dataset({"surveys.csv": export.replace("Data,", "Data,Ora,").replace("-03,", "-03,9:00,")
                                       .replace("-04,", "-04,10:00,")}))
    assert "Did you mean 'data' (or 'ora')?" in problem.message and "(data: timestamp)" in problem.message


def test_an_nps_export_without_ids_is_numbered_by_line_and_its_date_column_read(make_dataset):
    export = "Date,Score,Comment\n2026-01-03,9,Great service\n2026-01-04,3,Slow delivery\n"
    problems = _problems(make_dataset({"surveys.csv": export.replace("Date", "Day")}))
    assert [(p.file, p.column) for p in problems] == [("surveys.csv", "timestamp")]
    assert "the file has day, score, comment." in problems[0].message

    mapped = make_dataset({"surveys.csv": export, "dataset.yml": "columns:\n  surveys: {Score: nps}\n"})
    report = validate(mapped)
    assert report.ok, report
    assert any("has no response_id column" in note for note in report.notes)
    surveys = load_dataset(mapped).surveys
    assert surveys["response_id"].tolist() == ["surveys:2", "surveys:3"]
    assert surveys["nps"].tolist() == [9, 3]


def test_every_problem_of_a_file_is_listed_at_once(make_dataset):
    problems = _problems(make_dataset({"surveys.csv": """
        response_id,timestamp,nps,csat
        r1,yesterday,11,3
        r1,2025-01-01,5,9
    """}))
    kinds = {(p.column, p.message.split(";")[0].split(") ")[-1]) for p in problems}
    assert {c for c, _ in kinds} == {"timestamp", "nps", "csat", "response_id"}


def test_each_failing_check_is_one_problem_with_its_lines_and_values(make_dataset):
    problems = _problems(make_dataset({"surveys.csv": """
        response_id,timestamp,nps
        r1,2025-01-01,12.5
        ,2025-01-01,7
        r1,2025-01-02,-1
        ,2025-01-02,4.5
    """}))
    found = {(p.column, p.message, p.lines, p.values) for p in problems}
    assert found == {
        ("nps", "2 values are out of range; expected a whole number from 0 to 10.", (2, 4), (12.5, -1.0)),
        ("nps", "2 values are not whole numbers; expected a whole number from 0 to 10.", (2, 5), (12.5, 4.5)),
        ("response_id", "2 values are duplicated; expected a unique response id. Keep one row per response_id, or, if "
                        "it does not identify a row, map it to another name in dataset.yml (columns.surveys: "
                        "{response_id: source_response_id}): each row is then identified by its file and line.",
         (2, 4), ("r1", "r1")),
        ("response_id", "2 values are empty; expected a unique response id.", (3, 5), ("", "")),  # not duplicated
    }


def test_validate_returns_the_findings_without_raising(make_dataset):
    folder = make_dataset({"surveys.csv": "response_id,timestamp,nps\nr1,2025-01-01,12\n"})
    report = validate(folder)
    assert not report.ok
    assert report.problems[0].lines == (2,)
    assert "nps" in str(report)
    assert validate(make_dataset({"events.csv": EVENTS})).ok


def test_line_numbers_count_quoted_newlines(make_dataset):
    folder = make_dataset({"surveys.csv": 'response_id,timestamp,comment,nps\nr1,2025-01-01,"two\nlines",5\nr2,2025-01-01,ok,42\n'})
    problem = _problems(folder)[0]
    assert problem.lines == (4,)


def test_defaults_fill_columns_an_export_lacks(make_dataset):
    folder = make_dataset({
        "tx.csv": "household,when,shop\n1,2017-01-02 10:00:00,367\n",
        "dataset.yml": """
            files: {events: tx.csv}
            columns: {events: {household: customer_id, when: timestamp, shop: touchpoint}}
            defaults: {events: {channel: Store}}
        """,
    })
    events = load_dataset(folder).events
    assert events.columns[:4].tolist() == ["customer_id", "timestamp", "channel", "touchpoint"]
    assert events.iloc[0][["channel", "touchpoint"]].tolist() == ["store", "367"]


def test_defaults_fill_the_blank_cells_of_a_column_the_export_has_and_say_how_many(make_dataset):
    events = "lead,day,origin,page\nL1,2025-01-02,social,p1\nL2,2025-01-03, ,p1\nL3,2025-01-04,,p2\nL4,2025-01-05,n/a,p2\n"
    mapping = "columns: {events: {lead: customer_id, day: timestamp, origin: channel, page: touchpoint}}\n"
    blank = make_dataset({"events.csv": events, "dataset.yml": mapping})
    problem = _problems(blank)[0]
    assert (problem.column, problem.lines, problem.count) == ("channel", (3, 4, 5), 3)
    assert "3 values are empty" in problem.message and "defaults.events in dataset.yml, such as `channel: unknown`." in problem.message
    filled = make_dataset({"events.csv": events, "dataset.yml": mapping + "defaults: {events: {channel: unknown}}\n"})
    report = validate(filled)
    assert report.ok
    assert "events.csv: 3 blank channel cells filled with 'unknown' (defaults.events in dataset.yml)." in report.notes
    assert load_dataset(filled).events["channel"].tolist() == ["social", "unknown", "unknown", "unknown"]


def test_a_repeated_row_id_suggests_keeping_one_row_or_numbering_rows(make_dataset):
    reviews = "id,date,stars\nv1,2025-01-02,5\nv1,2025-01-02,4\nv2,2025-01-03,3\n"
    mapped = make_dataset({"reviews.csv": reviews,
                           "dataset.yml": "columns: {reviews: {id: review_id, date: timestamp, stars: rating}}\n"})
    problem = _problems(mapped)[0]
    assert problem.message == ("2 values are duplicated; expected a unique review id. Keep one row per review_id, or, "
                               "if it does not identify a row, remove 'id: review_id' from columns.reviews in "
                               "dataset.yml: each row is then identified by its file and line.")
    native = make_dataset({"reviews.csv": reviews.replace("id,date,stars", "review_id,timestamp,rating")})
    assert "(columns.reviews: {review_id: source_review_id})" in _problems(native)[0].message
    renamed = make_dataset({"reviews.csv": reviews.replace("id,date,stars", "review_id,timestamp,rating"),
                            "dataset.yml": "columns: {reviews: {review_id: source_review_id}}\n"})
    assert load_dataset(renamed).reviews["review_id"].tolist() == ["reviews:2", "reviews:3", "reviews:4"]  # as it says


def test_events_repeating_a_row_are_kept_and_counted(make_dataset):
    rows = ["c1,2025-01-02,store,purchase,9.5", "c1,2025-01-02,store,purchase,9.5", "c2,2025-01-02,store,purchase,9.5",
            "c1,2025-01-02,store,purchase,", "c1,2025-01-02,store,purchase,9.5", "c2,2025-01-02,store,purchase,9.5"]
    folder = make_dataset({"events.csv": "customer_id,timestamp,channel,touchpoint,value\n" + "\n".join(rows) + "\n"})
    report = validate(folder)
    assert report.ok and report.warnings == [
        "events.csv: 3 rows repeat an earlier row in every column (line 3 repeats line 2, for example); kept as "
        "separate events: with times to the day or the second, they can be real repeats (two purchases). If the "
        "export doubled them, remove them from the file."]
    with pytest.warns(DataWarning, match="3 rows repeat"):
        assert len(load_dataset(folder).events) == 6
    distinct = make_dataset({"events.csv": "customer_id,timestamp,channel,touchpoint\nc1,2025-01-02,web,home\n"
                                           "c1,2025-01-02,web,cart\nc2,2025-01-02,web,home\n"})
    assert not validate(distinct).warnings


def test_repeated_events_are_found_alike_in_an_export_grouped_by_customer_and_in_one_that_is_not(make_dataset):
    # grouped by customer and ordered by time within: repeats are found among neighbours (no sort); in time order
    # among rows sharing their time; in any other order by a sort of hashes. A repeat need not be next to the row
    # it repeats (line 5 repeats line 2).
    grouped = ["c1,2025-01-02,store,purchase,9.5", "c1,2025-01-02,store,purchase,9.5", "c1,2025-01-02,store,purchase,",
               "c1,2025-01-02,store,purchase,9.5", "c1,2025-01-03,store,purchase,9.5", "c2,2025-01-01,web,home,",
               "c2,2025-01-02,store,purchase,9.5", "c2,2025-01-02,store,purchase,9.5"]
    shuffled = [grouped[i] for i in (5, 0, 4, 6, 1, 2, 7, 3)]
    in_time_order = [grouped[i] for i in (5, 0, 6, 1, 2, 7, 3, 4)]
    found = []
    for rows in (grouped, shuffled, in_time_order):
        folder = make_dataset({"events.csv": "customer_id,timestamp,channel,touchpoint,value\n" + "\n".join(rows)
                               + "\n"})
        found.append(validate(folder).warnings)
    assert [warning[:warning.index(";")] for warning, in found] == [
        "events.csv: 3 rows repeat an earlier row in every column (line 3 repeats line 2, for example)",
        "events.csv: 3 rows repeat an earlier row in every column (line 6 repeats line 3, for example)",
        "events.csv: 3 rows repeat an earlier row in every column (line 5 repeats line 3, for example)"]


def test_warnings_of_checks_run_on_other_threads_come_in_the_order_of_the_checks(make_dataset):
    events = ("customer_id,timestamp,channel,touchpoint\nc1,2025-01-02,web,home\nc1,2025-01-02,web,home\n"
              "c2,2025-01-03,web,home\nc1,2999-01-01,web,home\n")
    folder = make_dataset({"customers.csv": "customer_id\nc1\n", "events.csv": events,
                           "surveys.csv": "customer_id,timestamp,nps\nc1,2999-01-01,9\nc3,2025-01-02,7\n"})
    assert validate(folder).warnings == [  # the repeated events are found on another thread, after the future time
        "events.csv: 1 timestamp value lies in the future; check the export's clock or time zone.",
        "events.csv: 1 row repeats an earlier row in every column (line 3 repeats line 2); kept as a separate "
        "event: with times to the day or the second, it can be a real repeat (two purchases). If the export doubled "
        "it, remove it from the file.",
        "surveys.csv: 1 timestamp value lies in the future; check the export's clock or time zone.",
        "events: 1 row of 1 customer id not found in customers; kept, without customer attributes.",
        "surveys: 1 row of 1 customer id not found in customers; kept, without customer attributes."]


def test_an_nps_tool_export_is_told_which_columns_would_be_its_scores(make_dataset):
    survey = "Date,How likely are you to recommend us?,Why?,Score\n2025-01-02,9,Great,4\n2025-01-03,8,ok,5\n"
    folder = make_dataset({"surveys.csv": survey, "dataset.yml": "columns: {surveys: {Date: timestamp}}\n"})
    notes = [n for n in validate(folder).notes if "looks like" in n]
    assert sorted(notes) == [
        "surveys.csv: column 'How likely are you to recommend us?' looks like nps; map it under columns.surveys in "
        "dataset.yml to use it (\"How likely are you to recommend us?\": nps).",
        "surveys.csv: column 'Score' looks like one of nps, csat; map it under columns.surveys in dataset.yml to use "
        "it (\"Score\": nps).",
        "surveys.csv: column 'Why?' looks like comment; map it under columns.surveys in dataset.yml to use it "
        "(\"Why?\": comment)."]
    (folder / "dataset.yml").write_text('columns: {surveys: {Date: timestamp, "How likely are you to recommend us?": nps}}\n')
    (folder / "surveys.csv").write_text(survey.replace(",8,", ',"7,5",'))
    problem, = _problems(folder)   # 7,5 read with its decimal comma (said in a note): an NPS of 7.5 is no whole number
    assert (problem.column, problem.lines, problem.values) == ("nps", (3,), (7.5,))
    assert any("decimal comma (such as 7,5 in nps)" in note for note in validate(folder).notes)
    assert not any("looks like nps" in note for note in validate(folder).notes)   # mapped: nothing to suggest
    labels = make_dataset({"surveys.csv": "timestamp,satisfaction\n2025-01-02,satisfied\n2025-01-03,neutral\n"})
    assert not any("looks like" in note for note in validate(labels).notes)       # words, not a CSAT score


def test_a_ticket_log_hears_of_every_usual_touchpoint_column(make_dataset):
    log = make_dataset({"events.csv": "customer_id,created_at,channel,queue,event\nc1,2025-01-02,email,billing,opened\n"})
    problem = next(p for p in _problems(log) if p.column == "touchpoint")
    assert "Did you mean 'event' (or 'queue')? Rename that column" in problem.message


def test_whole_numbers_out_of_range_are_shown_as_written(make_dataset):
    problem, = _problems(make_dataset({"surveys.csv": "response_id,timestamp,csat\nr1,2025-01-01,6\n"}))
    assert "line 2: 6]" in str(problem)


def test_declared_categories_keep_coded_numbers_as_text(make_dataset, tmp_path):
    crm = "customer_id,age,Region\nc1,30,1\nc2,40,2\nc3,50,\n"
    folder = make_dataset({"customers.csv": crm, "dataset.yml": "categories: {customers: [region]}\n"})
    customers = load_dataset(folder).customers
    assert customers["region"].tolist()[:2] == ["1", "2"] and customers["region"].isna().tolist() == [False, False, True]
    assert customers["age"].dtype == float                           # undeclared numbers stay numbers
    assert load_dataset(make_dataset({"customers.csv": crm})).customers["region"].dtype == float
    parquet = tmp_path / "parquet"
    parquet.mkdir()
    pd.DataFrame({"customer_id": ["c1", "c2", "c3"], "region": [1.0, 3.0, np.nan]}).to_parquet(parquet / "customers.parquet")
    (parquet / "dataset.yml").write_text("categories: {customers: [region]}\n")
    assert load_dataset(parquet).customers["region"].tolist()[:2] == ["1", "3"]   # a float file's codes without '.0'
    wrong = make_dataset({"customers.csv": crm, "dataset.yml": "categories: {customers: [regoin, age, customer_id]}\n"})
    assert [p.message for p in _problems(wrong)] == [
        "categories.customers names 'regoin', which is not a column of customers.csv. Did you mean 'region'?",
        "categories.customers names 'customer_id', a canonical column with its own type; expected the export's other "
        "columns, such as region codes."]
    flat = make_dataset({"customers.csv": crm, "dataset.yml": "categories: [region]\n"})
    assert _problems(flat)[0].message.startswith("'categories' must map tables (customers, events, surveys, reviews, "
                                                 "interventions) to a list of columns, such as {customers: [region]}")


def test_real_sample_loads():
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "data" / "samples" / "dunnhumby_households"
    ds = load_dataset(sample)
    assert len(ds.customers) == 250 and ds.customers["customer_id"].is_unique
    assert len(ds.events) == 12655
    assert set(ds.events["customer_id"]) <= set(ds.customers["customer_id"])
    assert ds.events["channel"].unique().tolist() == ["store"]
    # a hand check: total spend of household 1 equals the raw file's sum
    raw = __import__("pandas").read_csv(sample / "transactions.csv")
    assert ds.events.loc[ds.events.customer_id == "1", "value"].sum() == pytest.approx(
        raw.loc[raw.household_id == 1, "sales_value"].sum())


def test_from_frames_checks_in_memory_tables_like_files(make_dataset):
    from cxresearch.dataset import from_frames

    folder = make_dataset({"events.csv": EVENTS})
    raw = pd.read_csv(folder / "events.csv", dtype=str)
    built = from_frames({"events": raw}, name="tiny", stages={"purchase": ["checkout"]})
    pd.testing.assert_frame_equal(built.events.drop(columns="stage"), load_dataset(folder).events)
    assert built.events["stage"].isna().tolist() == [True, False, False]
    assert built.events["stage"].iloc[1:].tolist() == ["purchase", "purchase"]
    with pytest.raises(DataError, match=r"surveys, column 'nps': 1 value is out of range.*row 1: 12"):
        from_frames({"surveys": pd.DataFrame({"response_id": ["a"], "timestamp": ["2025-01-01"], "nps": [12]})})


def test_repeated_hour_when_clocks_go_back_is_kept_as_standard_time(make_dataset):
    folder = make_dataset({"events.csv": EVENTS.replace("2025-03-01 10:05:00", "2025-10-26 02:30:00"),
                           "dataset.yml": "timezone: Europe/Rome\n"})
    stamps = load_dataset(folder).events["timestamp"]
    assert stamps.iloc[1] == pd.Timestamp("2025-10-26 01:30", tz="UTC")  # 02:30 CET (UTC+1), nothing lost


def test_extra_columns_are_typed_but_ids_and_codes_stay_text(make_dataset):
    folder = make_dataset({"surveys.csv": """
        response_id,timestamp,nps,delay_minutes,recommended,order_id,store_code,comment
        r1,2025-03-01,9,12,1,100,017,12
        r2,2025-03-01,3,95.5,0,101,018,late
    """})
    surveys = load_dataset(folder).surveys
    assert surveys["delay_minutes"].tolist() == [12.0, 95.5]
    assert surveys["recommended"].tolist() == [1.0, 0.0]
    assert surveys["order_id"].tolist() == ["100", "101"]
    assert surveys["store_code"].tolist() == ["017", "018"]
    assert surveys["comment"].tolist() == ["12", "late"]


def test_snapshot_round_trip_is_exact(tmp_path):
    from cxresearch.dataset import load_snapshot, save_snapshot, snapshot_source
    from cxresearch.synthetic import generate

    ds = load_dataset(generate(tmp_path / "demo", customers=120, random_state=5))
    save_snapshot(ds, tmp_path / "snap", source={"period": "all"})
    back = load_snapshot(tmp_path / "snap")
    assert (back.name, back.stages, back.notes, back.path) == (ds.name, ds.stages, ds.notes, ds.path)
    for table, frame in ds.tables.items():
        pd.testing.assert_frame_equal(getattr(back, table), frame, obj=table)
    assert snapshot_source(tmp_path / "snap") == {"period": "all"}
    assert snapshot_source(tmp_path) is None


def test_a_snapshot_is_read_in_place_not_copied(tmp_path):
    """Kernels reading the run's snapshot at once share the mapped file: reading it allocates no column memory."""
    import pyarrow

    from cxresearch.dataset import load_snapshot, save_snapshot
    from cxresearch.synthetic import generate

    ds = load_dataset(generate(tmp_path / "demo", customers=120, random_state=5))
    save_snapshot(ds, tmp_path / "snap")
    before = pyarrow.total_allocated_bytes()
    events = load_snapshot(tmp_path / "snap").events
    assert pyarrow.total_allocated_bytes() - before < 1024  # the columns' buffers are the file's pages
    assert not events["value"].to_numpy().flags.writeable  # a view of the file, copied only when changed
    changed = events.assign(value=events["value"] * 2)
    assert changed["value"].sum() == 2 * ds.events["value"].sum()


@pytest.mark.parametrize("dates, setting, read, says", [
    (["03/01/2025", "15/01/2025"], "", ["2025-01-03", "2025-01-15"], "read day-first"),
    (["03/01/2025", "01/15/2025"], "", ["2025-03-01", "2025-01-15"], None),
    (["03/01/2025", "04/02/2025"], "", ["2025-03-01", "2025-04-02"], "could be day-first or month-first"),
    (["03/01/2025", "04/02/2025"], "csv: {dayfirst: true}\n", ["2025-01-03", "2025-02-04"], None),
])
def test_numeric_dates_are_read_in_one_order_and_the_choice_is_said(make_dataset, dates, setting, read, says):
    rows = "".join(f"r{i},{date}\n" for i, date in enumerate(dates))
    files = {"surveys.csv": "response_id,timestamp\n" + rows, **({"dataset.yml": setting} if setting else {})}
    report = validate(make_dataset(files))
    assert report.ok, report
    said = report.notes + report.warnings
    assert any(says in line for line in said) if says else not any("day-first" in line for line in said)
    stamps = load_dataset(make_dataset(files)).surveys["timestamp"].dt.strftime("%Y-%m-%d").tolist()
    assert stamps == read


def test_a_date_column_in_both_orders_is_a_problem_naming_the_lines(make_dataset):
    problems = _problems(make_dataset({"surveys.csv": "response_id,timestamp\na,15/01/2025\nb,01/15/2025\n"}))
    assert [(p.file, p.column, p.lines) for p in problems] == [("surveys.csv", "timestamp", (3,))]
    assert "day-first (15/01/2025) and month-first (01/15/2025)" in problems[0].message


def test_a_date_in_neither_order_is_no_evidence_of_an_order(make_dataset):
    # 31/02/2025 is a date neither day-first nor month-first: it is reported as unreadable, not as showing the order
    report = validate(make_dataset({"surveys.csv": "response_id,timestamp\na,31/02/2025\nb,03/01/2025\n"}))
    said = report.notes + report.warnings
    assert not any("31/02/2025 require" in line for line in said)
    assert any("such as 03/01/2025 could be day-first or month-first" in line for line in said)
    assert [p.lines for p in report.problems] == [(2,)]
    beside = validate(make_dataset({"surveys.csv": "response_id,timestamp\na,31/02/2025\nb,15/01/2025\n"}))
    assert any("such as 15/01/2025 require" in line for line in beside.notes)


def test_a_spreadsheet_in_place_of_a_table_is_named_with_how_to_save_it(make_dataset):
    folder = make_dataset({"events.csv": EVENTS, "customers.ods": b"PK\x03\x04\x14\x00rest-of-zip"})
    report = validate(folder)
    assert report.ok, report
    warning, = [w for w in report.warnings if "customers.ods" in w]
    assert "CSV (UTF-8)" in warning and "customers.csv" in warning and "customers.xlsx" in warning
    alone = validate(make_dataset({"customers.xls": b"\xd0\xcf\x11\xe0"}))
    assert any("customers.xls" in w for w in alone.warnings) and not alone.ok
    beside_csv = validate(make_dataset({"events.csv": EVENTS, "events.xls": b"\xd0\xcf\x11\xe0"}))
    assert not any("events.xls" in w for w in beside_csv.warnings)


def test_a_text_export_of_another_name_is_named_with_the_setting_that_reads_it(make_dataset):
    # Excel's "Unicode text" export saved as surveys.txt: not read, but named, with the files: setting that reads it
    utf16 = "response_id\ttimestamp\nr1\t2025-03-01T10:00:00Z\n".encode("utf-16")
    alone = validate(make_dataset({"surveys.txt": utf16}))
    problem, = alone.problems
    assert "no table files found" in problem.message and "files: {surveys: surveys.txt}" in problem.message
    assert any("surveys.txt was not read" in w for w in alone.warnings)
    beside = validate(make_dataset({"events.csv": EVENTS, "surveys.txt": utf16}))
    assert beside.ok and any("files: {surveys: surveys.txt}" in w for w in beside.warnings)
    declared = load_dataset(make_dataset({"surveys.txt": utf16, "dataset.yml": "files: {surveys: surveys.txt}\n"}))
    assert declared.surveys["response_id"].tolist() == ["r1"]

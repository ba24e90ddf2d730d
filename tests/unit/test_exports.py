"""Partial real exports end to end: what the summary computes from a reviews-only export, and says it cannot."""
from __future__ import annotations

import pandas as pd
import pytest

from cxresearch import recipes, schemas
from cxresearch.dataset import CXDataset, load_dataset, validate
from cxresearch.errors import DataError
from cxresearch.stats import wilson_interval
from cxresearch.summary import summarise

from .test_recipes import SHARED_DATA, folder

STAMP = pd.Timestamp("2025-03-01", tz="UTC")
STARS = [5, 5, 4, 3, 1, 5, 4, 2, 5, 5]


def reviews_only(stars=STARS) -> CXDataset:
    """A review scrape: ids, dates, stars and text, nobody's customer id."""
    return CXDataset("review scrape", reviews=pd.DataFrame({
        "review_id": [f"r{i}" for i in range(len(stars))], "timestamp": STAMP, "rating": [float(s) for s in stars],
        "text": ["Lovely fit", "Great", "Good value", "Okay", "Tore at once", "Perfect", "Nice", "Meh", "Love it",
                 "Beautiful"][:len(stars)]}))


def test_a_reviews_only_export_gets_its_stars_as_kpis_with_intervals():
    summary = summarise(reviews_only())
    top2, mean = summary.kpis["rating"], summary.kpis["rating_mean"]
    share, low, high = wilson_interval(7, 10)                          # 7 of 10 reviews give 4 or 5 stars
    assert (top2.value, top2.low, top2.high, top2.n) == pytest.approx((0.7, low, high, 10))    # a share of 1
    assert mean.value == pytest.approx(3.9) and mean.low < 3.9 < mean.high <= 5 and mean.n == 10
    table = summary.rating_table()
    assert table["KPI"].tolist() == ["Review stars 4-5 (share of reviews)", "Review stars mean (1-5)"]
    assert table["reviews"].tolist() == [10, 10] and "responses" not in table    # counted as what they are
    assert summary.kpi_table().empty                                     # no survey KPI pretends to be there
    assert set(summary.headline()) == {"Review stars 4-5", "Review stars mean"}
    from cxresearch.briefing import headline_findings
    findings = headline_findings(summary)
    assert [f.text for f in findings] == ["70% of reviews give 4 or 5 stars", "Reviews average 3.9 stars on a scale of 1 to 5"]
    assert findings[0].interval.endswith(", 10 reviews")


def test_a_reviews_only_summary_says_surveys_are_missing_only_for_the_survey_scores():
    why = summarise(reviews_only()).not_computed.set_index("analysis")["why"]
    assert "Review ratings" not in why.index and "Review sentiment" not in why.index
    for analysis in ("NPS", "CES", "KPIs"):
        assert why[analysis].startswith("No surveys in this dataset: add a surveys file")


def test_reviews_without_stars_say_what_the_ratings_need():
    ds = reviews_only()
    ds = CXDataset("texts", reviews=ds.reviews.assign(rating=float("nan")))
    summary = summarise(ds)
    assert "rating" not in summary.kpis and summary.rating_table().empty
    why = summary.not_computed.set_index("analysis")["why"]
    assert why["Review ratings"] == ("No review stars in this dataset: add a `rating` column (1-5) to reviews to see "
                                     "how reviewers rate you.")


def test_the_clothing_reviews_stars_on_the_summary():
    """Known answer from the file's counts: 5,077 four-star and 13,131 five-star reviews of 23,486."""
    reviews = recipes.load("clothing", folder("clothing")).reviews
    kpis = summarise(CXDataset("clothing", reviews=reviews.drop(columns="customer_id"))).kpis  # no personas: faster
    assert kpis["rating"].value == pytest.approx((5_077 + 13_131) / 23_486)
    assert kpis["rating_mean"].value == pytest.approx((842 + 2 * 1_565 + 3 * 2_871 + 4 * 5_077 + 5 * 13_131) / 23_486)
    assert kpis["rating"].n == 23_486 and "nps" not in kpis


def test_an_anonymous_customer_extract_is_numbered_by_line_and_supports_personas(make_dataset):
    from cxresearch.capabilities import available
    from cxresearch.dataset import load_dataset, validate
    crm = make_dataset({"customers.csv": "age;job;y\n56;housemaid;no\n57;services;yes\n37;services;no\n"})
    report = validate(crm)
    assert not report.problems
    assert any("customers.csv has no customer_id column" in note for note in report.notes)
    ds = load_dataset(crm)
    assert ds.customers["customer_id"].tolist() == ["customers:2", "customers:3", "customers:4"]
    assert available(ds, "personas")
    linked = make_dataset({"customers.csv": "age,region\n34,north\n",
                           "events.csv": "customer_id,timestamp,channel,touchpoint\nc1,2025-01-01,web,home\n"})
    assert any("not found in customers" in warning for warning in validate(linked).warnings)  # said, not hidden


def test_the_uci_bank_marketing_file_loads_as_anonymous_customers(tmp_path):
    """A ';'-separated campaign extract with no id: only a dataset.yml naming the file."""
    from cxresearch.dataset import load_dataset
    source = SHARED_DATA / "uci_bank_marketing" / "bank-additional-full.csv"
    if not source.is_file():
        pytest.skip(f"shared data not available: {source}")
    (tmp_path / source.name).symlink_to(source)
    (tmp_path / "dataset.yml").write_text(f"files: {{customers: {source.name}}}\n")
    ds = load_dataset(tmp_path)
    assert len(ds.customers) == 41_188 and ds.customers["customer_id"].is_unique
    assert ds.customers["y"].value_counts()["yes"] == 4_640


def test_reviews_with_texts_get_their_themes_and_a_scrape_without_texts_says_so():
    from cxresearch.capabilities import available, missing
    assert available(reviews_only(), "review_topics")
    stars_only = CXDataset("stars", reviews=reviews_only().reviews.drop(columns="text"))
    assert missing(stars_only, "review_topics") == ("No review texts in this dataset: add a `text` column to reviews "
                                                    "to see what reviewers write about.")


def _shared_export(tmp_path, source: str, table: str, settings: str):
    """A dataset folder holding the shared file *source* as *table*, described by *settings* (dataset.yml)."""
    file = SHARED_DATA / source
    if not file.is_file():
        pytest.skip(f"shared data not available: {file}")
    (tmp_path / f"{table}.csv").symlink_to(file)
    (tmp_path / "dataset.yml").write_text(settings)
    return tmp_path


def test_the_olist_leads_blank_origins_take_the_declared_channel_and_are_counted(tmp_path):
    """Olist's marketing funnel: 60 of 8,000 leads have no origin (the data README's count)."""
    from cxresearch.dataset import load_validated
    folder = _shared_export(tmp_path, "olist_marketing_funnel/olist_marketing_qualified_leads_dataset.csv", "events",
                            "columns: {events: {mql_id: customer_id, first_contact_date: timestamp, origin: channel, "
                            "landing_page_id: touchpoint}}\ndefaults: {events: {channel: unknown}}\n")
    ds, report = load_validated(folder)
    assert "events.csv: 60 blank channel cells filled with 'unknown' (defaults.events in dataset.yml)." in report.notes
    raw = pd.read_csv(folder / "events.csv")
    assert (ds.events["channel"] == "unknown").sum() == raw["origin"].isna().sum() + (raw["origin"] == "unknown").sum()
    assert len(ds.events) == 8_000


def test_the_olist_reviews_repeated_ids_say_how_to_load_them_and_that_way_loads(tmp_path):
    from cxresearch.dataset import load_dataset, validate
    mapping = "review_score: rating, review_creation_date: timestamp, review_comment_message: text"
    folder = _shared_export(tmp_path, "olist_ecommerce_sample15k/olist_order_reviews_dataset.csv", "reviews",
                            f"columns: {{reviews: {{{mapping}}}}}\n")
    problem, = validate(folder).problems
    assert problem.column == "review_id" and "map it to another name in dataset.yml" in problem.message
    (folder / "dataset.yml").write_text(f"columns: {{reviews: {{review_id: source_review_id, {mapping}}}}}\n")
    reviews = load_dataset(folder).reviews
    assert len(reviews) == 14_944 and reviews["review_id"].is_unique
    assert reviews["source_review_id"].duplicated().sum() > 0                # kept, for whoever needs the export's id


def test_the_cdnow_log_keeps_its_255_identical_rows_and_says_so(tmp_path):
    """The data README counts 255 exact duplicate rows in CDNOW's 69,659."""
    from cxresearch.dataset import load_validated
    folder = _shared_export(tmp_path, "cdnow_transactions/cdnow_master.csv", "events",
                            "columns: {events: {date: timestamp, amount_usd: value}}\n"
                            "defaults: {events: {channel: mail_order, touchpoint: purchase}}\n")
    with pytest.warns(Warning):
        ds, report = load_validated(folder)
    assert len(ds.events) == 69_659 and len(report.warnings) == 1
    assert report.warnings[0].startswith("events.csv: 255 rows repeat an earlier row in every column")
    assert ds.events["timestamp"].min() == pd.Timestamp("1997-01-01", tz="UTC")   # YYYYMMDD dates read as dates


def test_a_ticket_log_without_surveys_ranks_pain_points_in_numbers_the_page_can_format():
    # no survey anywhere: CSAT is missing at every place, which must not turn impact into text ("0.0955215034200134")
    rows = [(f"c{i}", day, touchpoint) for i in range(30) for day, touchpoint in
            enumerate(["home", "chat" if i % 3 else "returns", "faq"][: 2 + i % 2])]
    events = pd.DataFrame(rows, columns=["customer_id", "day", "touchpoint"]).assign(
        timestamp=lambda e: STAMP + pd.to_timedelta(e["day"] * 3, unit="min"), channel="web").drop(columns="day")
    pains = summarise(CXDataset("tickets", events=events)).pain_points
    assert len(pains) and pains["csat"].isna().all()
    assert pains[["csat", "excess_dissatisfaction", "impact"]].dtypes.eq(float).all()


def test_reviews_that_are_the_surveys_csat_answers_are_known_as_one_measure():
    reviews = reviews_only().reviews
    surveys = pd.DataFrame({"response_id": reviews["review_id"], "timestamp": STAMP, "csat": reviews["rating"]})
    assert summarise(CXDataset("olist-like", reviews=reviews, surveys=surveys)).reviews_are_surveys
    other = surveys.assign(csat=surveys["csat"].iloc[::-1].to_numpy())         # same ids, other scores
    assert not summarise(CXDataset("two measures", reviews=reviews, surveys=other)).reviews_are_surveys


def test_a_date_starting_with_its_year_reads_year_month_day_even_in_a_day_first_export(make_dataset):
    # an Italian export (day-first) whose 2025/02/01 is 1 February, and whose 2025-13-01 has no month 13: a problem
    # naming the file, column, line and the order expected, not 13 January read silently
    files = {"surveys.csv": "response_id,timestamp\na,2025/02/01\nb,01/03/2025\n", "dataset.yml": "csv: {dayfirst: true}"}
    stamps = load_dataset(make_dataset(files)).surveys["timestamp"].dt.strftime("%Y-%m-%d").tolist()
    assert stamps == ["2025-02-01", "2025-03-01"]
    files["surveys.csv"] += "c,2025-13-01\n"
    with pytest.raises(DataError) as info:
        load_dataset(make_dataset(files))
    [problem] = info.value.problems
    assert (problem.file, problem.column, problem.lines, problem.values) == ("surveys.csv", "timestamp", (4,),
                                                                              ("2025-13-01",))
    assert "year, month, day order" in problem.message
    # day-first found in the other values (13/01/2025) does not turn a year-first date around either
    report = validate(make_dataset({"surveys.csv": "response_id,timestamp\na,13/01/2025\nb,2025-13-02\n"}))
    assert [(p.column, p.lines) for p in report.problems] == [("timestamp", (3,))]


def test_dates_in_both_orders_name_the_rows_read_otherwise(make_dataset):
    report = validate(make_dataset({"surveys.csv": "response_id,timestamp\na,15/01/2025\nb,01/15/2025\n"
                                                   "c,02/16/2025\n"}))
    assert str(report.problems[0]).endswith("[2 rows; line 3: '01/15/2025', line 4: '02/16/2025']")


#: One export in canonical form and as an Italian and a Portuguese tool write it: their own file and column names,
#: semicolons, decimal commas, day-first dates, Windows encoding; no dataset.yml.
EXPORTS = {
    "canonical": {"customers.csv": "customer_id,spend\nC1,1234.5\nC2,99.9\n",
                  "events.csv": "customer_id,timestamp,channel,touchpoint,value\n"
                                "C1,2025-03-01T10:00:00Z,store,checkout,1234.5\nC2,2025-12-31T23:59:00Z,web,home,\n",
                  "surveys.csv": "response_id,timestamp,customer_id,touchpoint,nps,comment\n"
                                 "R1,2025-03-13T00:00:00Z,C1,checkout,9,Più comodo\n"},
    "Italian": {"clienti.csv": "Codice cliente;spend\r\nC1;1.234,5\r\nC2;99,9\r\n",
                "eventi.csv": "ID cliente;Data e ora;Canale;Punto di contatto;Importo\r\n"
                              "C1;01/03/2025 10:00;Store;Checkout;1.234,50\r\nC2;31/12/2025 23:59;WEB;home;\r\n",
                "questionari.csv": "ID risposta;Data;ID cliente;Punto di contatto;Voto NPS;Commento\r\n"
                                   "R1;13/03/2025;C1;checkout;9;Più comodo\r\n"},
    "Portuguese": {"clientes.csv": "Código do cliente;spend\r\nC1;1.234,5\r\nC2;99,9\r\n",
                   "eventos.csv": "ID do cliente;Data e hora;Canal;Ponto de contato;Valor\r\n"
                                  "C1;01/03/2025 10:00;store;checkout;1.234,50\r\nC2;31/12/2025 23:59;web;home;\r\n",
                   "respostas.csv": "ID da resposta;Data;ID do cliente;Ponto de contato;Nota NPS;Comentário\r\n"
                                    "R1;13/03/2025;C1;checkout;9;Più comodo\r\n"},
}


@pytest.mark.parametrize("language", ["Italian", "Portuguese"])
def test_an_export_in_its_own_language_loads_as_the_canonical_one_without_a_mapping(make_dataset, language):
    files = {name: text.encode("cp1252") for name, text in EXPORTS[language].items()}
    report = validate(make_dataset(files))
    assert report.ok, report
    read = [note for note in report.notes if " read by " in note]
    touchpoint = {"Italian": "'Punto di contatto' → touchpoint", "Portuguese": "'Ponto de contato' → touchpoint"}
    assert len(read) == 3 and touchpoint[language] in read[1], read
    ours, canonical = load_dataset(make_dataset(files)), load_dataset(make_dataset(EXPORTS["canonical"]))
    for table in ("customers", "events", "surveys"):
        pd.testing.assert_frame_equal(getattr(ours, table), getattr(canonical, table), obj=table)


def test_a_column_is_read_by_its_name_only_when_the_file_has_no_other_candidate_nor_a_mapping(make_dataset):
    # a date and a time: which is the timestamp is the user's to say, and the problem names both
    report = validate(make_dataset({"surveys.csv": "id_risposta,data,ora\nR1,02/03/2025,10:00\n"}))
    [problem] = report.problems
    assert problem.column == "timestamp" and "Did you mean 'data' (or 'ora')?" in problem.message
    # a mapping wins: the mapped column is the timestamp and 'Data' stays a column of its own
    mapped = make_dataset({"surveys.csv": "ID risposta,Data,Inviato\nR1,02/03/2025,2025-03-04\n",
                           "dataset.yml": "columns: {surveys: {Inviato: timestamp}}"})
    surveys = load_dataset(mapped).surveys
    assert surveys[["response_id", "data"]].values.tolist() == [["R1", "02/03/2025"]]
    assert surveys["timestamp"].dt.strftime("%Y-%m-%d").tolist() == ["2025-03-04"]


def test_the_header_names_name_one_canonical_column_each_as_snake_case_without_accents():
    canonical = {c for table in schemas.TABLES for c in (*schemas.REQUIRED[table], *schemas.OPTIONAL[table])}
    assert set(schemas.HEADER_NAMES) <= canonical
    names = [name for names in schemas.HEADER_NAMES.values() for name in names]
    assert len(names) == len(set(names)), "a name reads as one column only"
    assert not set(names) & canonical
    assert [(column, name) for column, names in schemas.HEADER_NAMES.items() for name in names
            if name in schemas.EXPORT_NAMES.get(column, ())] == [], "a name read as a column is no mere hint of it"
    from cxresearch.readers import snake
    assert [name for name in names if snake(name) != name or not name.isascii()] == []


def test_an_italian_survey_export_is_read_and_told_which_columns_would_be_its_other_scores(make_dataset):
    survey = ("ID risposta;Data e ora;Codice cliente;Canale;Punto di contatto;Voto NPS;Soddisfazione;Facilità;Commento\n"
              "R1;13/03/2025 10:00;C1;Web;Checkout;9;4;2;Bene\n")
    report = validate(make_dataset({"surveys.csv": survey, "customers.csv": "Codice cliente;Età\nC1;34\n"}))
    assert report.ok, report
    assert not any("no customer_id column" in note for note in report.notes)   # customers keyed by their code
    assert any("'Facilità' looks like ces" in note for note in report.notes)
    assert any("'Soddisfazione' looks like csat" in note for note in report.notes)


def test_a_folder_of_a_public_export_is_told_its_import_command_and_other_files_a_fitting_table(make_dataset):
    olist = make_dataset({file: ",".join(columns) + "\n" for file, columns in recipes.RECIPES["olist"].files.items()})
    [problem] = validate(olist).problems
    assert f"`cxresearch import olist {olist} --out NEW_FOLDER`" in problem.message and "files: {" not in problem.message
    [problem] = validate(make_dataset({"olist_customers_2025.txt": "id\n1\n"})).problems  # no recipe's, a table's
    assert "such as files: {customers: olist_customers_2025.txt}" in problem.message


@pytest.mark.parametrize("form", ["csv", "parquet"])
def test_a_typo_among_ages_is_read_as_missing_and_named_and_the_ages_stay_numbers(make_dataset, tmp_path, form):
    ages = [str(18 + i % 60) for i in range(300)]
    ages[9] = "quarantadue"                                                   # line 11 of the file
    customers = pd.DataFrame({"customer_id": [f"C{i}" for i in range(300)], "age": ages})
    folder = make_dataset({"customers.csv": customers.to_csv(index=False)})
    if form == "parquet":                                      # a category column: its distinct values are counted
        (folder / "customers.csv").unlink()
        customers.astype({"age": "category"}).to_parquet(folder / "customers.parquet")
    report = validate(folder)
    assert report.ok and [w for w in report.warnings if "quarantadue" in w] == [
        f"customers.{form}: age holds numbers but 1 value is not one ({'line 11' if form == 'csv' else 'row 10'}: "
        "'quarantadue'); read as missing. Correct it in the file."]
    with pytest.warns(Warning):
        age = load_dataset(folder).customers["age"]
    assert age.dtype == float and age.isna().sum() == 1 and age.sum() == sum(map(float, ages[:9] + ages[10:]))
    # words in more than 1% of the rows are the column's own: it stays text, no warning
    ages[:5] = ["anziano"] * 5
    folder = make_dataset({"customers.csv": customers.assign(age=ages).to_csv(index=False)})
    assert not any("holds numbers" in w for w in validate(folder).warnings)


def test_rows_of_a_parquet_file_are_rows_not_lines(make_dataset):
    # the cdnow import's events.parquet said "line 1382 repeats line 1381": a Parquet file has rows, as Excel has
    events = pd.DataFrame({"customer_id": ["c1", "c1", "c2"], "timestamp": ["2025-01-02"] * 3, "channel": "web",
                           "touchpoint": ["home", "home", "faq"]})
    folder = make_dataset({"events.csv": events.to_csv(index=False)})
    assert any("(line 3 repeats line 2)" in w for w in validate(folder).warnings)
    (folder / "events.csv").unlink()
    events.to_parquet(folder / "events.parquet")
    assert any("(row 2 repeats row 1)" in w for w in validate(folder).warnings)
    events.assign(timestamp=["x", "2025-01-02", "y"]).to_parquet(folder / "events.parquet")
    [problem] = validate(folder).problems
    assert str(problem).endswith("[2 rows; row 1: 'x', row 3: 'y']")

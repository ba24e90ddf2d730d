"""Recipes on the real public exports: row counts, known category counts and KPIs computed by hand."""
import os
import warnings
from pathlib import Path

import pandas as pd
import pytest

from cxresearch import recipes
from cxresearch.cli import main
from cxresearch.dataset import CONFIG_FILE, CXDataset, load_dataset, write_dataset
from cxresearch.errors import DataError, ParameterError
from cxresearch.journeys import journey_map, sessionize
from cxresearch.outcomes import outcome_rate

SHARED_DATA = Path(os.environ.get("CXRESEARCH_SHARED_DATA",
                                  Path(__file__).resolve().parents[2].parent / "shared" / "data"))


def folder(name: str) -> Path:
    """The shared folder of recipe *name*, or skip naming what is missing."""
    path = SHARED_DATA / recipes.RECIPES[name].folder
    lacking = recipes.missing(name, path)
    if lacking:
        pytest.skip(f"shared data for recipe {name!r} not available (set CXRESEARCH_SHARED_DATA): {lacking[0]}")
    return path


@pytest.fixture(scope="module")
def loaded():
    cache = {}

    def load(name: str) -> tuple[CXDataset, Path]:
        if name not in cache:
            path = folder(name)
            cache[name] = recipes.load(name, path), path
        return cache[name]

    return load


# -------------------------------------------------------------------- registry and errors
def test_registry_describes_every_recipe():
    assert set(recipes.RECIPES) == {"olist", "bpic2012", "airline", "clothing", "telco", "dunnhumby", "cdnow",
                                    "olist_funnel", "bank_marketing", "online_shoppers"}
    for name, recipe in recipes.RECIPES.items():
        assert recipe.name == name and recipe.description and recipe.licence and recipe.files


def test_unknown_recipe_lists_the_valid_names():
    with pytest.raises(ParameterError, match=r"unknown recipe 'olsit'.*'olist'.*Did you mean 'olist'"):
        recipes.load("olsit", ".")


def test_missing_folder_is_named(tmp_path):
    messages = recipes.missing("telco", tmp_path / "nowhere")
    assert len(messages) == 1 and "nowhere" in messages[0] and "Telco_customer_churn_status.csv" in messages[0]


def test_every_missing_file_and_column_is_named_in_one_error(tmp_path):
    (tmp_path / "Telco_customer_churn_status.csv").write_text("Status ID,Customer ID,Satisfaction Scor\n")
    with pytest.raises(DataError) as error:
        recipes.telco(tmp_path)
    problems = {(p.file, p.column) for p in error.value.problems}
    assert ("Telco_customer_churn_demographics.csv", None) in problems
    assert ("Telco_customer_churn_services.csv", None) in problems
    assert ("Telco_customer_churn_status.csv", "Satisfaction Score") in problems
    assert "Did you mean 'Satisfaction Scor'" in str(error.value)


def test_dataset_points_at_the_users_folder_not_a_copy(loaded):
    ds, path = loaded("telco")
    assert ds.path == path


# ---------------------------------------------------------------------------------- olist
def test_olist_people_orders_milestones_and_reviews(loaded):
    ds, path = loaded("olist")
    orders = pd.read_csv(path / "olist_orders_dataset.csv")
    raw_reviews = pd.read_csv(path / "olist_order_reviews_dataset.csv")
    assert len(ds.customers) == 14_904  # customer_unique_id, README
    milestones = ["order_purchase_timestamp", "order_approved_at", "order_delivered_carrier_date",
                  "order_delivered_customer_date"]
    promised = pd.to_datetime(orders["order_estimated_delivery_date"])
    broken = orders["order_delivered_customer_date"].isna() & (promised <= pd.to_datetime(orders[milestones].stack()).max())
    assert len(ds.events) == int(orders[milestones].notna().sum().sum()) + broken.sum() == 59_243 + 445
    assert (ds.events["touchpoint"] == "not_delivered").sum() == broken.sum()
    assert (ds.events["touchpoint"] == "order_placed").sum() == 15_000
    # 2018-02-17 23:xx happened twice in Sao Paulo (clocks went back); those orders keep their time
    assert ds.events["timestamp"].notna().all() and ds.surveys["timestamp"].notna().all()
    assert ds.events["session_id"].nunique() == 15_000
    kept = raw_reviews.drop_duplicates("review_id")
    assert len(ds.reviews) == len(ds.surveys) == len(kept) == 14_944 - 20
    assert ds.reviews["rating"].value_counts().to_dict() == kept["review_score"].value_counts().to_dict()
    assert raw_reviews["review_score"].value_counts()[[5, 1]].tolist() == [8_597, 1_701]  # README


def test_olist_late_deliveries_and_their_csat_by_hand(loaded):
    ds, path = loaded("olist")
    orders = pd.read_csv(path / "olist_orders_dataset.csv",
                         parse_dates=["order_delivered_customer_date", "order_estimated_delivery_date"])
    delivered = orders.dropna(subset=["order_delivered_customer_date"])
    late = delivered["order_delivered_customer_date"].dt.normalize() > delivered["order_estimated_delivery_date"]
    counts = ds.events["touchpoint"].value_counts()
    assert counts["delivered_late"] == late.sum()
    assert counts["delivered_on_time"] == (~late).sum()
    reviews = pd.read_csv(path / "olist_order_reviews_dataset.csv").drop_duplicates("review_id")
    late_orders = delivered.loc[late, "order_id"]
    expected = reviews.loc[reviews["order_id"].isin(late_orders), "review_score"].mean()
    observed = ds.surveys.loc[ds.surveys["touchpoint"] == "delivered_late", "csat"].mean()
    assert observed == pytest.approx(expected)
    assert observed < ds.surveys["csat"].mean() - 1  # late deliveries cost more than a star


def test_olist_purchase_value_is_the_orders_payments(loaded):
    ds, path = loaded("olist")
    payments = pd.read_csv(path / "olist_order_payments_dataset.csv")
    assert ds.events["value"].sum() == pytest.approx(payments["payment_value"].sum())
    assert set(ds.stages) == {"purchase", "fulfilment", "delivery", "outcome"}


def test_olist_delivery_stage_counts_the_customers_whose_order_arrived(loaded):
    # an order never delivered reaches the outcome stage, not delivery: the delivery stage read 99.99% reached
    ds, _ = loaded("olist")
    stages = journey_map(ds).stages.set_index("stage")["customers"]
    delivered = ds.events.loc[ds.events["touchpoint"].str.startswith("delivered_"), "customer_id"].nunique()
    assert stages["delivery"] == delivered == 14_462 and stages["outcome"] == 445


@pytest.mark.filterwarnings("ignore::cxresearch.errors.SmallGroupWarning")
def test_olist_orders_are_sessions_and_the_pain_points_are_deliveries(loaded):
    ds, _ = loaded("olist")
    journeys = journey_map(ds)
    # each order is one session (an order interleaving with the same person's next one is cut where they alternate)
    assert 15_000 <= sessionize(ds.events)["session"].nunique() < 15_200
    exits = journeys.touchpoints.set_index("touchpoint")["exit_rate"]
    assert exits[["order_placed", "payment_approved", "handed_to_carrier"]].max() < 0.01
    assert exits[["delivered_on_time", "delivered_late", "not_delivered"]].min() > 0.99
    top = journeys.pain_points(top=3)
    assert top["name"].tolist()[:2] == ["delivered_late", "not_delivered"] and top["impact"].iloc[2] == 0


# ------------------------------------------------------------------------------- bpic2012
def test_bpic2012_cases_events_outcomes_and_stages(loaded):
    ds, path = loaded("bpic2012")
    log = pd.read_csv(path / "bpic2012_events.csv.gz", usecols=["case:concept:name", "concept:name",
                                                                 "org:resource"])
    assert len(ds.events) == 262_200 and len(ds.customers) == 13_087  # README
    assert ds.events["timestamp"].min() >= pd.Timestamp("2011-09-30", tz="UTC")
    assert ds.events["timestamp"].max() < pd.Timestamp("2012-03-15", tz="UTC")
    assert (ds.events["channel"] == "automatic").sum() == log["org:resource"].isna().sum() == 18_010
    outcomes = ds.customers["outcome"].value_counts()
    activity = log["concept:name"].value_counts()
    assert outcomes["approved"] == activity["A_APPROVED"] == 2_246
    assert outcomes.sum() == 13_087 and outcomes["open"] > 0
    rate = outcome_rate(ds.customers)   # the share approved among the decided applications, 2,246 of 12,688
    assert (rate.column, rate.positives, rate.n, rate.missing) == ("approved", 2_246, 13_087 - outcomes["open"],
                                                                   outcomes["open"])
    by_stage = ds.events["stage"].value_counts()
    finals = activity[["A_APPROVED", "A_DECLINED", "A_CANCELLED"]].sum()   # the outcomes, a stage of their own
    for prefix, stage in {"A_": "application", "W_": "back_office", "O_": "offer"}.items():
        assert by_stage[stage] == activity[activity.index.str.startswith(prefix)].sum() - finals * (prefix == "A_")
    assert by_stage["outcome"] == finals and list(ds.stages)[-1] == "outcome"
    assert (ds.events["touchpoint"] == "w_call_after_offer").sum() == activity["W_Nabellen offertes"]


# -------------------------------------------------------------------------------- airline
def test_airline_ratings_not_applicable_and_target(loaded):
    ds, path = loaded("airline")
    raw = pd.read_csv(path / "airline_passenger_satisfaction_test.csv")
    assert len(ds.surveys) == len(ds.customers) == 25_976
    assert ds.surveys["satisfaction"].value_counts()["satisfied"] == 11_403  # README
    assert ds.customers["satisfied"].sum() == 11_403
    rate = outcome_rate(ds.customers)   # the customers' outcome: satisfied, 11,403 of 25,976 (43.9%)
    assert (rate.column, rate.positives, rate.n) == ("satisfied", 11_403, 25_976)
    assert rate.sentence() == "43.9% of customers were satisfied"
    ratings = [c for c in ds.surveys.columns if c.startswith("rating_")]
    assert len(ratings) == 14
    assert ds.surveys["rating_inflight_wifi_service"].isna().sum() == (raw["Inflight wifi service"] == 0).sum()
    answered = raw.loc[raw["Online boarding"] > 0, "Online boarding"]
    assert ds.surveys["rating_online_boarding"].mean() == pytest.approx(answered.mean())
    assert (ds.surveys["timestamp"] == recipes.UNDATED).all()
    assert any("no dates" in note for note in ds.notes)


# ------------------------------------------------------------------------------- clothing
def test_clothing_ratings_recommendations_and_reviewers(loaded):
    ds, path = loaded("clothing")
    raw = pd.read_csv(path / "Womens Clothing E-Commerce Reviews.csv")
    assert len(ds.reviews) == len(ds.customers) == 23_486
    assert ds.reviews["rating"].value_counts().sort_index().tolist() == [842, 1_565, 2_871, 5_077, 13_131]
    assert ds.reviews["text"].isna().sum() == 845 and ds.reviews["clothing_id"].nunique() == 1_206
    assert ds.customers["recommended"].mean() == pytest.approx(raw["Recommended IND"].mean())
    assert ds.customers["department"].isna().sum() == 14


# ---------------------------------------------------------------------------------- telco
def test_telco_customers_and_satisfaction_scores(loaded):
    ds, path = loaded("telco")
    status = pd.read_csv(path / "Telco_customer_churn_status.csv")
    assert len(ds.customers) == len(ds.surveys) == 7_043
    assert ds.surveys["csat"].value_counts().sort_index().tolist() == [922, 518, 2_665, 1_789, 1_149]
    assert ds.surveys["csat"].mean() == pytest.approx(status["Satisfaction Score"].mean())
    assert ds.customers["customer_status"].value_counts().to_dict() == {"Stayed": 4_720, "Churned": 1_869,
                                                                        "Joined": 454}
    assert {"tenure_in_months", "monthly_charge", "contract", "age", "cltv"} <= set(ds.customers.columns)


# ------------------------------------------------------------------------------ dunnhumby
def test_dunnhumby_baskets_campaigns_and_redemptions(loaded):
    ds, path = loaded("dunnhumby")
    lines = pd.read_csv(path / "transactions_sample.csv")
    events = ds.events
    baskets = events[events["touchpoint"] == "basket"]
    assert len(baskets) == 47_243 and baskets["customer_id"].nunique() == 2_377  # README
    assert baskets["value"].sum() == pytest.approx(lines["sales_value"].sum())
    assert events["touchpoint"].str.startswith("campaign_type_").sum() == 6_589
    assert (events["touchpoint"] == "coupon_redemption").sum() == 2_102
    assert not events.duplicated().any()                  # a household's redemptions of a day told apart
    assert ds.customers["income"].notna().sum() == 801
    household = lines.groupby("household_id")[["retail_disc", "sales_value"]].sum().loc[2261]
    share = ds.customers.set_index("customer_id").loc["2261", "discount_share"]
    assert share == pytest.approx(household["retail_disc"] / household["sales_value"])


def test_cdnow_purchases_by_hand(loaded):
    """The data README: 69,659 lines, 23,570 customers, 1997-01-01 to 1998-06-30, 255 repeated lines."""
    ds, path = loaded("cdnow")
    raw = pd.read_csv(path / "cdnow_master.csv", dtype={"customer_id": str})
    events = ds.events
    assert len(events) == 69_659 and events["customer_id"].nunique() == 23_570
    assert events["customer_id"].str.len().eq(5).all()                      # zero-padded ids kept as text
    assert (events["timestamp"].min(), events["timestamp"].max()) == (pd.Timestamp("1997-01-01", tz="UTC"),
                                                                      pd.Timestamp("1998-06-30", tz="UTC"))
    assert events["value"].sum() == pytest.approx(raw["amount_usd"].sum())
    assert events["cds"].sum() == raw["num_cds"].sum() and events["event"].eq("purchase").all()
    assert ds.customers is None or ds.customers.empty or len(ds.customers) == 23_570
    # one touchpoint: every purchase is a visit of its own, and no place is left more often than the others
    assert events["touchpoint"].eq("purchase").all() and not ds.stages
    assert journey_map(ds, min_group_size=5).pain_points(5)["impact"].eq(0).all()


def test_olist_funnel_leads_channels_and_deals(loaded):
    """8,000 leads (60 without origin) and 842 closed deals, each deal one of the leads (data README)."""
    ds, path = loaded("olist_funnel")
    leads = pd.read_csv(path / "olist_marketing_qualified_leads_dataset.csv")
    assert len(ds.customers) == 8_000 and ds.customers["won"].sum() == 842
    contacts = ds.events[ds.events["touchpoint"] == "first_contact"]
    won = ds.events[ds.events["touchpoint"] == "deal_won"]
    assert len(contacts) == 8_000 and len(won) == 842 and won["event"].eq("purchase").all()
    assert contacts["channel"].eq("unknown").sum() == leads["origin"].isna().sum() + leads["origin"].eq("unknown").sum()
    assert contacts["channel"].eq("organic_search").sum() == 2_296
    assert ds.stages == recipes.OLIST_FUNNEL_STAGES
    assert ds.events.groupby("customer_id")["session_id"].nunique().eq(1).all()   # a lead's funnel is one journey
    segments = ds.customers.set_index("customer_id")["business_segment"]
    assert segments.notna().sum() == 841                                    # one won deal has no segment


def test_bank_marketing_clients_without_the_leaking_and_macro_columns(loaded):
    ds, path = loaded("bank_marketing")
    raw = pd.read_csv(path / "bank-additional-full.csv", sep=";")
    customers = ds.customers
    assert len(customers) == 41_188 and customers["customer_id"].is_unique
    assert customers["subscribed"].sum() == 4_640                          # data README: yes 4,640
    assert not {"duration", *recipes.BANK_CONTEXT} & set(customers.columns)
    assert customers["days_since_previous_campaign"].isna().sum() == raw["pdays"].eq(999).sum()
    first = customers.iloc[0]
    assert (first["customer_id"], first["age"], first["job"], first["contact"]) == ("2", 56, "housemaid", "telephone")


def test_online_shoppers_sessions_as_visitors(loaded):
    ds, path = loaded("online_shoppers")
    customers = ds.customers
    assert len(customers) == 12_330 and customers["purchased"].sum() == 1_908     # data README: True 1,908
    assert customers["browser"].str.startswith("browser_").all()           # codes stay text, not amounts
    assert customers["product_seconds"].sum() == pytest.approx(
        pd.read_csv(path / "online_shoppers_intention.csv")["ProductRelated_Duration"].sum())


# ------------------------------------------------------------------ cxresearch import
@pytest.mark.parametrize("name", sorted(recipes.RECIPES))
def test_written_folder_loads_to_the_recipes_dataset(loaded, name, tmp_path):
    ds, path = loaded(name)
    out = write_dataset(ds, tmp_path / name, comment=f"from {path}")
    again = load_dataset(out)
    assert sorted(p.name for p in out.iterdir()) == sorted([CONFIG_FILE, *(f"{t}.parquet" for t in ds.tables)])
    settings = ("name", "stages", "timezone", "topic_taxonomy", "notes")
    assert {k: getattr(again, k) for k in settings} == {k: getattr(ds, k) for k in settings}
    assert list(again.tables) == list(ds.tables)
    for table, frame in ds.tables.items():
        pd.testing.assert_frame_equal(again.tables[table], frame, obj=f"{name} {table}")


def test_import_command_writes_the_folder_and_says_how_to_run_it(tmp_path, capsys):
    source = folder("telco")
    assert main(["import", "telco", str(source), "--out", str(tmp_path / "telco")]) == 0
    out = capsys.readouterr().out
    assert "customers 7,043 rows, surveys 7,043 rows" in out and f"cxresearch run {tmp_path / 'telco'}" in out
    assert load_dataset(tmp_path / "telco").surveys["csat"].notna().all()
    assert main(["import", "telco", str(source), "--out", str(tmp_path / "telco")]) == 2
    assert "already exists and is not an empty folder" in capsys.readouterr().err


def test_an_imported_folders_recipe_notes_read_in_the_pages_language(tmp_path):
    from cxresearch.dataset import validate
    from cxresearch.i18n import using

    assert main(["import", "bank_marketing", str(folder("bank_marketing")), "--out", str(tmp_path / "bank")]) == 0
    note = "customers: the file has no client id; each line is its own client"
    assert any(n.startswith(note) for n in validate(tmp_path / "bank").notes)
    with using("it"):
        italian = validate(tmp_path / "bank").notes
    assert not any(n.startswith(note) for n in italian)
    assert any(n.startswith("customers: il file non ha un id cliente") for n in italian)


@pytest.mark.parametrize(("recipe", "supported"), [
    ("cdnow", {"personas", "journeys", "pain_points"}),
    ("olist_funnel", {"personas", "journeys", "pain_points", "funnel", "outcome"}),       # won
    ("bank_marketing", {"personas", "outcome"}), ("online_shoppers", {"personas", "outcome"})])   # subscribed, purchased
def test_the_four_late_routes_import_and_support_what_their_data_holds(recipe, supported, tmp_path):
    """The shared datasets that had no route: imported as the README says, loaded back, and the routine told
    what each supports (a purchase log, a lead funnel, two customer-only files); the rest says what to add."""
    from cxresearch import capabilities

    assert main(["import", recipe, str(folder(recipe)), "--out", str(tmp_path / recipe)]) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                                   # cdnow's repeated rows, tested above
        table = capabilities.supported(load_dataset(tmp_path / recipe))
    assert set(table.loc[table["available"], "key"]) == supported
    assert table.loc[~table["available"], "missing"].str.startswith("No ").all()


def test_import_command_names_an_unknown_recipe_or_a_missing_source(tmp_path, capsys):
    assert main(["import", "olsit", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "unknown recipe 'olsit'" in err and "'dunnhumby'" in err and "Did you mean 'olist'" in err
    assert main(["import", "olist", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "nowhere: folder not found" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.integration
@pytest.mark.parametrize("recipe", ["telco", "airline"])
def test_the_routine_runs_on_an_imported_recipe(recipe, tmp_path):
    """Two shapes of real export: customers + surveys, survey answers with ratings.

    The third, customers + events, runs on the shipped dunnhumby sample (a cut
    of the same export, mapped by its dataset.yml) in ``test_routine_shapes.py``;
    every recipe's imported folder loads back to its dataset above.
    """
    from cxresearch import capabilities, load_dataset
    from cxresearch.routine import NOTEBOOKS, RoutineParameters, run

    assert main(["import", recipe, str(folder(recipe)), "--out", str(tmp_path / recipe)]) == 0
    done = run(RoutineParameters(data_dir=str(tmp_path / recipe)), reports_dir=tmp_path / "reports")
    assert done.ok, done.manifest["error"]
    assert sorted(p.stem for p in done.folder.glob("*.html")) == sorted(NOTEBOOKS)
    supported = capabilities.supported(load_dataset(tmp_path / recipe))
    summary = (done.folder / "04_summary.html").read_text(encoding="utf-8")
    assert ("Not computed" in summary) == (not supported["available"].all())

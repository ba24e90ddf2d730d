"""The declaration of what each analysis needs, and the notebook guards built on it."""
from __future__ import annotations

import warnings

import pandas as pd
import pytest

from cxresearch import capabilities
from cxresearch.capabilities import ANALYSES, Unavailable, absent_scores, missing, supported, then, when
from cxresearch.cli import main
from cxresearch.dataset import CXDataset
from cxresearch.errors import SmallGroupWarning

STAMP = pd.Timestamp("2025-01-01", tz="UTC")
EVENTS = pd.DataFrame({"customer_id": ["c1", "c2"], "timestamp": [STAMP, STAMP], "channel": ["web", "app"],
                       "touchpoint": ["home", "checkout"]})
NPS_EXPORT = pd.DataFrame({"response_id": ["r1", "r2"], "timestamp": [STAMP, STAMP], "nps": [9.0, 3.0],
                           "comment": ["great", "slow"]})


def _available(ds) -> set[str]:
    table = supported(ds)
    return set(table.loc[table["available"], "key"])


def test_a_surveys_only_nps_export_supports_the_nps_analyses_and_says_what_the_rest_need():
    ds = CXDataset("nps export", surveys=NPS_EXPORT)
    assert _available(ds) == {"kpis", "nps", "trend", "topics", "topic_impact"}
    assert missing(ds, "ces") == ("No CES answers in this dataset: add a `ces` column (1-7) to surveys "
                                  "to see customer effort.")
    assert missing(ds, "personas").startswith("No per-customer data in this dataset: add events, customers")
    assert missing(ds, "journeys") == ("No events in this dataset: add an events file (customer_id, timestamp, "
                                       "channel, touchpoint) to see the customer journey.")


def test_a_column_without_any_value_counts_as_absent():
    ds = CXDataset("empty ces", surveys=NPS_EXPORT.assign(ces=float("nan")))
    assert missing(ds, "ces").startswith("No CES answers")
    assert missing(ds, "nps") is None


def test_an_events_only_log_supports_journeys_and_personas_but_no_funnel_without_stages():
    ds = CXDataset("tickets", events=EVENTS)
    assert _available(ds) == {"personas", "journeys", "pain_points"}
    assert missing(ds, "funnel").startswith("No journey stages in this dataset: add a `stage` column to events")
    assert "funnel" in _available(CXDataset("staged", events=EVENTS, stages={"buy": ["checkout"]}))


def test_personas_need_a_per_customer_source():
    only_ids = CXDataset("ids", customers=pd.DataFrame({"customer_id": ["c1"]}))
    with_attributes = CXDataset("crm", customers=pd.DataFrame({"customer_id": ["c1"], "region": ["north"]}))
    linked_surveys = CXDataset("linked", surveys=NPS_EXPORT.assign(customer_id=["c1", None]))
    assert missing(only_ids, "personas") is not None
    assert missing(with_attributes, "personas") is None
    assert missing(linked_surveys, "personas") is None


def test_an_empty_table_in_the_period_is_named_as_such():
    ds = CXDataset("empty period", surveys=NPS_EXPORT.iloc[:0])
    assert missing(ds, "nps") == ("No surveys in the period analysed in this dataset: widen the period or add "
                                  "surveys to see the Net Promoter Score.")


def test_key_drivers_need_an_outcome_and_ratings_in_one_sentence():
    ds = CXDataset("no scores", surveys=NPS_EXPORT.drop(columns="nps"))
    assert missing(ds, "key_drivers") == (
        "No NPS, CSAT or satisfaction outcome and no touchpoint ratings in this dataset: add an `nps` (0-10) or "
        "`csat` (1-5) column, or a two-valued satisfaction column (satisfied / dissatisfied), to surveys and add "
        "`rating_<touchpoint>` columns (1-5) to surveys to see which touchpoints drive NPS or satisfaction.")
    rated = NPS_EXPORT.drop(columns="nps").assign(rating_seat=[4.0, 2.0])
    airline = CXDataset("airline", surveys=rated.assign(satisfaction=["satisfied", "neutral or dissatisfied"]))
    assert missing(airline, "key_drivers") is None
    one_answer = CXDataset("one answer", surveys=rated.assign(satisfaction=["satisfied", "neutral"]).iloc[:1])
    assert missing(one_answer, "key_drivers").startswith("No NPS, CSAT or satisfaction outcome in this dataset")


def test_supported_lists_every_analysis_once_in_report_order():
    table = supported(CXDataset("nothing"))
    assert table["key"].tolist() == list(ANALYSES)
    assert not table["available"].any() and table["missing"].str.endswith(".").all()


def test_an_unknown_analysis_lists_the_known_ones():
    with pytest.raises(KeyError, match="expected one of personas, journeys"):
        missing(CXDataset("x"), "persona")


def test_when_computes_only_what_the_data_supports_and_then_carries_the_gap_on():
    ds = CXDataset("nps export", surveys=NPS_EXPORT)
    assert when(ds, "nps", lambda s: s["nps"].mean(), ds.surveys) == 6.0
    effort = when(ds, "ces", lambda: ds.surveys["ces"])  # never called: it would raise KeyError
    assert isinstance(effort, Unavailable) and not effort and effort.sentence == missing(ds, "ces")
    downstream = then(len, effort["ces"].mean())
    assert isinstance(downstream, Unavailable) and downstream.sentence == effort.sentence
    assert isinstance(when(ds, "nps", len, effort), Unavailable)
    assert then(len, [1, 2]) == 2


def test_an_unavailable_section_shows_its_sentence_once(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    effort = when(CXDataset("x", surveys=NPS_EXPORT), "ces", lambda: None)
    derived = then(print, effort.value)
    derived._ipython_display_()
    effort._ipython_display_()
    assert shown == [f"*{effort.sentence}*"]


def test_validate_prints_what_the_dataset_supports(make_dataset, capsys):
    folder = make_dataset({"surveys.csv": """
        response_id,timestamp,nps,comment
        r1,2025-01-01,9,great
        r2,2025-01-02,3,slow
        """})
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "What this dataset supports:" in out
    assert "  yes  NPS\n" in out
    assert "  no   CES: No CES answers in this dataset: add a `ces` column (1-7) to surveys" in out


def test_capabilities_import_no_analysis():
    source = capabilities.__file__
    text = open(source, encoding="utf-8").read()
    assert not any(f"from .{m} import" in text or f"import cxresearch.{m}" in text
                   for m in ("features", "personas", "journeys", "voice", "text", "topics", "interventions"))


def test_the_warnings_of_an_analysis_name_it_for_the_pages_notes():
    ds = CXDataset("nps export", surveys=NPS_EXPORT)
    with pytest.warns(SmallGroupWarning, match=r"^NPS trend: 2 groups suppressed\.$"):
        assert when(ds, "trend", lambda: warnings.warn("2 groups suppressed.", SmallGroupWarning, stacklevel=1)) is None


def test_validate_names_the_score_column_of_an_nps_tool_export_and_its_mapping_works(tmp_path, capsys):
    """An NPS tool's export calls the answer "Score"; validate says to map it to nps, and doing so gives NPS."""
    answers = [10, 9, 9, 7, 3, 0, 10, 8]
    lines = ["Date,Score,Comment"] + [f"2025-03-{day:02d},{score},ok" for day, score in enumerate(answers, start=1)]
    (tmp_path / "surveys.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "dataset.yml").write_text("columns:\n  surveys: {Date: timestamp}\n")
    assert main(["validate", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert ("No NPS answers in this dataset: map the surveys' column `score` (answers 0 to 10) to `nps` under "
            "columns.surveys in dataset.yml (score: nps) to see the Net Promoter Score.") in out
    assert "No NPS, CSAT or CES answers in this dataset: map the surveys' column `score`" in out  # the KPIs line
    (tmp_path / "dataset.yml").write_text("columns:\n  surveys: {Date: timestamp, score: nps}\n")
    assert main(["validate", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "yes  NPS\n" in out and "`score`" not in out


@pytest.mark.parametrize("column, values, score", [
    ("score", [1.0, 5.0, 4.0], "csat"),                      # a 1-5 "Score" fits CSAT's narrower scale
    ("score", [0.0, 10.0, 6.0], "nps"),
    ("how_likely_are_you_to_recommend_us_to_a_friend", [3.0, 9.0, 10.0], "nps"),
    ("overall_satisfaction", [2.0, 4.0, 5.0], "csat"),
    ("customer_effort_score", [1.0, 7.0, 6.0], "ces"),
])
def test_a_score_column_is_suggested_for_the_narrowest_scale_its_answers_fit(column, values, score):
    ds = CXDataset("tool export", surveys=pd.DataFrame({"response_id": ["r1", "r2", "r3"], "timestamp": STAMP,
                                                        column: values}))
    hinted = {key for key in ("nps", "csat", "ces") if f"`{column}`" in missing(ds, key)}
    assert hinted == {score}


def test_a_score_column_off_every_scale_is_not_suggested():
    ds = CXDataset("tool export", surveys=NPS_EXPORT.drop(columns="nps").assign(score=[55.0, 80.0]))
    assert missing(ds, "nps") == ("No NPS answers in this dataset: add an `nps` column (0-10) to surveys to see "
                                  "the Net Promoter Score.")


def test_a_review_scrapes_text_column_is_named_with_its_mapping():
    reviews = pd.DataFrame({"review_id": ["a", "b"], "timestamp": STAMP, "rating": [5.0, 2.0],
                            "review": ["Adorei", "Chegou quebrado"]})
    assert missing(CXDataset("scrape", reviews=reviews), "sentiment") == (
        "No review texts in this dataset: map its column `review` to `text` under columns.reviews in dataset.yml "
        "(review: text) to see how reviewers feel.")
    surveys = NPS_EXPORT.drop(columns="comment").assign(feedback=["great", None])
    assert "map its column `feedback` to `comment` under columns.surveys" in missing(CXDataset("nps", surveys=surveys),
                                                                                      "topics")
    assert missing(CXDataset("nps", surveys=NPS_EXPORT.drop(columns="comment")), "topics") == (
        "No survey comments in this dataset: add a `comment` column to surveys to see what customers write about.")


def test_absent_scores_names_each_score_the_surveys_lack_and_nothing_without_surveys():
    surveys = pd.DataFrame({"response_id": ["1", "2"], "nps": [9, 3], "csat": [5, 2]})
    assert absent_scores(CXDataset("no ces", surveys=surveys)) == (
        "No CES answers in this dataset: add a `ces` column (1-7) to surveys to see customer effort.")
    assert absent_scores(CXDataset("all", surveys=surveys.assign(ces=[6, 2]))) == ""
    reviews = pd.DataFrame({"review_id": ["r"], "timestamp": [pd.Timestamp("2025-01-01", tz="UTC")], "rating": [5.0],
                            "text": ["ok"]})
    assert absent_scores(CXDataset("reviews only", reviews=reviews)) == ""      # "No surveys..." is said once already


def test_periods_give_dated_tables_their_span_and_undated_ones_no_dates():
    from cxresearch.i18n import using
    from cxresearch.recipes import UNDATED

    later = STAMP + pd.Timedelta(days=40)
    ds = CXDataset("mixed", events=EVENTS.assign(timestamp=[STAMP, later]),
                   surveys=NPS_EXPORT.assign(timestamp=UNDATED),                    # an undated export's stamp
                   customers=pd.DataFrame({"customer_id": ["c1", "c2"], "age": [30, 40]}))
    table = capabilities.periods(ds).set_index("table")
    assert table.loc["events", ["first", "last", "rows"]].tolist() == ["Jan 1, 2025", "Feb 10, 2025", 2]
    assert table.loc["surveys", ["first", "last"]].tolist() == ["no dates", "no dates"]
    assert table.loc["customers", "first"] == "no dates"                       # no timestamps at all
    with using("it"):
        italian = capabilities.periods(ds).set_index("table")
    assert italian.loc["surveys", "first"] == "senza date" and italian.loc["events", "last"] == "10 feb 2025"
    one_day = CXDataset("one day", events=EVENTS.assign(timestamp=UNDATED + pd.Timedelta(hours=1)))
    assert capabilities.periods(one_day)["first"].iloc[0] == "Jan 1, 1970"      # a real date on 1 January 1970 stays

"""Tables for people: each column formatted by its declared kind, readable headers, no stray index."""
import pandas as pd
import pytest

from cxresearch import columns, i18n
from cxresearch.display import column_label, header, metric_change, metric_value, pretty, value_label
from cxresearch.errors import ParameterError


def cells(styler):
    """The displayed text of each body cell, row by row."""
    styler._compute()
    return [[cell["display_value"] for cell in row if cell["type"] == "td"] for row in styler._translate(
        False, False)["body"]]


def test_columns_read_by_kind():
    table = pd.DataFrame({"name": ["home"], "reach": [0.2694], "csat": [0.8421], "csat_low": [0.70],
                          "customers": [1200], "impact": [0.01234], "p_value": [0.0004], "chosen": [True],
                          "median_time": [pd.Timedelta(minutes=3, seconds=48)], "examples": [["a", "b"]],
                          "mean": [2.345]})
    assert cells(pretty(table)) == [["home", "26.9%", "84.2%", "70.0%", "1,200", "0.0123", "<0.001", "yes",
                                     "3 min 48 s", "a · b", "2.3"]]


def test_declared_kinds_override_the_library_names():
    table = pd.DataFrame({"impact": [-12.345], "value": [0.5]}, index=pd.Index([3], name="k"))
    table.attrs["kinds"] = {"value": "share"}          # metadata in attrs is not read: kinds are declared
    assert cells(pretty(table)) == [["3", "-12.3", "0.5"]]
    assert cells(pretty(table, kinds={"impact": "number", "value": "share"})) == [["3", "-12.3", "50.0%"]]
    with pytest.raises(ParameterError, match=r"unknown column kind\(s\) \['money'\]; valid kinds are"):
        pretty(table, kinds={"value": "money"})


def test_headers_index_and_width():
    table = pd.DataFrame({"csat_low": [1.0], "exit_rate": [0.5]}, index=[7])
    html = pretty(table).to_html()
    assert ">CSAT low<" in html and ">Exit rate<" in html
    assert ">7<" not in html                       # an unnamed index is a row number, hidden
    assert "overflow-x:auto" in html               # wide tables scroll inside the notebook


def test_share_named_column_outside_zero_one_is_not_a_percentage():
    assert cells(pretty(pd.DataFrame({"share": [12.5]}))) == [["12.5"]]


def test_text_in_a_column_named_like_a_number_is_shown_as_text():
    """A pivot of verdicts by metric has columns named csat and nps that hold words, not numbers."""
    verdicts = pd.DataFrame({"intervention_id": ["I1", "I1"], "metric": ["nps", "csat"],
                             "verdict": ["improved", "not enough data"]})
    table = verdicts.pivot(index="intervention_id", columns="metric", values="verdict")
    assert cells(pretty(table)) == [["I1", "not enough data", "improved"]]
    assert cells(pretty(pd.DataFrame({"csat": [0.8421, None]}))) == [["84.2%"], ["–"]]
    # CSAT in percent, as runs of earlier versions saved it: a number, not 8,421%
    assert cells(pretty(pd.DataFrame({"csat": [84.21, None]}))) == [["84.2"], ["–"]]


def test_an_italian_reader_gets_italian_numbers_dates_headers_and_values():
    table = pd.DataFrame({"exit_rate": [0.2694], "customers": [12000], "chosen": [True], "quadrant": ["fix first"],
                          "first": pd.to_datetime(["2026-12-01T10:00:00Z"]), "impact": [-1234.5],
                          "median_time": [pd.Timedelta(days=2, hours=3)]})
    with i18n.using("it"):
        styler = pretty(table)
        html = styler.to_html()
        assert cells(styler) == [["26,9%", "12.000", "sì", "da correggere subito", "1 dic 2026", "-1.234", "2 g 3 h"]]
    assert ">Tasso di uscita<" in html and ">Clienti<" in html
    assert cells(pretty(table)) == [["26.9%", "12,000", "yes", "fix first", "Dec 1, 2026", "-1,234", "2 d 3 h"]]


def test_text_left_numbers_right_headers_alike():
    table = pd.DataFrame({"name": ["home"], "customers": [12], "reach": [0.5], "quadrant": ["keep up"]})
    styler = pretty(table)
    styler._compute()
    headers = {style["selector"]: style["props"] for style in styler.table_styles}
    for column, align in ((0, "left"), (1, "right"), (2, "right"), (3, "left")):
        assert styler.ctx[(0, column)] == [("text-align", align)]
        assert headers[f"th.col_heading.col{column}"] == [("text-align", align)]


def test_headers_and_values_read_from_one_label_table():
    assert [header(c) for c in ("rating_delivery", "avg_order_value", "nps", "csat_mean_high", "did_p_value",
                                      "mde", "k", "share_app", "share_change", "share_of_first")] == [
        "Rating: delivery", "Average order value", "NPS", "CSAT mean high", "DiD p value", "MDE", "k", "App share",
        "Share change", "Share of first"]
    assert [value_label(v) for v in ("csat", "exit_rate", "rating_price", "fix first", "home")] == [
        "CSAT", "Exit rate", "Rating: price", "fix first", "home"]
    assert column_label("rating_delivery") == "rating: delivery"       # in a sentence or on an axis
    drivers = pd.DataFrame({"driver": ["rating_delivery"], "importance": [0.329]})
    assert cells(pretty(drivers)) == [["Rating: delivery", "32.9%"]]
    with i18n.using("it"):
        assert header("rating_delivery") == "Valutazione: delivery"
        assert header("avg_order_value") == "Valore medio degli ordini"


def test_each_library_column_has_one_kind():
    assert columns.COLUMN_KINDS["share"] == "share" and columns.COLUMN_KINDS["csat_low"] == "share"
    with pytest.raises(ValueError, match="column 'share' is 'percent' here and 'share' elsewhere"):
        columns._merged({"a": {"share": "share"}, "b": {"share": "percent"}})
    with pytest.raises(ValueError, match="has kind 'money'"):
        columns._merged({"a": {"spend": "money"}})


def test_compact_view_reads_a_value_and_its_interval_as_one_column_and_leaves_details_out():
    kpis = pd.DataFrame({"metric": ["nps", "csat"], "value": [26.3, 0.755], "low": [19.9, 0.719],
                         "high": [32.4, float("nan")], "se": [3.2, 1.8], "n": [841, 805],
                         "design_effect": [1.3, 1.1]})
    styler = pretty(kpis)
    assert cells(styler) == [["NPS", "26.3 (19.9–32.4)", "841"], ["CSAT", "75.5%", "805"]]
    assert ">Value (interval)<" in styler.to_html() and ">SE<" not in styler.to_html()
    assert styler.ctx[(0, 1)] == [("text-align", "right"), ("white-space", "nowrap")]   # a number, on one line
    assert cells(pretty(kpis, compact=False))[0] == ["NPS", "26.3", "19.9", "32.4", "3.2", "841", "1.3"]
    assert cells(pretty(kpis, compact=False))[1][1:3] == ["75.5%", "71.9%"]   # each row in its metric's unit
    assert kpis.columns.tolist() == ["metric", "value", "low", "high", "se", "n", "design_effect"]
    stages = pd.DataFrame({"stage": ["service"], "csat": [0.412], "csat_low": [0.329], "csat_high": [0.50],
                           "csat_mean": [3.4], "csat_mean_low": [3.1], "csat_mean_high": [3.7]})
    assert cells(pretty(stages)) == [["service", "41.2% (32.9–50.0%)", "3.4 (3.1–3.7)"]]
    with i18n.using("it"):
        assert cells(pretty(kpis.iloc[:1]))[0][1] == "26,3 (19,9–32,4)"


def test_a_users_column_sharing_a_library_name_reads_by_its_values():
    """``missing`` is a sentence in the library's analyses table; a data-quality table's share of missing cells is
    a number; a comma-separated string is not split as if it were a list."""
    table = pd.DataFrame({"missing": [0.8821], "examples": ["arrived, shipping"]})
    assert cells(pretty(table)) == [["0.9", "arrived, shipping"]]
    assert cells(pretty(table, kinds={"missing": "share"})) == [["88.2%", "arrived, shipping"]]


def test_a_share_too_small_for_its_decimals_is_not_written_as_zero():
    table = pd.DataFrame({"share": [0.0002, 0.0, 0.0006, -0.0001]})
    assert cells(pretty(table)) == [["<0.1%"], ["0.0%"], ["0.1%"], [">-0.1%"]]
    with i18n.using("it"):
        assert cells(pretty(table.iloc[:1])) == [["<0,1%"]]


def test_text_from_the_data_is_escaped_in_cells_lists_and_headers():
    table = pd.DataFrame({"comment": ["<script>alert(1)</script> & more"], "terms": [["<b>late</b>", "rude"]],
                          "Bob's <i>score</i>": [3.0]})
    page = pretty(table, kinds={"comment": "text", "terms": "list"}).to_html()
    assert "<script>" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "&lt;b&gt;late&lt;/b&gt; · rude" in page
    assert "Bob&#x27;s &lt;i&gt;score&lt;/i&gt;" in page


def test_values_and_changes_read_in_the_unit_of_their_rows_metric():
    """One table, three units: CSAT a share (its change in percentage points), NPS in points, CES a mean."""
    effects = pd.DataFrame({"metric": ["csat", "nps", "ces"], "before": [0.712, 12.0, 5.1], "after": [0.753, 15.5, 5.0],
                            "did": [0.041, 3.21, -0.123], "did_low": [0.01, -1.0, -0.3], "did_high": [0.072, 7.4, 0.06]})
    assert cells(pretty(effects)) == [
        ["CSAT", "71.2%", "75.3%", "+4.1 pp (+1.0 to +7.2 pp)"],
        ["NPS", "12.0", "15.5", "+3.2 pt (-1.0 to +7.4 pt)"],
        ["CES", "5.1", "5.0", "-0.1 (-0.3 to +0.1)"]]
    with i18n.using("it"):
        assert cells(pretty(effects.iloc[:1]))[0][3] == "+4,1 p.p. (da +1,0 a +7,2 p.p.)"
    summary_kpis = pd.DataFrame({"kpi": ["csat"], "KPI": ["CSAT (% satisfied)"], "value": [0.8], "change": [-0.02]})
    assert cells(pretty(summary_kpis)) == [["CSAT (% satisfied)", "80.0%", "-2.0 pp"]]   # the key only says the unit
    # without a metric column the values read as numbers
    assert cells(pretty(pd.DataFrame({"value": [0.5], "low": [0.3]}), compact=False)) == [["0.5", "0.3"]]


def test_a_narrow_interval_gets_the_decimals_that_show_its_width():
    kpis = pd.DataFrame({"metric": ["rating_mean", "ces", "csat"], "value": [4.196, 5.22, 0.5012],
                         "low": [4.183, 5.17, 0.5001], "high": [4.209, 5.27, 0.5019], "n": [23000, 1273, 100000]})
    assert [row[1] for row in cells(pretty(kpis))] == ["4.20 (4.18–4.21)", "5.2 (5.2–5.3)", "50.1% (50.0–50.2%)"]
    with i18n.using("it"):
        assert cells(pretty(kpis))[0][1] == "4,20 (4,18–4,21)"
    shares = pd.DataFrame({"share": [0.5012, 0.3], "share_low": [0.50111, 0.2], "share_high": [0.50129, 0.4]})
    assert cells(pretty(shares)) == [["50.12% (50.11–50.13%)"], ["30.0% (20.0–40.0%)"]]


def test_a_column_with_signed_bounds_writes_every_interval_in_words_not_a_dash_beside_a_sign():
    nps = pd.DataFrame({"nps": [-56.8, -5.0, 30.0], "nps_low": [-63.0, -9.0, 25.0], "nps_high": [-49.7, 1.0, 35.0]})
    assert cells(pretty(nps)) == [["-56.8 (-63.0 to -49.7)"], ["-5.0 (-9.0 to 1.0)"], ["30.0 (25.0 to 35.0)"]]
    assert cells(pretty(nps.iloc[2:])) == [["30.0 (25.0–35.0)"]]     # no sign in the column: a dash
    with i18n.using("it"):
        assert cells(pretty(nps))[0] == ["-56,8 (da -63,0 a -49,7)"]


def test_a_number_or_change_that_rounds_to_zero_has_no_sign():
    table = pd.DataFrame({"metric": ["csat", "nps"], "change": [-0.0002, -0.04], "impact_number": [-0.04, 0.0]})
    assert cells(pretty(table, kinds={"impact_number": "number"})) == [["CSAT", "0.0 pp", "0.0"],
                                                                       ["NPS", "0.0 pt", "0.0"]]
    assert metric_change("nps", -0.04, words=True) == "0.0 NPS points" and metric_value("nps", -0.04) == "0.0"


def test_scores_read_with_three_significant_digits_and_large_ones_whole():
    scores = pd.DataFrame({"impact": [52345.0, 0.0412, 2.5, 0.0, -0.19]})
    assert cells(pretty(scores)) == [["52,345"], ["0.0412"], ["2.5"], ["0"], ["-0.19"]]
    with i18n.using("it"):
        assert cells(pretty(scores))[0] == ["52.345"]


def test_sentences_of_not_computed_analyses_show_names_as_code_not_backticks_and_stay_escaped():
    table = pd.DataFrame({"analysis": ["Stage funnel"], "why": ["add a `stage` column <b>now</b> & `stages:`"]})
    html = pretty(table).to_html()
    assert "add a <code>stage</code> column &lt;b&gt;now&lt;/b&gt; &amp; <code>stages:</code>" in html
    assert "`" not in html


def test_codes_of_the_data_read_in_words_in_both_languages_and_stay_escaped():
    table = pd.DataFrame({"channel": ["call_center", None], "touchpoint": ["chat_support", "purchase"],
                          "path": ["home > product_page > ...", "<b>x_y</b>"], "stage": ["purchase", "purchase"],
                          "customers": [12, 7]})
    assert cells(pretty(table)) == [["call center", "chat support", "home &gt; product page &gt; ...", "purchase", "12"],
                                    ["–", "purchase", "&lt;b&gt;x y&lt;/b&gt;", "purchase", "7"]]
    with i18n.using("it"):     # a standard stage name is translated as a stage; codes, a touchpoint too, stay the data's
        assert cells(pretty(table))[1][1:4] == ["purchase", "&lt;b&gt;x y&lt;/b&gt;", "acquisto"]
    assert cells(pretty(table.assign(customers=["a_b", "c"]), kinds={"customers": "code"}))[0][-1] == "a b"


def test_sentiment_means_read_with_the_same_decimals_in_every_row():
    """Rows of one column compared by eye: "-0.34", "-0.20", "0.02", not "-0.34", "-0.197", "0.0152"."""
    table = pd.DataFrame({"sentiment": [-0.34, -0.197, 0.0152, -0.001]})
    assert cells(pretty(table, decimals=2)) == [["-0.34"], ["-0.20"], ["0.02"], ["0.00"]]

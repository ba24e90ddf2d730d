"""Every chart labels every category of its input, and refuses input it cannot draw (listing the choices)."""
import inspect
import itertools
import warnings

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from cxresearch import charts, i18n
from cxresearch.charts.layout import NoChart, wrap
from cxresearch.charts.voice import label_boxes, place_labels
from cxresearch.dataset import CXDataset
from cxresearch.errors import ParameterError
from cxresearch.interventions import InterventionSeries
from cxresearch.journeys import journey_map

TOUCHPOINTS = ["home", "product_page", "cart", "checkout", "newsletter", "chat", "faq", "returns", "store_visit",
               "store_checkout", "app_home", "search_ad", "social_ad", "call_center", "loyalty_program",
               "reviews_page"]
LONG = "Email-heavy budget omnichannel browsers who rarely buy"


def ticks(axis):
    """The categories an axis labels, each with a tick of its own."""
    assert axis.tickmode == "array"
    return list(axis.tickvals)


# ------------------------------------------------------------------- journeys
def transitions():
    """16 "from" touchpoints, each going to the next one (and the last back to the first)."""
    return pd.DataFrame({"from_touchpoint": TOUCHPOINTS, "to_touchpoint": TOUCHPOINTS[1:] + TOUCHPOINTS[:1],
                         "count": range(1, 17)})


def test_transition_heatmap_labels_all_sixteen_rows_and_columns_in_words():
    figure = charts.transition_heatmap(transitions())
    words = sorted(touchpoint.replace("_", " ") for touchpoint in TOUCHPOINTS)   # "app home", not "app_home"
    assert sorted(ticks(figure.layout.yaxis)) == words and sorted(figure.layout.yaxis.ticktext) == words
    assert sorted(ticks(figure.layout.xaxis)) == words and sorted(figure.data[0].x) == words
    assert figure.layout.height >= 16 * 26                  # room for every label
    np.testing.assert_allclose(figure.data[0].z.sum(axis=1), 1)   # shares of next steps per row
    with pytest.raises(ParameterError, match=r"transition_heatmap needs the columns .*missing \['count'\]"):
        charts.transition_heatmap(transitions().drop(columns="count"))


def test_transition_heatmap_of_one_event_sessions_says_why_rather_than_empty_axes():
    # a lead log: each lead's first contact and, weeks later, its closed deal: sessions of one event each
    events = pd.DataFrame({"customer_id": ["a", "a", "b"], "channel": ["social", "sales", "email"],
                           "touchpoint": ["landing_page", "closed_deal", "landing_page"],
                           "timestamp": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-03"], utc=True)})
    empty = journey_map(CXDataset(name="leads", events=events), min_group_size=1).transitions
    assert empty.empty
    shown = charts.transition_heatmap(empty)
    assert isinstance(shown, NoChart) and "no session holds two events in a row" in str(shown)


def flows():
    """Step 1 from 8 touchpoints (count 8..1) to checkout; step 2 from checkout to exit."""
    first = pd.DataFrame({"step": 1, "from_touchpoint": TOUCHPOINTS[:8], "to_touchpoint": "checkout",
                          "count": range(8, 0, -1), "customers": range(8, 0, -1)})
    second = pd.DataFrame({"step": [2], "from_touchpoint": ["checkout"], "to_touchpoint": [None], "count": [36],
                           "customers": [30]})
    return pd.concat([first, second], ignore_index=True)


def test_sankey_keeps_the_busiest_nodes_per_step_and_groups_the_rest():
    figure = charts.journey_sankey(flows(), nodes_per_step=3)
    sankey = figure.data[0]
    labels = list(sankey.node.label)
    # step 1: the three busiest + "other" (5 touchpoints); step 2: checkout; its exit
    assert sorted(labels) == sorted(["home", "product page", "cart", "other", "checkout", "exit"])
    other = labels.index("other")
    assert all(name in sankey.node.customdata[other] for name in TOUCHPOINTS[3:8])
    grouped = charts.journey_sankey(flows(), nodes_per_step=1).data[0]       # the grouped names in words too
    assert "product page" in grouped.node.customdata[list(grouped.node.label).index("other")]
    assert sum(sankey.link.value) == flows()["count"].sum()          # nothing lost by grouping
    assert sankey.link.value[list(sankey.link.source).index(other)] == 5 + 4 + 3 + 2 + 1
    every = charts.journey_sankey(flows(), nodes_per_step=10)
    assert {t.replace("_", " ") for t in TOUCHPOINTS[:8]} <= set(every.data[0].node.label)
    assert "other" not in every.data[0].node.label
    with pytest.raises(ParameterError, match="nodes_per_step must be a whole number of 1 or more"):
        charts.journey_sankey(flows(), nodes_per_step=0)


def test_journey_heatmap_emotion_curve_and_funnel_label_every_stage_and_channel():
    stages = ["awareness", "consideration", "purchase", "service"]
    matrix = pd.DataFrame(list(itertools.product(stages, ["web", "app", "store"])), columns=["stage", "channel"])
    matrix = matrix.assign(share=0.2, csat=0.8, customers=10, exit_rate=0.1, surveys=5)
    heatmap = charts.journey_heatmap(matrix)
    assert ticks(heatmap.layout.xaxis) == stages and sorted(ticks(heatmap.layout.yaxis)) == ["app", "store", "web"]
    marker = heatmap.data[0].marker          # CSAT, a share of 1, coloured from 0% to 100%
    assert (marker.cmin, marker.cmax, marker.colorbar.tickformat) == (0, 1, ".0%")
    table = pd.DataFrame({"stage": stages, "csat_mean": 4.0, "csat_mean_low": 3.5, "csat_mean_high": 4.5,
                          "surveys": 9})
    assert ticks(charts.emotion_curve(table).layout.xaxis) == stages
    funnel = pd.DataFrame({"name": stages + [LONG], "customers": [50, 40, 30, 20, 10]})
    figure = charts.funnel_chart(funnel)
    assert ticks(figure.layout.yaxis) == stages + [LONG]
    assert figure.layout.yaxis.ticktext[-1] == wrap(LONG) and "<br>" in wrap(LONG)   # wrapped; hover: full name
    with pytest.raises(ParameterError, match=r"emotion_curve needs the columns .*JourneyMap.stages"):
        charts.emotion_curve(table.drop(columns="csat_mean"))


def test_a_channel_named_like_a_stage_keeps_the_words_of_the_data():
    # "service" is a standard stage: as a stage (a funnel step too) it reads "assistenza" in Italian, as a channel
    # it is the data's own name and stays as written
    matrix = pd.DataFrame({"stage": ["service"], "channel": "service", "share": 0.2, "csat": 80.0, "customers": 10,
                           "exit_rate": 0.1, "surveys": 5})
    with i18n.using("it"):
        heatmap = charts.journey_heatmap(matrix)
    assert list(heatmap.data[0].hovertext) == ["assistenza · service"]
    assert (list(heatmap.layout.xaxis.ticktext), list(heatmap.layout.yaxis.ticktext)) == (["assistenza"], ["service"])
    with i18n.using("it"):
        stages = charts.funnel_chart(pd.DataFrame({"stage": ["service", "purchase"], "customers": [10, 5],
                                                   "share": [0.5, 0.25]}), name_col="stage", share_col="share")
    assert list(stages.data[0].hovertext) == ["assistenza", "acquisto"]
    assert list(stages.layout.yaxis.ticktext) == ["assistenza", "acquisto"]
    assert "%{customdata:.0%} dei clienti" in stages.data[0].hovertemplate


def test_journey_hover_texts_name_the_stages_as_the_ticks_do():
    stages = ["awareness", "purchase"]
    matrix = pd.DataFrame({"stage": stages, "channel": "call_center", "share": 0.2, "csat": 80.0, "customers": 10,
                           "exit_rate": 0.1, "surveys": 5})
    table = pd.DataFrame({"stage": stages, "csat_mean": 4.0, "csat_mean_low": 3.5, "csat_mean_high": 4.5, "surveys": 9,
                          "customers": [20, 10], "share": [0.4, 0.2]})
    with i18n.using("it"):
        figures = [charts.journey_heatmap(matrix), charts.emotion_curve(table),
                   charts.funnel_chart(table, name_col="stage", share_col="share")]
        names = [i18n.stage_label(stage) for stage in stages]
    assert names == ["consapevolezza", "acquisto"]
    assert list(figures[0].data[0].hovertext) == [f"{name} · call center" for name in names]   # a code in words
    assert list(figures[0].layout.yaxis.ticktext) == ["call center"]
    for figure in figures:
        trace = figure.data[0]
        assert list(trace.hovertext) == names or figure is figures[0]
        assert trace.hovertemplate.startswith("%{hovertext}")
        axis = figure.layout.yaxis if trace.type in ("funnel", "bar") else figure.layout.xaxis
        assert list(axis.ticktext) == names
    assert figures[1].data[0].name == "tutti i clienti"


def test_funnel_chart_draws_each_personas_steps_with_the_share_kept_from_the_first():
    steps = ["awareness", "consideration", "purchase"]
    funnel = pd.DataFrame({"persona": ["Browsers"] * 3 + ["Loyal"] * 3, "name": steps * 2,
                           "customers": [100, 40, 10, 50, 45, 40]})
    figure = charts.funnel_chart(funnel)
    assert [trace.name for trace in figure.data] == ["Browsers", "Loyal"]
    assert [list(trace.x) for trace in figure.data] == [[100, 40, 10], [50, 45, 40]]
    assert all(list(trace.y) == steps for trace in figure.data)
    assert list(figure.data[0].text) == ["100", "40", "10"]               # 40% and 10% kept from the first step
    assert figure.data[0].texttemplate == "%{text} · %{percentInitial:.0%}"
    single = charts.funnel_chart(funnel[funnel["persona"] == "Loyal"].drop(columns="persona"))
    assert [trace.name for trace in single.data] == ["all customers"] and list(single.data[0].x) == [50, 45, 40]
    with pytest.raises(ParameterError, match=r"funnel_chart needs the columns .*missing \['customers'\]"):
        charts.funnel_chart(funnel.drop(columns="customers"))


def test_funnel_counts_read_in_full_with_the_readers_separators():
    """Plotly would write 14904 customers as "14.904k"; the funnel writes 14,904 (14.904 in Italian)."""
    stages = pd.DataFrame({"stage": ["awareness", "purchase"], "customers": [14904, 2311], "share": [0.74, 0.97]})
    figure = charts.funnel_chart(stages, name_col="stage")
    assert list(figure.data[0].y) == ["awareness", "purchase"] and list(figure.data[0].text) == ["14,904", "2,311"]
    assert figure.data[0].texttemplate == "%{text} · %{percentInitial:.0%}"
    reach = charts.funnel_chart(stages, name_col="stage", share_col="share").data[0]   # stages: no funnel
    assert list(reach.customdata) == [0.74, 0.97] and reach.texttemplate == "%{text} · %{customdata:.0%}"
    assert (reach.type, reach.orientation) == ("bar", "h")    # bars from zero: a later stage may reach more
    with i18n.using("it"):
        figure = charts.funnel_chart(stages, name_col="stage")
    assert list(figure.data[0].text) == ["14.904", "2.311"] and figure.layout.separators == ",."


def test_emotion_curve_whiskers_reach_each_stages_interval():
    table = pd.DataFrame({"stage": ["awareness", "purchase"], "csat_mean": [4.0, 2.5], "csat_mean_low": [3.5, 1.5],
                          "csat_mean_high": [4.25, 3.0], "surveys": [9, 12]})
    line = charts.emotion_curve(table).data[0]
    assert list(line.y) == [4.0, 2.5]
    assert list(line.error_y.array) == [0.25, 0.5] and list(line.error_y.arrayminus) == [0.5, 1.0]


# ------------------------------------------------------------------- voice
def kpis():
    return pd.DataFrame({"channel": ["web", "app", "store", "call_center"] * 2, "metric": ["nps"] * 4 + ["csat"] * 4,
                         "value": [10.0, 20, 30, 40, .80, .85, .90, .95], "low": 0.0,
                         "high": [99.0] * 4 + [.99] * 4, "n": 50})


def test_kpi_chart_labels_every_group_and_refuses_an_unknown_metric():
    figure = charts.kpi_chart(kpis(), metric="csat", group_col="channel")
    assert ticks(figure.layout.xaxis) == ["web", "app", "store", "call center"]       # a channel's code in words
    assert list(figure.data[0].y) == [.80, .85, .90, .95]
    # CSAT is a share of 1, read as a percentage on the axis and in the hover; NPS in points
    assert figure.layout.yaxis.tickformat == ".0%" and "%{y:.1%}" in figure.data[0].hovertemplate
    with pytest.raises(ParameterError, match="metric must be one of 'nps', 'csat', 'csat_mean', 'ces'; got 'nsp'. Did you mean 'nps'"):
        charts.kpi_chart(kpis(), metric="nsp", group_col="channel")
    with pytest.raises(ParameterError, match="group_col must be one of 'channel'; got 'chanel'"):
        charts.kpi_chart(kpis(), metric="nps", group_col="chanel")
    bars = figure.data[0]                     # whiskers from each bar up to its high and down to its low
    assert list(bars.error_y.array) == pytest.approx([.19, .14, .09, .04])
    assert list(bars.error_y.arrayminus) == [.80, .85, .90, .95]
    assert list(bars.customdata) == [50] * 4
    overall = charts.kpi_chart(kpis().query("channel == 'web'"), metric="nps")
    assert list(overall.data[0].x) == ["all"] and list(overall.data[0].y) == [10]
    empty = kpis().iloc[:0]                   # every group too small to show
    assert list(charts.kpi_chart(empty, metric="nps", group_col="channel").data[0].y) == []


def test_trend_chart_marks_significant_changes():
    trend = pd.DataFrame({"period": pd.date_range("2025-01-01", periods=3, freq="MS"), "metric": "nps",
                          "value": [10.0, 30, 32], "low": 0.0, "high": 40.0, "significant": [False, True, False]})
    figure = charts.trend_chart(trend)
    assert list(figure.data[2].y) == [30] and figure.layout.title.text == "NPS over time"
    band = figure.data[0]                     # the interval: along the highs, then back along the lows
    assert list(band.y) == [40, 40, 40, 0, 0, 0] and band.fill == "toself"
    assert list(figure.data[1].y) == [10, 30, 32]
    with pytest.raises(ParameterError, match="trend_chart needs the columns"):
        charts.trend_chart(trend.drop(columns="significant"))


def drivers(n=7):
    """n drivers crowded near one point, so naive labels would overlap."""
    names = ["rating_delivery", "rating_price", "rating_chat", "rating_web", "rating_call_center", "rating_store",
             "rating_app"][:n]
    importance = [0.30, 0.29, 0.12, 0.08, 0.076, 0.074, 0.056][:n]
    performance = [3.18, 3.20, 2.30, 3.61, 3.11, 3.95, 3.77][:n]
    quadrant = ["fix first", "fix first", "low priority", "possible overkill", "low priority", "keep up",
                "possible overkill"][:n]
    return pd.DataFrame({"driver": names, "importance": importance, "performance": performance,
                         "quadrant": quadrant})


def test_driver_quadrant_names_its_quadrants_and_labels_every_driver_without_overlap():
    table = drivers()
    figure = charts.driver_quadrant_chart(table)
    texts = [a.text for a in figure.layout.annotations]
    assert [t for t in texts if t.startswith("<b>")] == ["<b>fix first</b>", "<b>keep up</b>", "<b>low priority</b>",
                                                         "<b>possible overkill</b>"]
    labels = [a for a in figure.layout.annotations if not a.text.startswith("<b>")]
    assert [a.text for a in labels] == ["delivery", "price", "chat", "web", "call center", "store", "app"]
    hovers = [name for trace in figure.data for name in trace.customdata]      # the full name, in words
    assert "Rating: call center" in hovers and not any("_" in name for name in hovers)
    # the labels' boxes, as placed, overlap neither each other nor any point
    x_range, y_range = figure.layout.xaxis.range, figure.layout.yaxis.range
    x = (table["performance"] - x_range[0]) / (x_range[1] - x_range[0])
    y = (table["importance"] - y_range[0]) / (y_range[1] - y_range[0])
    boxes = label_boxes(x, y, [a.text for a in labels], [(a.ax, a.ay) for a in labels])
    for a, b in itertools.combinations(boxes, 2):
        assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)


def test_label_placement_moves_a_label_off_a_crowded_spot():
    offsets = place_labels([0.5, 0.5], [0.5, 0.5], ["same", "same"])
    assert offsets[0] != offsets[1]


def test_topic_charts_label_every_topic():
    summary = pd.DataFrame({"topic": ["delivery, late, parcel", "staff, rude", LONG], "positive": [0.2, 0.1, 0.7],
                            "negative": [0.7, 0.8, 0.1]})
    figure = charts.topic_sentiment_chart(summary)
    assert ticks(figure.layout.yaxis) == summary["topic"].tolist()
    np.testing.assert_allclose(sum(np.array(trace.x) for trace in figure.data), 1)
    assert [trace.name for trace in figure.data] == ["negative", "neutral", "positive"]
    with i18n.using("it"):                # shares of texts: plural, all three
        assert [trace.name for trace in charts.topic_sentiment_chart(summary).data] == ["negativi", "neutri", "positivi"]
    impact = pd.DataFrame({"topic": summary["topic"], "outcome_impact": [-20.0, -35, 12],
                           "outcome_impact_low": [-30.0, -50, 2], "outcome_impact_high": [-10.0, -20, 22],
                           "significant": [True, True, False]})
    figure = charts.topic_impact_chart(impact)
    assert ticks(figure.layout.yaxis) == summary["topic"].tolist()
    assert list(figure.data[0].marker.color) == ["#d62728", "#d62728", "#c7c7c7"]
    with pytest.raises(ParameterError, match="topic_impact_chart needs the columns"):
        charts.topic_impact_chart(summary)


def test_topic_charts_without_a_topic_say_why_in_words_instead_of_empty_axes():
    no_topic = charts.topic_sentiment_chart(pd.DataFrame(columns=["topic", "positive", "negative"]))
    no_impact = charts.topic_impact_chart(pd.DataFrame(columns=["topic", "outcome_impact", "outcome_impact_low",
                                                                "outcome_impact_high", "significant"]))
    assert not isinstance(no_topic, go.Figure) and not isinstance(no_impact, go.Figure)
    assert "no theme or topic was found" in repr(no_topic)
    assert "It needs texts that mention a CX theme" in repr(no_topic)
    assert "It needs survey answers with both a comment and an answer to NPS" in repr(no_impact)
    csat = charts.topic_impact_chart(pd.DataFrame(columns=["topic", "outcome_impact", "outcome_impact_low",
                                                           "outcome_impact_high", "significant"]), outcome="CSAT")
    assert "an answer to CSAT" in repr(csat)
    with i18n.using("it"):
        assert "Nessun grafico" in repr(charts.topic_impact_chart(pd.DataFrame(
            columns=["topic", "outcome_impact", "outcome_impact_low", "outcome_impact_high", "significant"])))


# ------------------------------------------------------------------- personas
def personas():
    return pd.DataFrame({"name": ["Store-first loyalists", LONG, "Tiny"], "size": [60, 35, 3],
                         "share": [0.6, 0.35, 0.03]})


def traits():
    return pd.DataFrame({"age": [1.2, -0.5, 0.1], "share_app": [-0.3, 1.9, 0.0], "region=north": [0.4, 0.1, 2.5]})


def test_persona_sizes_chart_labels_every_shown_persona():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        figure = charts.persona_sizes_chart(personas(), min_group_size=5)
    assert ticks(figure.layout.yaxis) == [LONG, "Store-first loyalists"]     # bottom up; "Tiny" is suppressed
    assert "<br>" in figure.layout.yaxis.ticktext[0]


def test_persona_charts_show_long_names_whole():
    """bpic2012's "Customers with above-average days since registered and using automatic more than the rest"
    was cut to two lines and "…" on the persona charts: names of three or four traits read whole."""
    long = "Customers with above-average amount requested and using automatic more than the rest"
    table = pd.DataFrame({"name": [long, "Web-first customers"], "size": [400, 300], "share": [0.57, 0.43]})
    sizes = charts.persona_sizes_chart(table)
    heatmap = charts.trait_heatmap(traits().iloc[:2], table)
    for figure in (sizes, heatmap):
        labels = [text.replace("<br>", " ") for text in figure.layout.yaxis.ticktext]
        assert long in labels and not any("…" in label for label in labels)
    assert sizes.layout.height > charts.persona_sizes_chart(table.assign(name=["A", "B"])).layout.height


def test_trait_heatmap_labels_every_persona_and_feature():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        figure = charts.trait_heatmap(traits(), personas(), min_group_size=5)
    assert ticks(figure.layout.yaxis) == ["Store-first loyalists", LONG]
    assert sorted(ticks(figure.layout.xaxis)) == ["age", "app share", "region: north"]
    with pytest.raises(ParameterError, match=r"trait_heatmap needs the columns \['name', 'size'\]"):
        charts.trait_heatmap(traits(), personas().drop(columns="size"))


def test_persona_traits_chart_labels_its_strongest_traits():
    figure = charts.persona_traits_chart(traits().iloc[1], top=2)
    assert sorted(ticks(figure.layout.yaxis)) == ["age", "app share"]


def test_projection_chart_has_one_trace_per_persona():
    from cxresearch.personas.projection import Projection

    points = pd.DataFrame({"pc1": [0.0, 1, 2], "pc2": [0.0, 1, 0], "name": ["a", "b", "a"]})
    figure = charts.projection_chart(Projection(points, (0.4, 0.2)))      # a result object, not DataFrame.attrs
    assert [trace.name for trace in figure.data] == ["a", "b"]
    assert figure.layout.xaxis.title.text == "PC1 (40% of variance)"
    with pytest.raises(ParameterError, match="projection_chart needs the columns"):
        charts.projection_chart(Projection(points.drop(columns="name"), (0.4, 0.2)))
    with pytest.raises(ParameterError, match="the Projection that personas.projection_data returns"):
        charts.projection_chart(points)


def test_k_selection_chart_labels_every_k():
    selection = pd.DataFrame({"silhouette": [0.2, 0.3, 0.25, 0.1], "stability": [0.9, 0.85, 0.6, 0.5],
                              "stability_sd": 0.05, "chosen": [False, True, False, False]},
                             index=pd.Index([2, 3, 4, 5], name="k"))
    figure = charts.k_selection_chart(selection)
    assert list(figure.layout.xaxis.tickvals) == [2, 3, 4, 5] == list(figure.layout.xaxis2.tickvals)
    assert {shape.x0 for shape in figure.layout.shapes if shape.line.dash == "dash"} == {3}
    # the stability the model computes is the bootstrap Jaccard of each persona (personas/selection.py)
    assert [a.text for a in figure.layout.annotations][:2] == ["Silhouette (higher is better)",
                                                               "Stability: bootstrap Jaccard of the personas"]


def test_k_selection_chart_draws_both_thresholds_on_the_least_stable_persona():
    selection = pd.DataFrame({"silhouette": [0.3, 0.25], "stability": [0.95, 0.8], "stability_sd": 0.05,
                              "min_stability": [0.9, 0.5], "chosen": [True, False]}, index=pd.Index([3, 4], name="k"))
    figure = charts.k_selection_chart(selection, stability_threshold=0.6)
    assert [trace.name for trace in figure.data] == ["silhouette", "mean of the personas", "least stable persona"]
    assert list(figure.data[2].y) == [0.9, 0.5]
    assert sorted(shape.y0 for shape in figure.layout.shapes if shape.line.dash == "dot") == [0.6, 0.85]
    texts = [a.text for a in figure.layout.annotations]
    assert "eligible: every persona at least 0.60" in texts and "preferred: every persona at least 0.85" in texts
    # the default preferred line is the one the selection applies (a number, not a name to look up)
    from cxresearch.personas.selection import HIGHLY_STABLE
    assert inspect.signature(charts.k_selection_chart).parameters["highly_stable"].default == HIGHLY_STABLE


def test_intervention_chart_refuses_a_bare_table():
    series = pd.DataFrame({"group": ["scope"], "label": ["chat"], "period": [pd.Timestamp("2025-01-01")],
                           "value": [1.0], "low": [0.0], "high": [2.0], "n": [5]})
    with pytest.raises(ParameterError, match=r"must be the InterventionSeries that interventions\.intervention_series "
                                             r"returns; got a DataFrame"):
        charts.intervention_chart(series)


def test_intervention_chart_names_both_lines_and_marks_the_start():
    periods = pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"])
    table = pd.DataFrame({"group": ["scope"] * 3 + ["comparison"] * 3, "label": ["chat"] * 3 + ["other touchpoints"] * 3,
                          "period": list(periods) * 2, "value": [.40, .55, .70, .60, .61, .59], "se": .05,
                          "low": [.30, .45, .60, .50, .51, .49], "high": [.50, .65, .80, .70, .71, .69], "n": 20})
    info = InterventionSeries(table=table, intervention_id="I7", description="new chat bot", scope="chat",
                              scope_kind="touchpoint", start=periods[1], metric="csat", label="CSAT", better="higher")
    figure = charts.intervention_chart(info)
    lines = [trace for trace in figure.data if trace.mode == "lines+markers"]
    assert [trace.name for trace in lines] == ["chat", "other touchpoints"]
    assert [list(trace.y) for trace in lines] == [[.40, .55, .70], [.60, .61, .59]]
    assert figure.layout.yaxis.tickformat == ".0%" and "%{y:.1%}" in lines[0].hovertemplate   # a share of 1
    assert [list(trace.customdata) for trace in lines] == [[20] * 3, [20] * 3]
    assert [shape.x0 for shape in figure.layout.shapes] == [periods[1]]
    assert [a.text for a in figure.layout.annotations] == ["I7 starts: new chat bot"]
    assert figure.layout.title.text == "CSAT at chat (higher is better)"


def test_emotion_curve_draws_one_named_line_per_persona_over_every_stage():
    stages = ["awareness", "consideration", "purchase", "service"]
    table = pd.DataFrame({"persona": ["Browsers"] * 4 + [LONG] * 4, "stage": stages * 2,
                          "csat_mean": [4.0, 3.5, 3.0, 2.0, 4.5, 4.4, 4.3, 4.0], "csat_mean_low": 1.0,
                          "csat_mean_high": 5.0, "surveys": 9})
    figure = charts.emotion_curve(table)
    assert [trace.name for trace in figure.data] == ["Browsers", LONG]
    assert all(list(trace.x) == stages for trace in figure.data) and ticks(figure.layout.xaxis) == stages
    assert list(figure.data[1].y) == [4.5, 4.4, 4.3, 4.0]


def test_persona_shares_chart_reads_fractions_as_percentages_with_their_interval():
    shares = pd.DataFrame({"name": ["Savers", LONG, "Gone"], "share": [0.6, 0.4, 0.0],
                           "share_low": [0.55, 0.36, float("nan")], "share_high": [0.66, 0.45, float("nan")],
                           "status": ["kept", "new", "vanished"]})
    figure = charts.persona_shares_chart(shares)
    bars = figure.data[0]
    assert ticks(figure.layout.yaxis) == ["Savers", LONG]                  # the vanished persona is not drawn
    assert list(bars.text) == ["60%", "40%"] and figure.layout.xaxis.tickformat == ".0%"
    assert np.allclose(bars.error_x.array, [0.06, 0.05]) and np.allclose(bars.error_x.arrayminus, [0.05, 0.04])
    with pytest.raises(ParameterError, match=r"persona_shares_chart needs the columns .*Summary.persona_shares"):
        charts.persona_shares_chart(shares.drop(columns="share_low"))


def test_figures_shown_in_a_kernel_carry_the_languages_month_names():
    """JupyterLab draws a figure with plotly.js's English unless the figure's config brings the locale."""
    import plotly.io as pio

    figure = charts.trend_chart(pd.DataFrame({"period": pd.date_range("2025-01-01", periods=3, freq="MS"),
                                              "metric": "nps", "value": [10.0, 30, 32], "low": 0.0, "high": 40.0,
                                              "significant": False}))
    with i18n.using("it"):
        config = pio.renderers["jupyterlab"].to_mimebundle(figure.to_dict())["application/vnd.plotly.v1+json"]["config"]
    assert config["locale"] == "it" and config["locales"]["it"]["format"]["shortMonths"][:3] == ["gen", "feb", "mar"]
    assert config["locales"]["it"]["format"]["decimal"] == ","
    assert "config" not in pio.renderers["jupyterlab"].to_mimebundle(figure.to_dict())["application/vnd.plotly.v1+json"]


def test_without_csat_answers_the_emotion_curve_says_why_and_the_journey_map_is_sized_by_reach_alone():
    stages = pd.DataFrame({"stage": ["browse", "buy"], "csat_mean": float("nan"), "csat_mean_low": float("nan"),
                           "csat_mean_high": float("nan"), "surveys": 0})
    curve = charts.emotion_curve(stages)
    assert isinstance(curve, NoChart) and "No emotion curve" in str(curve)
    matrix = pd.DataFrame({"stage": ["browse", "buy"], "channel": "web", "share": [0.5, 0.2], "csat": float("nan"),
                           "customers": [10, 4], "exit_rate": 0.1, "surveys": 0})
    figure = charts.journey_heatmap(matrix)
    assert "no CSAT answer to colour it by" in figure.layout.title.text and "CSAT" not in figure.data[0].hovertemplate
    assert figure.data[0].marker.colorbar.title.text is None               # no CSAT scale to read
    answered = charts.journey_heatmap(matrix.assign(csat=[0.8, 0.4], surveys=5))
    assert answered.data[0].marker.colorbar.title.text == "CSAT" and "CSAT" in answered.data[0].hovertemplate


def test_driver_quadrant_draws_intervals_and_hollows_a_driver_it_cannot_place():
    table = drivers(3).assign(importance_low=lambda t: t["importance"] - 0.02,
                              importance_high=lambda t: t["importance"] + 0.02,
                              performance_low=lambda t: t["performance"] - 0.1,
                              performance_high=lambda t: t["performance"] + 0.1,
                              placement=["fix first or keep up", "fix first", "low priority"])
    figure = charts.driver_quadrant_chart(table)
    fix_first = next(trace for trace in figure.data if trace.name == "fix first")
    assert list(fix_first.marker.symbol) == ["circle-open", "circle"]
    assert list(fix_first.text) == ["fix first or keep up", "fix first"]
    assert list(fix_first.error_x.array) == pytest.approx([0.1, 0.1])
    assert list(fix_first.error_y.arrayminus) == pytest.approx([0.02, 0.02])
    assert figure.layout.xaxis.range[0] < table["performance_low"].min()   # whiskers inside the axes
    legend = [trace.name for trace in figure.data if trace.showlegend is not False]
    assert legend == ["fix first", "low priority", "hollow: its interval crosses a line"]

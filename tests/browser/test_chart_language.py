"""Date axes of a report page's charts name months in the page's language, in a real headless Chromium.

plotly.js writes the tick labels itself, so only a browser shows which words
it chose: the page registers the language's plotly.js locale before plotly.js
loads (:func:`cxresearch.i18n.plotly_locales`).
"""
from __future__ import annotations

import nbformat
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from cxresearch import i18n, report

MONTHS = {"en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun"), "it": ("gen", "feb", "mar", "apr", "mag", "giu")}


@pytest.mark.parametrize("language", ["en", "it"])
def test_a_date_axis_names_months_in_the_pages_language(language, open_page, tmp_path):
    monthly = go.Figure(go.Scatter(x=pd.date_range("2025-01-01", periods=6, freq="MS"), y=[1, 3, 2, 4, 3, 5]))
    output = nbformat.v4.new_output("display_data", data={
        "text/html": pio.to_html(monthly, include_plotlyjs=True, full_html=False)})   # plotly.js, then the chart
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("figure", outputs=[output])])
    header = {"title": "x", "dataset": "Negozio Rossi", "run_id": "r1", "version": "0", "min_group_size": 5,
              "pages": []}
    with i18n.using(language):
        (tmp_path / "page.html").write_text(report.render_page(notebook, header=header), encoding="utf-8")
    opened = open_page(tmp_path / "page.html")
    ticks = " ".join(opened.page.locator(".xtick text").all_text_contents())
    assert not opened.errors and not opened.remote
    other = "it" if language == "en" else "en"
    assert [month for month in MONTHS[language] if month in ticks], ticks
    assert not [month for month in MONTHS[other] if month in ticks and month not in MONTHS[language]], ticks

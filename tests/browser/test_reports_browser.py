"""The routine's reports in a real headless Chromium, with the network blocked.

Every page of the shared runs (both runs of one reports folder, and its index)
is opened once it has rendered (``open_page`` waits for every plotly chart's
SVG, not for a fixed time) and must: request nothing outside the file, log no
console error, draw something in every chart, show no code, and have no
element whose content spills out of its box. The harness lives in
``tests/browser/conftest.py``.
"""
from __future__ import annotations

import pytest

from cxresearch.routine import NOTEBOOKS
from cxresearch.summary import run_moment
from .harness import chart_problems, overflowing

#: Pages that must have charts (the others may have none, e.g. on data quality).
CHARTED = {"01_personas", "02_journey_map", "03_voice_of_customer", "04_summary"}


def test_the_shared_runs_give_an_index_and_six_pages_per_run(report_pages):
    assert report_pages[0].name == "index.html"
    assert sorted(p.stem for p in report_pages[1:]) == sorted(NOTEBOOKS * 2)


@pytest.mark.parametrize("name", ["index", *NOTEBOOKS])
def test_page_renders_offline_with_every_chart_drawn_and_nothing_spilling(name, routine_runs, open_page):
    folders = [routine_runs.reports] if name == "index" else [routine_runs.first.folder, routine_runs.second.folder]
    for folder in folders:
        opened = open_page(folder / f"{name}.html")
        page, where = opened.page, f"{folder.name}/{name}"
        assert opened.remote == [], f"{where} requested {opened.remote}"
        assert opened.errors == [], f"{where} logged {opened.errors}"
        assert page.locator(".jp-CodeCell .jp-InputArea").count() == 0, f"{where} shows code"
        assert chart_problems(page) == [], where
        if name in CHARTED:
            assert page.locator(".plotly-graph-div .main-svg").count() >= 1, f"{where} has no chart"
        assert overflowing(page) == [], where


def test_the_checks_see_a_broken_chart_a_spilling_box_and_an_error(tmp_path, open_page):
    """The helpers report what they look for (so a page that passes them really has none of it)."""
    page = tmp_path / "broken.html"
    page.write_text("""<!DOCTYPE html><html><body>
        <div style="width: 200px"><p id="wide" style="white-space: nowrap">""" + "spilling text " * 40 + """</p></div>
        <div class="plotly-graph-div"><svg class="main-svg"><g class="gtitle"><text>Empty</text></g></svg></div>
        <script>console.error("boom"); fetch("https://example.org/x").catch(() => {});</script>
        </body></html>""", encoding="utf-8")
    opened = open_page(page)
    assert opened.errors[0] == "boom"
    assert opened.remote == ["https://example.org/x"]
    assert chart_problems(opened.page) == ["Empty: nothing drawn"]
    spilled = overflowing(opened.page)
    assert any(line.startswith("p#wide") for line in spilled) and any("the page" in line for line in spilled)


def test_summary_leads_with_kpis_personas_and_changes(routine_runs, open_page):
    opened = open_page(routine_runs.second.summary_page)
    text = opened.page.inner_text("main")
    assert opened.page.locator(".plotly-graph-div .main-svg").count() >= 2
    assert "NPS is" in text and "95% interval" in text and "personas" in text.lower()
    assert f"since the run of {run_moment(routine_runs.first.run_id)}" in text   # the previous run by its date
    assert opened.page.locator("#cx-toc a").count() >= 4


def test_index_lists_runs_newest_first_and_links_latest(routine_runs, open_page):
    rows = open_page(routine_runs.reports / "index.html").page.locator("tbody tr")
    assert rows.count() == 2
    assert routine_runs.second.run_id in rows.nth(0).inner_text()
    assert routine_runs.first.run_id in rows.nth(1).inner_text()
    assert "NPS" in rows.nth(0).inner_text()
    assert (routine_runs.reports / "latest").resolve() == routine_runs.second.folder.resolve()

"""The routine's reports in a real headless Chromium, with the network blocked.

Every page of a run (and the index) must render its plotly charts, log no
console error and request nothing outside the file. The browser is Debian's
chromium driven by Playwright; without it the tests skip, unless
``CXRESEARCH_REQUIRE_BROWSER=1`` (set by CI), where they fail.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cxresearch.routine import RoutineParameters, run
from cxresearch.synthetic import generate

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "the playwright package is not installed"
    if missing is None and not Path(CHROMIUM).is_file():
        missing = f"no chromium at {CHROMIUM}"
    if missing:
        if os.environ.get("CXRESEARCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required (CXRESEARCH_REQUIRE_BROWSER=1) but {missing}")
        pytest.skip(f"browser tests skipped: {missing}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """Two routine runs of a 600-customer demo dataset (the second compares with the first)."""
    data = generate(tmp_path_factory.mktemp("demo"), customers=600, seed=3)
    reports = tmp_path_factory.mktemp("reports")
    first = run(RoutineParameters(data_dir=str(data)), reports_dir=reports)
    second = run(RoutineParameters(data_dir=str(data)), reports_dir=reports)
    assert first.ok, first.manifest["error"]
    assert second.ok, second.manifest["error"]
    return reports, first, second


def open_offline(browser, page_path: Path):
    """Open *page_path* with every non-file request aborted; return the page, requests and console errors."""
    page = browser.new_page()
    remote, errors = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def route(request_route):
        if request_route.request.url.startswith("file://"):
            request_route.continue_()
        else:
            remote.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.goto(page_path.as_uri(), wait_until="load")
    page.wait_for_timeout(500)
    return page, remote, errors


def report_pages(runs):
    reports, _, second = runs
    return [reports / "index.html", *sorted(second.folder.glob("*.html"))]


def test_every_page_renders_offline_without_errors(browser, runs):
    pages = report_pages(runs)
    assert len(pages) >= 3
    for path in pages:
        page, remote, errors = open_offline(browser, path)
        charts = page.locator(".plotly-graph-div")
        for i in range(charts.count()):
            assert charts.nth(i).locator("svg").count() > 0, f"{path.name}: chart {i + 1} did not render"
        assert remote == [], f"{path.name} requested {remote}"
        assert errors == [], f"{path.name} logged {errors}"
        assert page.locator(".jp-CodeCell .jp-InputArea").count() == 0, f"{path.name} shows code"
        page.close()


def test_summary_leads_with_kpis_personas_and_changes(browser, runs):
    _, first, second = runs
    page, _, _ = open_offline(browser, second.summary_page)
    text = page.inner_text("main")
    assert page.locator(".plotly-graph-div svg").count() >= 2
    assert "NPS" in text and "95% CI" in text and "personas" in text.lower()
    assert f"since run {first.run_id}" in text
    assert page.locator("#cx-toc a").count() >= 4
    page.close()


def test_index_lists_runs_newest_first_and_links_latest(browser, runs):
    reports, first, second = runs
    page, _, _ = open_offline(browser, reports / "index.html")
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    assert second.run_id in rows.nth(0).inner_text() and first.run_id in rows.nth(1).inner_text()
    assert "NPS" in rows.nth(0).inner_text()
    page.close()
    assert (reports / "latest").resolve() == second.folder.resolve()

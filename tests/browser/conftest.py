"""A real headless Chromium for the report pages, with the network blocked.

Fixtures and helpers for every browser test file:

- ``browser``: Debian's ``chromium`` driven by Playwright (``executable_path``;
  Playwright's own browser download is never used). Without it the tests skip,
  saying why, unless ``CXRESEARCH_REQUIRE_BROWSER=1`` (set by ``.ci/run``),
  where they fail.
- ``open_page(path)``: opens a page offline and waits until it has rendered
  (see :data:`RENDERED`); returns an :class:`OpenedPage` with the page, the
  requests it tried to send out and its console errors. Pages are closed at
  the end of the test.
- ``harness.py``: :func:`chart_problems`, :func:`overflowing` (what a page must not show), and
  :data:`RENDERED`, the rendered state ``open_page`` waits for.
- ``report_pages``: every page of the shared runs (``routine_runs`` in
  ``tests/conftest.py``): the index and each page of both runs of its folder.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from .harness import ARGS, CHROMIUM, RENDER_TIMEOUT_MS, RENDERED, VIEWPORT, OpenedPage


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Playwright ``Browser``), or a skip saying what is missing."""
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


@pytest.fixture
def open_page(browser):
    """``open_page(path, *, viewport=VIEWPORT, media="screen")`` -> :class:`OpenedPage`, once rendered."""
    opened = []

    def open_(path: Path, *, viewport: dict = VIEWPORT, media: str = "screen") -> OpenedPage:
        page = browser.new_page(viewport=viewport)
        page.emulate_media(media=media)
        result = OpenedPage(page, Path(path))
        opened.append(page)
        page.on("console", lambda message: result.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda exc: result.errors.append(str(exc)))

        def route(request_route):
            if request_route.request.url.startswith("file://"):
                request_route.continue_()
            else:
                result.remote.append(request_route.request.url)
                request_route.abort()

        page.route("**/*", route)
        page.goto(Path(path).resolve().as_uri(), wait_until="load")
        page.wait_for_function(RENDERED, timeout=RENDER_TIMEOUT_MS)
        return result

    yield open_
    for page in opened:
        page.close()


@pytest.fixture(scope="session")
def report_pages(routine_runs) -> list[Path]:
    """The index of the shared runs' reports folder and every page of both runs in it."""
    pages = [routine_runs.reports / "index.html"]
    for done in (routine_runs.first, routine_runs.second):
        pages += sorted(done.folder.glob("*.html"))
    return pages

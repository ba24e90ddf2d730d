"""The journey canvas, persona cards and the summary's first screen in a real headless Chromium.

In both languages: every stage and lane is on the canvas, the persona switch
works without a network, nothing logs an error, no text spills out of its box,
the first screen comes before any table, and printing gives A3 landscape pages
for the canvas and one A4 page per persona card. The routine's own pages are
read from the shared runs (``routine_runs``); the canvas, cards and first
screen are also rendered here, in each language, from a small demo dataset.
"""
from __future__ import annotations

import re

import pandas as pd
import pytest

from cxresearch import i18n
from cxresearch.briefing import first_screen
from cxresearch.canvas import journey_canvas, persona_canvases, render_canvases
from cxresearch.cards import Attribute, Kpi, PersonaCardData, Quote, Trait, render_persona_card
from cxresearch.dataset import load_dataset
from cxresearch.synthetic import generate
from tests.unit.test_briefing import summary as handmade_summary

from .harness import overflowing

#: PDF page sizes in points (width, height).
A3_LANDSCAPE, A4_PORTRAIT = (1190.55, 841.89), (595.28, 841.89)
LANGUAGES = ("en", "it")


def standalone(fragment, language: str) -> str:
    return f'<!DOCTYPE html><html lang="{language}"><meta charset="utf-8"><body>{fragment}</body></html>'


@pytest.fixture(scope="module")
def shared_data(tmp_path_factory):
    """A small demo dataset with customers split by plan: a canvas overall and one per plan."""
    ds = load_dataset(generate(tmp_path_factory.mktemp("demo"), customers=300, random_state=5))
    plans = ds.customers.set_index("customer_id")["plan"].astype(str)
    return ds, plans


@pytest.fixture(scope="module", params=LANGUAGES)
def canvas_page(request, shared_data, tmp_path_factory):
    ds, plans = shared_data
    with i18n.using(request.param):
        canvases = persona_canvases(ds, plans, stage_plan={"purchase": {"goal": "Pay in one step",
                                                                       "owner": "E-commerce"}})
        html = render_canvases(canvases, key="t")
    path = tmp_path_factory.mktemp(f"canvas-{request.param}") / "canvas.html"
    path.write_text(standalone(html, request.param), encoding="utf-8")
    return path, canvases, request.param


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    """Width and height (points) of each page of a PDF, from its MediaBox entries."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    return [(float(w), float(h)) for w, h in boxes]


def test_canvas_has_every_stage_and_lane_and_nothing_spills(canvas_page, open_page):
    path, canvases, language = canvas_page
    opened = open_page(path)
    page = opened.page
    assert opened.errors == [] and opened.remote == []
    first = canvases[0]
    shown = page.locator("#t-panel-0")
    assert shown.is_visible() and not page.locator("#t-panel-1").is_visible()
    assert shown.locator(".cxc-stage").evaluate_all("els => els.map(e => e.dataset.stage)") == list(first.stages)
    for lane in first.lanes:
        assert shown.locator(f'.cxc-lane[data-lane="{lane}"]').count() == 1, lane
        assert shown.locator(f'.cxc-cell[data-lane="{lane}"]').count() == len(first.stages), lane
    assert shown.locator(".cxc-curve polyline").count() == 1
    assert overflowing(page) == []
    page.set_viewport_size({"width": 420, "height": 900})     # a phone: the canvas scrolls inside its box
    assert overflowing(page) == []
    with i18n.using(language):
        assert shown.locator('.cxc-lane[data-lane="pain_points"]').inner_text() == i18n._("Pain points")


def test_persona_switch_works_offline(canvas_page, open_page):
    path, canvases, _ = canvas_page
    page = open_page(path).page
    page.locator('label[for="t-pick-2"]').click()
    assert page.locator("#t-panel-2").is_visible() and not page.locator("#t-panel-0").is_visible()
    assert canvases[2].title in page.locator("#t-panel-2 .cxc-title").inner_text()
    assert overflowing(page) == []


def test_canvas_prints_one_a3_landscape_page_per_canvas(canvas_page, open_page):
    path, canvases, _ = canvas_page
    page = open_page(path, media="print").page
    sizes = page_sizes(page.pdf(prefer_css_page_size=True))
    assert len(sizes) == len(canvases)
    assert all(abs(w - A3_LANDSCAPE[0]) < 2 and abs(h - A3_LANDSCAPE[1]) < 2 for w, h in sizes)


@pytest.mark.parametrize("language", LANGUAGES)
def test_persona_cards_fit_their_box_and_print_one_per_a4_page(language, open_page, tmp_path):
    card = PersonaCardData(
        persona_id=1, name="Chat-heavy support-seeking disappointed weekend browsers", size=412, share=0.139,
        share_low=0.127, share_high=0.152, n_total=2970, stability=0.91, status="kept",
        traits=(Trait("Chat contacts per order", 1.6), Trait("NPS", -1.1)),
        attributes=(Attribute("Region", "north 48%", "north 40%", (("north", .48), ("centre", .3), ("south", .22))),),
        channels=(("call_center_and_chat_support", .62), ("web", .51)), kpis=(Kpi("NPS", -31, -40, -22, 301),),
        goals=("Get an answer in one contact",), frustrations=("Waiting time in chat",),
        quotes=(Quote("The chat support queue is endless, terrible waiting times.", "negative"),))
    with i18n.using(language):
        cards = [render_persona_card(card), render_persona_card(card)]
        from cxresearch.templating import card_grid
        path = tmp_path / "cards.html"
        path.write_text(standalone(card_grid(cards), language), encoding="utf-8")
    for width in (1280, 420):
        opened = open_page(path, viewport={"width": width, "height": 900})
        assert opened.errors == [] and overflowing(opened.page) == []
        assert opened.page.locator(".cxp").count() == 2
    sizes = page_sizes(open_page(path, media="print").page.pdf(prefer_css_page_size=True))
    assert len(sizes) == 2 and all(abs(w - A4_PORTRAIT[0]) < 2 and abs(h - A4_PORTRAIT[1]) < 2 for w, h in sizes)


@pytest.mark.parametrize("language", LANGUAGES)
def test_first_screen_fits_in_both_languages(language, open_page, tmp_path):
    with i18n.using(language):
        html = first_screen(handmade_summary(), stage_plan={"service": {"owner": "Customer care"}})
    path = tmp_path / "first.html"
    path.write_text(standalone(html, language), encoding="utf-8")
    for width in (1280, 420):
        opened = open_page(path, viewport={"width": width, "height": 900})
        assert opened.errors == [] and overflowing(opened.page) == []
        assert opened.page.locator(".cxf-finding").count() == 5
        assert opened.page.locator(".cxf-action").count() == 3


def test_summary_page_opens_on_the_first_screen_before_any_table(routine_runs, open_page):
    opened = open_page(routine_runs.second.folder / "04_summary.html")
    page = opened.page
    assert opened.errors == [] and opened.remote == []
    first = page.locator(".cxf")
    assert first.count() == 1 and page.locator(".cxf-finding").count() >= 3
    actions_bottom = page.evaluate("() => document.querySelector('.cxf').getBoundingClientRect().bottom")
    tables_top = page.evaluate("() => Math.min(...[...document.querySelectorAll('main table')]"
                               ".map(t => t.getBoundingClientRect().top))")
    assert actions_bottom < tables_top
    assert page.locator("details.cx-details").count() >= 1
    assert [p for p in overflowing(page) if "cxf" in p] == []


def test_journey_page_shows_the_canvas(routine_runs, open_page):
    opened = open_page(routine_runs.second.folder / "02_journey_map.html")
    page = opened.page
    assert opened.errors == [] and opened.remote == []
    stages = page.locator(".cxc-panel").first.locator(".cxc-stage").count()
    assert stages >= 2
    assert page.locator(".cxc-panel").first.locator(".cxc-cell").count() == stages * page.locator(
        ".cxc-panel").first.locator(".cxc-lane[data-lane]").count()
    panels = page.locator(".cxc-panel").count()              # overall, then one per persona
    assert page.locator(".cxc-switch label").count() == (panels if panels > 1 else 0)
    assert [p for p in overflowing(page) if "cxc" in p] == []

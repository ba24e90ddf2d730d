"""Helpers of the browser tests (their fixtures are in ``conftest.py``): where Chromium is, when a page
has rendered, and what a rendered page must not show."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1280, "height": 900}
#: Milliseconds a page may take to reach its rendered state (only ends a stuck test; never asserted on).
RENDER_TIMEOUT_MS = 60_000

#: A page has rendered when it has loaded, every plotly chart has drawn its SVG, and no element still
#: says ``data-cx-ready="pending"`` (a page whose own scripts draw something, a canvas say, marks that
#: element pending in its HTML and sets the attribute to "done" when it has drawn).
RENDERED = """() => document.readyState === "complete"
    && [...document.querySelectorAll(".plotly-graph-div")].every(chart => chart.querySelector(".main-svg"))
    && !document.querySelector('[data-cx-ready="pending"]')"""

#: Visible elements whose content is wider than their box and spills out of it (an element that
#: scrolls or clips its content on purpose, overflow-x other than "visible", is not counted), and the
#: page itself when it scrolls sideways. Plotly's own elements are left out: the charts are checked
#: by what they draw.
_OVERFLOWING = """() => {
    const spilled = [];
    const page = document.documentElement;
    if (page.scrollWidth > page.clientWidth + 1) {
        spilled.push(`the page (${page.scrollWidth}px wide in a ${page.clientWidth}px window)`);
    }
    for (const element of document.body.querySelectorAll("*")) {
        if (!(element instanceof HTMLElement) || element.closest(".js-plotly-plot, .plotly-graph-div")) continue;
        const style = getComputedStyle(element);
        if (style.display === "none" || style.display === "inline" || style.overflowX !== "visible") continue;
        if (element.scrollWidth > element.clientWidth + 1 && element.clientWidth > 0) {
            const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
                + (element.className && typeof element.className === "string"
                   ? "." + element.className.trim().split(/\\s+/).join(".") : "");
            spilled.push(`${name} (${element.scrollWidth}px of content in ${element.clientWidth}px): `
                         + element.textContent.trim().slice(0, 60));
        }
    }
    return spilled;
}"""


@dataclass
class OpenedPage:
    """A page opened by ``open_page``: the Playwright ``Page``, the URLs it tried to fetch from the
    network (all blocked) and the errors it logged or raised."""

    page: object
    path: Path
    remote: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def chart_problems(page) -> list[str]:
    """Charts of *page* that drew nothing: no SVG, or no mark at all (bar, point, line, cell, node...).

    A WebGL chart (``scattergl``) draws its marks on a canvas, not in the SVG:
    it counts as drawn when its canvas has a size and a visible trace holds
    points (plotly's ``_length`` of the trace as plotted).
    """
    return page.evaluate("""() => [...document.querySelectorAll(".plotly-graph-div")].flatMap((chart, i) => {
        const title = chart.querySelector(".gtitle")?.textContent || `chart ${i + 1}`;
        if (!chart.querySelector(".main-svg")) return [`${title}: no SVG`];
        const marks = chart.querySelectorAll(
            ".point, .bars path, .scatterlayer path, .hm image, .heatmaplayer image, .sankey-node, .funnel path,"
            + " .trace path, .trace image");
        if (marks.length) return [];
        const canvas = [...chart.querySelectorAll("canvas.gl-canvas")].some(c => c.width > 0 && c.height > 0);
        const points = (chart._fullData || []).some(trace => trace.visible === true && trace._length > 0);
        return canvas && points ? [] : [`${title}: nothing drawn`];
    })""")


def overflowing(page) -> list[str]:
    """Elements of *page* (and the page itself) whose content spills out of their box."""
    return page.evaluate(_OVERFLOWING)


#: What a reader of the page reads: its text (collapsed tables included; quotes from the data, code and
#: scripts left out), then what each chart writes: titles, ticks, legends, annotations, hover texts; and,
#: apart, the text of each table cell.
_READER_TEXT = """() => {
    const body = document.body.cloneNode(true);
    body.querySelectorAll("script, style, code, blockquote, .plotly-graph-div").forEach(e => e.remove());
    const cells = [...body.querySelectorAll("td")].map(cell => cell.textContent);
    body.querySelectorAll("td").forEach(e => e.remove());
    const strip = text => String(text).replace(/%\\{[^}]*\\}/g, " ").replace(/<[^>]+>/g, " ");
    const charts = [...document.querySelectorAll(".plotly-graph-div")].flatMap(chart => {
        const texts = [...chart.querySelectorAll(".main-svg text")].map(t => t.textContent);
        for (const trace of chart.data || []) {
            for (const key of ["name", "hovertemplate", "texttemplate", "hovertext", "text"]) {
                const value = trace[key];
                if (typeof value === "string") texts.push(strip(value));
                else if (Array.isArray(value)) texts.push(...value.filter(v => typeof v === "string").map(strip));
            }
            const node = trace.node || {};
            if (typeof node.hovertemplate === "string") texts.push(strip(node.hovertemplate));
            if (Array.isArray(node.label)) texts.push(...node.label.map(strip));
        }
        return texts;
    });
    return {text: [body.textContent, ...charts].join("\\n"), cells: cells};
}"""


def reader_text(page) -> tuple[str, list[str]]:
    """The text a reader of *page* meets on the page and in its charts, and its table cells (:data:`_READER_TEXT`)."""
    read = page.evaluate(_READER_TEXT)
    return read["text"], read["cells"]

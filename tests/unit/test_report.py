"""Report pages and the index of runs: what a stakeholder sees, and what they never see."""
from __future__ import annotations

import re

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cxresearch.report import EmptySections, render_index, render_page


def _code(*outputs):
    cell = new_code_cell("x")
    cell.outputs = list(outputs)
    return cell


def test_a_section_none_of_whose_cells_shows_anything_is_left_out():
    shown = new_output("display_data", data={"text/markdown": "*No events in this dataset: add events.*"})
    empty_html = new_output("display_data", data={"text/html": ""})
    notebook = new_notebook(cells=[
        new_markdown_cell("# Journey"), _code(shown),
        new_markdown_cell("## Stages"), new_markdown_cell("Per stage..."), _code(), _code(empty_html),
        new_markdown_cell("## Funnel"), _code(new_output("stream", name="stdout", text="a funnel")),
        new_markdown_cell("## Sections\n\n- links")])
    kept, _ = EmptySections().preprocess(nbformat.from_dict(notebook), {})
    headings = [cell.source.splitlines()[0] for cell in kept.cells if cell.cell_type == "markdown"]
    assert headings == ["# Journey", "## Funnel", "## Sections"]


def test_a_sentence_introducing_cells_that_show_nothing_is_left_out_and_its_section_kept():
    table = new_output("display_data", data={"text/html": "<table>pain points</table>"})
    notebook = new_notebook(cells=[
        new_markdown_cell("## Pain points"), new_markdown_cell("Ranked by impact:"), _code(table),
        new_markdown_cell("The same score per stage:"), _code(),   # no stages: nothing shown
        new_markdown_cell("How to read it."), new_markdown_cell("Paths:"), _code(table)])
    kept, _ = EmptySections().preprocess(nbformat.from_dict(notebook), {})
    assert [cell.source for cell in kept.cells if cell.cell_type == "markdown"] == [
        "## Pain points", "Ranked by impact:", "How to read it.", "Paths:"]
    assert sum(cell.cell_type == "code" for cell in kept.cells) == 2


HEADER = {"title": "Voice <of> customers", "dataset": "Rossi & figli", "period": "2025-01-01 to end",
          "run_id": "20250101T000000Z-abc123", "generated": "2025-01-01T00:00:00Z", "version": "9.9",
          "min_group_size": 7,
          "pages": [{"title": "Summary", "href": "04_summary.html", "current": False},
                    {"title": "Voice", "href": "03_voice_of_customer.html", "current": True}]}


def test_render_page_shows_outputs_without_code_remote_scripts_or_stderr():
    remote = '<script src="https://cdn.example.org/mathjax.js"></script>'
    notebook = new_notebook(cells=[
        new_markdown_cell("# Voice\n\nWhat customers say."),
        _code(new_output("display_data", data={"text/html": remote + "<b>NPS 42</b>"}),
              new_output("stream", name="stderr", text="UserWarning: noisy"),
              new_output("stream", name="stdout", text="printed line"))])
    notebook.cells[1].source = "secret_variable = compute_nps()"
    page = render_page(nbformat.from_dict(notebook), header=HEADER)
    assert "<b>NPS 42</b>" in page and "printed line" in page and "What customers say." in page
    assert "secret_variable" not in page and "compute_nps" not in page          # no code
    assert "cdn.example.org" not in page and "UserWarning" not in page
    assert "Voice &lt;of&gt; customers" in page and "Rossi &amp; figli" in page   # header values escaped
    assert HEADER["run_id"] in page and "groups under 7 customers" in page
    assert "2025-01-01T00:00:00Z UTC</dd>" in page   # the moment says its time zone, as the run index does
    links = dict((text, attributes) for attributes, text in re.findall(r"<a ([^>]*)>([^<]*)</a>", page))
    assert 'aria-current="page"' in links["Voice"] and 'href="03_voice_of_customer.html"' in links["Voice"]
    assert "aria-current" not in links["Summary"] and 'href="04_summary.html"' in links["Summary"]
    assert not re.search(r"<script[^>]+src=", page)                              # nothing loaded from elsewhere
    assert "<title>Voice &lt;of&gt; customers · Rossi &amp; figli</title>" in page  # tabs tell pages apart
    assert '<html lang="en">' in page


def test_a_page_in_italian_declares_its_language():
    from cxresearch import i18n

    with i18n.using("it"):
        page = render_page(new_notebook(cells=[new_markdown_cell("# Voce")]), header=HEADER)
    assert '<html lang="it">' in page


def test_render_index_lists_runs_links_the_latest_and_escapes_what_runs_say():
    runs = [{"run_id": "R2", "folder": "R2", "dataset": "Shop <b>", "period": "all data", "started": "2025-02-01",
             "status": "failed", "error": "notebook 01: <script>alert(1)</script>", "headline": "", "log": "run.log"},
            {"run_id": "R1", "folder": "R1", "dataset": "Shop <b>", "period": "all data", "started": "2025-01-01",
             "status": "ok", "error": None, "headline": "NPS 42.0 (n=300)", "log": "run.log"}]
    page = render_index(runs, latest="R1", summary_page="04_summary.html")
    assert re.search(r'Latest successful run: <a href="R1/04_summary.html">R1</a>', page)
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)[1:]
    assert [re.search(r">(R\d)</a>", row).group(1) for row in rows] == ["R2", "R1"]      # in the order given
    assert 'href="R2/run.log"' in rows[0] and 'href="R1/04_summary.html"' in rows[1]
    assert "NPS 42.0 (n=300)" in rows[1]
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Shop &lt;b&gt;" in page
    assert "No runs yet" in render_index([], latest=None, summary_page="04_summary.html")

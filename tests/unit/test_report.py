"""Report pages: sections with nothing to show are left out."""
from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cxresearch.report import EmptySections


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

"""Stakeholder HTML: one page per executed notebook, and the index of every run.

Pages come from nbconvert's :class:`~nbconvert.HTMLExporter` with the
``cxreport`` template (``templates/cxreport``): code cells and prompts hidden, a
header with dataset, period and run id, links between the pages of a run and a
table of contents. Nothing on a page is loaded from the network: the template
drops require.js, MathJax and the widget manager, and :class:`OfflineOutputs`
removes remote ``<script src="http...">`` tags that outputs ask for (plotly's
notebook renderer adds a MathJax one to every figure; plotly.js itself is
embedded once per page by that renderer).
"""
from __future__ import annotations

import re

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor

from . import i18n
from .templating import TEMPLATES, render_template

__all__ = ["OfflineOutputs", "EmptySections", "notebook_title", "render_page", "render_index", "RUN_STATUSES"]

#: Statuses of a run in the index (translated there).
RUN_STATUSES = (i18n.N_("ok"), i18n.N_("failed"), i18n.N_("running"), i18n.N_("interrupted"))

_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=[\"']?(?:https?:)?//[^>]*>\s*</script>", re.IGNORECASE)
_HEADING = re.compile(r"^#\s+(.+)$", re.MULTILINE)


class OfflineOutputs(Preprocessor):
    """Drop remote scripts from HTML outputs and stderr streams (warnings) from the page."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = [out for out in cell.outputs
                            if not (out.output_type == "stream" and out.get("name") == "stderr")]
            for out in cell.outputs:
                html = out.get("data", {}).get("text/html")
                if html is not None:
                    text = html if isinstance(html, str) else "".join(html)
                    out.data["text/html"] = _REMOTE_SCRIPT.sub("", text)
        return cell, resources


class EmptySections(Preprocessor):
    """Drop the Markdown of a section (a ``##`` heading and its text) none of whose cells shows anything, and
    within a section the text introducing cells that show nothing.

    A section whose data is absent shows nothing once its sentence was shown
    above it (:class:`cxresearch.capabilities.Unavailable`); its heading and
    narrative alone would only puzzle the reader, as would a sentence
    introducing a table or chart that is not there.
    """

    def preprocess(self, nb, resources):
        sections = _split(nb.cells, lambda cell: cell.source.startswith("## "))
        kept = sections[:1] + [cells for cells in sections[1:] if not _has_code(cells) or _shows(cells)]
        nb.cells = [cell for section in kept for cells in _split(section, lambda cell: True)
                    if cells[0].cell_type != "markdown" or cells[0].source.startswith("#")
                    or not _has_code(cells) or _shows(cells) for cell in cells]
        return nb, resources


def _split(cells, starts) -> list[list]:
    """*cells* cut before every Markdown cell for which *starts* is true."""
    parts = [[]]
    for cell in cells:
        if cell.cell_type == "markdown" and starts(cell) and parts[-1]:
            parts.append([])
        parts[-1].append(cell)
    return parts


def _has_code(cells) -> bool:
    """True when the section has code cells (a section of text alone is always kept)."""
    return any(cell.cell_type == "code" for cell in cells)


def _shows(cells) -> bool:
    """True when a code cell of the section has an output with something in it."""
    return any(any(value for value in out.get("data", {}).values()) or out.get("text")
               for cell in cells if cell.cell_type == "code" for out in cell.outputs)


def notebook_title(notebook: nbformat.NotebookNode, default: str) -> str:
    """The first level-1 Markdown heading of *notebook*, else *default*."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            match = _HEADING.search(cell.source)
            if match:
                return match.group(1).strip()
    return default


def render_page(notebook: nbformat.NotebookNode, *, header: dict) -> str:
    """HTML page of an executed notebook, without code, for stakeholders.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        The executed notebook.
    header : dict
        What the page header shows: ``title``, ``dataset``, ``period``,
        ``run_id``, ``generated``, ``version``, ``min_group_size``,
        ``pages`` (``[{"title", "href", "current"}]``, links to the run's pages)
        and, for a run that did not finish, ``failed`` (one sentence saying what failed).
    """
    exporter = HTMLExporter(template_name="cxreport", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            language_code=i18n.get_language())
    exporter.register_preprocessor(OfflineOutputs(), enabled=True)
    exporter.register_preprocessor(EmptySections(), enabled=True)
    i18n.install(exporter.environment)
    tab = " · ".join(str(part) for part in (header.get("title"), header.get("dataset")) if part)
    body, _ = exporter.from_notebook_node(notebook, resources={"cx": header, "metadata": {"name": tab}})
    return body


def render_index(runs: list[dict], *, latest: str | None, summary_page: str) -> str:
    """HTML list of runs (already sorted, newest first).

    Each run is a dict with ``run_id``, ``folder``, ``dataset``, ``period``,
    ``started``, ``status``, ``error`` (a sentence), ``problems`` (the input's, each a sentence),
    ``headline`` (text) and ``log`` (the file of the run folder a run that is not ok links to).
    """
    return str(render_template("runs_index.html.j2", runs=runs, latest=latest, summary_page=summary_page))

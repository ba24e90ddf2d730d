"""Pages with nothing to compute: decided from the dataset's capabilities, written without a kernel.

A routine page whose data is absent (the journey map of a customers-only
export, the interventions page without an interventions table) would start a
kernel and run every cell only to show the sentences of
:mod:`cxresearch.capabilities` saying what it would need. :func:`pages_without_data`
tells these pages from the dataset, before any kernel starts, and
:func:`page_without_kernel` writes the notebook such a page would have been:
its title and those sentences, displayed as the notebook displays them
(:class:`~cxresearch.capabilities.Unavailable`), each lack said once.
"""
from __future__ import annotations

import typing
from pathlib import Path

from .. import i18n

if typing.TYPE_CHECKING:
    import nbformat

__all__ = ["PAGE_ANALYSES", "pages_without_data", "page_without_kernel"]

#: The analyses (:data:`cxresearch.capabilities.ANALYSES`) whose results each page shows: when the dataset supports
#: none of them, every section of the page is a sentence saying what it would need. The other pages (the data
#: quality, the summary) always have something to show.
PAGE_ANALYSES = {
    "01_personas": ("personas",),
    "02_journey_map": ("journeys",),        # every other section of the page derives from the journey
    "03_voice_of_customer": ("kpis", "kpis_by_channel", "trend", "key_drivers", "sentiment", "topics",
                             "review_topics", "topic_impact"),
    "05_interventions": ("interventions",),
}


def pages_without_data(dataset, names) -> dict[str, list[str]]:
    """The pages of *names* whose analyses *dataset* supports none of, each with what it would need.

    Returns
    -------
    dict
        Page name -> the sentences it shows (:func:`cxresearch.capabilities.missing`), in the page's order; an
        analysis lacking only what an earlier one of the page lacks adds no sentence.
    """
    from ..capabilities import ANALYSES

    empty = {}
    for name in names:
        analyses = [ANALYSES[key] for key in PAGE_ANALYSES.get(name, ())]
        if not analyses or any(analysis.missing(dataset) is None for analysis in analyses):
            continue
        said, sentences = set(), []
        for analysis in analyses:
            lacks = {need.wording(dataset) for need in analysis.needs if not need.met(dataset)}
            if not lacks & said:
                sentences.append(analysis.missing(dataset))
            said |= lacks
        empty[name] = sentences
    return empty


def page_without_kernel(source: Path, sentences: list[str], default_title: str) -> nbformat.NotebookNode:
    """The notebook *source* shows when its data is absent: its title, then *sentences*, as the notebook shows them.

    Its title is read in the language in force, as the executed notebook's would be.
    """
    import nbformat

    from ..capabilities import Unavailable
    from ..report import notebook_title

    original = nbformat.read(source, as_version=4)
    title = notebook_title(i18n.translate_notebook(original), default_title)
    shown = [nbformat.v4.new_output("display_data", data={"text/markdown": Unavailable(sentence)._repr_markdown_(),
                                                          "text/plain": sentence})
             for sentence in sentences]
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell(f"# {title}"), nbformat.v4.new_code_cell("", outputs=shown)],
        metadata={**original.metadata, "cxresearch": {"without_kernel": True}})

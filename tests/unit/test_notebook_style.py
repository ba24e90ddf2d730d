"""Notebooks stay thin: one parameters cell first, no definitions, short cells, committed without outputs."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").rglob("*.ipynb"))
MAX_CELL_LINES = 12


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_thin_and_parameterised(path):
    code = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    tagged = [i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", [])]
    assert tagged == [0], "exactly one cell tagged 'parameters', the first code cell"
    for cell in code:
        lines = cell.source.splitlines()
        assert not any(line.lstrip().startswith(("def ", "class ")) for line in lines), cell.source
        assert len(lines) <= MAX_CELL_LINES, cell.source
        assert not cell.outputs and cell.execution_count is None, "commit notebooks with outputs stripped"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.parent.name == "examples"], ids=lambda p: p.name)
def test_an_examples_closing_narration_points_at_the_persona_tables_instead_of_quoting_a_model(path):
    """The persona model's choices (number, sizes, names) change with the model; the narration says where to read
    them, so it cannot go stale the way "k = 5 ... 8,135 (31%)" did."""
    cells = nbformat.read(path, as_version=4).cells
    closing = [c.source for c in cells if c.cell_type == "markdown" and c.source.startswith("## What the workbench")]
    assert len(closing) == 1
    assert not re.search(r"\bk = \d|stability \d", closing[0]), closing[0]
    assert "selection table" in closing[0] or "Personas" not in closing[0]

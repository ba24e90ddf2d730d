"""Notebooks stay thin: one parameters cell first, no definitions, short cells, committed without outputs."""
from __future__ import annotations

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

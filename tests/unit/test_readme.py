"""The README's Python examples run as written, on a small demo dataset."""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from cxresearch.synthetic import generate

README = Path(__file__).resolve().parents[2] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_python_examples():
    assert len(_python_blocks()) >= 2


@pytest.mark.parametrize("index", range(len(_python_blocks())))
def test_readme_python_example_runs(index, tmp_path, monkeypatch):
    block = _python_blocks()[index]
    if '"path/to/export"' in block:
        generate(tmp_path / "path" / "to" / "export", customers=200, random_state=1)
    generate(tmp_path / "data" / "demo", customers=600, random_state=3)
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(block, f"README.md block {index}", "exec"), {})

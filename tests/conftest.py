"""Shared test helpers: write tiny dataset folders from literal text."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``{name: content}`` into *folder* (text is dedented, UTF-8)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return folder


@pytest.fixture
def make_dataset(tmp_path):
    """Factory: ``make_dataset({"events.csv": "..."})`` -> folder path."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes]) -> Path:
        return write_files(tmp_path / f"ds{next(counter)}", files)

    return make

"""The bad-input corpus (tests/data/bad): every case has one exact, documented outcome.

Each folder holds the faulty files and ``expected.yml``:
``outcome`` is ``error`` (a DataError naming ``file``, ``column`` and ``lines``),
``warning`` (a DataWarning whose text contains ``message``) or ``clean``;
``expect`` lists exact column values of the loaded tables (``table.column``).
"""
from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cxresearch import DataError, load_dataset
from cxresearch.cli import main
from cxresearch.errors import DataWarning

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def _expected(case: str) -> dict:
    return yaml.safe_load((CORPUS / case / "expected.yml").read_text(encoding="utf-8"))


def _values(series: pd.Series) -> list:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return [stamp.isoformat() for stamp in series]
    return [None if pd.isna(v) else v for v in series]


def test_corpus_covers_at_least_25_faults_across_every_table_and_the_config():
    files = {f.name for case in CASES for f in (CORPUS / case).iterdir()} - {"expected.yml"}
    assert len(CASES) >= 25
    for name in ("customers", "events", "surveys", "reviews", "dataset.yml"):
        assert any(f.startswith(name) for f in files), name


@pytest.mark.parametrize("case", CASES)
def test_corpus_case_has_its_exact_outcome(case):
    expected = _expected(case)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if expected["outcome"] == "error":
            with pytest.raises(DataError) as info:
                load_dataset(CORPUS / case)
            problems = [p for p in info.value.problems
                        if p.file == expected["file"] and expected["message"] in p.message
                        and p.column == expected.get("column")]
            assert problems, str(info.value)
            assert list(problems[0].lines) == expected.get("lines", [])
            return
        ds = load_dataset(CORPUS / case)
    messages = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    if expected["outcome"] == "warning":
        assert any(expected["message"] in m for m in messages), messages
    else:
        assert messages == []
    if "note" in expected:
        assert any(expected["note"] in n for n in ds.notes), ds.notes
    for where, values in expected.get("expect", {}).items():
        table, column = where.split(".")
        assert _values(getattr(ds, table)[column]) == values


@pytest.mark.parametrize("case", [c for c in CASES if _expected(c)["outcome"] == "error"])
def test_cli_validate_prints_a_clear_message_and_exits_1(case, capsys):
    assert main(["validate", str(CORPUS / case)]) == 1
    out, err = capsys.readouterr()
    assert _expected(case)["message"] in out
    assert "Traceback" not in out + err


def test_console_script_exits_1_without_traceback_on_a_corrupt_file():
    done = subprocess.run([sys.executable, "-m", "cxresearch.cli", "validate", str(CORPUS / "excel_renamed_csv")],
                          capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 1 and "Excel" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr

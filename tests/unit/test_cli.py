"""The command line prints clear messages and meaningful exit codes, never tracebacks."""
from __future__ import annotations

import subprocess
import sys

import pytest

from cxresearch.cli import main


def test_validate_exit_codes_and_messages(make_dataset, capsys):
    good = make_dataset({"events.csv": "customer_id,timestamp,channel,touchpoint\n1,2025-01-01,web,home\n"})
    assert main(["validate", str(good)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = make_dataset({"surveys.csv": "response_id,timestamp,nps\nr1,2025-01-01,11\n"})
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "surveys.csv, column 'nps'" in out and "line 2" in out


def test_console_script_reports_without_traceback(make_dataset):
    bad = make_dataset({"events.csv": b"\x00\x00binary"})
    done = subprocess.run([sys.executable, "-m", "cxresearch.cli", "validate", str(bad)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "binary" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    missing = subprocess.run([sys.executable, "-m", "cxresearch.cli", "validate", str(bad / "nope")],
                             capture_output=True, text=True)
    assert missing.returncode == 1 and "not found" in missing.stdout


def test_validate_of_the_current_folder_names_it(make_dataset, capsys, monkeypatch):
    folder = make_dataset({"surveys.csv": "response_id,timestamp,nps\nr1,2025-01-01,11\n"})
    monkeypatch.chdir(folder)
    assert main(["validate", "."]) == 1
    assert capsys.readouterr().out.startswith(f"{folder.name}: 1 problem")


def test_validate_into_a_closed_pipe_ends_quietly(make_dataset):
    """`cxresearch validate | head -1`: the reader goes away; no traceback, the shell's SIGPIPE exit code."""
    bad = make_dataset({"surveys.csv": "response_id,timestamp,nps\n" + "".join(f"r{i},2025-01-01,11\n" for i in range(99))})
    reader = subprocess.Popen([sys.executable, "-m", "cxresearch.cli", "validate", str(bad)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    reader.stdout.close()
    assert reader.wait() == 141
    assert reader.stderr.read() == b""


def test_run_on_a_corrupt_gzip_fails_with_the_file_named(tmp_path, capsys):
    import gzip

    folder = tmp_path / "data"
    folder.mkdir()
    packed = bytearray(gzip.compress(b"customer_id,timestamp,channel,touchpoint\n" + b"1,2025-01-01,web,home\n" * 500))
    packed[30:60] = bytes(b ^ 0xA5 for b in packed[30:60])
    (folder / "events.csv.gz").write_bytes(bytes(packed))
    assert main(["run", str(folder), "--reports", str(tmp_path / "reports")]) == 1
    err = capsys.readouterr().err
    assert "events.csv.gz: is gzip-compressed but corrupt or truncated" in err and "Traceback" not in err


def test_a_failed_run_lists_each_problem_once(make_dataset, tmp_path, capsys):
    bad = make_dataset({"surveys.csv": "response_id,timestamp,nps\nr1,2025-01-01,12\nr2,not a date,5\n"})
    assert main(["run", str(bad), "--reports", str(tmp_path / "reports")]) == 1
    printed = capsys.readouterr()
    both = printed.out + printed.err
    for problem in ("surveys.csv, column 'nps': 1 value is out of range", "line 3: 'not a date'"):
        assert both.count(problem) == 1 and problem in printed.err   # on stderr, once
    assert "[1 row; line 2: 12]" in printed.err
    log = next((tmp_path / "reports").glob("*/run.log")).read_text()
    assert "failed at step input: DataError" in log and "line 3: 'not a date'" in log   # the log keeps it all


def test_help_reads_as_plain_text(capsys):
    with pytest.raises(SystemExit) as ended:
        main(["--help"])
    out = capsys.readouterr().out
    assert ended.value.code == 0 and "The cxresearch command: validate" in out and "``" not in out


@pytest.mark.parametrize("given", ["0", "-1", "eight", "nan"])
def test_a_memory_limit_that_is_not_a_positive_number_of_gb_is_refused_in_gb(given, tmp_path, capsys):
    with pytest.raises(SystemExit) as ended:
        main(["run", str(tmp_path), "--memory-limit", given])
    err = capsys.readouterr().err
    assert ended.value.code == 2 and "--memory-limit" in err and "GB above 0" in err and repr(given) in err
    assert "bytes" not in err and "memory_limit" not in err

"""The command line: `useropslib demo` and `python -m useropslib`."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

from useropslib.cli import main


def test_demo_writes_the_report(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rep"
    assert main(["demo", "--out", str(out), "--users", "800", "--days", "40", "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert "EventLog:" in printed
    assert "Report written to:" in printed
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# User operations review")
    assert (out / "report.html").stat().st_size > 0


def test_demo_in_chinese(tmp_path: pathlib.Path) -> None:
    assert (
        main(["demo", "--out", str(tmp_path), "--users", "300", "--days", "30", "--lang", "zh"])
        == 0
    )
    assert "用户运营复盘报告" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--users", "0"])
    assert exc.value.code == 2
    assert "--users and --days must be at least 1" in capsys.readouterr().err
    assert main([]) == 2


def test_library_errors_become_exit_status_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--days", "1"]) == 1
    assert "useropslib: error:" in capsys.readouterr().err


def test_python_dash_m(tmp_path: pathlib.Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "useropslib", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.startswith("useropslib ")

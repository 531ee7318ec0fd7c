"""Options that used to be accepted though wrong (or crashed) are refused with exit 2.

Each command is refused before it reads data or writes anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from auditkit.report import store


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seed", "-1"], "--seed must be at least 0, got -1"),  # numpy crashed on it
        (["--months", "-3"], "--months must be at least 0, got -3"),  # silently ignored
        (["--requests", "-5"], "--requests must be at least 1, got -5"),
        (["--as-of", ""], "as_of '' is not a date; expected YYYY-MM-DD, e.g. 2026-11-01"),
    ],
)
def test_demo_refuses_impossible_sizes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    code, _, err = run_cli(capsys, "demo", "--out", tmp_path / "demo", *argv)
    assert code == 2, err
    assert err == f"invalid parameter: {message}"
    assert not (tmp_path / "demo").exists()


@pytest.mark.parametrize(
    "period",
    [
        "2026-11\n",  # Python's $ matched before a trailing newline
        "２０２６-11",  # full-width digits matched \d
        "٢٠٢٦-11",  # Arabic-Indic digits matched \d
        " 2026-11",
        "2026-1",
        "2026-13",
        "",
    ],
)
def test_report_refuses_a_period_that_is_not_yyyy_mm(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, period: str
) -> None:
    code, _, err = run_cli(
        capsys, "report", "--data", tmp_path, "--period", period, "--out", tmp_path / "r"
    )
    assert code == 2, err
    assert err.startswith(f"invalid parameter: period {period!r} is not a month; expected YYYY-MM")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("timeout", ["0", "-1"])
def test_report_refuses_a_cell_timeout_that_would_disable_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, timeout: str
) -> None:
    code, _, err = run_cli(
        capsys,
        "report",
        "--data",
        tmp_path,
        "--period",
        "2026-11",
        "--out",
        tmp_path / "r",
        "--cell-timeout",
        timeout,
    )
    assert code == 2, err
    assert err == (
        "invalid parameter: --cell-timeout must be a whole number of seconds, at least 1; "
        f"got {timeout}"
    )


def test_report_refuses_an_empty_as_of(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = ["--data", tmp_path, "--period", "2026-11", "--out", tmp_path / "r", "--as-of", ""]
    code, _, err = run_cli(capsys, "report", *argv)
    assert code == 2, err
    assert "as_of '' is not a date" in err


@pytest.mark.parametrize("port", ["99999", "65536", "-1"])
def test_explore_refuses_a_port_it_cannot_bind(
    capsys: pytest.CaptureFixture[str], port: str
) -> None:
    code, out, err = run_cli(capsys, "explore", "--port", port, "--no-browser")
    assert code == 2, err
    assert (
        err == f"invalid parameter: --port must be between 0 (any free port) and 65535, got {port}"
    )
    assert "http://" not in out


def test_odd_folders_are_not_periods(tmp_path: Path) -> None:
    for name in ("2026-10\n", "２０２６-10", "2026-09"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "manifest.json").write_text('{"status": "succeeded"}')
        (folder / "verdicts.csv").write_text("request_id,member_uin,verdict,failed_rules\n")
    assert list(store.period_folders(tmp_path)) == ["2026-09"]
    assert store.usable_previous(tmp_path, "2026-11") == (tmp_path / "2026-09", [])

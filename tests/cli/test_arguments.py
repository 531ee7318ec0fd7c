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


# ---- check: options refused before anything is read or judged ---------------------------


def deep(levels: int) -> str:
    return '{"q03_tiers": ' + "[" * levels + "]" * levels + "}"


@pytest.mark.parametrize("option", ["--params", "--decision-codes"])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("/dev/zero", "more than 1,048,576 bytes; not a parameters file"),  # read until OOM
        (deep(100_000), "nested deeper than 32 levels"),  # exit 1 RecursionError
        (deep(40), "nested deeper than 32 levels"),
        (
            '{"j10_require_both": true, "j10_require_both": false}',
            'the key "j10_require_both" is given twice',
        ),
        ('{"j10_require_both": NaN}', "NaN is not a JSON value"),
        ("\xff", "not UTF-8 text (invalid start byte)"),
    ],
    ids=["dev-zero", "100k-deep", "41-deep", "duplicate-key", "nan", "not-utf8"],
)
def test_check_refuses_json_options_beyond_their_limits(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str, content: str, message: str
) -> None:
    if content == "/dev/zero":
        source = content
    else:
        source = str(tmp_path / "given.json")
        Path(source).write_bytes(content.encode("latin-1" if content == "\xff" else "utf-8"))
    argv = ["check", "--data", tmp_path, "--out", tmp_path / "out", option, source]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2, err
    assert err == f"invalid parameter: {option} {source}: {message}"
    assert not (tmp_path / "out").exists()


def test_inline_params_are_held_to_the_same_limits(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["check", "--data", tmp_path, "--out", tmp_path / "out", "--params"]
    code, _, err = run_cli(capsys, *argv, '{"at": "snapshot", "at": "requested"}')
    assert (code, err) == (2, 'invalid parameter: --params: the key "at" is given twice')
    code, _, err = run_cli(capsys, *argv, deep(50_000))
    assert (code, err) == (2, "invalid parameter: --params: nested deeper than 32 levels")


@pytest.mark.parametrize(
    "extra",
    [["--scheduler", "tcp://127.0.0.1:1"], ["--workers", "2"], ["--memory-limit", "1GiB"]],
)
def test_check_refuses_dask_options_without_the_dask_engine(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: list[str]
) -> None:
    code, _, err = run_cli(capsys, "check", "--data", tmp_path, "--out", tmp_path / "o", *extra)
    assert code == 2, err
    assert err == (
        f"invalid parameter: {extra[0]} sizes or names a Dask cluster; it needs --engine dask "
        "(the pandas engine runs in this process)"
    )


@pytest.mark.parametrize(
    ("option", "url", "said"),
    [
        (
            "--data",
            "nosuch://bucket/data",
            "cannot open it (ValueError: Protocol not known: nosuch)",
        ),
        ("--out", "nosuch://bucket/out", "cannot open it (ValueError: Protocol not known: nosuch)"),
    ],
)
def test_check_refuses_an_unknown_url_scheme(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str, url: str, said: str
) -> None:
    other = {"--data": str(tmp_path), "--out": str(tmp_path / "out")}
    other[option] = url
    code, _, err = run_cli(capsys, "check", "--data", other["--data"], "--out", other["--out"])
    assert code == 2, err
    assert err == f"invalid parameter: {option} {url}: {said}"


def test_check_refuses_an_unreachable_store_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    options = '{"config_kwargs": {"retries": {"max_attempts": 1}}, "skip_instance_cache": true}'
    monkeypatch.setenv("AUDITKIT_STORAGE_OPTIONS", options)
    code, _, err = run_cli(capsys, "check", "--data", "s3://audit/data", "--out", tmp_path / "o")
    assert code == 2, err
    assert err.startswith(
        "invalid parameter: --data s3://audit/data: cannot reach the store "
        "(EndpointConnectionError: Could not connect to the endpoint URL"
    )
    assert "\n" not in err

"""`auditkit explore`: arguments, environment for the kernel, Voilà options; no server started."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

import auditkit.demo as demo
from auditkit import cli
from auditkit.cli import explore as explore_cli
from auditkit.errors import InputError, ParameterError
from auditkit.explore import serve
from auditkit.vocab import EnvVar


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return demo.write(demo.generate(requests=20), tmp_path / "data")["accounts"].parent


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """cmd_explore sets these in os.environ; monkeypatch restores them afterwards."""
    for name in EnvVar:
        monkeypatch.delenv(name, raising=False)


def test_explore_is_a_cli_command():
    args = cli.build_parser().parse_args(
        ["explore", "--data", "d", "--as-of", "2026-11-01", "--port", "9000", "--no-browser"]
    )
    assert args.run is explore_cli.cmd_explore
    assert (args.data, args.as_of, args.port, args.no_browser) == (
        Path("d"),
        "2026-11-01",
        9000,
        True,
    )


@pytest.mark.parametrize("open_browser", [True, False])
def test_voila_serves_locally_without_code(open_browser: bool):
    argv = serve.voila_argv(Path("/x/explorer.ipynb"), 8123, open_browser)
    assert argv[0] == "/x/explorer.ipynb"
    assert {"--port=8123", "--Voila.ip=127.0.0.1", "--strip_sources=True"} <= set(argv)
    assert ("--no-browser" in argv) is not open_browser


def test_environment_for_the_kernel(data_dir: Path, tmp_path: Path):
    env = serve.explore_environment(data_dir, "2026-11-01", tmp_path / "exports", 50)
    assert env == {
        EnvVar.DATA: str(data_dir.resolve()),
        EnvVar.AS_OF: "2026-11-01",
        EnvVar.EXPORTS: str((tmp_path / "exports").resolve()),
        EnvVar.DEMO_REQUESTS: "50",
    }
    assert serve.explore_environment(None, None, tmp_path) == {
        EnvVar.EXPORTS: str(tmp_path.resolve())
    }


def test_missing_tables_fail_before_serving(tmp_path: Path):
    with pytest.raises(InputError, match=r"accounts\.csv or accounts\.parquet"):
        serve.explore_environment(tmp_path, None, tmp_path)
    with pytest.raises(ParameterError, match="not a date"):
        serve.explore_environment(None, "1 Nov", tmp_path)


def test_cli_exits_2_on_a_missing_data_dir(tmp_path: Path, capsys, clean_env):
    assert cli.main(["explore", "--data", str(tmp_path / "nope"), "--no-browser"]) == 2
    assert "invalid input" in capsys.readouterr().err


def test_cmd_explore_prints_the_url_and_starts_voila(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, clean_env
):
    import os

    from voila.app import Voila

    launched: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(Voila, "launch_instance", lambda argv, **kw: launched.append((argv, kw)))
    args = argparse.Namespace(
        data=data_dir,
        as_of="2026-11-01",
        port=8765,
        no_browser=True,
        exports=tmp_path / "exports",
        demo_requests=None,
        at=None,
        db=None,
        user=None,
        allow_host=["audit.example.com"],
    )
    assert explore_cli.cmd_explore(args) == 0
    printed = capsys.readouterr().out
    assert "http://127.0.0.1:8765/" in printed
    ((argv, options),) = launched
    assert argv[0] == str(serve.notebook_path()) and "--no-browser" in argv
    # A random token by default, printed in the address; the allowed host names passed on.
    assert len(options["token"]) >= 32
    assert f"http://127.0.0.1:8765/?token={options['token']}" in printed
    assert options["allowed_hosts"] == ["audit.example.com"]
    assert os.environ[EnvVar.DATA] == str(data_dir.resolve())
    assert os.environ[EnvVar.AS_OF] == "2026-11-01"


def test_the_token_can_be_given_and_never_reaches_the_kernel(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(serve.TOKEN_VARIABLE, "s" * 20)
    assert serve.explore_token() == "s" * 20
    assert serve.TOKEN_VARIABLE not in os.environ
    assert serve.explore_token() != serve.explore_token()  # random when not given
    monkeypatch.setenv(serve.TOKEN_VARIABLE, "short")
    with pytest.raises(ParameterError, match="at least 16 characters"):
        serve.explore_token()


@pytest.mark.parametrize(
    "name", ["http://x.example", "x.example:8080", "a/b", "", "-x", "é.example"]
)
def test_allow_host_takes_host_names_only(name: str):
    with pytest.raises(ParameterError, match="is not a host name"):
        serve.check_hosts([name])
    assert serve.check_hosts(["audit.example.com", "localhost"]) == [
        "audit.example.com",
        "localhost",
    ]


def test_free_port_is_bindable():
    import socket

    port = serve.free_port()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_the_notebook_ships_with_the_package():
    assert serve.notebook_path().is_file()
    assert serve.notebook_path().parent.name == "notebooks"

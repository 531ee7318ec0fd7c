"""`auditkit explore`: arguments, environment for the kernel, Voilà options; no server started."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import auditkit.demo as demo
from auditkit import cli
from auditkit.cli import explore as explore_cli
from auditkit.errors import InputError, ParameterError
from auditkit.explore import launch
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
    argv = launch.voila_argv(Path("/x/explorer.ipynb"), 8123, open_browser)
    assert argv[0] == "/x/explorer.ipynb"
    assert {"--port=8123", "--Voila.ip=127.0.0.1", "--strip_sources=True"} <= set(argv)
    assert ("--no-browser" in argv) is not open_browser


def test_voila_culls_idle_kernels_and_caps_them():
    argv = launch.voila_argv(Path("/x/explorer.ipynb"), 8123, False, cull_idle=120, max_sessions=3)
    assert {
        "--VoilaConfiguration.multi_kernel_manager_class="
        "auditkit.explore.sessions.CappedKernelManager",
        "--MappingKernelManager.cull_idle_timeout=120",
        "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_connected=False",
        "--CappedKernelManager.max_kernels=3",
        "--CappedKernelManager.pool_kernels=1",
        # Every page takes its kernel from the pool, which sessions.Sessions fills itself.
        "--VoilaConfiguration.preheat_kernel=True",
        "--pool_size=0",
    } <= set(argv)


def test_the_pool_holds_a_kernel_for_every_free_session_by_default():
    assert launch.preheat_count(None, 4) == 4
    assert launch.preheat_count(None, 0) == 1  # no cap: one ahead
    assert launch.preheat_count(2, 4) == 2 and launch.preheat_count(0, 4) == 0


def environment(*args, **kwargs) -> dict[str, str]:
    """What the kernels get: `auditkit explore`'s settings as environment variables."""
    return launch.explorer_settings(*args, **kwargs).to_env()


def test_environment_for_the_kernel(data_dir: Path, tmp_path: Path):
    (tmp_path / "p.json").write_text('{"j10_require_both": true}')
    env = environment(
        data_dir,
        "2026-11-01",
        tmp_path / "exports",
        50,
        params_file=tmp_path / "p.json",
        cache=tmp_path / "cache",
    )
    assert env == {
        EnvVar.DATA: str(data_dir.resolve()),
        EnvVar.AS_OF: "2026-11-01",
        EnvVar.EXPORTS: str((tmp_path / "exports").resolve()),
        EnvVar.EXPORTS_URL: "auditkit/exports/",
        EnvVar.CACHE: str((tmp_path / "cache").resolve()),
        EnvVar.PARAMS: str((tmp_path / "p.json").resolve()),
        EnvVar.SCENARIOS: str((Path("reports") / "scenarios.json").resolve()),
        EnvVar.DEMO_REQUESTS: "50",
        EnvVar.EXPORT_FILES: "20",
        EnvVar.EXPORT_BYTES: str(1 << 30),
    }
    defaults = environment(None, None, tmp_path)
    assert defaults[EnvVar.EXPORTS] == str(tmp_path.resolve())
    assert defaults[EnvVar.CACHE] == str((Path("reports") / "cache").resolve())
    assert EnvVar.DATA not in defaults and EnvVar.PARAMS not in defaults


def test_a_bad_params_file_fails_before_serving(tmp_path: Path):
    (tmp_path / "p.json").write_text('{"as_of": "2026-11-01"}')
    with pytest.raises(ParameterError, match="--as-of"):
        environment(None, None, tmp_path, params_file=tmp_path / "p.json")


def test_missing_tables_fail_before_serving(tmp_path: Path):
    with pytest.raises(InputError, match=r"accounts\.csv or accounts\.parquet"):
        environment(tmp_path, None, tmp_path)
    with pytest.raises(ParameterError, match="not a date"):
        environment(None, "1 Nov", tmp_path)


@pytest.mark.parametrize(
    ("option", "value"), [("--cull-idle", "-1"), ("--max-sessions", "-2"), ("--preheat", "-1")]
)
def test_session_limits_are_not_negative(option: str, value: str, capsys, clean_env):
    assert cli.main(["explore", option, value, "--no-browser"]) == 2
    assert f"{option} must be a whole number, 0 or more, got {value}" in capsys.readouterr().err


def test_cli_exits_2_on_a_missing_data_dir(tmp_path: Path, capsys, clean_env):
    assert cli.main(["explore", "--data", str(tmp_path / "nope"), "--no-browser"]) == 2
    assert "invalid input" in capsys.readouterr().err


def test_cmd_explore_prints_the_url_and_starts_voila(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, clean_env
):
    from auditkit.explore.handlers import ExplorerVoila

    launched: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(
        ExplorerVoila, "launch_instance", lambda argv, **kw: launched.append((argv, kw))
    )
    args = cli.build_parser().parse_args(
        [
            "explore",
            "--data",
            str(data_dir),
            "--as-of",
            "2026-11-01",
            "--port",
            "8765",
            "--no-browser",
            "--exports",
            str(tmp_path / "exports"),
            "--cache",
            str(tmp_path / "cache"),
            "--allow-host",
            "audit.example.com",
        ]
    )
    assert explore_cli.cmd_explore(args) == 0
    printed = capsys.readouterr().out
    assert "http://127.0.0.1:8765/" in printed and "judged and cached" in printed
    ((argv, options),) = launched
    assert argv[0] == str(launch.notebook_path()) and "--no-browser" in argv
    # A random token by default, printed in the address; the allowed host names passed on.
    assert len(options["token"]) >= 32
    assert f"http://127.0.0.1:8765/?token={options['token']}" in printed
    assert options["allowed_hosts"] == ["audit.example.com"]
    assert os.environ[EnvVar.DATA] == str(data_dir.resolve())
    assert os.environ[EnvVar.AS_OF] == "2026-11-01"
    assert list((tmp_path / "cache").glob("*/manifest.json"))  # judged before serving
    assert explore_cli.cmd_explore(args) == 0
    assert "already judged: read from the cache" in capsys.readouterr().out


def test_the_token_can_be_given_and_never_reaches_the_kernel(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(launch.TOKEN_VARIABLE, "s" * 20)
    assert launch.explore_token() == "s" * 20
    assert launch.TOKEN_VARIABLE not in os.environ
    assert launch.explore_token() != launch.explore_token()  # random when not given
    monkeypatch.setenv(launch.TOKEN_VARIABLE, "short")
    with pytest.raises(ParameterError, match="at least 16 characters"):
        launch.explore_token()


@pytest.mark.parametrize(
    "name", ["http://x.example", "x.example:8080", "a/b", "", "-x", "é.example"]
)
def test_allow_host_takes_host_names_only(name: str):
    with pytest.raises(ParameterError, match="is not a host name"):
        launch.check_hosts([name])
    assert launch.check_hosts(["audit.example.com", "localhost"]) == [
        "audit.example.com",
        "localhost",
    ]


def test_free_port_is_bindable():
    import socket

    port = launch.free_port()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_the_notebook_ships_with_the_package():
    assert launch.notebook_path().is_file()
    assert launch.notebook_path().parent.name == "notebooks"


def test_the_shells_reviewer_name_is_checked_before_serving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Without --user the kernel records under $AUDITKIT_USER: a name the register refuses
    (here a newline that would forge a line of `review history`) stops the launch, named."""
    monkeypatch.setenv(EnvVar.USER, "mallory\n2026-12-01 alice set F1 confirmed")
    with pytest.raises(ParameterError, match=r"\$AUDITKIT_USER .mallory.*no control .*U\+000A"):
        environment(None, None, tmp_path)
    # --user wins over the shell's name, and is what the kernel gets.
    assert environment(None, None, tmp_path, user="carol")[EnvVar.USER] == "carol"
    monkeypatch.setenv(EnvVar.USER, "  dave ")
    assert environment(None, None, tmp_path)[EnvVar.USER] == "dave"
    monkeypatch.setenv(EnvVar.USER, "")
    assert EnvVar.USER not in environment(None, None, tmp_path)

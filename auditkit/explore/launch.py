"""Serve the explorer notebook as a web app with Voilà on 127.0.0.1, behind a token.

The notebook is `notebooks/explorer.ipynb`, found by auditkit.resources in a
checkout and in an installed wheel alike. The data directory, snapshot date
and export folder reach the notebook's kernel as environment variables
(`vocab.EnvVar`), which `auditkit.explore.config` reads. The data is judged
once before serving and cached, so every page opens it from the cache.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from pathlib import Path

from auditkit.contract import HISTORY_TABLES, TABLE_NAMES
from auditkit.errors import ParameterError
from auditkit.explore.handlers import EXPORTS_PATH, session_argv
from auditkit.io.read import find_table_files
from auditkit.params import parse_date, read_params_file
from auditkit.resources import shipped_notebook
from auditkit.vocab import EnvVar, Moment

NOTEBOOK = "explorer.ipynb"
HOST = "127.0.0.1"
HOST_NAME = re.compile(
    r"(?=.{1,253}\Z)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*",
    re.ASCII,
)
# Read by `auditkit explore` only and removed before the kernel starts (see explore_token).
TOKEN_VARIABLE = "AUDITKIT_EXPLORE_TOKEN"
MIN_TOKEN_LENGTH = 16
DEFAULT_CACHE = Path("reports") / "cache"
DEFAULT_SCENARIOS = Path("reports") / "scenarios.json"
CULL_IDLE_SECONDS = 300  # a kernel idle this long with no page connected is shut down
MAX_SESSIONS = 4  # kernels at once; a fifth page first takes the place of an idle one
PREHEAT = 1  # kernels that have opened the data before a page asks for one


def notebook_path() -> Path:
    """The explorer notebook shipped with auditkit."""
    return shipped_notebook(NOTEBOOK)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def voila_argv(
    notebook: Path,
    port: int,
    open_browser: bool,
    cull_idle: int = CULL_IDLE_SECONDS,
    max_sessions: int = MAX_SESSIONS,
    preheat: int = PREHEAT,
) -> list[str]:
    """Voilà options: local only, no source code shown, no tracebacks to the browser; idle
    kernels culled, their number capped, some started ahead (`explore.handlers.session_argv`)."""
    argv = [
        str(notebook),
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--Voila.port_retries=0",
        *session_argv(cull_idle, max_sessions, preheat),
    ]
    if not open_browser:
        argv.append("--no-browser")
    return argv


def check_count(value: object, option: str) -> int:
    """A whole number of seconds or sessions, 0 or more (0: no limit / none)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ParameterError(f"{option} must be a whole number, 0 or more, got {value!r}")
    return value


def check_port(port: object) -> int:
    """A TCP port to listen on; 0 means any free port."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ParameterError(f"--port must be between 0 (any free port) and 65535, got {port!r}")
    return port


def explore_environment(
    data: Path | None,
    as_of: str | None,
    exports: Path,
    demo_requests: int | None = None,
    at: str | None = None,
    db: str | None = None,
    user: str | None = None,
    params_file: Path | None = None,
    cache: Path | None = None,
) -> dict[str, str]:
    """Environment variables for the kernel; the data directory and --db are checked before serving."""
    env = {
        EnvVar.EXPORTS.value: str(exports.resolve()),
        EnvVar.EXPORTS_URL.value: EXPORTS_PATH,
        EnvVar.CACHE.value: str(Path(cache or DEFAULT_CACHE).resolve()),
        EnvVar.SCENARIOS.value: str(Path(DEFAULT_SCENARIOS).resolve()),
    }
    if params_file is not None:
        read_params_file(params_file)  # a bad --params is refused here, not in the browser
        env[EnvVar.PARAMS.value] = str(Path(params_file).resolve())
    requested = at == Moment.REQUESTED
    if at:
        env[EnvVar.AT.value] = Moment(at).value
    if db is not None:
        from auditkit.review.register import Register

        # Open (create, migrate) the register now: a wrong --db is refused here, not in the
        # browser; the kernel gets it as an absolute path or URL.
        Register.open(db).close()
        env[EnvVar.REVIEW_DB.value] = _absolute_db(db)
    if user is not None:
        from auditkit.review.changes import check_name

        env[EnvVar.USER.value] = check_name(user, "--user")
    if data is not None:
        # Missing tables are an input error now, not in the browser.
        find_table_files(data, TABLE_NAMES + (HISTORY_TABLES if requested else ()))
        env[EnvVar.DATA.value] = str(Path(data).resolve())
    if as_of is not None:
        env[EnvVar.AS_OF.value] = parse_date(as_of).isoformat()
    if demo_requests is not None:
        if (
            isinstance(demo_requests, bool)
            or not isinstance(demo_requests, int)
            or demo_requests < 1
        ):
            raise ParameterError(f"--demo-requests must be at least 1, got {demo_requests!r}")
        env[EnvVar.DEMO_REQUESTS.value] = str(demo_requests)
    return env


def _absolute_db(db: str) -> str:
    """--db as the kernel must see it: a file path made absolute, a URL as given."""
    return db if "://" in db else str(Path(db).expanduser().resolve())


def check_hosts(names: list[str]) -> list[str]:
    """Host names for `--allow-host`: DNS names (letters, digits, dots, hyphens), no ports."""
    for name in names:
        if not HOST_NAME.fullmatch(name):
            raise ParameterError(
                f"--allow-host {name!r} is not a host name; give a DNS name such as "
                "audit.example.com (no scheme, port or path)"
            )
    return list(names)


def explore_token() -> str:
    """The explorer's access token: $AUDITKIT_EXPLORE_TOKEN (kept from the kernel), else random."""
    given = os.environ.pop(TOKEN_VARIABLE, "")
    if given and len(given) < MIN_TOKEN_LENGTH:
        raise ParameterError(f"${TOKEN_VARIABLE} must hold at least {MIN_TOKEN_LENGTH} characters")
    return given or secrets.token_urlsafe(32)


def serve(
    data: Path | None,
    as_of: str | None,
    exports: Path,
    *,
    port: int = 0,
    open_browser: bool = True,
    demo_requests: int | None = None,
    at: str | None = None,
    db: str | None = None,
    user: str | None = None,
    allow_hosts: list[str] | None = None,
    params_file: Path | None = None,
    cache: Path | None = None,
    cull_idle: int = CULL_IDLE_SECONDS,
    max_sessions: int = MAX_SESSIONS,
    preheat: int = PREHEAT,
) -> None:
    """Judge the data once, print the explorer's URL with its token, and run Voilà here until
    it is stopped."""
    from auditkit.explore.handlers import ExplorerVoila

    port = check_port(port) or free_port()
    hosts = check_hosts(allow_hosts or [])
    cull_idle = check_count(cull_idle, "--cull-idle")
    max_sessions = check_count(max_sessions, "--max-sessions")
    preheat = check_count(preheat, "--preheat")
    env = explore_environment(data, as_of, exports, demo_requests, at, db, user, params_file, cache)
    token = explore_token()
    if data is not None:
        judge_before_serving(env)
    what = f"data in {env[EnvVar.DATA]}" if EnvVar.DATA in env else "the built-in demo data"
    print(f"auditkit explorer on {what}: http://{HOST}:{port}/?token={token}", flush=True)
    if db is not None:
        from auditkit.review.database import database_url, describe

        print(f"review register: {describe(database_url(db))}", flush=True)
    print("press Ctrl-C to stop", flush=True)
    # This process becomes the server: the kernel it starts inherits these variables.
    os.environ.update(env)
    ExplorerVoila.launch_instance(
        argv=voila_argv(notebook_path(), port, open_browser, cull_idle, max_sessions, preheat),
        token=token,
        allowed_hosts=hosts,
    )


def judge_before_serving(env: dict[str, str]) -> None:
    """Judge the data once (in a worker process) so that every session opens it cached."""
    import time

    from auditkit.explore.config import params_of
    from auditkit.explore.workspace import judge_once

    start = time.perf_counter()

    def progress(phase: str) -> None:
        print(f"  {phase} ... ({time.perf_counter() - start:.0f} s)", flush=True)

    params = params_of(env.get(EnvVar.AS_OF), env.get(EnvVar.AT), env.get(EnvVar.PARAMS))
    print(
        f"judging {env[EnvVar.DATA]} once for every session (cache {env[EnvVar.CACHE]})", flush=True
    )
    judged = judge_once(env[EnvVar.DATA], params, env[EnvVar.CACHE], progress)
    print("  judged and cached" if judged else "  already judged: read from the cache", flush=True)

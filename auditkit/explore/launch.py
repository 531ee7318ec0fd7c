"""Serve the explorer notebook as a web app with Voilà on 127.0.0.1, behind a token.

The notebook is `notebooks/explorer.ipynb`, found by auditkit.resources in a
checkout and in an installed wheel alike. What the kernels open (the data,
snapshot date, export folder, ...) is one `explore.settings.ExplorerSettings`,
checked here and handed to them as environment variables. The data is judged
once before serving and cached, so every page opens it from the cache.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import socket
from pathlib import Path

from auditkit.contract import HISTORY_TABLES, TABLE_NAMES
from auditkit.errors import ParameterError
from auditkit.explore.handlers import EXPORTS_PATH, session_argv
from auditkit.explore.identity import (
    PROXY_SECRET_HEADER,
    USER_HEADER,
    check_proxies,
    read_reviewers,
)
from auditkit.explore.settings import ExplorerSettings
from auditkit.io.read import find_table_files
from auditkit.params import read_params_file
from auditkit.resources import shipped_notebook
from auditkit.vocab import EnvVar, Moment

NOTEBOOK = "explorer.ipynb"
TEMPLATE = "auditkit"
JUPYTER_DATA = Path(__file__).parent / "jupyter"  # holds voila/templates/auditkit
HOST = "127.0.0.1"
HOST_NAME = re.compile(
    r"(?=.{1,253}\Z)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*",
    re.ASCII,
)
# Read by `auditkit explore` only and removed before the kernel starts (see explore_token).
TOKEN_VARIABLE = "AUDITKIT_EXPLORE_TOKEN"
MIN_TOKEN_LENGTH = 16
CULL_IDLE_SECONDS = 300  # a kernel idle this long with no page connected is shut down
MAX_SESSIONS = 4  # kernels at once; a fifth page gets 503 unless one of the four has gone


def preheat_count(preheat: int | None, max_sessions: int) -> int:
    """Kernels kept started ahead of the pages: as given, else one per session under the cap
    (so that any page opened under the cap finds one ready), else 1 with no cap."""
    if preheat is None:
        return max_sessions or 1
    return check_count(preheat, "--preheat")


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
    preheat: int = 1,
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
        # auditkit's template (explore/jupyter/voila/templates/auditkit): Voilà's lab template
        # without assets from a public CDN; no other template or theme on request.
        f"--template={TEMPLATE}",
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
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


def explorer_settings(
    data: Path | None,
    as_of: str | None,
    exports: Path | None,
    demo_requests: int | None = None,
    at: str | None = None,
    db: str | None = None,
    user: str | None = None,
    params_file: str | Path | None = None,
    cache: Path | None = None,
    decision_codes: Path | None = None,
) -> ExplorerSettings:
    """What every kernel opens: the settings already in this environment ($AUDITKIT_EXPLORE_*,
    $AUDITKIT_USER), then the options given, each checked and named before serving; files
    made absolute (the kernels may run elsewhere), the data's tables, --params and --db
    checked now rather than in the browser."""
    options = {"data": data, "as_of": as_of, "at": at, "demo_requests": demo_requests, "user": user}
    given = {field for field, value in options.items() if value is not None}
    settings = ExplorerSettings.from_env(ignore=given).given(**options)
    rules = params_file or settings.params_file
    if rules is not None:
        read_params_file(rules)  # an unreadable --params is refused here, not in the browser
        inline = str(rules).lstrip().startswith("{")
        rules = str(rules) if inline else str(Path(rules).resolve())
    if settings.data:
        # Missing tables are an input error now, not in the browser.
        requested = settings.at == Moment.REQUESTED
        find_table_files(Path(settings.data), TABLE_NAMES + (HISTORY_TABLES if requested else ()))
    db = db or settings.review_db
    if db is not None:
        from auditkit.review.register import Register

        # Open (create, migrate) the register now: a wrong --db is refused here, not in the
        # browser; the kernel gets it as an absolute path or URL.
        Register.open(db).close()
    folders = {"exports": exports or settings.exports, "cache": cache or settings.cache}
    absolute = {field: Path(path).resolve() for field, path in folders.items()}
    absolute["scenarios"] = settings.scenarios.resolve()
    codes = decision_codes or settings.decision_codes
    if codes is not None:
        absolute["decision_codes"] = Path(codes).resolve()
    settings = dataclasses.replace(
        settings,
        data=str(Path(settings.data).resolve()) if settings.data else None,
        review_db=_absolute_db(db) if db is not None else None,
        params_file=rules,
        exports_url=EXPORTS_PATH,
        **absolute,
    )
    settings.params()  # the parameters' types and values, checked now
    settings.catalogue()  # and the --decision-codes map
    return settings


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
    params_file: str | Path | None = None,
    cache: Path | None = None,
    decision_codes: Path | None = None,
    cull_idle: int = CULL_IDLE_SECONDS,
    max_sessions: int = MAX_SESSIONS,
    preheat: int | None = None,
    users: Path | None = None,
    trusted_proxies: list[str] | None = None,
    user_header: str = USER_HEADER,
) -> None:
    """Judge the data once, print the explorer's URL with its token, and run Voilà here until
    it is stopped."""
    from auditkit.explore.handlers import ExplorerVoila

    identity = identity_options(users, trusted_proxies or [], user_header)

    port = check_port(port) or free_port()
    hosts = check_hosts(allow_hosts or [])
    cull_idle = check_count(cull_idle, "--cull-idle")
    max_sessions = check_count(max_sessions, "--max-sessions")
    preheat = preheat_count(preheat, max_sessions)
    settings = explorer_settings(
        data, as_of, exports, demo_requests, at, db, user, params_file, cache, decision_codes
    )
    token = explore_token()
    if settings.data:
        judge_before_serving(settings)
    what = f"data in {settings.data}" if settings.data else "the built-in demo data"
    if users is not None:
        print(
            f"auditkit explorer on {what}: http://{HOST}:{port}/ (each reviewer of {users} "
            "adds ?token=<their own token>)",
            flush=True,
        )
    else:
        print(f"auditkit explorer on {what}: http://{HOST}:{port}/?token={token}", flush=True)
    if settings.review_db is not None:
        from auditkit.review.database import database_url, describe

        print(f"review register: {describe(database_url(settings.review_db))}", flush=True)
    print("press Ctrl-C to stop", flush=True)
    # This process becomes the server: the kernels it starts inherit these variables, and the
    # secret with which they ask for their page's request (never the token).
    kernel_secret = secrets.token_urlsafe(32)
    settings.apply_to(os.environ)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        filter(None, [str(JUPYTER_DATA), os.environ.get("JUPYTER_PATH")])
    )
    os.environ[EnvVar.KERNEL_SECRET] = kernel_secret
    ExplorerVoila.launch_instance(
        argv=voila_argv(notebook_path(), port, open_browser, cull_idle, max_sessions, preheat),
        token=token,
        allowed_hosts=hosts,
        kernel_secret=kernel_secret,
        exports_dir=str(settings.exports),
        **identity,
    )


def identity_options(users: Path | None, proxies: list[str], header: str) -> dict[str, object]:
    """Who is who (`explore.identity`): a users file that must be readable now, and trusted
    proxies, which need $AUDITKIT_EXPLORE_PROXY_SECRET (taken out before the kernels start)."""
    secret = os.environ.pop(EnvVar.PROXY_SECRET, "")
    options: dict[str, object] = {}
    if users is not None:
        try:
            read_reviewers(users)
        except OSError as error:
            raise ParameterError(f"--users {users}: {error.strerror or error}") from None
        options["users_file"] = str(Path(users).resolve())
    if proxies:
        if len(secret) < MIN_TOKEN_LENGTH:
            raise ParameterError(
                f"--trusted-proxy needs ${EnvVar.PROXY_SECRET}: at least {MIN_TOKEN_LENGTH} "
                f"characters the proxy sends in the {PROXY_SECRET_HEADER} header"
            )
        options.update(trusted_proxies=check_proxies(proxies), proxy_secret=secret)
        options["user_header"] = header
    return options


def judge_before_serving(settings: ExplorerSettings) -> None:
    """Judge the data once (in a worker process) so that every session opens it cached."""
    import time

    from auditkit.explore.workspace import judge_once

    start = time.perf_counter()

    def progress(phase: str) -> None:
        print(f"  {phase} ... ({time.perf_counter() - start:.0f} s)", flush=True)

    print(f"judging {settings.data} once for every session (cache {settings.cache})", flush=True)
    params, catalogue = settings.params(), settings.catalogue()
    judged = judge_once(settings.data, params, catalogue, settings.cache, progress)
    print("  judged and cached" if judged else "  already judged: read from the cache", flush=True)

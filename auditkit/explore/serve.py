"""Serve the explorer notebook as a web app with Voilà on 127.0.0.1.

The notebook is `notebooks/explorer.ipynb`, found by auditkit.resources in a
checkout and in an installed wheel alike. The data directory, snapshot date
and export folder reach the notebook's kernel as environment variables
(`vocab.EnvVar`), which `auditkit.explore.config` reads.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from auditkit.errors import ParameterError
from auditkit.io.read import find_table_files
from auditkit.params import parse_date
from auditkit.resources import shipped_notebook
from auditkit.vocab import EnvVar

NOTEBOOK = "explorer.ipynb"
HOST = "127.0.0.1"


def notebook_path() -> Path:
    """The explorer notebook shipped with auditkit."""
    return shipped_notebook(NOTEBOOK)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def voila_argv(notebook: Path, port: int, open_browser: bool) -> list[str]:
    """Voilà options: local only, no source code shown, no tracebacks to the browser."""
    argv = [
        str(notebook),
        f"--port={port}",
        f"--Voila.ip={HOST}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--Voila.port_retries=0",
    ]
    if not open_browser:
        argv.append("--no-browser")
    return argv


def check_port(port: object) -> int:
    """A TCP port to listen on; 0 means any free port."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ParameterError(f"--port must be between 0 (any free port) and 65535, got {port!r}")
    return port


def explore_environment(
    data: Path | None, as_of: str | None, exports: Path, demo_requests: int | None = None
) -> dict[str, str]:
    """Environment variables for the kernel; the data directory is checked before serving."""
    env = {EnvVar.EXPORTS.value: str(exports.resolve())}
    if data is not None:
        find_table_files(data)  # missing tables are an input error now, not in the browser
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


def serve(
    data: Path | None,
    as_of: str | None,
    exports: Path,
    *,
    port: int = 0,
    open_browser: bool = True,
    demo_requests: int | None = None,
) -> None:
    """Print the explorer's URL and run Voilà in this process until it is stopped."""
    from voila.app import Voila

    port = check_port(port) or free_port()
    env = explore_environment(data, as_of, exports, demo_requests)
    what = f"data in {env[EnvVar.DATA]}" if EnvVar.DATA in env else "the built-in demo data"
    print(f"auditkit explorer on {what}: http://{HOST}:{port}/", flush=True)
    print("press Ctrl-C to stop", flush=True)
    # This process becomes the server: the kernel it starts inherits these variables.
    os.environ.update(env)
    Voila.launch_instance(argv=voila_argv(notebook_path(), port, open_browser))

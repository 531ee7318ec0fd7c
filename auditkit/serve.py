"""`auditkit explore`: serve the explorer notebook as a web app with Voilà on 127.0.0.1.

The notebook is `notebooks/explorer.ipynb`, found by auditkit.resources in a
checkout and in an installed wheel alike. The data directory,
snapshot date and export folder reach the notebook's kernel as environment
variables, which `auditkit.explorer.show` reads.
"""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path

from auditkit import resources
from auditkit.loading import find_table_files
from auditkit.params import parse_date

NOTEBOOK = "explorer.ipynb"
HOST = "127.0.0.1"
# Names shared with auditkit.explorer.show, which reads them in the kernel.
ENV_DATA = "AUDITKIT_EXPLORE_DATA"
ENV_AS_OF = "AUDITKIT_EXPLORE_AS_OF"
ENV_EXPORTS = "AUDITKIT_EXPLORE_EXPORTS"
ENV_DEMO_REQUESTS = "AUDITKIT_EXPLORE_DEMO_REQUESTS"


def notebook_path() -> Path:
    """The explorer notebook shipped with auditkit."""
    return resources.notebook_path(NOTEBOOK)


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


def explore_environment(
    data: Path | None, as_of: str | None, exports: Path, demo_requests: int | None = None
) -> dict[str, str]:
    """Environment variables for the kernel; the data directory is checked before serving."""
    env = {ENV_EXPORTS: str(exports.resolve())}
    if data is not None:
        find_table_files(data)  # missing tables are an input error now, not in the browser
        env[ENV_DATA] = str(Path(data).resolve())
    if as_of:
        env[ENV_AS_OF] = parse_date(as_of).isoformat()
    if demo_requests:
        env[ENV_DEMO_REQUESTS] = str(int(demo_requests))
    return env


def cmd_explore(args: argparse.Namespace) -> int:
    from voila.app import Voila

    env = explore_environment(args.data, args.as_of, args.exports, args.demo_requests)
    port = args.port or free_port()
    notebook = notebook_path()
    what = f"data in {env[ENV_DATA]}" if ENV_DATA in env else "the built-in demo data"
    print(f"auditkit explorer on {what}: http://{HOST}:{port}/", flush=True)
    print("press Ctrl-C to stop", flush=True)
    # This process becomes the server: the kernel it starts inherits these variables.
    os.environ.update(env)
    Voila.launch_instance(argv=voila_argv(notebook, port, not args.no_browser))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `auditkit explore` to the CLI."""
    explore = subparsers.add_parser(
        "explore", help="serve the interactive explorer in the browser (Voilà, 127.0.0.1)"
    )
    explore.add_argument(
        "--data", type=Path, help="folder with accounts, orders, vouchers, requests (default: demo)"
    )
    explore.add_argument(
        "--as-of", help="snapshot date YYYY-MM-DD (default: today; demo 2026-11-01)"
    )
    explore.add_argument(
        "--port", type=int, default=0, help="port to listen on (default: a free one)"
    )
    explore.add_argument(
        "--no-browser", action="store_true", help="only print the URL, do not open a browser"
    )
    explore.add_argument(
        "--exports",
        type=Path,
        default=Path("auditkit-exports"),
        help="folder the explorer writes CSV/Excel exports into (default: ./auditkit-exports)",
    )
    explore.add_argument(
        "--demo-requests",
        type=int,
        default=None,
        help="size of the demo data set when --data is not given (default 2000)",
    )
    explore.set_defaults(run=cmd_explore)

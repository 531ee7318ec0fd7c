"""Start `auditkit explore` for a browser test, wait until it answers, stop it afterwards."""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from auditkit.explore.launch import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT / "reports"  # screenshots land here, for a person to look at
STARTUP_SECONDS = 180
PROBE = "voila/static/"
WAIT_MS = 60_000
STOP_SECONDS = 30
STOPPING: list[subprocess.Popen] = []  # told to stop, not yet waited for (see `stop`)
NEEDS_CHROMIUM = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Chromium at /usr/bin/chromium (Debian: apt-get install -y chromium)",
)


@contextlib.contextmanager
def explore_server(work: Path, *options: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """`auditkit explore OPTIONS --port P --no-browser` run in `work`; yields the address it
    printed (token included) and its process, and stops it afterwards."""
    with starting_server(work, *options) as ready:
        yield ready()


@contextlib.contextmanager
def starting_server(
    work: Path, *options: str
) -> Iterator[Callable[[], tuple[str, subprocess.Popen]]]:
    """`explore_server`, started without waiting for it: yields `ready()`, which waits until
    the server answers and returns what `explore_server` yields. A test can start a server
    it needs later while it waits for something else."""
    port = free_port()
    log_path = work / "server.log"
    if "--preheat" not in options:  # one kernel ahead is enough for a test (default: one a session)
        options = (*options, "--preheat", "1")
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                *("-m", "auditkit.cli", "explore", *options),
                *("--port", str(port), "--no-browser"),
            ],
            cwd=work,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    base = f"http://127.0.0.1:{port}/"

    @functools.cache
    def ready() -> tuple[str, subprocess.Popen]:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"auditkit explore exited early:\n{log_path.read_text()}")
            try:  # not the page itself: asking for it would start a kernel
                with urllib.request.urlopen(base + PROBE, timeout=10):
                    break
            except urllib.error.HTTPError:
                break  # any answer will do (403 without the token): the server is up
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"no answer on {base}:\n{log_path.read_text()}")
                time.sleep(0.5)
        # With --users there is no shared token: the address is printed without one.
        printed = re.search(re.escape(base) + r"(\?token=[\w-]+)?", log_path.read_text())
        assert printed, f"no address with a token printed:\n{log_path.read_text()}"
        return printed.group(0), server

    try:
        yield ready
    finally:
        stop(server)


def stop(server: subprocess.Popen) -> None:
    """Ask a server to stop (SIGTERM) without waiting for it: it takes 3-4 s, mostly waiting
    for its kernels to exit, and the next test can run meanwhile. It is waited for (and
    killed if it is still there after STOP_SECONDS) when the test process exits."""
    if server.poll() is None:
        server.terminate()
    STOPPING.append(server)


@atexit.register
def _wait_for_stopped_servers() -> None:
    deadline = time.monotonic() + STOP_SECONDS
    for server in STOPPING:
        try:
            server.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def address(url: str, path: str = "", *, token: bool = True, **query: str) -> str:
    """The server's `path` with `query`, keeping the token of the printed `url` (or not)."""
    parts = urlsplit(url)
    given = dict(q.split("=", 1) for q in parts.query.split("&") if q) if token else {}
    base = f"{parts.scheme}://{parts.netloc}/{path}"
    return f"{base}?{urlencode({**given, **query})}" if given or query else base


def kernels(server: subprocess.Popen) -> list[int]:
    """Process ids of the kernels the server runs (one per open page, plus pre-started ones).

    A process a kernel forks (to start a worker) shows the kernel's command line until it
    runs its own program; under load that moment is long enough for a watcher to see it,
    so a process whose parent is a kernel is not counted as one more kernel.
    """
    import psutil

    try:
        children = psutil.Process(server.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    found: dict[int, int] = {}  # pid -> parent pid
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            if "ipykernel_launcher" in " ".join(child.cmdline()):
                found[child.pid] = child.ppid()
    return [pid for pid, parent in found.items() if parent not in found]


def kernel_ids(server: subprocess.Popen) -> list[str]:
    """Ids of the server's kernels, read from their command lines as any local user can (`ps`)."""
    import psutil

    found = []
    for pid in kernels(server):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            named = re.search(
                r"kernel-([0-9a-f-]{36})\.json", " ".join(psutil.Process(pid).cmdline())
            )
            if named:
                found.append(named.group(1))
    return found


def wait_for(condition, seconds: float):
    """`condition()` once it is true (polled every half second), else its last value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    return condition()


def screenshot(target, name: str) -> Path:
    """Save a screenshot of a page, or of one element whole (a locator), as reports/NAME.

    Voilà scrolls inside its own container, so a full-page shot holds only the
    window: shoot the element that matters to see all of it.
    """
    REPORTS.mkdir(exist_ok=True)
    path = REPORTS / name
    if hasattr(target, "goto"):
        target.screenshot(path=str(path), full_page=True)
    else:
        target.screenshot(path=str(path))
    return path

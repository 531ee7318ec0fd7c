"""`auditkit` runs stopped by a signal at an exact moment, for the signal tests.

Each run is a child process running the real command line (`auditkit.cli.run`, which
the `auditkit` command runs) that stops itself (SIGSTOP) at a chosen point: right after
announcing a phase (`[auditkit] write ...`), or just before / right after the n-th call
of a function named `module:Qualified.name` (say, after the first table is written into
staging, or before a cell of the notebook starts). The test then sends the signal (to
the main thread, which runs Python's handlers) and SIGCONT, so the signal lands exactly
there however loaded the machine is: reading the announcement from a pipe and sleeping
can lag the run by seconds, long enough for a short phase, or the whole run, to be over.

The children are forked from a zygote, an interpreter that has already imported what
the runs import (a fresh interpreter spent a second and a half on that per run, more on
a report's failure path); each child then ends as the command does, by `sys.exit`.

Used by tests/cli/test_signals.py and tests/report/test_runner_out.py
(`from stopping import stopped`: tests/ is on sys.path, as for conftest).
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# A zygote: one interpreter per test process that imports what the runs import (about
# 1.5 s, and the report's failure path would add matplotlib), then forks a child per run
# (it has no threads, so forking is safe). The child runs `auditkit ARGV` exactly as the
# command does (`auditkit.cli.run`, and the interpreter's own exit), with its pause
# point installed; the zygote says "started PID", then "ended STATUS" (-N: killed by N).
ZYGOTE = """
import gc, importlib, itertools, json, os, signal, sys
import auditkit.check, auditkit.cli, auditkit.cli.common, auditkit.io.output
import auditkit.report.index, auditkit.report.runner, papermill, nbconvert
gc.freeze()  # the imports are never collected: a child exits in 0.2 s, not 0.7 s

def pause():
    os.kill(os.getpid(), signal.SIGSTOP)

def pause_at_phase(phase):
    from auditkit.cli import common
    announce = common.PhaseClock.__call__
    def announce_and_pause(self, name):
        announce(self, name)
        if name == phase:
            pause()
    common.PhaseClock.__call__ = announce_and_pause

def pause_at_call(mode, target, nth):
    module, _, qualname = target.partition(":")
    *path, name = qualname.split(".")
    owner = importlib.import_module(module)
    for part in path:
        owner = getattr(owner, part)
    function, calls = getattr(owner, name), itertools.count(1)
    def pausing(*args, **kwargs):
        call = next(calls)  # atomic: check writes its tables from two threads
        if call == nth and mode == "before":
            pause()
        result = function(*args, **kwargs)
        if call == nth and mode == "after":
            pause()
        return result
    setattr(owner, name, pausing)

def child(request):
    os.chdir(request["cwd"])
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    for fd, path in ((1, request["out"]), (2, request["err"])):
        os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
    if request["mode"] == "phase":
        pause_at_phase(request["target"])
    elif request["mode"] != "through":  # "through": runs to its end, never paused
        pause_at_call(request["mode"], request["target"], request["nth"])
    sys.argv = ["auditkit", *request["argv"]]
    from auditkit.cli import run
    run()  # sys.exit: the interpreter ends as the `auditkit` command's does

for line in sys.stdin:
    request = json.loads(line)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        child(request)
    print("started", pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print("ended", os.waitstatus_to_exitcode(status), flush=True)
"""


@dataclass
class Zygote:
    process: subprocess.Popen
    lines: queue.Queue[str]

    def said(self, word: str, timeout: float) -> int:
        """The number the zygote says after `word` within `timeout` seconds."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            line = ""
        first, _, number = line.partition(" ")
        if first != word:
            raise AssertionError(f"the zygote said {line!r}, not {word!r}, within {timeout}s")
        return int(number)


_zygote: list[Zygote] = []


def zygote() -> Zygote:
    """This test process's zygote, started when first needed."""
    if not _zygote or _zygote[0].process.poll() is not None:
        process = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True).start()
        atexit.register(process.stdin.close)
        _zygote[:] = [Zygote(process, lines)]
    return _zygote[0]


def stop_zygote() -> None:
    """End this process's zygote, if it started (a test module's last act)."""
    while _zygote:
        process = _zygote.pop().process
        process.stdin.close()
        process.wait(timeout=60)


@dataclass(frozen=True)
class Run:
    """How a stopped run ended: its exit status (-N: killed by signal N) and output."""

    status: int
    out: str
    err: str

    @property
    def messages(self) -> list[str]:
        """What it said on stderr, progress lines left out."""
        return [line for line in self.err.splitlines() if not line.startswith("[auditkit]")]


# tgkill(2), by architecture: a signal sent to the process may be taken by any of its
# threads (the notebook's ZMQ threads, the writer pool), and the main thread then runs the
# Python handler only at its next check, a few statements past the pause (seen: after the
# report's `try`, so the run said "no output was replaced" though it had published). Sent
# to the main thread, the handler runs as it resumes, inside the os.kill that paused it.
TGKILL = {"x86_64": 234, "aarch64": 131, "arm64": 131}


def send_to_main_thread(pid: int, signum: int) -> None:
    number = TGKILL.get(os.uname().machine)
    if number is None or signum == signal.SIGKILL:
        os.kill(pid, signum)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(number, pid, pid, signum) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


def wait_until_paused(pid: int, err: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            stat = "(gone) X"
        state = stat[stat.rindex(")") + 2]
        if state in "Tt":
            return
        if state in "ZX":
            raise AssertionError(f"the run ended without reaching its pause: {err.read_text()}")
        time.sleep(0.005)
    raise AssertionError(f"the run (pid {pid}) did not pause: {err.read_text()}")


def _forked(
    argv: list[str], folder: str, cwd: Path | None, mode: str, target: str | None, nth: int
) -> tuple[Zygote, int, Path, Path]:
    """Ask the zygote to fork `auditkit ARGV` (paused as `mode`/`target`/`nth` say, or run
    `through`): the zygote, the child's pid and the files its output goes to."""
    out, err = Path(folder) / "out", Path(folder) / "err"
    request = {"argv": argv, "cwd": str(cwd or Path.cwd()), "out": str(out), "err": str(err)}
    request |= {"mode": mode, "target": target, "nth": nth}
    runs = zygote()
    runs.process.stdin.write(json.dumps(request) + "\n")
    runs.process.stdin.flush()
    return runs, runs.said("started", 60), out, err


def _ended(runs: Zygote, pid: int, out: Path, err: Path, before_the_end: Callable[[], None]) -> Run:
    """Run `before_the_end`, then wait for the child's end; on any failure the child is killed."""
    try:
        before_the_end()
        status = runs.said("ended", 300)
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        runs.said("ended", 60)
        raise
    return Run(status, out.read_text(), err.read_text())


def completed(argv: list[str], *, cwd: Path | None = None) -> Run:
    """Run `auditkit ARGV` in `cwd` to its end, as a child of the zygote (a process of its
    own, as the command is, without a fresh interpreter's imports); nothing stops it."""
    with tempfile.TemporaryDirectory(prefix="auditkit-completed-") as folder:
        runs, pid, out, err = _forked(argv, folder, cwd, "through", None, 0)
        return _ended(runs, pid, out, err, lambda: None)


def stopped(
    argv: list[str],
    signum: int,
    *,
    phase: str | None = None,
    before: str | None = None,
    after: str | None = None,
    nth: int = 1,
    cwd: Path | None = None,
) -> Run:
    """Run `auditkit ARGV` in `cwd` and send it `signum` as it starts `phase`, or just
    `before` (or right `after`) the `nth` call of a function `module:Qualified.name`."""
    ((mode, target),) = [
        (mode, target)
        for mode, target in (("phase", phase), ("before", before), ("after", after))
        if target
    ]
    with tempfile.TemporaryDirectory(prefix="auditkit-stopped-") as folder:
        runs, pid, out, err = _forked(argv, folder, cwd, mode, target, nth)

        def stop() -> None:
            wait_until_paused(pid, err)
            send_to_main_thread(pid, signum)
            os.kill(pid, signal.SIGCONT)

        return _ended(runs, pid, out, err, stop)

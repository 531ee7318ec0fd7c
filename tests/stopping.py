"""`auditkit` runs stopped by a signal at an exact moment, for the signal tests.

The child runs the real command line (`python -m auditkit.cli`) and stops itself
(SIGSTOP) at a chosen point: right after announcing a phase (`[auditkit] write ...`),
or just before / right after the n-th call of a function named `module:Qualified.name`
(say, after the first table is written into staging, or before a cell of the notebook
starts). The test then sends the signal and SIGCONT, so the signal lands exactly there
however loaded the machine is: reading the announcement from a pipe and sleeping can
lag the run by seconds, long enough for a short phase, or the whole run, to be over.

Used by tests/cli/test_signals.py and tests/report/test_runner_out.py
(`from stopping import stopped`, as tests/ is on sys.path like conftest).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PAUSING = """
import importlib, itertools, os, runpy, signal, sys
mode, target, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.argv = ["auditkit", *sys.argv[4:]]

def pause():
    os.kill(os.getpid(), signal.SIGSTOP)

if mode == "phase":
    from auditkit.cli import common
    announce = common.PhaseClock.__call__
    def announce_and_pause(self, name):
        announce(self, name)
        if name == target:
            pause()
    common.PhaseClock.__call__ = announce_and_pause
else:
    module, _, qualname = target.partition(":")
    *path, name = qualname.split(".")
    owner = importlib.import_module(module)
    for part in path:
        owner = getattr(owner, part)
    function, calls = getattr(owner, name), itertools.count(1)
    def pausing(*args, **kwargs):
        call = next(calls)  # atomic: the tables are written by two threads
        if call == nth and mode == "before":
            pause()
        result = function(*args, **kwargs)
        if call == nth and mode == "after":
            pause()
        return result
    setattr(owner, name, pausing)
runpy.run_module("auditkit.cli", run_name="__main__")
"""


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


def wait_until_paused(process: subprocess.Popen, err: list[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the run ended without reaching its pause: {''.join(err)}")
        stat = Path(f"/proc/{process.pid}/stat").read_text()
        if stat[stat.rindex(")") + 2] in "Tt":
            return
        time.sleep(0.005)
    process.kill()
    raise AssertionError(f"the run (pid {process.pid}) did not pause: {''.join(err)}")


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
    process = subprocess.Popen(
        [sys.executable, "-c", PAUSING, mode, target, str(nth), *argv],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out: list[str] = []
    err: list[str] = []
    readers = [
        threading.Thread(target=lambda s=stream, into=into: into.extend(s), daemon=True)
        for stream, into in ((process.stdout, out), (process.stderr, err))
    ]
    for reader in readers:
        reader.start()
    try:
        wait_until_paused(process, err)
        process.send_signal(signum)
        process.send_signal(signal.SIGCONT)
        process.wait(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for reader in readers:
            reader.join(timeout=60)
    return Run(process.returncode, "".join(out), "".join(err))

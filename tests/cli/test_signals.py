"""`auditkit check` and `auditkit report` stopped by SIGTERM, SIGINT or SIGKILL mid-run.

Each command runs in a child process and is signalled as it enters a phase it
announces on stderr (`[auditkit] write ...`), a moment later or at once. Stopped
by SIGTERM or SIGINT it cleans up, prints one line (no traceback) and exits with
128 + the signal; killed outright, it leaves the previous output complete, and
the next run tidies what is left. Either way the outputs are all old or all new.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import auditkit.demo as demo

pytestmark = pytest.mark.slow

AUDITKIT = [sys.executable, "-m", "auditkit.cli"]


def digest(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
        if path.is_file()
    }


def signalled(
    argv: list[str], signum: int, phase: str, delay: float = 0.0, until: Path | None = None
) -> subprocess.CompletedProcess:
    """Run auditkit with `argv`; send `signum` `delay` seconds after it starts `phase`, or,
    with `until` (a folder), as soon as a file has been written under a staging folder there
    (however loaded the machine is)."""
    process = subprocess.Popen(
        [*AUDITKIT, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    seen: list[str] = []
    for line in process.stderr:
        seen.append(line)
        if line.startswith(f"[auditkit] {phase} ..."):
            time.sleep(delay)
            deadline = time.monotonic() + 60
            while until is not None and time.monotonic() < deadline:
                if any(p.is_file() for p in until.glob(".auditkit/versions/.staging-*/*")):
                    break
                time.sleep(0.005)
            process.send_signal(signum)
            break
    out, err = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, out, "".join(seen) + err)


def messages(err: str) -> list[str]:
    return [line for line in err.splitlines() if not line.startswith("[auditkit]")]


def results_of(out: Path) -> tuple[str, dict[str, str]]:
    """(sha256 of the requests.csv the manifest names, digests of results and verdicts)."""
    manifest = json.loads((out / "manifest.json").read_text())
    files = {name: sha for name, sha in digest(out).items() if name != "manifest.json"}
    return manifest["inputs"]["requests"]["sha256"], files


@pytest.fixture(scope="module")
def two_data_sets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("signals")
    first = demo.write(demo.generate(requests=40_000, seed=1), base / "first")["accounts"].parent
    second = demo.write(demo.generate(requests=40_000, seed=2), base / "second")["accounts"].parent
    return first, second


CHECK = ["check", "--as-of", "2026-11-01", "--out"]


@pytest.fixture(scope="module")
def complete(two_data_sets: tuple[Path, Path], tmp_path_factory) -> dict[str, dict[str, str]]:
    """What a complete check writes for each data set, by the sha256 of its requests.csv."""
    base = tmp_path_factory.mktemp("complete")
    found = {}
    for data in two_data_sets:
        run = subprocess.run([*AUDITKIT, *CHECK, str(base / data.name), "--data", str(data)])
        assert run.returncode == 0
        key, files = results_of(base / data.name)
        found[key] = files
    return found


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize(("phase", "delay"), [("validate", 0.0), ("write", 0.0), ("write", 0.3)])
def test_check_stopped_mid_run_cleans_up_and_keeps_old_or_new_results(
    two_data_sets: tuple[Path, Path],
    complete: dict[str, dict[str, str]],
    tmp_path: Path,
    signum: int,
    phase: str,
    delay: float,
):
    first, second = two_data_sets
    out = tmp_path / "out"
    assert subprocess.run([*AUDITKIT, *CHECK, str(out), "--data", str(first)]).returncode == 0
    run = signalled([*CHECK, str(out), "--data", str(second)], signum, phase, delay)
    assert not list(out.glob(".auditkit/versions/.staging-*"))
    key, files = results_of(out)
    assert complete[key] == files, "results, verdicts and manifest of different runs"
    if run.returncode == 0:  # it finished before the signal came: ignored, no message
        assert messages(run.stderr) == [] and files == complete[key]
        return
    assert run.returncode == 128 + signum, run.stderr
    (line,) = messages(run.stderr)
    assert line.startswith(f"auditkit: stopped by {signal.Signals(signum).name}; "), line


def test_check_killed_while_writing_leaves_staging_that_the_next_run_removes(
    two_data_sets: tuple[Path, Path], complete: dict[str, dict[str, str]], tmp_path: Path
):
    first, second = two_data_sets
    out = tmp_path / "out"
    assert subprocess.run([*AUDITKIT, *CHECK, str(out), "--data", str(first)]).returncode == 0
    signalled([*CHECK, str(out), "--data", str(second)], signal.SIGKILL, "write", until=out)
    key, files = results_of(out)
    assert complete[key] == files
    assert list(out.glob(".auditkit/versions/.staging-*")), (
        "the kill came too late to test the clean-up"
    )
    assert subprocess.run([*AUDITKIT, *CHECK, str(out), "--data", str(first)]).returncode == 0
    assert not list(out.glob(".auditkit/versions/.staging-*"))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_check_stopped_in_any_phase_shows_the_old_or_the_new_complete_set(
    two_data_sets: tuple[Path, Path],
    complete: dict[str, dict[str, str]],
    tmp_path: Path,
    signum: int,
):
    """A fresh OUT stopped at once shows nothing or all; later runs show the old or the new set."""
    first, second = two_data_sets
    out = tmp_path / "out"
    signalled([*CHECK, str(out), "--data", str(first)], signum, "write", 0.0)
    if (out / "manifest.json").exists():
        key, files = results_of(out)
        assert complete[key] == files
    elif out.exists():
        assert not [p for p in out.iterdir() if not p.name.startswith(".")]
    assert subprocess.run([*AUDITKIT, *CHECK, str(out), "--data", str(first)]).returncode == 0
    data = second
    phases = (("load", 0.0), ("validate", 0.0), ("evaluate", 0.0), ("write", 0.0), ("write", 0.2))
    for phase, delay in phases:
        run = signalled([*CHECK, str(out), "--data", str(data)], signum, phase, delay)
        key, files = results_of(out)
        assert complete[key] == files, f"a mixed set after {phase}: {run.stderr}"
        if signum == signal.SIGTERM and run.returncode != 0:
            assert run.returncode == 143 and "Traceback" not in run.stderr, run.stderr
        data = first if data == second else second
    assert subprocess.run([*AUDITKIT, *CHECK, str(out), "--data", str(first)]).returncode == 0
    key, files = results_of(out)
    assert complete[key] == files
    home = out / ".auditkit"
    assert [p.name for p in (home / "versions").iterdir()] == [(home / "current").resolve().name]


# ---- report ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_periods(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("report-signals")
    old = demo.write(demo.generate(requests=200, seed=1), base / "old")["accounts"].parent
    new = demo.write(demo.generate(requests=200, seed=2), base / "new")["accounts"].parent
    return old, new


def report_argv(data: Path, out: Path) -> list[str]:
    return ["report", "--data", str(data), "--period", "2026-11", "--out", str(out)]


def shown_inputs(out: Path) -> str:
    """The sha256 of requests.csv judged by the report the period shows (it must be complete)."""
    folder = out / "2026-11"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert (folder / "report.html").is_file() and (folder / "verdicts.csv").is_file()
    return manifest["inputs"]["requests"]["sha256"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_report_stopped_in_any_phase_shows_old_or_new_report(
    small_periods: tuple[Path, Path], tmp_path: Path, signum: int
):
    hashes = {
        data: hashlib.sha256((data / "requests.csv").read_bytes()).hexdigest()
        for data in small_periods
    }
    out = tmp_path / "reports"
    shown, other = small_periods
    assert (
        subprocess.run([*AUDITKIT, *report_argv(shown, out)], capture_output=True).returncode == 0
    )
    for phase, delay in (("run notebook", 2.0), ("export", 0.0), ("publish", 0.0)):
        # A run of the other data set is stopped: the period shows the one before, or the
        # new one if the run got that far, complete either way.
        run = signalled(report_argv(other, out), signum, phase, delay)
        assert shown_inputs(out) in (hashes[shown], hashes[other]), run.stderr
        if signum == signal.SIGTERM and run.returncode != 0:
            assert run.returncode == 143, run.stderr
            (line,) = messages(run.stderr)
            assert line.startswith("auditkit: stopped by SIGTERM; "), line
            assert "Traceback" not in run.stderr
            if shown_inputs(out) == hashes[shown]:
                assert list((out / "2026-11").glob("failed-*")), "the stopped run is not kept"
        # The next run tidies whatever was left, and publishes.
        again = subprocess.run(
            [*AUDITKIT, *report_argv(other, out)], capture_output=True, text=True
        )
        assert again.returncode == 0, again.stderr
        assert shown_inputs(out) == hashes[other]
        versions = list((out / ".versions" / "2026-11").iterdir())
        assert versions == [(out / "2026-11").resolve()]
        assert not list(out.glob(".*-2026-11-*"))
        shown, other = other, shown
    shutil.rmtree(out)

"""`auditkit check` and `auditkit report` stopped by SIGTERM, SIGINT or SIGKILL at any time.

Each command runs in a child process and is signalled at several moments. Stopped
by SIGTERM or SIGINT it cleans up, prints one line (no traceback) and exits with
128 + the signal; killed outright, it leaves the previous output, which the next
run tidies. Either way the outputs are all old or all new.
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


def signalled(argv: list[str], signum: int, after: float) -> subprocess.CompletedProcess:
    """Run auditkit with `argv`; send `signum` after `after` seconds (if still running)."""
    process = subprocess.Popen(
        [*AUDITKIT, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        process.wait(timeout=after)
    except subprocess.TimeoutExpired:
        process.send_signal(signum)
    out, err = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def messages(err: str) -> list[str]:
    return [line for line in err.splitlines() if not line.startswith("[auditkit]")]


@pytest.fixture(scope="module")
def two_data_sets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("signals")
    first = demo.write(demo.generate(requests=40_000, seed=1), base / "first")["accounts"].parent
    second = demo.write(demo.generate(requests=40_000, seed=2), base / "second")["accounts"].parent
    return first, second


def results_of(out: Path) -> tuple[str, dict[str, str]]:
    """(sha256 of the requests.csv the manifest names, digests of results and verdicts)."""
    manifest = json.loads((out / "manifest.json").read_text())
    files = {name: sha for name, sha in digest(out).items() if name != "manifest.json"}
    return manifest["inputs"]["requests"]["sha256"], files


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_check_stopped_at_any_moment_keeps_old_or_new_results(
    two_data_sets: tuple[Path, Path], tmp_path: Path, signum: int
):
    check = ["check", "--as-of", "2026-11-01", "--out"]
    complete = {}
    for data in two_data_sets:  # what a complete run writes for each data set
        run = subprocess.run([*AUDITKIT, *check, str(tmp_path / data.name), "--data", str(data)])
        assert run.returncode == 0
        key, files = results_of(tmp_path / data.name)
        complete[key] = files
    first, second = two_data_sets
    out = tmp_path / "out"
    shutil.copytree(tmp_path / first.name, out)
    for after in (0.5, 1.5, 2.5, 3.5, 4.5, 6.0, 8.0):
        run = signalled([*check, str(out), "--data", str(second)], signum, after)
        assert not list(out.glob(".auditkit-staging-*"))
        key, files = results_of(out)
        assert complete[key] == files, f"mixed outputs after {after}s"
        if run.returncode == 0:
            break
        if "[auditkit]" not in run.stderr:
            # Signalled while Python was still importing auditkit, before its handlers:
            # the default action (SIGINT: Python's KeyboardInterrupt), nothing written yet.
            continue
        assert "Traceback" not in run.stderr, run.stderr
        if run.returncode == -signum:
            continue  # signalled after main() returned, the outputs complete
        assert run.returncode == 128 + signum, run.stderr
        (line,) = messages(run.stderr)
        assert line.startswith(f"auditkit: stopped by {signal.Signals(signum).name}; ")
    else:
        pytest.fail("check never finished")


def test_check_killed_leaves_staging_that_the_next_run_removes(
    two_data_sets: tuple[Path, Path], tmp_path: Path
):
    first, _ = two_data_sets
    out = tmp_path / "out"
    argv = ["check", "--data", str(first), "--out", str(out), "--as-of", "2026-11-01"]
    for after in (3.0, 4.0, 5.0):
        signalled(argv, signal.SIGKILL, after)
        if list(out.glob(".auditkit-staging-*")):
            break
    assert subprocess.run([*AUDITKIT, *argv], capture_output=True).returncode == 0
    assert not list(out.glob(".auditkit-staging-*"))


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
def test_report_stopped_at_any_moment_shows_old_or_new_report(
    small_periods: tuple[Path, Path], tmp_path: Path, signum: int
):
    hashes = {
        data: hashlib.sha256((data / "requests.csv").read_bytes()).hexdigest()
        for data in small_periods
    }
    out = tmp_path / "reports"
    shown_data, other = small_periods
    started = time.perf_counter()
    first = subprocess.run([*AUDITKIT, *report_argv(shown_data, out)], capture_output=True)
    assert first.returncode == 0
    whole = time.perf_counter() - started
    for fraction in (0.3, 0.7, 0.95):
        # A run of the other data set is stopped: the period shows the one before, or the
        # new one if the run got that far, complete either way.
        run = signalled(report_argv(other, out), signum, whole * fraction)
        assert shown_inputs(out) in (hashes[shown_data], hashes[other]), run.stderr
        if signum == signal.SIGTERM and run.returncode != 0 and "[auditkit]" in run.stderr:
            assert run.returncode == 143, run.stderr
            (line,) = messages(run.stderr)
            assert line.startswith("auditkit: stopped by SIGTERM; ")
            assert "Traceback" not in run.stderr
        # The next run tidies whatever was left, and publishes.
        again = subprocess.run(
            [*AUDITKIT, *report_argv(other, out)], capture_output=True, text=True
        )
        assert again.returncode == 0, again.stderr
        assert shown_inputs(out) == hashes[other]
        versions = list((out / ".versions" / "2026-11").iterdir())
        assert versions == [(out / "2026-11").resolve()]
        assert not list(out.glob(".*-2026-11-*"))
        shown_data, other = other, shown_data

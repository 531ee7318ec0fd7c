"""`auditkit check` and `auditkit report` stopped by SIGTERM, SIGINT or SIGKILL mid-run.

Each run is a child process that pauses itself at an exact point (tests/stopping.py)
and is then signalled there: as a phase starts, after the first table is written into
staging (mid-write), inside the swap that publishes the new set, or between two cells
of the real report notebook, its kernel up. Stopped by SIGTERM or SIGINT it cleans up, prints one
line (no traceback) and exits with 128 + the signal; killed outright, it leaves the
previous output complete, and the next run tidies what is left. Either way the outputs
are all old or all new, and which one is known: the point is exact.

Where the rest is covered: a report run stopped (SIGTERM, SIGKILL) as each of its six
phases starts, with a relative --out, is tests/report/test_runner_out.py; a publish
killed at every file operation it makes, and a SIGTERM held during its renames, are
tests/report/test_publish.py. Here the report runs with the real compliance notebook
only where the kernel is stopped mid-notebook; its other runs use the one-cell
tests/notebooks/tiny_report.ipynb.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
from pathlib import Path

import pytest
from stopping import stop_zygote, stopped

import auditkit.demo as demo
from auditkit import cli
from auditkit.report import runner
from auditkit.report.settings import ReportSettings

pytestmark = pytest.mark.slow

TINY = Path(__file__).parents[1] / "notebooks" / "tiny_report.ipynb"
# Enough requests that two seeds judge differently; the pauses make size irrelevant to timing.
REQUESTS = 2_000

# Points in `auditkit check` (see `run_check` and auditkit.io.output):
CHECK_PHASES = ("load", "validate", "evaluate", "tabulate", "write")
MID_WRITE = {"after": "auditkit.io.output:OutputFolder.write"}  # one table is in staging
# Before the rename of .auditkit/current, inside the uninterrupted swap: the version is in
# place and the links made; the nth call is that swap (a fresh OUT links its 3 names first).
SWAP = {"before": "auditkit.io.output:replace_with_symlink"}
SWAP_IN_FRESH_OUT = {**SWAP, "nth": 4}


@pytest.fixture(scope="module", autouse=True)
def zygote_of_this_module():
    """The stopped runs' zygote (tests/stopping.py) ends with the module that used it."""
    yield
    stop_zygote()


def digest(folder: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
        if path.is_file()
    }


def results_of(out: Path) -> tuple[str, dict[str, str]]:
    """(sha256 of the requests.csv the manifest names, digests of results and verdicts)."""
    manifest = json.loads((out / "manifest.json").read_text())
    files = {name: sha for name, sha in digest(out).items() if name != "manifest.json"}
    return manifest["inputs"]["requests"]["sha256"], files


def requests_sha(data: Path) -> str:
    return hashlib.sha256((data / "requests.csv").read_bytes()).hexdigest()


def staging_left(out: Path) -> list[Path]:
    return list(out.glob(".auditkit/versions/.staging-*"))


@pytest.fixture(scope="module")
def two_data_sets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("signals")
    first = demo.write(demo.generate(requests=REQUESTS, seed=1), base / "first")["accounts"]
    second = demo.write(demo.generate(requests=REQUESTS, seed=2), base / "second")["accounts"]
    return first.parent, second.parent


def check_argv(out: Path, data: Path) -> list[str]:
    return ["check", "--as-of", "2026-11-01", "--out", str(out), "--data", str(data)]


def check(out: Path, data: Path) -> None:
    """A complete check (in this process: nothing stops it)."""
    assert cli.main(check_argv(out, data)) == 0


@pytest.fixture(scope="module")
def complete(two_data_sets: tuple[Path, Path], tmp_path_factory) -> dict[str, Path]:
    """An OUT holding a complete check of each data set, by the sha256 of its requests.csv
    (copied by the tests that need a previous run; its digests are what a complete run writes)."""
    base = tmp_path_factory.mktemp("complete")
    found = {}
    for data in two_data_sets:
        check(base / data.name, data)
        found[requests_sha(data)] = base / data.name
    assert len({str(results_of(out)[1]) for out in found.values()}) == 2, "the same results twice"
    return found


@pytest.fixture(scope="module")
def written(complete: dict[str, Path]) -> dict[str, dict[str, str]]:
    """What a complete check writes for each data set, by the sha256 of its requests.csv."""
    return {key: results_of(out)[1] for key, out in complete.items()}


def previous_run(complete: dict[str, Path], data: Path, out: Path) -> Path:
    """`out`, holding what a complete check of `data` left."""
    shutil.copytree(complete[requests_sha(data)], out, symlinks=True)
    return out


def shows(out: Path, written: dict[str, dict[str, str]]) -> str:
    """The sha256 of the requests.csv of the complete set `out` shows; fails on a mixed set."""
    key, files = results_of(out)
    assert written[key] == files, "results, verdicts and manifest of different runs"
    return key


def one_version(out: Path) -> None:
    home = out / ".auditkit"
    assert [p.name for p in (home / "versions").iterdir()] == [(home / "current").resolve().name]


def stopped_line(run, signum: int) -> str:
    """The one line a run stopped by `signum` says (no traceback), with its exit status."""
    assert run.status == 128 + signum, run.err
    assert "Traceback" not in run.err, run.err
    (line,) = run.messages
    assert line.startswith(f"auditkit: stopped by {signal.Signals(signum).name}; "), line
    return line


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("point", ["validate", "mid-write", "swap"])
def test_check_stopped_mid_run_cleans_up_and_keeps_old_or_new_results(
    two_data_sets: tuple[Path, Path],
    complete: dict[str, Path],
    written: dict[str, dict[str, str]],
    tmp_path: Path,
    signum: int,
    point: str,
):
    first, second = two_data_sets
    out = previous_run(complete, first, tmp_path / "out")
    where = {"validate": {"phase": "validate"}, "mid-write": MID_WRITE, "swap": SWAP}[point]
    run = stopped(check_argv(out, second), signum, **where)
    line = stopped_line(run, signum)
    assert not staging_left(out)
    if point == "swap":  # the signal waits for the swap: the new set, all of it
        assert shows(out, written) == requests_sha(second)
        assert f"the new results in {out} were all in place" in line, line
    else:
        assert shows(out, written) == requests_sha(first)
        assert line.endswith("no output was replaced"), line


# After the swap: tidying the old version away, then back in run_check once published.
AFTER_SWAP = {
    "tidy": {"before": "auditkit.io.output:tidy", "nth": 2},
    "published": {"after": "auditkit.io.output:OutputFolder.publish"},
}


@pytest.mark.parametrize("point", list(AFTER_SWAP))
def test_check_stopped_after_the_swap_says_the_new_results_are_in_place(
    two_data_sets: tuple[Path, Path],
    complete: dict[str, Path],
    written: dict[str, dict[str, str]],
    tmp_path: Path,
    point: str,
):
    """Once the new set is in place, a stop must not say "no output was replaced"."""
    first, second = two_data_sets
    out = previous_run(complete, first, tmp_path / "out")
    run = stopped(check_argv(out, second), signal.SIGTERM, **AFTER_SWAP[point])
    line = stopped_line(run, signal.SIGTERM)
    assert shows(out, written) == requests_sha(second)
    assert f"the new results in {out} were all in place" in line, line


@pytest.mark.parametrize("point", ["mid-write", "swap"])
def test_check_killed_while_writing_leaves_what_the_next_run_removes(
    two_data_sets: tuple[Path, Path],
    complete: dict[str, Path],
    written: dict[str, dict[str, str]],
    tmp_path: Path,
    point: str,
):
    first, second = two_data_sets
    out = previous_run(complete, first, tmp_path / "out")
    run = stopped(
        check_argv(out, second), signal.SIGKILL, **{"mid-write": MID_WRITE, "swap": SWAP}[point]
    )
    assert run.status == -signal.SIGKILL, run.err
    assert shows(out, written) == requests_sha(first)
    if point == "mid-write":  # a staging folder holding a table
        (staging,) = staging_left(out)
        assert [p for p in staging.iterdir() if p.is_file()], "nothing was written yet"
    else:  # the new version, complete but not shown
        assert not staging_left(out)
        assert len(list((out / ".auditkit" / "versions").iterdir())) == 2
    check(out, first)
    assert not staging_left(out)
    assert shows(out, written) == requests_sha(first)
    one_version(out)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_check_stopped_in_any_phase_shows_the_old_or_the_new_complete_set(
    two_data_sets: tuple[Path, Path],
    written: dict[str, dict[str, str]],
    tmp_path: Path,
    signum: int,
):
    """A fresh OUT stopped in the swap shows nothing or all; a later run stopped as any
    phase starts keeps the set shown, and the next complete run shows its own."""
    first, second = two_data_sets
    out = tmp_path / "out"
    run = stopped(check_argv(out, first), signum, **SWAP_IN_FRESH_OUT)
    if signum == signal.SIGTERM:  # held until the set was in place
        assert f"the new results in {out} were all in place" in stopped_line(run, signum)
        assert shows(out, written) == requests_sha(first)
    else:  # killed before the first set was shown: its links lead nowhere yet
        assert run.status == -signal.SIGKILL, run.err
        assert not (out / "manifest.json").exists()
        assert not [p for p in out.iterdir() if p.exists() and not p.name.startswith(".")]
    check(out, first)
    for phase in CHECK_PHASES:  # runs of the other data set: a change would show
        run = stopped(check_argv(out, second), signum, phase=phase)
        assert shows(out, written) == requests_sha(first), f"not the last set after {phase}"
        if signum == signal.SIGTERM:
            assert stopped_line(run, signum).endswith("no output was replaced")
        else:
            assert run.status == -signal.SIGKILL, run.err
    check(out, second)
    assert shows(out, written) == requests_sha(second)
    assert not staging_left(out)
    one_version(out)


# ---- report ------------------------------------------------------------------------

PERIOD = "2026-11"


@pytest.fixture(scope="module")
def small_periods(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("report-signals")
    old = demo.write(demo.generate(requests=200, seed=1), base / "old")["accounts"].parent
    new = demo.write(demo.generate(requests=200, seed=2), base / "new")["accounts"].parent
    return old, new


@pytest.fixture(scope="module")
def published(small_periods: tuple[Path, Path], tmp_path_factory) -> Path:
    """A reports folder showing the old data's report of PERIOD (copied by each test)."""
    out = tmp_path_factory.mktemp("published") / "reports"
    run = runner.run_report(ReportSettings(small_periods[0], PERIOD, out, notebook=TINY))
    assert run.manifest["status"] == "succeeded"
    return out


def report_argv(data: Path, out: Path, *extra: str) -> list[str]:
    return ["report", "--data", str(data), "--period", PERIOD, "--out", str(out), *extra]


def shown_inputs(out: Path) -> str:
    """The sha256 of requests.csv judged by the report the period shows (it must be complete)."""
    folder = out / PERIOD
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert (folder / "report.html").is_file() and (folder / "verdicts.csv").is_file()
    return manifest["inputs"]["requests"]["sha256"]


def tidy(out: Path) -> None:
    """One version, shown; no staging folder, nothing an older auditkit left beside it."""
    versions = list((out / ".versions" / PERIOD).iterdir())
    assert versions == [(out / PERIOD).resolve()]
    assert not list(out.glob(".*-2026-11-*"))


# The real notebook's cells are: markdown, parameters, papermill's injected parameters,
# the import cell that loads the run, then one cell per section: stopped before the 9th
# starts, the kernel is up and has rendered four sections.
MID_NOTEBOOK = {"before": "papermill.engines:NotebookExecutionManager.cell_start", "nth": 9}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_report_stopped_while_the_notebook_runs_keeps_the_old_report(
    small_periods: tuple[Path, Path], published: Path, tmp_path: Path, signum: int
):
    old, new = small_periods
    out = shutil.copytree(published, tmp_path / "reports", symlinks=True)
    run = stopped(report_argv(new, out), signum, **MID_NOTEBOOK)  # the real notebook
    assert shown_inputs(out) == requests_sha(old), run.err
    if signum == signal.SIGTERM:
        line = stopped_line(run, signum)
        assert f"the report of {PERIOD} at {out / PERIOD} is unchanged" in line, line
        (record,) = (out / PERIOD).glob("failed-*")
        assert f"the failed run is kept in {record}" in line, line
        assert json.loads((record / "manifest.json").read_text())["status"] == "failed"
        assert (record / "report.ipynb").is_file(), "the notebook had not started"
        tidy(out)
    else:
        assert run.status == -signal.SIGKILL, run.err
        (staging,) = (out / ".versions" / PERIOD).glob(".staging-*")
        assert (staging / "report.ipynb").is_file(), "the notebook had not started"
    # The next run tidies whatever was left, and publishes.
    assert cli.main(report_argv(new, out, "--notebook", str(TINY))) == 0
    assert shown_inputs(out) == requests_sha(new)
    tidy(out)
    if signum == signal.SIGTERM:
        assert (out / PERIOD / record.name).is_dir(), "the failure record was not carried over"


def test_report_stopped_after_it_published_shows_the_new_report_and_says_so(
    small_periods: tuple[Path, Path], published: Path, tmp_path: Path
):
    new = small_periods[1]
    out = shutil.copytree(published, tmp_path / "reports", symlinks=True)
    argv = report_argv(new, out, "--notebook", str(TINY))
    run = stopped(argv, signal.SIGTERM, after="auditkit.report.runner:publish")
    line = stopped_line(run, signal.SIGTERM)
    assert f"the new report was published at {out / PERIOD}" in line, line
    assert shown_inputs(out) == requests_sha(new)
    assert not list((out / PERIOD).glob("failed-*"))
    tidy(out)

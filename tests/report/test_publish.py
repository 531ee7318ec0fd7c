"""Publishing a report never leaves `<out>/<period>/` without a complete report.

The period path is a link to a version folder, replaced in one rename. Each test
below kills (SIGKILL, in a child process) or breaks a publish at every rename it
makes, and checks that the period shows the old or the new report, complete,
then that `recover` leaves one version, the failure records and no leftovers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from auditkit.report import index, publish
from auditkit.report.index import render_index, write_index
from auditkit.report.store import failure_records, period_folders

PERIOD = "2026-11"


def report_folder(folder: Path, text: str, status: str = "succeeded") -> Path:
    """A report folder as the runner leaves it: report.html, verdicts.csv, manifest.json."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.html").write_text(text)
    (folder / "verdicts.csv").write_text("request_id,member_uin,verdict,failed_rules\n")
    summary = {"requests": 1, "eligible": 1, "ineligible": 0, "unknown": 0, "share_eligible": 1.0}
    manifest = {"status": status, "as_of": "2026-11-01", "summary": summary}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def published(out: Path, text: str = "old", records: tuple[str, ...] = ()) -> Path:
    """`out/PERIOD` showing a published report whose text is `text`, with failure records."""
    staging = report_folder(publish.new_staging(out, PERIOD), text)
    version = publish.publish(staging, out / PERIOD).version
    for name in records:
        (version / name).mkdir()
        (version / name / "manifest.json").write_text('{"status": "failed"}')
    return out / PERIOD


def shown(out: Path) -> str:
    """The report the period shows; fails unless it is complete."""
    folder = out / PERIOD
    assert (folder / "manifest.json").is_file(), f"{folder} shows no complete report"
    assert json.loads((folder / "manifest.json").read_text())["status"] == "succeeded"
    assert (folder / "verdicts.csv").is_file()
    return (folder / "report.html").read_text()


def assert_tidy(out: Path, text: str, records: tuple[str, ...]) -> None:
    """One version, shown by a link, holding the records; nothing else left behind.

    A folder written before versions stays a real folder until a publish replaces it.
    """
    assert shown(out) == text
    versions = list(publish.versions_of(out, PERIOD).iterdir())
    if (out / PERIOD).is_symlink():
        assert versions == [(out / PERIOD).resolve()]
    else:
        assert versions == [] and text == "old"
    assert sorted(p.name for p in (out / PERIOD).glob("failed-*")) == sorted(records)
    assert sorted(p.name for p in out.iterdir()) == sorted([".versions", PERIOD, "index.html"])


def test_publish_replaces_the_period_and_carries_failure_records_over(tmp_path: Path):
    target = published(tmp_path, "old", records=("failed-20261101T000000Z",))
    staging = report_folder(publish.new_staging(tmp_path, PERIOD), "new")
    publish.publish(staging, target)
    assert (target / "report.html").read_text() == "new"
    assert (target / "failed-20261101T000000Z").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".versions", PERIOD]
    assert len(list(publish.versions_of(tmp_path, PERIOD).iterdir())) == 1
    assert os.readlink(target).startswith(".versions/2026-11/")  # relative: the folder can move


def test_readers_find_the_period_its_manifest_records_and_links(tmp_path: Path):
    published(tmp_path, "old", records=("failed-20261101T000000Z",))
    assert list(period_folders(tmp_path)) == [PERIOD]
    assert [r["record"] for r in failure_records(tmp_path)] == [f"{PERIOD}/failed-20261101T000000Z"]
    page = render_index(tmp_path)
    assert f'href="{PERIOD}/report.html"' in page
    assert f"{PERIOD}/failed-20261101T000000Z" in page


def test_a_first_failed_run_is_kept_and_shows_no_report(tmp_path: Path):
    staging = publish.new_staging(tmp_path, PERIOD)
    (staging / "manifest.json").write_text('{"status": "failed"}')
    record = publish.keep_failure(staging, tmp_path / PERIOD)
    assert record.parent == tmp_path / PERIOD and record.is_dir()
    assert period_folders(tmp_path) == {}
    assert len(failure_records(tmp_path)) == 1
    # The next good run replaces it and keeps the record.
    staging = report_folder(publish.new_staging(tmp_path, PERIOD), "new")
    publish.publish(staging, tmp_path / PERIOD)
    assert shown(tmp_path) == "new" and (tmp_path / PERIOD / record.name).is_dir()


# ---- killed at every step ----------------------------------------------------------

# One child interpreter (single-threaded, so it may fork) imports publish once, then forks
# a grandchild per step that publishes and SIGKILLs itself at file operation `step`, and
# prints how each grandchild ended; a fresh interpreter per step cost a second or more.
KILLER = """
import os, shutil, signal, sys
from pathlib import Path
from auditkit.report import publish

exchange, steps = sys.argv[1], sys.argv[2:]
if exchange == "no-exchange":
    import auditkit.io.write as write
    write.exchange = lambda first, second: False

def killing(function, step, calls):
    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == step:
            os.kill(os.getpid(), signal.SIGKILL)
        return function(*args, **kwargs)
    return wrapper

for step, (staging, target) in enumerate(zip(steps[::2], steps[1::2]), start=1):
    pid = os.fork()
    if pid == 0:
        try:
            calls = [0]
            for name in ("replace", "rename", "symlink", "rmdir", "unlink"):
                setattr(os, name, killing(getattr(os, name), step, calls))
            shutil.rmtree = killing(shutil.rmtree, step, calls)
            publish.publish(Path(staging), Path(target))
        except BaseException as error:
            print(f"step {step}: {error!r}", file=sys.stderr, flush=True)
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    ended = os.waitstatus_to_exitcode(status)
    print(ended, flush=True)
    if ended != -signal.SIGKILL:
        break
"""


def publish_killed_at_each_step(runs: list[tuple[Path, Path]], exchange: str) -> list[bool]:
    """Publish each (staging, target) of `runs` in turn, killed (SIGKILL) at file operation
    1, 2, ... of its own publish, until one finishes; for each run made, True if it finished."""
    run = subprocess.run(
        [sys.executable, "-c", KILLER, exchange, *(str(p) for pair in runs for p in pair)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    ended = [int(line) for line in run.stdout.split()]
    assert set(ended) <= {0, -9}, run.stderr
    return [status == 0 for status in ended]


def old_layout(out: Path) -> Path:
    """A period folder as auditkit wrote it before versions: a real directory."""
    target = report_folder(out / PERIOD, "old")
    (target / "failed-20261001T000000Z").mkdir()
    return target


@pytest.mark.parametrize(
    ("layout", "exchange"),
    [("versions", "exchange"), ("old-folder", "exchange"), ("old-folder", "no-exchange")],
)
def test_a_publish_killed_at_any_step_leaves_old_or_new_and_recovers(
    tmp_path: Path, layout: str, exchange: str, monkeypatch: pytest.MonkeyPatch
):
    # The index is rebuilt after each recovery to see that it links the period; its trend
    # chart (matplotlib, a fifth of a second a page) is not what is tested here.
    monkeypatch.setattr(index, "trend_chart", lambda periods, failures: None)
    monkeypatch.setattr(index, "image", lambda figure, alt: f'<img alt="{alt}">')
    records = ("failed-20261001T000000Z",)
    runs = []
    for step in range(1, 30):
        out = tmp_path / f"step-{step}"
        if layout == "versions":
            published(out, "old", records=records)
        else:
            old_layout(out)
        runs.append((report_folder(publish.new_staging(out, PERIOD), "new"), out / PERIOD))
    finished = publish_killed_at_each_step(runs, exchange)
    assert finished[-1], "publish never finished"
    for step, done in enumerate(finished, start=1):
        out = tmp_path / f"step-{step}"
        if layout == "old-folder" and exchange == "no-exchange" and not (out / PERIOD).exists():
            # Without renameat2 the one-time move of an old folder into versions takes two
            # renames; a kill between them leaves the period missing until the next run.
            pass
        else:
            assert shown(out) in ("old", "new"), f"step {step}"
        with publish.period_lock(out, PERIOD):
            publish.recover(out, PERIOD)
        write_index(out)
        assert_tidy(out, shown(out), records)
        assert f'href="{PERIOD}/report.html"' in (out / "index.html").read_text()
        if done:
            assert shown(out) == "new"


def test_recovery_shows_a_report_the_old_swap_hid_in_replaced(tmp_path: Path):
    # What the two-rename swap before versions left after a kill between its renames:
    # the old report in .replaced-*, the period holding only a failure record.
    report_folder(tmp_path / f".replaced-{PERIOD}-20261125T101500000000Z", "old")
    (tmp_path / PERIOD / "failed-20261125T101600000000Z").mkdir(parents=True)
    (tmp_path / f".staging-{PERIOD}-abc").mkdir()
    done = publish.recover(tmp_path, PERIOD)
    assert any("took back" in line for line in done)
    write_index(tmp_path)
    assert_tidy(tmp_path, "old", ("failed-20261125T101600000000Z",))


def test_stale_staging_and_index_temporaries_are_cleaned(tmp_path: Path):
    published(tmp_path, "old")
    stale = publish.new_staging(tmp_path, PERIOD)
    (stale / "results.parquet").write_bytes(b"x" * 10)
    (tmp_path / ".index.html-abc.tmp").write_text("half")
    publish.recover(tmp_path, PERIOD)
    write_index(tmp_path)
    assert not stale.exists()
    assert_tidy(tmp_path, "old", ())


def test_the_signal_handler_is_deferred_during_the_swap(tmp_path: Path):
    # A SIGTERM during the renames takes effect right after them, not between them.
    script = textwrap.dedent(
        """
        import os, signal, sys
        from pathlib import Path
        from auditkit.interrupts import Stopped, stop_on_signals
        from auditkit.report import publish
        real = os.replace
        def replace(*args):
            os.kill(os.getpid(), signal.SIGTERM)  # arrives during the first rename
            return real(*args)
        os.replace = replace
        try:
            with stop_on_signals():
                publish.publish(Path(sys.argv[1]), Path(sys.argv[2]))
        except Stopped as error:
            print(error, "|", "; ".join(error.__notes__))
        """
    )
    published(tmp_path, "old")
    staging = report_folder(publish.new_staging(tmp_path, PERIOD), "new")
    run = subprocess.run(
        [sys.executable, "-c", script, str(staging), str(tmp_path / PERIOD)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.stdout.startswith("stopped by SIGTERM | the new report was published at"), run
    assert shown(tmp_path) == "new"


# ---- superseding a signed report -----------------------------------------------------


def test_superseding_keeps_the_signed_report_inside_the_new_version(tmp_path: Path):
    target = published(tmp_path, "signed", records=("failed-20261101T000000Z",))
    (target / "signoffs.json").write_text('{"signoffs": []}')
    staging = report_folder(publish.new_staging(tmp_path, PERIOD), "new")
    publish.publish(staging, target, keep_as="superseded-20261201T000000Z")
    assert shown(tmp_path) == "new"
    kept = target / "superseded-20261201T000000Z"
    assert (kept / "report.html").read_text() == "signed" and (kept / "signoffs.json").is_file()
    assert (target / "failed-20261101T000000Z").is_dir()  # records still move to the new version
    # A later ordinary run carries the superseded report over too.
    staging = report_folder(publish.new_staging(tmp_path, PERIOD), "newer")
    publish.publish(staging, target)
    assert (target / "superseded-20261201T000000Z" / "report.html").read_text() == "signed"
    assert len(list(publish.versions_of(tmp_path, PERIOD).iterdir())) == 1


def test_recovery_never_drops_a_signed_report_left_aside(tmp_path: Path):
    """Killed between showing the new version and moving the signed one into it."""
    target = published(tmp_path, "signed")
    signed = target.resolve()
    (signed / "signoffs.json").write_text('{"signoffs": []}')
    newer = report_folder(publish.versions_of(tmp_path, PERIOD) / "20261202T000000Z-abcdef", "new")
    os.remove(target)
    os.symlink(os.path.relpath(newer, tmp_path), target)
    done = publish.recover(tmp_path, PERIOD)
    assert shown(tmp_path) == "new"
    kept = target / f"superseded-{signed.name}"
    assert (kept / "report.html").read_text() == "signed"
    assert any("kept the signed report" in line for line in done)
    assert list(publish.versions_of(tmp_path, PERIOD).iterdir()) == [newer]

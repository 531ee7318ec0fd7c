"""Exports: one at a time and a quota per session, enforced in the kernel; failures in one line."""

from __future__ import annotations

import errno
import threading
from pathlib import Path

import pytest

import auditkit.demo as demo
from auditkit import Params
from auditkit.explore import findings as findings_module
from auditkit.explore.app import Explorer
from auditkit.explore.exports import ExportLimits, ExportRefused, SessionExports
from auditkit.explore.isolate import IsolatedError, run_isolated
from auditkit.vocab import EnvVar


@pytest.fixture
def explorer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Explorer:
    monkeypatch.setenv(EnvVar.EXPORT_FILES, "3")
    return Explorer(
        demo.tables(requests=60),
        Params(as_of=demo.DEFAULT_AS_OF),
        export_dir=tmp_path / "exports",
    )


def test_clicks_sent_past_a_disabled_button_stop_at_the_quota(explorer: Explorer, tmp_path):
    bar = explorer.findings.exports
    for _ in range(30):  # what 30 "click" messages over the widget comm do in the kernel
        bar.csv_button.click()
    assert len(list((tmp_path / "exports").iterdir())) == 3
    assert "this session has written 3 export(s)" in bar.message.value
    assert "at most 3" in bar.message.value


def test_the_byte_quota_counts_what_was_written(tmp_path: Path):
    exports = SessionExports(ExportLimits(files=100, bytes=10))

    def writer() -> tuple[Path, int]:
        path = tmp_path / f"f{exports.files}.csv"
        path.write_text("x" * 8)
        return path, 1

    exports.write(writer)
    exports.write(writer)  # 8 bytes so far: still under 10
    with pytest.raises(ExportRefused, match=r"written 2 export\(s\)"):
        exports.write(writer)
    assert exports.files == 2


def test_one_export_at_a_time(tmp_path: Path):
    exports, started, release = SessionExports(), threading.Event(), threading.Event()

    def slow() -> tuple[Path, int]:
        started.set()
        release.wait(10)
        (tmp_path / "a.csv").write_text("a")
        return tmp_path / "a.csv", 1

    first = threading.Thread(target=exports.write, args=(slow,))
    first.start()
    assert started.wait(10)
    with pytest.raises(ExportRefused, match="being written already"):
        exports.write(slow)
    release.set()
    first.join()
    assert exports.files == 1


def test_a_full_disk_is_one_line_on_the_page(explorer: Explorer, monkeypatch):
    def full(*_args: object) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device", "/srv/internal/exports/x.csv")

    monkeypatch.setattr(findings_module, "write_export", full)
    bar = explorer.findings.exports
    bar.csv_button.click()
    shown = bar.message.value
    assert "the export could not be written: No space left on device" in shown
    assert "/srv/internal" not in shown and "Traceback" not in shown


def _disk_full(_progress: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", "/srv/internal/exports/x.csv")


def test_a_worker_that_fails_says_why_in_one_line_without_paths():
    with pytest.raises(IsolatedError) as failed:
        run_isolated(_disk_full)
    assert str(failed.value) == "No space left on device"
    exports = SessionExports()
    with pytest.raises(ExportRefused) as refused:
        exports.write(lambda: run_isolated(_disk_full))
    assert str(refused.value) == "the export could not be written: No space left on device"

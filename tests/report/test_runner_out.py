"""The report a period shows survives every re-run, whatever form `--out` takes.

`--out` relative (`reports`, the README's own), `./r`, through a symbolically
linked folder, or absolute: a failed re-run (a notebook that raises, a full
disk), a run stopped by SIGTERM or killed by SIGKILL at each of its phases, and
a successful re-run all leave `<out>/<period>/report.html` in place, and the
messages name folders that exist. A sign-off during a run cannot lose the
signed report. Most runs use a one-cell notebook (tests/notebooks/tiny_report.ipynb)
so that the kernel's start is the only cost.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest
from stopping import completed, stop_zygote, stopped

import auditkit.demo as demo
from auditkit import cli
from auditkit.cli.common import EXIT_FAILURE, EXIT_INPUT
from auditkit.errors import ReportError
from auditkit.io.manifest import sha256_file
from auditkit.report import publish, runner
from auditkit.report.settings import ReportSettings
from auditkit.report.signoff import SIGNOFFS, sign_off
from auditkit.review.register import Register
from auditkit.vocab import SignoffRole

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
TINY = NOTEBOOKS / "tiny_report.ipynb"
BROKEN = NOTEBOOKS / "broken_report.ipynb"
PERIOD = "2026-11"
AS_OF = "2026-12-01"


@pytest.fixture(scope="module", autouse=True)
def zygote_of_this_module():
    """The stopped runs' zygote (tests/stopping.py) ends with the module that used it."""
    yield
    stop_zygote()


@pytest.fixture(scope="module")
def extracts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two small extracts of November (different seeds: two different reports)."""
    base = tmp_path_factory.mktemp("extracts")
    first = demo.write(demo.generate(requests=150, seed=1), base / "first")["accounts"].parent
    second = demo.write(demo.generate(requests=150, seed=2), base / "second")["accounts"].parent
    return first, second


def argv(data: Path, out: str, *extra: str, notebook: Path = TINY) -> list[str]:
    return [
        "report",
        *("--data", str(data), "--period", PERIOD, "--as-of", AS_OF, "--out", out),
        *("--notebook", str(notebook)),
        *extra,
    ]


@pytest.fixture(scope="module")
def published(extracts: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reports folder showing the first extract's report of PERIOD (copied by each test)."""
    base = tmp_path_factory.mktemp("published")
    run = runner.run_report(
        ReportSettings(extracts[0], PERIOD, base / "reports", as_of=AS_OF, notebook=TINY)
    )
    assert run.manifest["status"] == "succeeded"
    return base / "reports"


def judged(folder: Path) -> str:
    """The sha256 of requests judged by the complete report `folder` shows."""
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "succeeded", folder
    assert (folder / "report.html").is_file() and (folder / "verdicts.csv").is_file()
    return manifest["inputs"]["requests"]["sha256"]


def requests_sha(data: Path) -> str:
    return hashlib.sha256((data / "requests.csv").read_bytes()).hexdigest()


def out_forms(base: Path, published: Path) -> dict[str, Path]:
    """Each form of --out (as typed, relative to `base`) and the folder it names, holding a
    copy of `published`."""
    real = base / "real"
    real.mkdir()
    (base / "link").symlink_to(real, target_is_directory=True)
    forms = {
        "reports": base / "reports",
        "./r": base / "r",
        "link/reports": real / "reports",
        str(base / "absolute"): base / "absolute",
    }
    for folder in forms.values():
        shutil.copytree(published, folder, symlinks=True)
    return forms


FORMS = ["reports", "./r", "link/reports", "absolute"]


def form_of(name: str, base: Path) -> str:
    return str(base / "absolute") if name == "absolute" else name


@pytest.mark.parametrize("form", FORMS)
def test_a_notebook_that_raises_keeps_the_served_report_whatever_form_out_takes(
    form: str,
    extracts: tuple[Path, Path],
    published: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.chdir(tmp_path)
    out = form_of(form, tmp_path)
    folder = out_forms(tmp_path, published)[out]
    before = judged(folder / PERIOD)
    page = (folder / PERIOD / "report.html").read_bytes()
    status = cli.main(argv(extracts[1], out, notebook=BROKEN))
    assert status == EXIT_FAILURE
    err = capsys.readouterr().err
    assert "ValueError: deliberately broken report" in err
    # The message says what was kept, where, by paths that exist as written.
    said = re.search(r"the failed run is kept in (\S+)", err)
    assert f"The report of {PERIOD} at {Path(out) / PERIOD} is unchanged" in err, err
    assert said and Path(said.group(1)).is_dir() and "/failed-" in said.group(1), err
    assert judged(folder / PERIOD) == before
    assert (folder / PERIOD / "report.html").read_bytes() == page
    assert [p.name for p in (folder / PERIOD).glob("failed-*")] == [Path(said.group(1)).name]
    versions = [p for p in (folder / ".versions" / PERIOD).iterdir()]
    assert versions == [(folder / PERIOD).resolve()]
    # The next good run, by the same form, publishes and keeps the record.
    assert cli.main(argv(extracts[1], out)) == 0
    assert judged(folder / PERIOD) == requests_sha(extracts[1])
    assert [p.name for p in (folder / PERIOD).glob("failed-*")] == [Path(said.group(1)).name]
    assert not list((folder / ".versions" / PERIOD).glob(".staging-*"))


def test_supersede_with_a_relative_out_names_the_folder_it_kept(
    extracts: tuple[Path, Path],
    published: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(published, tmp_path / "reports", symlinks=True)
    signed = Path("reports") / PERIOD
    sha = sha256_file(signed / "manifest.json")
    who = {"role": "preparer", "signed_by": "Pat", "signed_at": "2026-12-02T10:00:00Z"}
    (signed / SIGNOFFS).write_text(json.dumps({"manifest_sha256": sha, "signoffs": [who]}))
    assert cli.main(argv(extracts[1], "reports")) == EXIT_INPUT
    assert "--supersede" in capsys.readouterr().err
    assert cli.main(argv(extracts[1], "reports", "--supersede")) == 0
    out, err = capsys.readouterr()
    kept = re.search(r"superseded: the signed report is kept in (\S+)/", out)
    assert kept, out
    assert sha256_file(Path(kept.group(1)) / "manifest.json") == sha
    assert (Path(kept.group(1)) / SIGNOFFS).is_file()
    assert "recovered" not in err
    assert judged(signed) == requests_sha(extracts[1])


def test_a_signed_report_is_never_removed_by_a_run_going_while_it_is_signed(
    extracts: tuple[Path, Path],
    published: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    """`review signoff` during a run is refused (the run holds the period's lock); a
    signature written anyway (by hand, or an older auditkit) keeps the signed report."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(published, tmp_path / "reports", symlinks=True)
    target = Path("reports") / PERIOD
    signed_sha = sha256_file(target / "manifest.json")
    register = Register.open(tmp_path / "review.db")
    refused: list[str] = []
    execute_notebook = runner.execute_notebook

    def sign_during_the_run(plan, staging, **kernel):
        try:
            sign_off(register, Path("reports"), PERIOD, SignoffRole.PREPARER, "Pat")
        except publish.ReportInProgress as error:
            refused.append(str(error))
        (target / SIGNOFFS).write_text(json.dumps({"manifest_sha256": signed_sha}))
        return execute_notebook(plan, staging, **kernel)

    monkeypatch.setattr(runner, "execute_notebook", sign_during_the_run)
    run = runner.run_report(
        ReportSettings(extracts[1], PERIOD, Path("reports"), as_of=AS_OF, notebook=TINY)
    )
    register.close()
    assert refused and "is being made" in refused[0] and "sign off once" in refused[0]
    assert run.superseded is not None and run.superseded.is_dir()
    assert sha256_file(run.superseded / "manifest.json") == signed_sha
    assert judged(target) == requests_sha(extracts[1])


def test_sign_off_is_refused_while_a_run_holds_the_period(published: Path, tmp_path: Path):
    shutil.copytree(published, tmp_path / "reports", symlinks=True)
    register = Register.open(tmp_path / "review.db")
    try:
        with (
            publish.period_lock(tmp_path / "reports", PERIOD),
            pytest.raises(publish.ReportInProgress, match="is being made"),
        ):
            sign_off(register, tmp_path / "reports", PERIOD, SignoffRole.PREPARER, "Rae")
        assert len(register.signoffs(PERIOD)) == 0
        sign_off(
            register, tmp_path / "reports", PERIOD, SignoffRole.PREPARER, "Rae"
        )  # after the run
        assert len(register.signoffs(PERIOD)) == 1
    finally:
        register.close()


def test_a_full_disk_leaves_no_staging_and_says_what_happened(
    extracts: tuple[Path, Path],
    published: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(published, tmp_path / "reports", symlinks=True)
    before = judged(Path("reports") / PERIOD)
    write_json = runner.write_json

    def full(path, document):
        if Path(path).parent.name.startswith(publish.STAGING_PREFIX):
            Path(path).write_bytes(b"{")  # half written, then the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return write_json(path, document)

    monkeypatch.setattr(runner, "write_json", full)
    with pytest.raises(ReportError) as caught:
        runner.run_report(ReportSettings(extracts[1], PERIOD, Path("reports"), as_of=AS_OF))
    message = str(caught.value)
    assert "No space left on device" in message
    assert "could not be kept (No space left on device) and was removed" in message
    assert f"The report of {PERIOD} at reports/{PERIOD} is unchanged" in message
    assert not list(Path("reports/.versions", PERIOD).glob(".staging-*"))
    assert judged(Path("reports") / PERIOD) == before
    monkeypatch.setattr(runner, "write_json", write_json)
    assert publish.recover(Path("reports"), PERIOD) == []  # nothing "left by a killed run"


# ---- stopped at every phase, with the README's relative --out ---------------------------

PHASES = ("load", "evaluate", "run notebook", "export", "workpaper", "publish")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_run_stopped_at_any_phase_with_a_relative_out_keeps_the_served_report(
    signum: int,
    extracts: tuple[Path, Path],
    published: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    shutil.copytree(published, tmp_path / "reports", symlinks=True)
    old, new = requests_sha(extracts[0]), requests_sha(extracts[1])
    target = tmp_path / "reports" / PERIOD
    for phase in PHASES:
        # The run pauses itself as it announces the phase and gets the signal there.
        run = stopped(argv(extracts[1], "reports"), signum, phase=phase, cwd=tmp_path)
        status, err = run.status, run.err
        shown = judged(target)
        # Stopped as each phase starts (publish included), the period still shows the old one.
        assert shown == old, (phase, err)
        if signum == signal.SIGKILL:
            assert status == -signal.SIGKILL, err
        else:
            assert status == 143, err
            assert len(run.messages) == 1, err
            (line,) = run.messages
            assert line.startswith("auditkit: stopped by SIGTERM; "), line
            kept = re.search(r"the failed run is kept in (\S+)", line)
            if phase != "load":  # stopped before anything was written: nothing to keep
                assert kept and (tmp_path / kept.group(1)).is_dir(), line
                assert f"the report of {PERIOD} at reports/{PERIOD} is unchanged" in line
        # What the next run does first, with the same relative --out:
        monkeypatch.chdir(tmp_path)
        with publish.period_lock(Path("reports"), PERIOD):
            publish.recover(Path("reports"), PERIOD)
        assert judged(target) == shown
        assert list((tmp_path / "reports/.versions" / PERIOD).iterdir()) == [target.resolve()]
    assert cli.main(argv(extracts[1], "reports")) == 0  # in tmp_path, as the runs above
    assert judged(target) == new


def test_report_html_is_never_missing_while_a_run_replaces_it(
    extracts: tuple[Path, Path], published: Path, tmp_path: Path
):
    shutil.copytree(published, tmp_path / "reports", symlinks=True)
    page = tmp_path / "reports" / PERIOD / "report.html"
    looks, missing, done = [0], [], threading.Event()

    def watch() -> None:
        while not done.is_set():
            looks[0] += 1
            try:
                with page.open("rb") as stream:
                    stream.read(1)
            except OSError as error:
                missing.append(f"{time.monotonic():.3f} {error}")
            time.sleep(0.002)  # the old bug left it missing for seconds; a swap takes none

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        run = completed(argv(extracts[1], "reports"), cwd=tmp_path)  # a process of its own
        assert run.status == 0, run.err
        assert judged(page.parent) == requests_sha(extracts[1])
    finally:
        done.set()
        watcher.join()
    assert looks[0] > 100
    assert missing == []

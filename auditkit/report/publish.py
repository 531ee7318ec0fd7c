"""Report versions: `<out>/<period>` is a symbolic link to `<out>/.versions/<period>/<version>/`.

A run builds its report in `.versions/<period>/.staging-*`, renames the finished
folder to a version and publishes it by renaming a new link over the period's
link: one atomic step, so `<out>/<period>/report.html` is always the old report
or the new one, never neither, whatever kills the run and when. The previous
version's failure records (`failed-<UTC timestamp>/`) move into the new one and
the previous version is removed, unless it was signed off: a signed version is
never removed, it moves into the new version as `superseded-<UTC timestamp>/`
(with `--supersede`, or if it was signed while the run was going), along with
any superseded before it. A killed run can leave pieces behind; `recover` puts
them right at the start of the next run of the period, which holds the period's
lock meanwhile (`period_lock`), so two runs of one period take turns, and a
sign-off waits for no run: it is refused while one holds the lock (`signing`).

Every function here takes `out` in any form (relative, `./r`, through a
symbolic link) and resolves it once: versions are compared by their real paths,
so the version being shown is never mistaken for a stale one.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from auditkit.errors import ParameterError
from auditkit.interrupts import uninterrupted
from auditkit.io.write import locked, replace_with_symlink, staging_folder, utc_stamp
from auditkit.report.store import (
    FAILED_PREFIX,
    SIGNOFFS,
    SUPERSEDED_PREFIX,
    check_period,
    read_manifest,
)
from auditkit.vocab import RunStatus

VERSIONS = ".versions"
STAGING_PREFIX = ".staging-"
T = TypeVar("T")


class ReportInProgress(ParameterError):
    """A report run of the period holds its lock, so its report may be about to change."""


def real(path: Path) -> Path:
    """`path` with symbolic links of its folders followed, its last part kept as it is."""
    path = Path(path).expanduser()
    return path.parent.resolve() / path.name


def versions_of(out: Path, period: str) -> Path:
    """The folder holding every version of `period`'s report."""
    return Path(out).expanduser().resolve() / VERSIONS / period


@contextlib.contextmanager
def period_lock(
    out: Path, period: str, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """One run of a period at a time: another run waits (`on_wait` says so) until this ends."""
    with locked(versions_of(out, period), on_wait):
        yield


@contextlib.contextmanager
def signing(out: Path, period: str) -> Iterator[None]:
    """Hold the period's lock while a report is signed off; refuse if a report run holds it.

    A run of the period may replace the report being signed at any moment until it
    ends, so the sign-off does not wait for it (it would sign another report than
    the one reviewed): it is refused, and can be given again once the run is over.
    A run that starts meanwhile waits for the sign-off, then sees the signature.
    """

    def refuse() -> None:
        raise ReportInProgress(
            f"a report of {period} is being made in {Path(out)} right now and may replace the "
            "report you reviewed; sign off once it has finished (check that the report you "
            "sign is the one you reviewed)"
        )

    with period_lock(out, period, refuse):
        yield


def holding_period_lock(sign: Callable[..., T]) -> Callable[..., T]:
    """Decorate a sign-off function to run `signing` its `reports` folder and `period`
    (arguments of those names), so no report run replaces the report while it is signed."""
    signature = inspect.signature(sign)

    @functools.wraps(sign)
    def holding(*args: object, **kwargs: object) -> T:
        named = signature.bind(*args, **kwargs).arguments
        with signing(Path(named["reports"]), check_period(str(named["period"]))):
            return sign(*args, **kwargs)

    return holding


def new_staging(out: Path, period: str) -> Path:
    """An empty folder where the next report of `period` is built."""
    return staging_folder(versions_of(out, period), STAGING_PREFIX)


def serving(target: Path) -> Path | None:
    """The folder `<out>/<period>` shows, by its real path: the version its link points to,
    or a real folder (written before versions); None when it shows nothing."""
    target = real(target)
    if target.is_symlink():
        resolved = target.resolve()
        return resolved if resolved.is_dir() else None
    return target if target.is_dir() else None


def signed(folder: Path) -> bool:
    """Whether `folder` holds a report that was signed off (`auditkit review signoff`)."""
    return (Path(folder) / SIGNOFFS).is_file()


def _link_to(version: Path, target: Path) -> str:
    return os.path.relpath(version, target.parent)


def _new_version(out: Path, period: str) -> Path:
    return versions_of(out, period) / f"{utc_stamp()}-{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Published:
    """Where a report was put, and the name a signed report it replaced was kept under."""

    version: Path
    kept: str | None = None  # `superseded-*` inside `version`, or None


def publish(
    staging: Path, target: Path, keep_as: str | None = None, shown: Path | None = None
) -> Published:
    """Make the finished report in `staging` the one `target` shows.

    The renames that put it in place run uninterrupted by SIGTERM/SIGINT. Failure
    records (and superseded reports) of the previous version are carried over,
    then that version is removed, or, with `keep_as` or if it was signed off,
    kept inside the new one (as `keep_as`, or `superseded-<its name>`). `shown`: the
    period's folder as the user named it, for the message of a signal held meanwhile.
    """
    shown = Path(shown or target)
    target = real(target)
    version = _new_version(target.parent, target.name)
    version.parent.mkdir(parents=True, exist_ok=True)
    with uninterrupted(done=f"the new report was published at {shown}"):
        previous = serving(target)
        os.replace(staging, version)
        aside = replace_with_symlink(target, _link_to(version, target))
    # The new report is in place: from here on nothing may undo it.
    old = aside if aside is not None else previous  # a real folder was moved aside
    kept = retire(old, version, keep_as) if old is not None else None
    return Published(version, kept)


def retire(old: Path, current: Path, keep_as: str | None = None) -> str | None:
    """Move `old`'s records into `current`, then remove `old` (kept if a move fails).

    With `keep_as`, `old` itself is kept as `current/keep_as` instead of removed; a
    signed report is always kept so (as `superseded-<its name>` without `keep_as`).
    The folder `current` is never retired into itself. Returns the name `old` was
    kept under, or None.
    """
    old, current = Path(old).resolve(), Path(current).resolve()
    if old == current:
        return None
    if keep_as is None and signed(old):
        keep_as = f"{SUPERSEDED_PREFIX}{old.name}"
    try:
        for prefix in (FAILED_PREFIX, SUPERSEDED_PREFIX):
            for record in sorted(old.glob(f"{prefix}*")):
                os.replace(record, current / record.name)
        if keep_as is not None:
            os.replace(old, current / keep_as)
            return keep_as
    except OSError:
        return None  # the next recovery tries again; nothing is lost
    shutil.rmtree(old, ignore_errors=True)
    return None


def keep_failure(staging: Path, target: Path) -> Path:
    """Keep a failed run as `<target>/failed-<timestamp>/`; the report shown stays as it was.

    Returns the record's path through `target`, as the caller named it.
    """
    shown, target = Path(target), real(target)
    home = serving(target)
    record_name = f"{FAILED_PREFIX}{utc_stamp()}"
    if home is None:  # no report of this period yet: a version holding only the record
        home = _new_version(target.parent, target.name)
        home.mkdir(parents=True)
        os.replace(staging, home / record_name)
        replace_with_symlink(target, _link_to(home, target))
    else:
        os.replace(staging, home / record_name)
    return shown / record_name


def _succeeded(folder: Path) -> bool:
    return read_manifest(folder).get("status") == RunStatus.SUCCEEDED


def recover(out: Path, period: str) -> list[str]:
    """Put right what a killed run of `period` left behind; return what was done, for the log.

    Call it holding `period_lock`. Staging folders of killed runs are removed; a
    version that was finished but never published is dropped (its run did not
    succeed), after its failure records, if any, join the version shown; a missing
    period link is pointed at the newest finished version. Leftovers of the folder
    swap auditkit used before versions (`.replaced-*`, top-level `.staging-*`) are
    recovered too: a report hidden in `.replaced-*` is shown again. A signed
    report found aside is kept inside the version shown as `superseded-*`.
    """
    out = Path(out).expanduser().resolve()
    target, versions = out / period, versions_of(out, period)
    versions.mkdir(parents=True, exist_ok=True)
    done: list[str] = []
    for stale in [*versions.glob(f"{STAGING_PREFIX}*"), *out.glob(f"{STAGING_PREFIX}{period}-*")]:
        shutil.rmtree(stale, ignore_errors=True)
        done.append(
            f"removed {stale.name}, left by an earlier run that ended without cleaning up "
            "(killed, or its machine stopped)"
        )
    leftovers = [*out.glob(f".link-{period}-*"), *out.glob(f".replaced-{period}-*")]
    for leftover in leftovers:
        if leftover.is_symlink():
            leftover.unlink()
        elif leftover.is_dir():  # a report folder moved aside by an interrupted swap
            os.replace(leftover, _new_version(out, period))
            done.append(f"took back {leftover.name}, moved aside by an interrupted swap")
    home = serving(target)
    others = sorted(v for v in versions.iterdir() if not v.name.startswith(".") and v != home)
    finished = [v for v in others if _succeeded(v)]
    if home is None or (not _succeeded(home) and not target.is_symlink() and finished):
        # Missing (killed mid-swap), or a pre-version folder holding only failure records
        # while its report sits aside: show the newest finished version.
        chosen = (finished or others or [None])[-1]
        if chosen is not None:
            aside = replace_with_symlink(target, _link_to(chosen, target))
            done.append(f"pointed {period} at {chosen.name}")
            others.remove(chosen)
            if aside is not None:
                others.append(aside)
            home = chosen
    if home is not None:
        for old in others:
            # A signed report is never dropped: a run killed while superseding it kept it here.
            kept = retire(old, home)
            if kept is not None and (home / kept).is_dir():
                done.append(f"kept the signed report {old.name} as {period}/{kept}")
    return done

"""The output folder of `auditkit check`: each run's files published in one swap.

A run writes results, verdicts and the manifest into a staging folder; the
finished folder becomes a version, and one rename of a link publishes it:

    OUT/results.csv   -> .auditkit/current/results.csv      (links made once)
    OUT/verdicts.csv  -> .auditkit/current/verdicts.csv
    OUT/manifest.json -> .auditkit/current/manifest.json
    OUT/.auditkit/current -> versions/<UTC stamp>-<random>   (replaced in one rename)

So `OUT/results.csv`, `OUT/verdicts.csv` and `OUT/manifest.json` (or the
Dask engine's folders of parts) always show one complete run, the old one
or the new one, whatever stops a run and when. A folder written by an earlier
auditkit (plain files) is taken over first without changing what it shows:
its files are hard-linked into a first version, then each is replaced by its
link. Killed runs leave staging folders and versions that the next run removes.

On an object store (s3://, gs://) there are no links and no renames: the
files are uploaded under `OUT/.auditkit-staging-<stamp>/`, then copied into
place. Each file is replaced atomically (a PUT or copy is all or nothing), the
set is not: `manifest.json` is removed before the first file is replaced and
written after the last, so while a run publishes (or if it is killed then) a
reader may find new results beside old verdicts but never a manifest that
describes them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from auditkit.errors import ParameterError
from auditkit.interrupts import achieved, uninterrupted
from auditkit.io.files import filesystem, join, local_path, move, reachable_store
from auditkit.io.write import (
    FORMATS,
    exchange,
    json_text,
    locked,
    replace_with_symlink,
    staging_folder,
    utc_stamp,
    write_frame,
)

MANIFEST = "manifest.json"
TABLES = ("results", "verdicts")
HOME = ".auditkit"
CURRENT = "current"
VERSIONS = "versions"
STAGING = ".staging-"
REMOTE_STAGING = ".auditkit-staging-"
NAMES = (MANIFEST, *(f"{table}.{fmt}" for table in TABLES for fmt in FORMATS))


def _link_text(name: str) -> str:
    return f"{HOME}/{CURRENT}/{name}"


def _is_ours(path: Path) -> bool:
    return path.is_symlink() and os.readlink(path) == _link_text(path.name)


def _parts_only(folder: Path) -> bool:
    """Whether a folder holds nothing but part files (a Dask engine's output)."""
    return all(p.is_file() and p.name.startswith("part-") for p in folder.iterdir())


def _blocker(out: Path) -> str | None:
    """An entry of `out` named like an output that a run must not replace, described."""
    current = out / HOME / CURRENT
    for name in NAMES:
        path = out / name
        if _is_ours(path) or not (path.exists() or path.is_symlink()):
            continue
        if path.is_symlink():
            return f"{path} is a link auditkit did not make"
        if current.is_dir():  # published before: a plain entry is only ours mid take-over
            kept = current / name
            if not (kept.exists() and os.path.samefile(kept, path)):
                return f"{path} is not one of the outputs auditkit published there"
        elif path.is_dir() and not _parts_only(path):
            return f"{path} is a folder that is not a set of part files"
    return None


def check_out(location: str) -> None:
    """Refuse, before anything is judged, an --out that no run could publish into."""
    folder = local_path(location)
    if folder is None:
        fs, root = reachable_store(location, "--out")
        if fs.isfile(root):
            raise ParameterError(f"--out {location} is a file, not a folder")
        return
    if folder.exists() and not folder.is_dir():
        raise ParameterError(f"--out {location} is a file, not a folder")
    if folder.is_dir():
        blocker = _blocker(folder)
        if blocker is not None:
            raise ParameterError(
                f"--out {location}: {blocker}; move it away or choose another --out"
            )


@dataclass(frozen=True)
class OutputFolder:
    """Where one run writes (a local path or a URL), and its staging folder there."""

    location: str
    fmt: str
    staging: str

    def write(self, relative: str, frame: pd.DataFrame | pa.Table) -> None:
        """Write one table at `relative` inside the staging folder (any process, any worker)."""
        target = join(self.staging, relative)
        path = local_path(target)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_frame(frame, path)
            return
        fs, remote = filesystem(target)
        with tempfile.TemporaryDirectory(prefix="auditkit-part-") as folder:
            staged = Path(folder) / Path(relative).name
            write_frame(frame, staged)
            fs.put_file(str(staged), remote)

    def publish(self, manifest: dict[str, object], folders: bool = False) -> dict[str, str]:
        """Put the staged set in place with `manifest`; name -> location of each output.

        With `folders`, each table is a folder of parts (made even when empty).
        """
        names = [f"{table}.{self.fmt}" for table in TABLES]
        path, staging = local_path(self.location), local_path(self.staging)
        if path is not None and staging is not None:
            for name in names if folders else ():
                (staging / name).mkdir(parents=True, exist_ok=True)
            (staging / MANIFEST).write_text(json_text(manifest), encoding="utf-8")
            _publish_local(path, staging)
        else:
            _publish_remote(self.location, self.staging, names, json_text(manifest))
        return {name: join(self.location, name) for name in [*names, MANIFEST]}


@contextlib.contextmanager
def output_folder(location: str, fmt: str) -> Iterator[OutputFolder]:
    """A new staging folder in `location`, removed on the way out unless it was published.

    A local staging folder is locked while in use, so that a run tidying the
    folder never removes the staging folder of a run still going on.
    """
    folder = local_path(location)
    if folder is None:
        staging = join(location, f"{REMOTE_STAGING}{utc_stamp()}")
        try:
            yield OutputFolder(str(location), fmt, staging)
        finally:
            fs, remote = filesystem(staging)
            if fs.exists(remote):
                fs.rm(remote, recursive=True)
        return
    local: Path | None = None
    handle: int | None = None
    try:
        # A signal held while the folder is made is raised inside `try`, so the folder
        # it made is removed: a stop can never leave a staging folder nobody owns.
        with uninterrupted():
            local = staging_folder(folder / HOME / VERSIONS, STAGING)
            handle = os.open(local, os.O_RDONLY)
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield OutputFolder(str(location), fmt, str(local))
    finally:
        if local is not None:
            shutil.rmtree(local, ignore_errors=True)
        if handle is not None:
            os.close(handle)


def _publish_local(out: Path, staging: Path) -> None:
    versions = out / HOME / VERSIONS
    with locked(out):
        tidy(out)
        blocker = _blocker(out)
        if blocker is not None:
            raise ParameterError(f"--out {out}: {blocker}; move it away or choose another --out")
        version = versions / f"{utc_stamp()}-{secrets.token_hex(3)}"
        names = sorted(p.name for p in staging.iterdir())
        done = f"the new results in {out} were all in place"
        with uninterrupted(done=done):
            os.replace(staging, version)
            for name in names:  # dangling until the swap: the old set stays whole meanwhile
                _link(out / name)
            replace_with_symlink(out / HOME / CURRENT, f"{VERSIONS}/{version.name}")
        with achieved(done):  # a stop while tidying (or unlocking) must not deny the swap
            tidy(out)


def _link(path: Path) -> None:
    if not _is_ours(path):
        replace_with_symlink(path, _link_text(path.name))


def _unlocked(folder: Path) -> bool:
    """Whether no running process holds `folder` (a staging folder) locked."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(handle)


def tidy(out: Path) -> None:
    """Put right what killed runs left in `out` (call it holding the folder's lock).

    Staging folders no run holds, versions not shown, links of outputs the shown
    version lacks, and staging folders of auditkit before versions are removed; a
    folder of plain outputs is taken over (see the module's docstring).
    """
    versions = out / HOME / VERSIONS
    for stale in out.glob(f"{REMOTE_STAGING}*"):
        shutil.rmtree(stale, ignore_errors=True)
    current = out / HOME / CURRENT
    if not current.exists():
        _take_over(out)
    shown = current.resolve() if current.exists() else None
    for version in versions.iterdir() if versions.is_dir() else ():
        if version.name.startswith(STAGING):
            if _unlocked(version):
                shutil.rmtree(version, ignore_errors=True)
        elif version != shown:
            shutil.rmtree(version, ignore_errors=True)
    for name in NAMES:
        path = out / name
        if _is_ours(path) and not path.exists():
            path.unlink()
        elif shown is not None and not path.is_symlink() and path.exists():
            kept = shown / name
            if kept.exists() and os.path.samefile(kept, path):  # a take-over cut short
                _replace_plain(path)


def _take_over(out: Path) -> None:
    """Make the plain outputs of an earlier auditkit the first version, showing the same bytes."""
    plain = [out / n for n in NAMES if (out / n).exists() and not (out / n).is_symlink()]
    if not plain or _blocker(out) is not None:
        return
    version = out / HOME / VERSIONS / f"{utc_stamp()}-{secrets.token_hex(3)}-taken-over"
    version.mkdir(parents=True)
    for path in plain:
        if path.is_dir():
            (version / path.name).mkdir()
            for part in path.iterdir():
                _same_bytes(part, version / path.name / part.name)
        else:
            _same_bytes(path, version / path.name)
    replace_with_symlink(out / HOME / CURRENT, f"{VERSIONS}/{version.name}")
    for path in plain:
        _replace_plain(path)


def _same_bytes(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copy2(source, target)


def _replace_plain(path: Path) -> None:
    """Replace a plain output by its link; the link shows the same bytes (see `_take_over`)."""
    link = path.with_name(f".link-{path.name}-{utc_stamp()}")
    os.symlink(_link_text(path.name), link)
    if path.is_dir():
        if not exchange(link, path):
            os.replace(path, link.with_name(link.name + "-old"))
            os.replace(link, path)
            link = link.with_name(link.name + "-old")
        shutil.rmtree(link, ignore_errors=True)
        return
    os.replace(link, path)


def _publish_remote(location: str, staging: str, names: list[str], manifest: str) -> None:
    """Copy the staged outputs into place, the manifest removed first and written last."""
    fs, root = filesystem(location)
    root = root.rstrip("/")
    _, stage = filesystem(staging)
    fs.invalidate_cache()  # workers may have written the parts; this process's listings are stale
    if fs.exists(f"{root}/{MANIFEST}"):
        fs.rm(f"{root}/{MANIFEST}")
    for name in (n for n in NAMES if n != MANIFEST and n not in names):
        if fs.exists(f"{root}/{name}"):
            fs.rm(f"{root}/{name}", recursive=True)
    for name in names:
        if fs.exists(f"{root}/{name}"):
            fs.rm(f"{root}/{name}", recursive=True)
        if fs.exists(f"{stage}/{name}"):
            move(fs, f"{stage}/{name}", f"{root}/{name}")
    with fs.open(f"{root}/{MANIFEST}", "w") as handle:
        handle.write(manifest)

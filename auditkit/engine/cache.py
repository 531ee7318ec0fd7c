"""Judge once, share: an evaluation kept on disk, keyed by what it was judged from.

The key is the sha256 of the input files' sha256s, the parameters and the rule
catalogue's fingerprint (and this module's format version), so a changed file,
parameter or rule makes a new entry and an unchanged one is never judged
twice. An entry is a folder written in one atomic rename:

- `cases.arrow` (the case frame), `reason_texts.arrow`: Arrow IPC files read
  memory-mapped;
- `status.npy`, `reasons.npy`: the (request, rule) code matrices, memory-mapped;
- `evidence/<feature>.parquet`: the rows behind the features (drill-downs);
- `tables/<table>.parquet`: the typed input tables, sorted by uin in row
  groups, so one member's rows are read without reading the rest, and the
  whole tables are there for a what-if without parsing and validating again;
- `manifest.json`, the key and what it was made of (`io.manifest.describe_run`).

Hashing a file is skipped when its size, modification time and inode match
the last hash taken (`hashes.json`, as git's index does).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from auditkit.contract import HISTORY_TABLES, TABLE_NAMES
from auditkit.dates import iso_seconds, utc_now
from auditkit.engine.cache_entry import CachedRun, write_run
from auditkit.engine.evaluate import evaluate
from auditkit.engine.result import AuditResult
from auditkit.io.manifest import describe_run, sha256_file
from auditkit.io.read import find_table_files
from auditkit.io.tables import Tables, load_tables
from auditkit.io.write import staging_folder, utc_stamp, write_json
from auditkit.params import Params
from auditkit.progress import Progress, silent
from auditkit.rules.model import Catalogue

CACHE_VERSION = 1
MANIFEST = "manifest.json"
HASHES = "hashes.json"
KEEP = 2  # entries kept; older ones are removed when a new one is written


def input_files(data_dir: Path, params: Params) -> dict[str, Path]:
    """The files of `data_dir` an evaluation with `params` reads (history only at requested_at)."""
    return find_table_files(
        Path(data_dir), TABLE_NAMES + (HISTORY_TABLES if params.at_requested else ())
    )


def cache_key(digests: dict[str, str], params: Params, catalogue: Catalogue) -> str:
    """The entry's name: sha256 of the inputs' sha256s, the parameters and the catalogue."""
    facts = {
        "version": CACHE_VERSION,
        "inputs": dict(sorted(digests.items())),
        "params": params.to_dict(),
        "catalogue": catalogue.fingerprint(),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def file_digests(files: dict[str, Path], memo_path: Path) -> dict[str, str]:
    """sha256 of each file; a file whose size, mtime and inode are unchanged is not read again."""
    try:
        memo = json.loads(memo_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        memo = {}
    digests, changed = {}, False
    for table, path in files.items():
        stat = Path(path).stat()
        seen = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        entry = memo.get(str(Path(path).resolve()))
        if entry is None or entry["stat"] != seen:
            entry = {"stat": seen, "sha256": sha256_file(path)}
            memo[str(Path(path).resolve())] = entry
            changed = True
        digests[table] = entry["sha256"]
    if changed:
        write_json(memo_path, memo)
    return digests


class EvaluationCache:
    """Entries under one root folder (e.g. reports/cache), shared by every session."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def folder(self, key: str) -> Path:
        return self.root / key[:32]

    def digests(self, files: dict[str, Path]) -> dict[str, str]:
        return file_digests(files, self.root / HASHES)

    def key(self, data_dir: Path, params: Params, catalogue: Catalogue) -> str:
        return cache_key(self.digests(input_files(data_dir, params)), params, catalogue)

    def get(self, key: str, params: Params, catalogue: Catalogue) -> CachedRun | None:
        """The entry `key`, or None when there is none (or it was written by another format)."""
        found = self.read(self.folder(key), params, catalogue)
        return found if found is not None and found.key == key else None

    def read(self, folder: Path, params: Params, catalogue: Catalogue) -> CachedRun | None:
        """The entry in `folder`, or None when it is not a complete entry of this format."""
        try:
            manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if manifest.get("cache_version") != CACHE_VERSION:
            return None
        return CachedRun.read(Path(folder), manifest, params, catalogue)

    def open(
        self,
        data_dir: Path | str,
        params: Params,
        catalogue: Catalogue,
        progress: Progress = silent,
    ) -> CachedRun:
        """The evaluation of `data_dir` with `params`: read from the cache, or judged and saved.

        Sessions that open the same evaluation at once judge it once: the others
        wait for the first and read what it saved.
        """
        progress("hash")
        files = input_files(Path(data_dir), params)
        key = cache_key(self.digests(files), params, catalogue)
        with self._locked(key):
            found = self.get(key, params, catalogue)
            if found is not None:
                return found
            tables = load_tables(data_dir, progress=progress, require_history=params.at_requested)
            progress("evaluate")
            result = evaluate(tables, params, catalogue)
            progress("save")
            # The key of what was read: a file replaced since it was hashed is keyed as read.
            read = {name: tables.sources[name].sha256 for name in files}
            folder = self.save(cache_key(read, params, catalogue), tables, result)
        progress("open")
        return CachedRun.read(folder, _manifest(folder), params, catalogue)

    def has(self, data_dir: Path | str, params: Params, catalogue: Catalogue) -> bool:
        """Whether the evaluation of `data_dir` with `params` is cached (nothing is read but hashes)."""
        key = self.key(Path(data_dir), params, catalogue)
        try:
            return _manifest(self.folder(key)).get("cache_key") == key
        except (OSError, ValueError):
            return False

    def ready(self, data_dir: Path | str, params: Params, catalogue: Catalogue) -> CachedRun | None:
        """The evaluation of `data_dir` with `params` when it is cached already, else None."""
        return self.get(self.key(Path(data_dir), params, catalogue), params, catalogue)

    def save(self, key: str, tables: Tables, result: AuditResult) -> Path:
        """Write one entry atomically (staged, then renamed into place); keep the newest few."""
        target = self.folder(key)
        staging = staging_folder(self.root, ".staging-")
        try:
            write_run(staging, tables, result)
            manifest = describe_run(
                result.params,
                result.catalogue,
                tables,
                cache_key=key,
                cache_version=CACHE_VERSION,
                requests=len(result.cases),
                written_at=iso_seconds(utc_now()),
            )
            write_json(staging / MANIFEST, manifest)
            with swapped_folder(staging, target):
                pass
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.prune(keep=KEEP, protect=target)
        return target

    def entries(self) -> list[Path]:
        """Entry folders, newest first."""
        found = [p for p in self.root.glob("*") if (p / MANIFEST).is_file()]
        return sorted(found, key=lambda p: (p / MANIFEST).stat().st_mtime_ns, reverse=True)

    def prune(self, keep: int = KEEP, protect: Path | None = None) -> None:
        for old in [p for p in self.entries() if p != protect][max(keep - 1, 0) :]:
            shutil.rmtree(old, ignore_errors=True)
            (self.root / f".{old.name}.lock").unlink(missing_ok=True)

    @contextlib.contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        """Hold an exclusive lock on `key` (POSIX; elsewhere two sessions may judge twice)."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            yield
            return
        with (self.root / f".{key[:32]}.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def swapped_folder(staging: Path, target: Path) -> Iterator[Path | None]:
    """Put the folder `staging` at `target`; yield the previous `target`, moved aside, or None.

    The previous folder is kept until the new one is in place (and restored if
    that rename fails); the caller may carry items over from it, then it is removed.
    For a folder nobody links to by name (a cache entry); reports use versions and a link.
    """
    old = None
    if target.exists():
        old = target.with_name(f".replaced-{target.name}-{utc_stamp()}")
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    try:
        yield old
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _manifest(folder: Path) -> dict[str, object]:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))

"""Data where users keep it: a local folder, or an fsspec URL (s3://, gs://, file://, ...).

`--data` and `--out` take either. A URL is opened with fsspec; credentials and
endpoints come from the usual places of each file system (for S3: the
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_ENDPOINT_URL environment
variables or ~/.aws), plus `AUDITKIT_STORAGE_OPTIONS`, a JSON object handed to
fsspec as keyword arguments (e.g. {"anon": true} or {"endpoint_url": "..."}).

The pandas engine reads a remote data set by copying its table files to a
local folder first (each file is still read from disk once and hashed); the
results are written locally and uploaded into place, the manifest last.
An object store has no atomic rename of a set of files: files are uploaded
under a staging prefix, then moved, the manifest last, so that no manifest
ever describes a mixed set of files.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from auditkit.errors import ParameterError
from auditkit.vocab import EnvVar

FORMATS = ("csv", "parquet")


def is_url(location: object) -> bool:
    """True for `scheme://...` locations (file:// included); plain paths are local."""
    return "://" in str(location)


def local_path(location: object) -> Path | None:
    """The local path of a plain path or a file:// URL; None for any other URL."""
    text = str(location)
    if text.startswith("file://"):
        return Path(text.removeprefix("file://"))
    return None if is_url(text) else Path(text)


def storage_options() -> dict[str, Any]:
    """fsspec keyword arguments from AUDITKIT_STORAGE_OPTIONS (a JSON object), else {}."""
    text = os.environ.get(EnvVar.STORAGE_OPTIONS, "").strip()
    if not text:
        return {}
    try:
        options = json.loads(text)
    except ValueError as error:
        raise ParameterError(f"{EnvVar.STORAGE_OPTIONS} is not JSON: {error}") from None
    if not isinstance(options, dict):
        raise ParameterError(f"{EnvVar.STORAGE_OPTIONS} must be a JSON object of fsspec options")
    return options


def filesystem(location: str) -> tuple[Any, str]:
    """(fsspec file system, path inside it) of a URL or local path."""
    from fsspec.core import url_to_fs

    return url_to_fs(str(location), **storage_options())


def join(location: str, *names: str) -> str:
    """`location/name/...` for URLs and local paths alike."""
    return "/".join([str(location).rstrip("/"), *names])


def read_bytes(location: str) -> bytes:
    """All bytes of one file, local or remote."""
    fs, path = filesystem(location)
    with fs.open(path, "rb") as handle:
        return handle.read()


def table_locations(location: str, tables: tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Per table present under `location`: (URL of NAME.csv or NAME.parquet, format).

    NAME.parquet may be a file or a folder of Parquet files (a partitioned data set).
    """
    fs, root = filesystem(location)
    found: dict[str, tuple[str, str]] = {}
    for table in tables:
        for fmt in FORMATS:
            path = f"{root.rstrip('/')}/{table}.{fmt}"
            if fs.exists(path):
                found.setdefault(table, (join(location, f"{table}.{fmt}"), fmt))
    return found


def move(fs: Any, source: str, target: str) -> None:
    """Move a file or a folder of files within one file system, file by file.

    Object stores have no folders to rename (and s3fs's recursive mv trips over
    the folder's own key), so each file is copied to its new key, then removed.
    """
    if fs.isfile(source):
        fs.mv(source, target)
        return
    source = source.rstrip("/")
    for path in fs.find(source):
        fs.copy(path, target.rstrip("/") + path[len(source) :])
    fs.rm(source, recursive=True)


@contextmanager
def local_copy(location: str, tables: tuple[str, ...]) -> Iterator[Path]:
    """A local folder holding the table files of a remote data set, removed afterwards.

    Only files named after a table (NAME.csv, NAME.parquet) are copied; a missing
    or doubled table is left for the loader to report, as for a local folder.
    """
    fs, root = filesystem(location)
    folder = Path(tempfile.mkdtemp(prefix="auditkit-data-"))
    try:
        if not fs.isdir(root):
            raise ParameterError(f"--data {location}: no such folder")
        for table in tables:
            for fmt in FORMATS:
                path = f"{root.rstrip('/')}/{table}.{fmt}"
                if fs.isfile(path):
                    fs.get_file(path, str(folder / f"{table}.{fmt}"))
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def upload(
    files: dict[str, Path], location: str, last: tuple[str, ...] = (), stale: tuple[str, ...] = ()
) -> dict[str, str]:
    """Put local files (name -> path) under a remote folder: staged, then moved, `last` last.

    `stale` names earlier outputs to remove before `last` arrives (results of the other
    format). Returns name -> URL. A failure before the moves leaves the previous files.
    """
    from auditkit.io.write import utc_stamp

    fs, root = filesystem(location)
    root = root.rstrip("/")
    staging = f"{root}/.auditkit-staging-{utc_stamp()}"
    fs.makedirs(root, exist_ok=True)
    try:
        for name, path in files.items():
            fs.put(str(path), f"{staging}/{name}", recursive=Path(path).is_dir())
        for name in last:
            if name in files and fs.exists(f"{root}/{name}"):
                fs.rm(f"{root}/{name}", recursive=True)
        for name in sorted(files, key=lambda n: (n in last, n)):
            target = f"{root}/{name}"
            if name not in last and fs.exists(target):
                fs.rm(target, recursive=True)
            move(fs, f"{staging}/{name}", target)
            if name in last:
                continue
            for old in stale:
                if fs.exists(f"{root}/{old}"):
                    fs.rm(f"{root}/{old}", recursive=True)
    finally:
        if fs.exists(staging):
            fs.rm(staging, recursive=True)
    return {name: join(location, name) for name in files}

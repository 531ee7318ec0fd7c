"""Data where users keep it: a local folder, or an fsspec URL (s3://, gs://, file://, ...).

`--data` and `--out` take either. A URL is opened with fsspec; credentials and
endpoints come from the usual places of each file system (for S3: the
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_ENDPOINT_URL environment
variables or ~/.aws), plus `AUDITKIT_STORAGE_OPTIONS`, a JSON object handed to
fsspec as keyword arguments (e.g. {"anon": true} or {"endpoint_url": "..."}).

The pandas engine reads a remote data set by copying its table files to a
local folder first (each file is still read from disk once and hashed); the
results are published as `auditkit.io.output` describes.
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

from auditkit.errors import InputError, ParameterError, Problem
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


def one_line(error: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def reachable_store(location: str, option: str) -> tuple[Any, str]:
    """(file system, path) of a URL whose store answers and whose bucket exists.

    An unknown scheme, a store library that is not installed, an endpoint that
    does not answer or a missing bucket is a ParameterError naming `option`:
    auditkit never creates a bucket. Called before anything is judged.
    """
    try:
        fs, root = filesystem(location)
    except (ValueError, ImportError) as error:  # "Protocol not known", "Install gcsfs ..."
        raise ParameterError(f"{option} {location}: cannot open it ({one_line(error)})") from None
    bucket = root.strip("/").split("/")[0]
    if bucket:
        try:
            found = fs.isdir(bucket)  # exists() answers False for an endpoint that is down
        except Exception as error:  # botocore, aiohttp, OSError: whatever the store raises
            raise ParameterError(
                f"{option} {location}: cannot reach the store ({one_line(error)})"
            ) from None
        if not found:
            raise ParameterError(
                f"{option} {location}: {bucket} does not exist (auditkit creates no buckets: "
                "create it, or check the name)"
            )
    return fs, root


def folder_of_parts(table: str, location: str) -> str:
    """What to say of a table given as a folder where one file is read."""
    return (
        f"{location} is a folder (of Parquet parts?), not a file; the pandas engine reads one "
        f"file per table: give {table}.csv or {table}.parquet as a file, or judge it with "
        "auditkit check --engine dask"
    )


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
    fs, root = reachable_store(location, "--data")
    folder = Path(tempfile.mkdtemp(prefix="auditkit-data-"))
    try:
        if not fs.isdir(root):
            raise ParameterError(f"--data {location}: no such folder")
        problems = []
        for table in tables:
            for fmt in FORMATS:
                path = f"{root.rstrip('/')}/{table}.{fmt}"
                if fs.isfile(path):
                    fs.get_file(path, str(folder / f"{table}.{fmt}"))
                elif fs.isdir(path):
                    where = join(location, f"{table}.{fmt}")
                    problems.append(Problem(table, None, None, None, folder_of_parts(table, where)))
        if problems:
            raise InputError(problems)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)

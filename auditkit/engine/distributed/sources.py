"""Each table's files, local or at an fsspec URL, cut into partitions that workers read.

A Parquet table (NAME.parquet, a file or a folder of files) is cut at row-group
boundaries into pieces of about `rows_per_piece` rows; a CSV table is one piece
per file (a CSV file cannot be cut without reading it: use Parquet for big
tables). Every piece knows the spreadsheet row of its first data row, so a
defect found by a worker is reported at the same row as the pandas engine would.
Rows of a folder of Parquet files are numbered across its files in name order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from auditkit.errors import InputError, Problem
from auditkit.io.files import filesystem, join, local_path, table_locations
from auditkit.io.read import enum_columns, parse

ROWS_PER_PIECE = 1_000_000


@dataclass(frozen=True)
class Piece:
    """One partition of one table: a file, and for Parquet some of its row groups."""

    table: str
    url: str
    fmt: str
    row_groups: tuple[int, ...] | None
    first_row: int  # 0-based position of the piece's first row in the table
    rows: int  # -1 when unknown before reading (CSV)


@dataclass(frozen=True)
class TableFiles:
    """Where one table is kept and the pieces it is read in."""

    table: str
    url: str
    fmt: str
    files: tuple[tuple[str, int], ...]  # (URL, size in bytes)
    pieces: tuple[Piece, ...]

    @property
    def name(self) -> str:
        return PurePosixPath(self.url.rstrip("/")).name


def plan(
    location: str,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    rows_per_piece: int = ROWS_PER_PIECE,
) -> dict[str, TableFiles]:
    """The pieces of every table under `location`; missing or doubled tables are InputErrors."""
    fs, root = filesystem(location)
    if not fs.isdir(root):
        expected = "a directory holding accounts, orders, vouchers and requests as .csv or .parquet"
        raise InputError([Problem("(data directory)", None, None, location, expected)])
    problems: list[Problem] = []
    found: dict[str, TableFiles] = {}
    for table in (*required, *optional):
        present = [
            fmt for fmt in ("csv", "parquet") if fs.exists(f"{root.rstrip('/')}/{table}.{fmt}")
        ]
        if len(present) == 2:
            expected = (
                f"both {table}.csv and {table}.parquet are present in {location}; keep exactly one"
            )
            problems.append(Problem(table, None, None, None, expected))
        elif not present and table in required:
            expected = f"missing: expected {table}.csv or {table}.parquet in {location}"
            problems.append(Problem(table, None, None, None, expected))
    if problems:
        raise InputError(problems)
    for table, (url, fmt) in table_locations(location, (*required, *optional)).items():
        found[table] = _table_files(table, url, fmt, rows_per_piece)
    return found


def _table_files(table: str, url: str, fmt: str, rows_per_piece: int) -> TableFiles:
    fs, path = filesystem(url)
    if fs.isdir(path):
        paths = sorted(p for p in fs.find(path) if p.endswith(f".{fmt}"))
        urls = [join(url, p[len(path.rstrip("/")) + 1 :]) for p in paths]
    else:
        paths, urls = [path], [url]
    files = tuple((u, int(fs.size(p))) for u, p in zip(urls, paths, strict=True))
    pieces: list[Piece] = []
    first = 0
    for file_url, file_path in zip(urls, paths, strict=True):
        if fmt == "csv":
            pieces.append(Piece(table, file_url, fmt, None, first, -1))
            continue
        with fs.open(file_path, "rb") as handle:
            metadata = pq.ParquetFile(handle).metadata
        group: list[int] = []
        rows = 0
        for i in range(metadata.num_row_groups):
            group.append(i)
            rows += metadata.row_group(i).num_rows
            if rows >= rows_per_piece or i == metadata.num_row_groups - 1:
                pieces.append(Piece(table, file_url, fmt, tuple(group), first, rows))
                first += rows
                group, rows = [], 0
        if metadata.num_row_groups == 0:
            pieces.append(Piece(table, file_url, fmt, (), first, 0))
    return TableFiles(table, url, fmt, files, tuple(pieces))


def read_arrow(piece: Piece, columns: list[str] | None = None) -> pa.Table:
    """The Arrow table of one Parquet piece (only `columns` that the file has, when given).

    A local file is read by Arrow itself (several times faster than through a Python
    file object); a URL through fsspec.
    """
    path = local_path(piece.url)
    if path is not None:
        return _row_groups(piece, str(path), str(path), columns)
    fs, remote = filesystem(piece.url)
    with fs.open(remote, "rb") as handle:
        return _row_groups(piece, handle, remote, columns)


def _row_groups(piece: Piece, source: object, path: str, columns: list[str] | None) -> pa.Table:
    try:
        parquet = pq.ParquetFile(source, read_dictionary=enum_columns(piece.table))
        names = parquet.schema_arrow.names
        wanted = names if columns is None else [c for c in columns if c in names]
        return parquet.read_row_groups(list(piece.row_groups or ()), columns=wanted)
    except (pa.ArrowException, OSError) as error:
        expected = f"{PurePosixPath(path).name} is not a readable Parquet file ({error})"
        raise InputError([Problem(piece.table, None, None, None, expected)]) from None


def read_table(piece: Piece, columns: list[str] | None = None) -> pa.Table:
    """The Arrow table of one piece as `auditkit.io.read` reads a file: CSV as text,
    Parquet in its native types. `columns` keeps only those the file has."""
    if piece.fmt != "csv":
        return read_arrow(piece, columns)
    fs, path = filesystem(piece.url)
    with fs.open(path, "rb") as handle:
        arrow, _ = parse(piece.table, PurePosixPath(path), handle.read())  # type: ignore[arg-type]
    return (
        arrow if columns is None else arrow.select([c for c in columns if c in arrow.column_names])
    )


def read_piece(piece: Piece, columns: list[str] | None = None) -> pd.DataFrame:
    """The raw frame of one piece (index 0..n-1), for `auditkit.io.tables.convert`."""
    return read_table(piece, columns).to_pandas()


def sha256_of(url: str) -> str:
    """sha256 of one file's bytes, streamed (the Dask engine hashes by a separate read)."""
    fs, path = filesystem(url)
    digest = hashlib.sha256()
    with fs.open(path, "rb") as handle:
        for block in iter(lambda: handle.read(8 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

"""Find a data directory's table files and read each one into a raw frame.

A file is read from disk exactly once: its bytes are hashed (sha256, for the
manifest) and parsed from the same buffer, so the hash always describes the
data that was judged, even if the file is replaced while a run is going on.

A file becomes an Arrow table of what the user wrote: every CSV value as text,
Parquet columns in their native types (enum columns dictionary-encoded). What the
values mean is read once, for every source alike, by `auditkit.io.normal`.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import re
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from auditkit.contract import TABLE_NAMES, TABLE_SPECS
from auditkit.errors import InputError, Problem
from auditkit.io.files import folder_of_parts
from auditkit.vocab import Kind

FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class SourceFile:
    """One input file as it was read: where, how big, and the sha256 of the bytes parsed."""

    table: str
    path: Path
    size: int
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class RawTable:
    """A table as read (Arrow), the file it came from, and the spreadsheet row of each row."""

    arrow: pa.Table
    source: SourceFile
    rows: RowNumbers


def find_table_files(
    data_dir: Path, required: tuple[str, ...] = TABLE_NAMES, optional: tuple[str, ...] = ()
) -> dict[str, Path]:
    """Map each table to its one file; report missing required tables and CSV/Parquet pairs."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(
            [
                Problem(
                    "(data directory)",
                    None,
                    None,
                    str(data_dir),
                    "a directory holding accounts, orders, vouchers and requests as .csv or .parquet",
                )
            ]
        )
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    for table in (*required, *optional):
        present = [p for p in (data_dir / f"{table}.{ext}" for ext in FORMATS) if p.is_file()]
        folders = [p for p in (data_dir / f"{table}.{ext}" for ext in FORMATS) if p.is_dir()]
        if not present and folders:
            problems.append(Problem(table, None, None, None, folder_of_parts(table, folders[0])))
        elif not present:
            if table in required:
                expected = f"missing: expected {table}.csv or {table}.parquet in {data_dir}"
                problems.append(Problem(table, None, None, None, expected))
        elif len(present) == 2:
            expected = (
                f"both {table}.csv and {table}.parquet are present in {data_dir}; keep exactly one"
            )
            problems.append(Problem(table, None, None, None, expected))
        else:
            found[table] = present[0]
    if problems:
        raise InputError(problems)
    return found


def read_files(files: dict[str, Path]) -> tuple[dict[str, RawTable], list[Problem]]:
    """Read every file once, hashing its bytes on a second thread while it is parsed."""
    raw: dict[str, RawTable] = {}
    problems: list[Problem] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        # hashlib releases the GIL on large buffers, so hashing overlaps parsing.
        pending: list[tuple[str, Path, int, Future[str], Parsed | None]] = []
        for table, path in files.items():
            data = Path(path).read_bytes()
            size, digest = len(data), pool.submit(_sha256, data)
            try:
                parsed: Parsed | None = parse(table, path, data, joined=False)
            except InputError as error:
                problems += error.problems
                parsed = None
            # The bytes go (the hash done with them) before the columns are joined: the
            # 504 MB of a 6M-row orders.csv and its joined copy made the peak of a run.
            del data
            digest.exception()
            if parsed is not None:
                parsed = (contiguous(parsed[0]), parsed[1])
            pending.append((table, Path(path), size, digest, parsed))
        for table, path, size, digest, parsed in pending:
            if parsed is not None:
                source = SourceFile(table, path, size, digest.result())
                raw[table] = RawTable(parsed[0], source, parsed[1])
    return raw, problems


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


Parsed = tuple[pa.Table, "RowNumbers"]


def parse(table: str, path: Path, data: bytes, joined: bool = True) -> Parsed:
    """Parse the bytes of `path` (CSV or Parquet by its suffix): the table and its rows,
    each column `contiguous` unless not `joined` (the caller joins them later)."""
    if len(data) == 0:
        expected = f"{path.name} is empty; expected at least a header row"
        raise InputError([Problem(table, None, None, None, expected)])
    if path.suffix == ".csv":
        arrow, rows = _read_csv(table, path, data)
    else:
        arrow, rows = _read_parquet(table, path, data), RowNumbers()
    return (contiguous(arrow) if joined else arrow), rows


def contiguous(arrow: pa.Table) -> pa.Table:
    """Each plain column as one chunk, joined a column at a time as soon as it is read.

    Arrow reads a file in batches; the checks need each column as one array and would join
    the chunks anyway, keeping both copies (about 250 MB for the 6M orders of 1M
    requests). Dictionary-encoded and nested columns are left as read.
    """
    for i, field in enumerate(arrow.schema):
        column = arrow.column(i)
        if column.num_chunks > 1 and not (
            pa.types.is_dictionary(field.type) or pa.types.is_nested(field.type)
        ):
            arrow = arrow.set_column(i, field, pa.chunked_array([column.combine_chunks()]))
            del column
    return arrow


def enum_columns(table: str) -> list[str]:
    """The enum columns of `table`: read dictionary-encoded, coded on their few words."""
    return [spec.name for spec in TABLE_SPECS[table] if spec.kind is Kind.ENUM]


# ---- CSV ---------------------------------------------------------------------------

# Arrow parses a CSV file in blocks and a row must fit in one: rows up to this size are
# read; a longer row is reported with its row and column (no contract value comes near).
CSV_BLOCK_BYTES = 16 << 20
BARE_CR = re.compile(rb"\r(?!\n)")


def _read_csv(table: str, path: Path, data: bytes) -> tuple[pa.Table, RowNumbers]:
    """One Arrow parse decides the header and the rows: every value arrives as text.

    The header is read as the first row of the same parse (autogenerated names, all
    text), so a quoted newline in a header name can never make the header and the
    rows disagree about where the columns are.
    """
    _check_line_endings(table, path, data)
    read_options = pa_csv.ReadOptions(autogenerate_column_names=True, block_size=CSV_BLOCK_BYTES)
    parse_options = pa_csv.ParseOptions(newlines_in_values=True)
    try:
        width = len(
            pa_csv.open_csv(
                pa.BufferReader(data), read_options=read_options, parse_options=parse_options
            ).schema
        )
        as_text = {f"f{i}": pa.string() for i in range(width)}
        arrow = pa_csv.read_csv(
            pa.BufferReader(data),
            read_options=read_options,
            parse_options=parse_options,
            convert_options=pa_csv.ConvertOptions(
                column_types=as_text,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        if "Empty CSV file" in str(error):
            no_header = Problem(table, None, 1, None, f"{path.name} has no header row")
            raise InputError([no_header]) from None
        raise InputError([_locate_csv_defect(table, path, data, str(error))]) from None
    header = _csv_header(table, path, arrow)
    rows = RowNumbers(data if _may_have_blank_lines(data) else None)
    return arrow.slice(1).rename_columns(header), rows


def _csv_header(table: str, path: Path, arrow: pa.Table) -> list[str]:
    if arrow.num_rows == 0:
        raise InputError([Problem(table, None, 1, None, f"{path.name} has no header row")])
    header = [column[0].as_py() or "" for column in arrow.columns]
    if all(not name.strip() for name in header):
        raise InputError([Problem(table, None, 1, None, f"{path.name} has no header row")])
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise InputError(
            [
                Problem(
                    table, name, 1, None, f"column {name!r} appears more than once in the header"
                )
                for name in duplicated
            ]
        )
    return header


def _may_have_blank_lines(data: bytes) -> bool:
    # Substring searches, not a regex: a regex without a literal prefix took 2 s on 200 MB.
    return data.startswith((b"\n", b"\r\n")) or b"\n\n" in data or b"\n\r\n" in data


def _check_line_endings(table: str, path: Path, data: bytes) -> None:
    """Refuse a line ending in a bare carriage return (outside quotes: inside, it is text)."""
    if b"\r" not in data:
        return
    quotes, last = 0, 0
    for match in BARE_CR.finditer(data):
        quotes += data.count(b'"', last, match.start())
        last = match.start()
        if quotes % 2 == 0:
            line = data.count(b"\n", 0, match.start()) + 1
            expected = (
                f"{path.name} has a line that ends in a bare carriage return (CR), as old Mac "
                "spreadsheets write; save it with LF or CRLF line endings (e.g. as CSV UTF-8)"
            )
            raise InputError([Problem(table, None, line, None, expected)])


@contextlib.contextmanager
def _csv_fields_of_any_size() -> Iterator[None]:
    """The standard library's csv refuses fields over 128 KiB; lift that for one read."""
    previous = csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row, fields) of every record; a blank line is a row, with no fields."""
    with _csv_fields_of_any_size():
        yield from enumerate(csv.reader(io.StringIO(text, newline="")), start=1)


def _locate_csv_defect(table: str, path: Path, raw: bytes, arrow_message: str) -> Problem:
    """Find the first bad row with the (slow, exact) standard library parser."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = raw[: error.start].count(b"\n") + 1
        if row == 1:
            expected = f"{path.name} is not UTF-8 text (header row); save it as UTF-8 CSV"
            return Problem(table, None, 1, None, expected)
        snippet = raw[max(0, error.start - 10) : error.start + 10]
        return Problem(
            table,
            None,
            row,
            snippet.decode("utf-8", "replace"),
            f"{path.name} is not valid UTF-8 (bad byte 0x{raw[error.start]:02x}); save it as UTF-8 CSV",
        )
    header: list[str] | None = None
    longest = (0, 0, 0, "")  # (bytes, row, field position, field)
    try:
        for row, record in _records(text):
            if not record:
                continue  # Arrow skips blank lines too
            if header is None:
                header = record
                continue
            if len(record) != len(header):
                return Problem(
                    table,
                    None,
                    row,
                    ",".join(record)[:80],
                    f"expected {len(header)} fields like the header, found {len(record)}",
                )
            size = sum(len(field.encode("utf-8")) for field in record)
            if size > longest[0]:
                position = max(range(len(record)), key=lambda i: len(record[i]))
                longest = (size, row, position, record[position])
    except csv.Error as error:
        return Problem(table, None, None, None, f"{path.name} could not be read as CSV: {error}")
    size, row, position, field = longest
    if header is not None and size and "straddl" in arrow_message:  # a row over one block
        return Problem(
            table,
            header[position],
            row,
            field,
            f"a row of at most {CSV_BLOCK_BYTES:,} bytes; this one holds {size:,}, "
            f"{len(field):,} characters in {header[position]!r} alone",
        )
    return Problem(
        table, None, None, None, f"{path.name} could not be read as CSV: {arrow_message}"
    )


class RowNumbers:
    """The row a spreadsheet shows for each data row: the header is row 1, and blank lines,
    which the parser skips, count as rows (a quoted value spanning lines is one row).

    Without blank lines data row i is row i + 2. With them, the rows are counted once, on
    demand, by the standard library's parser: only a failed check needs them.
    """

    def __init__(self, data: bytes | None = None) -> None:
        self._data = data
        self._rows: np.ndarray | None = None

    def __call__(self, index: int) -> int:
        if self._data is None:
            return int(index) + 2
        if self._rows is None:
            try:
                rows = [row for row, record in _records(self._data.decode("utf-8-sig")) if record]
            except (UnicodeDecodeError, csv.Error):
                rows = []  # Arrow read it; count as it does, without the blank lines
            self._rows = np.asarray(rows[1:], dtype=np.int64)
            self._data = b""  # keep the row numbers, not the bytes
        index = int(index)
        return int(self._rows[index]) if index < len(self._rows) else index + 2


# ---- Parquet -----------------------------------------------------------------------


def _read_parquet(table: str, path: Path, data: bytes) -> pa.Table:
    try:
        return pq.read_table(pa.BufferReader(data), read_dictionary=enum_columns(table))
    except (pa.ArrowException, OSError) as error:
        expected = f"{path.name} is not a readable Parquet file ({error})"
        raise InputError([Problem(table, None, None, None, expected)]) from None

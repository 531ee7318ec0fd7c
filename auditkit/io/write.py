"""Safe writing, the one place for it: atomic files and folders, spreadsheet-safe tables.

Every output auditkit writes goes through here. A file is written to a
temporary name beside its target and renamed over it; a set of files is
staged in a folder and moved in only when all are complete; a folder is
replaced by pointing a symbolic link at its next version in one rename. A
failed or interrupted write leaves the previous output as it was. Text that a
spreadsheet would run as a formula is defused.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import fcntl
import json
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from auditkit.errors import ParameterError
from auditkit.interrupts import uninterrupted

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "parquet")
EXCEL_MAX_ROWS = 1_048_575  # one row of the sheet's 1,048,576 holds the header


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def utc_stamp() -> str:
    """A UTC timestamp for file names, to the microsecond: 20261125T101500123456Z."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


# ---- atomic files and folders ------------------------------------------------------


def atomic_write(path: Path, data: str | bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(temporary, 0o666 & ~current_umask())  # mkstemp makes it private
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def json_text(document: object) -> str:
    """A JSON document as auditkit writes it: indented, sorted keys, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, default=str) + "\n"


def write_json(path: Path, document: object) -> Path:
    """Write a JSON document atomically."""
    return atomic_write(path, json_text(document))


STAGING_PREFIX = ".auditkit-staging-"


@contextlib.contextmanager
def staged_files(out: Path, last: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield a staging folder inside `out`; on success move its files over `out`'s, else discard.

    Every file is complete before it is moved and each move is an atomic rename,
    so a failed run leaves the previous files untouched. Files named in `last`
    (a manifest) are removed first and moved in after all others: if a crash
    interrupts the moves, no manifest claims the mixed set of files. The moves run
    uninterrupted by SIGTERM/SIGINT. Writers to one folder take turns (a lock on the
    folder), and staging folders that a killed run left behind are removed.
    """
    out = Path(out)
    with locked(out):
        for stale in out.glob(f"{STAGING_PREFIX}*"):
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
        try:
            yield staging
            staged = sorted(staging.iterdir(), key=lambda path: (path.name in last, path.name))
            blocked = [out / p.name for p in staged if (out / p.name).is_dir()]
            if blocked:
                raise IsADirectoryError(f"cannot replace {blocked[0]}: it is a directory")
            with uninterrupted(done=f"the new files in {out} were all in place"):
                for name in last:
                    (out / name).unlink(missing_ok=True)
                for path in staged:
                    os.replace(path, out / path.name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def staging_folder(out: Path, prefix: str) -> Path:
    """A new, empty folder inside `out` to build a folder's next version in (readable like `out`)."""
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=out)).absolute()
    staging.chmod(0o777 & ~current_umask())  # mkdtemp makes it private
    return staging


@contextlib.contextmanager
def locked(folder: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (created if missing) for the block.

    The lock is flock(2) on the folder itself, so no lock file is left behind and a
    killed process releases it. `on_wait` is called once if another process holds it.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def replace_with_symlink(path: Path, target: str) -> Path | None:
    """Make `path` a symbolic link to `target` in one rename, whatever `path` was before.

    A link or nothing at `path` is replaced atomically. A real directory (a folder
    written before auditkit kept versions) is swapped with the new link by
    renameat2(RENAME_EXCHANGE) where the system has it, else moved aside first; its
    new place is returned so that the caller can keep what it needs from it.
    """
    link = path.with_name(f".link-{path.name}-{utc_stamp()}-{secrets.token_hex(3)}")
    os.symlink(target, link)
    try:
        if path.is_symlink() or not path.exists():
            os.replace(link, path)
            return None
        if not path.is_dir():
            raise FileExistsError(f"cannot replace {path}: it is a file, not a report folder")
        if exchange(link, path):
            return link  # the old directory, now under the link's temporary name
        aside = link.with_name(link.name + "-old")
        # Not atomic: between these renames `path` is missing; recovery relinks it.
        os.replace(path, aside)
        os.replace(link, path)
        return aside
    finally:
        if link.is_symlink():
            link.unlink()


def exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except AttributeError:  # glibc older than 2.28
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    at_cwd, rename_exchange = -100, 2
    result = renameat2(at_cwd, os.fsencode(first), at_cwd, os.fsencode(second), rename_exchange)
    if result == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # file system cannot do it
        return False
    raise OSError(error, os.strerror(error), str(second))


# ---- tables ------------------------------------------------------------------------


def spreadsheet_safe(values: pd.Series) -> pd.Series:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories.to_series().astype("str")
        return values.cat.rename_categories(_defuse(categories).to_numpy())
    if pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
        return _defuse(values.astype("str"))
    return values


def undefused(text: str) -> str:
    """The text a spreadsheet-safe cell stands for: without the apostrophe `spreadsheet_safe` added."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def _defuse(text: pd.Series) -> pd.Series:
    risky = text.str.startswith(FORMULA_START).fillna(False).astype(bool)
    return text.where(~risky, "'" + text)


def _arrow(frame: pd.DataFrame, as_text: bool) -> pa.Table:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if not as_text:
        # With no rows, a text categorical may arrive with null-typed values; keep it text
        # so that the Parquet schema does not depend on whether there were requests.
        columns = [
            column.cast(pa.dictionary(column.type.index_type, pa.string()))
            if pa.types.is_dictionary(column.type) and pa.types.is_null(column.type.value_type)
            else column
            for column in table.columns
        ]
        return pa.table(columns, names=table.column_names)
    columns = [
        column.cast(pa.string()) if pa.types.is_dictionary(column.type) else column
        for column in table.columns
    ]
    return pa.table(columns, names=table.column_names)


CSV_BATCH_ROWS = 1 << 20


def _safe_arrow(table: pa.Table) -> pa.Table:
    """An Arrow table with its text defused for spreadsheets; a dictionary column is
    defused on its dictionary alone (each distinct value once, not once per row)."""
    columns = []
    for column in table.columns:
        kind = column.type
        if pa.types.is_dictionary(kind) and _is_text(kind.value_type):
            chunks = []
            for chunk in column.chunks:
                values = spreadsheet_safe(pd.Series(chunk.dictionary.to_pandas(), dtype="str"))
                dictionary = pa.array(values, type=kind.value_type, from_pandas=True)
                chunks.append(pa.DictionaryArray.from_arrays(chunk.indices, dictionary))
            column = pa.chunked_array(chunks, type=kind)
        elif _is_text(kind):
            values = spreadsheet_safe(pd.Series(column.to_pandas(), dtype="str"))
            column = pa.chunked_array([pa.array(values, type=kind, from_pandas=True)])
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _write_csv(table: pa.Table, path: Path) -> None:
    """Write CSV a million rows at a time: dictionary columns become text batch by batch.

    The results repeat each request's ids 13 times; turning the whole table into
    text at once held every repetition in memory (about 4 GiB at a million requests).
    """
    names = table.column_names
    text_schema = pa.schema(
        [
            pa.field(field.name, pa.string()) if pa.types.is_dictionary(field.type) else field
            for field in table.schema
        ]
    )
    options = pa_csv.WriteOptions(quoting_style="needed")
    with pa_csv.CSVWriter(path, text_schema, write_options=options) as writer:
        for batch in table.to_batches(max_chunksize=CSV_BATCH_ROWS):
            columns = [
                column.cast(pa.string()) if pa.types.is_dictionary(column.type) else column
                for column in batch.columns
            ]
            writer.write_batch(pa.record_batch(columns, names=names))


def write_frame(frame: pd.DataFrame | pa.Table, path: Path) -> None:
    """Write one frame as CSV (text, safe for spreadsheets) or Parquet, by the file suffix.

    Either takes an Arrow table too (CSV defuses its text first). The file is
    written in place: callers write into a staging folder (`staged_files`).
    """
    if path.suffix == ".csv":
        if isinstance(frame, pa.Table):
            _write_csv(_safe_arrow(frame), path)
        else:
            _write_csv(_arrow(frame.apply(spreadsheet_safe), as_text=False), path)
    else:
        # One row group with room for large dictionaries: results repeat each request
        # 13 times, and per-row-group dictionaries made writing 13M rows 3-4x slower.
        table = frame if isinstance(frame, pa.Table) else _arrow(frame, as_text=False)
        pq.write_table(
            table,
            path,
            row_group_size=max(table.num_rows, 1),
            dictionary_pagesize_limit=512 << 20,
            write_statistics=_small_columns(table),
        )


def _small_columns(table: pa.Table) -> list[str]:
    """Columns worth min/max statistics: all but text with many distinct values.

    Statistics over a million-entry dictionary (request ids, reasons) cost about a
    second per results file and help no reader: those columns are filtered by value.
    """
    small = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_dictionary(kind):
            chunks = column.chunks
            if all(len(chunk.dictionary) <= 4096 for chunk in chunks):
                small.append(name)
        elif not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            small.append(name)
    return small


def write_tables(
    frames: dict[str, pd.DataFrame | pa.Table],
    out: Path,
    fmt: str = "csv",
    documents: dict[str, object] | None = None,
) -> dict[str, Path]:
    """Write NAME.fmt for each frame and NAME for each JSON document into `out`, all or nothing."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    documents = documents or {}
    with staged_files(out, last=tuple(documents)) as staging:
        # Arrow encodes and compresses without the GIL: the tables are written side by side.
        with ThreadPoolExecutor(max_workers=2) as pool:
            for done in [
                pool.submit(write_frame, frame, staging / f"{name}.{fmt}")
                for name, frame in frames.items()
            ]:
                done.result()
        for name, document in documents.items():
            (staging / name).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    for name in frames:
        for other in FORMATS:
            # Results of an earlier run in the other format would sit beside the new
            # manifest without being described by it.
            if other != fmt:
                (Path(out) / f"{name}.{other}").unlink(missing_ok=True)
    written = {name: Path(out) / f"{name}.{fmt}" for name in frames}
    return written | {name: Path(out) / name for name in documents}


def export_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write one table as spreadsheet-safe CSV, atomically."""
    path = Path(path).with_suffix(".csv")
    with staged_files(path.parent) as staging:
        write_frame(frame, staging / path.name)
    return path


def excel_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells defused for a spreadsheet and stripped of control characters openpyxl refuses."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    safe = frame.apply(spreadsheet_safe)
    for name in safe.columns:
        column = safe[name]
        if isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(
            column.dtype
        ):
            # The contract allows control characters in free text; a worksheet does not.
            safe[name] = column.astype("str").str.replace(ILLEGAL_CHARACTERS_RE, "", regex=True)
    return safe


def open_workbook(path: Path, **options: object) -> object:
    """An XlsxWriter workbook written row by row (constant memory) in which a string stays a
    string: never turned into a formula, a number or a link; NaN and inf become errors."""
    import xlsxwriter

    safe = {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_numbers": False,
        "strings_to_urls": False,
        "nan_inf_to_errors": True,
        "remove_timezone": True,
    }
    return xlsxwriter.Workbook(str(path), safe | options)


def write_workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    """Write `sheets` (name -> table) as one .xlsx file at `path` (the caller stages it).

    Each sheet gets a frozen header row, filters and column widths from its first
    rows. Text is defused (`excel_safe`) and written as text: XlsxWriter is told
    never to turn a string into a formula, a number or a link. Rows are streamed
    (constant memory), a few times faster than pandas' openpyxl writer.
    """
    book = open_workbook(path, default_date_format="yyyy-mm-dd hh:mm:ss")
    try:
        for name, frame in sheets.items():
            safe = excel_safe(frame)
            values = safe.astype(object).where(safe.notna(), None)
            sheet = book.add_worksheet(name)
            headers = [str(column) for column in safe.columns]
            sheet.write_row(0, 0, headers)
            rows = values.to_numpy(dtype=object).tolist()  # row by row: streamed to disk
            for width_at, header in enumerate(headers):
                shown = [len(str(row[width_at] or "")) for row in rows[:200]]
                sheet.set_column(width_at, width_at, min(max([len(header), 8, *shown]), 60))
            for number, row in enumerate(rows, start=1):
                sheet.write_row(number, 0, row)
            sheet.freeze_panes(1, 0)
            if rows and headers:
                sheet.autofilter(0, 0, len(rows), len(headers) - 1)
    finally:
        book.close()
    return path


def export_excel(frame: pd.DataFrame, path: Path, sheet_name: str = "findings") -> Path:
    """Write one table as an .xlsx sheet, atomically; text never becomes a formula."""
    if len(frame) > EXCEL_MAX_ROWS:
        raise ParameterError(
            f"the selection has {len(frame)} rows but an Excel sheet holds at most "
            f"{EXCEL_MAX_ROWS}; narrow the filters or export CSV"
        )
    path = Path(path).with_suffix(".xlsx")
    with staged_files(path.parent) as staging:
        write_workbook(staging / path.name, {sheet_name: frame})
    return path

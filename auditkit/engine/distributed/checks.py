"""The contract's validation on Dask: the same checks and messages as the pandas engine.

Each piece is validated by `auditkit.io.validate.validate_raw` on a worker, its
rows shifted to the table's spreadsheet rows. What one piece cannot see alone
is checked across pieces on 128-bit hashes of the keys (two 64-bit hashes):
duplicate ids and (key, moment) pairs, by a shuffle on the hash; event links,
by anti-joins. Only rows whose hash is suspect are read again, and their
values compared exactly on the client, so hashing never invents a duplicate.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.contract import EVENTS, TABLE_SPECS, UNIQUE_KEYS
from auditkit.engine.distributed.sources import Piece, TableFiles, read_arrow, read_piece
from auditkit.errors import Problem, Unlisted
from auditkit.io.fast import Unsure, typed_frame
from auditkit.io.validate import (
    MAX_EXAMPLES,
    _as_written,
    spreadsheet_row,
    timestamp_values,
    unique_key_expected,
    validate_raw,
)

HASH_KEYS = ("auditkit-hash-k1", "auditkit-hash-k2")
ONE_TASK_ROWS = 16_000_000  # key hashes of tables up to this size are compared in one task
HASH_META = pd.DataFrame(
    {"h1": pd.Series([], dtype="uint64"), "h2": pd.Series([], dtype="uint64"), "row": []}
).astype({"row": "int64"})


def validate_piece(
    piece: Piece,
) -> tuple[list[Problem], list[Unlisted], int, dict[str, tuple[str, str]]]:
    """(problems with table rows, rows beyond them, rows read, key ranges) of one piece.

    A Parquet piece is first checked by the fast Arrow path (`auditkit.io.fast`);
    only a piece it doubts is read again and validated by pandera for the messages.
    Key ranges: per unique column whose values are stored strictly increasing,
    (first, last), so that pieces whose ranges do not overlap need no comparison.
    """
    if piece.fmt == "parquet":
        arrow = read_arrow(piece)
        try:
            typed_frame(piece.table, arrow)
            return [], [], arrow.num_rows, _ranges(piece.table, arrow)
        except Unsure:
            pass
    frame = read_piece(piece)
    problems, unlisted = validate_raw(
        piece.table, frame, lambda index: spreadsheet_row(index + piece.first_row)
    )
    return problems, unlisted, len(frame), {}


def _ranges(table: str, arrow: pa.Table) -> dict[str, tuple[str, str]]:
    """(first, last) of each unique column stored strictly increasing (compared in Arrow)."""
    ranges = {}
    for spec in TABLE_SPECS[table]:
        if not spec.unique or spec.name not in arrow.column_names:
            continue
        text = arrow.column(spec.name).combine_chunks()
        n = len(text)
        if not n or text.null_count or not pa.types.is_string(text.type):
            continue
        if pc.all(pc.less(text.slice(0, n - 1), text.slice(1))).as_py() is not False:
            ranges[spec.name] = (text[0].as_py(), text[n - 1].as_py())
    return ranges


def apart(ranges: list[tuple[str, str] | None]) -> bool:
    """True when every piece is sorted and no two pieces' key ranges overlap."""
    if any(r is None for r in ranges):
        return False
    ordered = sorted(ranges)  # type: ignore[arg-type]
    return all(before[1] < after[0] for before, after in itertools.pairwise(ordered))


def _key_text(frame: pd.DataFrame, table: str, columns: tuple[str, ...]) -> pd.Series | None:
    """One comparable value per row (text of the key, with the moment parsed), null when absent."""
    first = frame[columns[0]].astype("str")
    if len(columns) == 1:
        return first
    moments = timestamp_values(frame[columns[1]]).astype("datetime64[ns]")
    both = first.notna() & moments.notna()
    return (first + "\x00" + moments.astype("int64").astype("str")).where(both)


def key_hashes(piece: Piece, by: tuple[str, ...]) -> pd.DataFrame:
    """(h1, h2, table row) of each non-null key of one piece."""
    frame = read_piece(piece, list(by))
    if not set(by) <= set(frame.columns):
        return HASH_META.copy()
    text = _key_text(frame, piece.table, by)
    present = text.notna().to_numpy()
    text = text[present]
    return pd.DataFrame(
        {
            "h1": pd.util.hash_pandas_object(text, index=False, hash_key=HASH_KEYS[0]).to_numpy(),
            "h2": pd.util.hash_pandas_object(text, index=False, hash_key=HASH_KEYS[1]).to_numpy(),
            "row": np.flatnonzero(present) + piece.first_row,
        }
    )


def _repeated(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame.duplicated(["h1", "h2"], keep=False)]


def suspect_duplicates(client, files: TableFiles, columns: tuple[str, ...]) -> np.ndarray:
    """Table rows whose key hash occurs more than once.

    Up to `ONE_TASK_ROWS` rows the hashes (16 bytes a row) meet in one task; beyond,
    a shuffle on the hash spreads them over the workers.
    """
    import dask.dataframe as dd

    if sum(piece.rows for piece in files.pieces) <= ONE_TASK_ROWS:
        parts = client.map(key_hashes, files.pieces, by=columns, pure=False)
        rows = client.submit(_repeated_rows, parts, pure=False).result()
        return np.sort(rows)
    hashes = dd.from_map(key_hashes, files.pieces, by=columns, meta=HASH_META)
    hashes = hashes.shuffle("h1", npartitions=hashes.npartitions)
    rows = hashes.map_partitions(_repeated, meta=HASH_META)["row"].compute()
    return np.sort(rows.to_numpy())


def _repeated_rows(parts: list[pd.DataFrame]) -> np.ndarray:
    return _repeated(pd.concat(parts, ignore_index=True))["row"].to_numpy()


def rows_of(piece: Piece, rows: np.ndarray, names: tuple[str, ...]) -> pd.DataFrame:
    """The raw values of columns `names` at some table rows of one piece, with `row`."""
    frame = read_piece(piece, list(names))
    local = rows[(rows >= piece.first_row) & (rows < piece.first_row + len(frame))]
    picked = frame.iloc[local - piece.first_row].reset_index(drop=True)
    return picked.assign(row=local)


def read_rows(client, files: TableFiles, rows: np.ndarray, columns: tuple[str, ...]):
    """(frame of those rows' raw values, each row's position in it) read by the workers."""
    if not len(rows):
        return pd.DataFrame(columns=[*columns, "row"])
    futures = client.map(rows_of, files.pieces, rows=rows, names=columns, pure=False)
    return pd.concat(client.gather(futures), ignore_index=True)


def duplicate_problems(
    client, files: TableFiles, ranges: list[dict[str, tuple[str, str]]]
) -> list[Problem]:
    """The rows of keys that repeat across pieces, as the pandas engine words them.

    A piece's own duplicates are its validation's; with one piece, or pieces whose
    sorted keys do not overlap (ids stored in key order), there is nothing to compare.
    """
    table = files.table
    keys = [(spec.name,) for spec in TABLE_SPECS[table] if spec.unique]
    if table in UNIQUE_KEYS:
        keys.append(UNIQUE_KEYS[table])
    problems: list[Problem] = []
    for columns in keys:
        if len(files.pieces) < 2 or apart([r.get(columns[0]) for r in ranges]):
            continue
        suspects = suspect_duplicates(client, files, columns)
        if not len(suspects):
            continue
        values = read_rows(client, files, suspects, columns)
        text = _key_text(values, table, columns)
        repeated = text.notna() & text.duplicated(keep=False)
        for i in np.flatnonzero(repeated.to_numpy()):
            problems.append(_duplicate(table, columns, values, int(i)))
    return problems


def _duplicate(table: str, columns: tuple[str, ...], values: pd.DataFrame, i: int) -> Problem:
    row = spreadsheet_row(int(values["row"].iloc[i]))
    value = _as_written(values, table, columns[0], i)
    if len(columns) == 1:
        column = columns[0]
        return Problem(
            table, column, row, value, f"duplicate {column}; each {column} must appear only once"
        )
    second = _as_written(values, table, columns[1], i)
    return Problem(
        table, columns[0], row, f"{value}, {columns[1]} {second}", unique_key_expected(table)
    )


def link_problems(client, files: dict[str, TableFiles]) -> list[Problem]:
    """Events of unknown orders or vouchers, and orders or vouchers without an event."""
    import dask.dataframe as dd

    problems: list[Problem] = []
    for link in EVENTS:
        if link.table not in files or link.parent not in files:
            continue
        column = (link.column,)
        events = dd.from_map(key_hashes, files[link.table].pieces, by=column, meta=HASH_META)
        parents = dd.from_map(key_hashes, files[link.parent].pieces, by=column, meta=HASH_META)
        for left, right, table, expected in (
            (events, parents, link.table, f"{link.column} is not in {link.parent}"),
            (
                parents,
                events,
                link.parent,
                f"has no event in {link.table}; every row of {link.parent} needs at least one",
            ),
        ):
            keys = right[["h1", "h2"]].drop_duplicates()
            joined = left.merge(keys, on=["h1", "h2"], how="left", indicator=True)
            rows = joined[joined["_merge"] == "left_only"]["row"].compute().to_numpy()
            values = read_rows(client, files[table], np.sort(rows), column)
            problems += [
                Problem(table, link.column, spreadsheet_row(int(r)), str(v), expected)
                for r, v in zip(values["row"], values[link.column], strict=True)
            ]
    return problems


def check(
    client, files: dict[str, TableFiles]
) -> tuple[list[Problem], list[Unlisted], dict[str, int]]:
    """Every problem of every table, in the pandas engine's order (the first MAX_EXAMPLES
    rows of each check listed, the rest counted), and each table's row count."""
    pieces = [piece for table in files.values() for piece in table.pieces]
    results = client.gather(client.map(validate_piece, pieces, pure=False))
    by_table: dict[str, list[Problem]] = {table: [] for table in files}
    more: list[Unlisted] = []
    rows = dict.fromkeys(files, 0)
    ranges: dict[str, list[dict[str, tuple[str, str]]]] = {table: [] for table in files}
    for piece, (found, unlisted, count, piece_ranges) in zip(pieces, results, strict=True):
        by_table[piece.table] += found
        more += unlisted
        rows[piece.table] += count
        ranges[piece.table].append(piece_ranges)
    for table, table_files in files.items():
        by_table[table] += duplicate_problems(client, table_files, ranges[table])
    problems: list[Problem] = []
    for table in files:
        unique = list(dict.fromkeys(by_table[table]))
        unique.sort(key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
        problems += unique
    if not problems:
        problems += link_problems(client, files)
    return (*capped(problems, more), rows)


def capped(
    problems: list[Problem], unlisted: list[Unlisted]
) -> tuple[list[Problem], list[Unlisted]]:
    """The first MAX_EXAMPLES problems of each check over all pieces; the rest counted.

    A check is (table, column, expected), as the pandas engine words it; each piece
    already listed at most MAX_EXAMPLES rows of a check and counted the others.
    """
    kept: list[Problem] = []
    listed: dict[tuple[str, str | None, str], int] = {}
    counted: dict[tuple[str, str | None, str], int] = {}
    for problem in problems:
        key = (problem.table, problem.column, problem.expected)
        listed[key] = listed.get(key, 0) + 1
        if listed[key] <= MAX_EXAMPLES:
            kept.append(problem)
        else:
            counted[key] = counted.get(key, 0) + 1
    for item in unlisted:
        key = (item.table, item.column, item.expected)
        counted[key] = counted.get(key, 0) + item.count
    return kept, [Unlisted(*key, count) for key, count in counted.items()]

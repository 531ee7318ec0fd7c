"""The contract's checks on Dask: the same kernels and messages as the pandas engine.

Each piece is checked on a worker by the Arrow backend the pandas engine uses
(`auditkit.io.fast.check_table`), on the data it reads once, its rows shifted to the
table's spreadsheet rows. What one piece cannot see alone is checked across pieces
on 128-bit hashes of the keys (two 64-bit hashes): duplicate ids and (key, moment)
pairs, by a shuffle on the hash; event links, by anti-joins. Only rows whose hash is
suspect are read again, and their values compared exactly on the client, so hashing
never invents a duplicate.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from auditkit.contract import EVENTS, TABLE_SPECS, Check, table_checks
from auditkit.engine.distributed.sources import Piece, TableFiles, read_table
from auditkit.errors import Problem, Unlisted
from auditkit.io.arrow import FNV_OFFSET, FNV_PRIME, fingerprints, increasing
from auditkit.io.fast import check_table
from auditkit.io.normal import Normalised, normalise_table
from auditkit.io.problems import MAX_EXAMPLES, spreadsheet_row
from auditkit.vocab import CheckKind

# Two offset bases for FNV-1a: the second is FNV_OFFSET with its halves swapped.
HASH_SEEDS = (FNV_OFFSET, np.uint64(0x84222325CBF29CE4))
ONE_TASK_ROWS = 16_000_000  # key hashes of tables up to this size are compared in one task
HASH_META = pd.DataFrame(
    {"h1": pd.Series([], dtype="uint64"), "h2": pd.Series([], dtype="uint64"), "row": []}
).astype({"row": "int64"})


def validate_piece(
    piece: Piece,
) -> tuple[list[Problem], list[Unlisted], int, dict[str, tuple[str, str]]]:
    """(problems with table rows, rows beyond them, rows read, key ranges) of one piece.

    Key ranges: per unique column whose values are stored strictly increasing,
    (first, last), so that pieces whose ranges do not overlap need no comparison.
    """
    arrow = read_table(piece)
    data, problems, unlisted = check_table(
        piece.table, arrow, lambda index: spreadsheet_row(index + piece.first_row), piece.first_row
    )
    return problems, unlisted, arrow.num_rows, _ranges(data)


def _ranges(data: Normalised) -> dict[str, tuple[str, str]]:
    """(first, last) of each unique column stored strictly increasing (compared in Arrow)."""
    ranges = {}
    for spec in TABLE_SPECS[data.table]:
        column = data.columns.get(spec.name)
        if not spec.unique or column is None or column.text is None:
            continue
        text = column.text
        if len(text) and not text.null_count and increasing(text):
            ranges[spec.name] = (text[0].as_py(), text[len(text) - 1].as_py())
    return ranges


def apart(ranges: list[tuple[str, str] | None]) -> bool:
    """True when every piece is sorted and no two pieces' key ranges overlap."""
    if any(r is None for r in ranges):
        return False
    ordered = sorted(ranges)  # type: ignore[arg-type]
    return all(before[1] < after[0] for before, after in itertools.pairwise(ordered))


def _key_data(piece: Piece, by: tuple[str, ...]) -> Normalised | None:
    """The piece's key columns, read and normalised; None when the piece lacks one."""
    arrow = read_table(piece, list(by))
    if not set(by) <= set(arrow.column_names):
        return None
    data, _ = normalise_table(piece.table, arrow)
    return data if set(by) <= set(data.columns) else None


def _keys(piece: Piece, by: tuple[str, ...]) -> tuple[Normalised, pd.Series] | None:
    """The piece's key columns read, and one comparable value per row: the key's text, with
    the moment parsed for a (key, moment) pair; null where either is absent."""
    data = _key_data(piece, by)
    if data is None:
        return None
    first = pd.Series(data.columns[by[0]].text, dtype="str")
    if len(by) == 1:
        return data, first
    moments = pd.Series(data.columns[by[1]].values)
    both = first.notna() & moments.notna()
    stamps = moments.to_numpy().view(np.int64)
    return data, (first + "\x00" + pd.Series(stamps, dtype="str")).where(both)


def key_hashes(piece: Piece, by: tuple[str, ...]) -> pd.DataFrame:
    """(h1, h2, table row) of each non-null key of one piece.

    h1 and h2 are 64-bit FNV-1a hashes of the key's bytes under two seeds
    (`auditkit.io.arrow.fingerprints`: a value hashes alike in every piece), each mixed
    with the moment's nanoseconds for a (key, moment) pair.
    """
    data = _key_data(piece, by)
    if data is None:
        return HASH_META.copy()
    text = data.columns[by[0]].text
    present = text.is_valid().to_numpy(zero_copy_only=False)
    hashes = [fingerprints(text, seed) for seed in HASH_SEEDS]
    if len(by) == 2:
        moments = pd.Series(data.columns[by[1]].values)
        present &= moments.notna().to_numpy()
        stamps = moments.to_numpy().view(np.uint64)
        with np.errstate(over="ignore"):
            hashes = [(h ^ stamps) * FNV_PRIME ^ (h >> np.uint64(29)) for h in hashes]
    return pd.DataFrame(
        {
            "h1": hashes[0][present],
            "h2": hashes[1][present],
            "row": np.flatnonzero(present) + piece.first_row,
        }
    )


def _repeated(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows whose (h1, h2) occurs more than once: h1 sorted, and only rows whose h1
    meets a neighbour's compared on both (pandas' `duplicated` over millions of pairs
    took seconds)."""
    h1 = frame["h1"].to_numpy()
    ordered = np.sort(h1)
    if not (ordered[1:] == ordered[:-1]).any():  # the usual case: no pair to look at
        return frame.iloc[:0]
    order = np.argsort(h1)
    same = h1[order][1:] == h1[order][:-1]
    near = frame.iloc[np.sort(order[np.r_[same, False] | np.r_[False, same]])]
    return near[near.duplicated(["h1", "h2"], keep=False)]


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
    """At some table rows of one piece: each of `names` as written, the comparable `key`
    (see `_keys`) and `row`."""
    keys = _keys(piece, names)
    if keys is None:
        return pd.DataFrame(columns=[*names, "key", "row"])
    data, key = keys
    local = rows[(rows >= piece.first_row) & (rows < piece.first_row + data.rows)]
    positions = local - piece.first_row
    picked = {name: data.shown(name, positions) for name in names}
    picked["key"] = key.iloc[positions].tolist()
    return pd.DataFrame(picked).assign(row=local)


def read_rows(client, files: TableFiles, rows: np.ndarray, columns: tuple[str, ...]):
    """The values at those table rows (see `rows_of`), read by the workers."""
    if not len(rows):
        return pd.DataFrame(columns=[*columns, "key", "row"])
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
    checks = [
        check
        for check in table_checks(table)
        if check.kind in (CheckKind.UNIQUE, CheckKind.UNIQUE_PAIR)
    ]
    problems: list[Problem] = []
    for check in checks:
        columns = check.columns
        if len(files.pieces) < 2 or apart([r.get(columns[0]) for r in ranges]):
            continue
        suspects = suspect_duplicates(client, files, columns)
        if not len(suspects):
            continue
        values = read_rows(client, files, suspects, columns)
        repeated = values["key"].notna() & values["key"].duplicated(keep=False)
        for i in np.flatnonzero(repeated.to_numpy()):
            problems.append(_duplicate(table, check, values, int(i)))
    return problems


def _duplicate(table: str, check: Check, values: pd.DataFrame, i: int) -> Problem:
    row = spreadsheet_row(int(values["row"].iloc[i]))
    value = values[check.column].iloc[i]
    if check.kind is CheckKind.UNIQUE_PAIR:
        value = f"{value}, {check.pair} {values[check.pair].iloc[i]}"
    return Problem(table, check.column, row, value, check.expected)


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
            (events, parents, link.table, link.unknown_expected),
            (parents, events, link.parent, link.orphan_expected),
        ):
            keys = right[["h1", "h2"]].drop_duplicates()
            joined = left.merge(keys, on=["h1", "h2"], how="left", indicator=True)
            rows = joined[joined["_merge"] == "left_only"]["row"].compute().to_numpy()
            values = read_rows(client, files[table], np.sort(rows), column)
            problems += [
                Problem(table, link.column, spreadsheet_row(int(r)), v, expected)
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

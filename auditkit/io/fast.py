"""The fast path for Parquet data sets: contract checks as Arrow kernels, typed frames from Arrow.

`auditkit.io.tables.load_tables` validates raw pandas frames with pandera,
which costs seconds per million rows. Here each Parquet file is read once
(its bytes hashed on a second thread, as in `auditkit.io.read`), every
contract check runs as an Arrow kernel on the file's native types, and the
typed frames are built straight from Arrow. The path only ever says "valid":
when a check fails, a table is CSV, or a column has a type it does not know,
the whole data set goes through `load_tables`, which finds every problem and
words it, so a refusal reads exactly the same whichever path ran.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from auditkit.contract import (
    CODE_PATTERN,
    HISTORY_TABLES,
    ID_PATTERN,
    INTEGER_PATTERN,
    MAX_TEXT_LENGTH,
    ROW_RULES,
    TABLE_NAMES,
    TABLE_SPECS,
    UNIQUE_KEYS,
    ColumnSpec,
    cents_column,
    column_spec,
)
from auditkit.io.read import SourceFile, _decimal_cents, find_table_files
from auditkit.io.tables import Tables, events_problems, extra_column, load_tables
from auditkit.money import parse_cents
from auditkit.progress import Progress
from auditkit.vocab import Kind

MAX_UNITS = 10**15  # money: at most 15 digits before the point (contract)


class Unsure(Exception):
    """The fast path cannot vouch for this input; the full validation decides."""


def load(
    data_dir: Path | str, progress: Progress | None = None, require_history: bool = False
) -> Tables:
    """`load_tables`, faster on valid Parquet input; the same Tables, the same refusals."""
    required = TABLE_NAMES + (HISTORY_TABLES if require_history else ())
    optional = () if require_history else HISTORY_TABLES
    files = find_table_files(Path(data_dir), required, optional)
    if any(path.suffix != ".parquet" for path in files.values()):
        return load_tables(data_dir, progress, require_history)
    note = progress or (lambda _: None)
    note("load")
    try:
        arrow, sources = _read(files)
        note("validate")
        typed = {table: typed_frame(table, data) for table, data in arrow.items()}
        _check_links(typed)
    except Unsure:
        return load_tables(data_dir, progress, require_history)
    return Tables(**typed, sources=sources)


def _read(files: dict[str, Path]) -> tuple[dict[str, pa.Table], dict[str, SourceFile]]:
    import hashlib

    arrow: dict[str, pa.Table] = {}
    sources: dict[str, SourceFile] = {}
    with ThreadPoolExecutor(max_workers=1) as pool:
        for table, path in files.items():
            data = Path(path).read_bytes()
            digest = pool.submit(lambda b: hashlib.sha256(b).hexdigest(), data)
            enums = enum_columns(table)
            try:
                # Enum columns stay dictionary-encoded: checked and coded on their few values.
                arrow[table] = pq.read_table(pa.BufferReader(data), read_dictionary=enums)
            except (pa.ArrowException, OSError):
                raise Unsure from None
            sources[table] = SourceFile(table, Path(path), len(data), digest.result())
    return arrow, sources


def enum_columns(table: str) -> list[str]:
    """The enum columns of `table`: read dictionary-encoded, checked on their dictionaries."""
    return [spec.name for spec in TABLE_SPECS[table] if spec.kind is Kind.ENUM]


# ---- one column: checked and typed -----------------------------------------------------


def _within(column: pa.ChunkedArray, bound: int) -> bool:
    """Every value of an integer column is strictly between -bound and bound."""
    extremes = pc.min_max(column).as_py()
    low, high = extremes["min"], extremes["max"]
    return low is None or (-bound < low and high < bound)


def _all(mask: pa.Array | pa.ChunkedArray) -> bool:
    return bool(pc.all(mask, skip_nulls=True).as_py() is not False)


def _text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column
    raise Unsure


def _money(column: pa.ChunkedArray, spec: ColumnSpec) -> np.ndarray:
    kind = column.type
    if pa.types.is_decimal128(kind) and kind.scale <= 2:
        cents = _decimal_cents(column)
        if cents is None:
            raise Unsure
        values = cents.to_numpy(dtype=np.int64, na_value=0)
    elif pa.types.is_integer(kind):
        # Whole units. Compared as Python ints: a uint64 above 2**63 or INT64_MIN (whose abs()
        # is negative) must not wrap into range; nulls are left to the full validation.
        if column.null_count or not _within(column, MAX_UNITS):
            raise Unsure
        values = column.cast(pa.int64()).to_numpy() * 100
    else:
        values, parsed = parse_cents(pd.Series(_text(column).to_pandas(), dtype="str"))
        if not parsed.all():
            raise Unsure
    if spec.non_negative and (values < 0).any():
        raise Unsure
    return values


def _timestamps(column: pa.ChunkedArray) -> pd.Series:
    kind = column.type
    try:
        if pa.types.is_date(kind):
            column = column.cast(pa.timestamp("us"))
        elif pa.types.is_timestamp(kind):
            column = column.cast(pa.timestamp(kind.unit)).cast(pa.timestamp("us"))  # UTC, naive
        else:
            raise Unsure
    except pa.ArrowInvalid:  # finer than microseconds, or out of range
        raise Unsure from None
    return pd.Series(column.to_pandas(), dtype="datetime64[us]")


def _enum(column: pa.ChunkedArray, choices: tuple[str, ...]) -> pd.Categorical:
    present = column.is_valid().to_numpy(zero_copy_only=False)
    if pa.types.is_dictionary(column.type):
        parts = []
        for chunk in column.chunks:
            values = _text(pa.chunked_array([chunk.dictionary]))
            mapping = pc.index_in(values, value_set=pa.array(choices, type=values.type))
            mapping = np.append(mapping.fill_null(-1).to_numpy().astype(np.int8), -1)
            indices = chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            parts.append(mapping[indices])  # -1 (null) picks the appended -1
        codes = np.concatenate(parts) if parts else np.zeros(0, np.int8)
    else:
        text = _text(column)
        codes = pc.index_in(text, value_set=pa.array(choices, type=text.type))
        codes = codes.fill_null(-1).to_numpy().astype(np.int8)
    if (codes[present] < 0).any():
        raise Unsure
    return pd.Categorical.from_codes(codes, categories=list(choices))


def _byte_set(*ranges: str) -> np.ndarray:
    allowed = np.zeros(256, dtype=bool)
    for chars in ranges:
        if len(chars) == 3 and chars[1] == "-":
            allowed[ord(chars[0]) : ord(chars[2]) + 1] = True
        else:
            allowed[[ord(c) for c in chars]] = True
    return allowed


ALNUM = _byte_set("A-Z", "a-z", "0-9")
# The contract's patterns as (first byte, other bytes, most bytes): ASCII only, so a byte
# is a character. Tested against the patterns themselves (tests/io/test_fast.py).
SHAPES: dict[Kind, tuple[np.ndarray, np.ndarray, int, str]] = {
    Kind.UIN: (_byte_set("0-9"), _byte_set("0-9"), 20, r"^[0-9]{1,20}$"),
    Kind.ID: (ALNUM, ALNUM | _byte_set("._:-"), 64, ID_PATTERN),
    Kind.CODE: (ALNUM | _byte_set("._-"), ALNUM | _byte_set("._-"), 128, CODE_PATTERN),
}


def shaped(text: pa.ChunkedArray, kind: Kind) -> bool:
    """Every non-null value has the shape of `kind` (its contract pattern), checked on the
    bytes of the Arrow buffers: a table look-up per byte instead of a regex per value."""
    first, other, longest, _ = SHAPES[kind]
    for chunk in text.chunks:
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        buffers = chunk.buffers()
        offsets = np.frombuffer(buffers[1], dtype=width)[
            chunk.offset : chunk.offset + len(chunk) + 1
        ]
        data = (
            np.frombuffer(buffers[2], dtype=np.uint8)
            if buffers[2] is not None
            else np.zeros(0, np.uint8)
        )
        lengths = np.diff(offsets)
        valid = chunk.is_valid().to_numpy(zero_copy_only=False)
        if ((lengths < 1) | (lengths > longest))[valid].any():
            return False
        body = data[offsets[0] : offsets[-1]]
        low, high = (int(body.min()), int(body.max())) if len(body) else (0, 0)
        inside = other[low : high + 1]
        if len(body) and not inside.all() and not other[body].all():
            return False  # a null's bytes, if it has any, count too: doubt is fine
        if not first[data[offsets[:-1][valid]]].all():
            return False
    return True


def _matches(column: pa.ChunkedArray, kind: Kind) -> pa.ChunkedArray:
    text = _text(column)
    if not shaped(text, kind):
        raise Unsure
    return text


def _uins(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_integer(column.type):
        if not _all(pc.greater_equal(column, 0)):
            raise Unsure
        column = column.cast(pa.string())
    return _matches(column, Kind.UIN)


def _unique(text: pa.ChunkedArray, values: pd.Series) -> None:
    """Unique non-null values; a sorted column is checked without hashing."""
    present = pc.drop_null(text).combine_chunks()
    n = len(present)
    if n < 2 or _all(pc.less(present.slice(0, n - 1), present.slice(1))):
        return  # strictly increasing, as ids stored in key order are
    if not pd.Index(values.dropna()).is_unique:
        raise Unsure


def typed_column(spec: ColumnSpec, column: pa.ChunkedArray, checked: bool = True) -> object:
    """The typed values of one contract column, as `auditkit.io.tables.convert` makes them.

    Not `checked`: the table is known to be valid; uniqueness is not tested again.
    """
    if spec.required and column.null_count:
        raise Unsure
    kind = spec.kind
    if kind is Kind.MONEY:
        return _money(column, spec)
    if kind is Kind.ENUM:
        return _enum(column, spec.choices)
    if kind is Kind.BOOL:
        if not pa.types.is_boolean(column.type) or column.null_count:
            raise Unsure  # a null would become False here
        return column.to_numpy(zero_copy_only=False).astype(bool)
    if kind is Kind.TIMESTAMP:
        return _timestamps(column)
    if kind is Kind.INTEGER:
        if not pa.types.is_integer(column.type):
            text = _text(column)
            if not _all(pc.match_substring_regex(text, INTEGER_PATTERN)):
                raise Unsure
            column = text.cast(pa.int64())
        elif not _within(column, 10**18):  # the contract's 18 digits, as the text path reads
            raise Unsure
        # Exact with nulls too (to_pandas would pass large values through float64).
        values = column.cast(pa.int64()).fill_null(0).to_numpy()
        missing = column.is_null().to_numpy(zero_copy_only=False)
        return pd.Series(pd.arrays.IntegerArray(values, missing))
    if kind is Kind.UIN:
        text = _uins(column)
    elif kind in (Kind.ID, Kind.CODE):
        text = _matches(column, kind)
    else:  # free text
        text = _text(column)
        if not _all(pc.less_equal(pc.utf8_length(text), MAX_TEXT_LENGTH)):
            raise Unsure
    values = pd.Series(text.to_pandas(), dtype="str")
    if spec.unique and checked:
        _unique(text, values)
    return values


def typed_frame(table: str, data: pa.Table, only: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The typed frame of one valid table; Unsure when any contract check fails.

    `only`: the data holds just these columns, read from a table known to be valid.
    """
    names = data.column_names
    if len(set(names)) != len(names):
        raise Unsure
    out: dict[str, object] = {}
    for spec in TABLE_SPECS[table]:
        wanted = only is None or spec.name in only
        if wanted and spec.name not in names and not spec.optional_column:
            raise Unsure
    for name in names:
        spec = column_spec(table, name)
        column = data.column(name)
        if spec is None:
            out[extra_column(table, name)] = column.to_pandas()
        elif spec.kind is Kind.MONEY:
            out[cents_column(name)] = typed_column(spec, column, only is None)
        else:
            out[name] = typed_column(spec, column, only is None)
    for spec in TABLE_SPECS[table]:
        if spec.optional_column and spec.name not in names:
            out[spec.name] = pd.Series(pd.NA, index=range(data.num_rows), dtype="str")
    frame = pd.DataFrame(out, index=pd.RangeIndex(data.num_rows))
    if only is None:
        _check_rows(table, frame, data)
    return frame


def _check_rows(table: str, frame: pd.DataFrame, data: pa.Table) -> None:
    """The contract's cross-column rules (on the values as read) and (key, moment) uniqueness."""
    rules = ROW_RULES.get(table, ())
    if rules:
        names = ["account_source", "internal_type", "identity_type", "enterprise_id"]
        raw = data.select([*names, "channel_role", "distributor_id"]).to_pandas()
        for rule in rules:
            if not rule.ok(raw).fillna(True).astype(bool).all():
                raise Unsure
    if table in UNIQUE_KEYS:
        key, moment = UNIQUE_KEYS[table]
        text = _text(data.column(key)).combine_chunks()
        stamps = frame[moment].to_numpy().view(np.int64)
        if _sorted_pairs(text, stamps):
            return
        codes = pd.factorize(frame[key])[0].astype(np.int64)
        order = np.lexsort((stamps, codes))
        same = (codes[order][1:] == codes[order][:-1]) & (stamps[order][1:] == stamps[order][:-1])
        if same.any():
            raise Unsure


def _sorted_pairs(text: pa.Array, stamps: np.ndarray) -> bool:
    """True when (key, moment) pairs are strictly increasing: unique without hashing."""
    n = len(text)
    if n < 2:
        return True
    before, after = text.slice(0, n - 1), text.slice(1)
    if not _all(pc.less_equal(before, after)):
        return False
    same = pc.equal(before, after).to_numpy(zero_copy_only=False)
    return bool((stamps[1:][same] > stamps[:-1][same]).all())


def _check_links(typed: dict[str, pd.DataFrame]) -> None:
    """Every event's order or voucher exists, and every order and voucher has an event."""
    problems, _unlisted = events_problems(typed)
    if problems:
        raise Unsure

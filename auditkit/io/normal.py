"""The one reading of a contract column: any Arrow type in, the contract's typed values out.

Every input reaches the checks through here: CSV text, the native Parquet types
(integers, floats, decimals, booleans, timestamps, dates, dictionaries, every kind of
string) and frames built in memory. `normalise` reads one column once into

- `values`: what `Tables` holds (cents as int64, categoricals, naive-UTC microseconds,
  nullable integers, text);
- `bad`: the rows holding a value that is not a valid value of the column's kind;
- `imprecise`: the timestamps finer than a microsecond;

so that both check backends (`auditkit.io.fast`, `auditkit.io.validate`) judge the same
values. How a native value counts: an integer uin is its decimal digits; integer money
is whole units; decimal money with at most 2 places is exact; float64 money is the
amount in cents whose nearest double it is, below `FLOAT_MONEY_LIMIT` (where each cent
has its own double); a whole float up to 2**53 (where each integer has its own double)
is that integer, e.g. an integer column that pandas turned into float64 for its nulls;
any other value is judged as its text (`as_text`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.contract import (
    CODE_PATTERN,
    EXPECTED,
    FALSE_WORDS,
    FLOAT_MONEY_LIMIT,
    ID_PATTERN,
    INTEGER_PATTERN,
    MAX_CODE_LENGTH,
    MAX_ID_LENGTH,
    MAX_INTEGER_DIGITS,
    MAX_MONEY_CENTS,
    MAX_TEXT_LENGTH,
    MAX_UIN_DIGITS,
    MONEY_COLUMNS,
    TABLE_SPECS,
    TRUE_WORDS,
    UIN_PATTERN,
    ColumnSpec,
    cents_column,
    column_spec,
)
from auditkit.errors import Problem
from auditkit.io.arrow import blocks, one_array
from auditkit.io.stamps import timestamps
from auditkit.money import parse_cents
from auditkit.vocab import Kind

EXACT_FLOAT_INTEGER = 2**53
MAX_INTEGER = 10**MAX_INTEGER_DIGITS - 1


class Unreadable(Exception):
    """A column whose Arrow type holds no single value per row (list, struct, binary, ...)."""


@dataclass(frozen=True)
class Column:
    """One contract column as read (`raw`) and as the contract reads it."""

    spec: ColumnSpec
    raw: pa.ChunkedArray
    values: object  # numpy array, pandas Series or Categorical, as `Tables` holds it
    bad: np.ndarray | None = None  # a value that is not one of the kind's; None: no such row
    imprecise: np.ndarray | None = None  # a timestamp finer than a microsecond
    text: pa.Array | None = None  # text kinds: the values as one Arrow string array

    def missing(self) -> np.ndarray:
        """Mask of the rows without a value."""
        return self.raw.is_null().to_numpy(zero_copy_only=False)


def extra_column(table: str, name: str) -> str:
    """Name under which an extra input column is kept in the typed frame.

    Extra columns keep their name unless it is one auditkit uses itself for the
    parsed money (`available_balance_cents`, ...): such a column is kept, untouched,
    as `input:<name>` so that it can never replace the amount the rules read.
    """
    reserved = {cents_column(money) for money in MONEY_COLUMNS[table]}
    return f"input:{name}" if name in reserved else name


def normalise(spec: ColumnSpec, column: pa.ChunkedArray) -> Column:
    """Read one contract column of any Arrow type; `Unreadable` for nested or binary data."""
    kind = spec.kind
    if pa.types.is_dictionary(column.type) and kind is not Kind.ENUM:
        column = column.cast(column.type.value_type)
    if pa.types.is_nested(column.type):
        raise Unreadable(str(column.type))
    if kind is Kind.MONEY:
        cents, ok = money_cents(column)
        return Column(spec, column, cents, None if ok.all() else ~ok)
    if kind is Kind.ENUM:
        return _enum(spec, column)
    if kind is Kind.BOOL:
        return _bool(spec, column)
    if kind is Kind.TIMESTAMP:
        values, bad, imprecise = timestamps(column)
        return Column(spec, column, values, bad, imprecise)
    if kind is Kind.INTEGER:
        return _integer(spec, column)
    text = as_text(column)
    return Column(spec, column, pd.Series(text, dtype="str"), text_failures(text, kind), text=text)


def as_text(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The values as one string array: string kinds as they are, anything else as its text.

    A float is written as Python writes it (`4.5`, `1e+16`), and a whole one up to 2**53
    as its integer (`4`): what a float64 column of integers with nulls holds.
    """
    if isinstance(column, pa.ChunkedArray):
        column = one_array(column)
    if pa.types.is_dictionary(column.type):
        column = column.dictionary_decode()
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column
    if pa.types.is_floating(column.type):
        return _float_text(column.cast(pa.float64()))
    try:
        return column.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise Unreadable(str(column.type)) from None


def _float_text(column: pa.Array) -> pa.Array:
    values = np.asarray(column.fill_null(0.0).to_numpy(zero_copy_only=False))
    with np.errstate(invalid="ignore"):
        whole = (np.floor(values) == values) & (np.abs(values) <= EXACT_FLOAT_INTEGER)
    text = pa.array(np.where(whole, values, 0).astype(np.int64)).cast(pa.string())
    if not whole.all():
        others = np.flatnonzero(~whole)
        written = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
        written[others] = [repr(float(value)) for value in values[others]]
        text = pa.array(written, type=pa.string())
    return pc.if_else(column.is_valid(), text, None)


def written(column: pa.ChunkedArray, rows: np.ndarray) -> list[object]:
    """The values at `rows` for a message, as the user wrote them (None where empty).

    Text is shown as it is; a native value as its text: a float as Python writes it
    (`4.0`, `1e+16`), timestamps in ISO 8601.
    """
    if not len(rows):
        return []  # a take of nothing still joins the column's chunks
    taken = column.take(pa.array(np.asarray(rows, dtype=np.int64)))
    kind = taken.type
    if pa.types.is_dictionary(kind):
        taken = taken.cast(kind.value_type)
        kind = taken.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
        return [None if v is None else pd.Timestamp(v).isoformat() for v in taken.to_pylist()]
    if pa.types.is_floating(kind):
        return [None if v is None else repr(float(v)) for v in taken.to_pylist()]
    try:
        return as_text(taken).to_pylist()
    except Unreadable:
        return taken.to_pylist()


# ---- text kinds ----------------------------------------------------------------------

PATTERNS = {Kind.UIN: UIN_PATTERN, Kind.ID: ID_PATTERN, Kind.CODE: CODE_PATTERN}


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
# is a character. Tested against the patterns themselves (tests/io/test_normal.py).
SHAPES: dict[Kind, tuple[np.ndarray, np.ndarray, int]] = {
    Kind.UIN: (_byte_set("0-9"), _byte_set("0-9"), MAX_UIN_DIGITS),
    Kind.ID: (ALNUM, ALNUM | _byte_set("._:-"), MAX_ID_LENGTH),
    Kind.CODE: (ALNUM | _byte_set("._-"), ALNUM | _byte_set("._-"), MAX_CODE_LENGTH),
}


def shaped(text: pa.Array, kind: Kind) -> bool:
    """Every non-null value has the shape of `kind` (its contract pattern), checked on the
    bytes of the Arrow buffers: a table look-up per byte instead of a regex per value."""
    first, other, longest = SHAPES[kind]
    width = np.int64 if pa.types.is_large_string(text.type) else np.int32
    buffers = text.buffers()
    offsets = np.frombuffer(buffers[1], dtype=width)[text.offset : text.offset + len(text) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] else np.zeros(0, np.uint8)
    lengths = np.diff(offsets)
    valid = np.asarray(text.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    if ((lengths < 1) | (lengths > longest))[valid].any():
        return False
    body = data[offsets[0] : offsets[-1]]
    low, high = (int(body.min()), int(body.max())) if len(body) else (0, 0)
    if len(body) and not other[low : high + 1].all() and not other[body].all():
        return False  # a null's bytes, if it has any, count too: doubt is fine
    return bool(first[data[offsets[:-1][valid]]].all()) if valid.any() else True


def text_failures(text: pa.Array, kind: Kind) -> np.ndarray | None:
    """Rows of `text` that are not a valid value of the text kind `kind`; None when none."""
    if kind is Kind.TEXT:
        if (pc.max(pc.binary_length(text)).as_py() or 0) <= MAX_TEXT_LENGTH:
            return None  # bytes >= characters
        return _failing(pc.less_equal(pc.utf8_length(text), MAX_TEXT_LENGTH))
    if shaped(text, kind):
        return None
    return _failing(pc.match_substring_regex(text, PATTERNS[kind]))


def _failing(ok: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
    """Rows where `ok` is False (a null, i.e. no value, is not failing); None when none."""
    if pc.all(ok, skip_nulls=True).as_py() is not False:
        return None
    return ~_ok_mask(ok)


def _within(column: pa.ChunkedArray, limit: int) -> pa.ChunkedArray:
    """Whether each value of an integer column lies in [-limit, limit], compared in the
    column's own type: a uint64 above 2**63 or INT64_MIN (whose abs() is negative) must
    not wrap into range."""
    kind = column.type
    if np.iinfo(kind.to_pandas_dtype()).max <= limit:
        return pc.is_valid(column)  # every value of the type is within
    below = pc.less_equal(column, pa.scalar(limit, kind))
    if pa.types.is_unsigned_integer(kind):
        return below
    return pc.and_(below, pc.greater_equal(column, pa.scalar(-limit, kind)))


def _ok_mask(ok: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(ok, True).to_numpy(zero_copy_only=False), dtype=bool)


def _present(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return np.asarray(column.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


# ---- money ---------------------------------------------------------------------------


def money_cents(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(cents as int64, ok) of a money column of any type; ok is False where a value is not
    an amount the contract allows (nulls are ok, with cents 0). Money is parsed here once."""
    kind = column.type
    if pa.types.is_decimal(kind) and kind.scale <= 2 and kind.bit_width == 128:
        return decimal_cents(column)
    if pa.types.is_integer(kind):
        # Whole units.
        within = _within(column, MAX_MONEY_CENTS // 100)
        safe = pc.if_else(pc.fill_null(within, False), column, pa.scalar(0, kind)).cast(pa.int64())
        return safe.to_numpy() * 100, _ok_mask(within)
    if pa.types.is_floating(kind):
        return float_cents(one_array(column).cast(pa.float64()))
    parsed = [parse_cents(block) for block in blocks(as_text(column))]
    cents = np.concatenate([block_cents for block_cents, _ in parsed])
    ok = np.concatenate([block_ok for _, block_ok in parsed])
    return cents, ok | ~_present(column)


def decimal_cents(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Exact cents from decimal128 with scale <= 2, read straight from the 128-bit values;
    ok is False for values beyond `MAX_MONEY_CENTS`."""
    scale = 10 ** (2 - column.type.scale)
    limit = MAX_MONEY_CENTS // scale
    parts: list[np.ndarray] = []
    oks: list[np.ndarray] = []
    for chunk in column.chunks:
        words = np.frombuffer(chunk.buffers()[1], dtype=np.int64).reshape(-1, 2)
        words = words[chunk.offset : chunk.offset + len(chunk)]
        low, high = words[:, 0], words[:, 1]
        present = _present(chunk)
        # Fits in 64 bits, and compared without abs(): abs(INT64_MIN) is negative.
        fits = (high == low >> 63) & (low >= -limit) & (low <= limit)
        oks.append(fits | ~present)
        parts.append(np.where(fits & present, low * scale, 0))
    if not parts:
        return np.zeros(0, np.int64), np.ones(0, bool)
    return np.concatenate(parts).astype(np.int64), np.concatenate(oks)


def float_cents(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(cents, ok) of float64 money: ok where the value is the double nearest to an amount
    in cents below `FLOAT_MONEY_LIMIT` (0.1 is 10 cents; 0.105 and NaN are no amount)."""
    present = _present(column)
    values = np.asarray(column.fill_null(0.0).to_numpy(zero_copy_only=False))
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(values) & (np.abs(values) < FLOAT_MONEY_LIMIT)
        guess = np.rint(np.where(usable, values, 0.0) * 100)
        cents = guess.copy()
        found = (guess / 100) == values
        if not found[usable].all():
            # values * 100 may be a cent off near the limit: try both neighbours.
            for step in (-1.0, 1.0):
                near = ~found & ((guess + step) / 100 == values)
                cents[near] = guess[near] + step
                found |= near
    ok = (usable & found) | ~present
    return np.where(ok, cents, 0).astype(np.int64), ok


# ---- enums, booleans, integers -------------------------------------------------------


def _enum(spec: ColumnSpec, column: pa.ChunkedArray) -> Column:
    choices = spec.choices
    if pa.types.is_dictionary(column.type):
        parts = []
        for chunk in column.chunks:
            words = as_text(chunk.dictionary)
            mapping = pc.index_in(words, value_set=pa.array(choices, type=words.type))
            mapping = np.append(mapping.fill_null(-1).to_numpy().astype(np.int8), -1)
            indices = chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            parts.append(mapping[indices])  # -1 (null) picks the appended -1
        codes = np.concatenate(parts) if parts else np.zeros(0, np.int8)
    else:
        text = as_text(column)
        codes = pc.index_in(text, value_set=pa.array(choices, type=text.type))
        codes = codes.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int8)
    failing = (codes < 0) & _present(column) if column.null_count else codes < 0
    values = pd.Categorical.from_codes(codes, categories=list(choices))
    return Column(spec, column, values, failing if failing.any() else None)


def _bool(spec: ColumnSpec, column: pa.ChunkedArray) -> Column:
    if pa.types.is_boolean(column.type):
        values = np.asarray(column.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
        return Column(spec, column, values)
    lowered = pc.utf8_lower(as_text(column))
    truthy = _ok_mask(pc.is_in(lowered, value_set=pa.array(TRUE_WORDS)))
    falsy = _ok_mask(pc.is_in(lowered, value_set=pa.array(FALSE_WORDS)))
    present = _present(column)
    failing = ~(truthy | falsy) & present
    return Column(spec, column, truthy & present, failing if failing.any() else None)


def _integer(spec: ColumnSpec, column: pa.ChunkedArray) -> Column:
    if pa.types.is_integer(column.type):
        ok = _within(column, MAX_INTEGER)
        number = column
    else:
        text = as_text(column)
        ok = pc.match_substring_regex(text, INTEGER_PATTERN)
        number = text
    failing = _failing(ok)
    if failing is not None:
        number = pc.if_else(pc.fill_null(ok, True), number, None)
    number = number.cast(pa.int64())
    # Exact with nulls too (to_pandas would pass large values through float64).
    missing = np.asarray(number.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    values = pd.arrays.IntegerArray(np.asarray(number.fill_null(0).to_numpy()), missing)
    return Column(spec, column, pd.Series(values), failing)


# ---- a whole table -------------------------------------------------------------------


@dataclass(frozen=True)
class Normalised:
    """One table as read (`data`) and each of its contract columns as the contract reads it."""

    table: str
    data: pa.Table
    columns: dict[str, Column]

    @property
    def rows(self) -> int:
        return self.data.num_rows

    def shown(self, name: str, rows: np.ndarray) -> list[object]:
        """The values of column `name` at `rows`, as written."""
        return written(self.data.column(name), rows)

    def typed(self) -> pd.DataFrame:
        """The typed frame `Tables` holds: money as `<name>_cents`, extra columns as read, and
        a column the file may leave out (`decision_code`) added, empty."""
        out: dict[str, object] = {}
        for name in self.data.column_names:
            column = self.columns.get(name)
            if column is None:
                out[extra_column(self.table, name)] = self.data.column(name).to_pandas()
            elif column.spec.kind is Kind.MONEY:
                out[cents_column(name)] = column.values
            else:
                out[name] = column.values
        for spec in TABLE_SPECS[self.table]:
            if spec.optional_column and spec.name not in self.data.column_names:
                out[spec.name] = pd.Series(pd.NA, index=range(self.rows), dtype="str")
        return pd.DataFrame(out, index=pd.RangeIndex(self.rows))


def normalise_table(
    table: str, data: pa.Table, first_row: int = 0
) -> tuple[Normalised, list[Problem]]:
    """Every contract column of `data` read; problems for columns that cannot be (a name
    twice in the header, a nested or binary type). `first_row`: the 0-based table row of
    the data's first row, for the messages of a piece of a table."""
    names = data.column_names
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        expected = "column {!r} appears more than once in the header"
        return Normalised(table, data, {}), [
            Problem(table, name, 1, None, expected.format(name)) for name in twice
        ]
    columns: dict[str, Column] = {}
    problems: list[Problem] = []
    for name in names:
        spec = column_spec(table, name)
        if spec is None:
            continue
        try:
            columns[name] = normalise(spec, data.column(name))
        except (Unreadable, pa.ArrowException):
            problems.append(_unreadable(table, spec, data.column(name), first_row))
    return Normalised(table, data, columns), problems


def _unreadable(table: str, spec: ColumnSpec, column: pa.ChunkedArray, first_row: int) -> Problem:
    """A column whose Arrow type holds no single value per row, with its first value."""
    valid = column.is_valid()
    first = pc.index(valid, True).as_py() if len(column) else -1
    value = column[first].as_py() if first >= 0 else None
    wanted = "one of " + " | ".join(spec.choices) if spec.kind is Kind.ENUM else EXPECTED[spec.kind]
    kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
    return Problem(
        table,
        spec.name,
        first_row + first + 2 if first >= 0 else None,
        value,
        f"a Parquet column of type {kind}, which auditkit cannot read; expected {wanted}",
    )

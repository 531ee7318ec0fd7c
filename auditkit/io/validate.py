"""Check raw tables against the contract with pandera and turn failures into located Problems.

Validation runs on the raw frames as read (strings from CSV; strings, booleans,
timestamps or integer cents from Parquet, see `auditkit.io.read`), so every
defect is reported with the value the user actually wrote. The value checks
here also parse: `money_cents`, `bool_values` and `timestamp_values` are what
`auditkit.io.tables` converts with once validation passed.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc

from auditkit.contract import (
    CODE_PATTERN,
    EXPECTED,
    FALSE_WORDS,
    ID_PATTERN,
    INTEGER_PATTERN,
    MAX_TEXT_LENGTH,
    NON_NEGATIVE_EXPECTED,
    ROW_RULES,
    TABLE_SPECS,
    TIMESTAMP_PRECISION_EXPECTED,
    TRUE_WORDS,
    UNIQUE_EXPECTED,
    UNIQUE_KEYS,
    ColumnSpec,
    column_spec,
)
from auditkit.errors import MAX_LISTED_PROBLEMS, Problem, Unlisted
from auditkit.money import format_cents, parse_cents
from auditkit.vocab import Kind

HEADER_ROWS = 1  # spreadsheet row of the header; data row i (0-based) is row i + 2


def spreadsheet_row(index: int) -> int:
    """The row a spreadsheet shows for 0-based data row `index` (the header is row 1)."""
    return int(index) + HEADER_ROWS + 1


# ---- raw-value checks, aware of the types a Parquet reader may hand over -------------


def _arrow_text(series: pd.Series) -> pyarrow.Array:
    return pyarrow.array(series.astype("str"), type=pyarrow.large_string(), from_pandas=True)


def uin_ok(series: pd.Series) -> pd.Series:
    # Same as UIN_PATTERN, 4x faster than a regex on millions of rows.
    array = _arrow_text(series)
    ok = pc.and_(pc.ascii_is_decimal(array), pc.less_equal(pc.utf8_length(array), 20))
    return pd.Series(ok.fill_null(False).to_numpy(zero_copy_only=False), index=series.index)


def _matches(series: pd.Series, pattern: str) -> pd.Series:
    ok = pc.match_substring_regex(_arrow_text(series), pattern)
    return pd.Series(ok.fill_null(False).to_numpy(zero_copy_only=False), index=series.index)


def id_ok(series: pd.Series) -> pd.Series:
    return _matches(series, ID_PATTERN)


def code_ok(series: pd.Series) -> pd.Series:
    return _matches(series, CODE_PATTERN)


def text_ok(series: pd.Series) -> pd.Series:
    return series.astype("str").str.len().le(MAX_TEXT_LENGTH).fillna(False).astype(bool)


def integer_ok(series: pd.Series) -> pd.Series:
    if pd.api.types.is_integer_dtype(series.dtype):
        return pd.Series(True, index=series.index)
    return series.astype("str").str.fullmatch(INTEGER_PATTERN).fillna(False).astype(bool)


def money_cents(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(cents, parsed-mask) for a raw money column; integer dtype means cents already."""
    if pd.api.types.is_integer_dtype(series.dtype):
        return series.to_numpy(dtype=np.int64, na_value=0), series.notna().to_numpy()
    return parse_cents(series)


def money_ok(series: pd.Series) -> pd.Series:
    return pd.Series(money_cents(series)[1], index=series.index)


def money_non_negative(series: pd.Series) -> pd.Series:
    cents, ok = money_cents(series)
    # Malformed values are reported by money_ok; do not report them twice.
    return pd.Series(~ok | (cents >= 0), index=series.index)


def bool_values(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(values, parsed-mask) for a raw boolean column."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=bool, na_value=False), series.notna().to_numpy()
    lowered = series.astype("str").str.lower()
    truthy = lowered.isin(TRUE_WORDS).to_numpy()
    falsy = lowered.isin(FALSE_WORDS).to_numpy()
    return truthy, truthy | falsy


def bool_ok(series: pd.Series) -> pd.Series:
    return pd.Series(bool_values(series)[1], index=series.index)


# A fraction of a second with more than 6 digits. Digits past the 6th that are all zero
# are dropped; any other is finer than the microseconds the engine keeps, and is refused
# rather than truncated (truncating moved a voucher expiring 100 ns after midnight to
# midnight, and so made it expired as of that day).
LONG_FRACTION = r"[.,][0-9]{7}"
FINER_THAN_MICROSECONDS = r"[.,][0-9]{6}[0-9]*[1-9]"


def finer_than_microseconds(series: pd.Series) -> np.ndarray:
    """Mask of timestamps (text or native) with a nonzero part below the microsecond."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        ticks = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) else series
        if np.datetime_data(ticks.dtype)[0] != "ns":
            return np.zeros(len(series), dtype=bool)
        nanos = ticks.to_numpy(dtype="datetime64[ns]").view(np.int64)
        return (nanos % 1000 != 0) & series.notna().to_numpy()
    return _finer_text(_arrow_text(series))[0]


def _finer_text(text: pyarrow.Array) -> tuple[np.ndarray, bool]:
    """(mask of values finer than a microsecond, whether any value has 7+ fraction digits)."""
    if not pc.any(pc.match_substring_regex(text, LONG_FRACTION)).as_py():
        return np.zeros(len(text), dtype=bool), False
    finer = pc.match_substring_regex(text, FINER_THAN_MICROSECONDS)
    return finer.fill_null(False).to_numpy(zero_copy_only=False), True


def _timestamps(series: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(naive-UTC datetime64[us] values, mask of values finer than a microsecond).

    Values that are null, not ISO 8601, or finer than a microsecond are NaT.
    """
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        finer = finer_than_microseconds(series)
        return series.where(~finer).astype("datetime64[us]"), finer
    text = series.astype("str")
    arrow = _arrow_text(series)
    finer, long_fractions = _finer_text(arrow)
    if long_fractions:
        # Past the 6th digit only zeros remain once the finer values are set aside: drop
        # them, so that every value parses to microseconds (one value in nanoseconds made
        # pandas parse the column in nanoseconds, where years past 2262 do not fit).
        cut = pc.replace_substring_regex(arrow, r"([.,][0-9]{6})[0-9]+", r"\1")
        text = pd.Series(cut.to_pandas(), index=series.index, dtype="str").where(~finer)
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    return parsed.dt.tz_localize(None).astype("datetime64[us]"), finer


def timestamp_values(series: pd.Series) -> pd.Series:
    """Naive-UTC datetime64[us] values; NaT where the raw value is null or not ISO 8601.

    A timestamp finer than a microsecond is NaT here too: the precision check reports it.
    """
    return _timestamps(series)[0]


def timestamp_ok(series: pd.Series) -> pd.Series:
    values, finer = _timestamps(series)
    # A value that is only too precise is reported once, by timestamp_precise.
    return values.notna() | finer


def timestamp_precise(series: pd.Series) -> pd.Series:
    return pd.Series(~finer_than_microseconds(series), index=series.index)


def unique_ok(series: pd.Series) -> pd.Series:
    """False on every row whose value occurs more than once (nulls are left to nullability)."""
    if pd.Index(series.dropna()).is_unique:  # fast path, the usual case
        return pd.Series(True, index=series.index)
    return ~series.duplicated(keep=False) | series.isna()


VALUE_CHECKS = {
    Kind.UIN: uin_ok,
    Kind.ID: id_ok,
    Kind.CODE: code_ok,
    Kind.TEXT: text_ok,
    Kind.INTEGER: integer_ok,
    Kind.MONEY: money_ok,
    Kind.BOOL: bool_ok,
    Kind.TIMESTAMP: timestamp_ok,
}


def _value_checks(spec: ColumnSpec) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if spec.kind is Kind.ENUM:
        choices = " | ".join(spec.choices)
        checks.append(pa.Check(lambda s, c=spec.choices: s.isin(c), error=f"one of {choices}"))
    else:
        checks.append(pa.Check(VALUE_CHECKS[spec.kind], error=EXPECTED[spec.kind]))
    if spec.kind is Kind.TIMESTAMP:
        checks.append(pa.Check(timestamp_precise, error=TIMESTAMP_PRECISION_EXPECTED))
    if spec.unique:
        checks.append(pa.Check(unique_ok, error=UNIQUE_EXPECTED))
    if spec.non_negative:
        checks.append(pa.Check(money_non_negative, error=NON_NEGATIVE_EXPECTED))
    return checks


def unique_key_expected(table: str) -> str:
    first, second = UNIQUE_KEYS[table]
    return f"duplicate ({first}, {second}); each pair must appear only once"


def unique_key_ok(table: str, frame: pd.DataFrame) -> pd.Series:
    """False on every row whose key pair occurs more than once; the moment compared parsed.

    Sorted codes compared with their neighbours: no hashing of (text, moment) tuples.
    """
    first, second = UNIQUE_KEYS[table]
    array = _arrow_text(frame[first])
    if isinstance(array, pyarrow.ChunkedArray):
        array = array.combine_chunks()
    codes = array.dictionary_encode().indices.to_numpy(zero_copy_only=False).astype(np.int64)
    moments = timestamp_values(frame[second]).astype("datetime64[ns]")
    comparable = frame[first].notna().to_numpy() & moments.notna().to_numpy()
    stamps = moments.to_numpy().view(np.int64)
    order = np.lexsort((stamps, codes))
    same = (codes[order][1:] == codes[order][:-1]) & (stamps[order][1:] == stamps[order][:-1])
    repeated = np.zeros(len(order), dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    duplicated = np.zeros(len(order), dtype=bool)
    duplicated[order] = repeated
    return pd.Series(~(duplicated & comparable), index=frame.index)


def pandera_schema(table: str, present_columns: list[str]) -> pa.DataFrameSchema:
    """Schema checking one raw table; cross-column rules run only when their columns exist."""
    columns = {
        spec.name: pa.Column(
            checks=_value_checks(spec),
            nullable=not spec.required,
            required=not spec.optional_column,
            coerce=False,
        )
        for spec in TABLE_SPECS[table]
    }
    needed = {spec.name for spec in TABLE_SPECS[table] if not spec.optional_column}
    wide = [
        pa.Check(
            lambda f, rule=rule: rule.ok(f).fillna(True).astype(bool),
            error=rule.expected,
            name=rule.expected,
        )
        for rule in ROW_RULES.get(table, ())
        if needed <= set(present_columns)
    ]
    if table in UNIQUE_KEYS and set(UNIQUE_KEYS[table]) <= set(present_columns):
        expected = unique_key_expected(table)
        wide.append(pa.Check(lambda f: unique_key_ok(table, f), error=expected, name=expected))
    return pa.DataFrameSchema(columns, checks=wide, strict=False, name=table)


def _row_rule_column(table: str, expected: str) -> str | None:
    if table in UNIQUE_KEYS and expected == unique_key_expected(table):
        return UNIQUE_KEYS[table][0]
    return next((r.column for r in ROW_RULES.get(table, ()) if r.expected == expected), None)


# ---- running the schema -------------------------------------------------------------

MAX_EXAMPLES = MAX_LISTED_PROBLEMS  # rows kept as examples per check; the rest are counted
CASE_KEYS = ["schema_context", "column", "check"]


def validate_raw(
    table: str, frame: pd.DataFrame, rows: Callable[[int], int] = spreadsheet_row
) -> tuple[list[Problem], list[Unlisted]]:
    """Every contract defect of one raw table, lazily collected by pandera.

    Returns the first MAX_EXAMPLES rows failing each check as Problems, and how many
    more rows failed each check. `rows` maps a 0-based data row to its spreadsheet row.
    """
    schema = pandera_schema(table, list(frame.columns))
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        return _problems_from(table, frame, errors.failure_cases, rows)
    return [], []


def _problems_from(
    table: str, frame: pd.DataFrame, cases: pd.DataFrame, rows: Callable[[int], int]
) -> tuple[list[Problem], list[Unlisted]]:
    """Examples and counts per check; only the examples become Problem objects."""
    cases = cases.reset_index(drop=True)
    groups = cases[CASE_KEYS].astype("str").groupby(CASE_KEYS, sort=False)
    examples = cases[groups.cumcount().to_numpy() < MAX_EXAMPLES].to_dict("records")
    problems = [_problem(table, frame, case, rows) for case in examples]
    # A check's examples all read alike; one of them describes its unlisted rows.
    firsts = {
        tuple(str(case[key]) for key in CASE_KEYS): problem
        for case, problem in zip(examples, problems, strict=True)
    }
    unlisted = [
        Unlisted(table, firsts[key].column, firsts[key].expected, int(size) - MAX_EXAMPLES)
        for key, size in groups.size().items()
        if size > MAX_EXAMPLES
    ]
    problems = list(dict.fromkeys(problems))
    problems.sort(key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
    return problems, unlisted


def _problem(
    table: str, frame: pd.DataFrame, case: dict[str, object], rows: Callable[[int], int]
) -> Problem:
    """One pandera failure case as a Problem: table, column, spreadsheet row, value, expectation."""
    check = str(case["check"])
    column = case["column"] if isinstance(case["column"], str) else None
    index = case["index"]
    row = rows(int(index)) if pd.notna(index) else None
    if check == "column_in_dataframe":
        missing = str(case["failure_case"])
        near = near_match(
            missing, [name for name in frame.columns if column_spec(table, name) is None]
        )
        if near is None:
            return Problem(table, missing, 1, None, "required column is missing from the header")
        return Problem(
            table,
            missing,
            1,
            near,
            f"required column is missing from the header; did you mean {missing!r}?",
        )
    if case["schema_context"] == "DataFrameSchema":
        column = _row_rule_column(table, check)
        if column is None or row is None:
            return Problem(table, column, row, None, check)
        value = _as_written(frame, table, column, int(index))
        if table in UNIQUE_KEYS and check == unique_key_expected(table):
            second = UNIQUE_KEYS[table][1]
            value = f"{value}, {second} {_as_written(frame, table, second, int(index))}"
        return Problem(table, column, row, value, check)
    value = (
        _as_written(frame, table, column, int(index))
        if row is not None and column in frame
        else case["failure_case"]
    )
    if check == "not_nullable":
        return Problem(table, column, row, None, "required value is empty")
    if check in ("field_uniqueness", UNIQUE_EXPECTED):
        expected = f"duplicate {column}; each {column} must appear only once"
    else:
        expected = f"expected {check}"
    return Problem(table, column, row, value, expected)


def near_match(missing: str, candidates: list[str]) -> str | None:
    """The header name that was probably meant as `missing`: 'UIN', ' uin' or 'uni' for 'uin'."""
    normal = {name.strip().strip("\ufeff").lower(): name for name in candidates}
    if missing in normal:
        return normal[missing]
    close = difflib.get_close_matches(missing, list(normal), n=1, cutoff=0.6)
    return normal[close[0]] if close else None


def _as_written(frame: pd.DataFrame, table: str, column: str, index: int) -> object:
    """The value at `index` for a message, as the user wrote it.

    Parquet money read as integer cents is shown as a decimal again, and numpy scalars
    as plain Python values (4, not np.int64(4)).
    """
    series = frame[column]
    value = series.iloc[index]
    if pd.isna(value):
        return None
    spec = column_spec(table, column)
    if spec is not None and spec.kind is Kind.MONEY and pd.api.types.is_integer_dtype(series.dtype):
        return format_cents(int(value))
    return value.item() if isinstance(value, np.generic) else value

"""Every contract check gives the same tables or the same refusal, whichever way data comes in.

Each case below holds one hostile (or borderline valid) value per contract check. It
is fed as CSV text, as Parquet text, as Parquet with native types (decimal, integer
or float64 money, integer uins, booleans, timestamps, dictionary enums, large
strings), and as frames in memory (the pandera backend); every route must give the
same typed tables, or refuse with the same problems: table, column, row, value,
expected, and the same count of rows beyond the listed ones.
"""

from __future__ import annotations

import dataclasses
import decimal
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import (
    account,
    order,
    order_event,
    raw_frames,
    request,
    run_cli,
    state,
    voucher,
    voucher_event,
)

from auditkit.contract import FLOAT_MONEY_LIMIT, column_spec, table_checks
from auditkit.errors import InputError
from auditkit.io.tables import load_tables, tables_from_frames
from auditkit.vocab import CheckKind, Kind

Rows = dict[str, list[dict]]
BASE: Rows = {
    "accounts": [account("1"), account("2")],
    "orders": [order("O1", "1")],
    "vouchers": [voucher("V1", "1")],
    "requests": [request()],
}
HISTORY: Rows = {
    "account_history": [state("1"), state("2")],
    "order_events": [order_event("O1")],
    "voucher_events": [voucher_event("V1")],
}


def case(**tables: list) -> Rows:
    """The base data set with some tables replaced; with history if one of them is history.
    `drop`: (table, column) pairs left out of the files."""
    history = HISTORY if set(tables) & set(HISTORY) else {}
    return BASE | history | tables


def frames_of(rows: Rows) -> dict[str, pd.DataFrame]:
    frames = raw_frames(**{name: value for name, value in rows.items() if name != "drop"})
    for table, column in rows.get("drop", ()):
        frames[table] = frames[table].drop(columns=[column])
    return frames


def accounts(changes: dict) -> Rows:
    """Accounts 1 and 2, the first one changed."""
    return case(accounts=[account("1") | changes, account("2")])


OK = None  # a case the contract accepts
LINK = "link"  # refused by the event links between tables
K = CheckKind
# name: (what refuses it, the rows)
CASES: dict[str, tuple[CheckKind | str | None, Rows]] = {
    "valid": (OK, case()),
    "valid with history": (OK, case(**HISTORY)),
    "missing column": (K.COLUMN, case(drop=[("requests", "action")])),
    "empty uin": (K.REQUIRED, accounts({"uin": None})),
    "empty bool": (K.REQUIRED, accounts({"credit_card_bound": None})),
    "empty money": (K.REQUIRED, case(orders=[order("O1", "1", amount=None)])),
    "empty timestamp": (K.REQUIRED, case(requests=[request(requested_at=None)])),
    "uin with a letter": (K.VALUE, accounts({"uin": "x1"})),
    "uin of 21 digits": (K.VALUE, accounts({"uin": "1" * 21})),
    "uin negative": (K.VALUE, accounts({"uin": "-5"})),
    "uin with leading zeros": (OK, case(accounts=[account("0042"), account("2")])),
    "id starting with a dash": (K.VALUE, case(requests=[request(request_id="-R")])),
    "id of 65 characters": (K.VALUE, case(requests=[request(request_id="R" * 65)])),
    "id of 64 characters": (OK, case(requests=[request(request_id="R" * 64)])),
    "id with a space": (K.VALUE, case(orders=[order("O 1", "1")], order_events=[order_event("O 1")])),
    "id not ASCII": (K.VALUE, case(requests=[request(request_id="Ré")])),
    "code with a space": (K.VALUE, case(requests=[request(decision_code="Bad Code")])),
    "text of 129 characters": (K.VALUE, accounts({"enterprise_id": "E" * 129})),
    "text of 128 two-byte characters": (OK, accounts({"enterprise_id": "é" * 128})),
    "text of 129 two-byte characters": (K.VALUE, accounts({"enterprise_id": "é" * 129})),
    "integer as a word": (K.VALUE, accounts({"account_source": "internal", "internal_type": "four"})),
    "integer of 18 digits": (OK, accounts({"account_source": "internal", "internal_type": "-" + "9" * 18})),
    "integer of 19 digits": (K.VALUE, accounts({"account_source": "internal", "internal_type": "1234567890123456789"})),
    "integer of 20 digits": (K.VALUE, accounts({"account_source": "internal", "internal_type": "18446744073709551615"})),
    "money with 3 decimals": (K.VALUE, accounts({"available_balance": "1.005"})),
    "money at the upper limit": (OK, accounts({"available_balance": "999999999999999.99"})),
    "money at the lower limit": (OK, accounts({"available_balance": "-999999999999999.99"})),
    "money just over the upper limit": (K.VALUE, accounts({"available_balance": "1000000000000000.00"})),
    "money just under the lower limit": (K.VALUE, accounts({"available_balance": "-1000000000000000.00"})),
    "whole money at the limit": (OK, accounts({"available_balance": "999999999999999"})),
    "whole money over the limit": (K.VALUE, accounts({"available_balance": "-1000000000000000"})),
    "money of a tenth": (OK, accounts({"available_balance": "0.1"})),
    "money near the float limit": (OK, accounts({"available_balance": "70368744177663.99"})),
    "money not a number": (K.VALUE, accounts({"available_balance": "nan"})),
    "money with an exponent": (K.VALUE, accounts({"available_balance": "1e3"})),
    "bool as yes": (K.VALUE, accounts({"credit_card_bound": "yes"})),
    "bool in capitals": (OK, accounts({"credit_card_bound": "TRUE"})),
    "timestamp as a word": (K.VALUE, case(requests=[request(requested_at="yesterday")])),
    "timestamp month 13": (K.VALUE, case(requests=[request(requested_at="2026-13-01")])),
    "timestamp finer than a microsecond": (
        K.PRECISION, case(vouchers=[voucher("V1", "1", expires_at="2026-11-01T00:00:00.000000100")])
    ),
    "timestamp to the microsecond": (
        OK, case(vouchers=[voucher("V1", "1", expires_at="2026-11-01T00:00:00.000001")])
    ),
    "timestamp open-ended 9999-12-31": (
        OK, case(vouchers=[voucher("V1", "1", expires_at="9999-12-31T00:00:00")])
    ),
    "timestamp in 1600": (OK, case(account_history=[state("1", "1600-01-01T00:00:00"), state("2")])),
    "enum unknown word": (K.ONE_OF, accounts({"account_source": "foreign"})),
    "enum in capitals": (K.ONE_OF, case(requests=[request(action="JOIN")])),
    "money one cent below zero": (K.NON_NEGATIVE, accounts({"overdue_amount": "-0.01"})),
    "money zero with a sign": (OK, accounts({"overdue_amount": "-0.00"})),
    "duplicate uin": (K.UNIQUE, case(accounts=[account("1"), account("1"), account("2")])),
    "duplicate request": (K.UNIQUE, case(requests=[request("R1"), request("R1")])),
    "duplicate state": (
        K.UNIQUE_PAIR,
        case(account_history=[state("1", "2026-01-01T00:00:00"), state("1", "2026-01-01T00:00:00"), state("2")]),
    ),
    "duplicate event moment": (
        K.UNIQUE_PAIR, case(order_events=[order_event("O1", at="2026-10-01T00:00:00")] * 2)
    ),
    "states of 1600 and 9999": (
        OK,
        case(account_history=[
            state("1", "1600-01-01T00:00:00"),
            state("1", "9999-12-31T00:00:00"),
            state("2", "2262-04-12T00:00:00"),
        ]),
    ),
    "internal without a type": (K.REQUIRED_WHEN, accounts({"account_source": "internal"})),
    "external with a type": (K.EMPTY_WHEN, accounts({"internal_type": "4"})),
    "enterprise without an id": (K.REQUIRED_WHEN, accounts({"enterprise_id": None})),
    "personal with an id": (K.EMPTY_UNLESS, accounts({"identity_type": "personal"})),
    "sub-customer without a distributor": (
        K.REQUIRED_WHEN, accounts({"channel_role": "distributor_subcustomer"})
    ),
    "history breaks a cross-column rule": (
        K.EMPTY_WHEN, case(account_history=[state("1", internal_type="4"), state("2")])
    ),
    "event of an unknown order": (LINK, case(order_events=[order_event("O1"), order_event("O9")])),
    "order without an event": (LINK, case(orders=[order("O1", "1"), order("O2", "1")], order_events=[order_event("O1")])),
    "30 bad amounts": (
        K.VALUE,
        case(
            orders=[order(f"O{i:02d}", "1", amount="1.005") for i in range(30)],
            order_events=[order_event(f"O{i:02d}") for i in range(30)],
        ),
    ),
}  # fmt: skip


# ---- the same rows, as each route writes them -------------------------------------------


PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?")
WIDE = decimal.Context(prec=60)


def _decimal(text: str, places: int) -> Decimal | None:
    """The decimal a plain number means (no exponent, at most `places` decimals)."""
    if not PLAIN.fullmatch(text) or len(text.partition(".")[2]) > places:
        return None
    return Decimal(text).quantize(Decimal(1).scaleb(-places), context=WIDE)


def _float(text: str) -> float | None:
    value = _decimal(text, 20)
    if value is None:
        return None
    number = float(value)
    if abs(number) >= FLOAT_MONEY_LIMIT:
        return None  # no float means an amount this large to the cent: tested apart
    return number if Decimal(repr(number)) == value else None  # the float means the text


def _integer(text: str, low: int = -(2**63), high: int = 2**63 - 1) -> int | None:
    value = _decimal(text, 0)
    if value is None or str(int(value)) != text or not low <= int(value) <= high:
        return None
    return int(value)


def _moment(text: str) -> object:
    try:
        moment = pd.Timestamp(text)
    except ValueError:
        return None
    return moment if moment.isoformat() == text else None


def _bool(text: str) -> bool | None:
    return {"true": True, "false": False, "1": True, "0": False}.get(text)


Native = Callable[[str], object]
# How a native Parquet type holds a text value (None: it cannot, the column stays text).
NATIVE: dict[str, tuple[pa.DataType, Native]] = {
    # decimal(20, 2) writes its two places: it means the text that writes them too
    "money decimal": (pa.decimal128(20, 2), lambda t: _decimal(t, 2) if t[-3:-2] == "." else None),
    "money integer": (pa.int64(), _integer),
    "money float": (pa.float64(), _float),
    "integer": (pa.int64(), _integer),
    "integer unsigned": (pa.uint64(), lambda t: _integer(t, 0, 2**64 - 1)),
    "uin integer": (pa.int64(), lambda t: _integer(t, 0)),
    "bool": (pa.bool_(), _bool),
    "timestamp": (pa.timestamp("ns"), _moment),
    "enum dictionary": (pa.dictionary(pa.int32(), pa.string()), lambda t: t),
    "text large": (pa.large_string(), lambda t: t),
}
NATIVE_FOR: dict[str, dict[Kind, str]] = {
    "decimal money": {Kind.MONEY: "money decimal", Kind.INTEGER: "integer", Kind.BOOL: "bool",
                      Kind.TIMESTAMP: "timestamp", Kind.ENUM: "enum dictionary",
                      Kind.UIN: "uin integer"},
    "float money": {Kind.MONEY: "money float", Kind.UIN: "text large", Kind.ID: "text large",
                    Kind.TEXT: "text large", Kind.ENUM: "text large",
                    Kind.INTEGER: "integer unsigned", Kind.TIMESTAMP: "timestamp"},
    "integer money": {Kind.MONEY: "money integer"},
}  # fmt: skip


def native_column(texts: list[str | None], native: str) -> pa.Array | None:
    kind, convert = NATIVE[native]
    values = [None if t is None else convert(t) for t in texts]
    if any(v is None and t is not None for v, t in zip(values, texts, strict=True)):
        return None
    if pa.types.is_dictionary(kind):
        return pa.array(values, pa.string()).dictionary_encode()
    if pa.types.is_timestamp(kind):
        finer = any(v is not None and v.nanosecond for v in values)
        return pa.array([None if v is None else v.to_datetime64() for v in values],
                        pa.timestamp("ns" if finer else "us"))  # fmt: skip
    return pa.array(values, kind)


def native_table(table: str, data: pd.DataFrame, natives: dict[Kind, str]) -> tuple[pa.Table, bool]:
    """The table with each column in its native type where every value fits it; and whether
    any column is native."""
    columns = []
    for name in data.columns:
        texts = [None if pd.isna(v) else str(v) for v in data[name]]
        spec = column_spec(table, name)
        native = natives.get(spec.kind) if spec is not None else None
        array = native_column(texts, native) if native else None
        columns.append(array if array is not None else pa.array(texts, pa.string()))
    native = any(not pa.types.is_string(c.type) for c in columns)
    return pa.Table.from_arrays(columns, names=list(data.columns)), native


def write(folder: Path, frames: dict[str, pd.DataFrame], route: str) -> Path | None:
    """The data as `route` writes it; None for a route that holds no value natively
    (it would be the CSV route again)."""
    folder.mkdir(parents=True)
    if route == "csv":
        for table, data in frames.items():
            data.to_csv(folder / f"{table}.csv", index=False)
        return folder
    natives = NATIVE_FOR[route.removeprefix("parquet, ")]
    tables = {table: native_table(table, data, natives) for table, data in frames.items()}
    if not any(native for _, native in tables.values()):
        return None
    for table, (arrow, _) in tables.items():
        pq.write_table(arrow, folder / f"{table}.parquet")
    return folder


# Text from Parquet is read as from CSV; the float route holds its text as large strings.
ROUTES = ("csv", "parquet, decimal money", "parquet, float money", "parquet, integer money")


def outcome(load: Callable[[], object]) -> tuple[str, object]:
    try:
        tables = load()
    except InputError as error:
        problems = [dataclasses.astuple(p) for p in error.problems]
        return "refused", (problems, sorted(dataclasses.astuple(u) for u in error.unlisted))
    return "tables", tables


def assert_same(expected: tuple[str, object], actual: tuple[str, object], route: str) -> None:
    assert actual[0] == expected[0], (route, actual[1] if actual[0] == "refused" else "tables")
    if expected[0] == "refused":
        assert actual[1] == expected[1], route
        return
    for name in expected[1].names:
        pd.testing.assert_frame_equal(actual[1][name], expected[1][name], obj=f"{route} {name}")


def kind_of(table: str, expected: str) -> CheckKind | str:
    """Which kind of check words a problem this way (a link's words name no check)."""
    for check in table_checks(table):
        if expected.startswith(check.expected):
            return check.kind
    return LINK


@pytest.mark.parametrize(("refused_by", "rows"), CASES.values(), ids=CASES.keys())
def test_every_route_gives_the_same_tables_or_the_same_refusal(
    tmp_path: Path, refused_by: CheckKind | str | None, rows: Rows
) -> None:
    frames = frames_of(rows)
    expected = outcome(lambda: tables_from_frames(frames))
    if refused_by is OK:
        assert expected[0] == "tables", expected[1]
    else:
        assert expected[0] == "refused"
        kinds = {kind_of(p[0], p[4]) for p in expected[1][0]}
        assert kinds == {refused_by}, expected[1]
    for route in ROUTES:
        folder = write(tmp_path / route, frames, route)
        if folder is not None:
            assert_same(expected, outcome(lambda folder=folder: load_tables(folder)), route)


def test_the_cases_fail_every_kind_of_check() -> None:
    assert {kind for kind, _ in CASES.values()} == {OK, LINK, *CheckKind}


def test_a_refusal_exits_2_naming_table_column_row_value(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    frames = frames_of(CASES["integer of 19 digits"][1])
    data = write(tmp_path / "data", frames, "parquet, decimal money")
    assert pq.read_schema(data / "accounts.parquet").field("internal_type").type == pa.int64()
    code, _, err = run_cli(capsys, "check", "--data", data, "--out", tmp_path / "out")
    assert code == 2
    assert (
        "table accounts (accounts.parquet), column internal_type, row 2: value "
        "'1234567890123456789' - expected an integer of at most 18 digits" in err
    )

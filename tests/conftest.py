"""Tiny hand-built input tables for the core tests.

Rows are dicts of strings exactly as a CSV reader hands them over (None = empty
field); every helper fills the contract's required columns with harmless
defaults, so a test states only what matters to it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pgcluster
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from auditkit import Params, Tables, tables_from_frames
from auditkit.cli import main
from auditkit.contract import TABLE_SPECS

AS_OF = dt.date(2026, 11, 1)
PARAMS = Params(as_of=AS_OF)
COLUMNS = {table: [spec.name for spec in specs] for table, specs in TABLE_SPECS.items()}

Row = dict[str, str | None]


def account(uin: str = "1", **overrides: str | None) -> Row:
    """An external, enterprise-verified, direct account in good standing."""
    return {
        "uin": uin,
        "account_source": "external",
        "internal_type": None,
        "identity_type": "enterprise",
        "enterprise_id": "E1",
        "channel_role": "direct",
        "distributor_id": None,
        "available_balance": "100.00",
        "overdue_amount": "0.00",
        "customer_tier": "key",
        "channel_manager_followup": "false",
        "credit_card_bound": "true",
    } | overrides


def order(order_id: str = "O1", uin: str = "1", **overrides: str | None) -> Row:
    """A completed (not blocking) purchase."""
    return {
        "order_id": order_id,
        "uin": uin,
        "order_type": "purchase",
        "status": "completed",
        "amount": "10.00",
        "created_at": "2026-10-01",
    } | overrides


def voucher(voucher_id: str = "V1", uin: str = "1", **overrides: str | None) -> Row:
    """A usable sub-customer voucher (valid, money left, no expiry)."""
    return {
        "voucher_id": voucher_id,
        "uin": uin,
        "subcustomer_voucher": "true",
        "status": "valid",
        "remaining_amount": "5.00",
        "expires_at": None,
    } | overrides


def request(
    request_id: str = "R1", member_uin: str = "1", admin_uin: str = "2", **overrides: str | None
) -> Row:
    """Member 1 asks to join admin 2 in pay-on-behalf mode, admin paying."""
    return {
        "request_id": request_id,
        "member_uin": member_uin,
        "admin_uin": admin_uin,
        "action": "join",
        "payment_mode": "pay_on_behalf",
        "payer_uin": None,
        "requested_at": "2026-10-15",
        "decision": None,
    } | overrides


def state(uin: str = "1", valid_from: str = "2026-01-01", **overrides: str | None) -> Row:
    """An account_history row: `account(uin, **overrides)` in force from `valid_from`."""
    return account(uin, **overrides) | {"valid_from": valid_from}


def order_event(order_id: str = "O1", status: str = "completed", at: str = "2026-10-01") -> Row:
    return {"order_id": order_id, "status": status, "at": at}


def voucher_event(
    voucher_id: str = "V1", status: str = "valid", remaining: str = "5.00", at: str = "2026-01-01"
) -> Row:
    return {"voucher_id": voucher_id, "status": status, "remaining_amount": remaining, "at": at}


def frame(table: str, rows: Iterable[Mapping[str, str | None]]) -> pd.DataFrame:
    """A raw string frame with at least the contract's columns, in contract order."""
    rows = list(rows)
    extra = [name for row in rows for name in row if name not in COLUMNS[table]]
    columns = COLUMNS[table] + list(dict.fromkeys(extra))
    return pd.DataFrame(
        {name: pd.array([row.get(name) for row in rows], dtype="str") for name in columns}
    )


def raw_frames(
    accounts: Iterable[Row] = (),
    orders: Iterable[Row] = (),
    vouchers: Iterable[Row] = (),
    requests: Iterable[Row] = (),
    *,
    account_history: Iterable[Row] | None = None,
    order_events: Iterable[Row] | None = None,
    voucher_events: Iterable[Row] | None = None,
) -> dict[str, pd.DataFrame]:
    """Raw frames of the four v1 tables, plus the history tables that are given."""
    frames = {
        "accounts": frame("accounts", accounts),
        "orders": frame("orders", orders),
        "vouchers": frame("vouchers", vouchers),
        "requests": frame("requests", requests),
    }
    for name, rows in (
        ("account_history", account_history),
        ("order_events", order_events),
        ("voucher_events", voucher_events),
    ):
        if rows is not None:
            frames[name] = frame(name, rows)
    return frames


def build_tables(
    accounts: Iterable[Row] = (),
    orders: Iterable[Row] = (),
    vouchers: Iterable[Row] = (),
    requests: Iterable[Row] = (),
    **history: Iterable[Row] | None,
) -> Tables:
    return tables_from_frames(raw_frames(accounts, orders, vouchers, requests, **history))


def write_data_dir(path: Path, frames: Mapping[str, pd.DataFrame], fmt: str = "csv") -> Path:
    """Write raw frames as path/NAME.csv (empty field = null) or path/NAME.parquet."""
    path.mkdir(parents=True, exist_ok=True)
    for table, data in frames.items():
        if fmt == "csv":
            data.to_csv(path / f"{table}.csv", index=False)
        else:
            pq.write_table(
                pa.Table.from_pandas(data, preserve_index=False), path / f"{table}.parquet"
            )
    return path


def good_frames() -> dict[str, pd.DataFrame]:
    """A valid data set: one join request by member 1 to admin 2."""
    return raw_frames(
        accounts=[account("1"), account("2")],
        orders=[order()],
        vouchers=[voucher(subcustomer_voucher="false")],
        requests=[request()],
    )


def run_cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    """Run `auditkit ARGV` in-process; (exit code, stdout, stderr without progress lines)."""
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    err = "\n".join(line for line in captured.err.splitlines() if not line.startswith("[auditkit]"))
    return code, captured.out, err


# ---- review registers: SQLite always, PostgreSQL where a server can be had ---------

POSTGRES_URL_VARIABLE = "AUDITKIT_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class PostgresServer:
    """A PostgreSQL server for the tests (url), or why there is none (reason)."""

    url: str | None
    reason: str = ""


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """$AUDITKIT_TEST_POSTGRES_URL (CI starts one), else a throwaway cluster from Debian's binaries."""
    given = os.environ.get(POSTGRES_URL_VARIABLE)
    if given:
        yield PostgresServer(given)
        return
    folder = Path(tempfile.mkdtemp(prefix="auditkit-pg-"))
    try:
        url = pgcluster.start(folder)
    except pgcluster.Unavailable as error:
        shutil.rmtree(folder, ignore_errors=True)
        yield PostgresServer(None, f"{error}; or set {POSTGRES_URL_VARIABLE} to a server URL")
        return
    try:
        yield PostgresServer(url)
    finally:
        pgcluster.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


def _admin_url(url: str) -> str:
    """A server URL as libpq reads it (psycopg does not know SQLAlchemy's driver suffix)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def register_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty review register: an SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "reports" / "review.db")
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    if server.url is None:
        pytest.skip(f"no PostgreSQL server: {server.reason}")
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"auditkit_test_{uuid.uuid4().hex[:12]}"
    admin = _admin_url(server.url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- order of the files for `make test` (pytest-xdist, --dist loadfile) -----------------

# Seconds each test file took on one worker of `make test` (2 workers, 2 cores), written by
# `python tests/file_costs.py JUNIT.xml`; a file not listed counts by its markers.
FILE_COSTS = Path(__file__).with_name("file_costs.json")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The costliest files first (longest-processing-time order). xdist gives each worker the
    next file when it is free, so a long file collected last would run alone at the end;
    `make test` passes --no-loadscope-reorder so that xdist keeps this order."""
    import json

    known = json.loads(FILE_COSTS.read_text()) if FILE_COSTS.is_file() else {}
    cost: dict[str, float] = {}
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path in known:
            cost[path] = float(known[path])
        else:  # a new file: guess from its markers until the costs are measured again
            guess = 10.0 if item.get_closest_marker("browser") else 0.1
            cost[path] = cost.get(path, 0.0) + max(
                guess, 5.0 * bool(item.get_closest_marker("slow"))
            )
    position = {path: rank for rank, path in enumerate(sorted(cost, key=lambda p: -cost[p]))}
    items.sort(key=lambda item: position[item.nodeid.split("::", 1)[0]])  # stable within a file

"""A deterministic synthetic data set that exercises every branch of every rule.

Built with numpy only (no row loops) so that millions of requests take seconds.
Each request has its own member account; admins are shared by ~20 requests.
A few free-text values hold markup and formula-like text on purpose, to show
that every front end renders them as text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from auditkit.errors import ParameterError
from auditkit.io.tables import Tables, tables_from_frames
from auditkit.io.write import staged_files

DEFAULT_AS_OF = dt.date(2026, 11, 1)
TRICKY_TEXT = ("<script>alert(1)</script>", '=HYPERLINK("http://x")', 'Acme "Ltd", <b>bold</b>')


def _choice(
    rng: np.random.Generator, options: list[str], weights: list[float], size: int
) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=size, p=p / p.sum())]


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    return (prefix + pd.Series(numbers).astype("str").str.zfill(width)).to_numpy(dtype=object)


def _where(mask: np.ndarray, a: np.ndarray, b: np.ndarray | object) -> np.ndarray:
    return np.where(mask, a, b).astype(object)


def check_options(requests: int, seed: int, months: int) -> None:
    """Refuse sizes the generator would otherwise silently change (or crash on)."""
    for name, value, least in (("requests", requests, 1), ("seed", seed, 0), ("months", months, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise ParameterError(f"--{name} must be at least {least}, got {value!r}")


@dataclass(frozen=True)
class Population:
    """The accounts of a demo data set and who asks what: positions into `uins`."""

    uins: np.ndarray
    role: np.ndarray
    request_admin: np.ndarray  # per request, the position of its admin
    n_requests: int

    @property
    def n_accounts(self) -> int:
        return len(self.uins)


def generate(
    requests: int = 2000, seed: int = 7, as_of: dt.date = DEFAULT_AS_OF, months: int = 0
) -> dict[str, pd.DataFrame]:
    """Raw tables: text columns as strings, money as int64 cents in `<name>_cents`.

    `months` > 0 gives the same population that many months later: the data of
    `months=0` with a snapshot 30 days earlier per month, then evolved month by
    month (see `evolve`), so consecutive months make a realistic pair of periods.
    """
    check_options(requests, seed, months)
    if months > 0:
        earlier = generate(requests, seed, as_of - dt.timedelta(days=30 * months))
        for step in range(months):
            step_as_of = as_of - dt.timedelta(days=30 * (months - step - 1))
            earlier = evolve(earlier, seed * 1000 + step, step_as_of)
        return earlier
    # One generator drawn from in a fixed order: the same seed gives the same data.
    rng = np.random.default_rng(seed)
    as_of_ts = np.datetime64(as_of, "s")
    accounts, population = _accounts(rng, int(requests))
    requests_frame = _requests(rng, population, as_of_ts)
    orders = _orders(rng, population, as_of_ts)
    vouchers = _vouchers(rng, population, as_of_ts)
    return {
        "accounts": accounts,
        "orders": orders,
        "vouchers": vouchers,
        "requests": requests_frame,
    }


def _accounts(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, Population]:
    """Members (one per request), admins shared by ~20 requests, and other accounts."""
    n_admins = max(n // 20, 3)
    n_extra = max(int(n * 1.2) - n - n_admins, 5)
    n_acc = n + n_admins + n_extra

    # uins: unique digit strings; every 20th gets a leading zero (a different account than without).
    base = 1_000_000_000 + np.arange(n_acc, dtype=np.int64) * 7 + int(rng.integers(0, 7))
    uins = pd.Series(base).astype("str").to_numpy(dtype=object)
    zero = rng.random(n_acc) < 0.05
    uins[zero] = "00" + uins[zero]
    member_pos = np.arange(n)
    admin_pos = n + np.arange(n_admins)

    enterprises = _ids("91110000MA", rng.integers(0, 10**8, size=n_acc), 8)
    tricky = rng.random(n_acc) < 0.002
    enterprises[tricky] = _choice(rng, list(TRICKY_TEXT), [1, 1, 1], int(tricky.sum()))
    identity = _choice(rng, ["enterprise", "personal", "unverified"], [85, 10, 5], n_acc)
    role = _choice(
        rng,
        [
            "direct",
            "agent",
            "agent_customer",
            "reseller",
            "reseller_customer",
            "distributor_subcustomer",
        ],
        [74, 3, 3, 3, 3, 14],
        n_acc,
    )
    role[admin_pos] = _choice(
        rng, ["direct", "reseller", "agent", "reseller_customer"], [92, 3, 3, 2], n_admins
    )
    distributors = _ids("DIST-", rng.integers(0, max(n_admins // 2, 2), size=n_acc), 5)
    has_distributor = (role == "distributor_subcustomer") | (rng.random(n_acc) < 0.1)
    has_distributor[admin_pos] = rng.random(n_admins) < 0.6

    # Each request's admin; members mostly share their admin's enterprise and distributor.
    request_admin = admin_pos[rng.integers(0, n_admins, size=n)]
    same_ent = rng.random(n) < 0.9
    enterprises[member_pos[same_ent]] = enterprises[request_admin[same_ent]]
    identity[admin_pos] = _choice(rng, ["enterprise", "personal"], [97, 3], n_admins)
    same_dist = (rng.random(n) < 0.85) & has_distributor[request_admin]
    distributors[member_pos[same_dist]] = distributors[request_admin[same_dist]]

    source = _choice(rng, ["external", "internal"], [85, 15], n_acc)
    internal_type = rng.integers(1, 10, size=n_acc).astype(object)
    internal_type = np.where(source == "internal", pd.Series(internal_type).astype("str"), None)
    balance = np.where(
        rng.random(n_acc) < 0.1, -rng.integers(1, 500_000, n_acc), rng.integers(0, 5_000_000, n_acc)
    )
    overdue = np.where(rng.random(n_acc) < 0.1, rng.integers(1, 300_000, n_acc), 0)
    accounts = pd.DataFrame(
        {
            "uin": uins,
            "account_source": source,
            "internal_type": internal_type,
            "identity_type": identity,
            "enterprise_id": _where(identity == "enterprise", enterprises, None),
            "channel_role": role,
            "distributor_id": _where(has_distributor, distributors, None),
            "available_balance_cents": balance.astype(np.int64),
            "overdue_amount_cents": overdue.astype(np.int64),
            "customer_tier": _choice(rng, ["key", "mid", "long_tail"], [20, 40, 40], n_acc),
            "channel_manager_followup": rng.random(n_acc) < 0.3,
            "credit_card_bound": rng.random(n_acc) < 0.8,
        }
    )
    return accounts, Population(uins, role, request_admin, n)


def _requests(rng: np.random.Generator, pop: Population, as_of_ts: np.datetime64) -> pd.DataFrame:
    """One request per member; a few members and admins are missing from accounts."""
    n, uins = pop.n_requests, pop.uins
    member_uin = uins[np.arange(n)].copy()
    admin_uin = uins[pop.request_admin].copy()
    # About 1% of members and 0.5% of admins are missing from accounts (verdict unknown).
    lost_member = rng.random(n) < 0.01
    lost_admin = rng.random(n) < 0.005
    member_uin[lost_member] = _ids("8", np.flatnonzero(lost_member), 12)[: lost_member.sum()]
    admin_uin[lost_admin] = _ids("7", np.flatnonzero(lost_admin), 12)[: lost_admin.sum()]
    payer_kind = rng.random(n)
    other_payer = uins[rng.integers(0, pop.n_accounts, size=n)]
    payer = np.where(
        payer_kind < 0.85, None, np.where(payer_kind < 0.95, admin_uin, other_payer)
    ).astype(object)
    requested = as_of_ts - rng.integers(0, 30 * 86400, size=n).astype("timedelta64[s]")
    return pd.DataFrame(
        {
            "request_id": _ids("REQ-", np.arange(n), 8),
            "member_uin": member_uin,
            "admin_uin": admin_uin,
            "action": _choice(rng, ["join", "quit"], [70, 30], n),
            "payment_mode": _choice(rng, ["pay_on_behalf", "self_pay"], [85, 15], n),
            "payer_uin": payer,
            "requested_at": requested,
            "decision": _choice(rng, ["approved", "rejected", None], [60, 25, 15], n),  # type: ignore[list-item]
        }
    )


def _orders(rng: np.random.Generator, pop: Population, as_of_ts: np.datetime64) -> pd.DataFrame:
    """Six orders per request, mostly the members'; a few belong to no known account."""
    n, n_orders = pop.n_requests, 6 * pop.n_requests
    owner = np.where(
        rng.random(n_orders) < 0.9,
        rng.integers(0, n, n_orders),
        rng.integers(0, pop.n_accounts, n_orders),
    )
    orders = pd.DataFrame(
        {
            "order_id": _ids("ORD-", np.arange(n_orders), 9),
            "uin": pop.uins[owner],
            "order_type": _choice(
                rng, ["purchase", "renewal", "upgrade", "refund"], [50, 30, 15, 5], n_orders
            ),
            "status": _choice(
                rng,
                ["completed", "cancelled", "to_be_paid", "processing"],
                [90.5, 8, 1, 0.5],
                n_orders,
            ),
            "amount_cents": rng.integers(0, 2_000_000, n_orders).astype(np.int64),
            "created_at": as_of_ts
            - rng.integers(0, 365 * 86400, size=n_orders).astype("timedelta64[s]"),
        }
    )
    # A few orders belong to no known account (data-quality finding, counted by J07/Q02).
    orphan = rng.random(n_orders) < 0.001
    orders.loc[orphan, "uin"] = _ids("6", np.flatnonzero(orphan), 12)[: orphan.sum()]
    return orders


def _vouchers(rng: np.random.Generator, pop: Population, as_of_ts: np.datetime64) -> pd.DataFrame:
    """Vouchers held mostly by distributor sub-customers, some expired, some used up."""
    n = pop.n_requests
    n_vouchers = max(int(0.36 * n), 5)
    subcustomers = np.flatnonzero(pop.role[:n] == "distributor_subcustomer")
    holders = subcustomers if len(subcustomers) else np.arange(n)
    owner = np.where(
        rng.random(n_vouchers) < 0.8,
        holders[rng.integers(0, len(holders), n_vouchers)],
        rng.integers(0, pop.n_accounts, n_vouchers),
    )
    expires = as_of_ts + rng.integers(-90 * 86400, 365 * 86400, size=n_vouchers).astype(
        "timedelta64[s]"
    )
    return pd.DataFrame(
        {
            "voucher_id": _ids("VCH-", np.arange(n_vouchers), 8),
            "uin": pop.uins[owner],
            "subcustomer_voucher": rng.random(n_vouchers) < 0.85,
            "status": _choice(
                rng, ["valid", "used_up", "expired", "invalidated"], [45, 35, 12, 8], n_vouchers
            ),
            "remaining_amount_cents": np.where(
                rng.random(n_vouchers) < 0.15, 0, rng.integers(1, 100_000, n_vouchers)
            ).astype(np.int64),
            "expires_at": pd.Series(expires).where(rng.random(n_vouchers) < 0.7),
        }
    )


def tables(
    requests: int = 2000, seed: int = 7, as_of: dt.date = DEFAULT_AS_OF, months: int = 0
) -> Tables:
    """The demo data set as validated, typed Tables in memory, exactly as if written to CSV and loaded."""
    raw = generate(requests=requests, seed=seed, as_of=as_of, months=months)
    return tables_from_frames(
        {name: _arrow_table(frame, for_csv=True).to_pandas() for name, frame in raw.items()}
    )


def evolve(raw: dict[str, pd.DataFrame], seed: int, as_of: dt.date) -> dict[str, pd.DataFrame]:
    """One month later: some findings resolve, new ones appear, requests come and go."""
    rng = np.random.default_rng(seed)
    as_of_ts = np.datetime64(as_of, "s")
    accounts = raw["accounts"].copy()
    balance = accounts["available_balance_cents"].to_numpy().copy()
    negative = balance < 0
    balance[negative & (rng.random(len(balance)) < 0.5)] = 0
    turned = ~negative & (rng.random(len(balance)) < 0.03)
    balance[turned] = -rng.integers(1, 100_000, int(turned.sum()))
    accounts["available_balance_cents"] = balance
    accounts["credit_card_bound"] = accounts["credit_card_bound"].to_numpy() | (
        rng.random(len(accounts)) < 0.2
    )

    orders = raw["orders"].copy()
    status = orders["status"].to_numpy(dtype=object).copy()
    is_open = np.isin(status, ["to_be_paid", "processing"])
    status[is_open & (rng.random(len(status)) < 0.6)] = "completed"
    status[~is_open & (rng.random(len(status)) < 0.005)] = "to_be_paid"
    orders["status"] = status

    vouchers = raw["vouchers"].copy()
    used = (vouchers["status"].to_numpy() == "valid") & (rng.random(len(vouchers)) < 0.4)
    vouchers.loc[used, "status"] = "used_up"

    requests = raw["requests"]
    n = len(requests)
    kept = requests[rng.random(n) >= 0.1]
    n_new = max(n // 10, 1)
    last = int(requests["request_id"].str.removeprefix("REQ-").astype(int).max()) + 1
    # New requests come from members already in an organization: a member that
    # joined now asks to quit and the other way round.
    new = kept.sample(n=n_new, replace=True, random_state=int(rng.integers(0, 2**31)))
    new = new.assign(
        request_id=_ids("REQ-", np.arange(last, last + n_new), 8),
        action=np.where(new["action"].to_numpy() == "join", "quit", "join"),
        requested_at=as_of_ts - rng.integers(0, 30 * 86400, size=n_new).astype("timedelta64[s]"),
        decision=_choice(rng, ["approved", "rejected", None], [60, 25, 15], n_new),
    )
    requests = pd.concat([kept, new], ignore_index=True)
    return {"accounts": accounts, "orders": orders, "vouchers": vouchers, "requests": requests}


# ---- writing ------------------------------------------------------------------------


def _decimal_from_cents(cents: np.ndarray) -> pa.Array:
    """Exact decimal128(18, 2) from int64 cents: the unscaled value *is* the cents."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63  # sign extension to 128 bits
    return pa.Array.from_buffers(
        pa.decimal128(18, 2), len(cents), [None, pa.py_buffer(words.tobytes())]
    )


def _arrow_table(frame: pd.DataFrame, for_csv: bool) -> pa.Table:
    columns: dict[str, pa.Array] = {}
    for name in frame.columns:
        series = frame[name]
        if name.endswith("_cents"):
            decimal = _decimal_from_cents(series.to_numpy())
            columns[name.removesuffix("_cents")] = decimal.cast(pa.string()) if for_csv else decimal
        elif pd.api.types.is_datetime64_any_dtype(series.dtype):
            stamps = pa.array(
                series.astype("datetime64[s]"), type=pa.timestamp("s"), from_pandas=True
            )
            columns[name] = pc.strftime(stamps, "%Y-%m-%dT%H:%M:%S") if for_csv else stamps
        elif series.dtype == bool:
            array = pa.array(series.to_numpy())
            columns[name] = pc.if_else(array, "true", "false") if for_csv else array
        else:
            columns[name] = pa.array(series.astype("str"), type=pa.string(), from_pandas=True)
    return pa.table(columns)


def write(tables: dict[str, pd.DataFrame], out: Path, fmt: str = "csv") -> dict[str, Path]:
    """Write each table as out/NAME.csv or out/NAME.parquet, atomically as a whole."""
    out = Path(out)
    written: dict[str, Path] = {}
    other = "parquet" if fmt == "csv" else "csv"
    with staged_files(out) as staging:
        for name, frame in tables.items():
            table = _arrow_table(frame, for_csv=fmt == "csv")
            path = staging / f"{name}.{fmt}"
            if fmt == "csv":
                pa_csv.write_csv(table, path, pa_csv.WriteOptions(quoting_style="needed"))
            else:
                pq.write_table(table, path)
            written[name] = out / path.name
    for name in tables:
        # A leftover file of the other format would make the directory ambiguous.
        (out / f"{name}.{other}").unlink(missing_ok=True)
    return written

"""The facts the rules read, per request, computed from the tables with vectorized joins.

- account state: the member's and the admin's attributes (`member_*`, `admin_*`),
  whether a state exists (`member_found`, `admin_found`) and since when it
  holds (`member_valid_from`, at requested_at only);
- open orders: orders whose status is in the blocking set (`Params.open_order_statuses`);
- usable vouchers: sub-customer vouchers that are valid, have money left and
  have not expired.

Each fact has two forms (`Params.at`): against the snapshot tables at `as_of`,
or at each request's `requested_at` against the history tables (see
`auditkit.rules.timeline`). The rules read the same columns either way.

Per-member aggregates are counts and sums plus the smallest id as an example,
so they never depend on row order or on how the rows were partitioned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.contract import ACCOUNT_FIELDS
from auditkit.io.arrow import positions as lookup
from auditkit.io.arrow import text_array
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.rules.checks import one_of
from auditkit.rules.model import Columns, Computed, Feature, MemberTotals
from auditkit.rules.timeline import covering, moments, spans, state_at
from auditkit.vocab import Reads, Role, VoucherStatus


def take(column: pd.Series, positions: np.ndarray, found: np.ndarray) -> object:
    """column[positions] as a nullable array; rows not found become null."""
    safe = np.where(found, positions, 0)
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = np.where(found, column.cat.codes.to_numpy()[safe] if len(column) else -1, -1)
        return pd.Categorical.from_codes(codes, dtype=column.dtype)
    if column.dtype == np.int64:
        return pd.arrays.IntegerArray(
            column.to_numpy()[safe] if len(column) else np.zeros(len(safe), np.int64), ~found
        )
    if column.dtype == bool:
        return pd.arrays.BooleanArray(
            column.to_numpy()[safe] if len(column) else np.zeros(len(safe), bool), ~found
        )
    if len(column) == 0:
        return pd.Series(pd.NA, index=range(len(safe)), dtype=column.dtype).array
    taken = column.take(safe).reset_index(drop=True)
    return taken.where(found).array


def request_moments(requests: pd.DataFrame) -> np.ndarray:
    """Each request's requested_at as int64 microseconds."""
    return moments(requests["requested_at"])


# ---- account state -----------------------------------------------------------------


def account_columns(role: Role) -> tuple[str, ...]:
    return (
        f"{role}_found",
        *(f"{role}_{name}" for name in ACCOUNT_FIELDS if name != "uin"),
        f"{role}_valid_from",
    )


def account_positions(tables: Tables, params: Params, requests: pd.DataFrame) -> np.ndarray:
    """Per request, the row of its member's and its admin's account state (-1: none), as a
    (2, requests) array: looked up once for both roles, against `accounts` (snapshot) or
    the `account_history` row in force at requested_at."""
    n = len(requests)
    keys = pd.Series(
        pa.chunked_array([text_array(requests["member_uin"]), text_array(requests["admin_uin"])]),
        dtype=pd.ArrowDtype(pa.large_string()),
    )
    if params.at_requested:
        history = tables.account_history
        at = request_moments(requests)
        both = state_at(
            keys, np.concatenate([at, at]), history["uin"], moments(history["valid_from"])
        )
    else:
        both = lookup(keys, tables.accounts["uin"])
    return both.reshape(2, n)


def _account_states(tables: Tables, params: Params, requests: pd.DataFrame) -> Computed:
    source = tables.account_history if params.at_requested else tables.accounts
    columns: Columns = {}
    for role, positions in zip(Role, account_positions(tables, params, requests), strict=True):
        found = positions >= 0
        columns[f"{role}_found"] = found
        for name in ACCOUNT_FIELDS:
            if name != "uin":
                columns[f"{role}_{name}"] = take(source[name], positions, found)
        if params.at_requested:
            valid_from = take(source["valid_from"], positions, found)
        else:
            valid_from = pd.array(np.full(len(requests), np.datetime64("NaT", "us")))
        columns[f"{role}_valid_from"] = valid_from
    return Computed(columns)


# ---- per-member aggregates ---------------------------------------------------------


def member_totals(rows: pd.DataFrame, id_column: str, amount_column: str) -> pd.DataFrame:
    """Per uin of `rows`: `count`, total cents `cents` and smallest id `example`."""
    return rows.groupby("uin", sort=False, observed=True).agg(
        count=(id_column, "size"), cents=(amount_column, "sum"), example=(id_column, "min")
    )


def spread_totals(
    grouped: pd.DataFrame, member_uin: pd.Series
) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """(count, total cents, smallest id) per request, from totals indexed by uin."""
    return _spread(grouped, lookup(member_uin, grouped.index))


def per_member(
    rows: pd.DataFrame, id_column: str, amount_column: str, member_uin: pd.Series
) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """(count, total cents, smallest id) of `rows` per member uin of each request."""
    return spread_totals(member_totals(rows, id_column, amount_column), member_uin)


def per_case(
    pairs: pd.DataFrame, id_column: str, amount_column: str, n: int
) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """(count, total cents, smallest id) of (case, row) pairs per case 0..n-1."""
    grouped = pairs.groupby("case", sort=False).agg(
        count=(id_column, "size"), cents=(amount_column, "sum"), example=(id_column, "min")
    )
    positions = np.full(n, -1, dtype=np.int64)
    positions[grouped.index.to_numpy(dtype=np.int64)] = np.arange(len(grouped))
    return _spread(grouped, positions)


def _spread(
    grouped: pd.DataFrame, positions: np.ndarray
) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    hit = positions >= 0
    safe = np.where(hit, positions, 0)
    n = len(positions)
    if not len(grouped):
        empty = pd.Series(pd.NA, index=range(n), dtype="str")
        return np.zeros(n, np.int64), np.zeros(n, np.int64), empty
    count = np.where(hit, grouped["count"].to_numpy()[safe], 0)
    cents = np.where(hit, grouped["cents"].to_numpy()[safe], 0)
    example = grouped["example"].astype("str").take(safe).reset_index(drop=True).where(hit)
    return count.astype(np.int64), cents.astype(np.int64), example


def _cases(requests: pd.DataFrame) -> pd.DataFrame:
    """Each request as (case position, member uin, moment) for a span join."""
    return pd.DataFrame(
        {
            "case": np.arange(len(requests), dtype=np.int64),
            "uin": requests["member_uin"].astype("str").array,  # Arrow text, no Python strings
            "at": request_moments(requests),
        }
    )


# ---- orders ------------------------------------------------------------------------


def is_open_order(rows: pd.DataFrame, params: Params) -> np.ndarray:
    """The fact "an order is open": its status is in the blocking set. `rows` are orders
    (the snapshot, or a Dask piece of it) or order events (the status each event leaves)."""
    return one_of(rows["status"], sorted(params.open_order_statuses))


def parents(child_ids: pd.Series, parent_ids: pd.Series) -> np.ndarray:
    """Position in `parent_ids` (unique) of each child's id, -1 where absent.

    The children's distinct ids are hashed and the parents probed against them: the
    events that can hold a request are few next to all the orders, and hashing six
    million order ids cost more than the rest of the span join.
    """
    child = text_array(child_ids).dictionary_encode()
    parent = pa.array(parent_ids.astype("str"), type=pa.large_string(), from_pandas=True)
    where = pc.index_in(parent, value_set=child.dictionary).fill_null(-1)
    found = where.to_numpy(zero_copy_only=False).astype(np.int64)
    position = np.full(len(child.dictionary) + 1, -1, dtype=np.int64)  # last: a null child id
    hit = np.flatnonzero(found >= 0)
    position[found[hit]] = hit
    indices = child.indices.fill_null(len(child.dictionary))
    return position[indices.to_numpy(zero_copy_only=False).astype(np.int64)]


def _window(requests: pd.DataFrame) -> tuple[int, int]:
    """The earliest and latest request moments: spans outside them can hold no request."""
    at = request_moments(requests)
    return (int(at.min()), int(at.max())) if len(at) else (0, -1)


def open_order_spans(tables: Tables, params: Params, requests: pd.DataFrame) -> pd.DataFrame:
    """Per order event with a blocking status whose span [at, next event) meets a request's
    moment: the order's uin, the span, the event and the order's position."""
    events, orders = tables.order_events, tables.orders
    at = moments(events["at"])
    _, end = spans(events["order_id"], at)
    first, last = _window(requests)
    rows = np.flatnonzero(is_open_order(events, params) & (end > first) & (at <= last))
    position = parents(events["order_id"].iloc[rows], orders["order_id"])
    rows, position = rows[position >= 0], position[position >= 0]
    return pd.DataFrame(
        {
            "uin": orders["uin"].take(position).reset_index(drop=True),
            "start": at[rows],
            "end": end[rows],
            "event": rows,
            "parent": position,
        }
    )


# ---- vouchers ----------------------------------------------------------------------


def is_usable_voucher(rows: Mapping[str, object], params: Params, at: object) -> np.ndarray:
    """The fact "a voucher is usable at `at`" (int64 microseconds, one moment or one per row):
    a sub-customer voucher, valid, with money left, not expired. `rows` are vouchers (the
    snapshot, or a Dask piece of it), or voucher events with their voucher's columns."""
    return (
        np.asarray(rows["subcustomer_voucher"], dtype=bool)
        & one_of(pd.Series(rows["status"]), (VoucherStatus.VALID,))
        & (np.asarray(rows["remaining_amount_cents"]) > 0)
        & (moments(rows["expires_at"]) > at)  # no expiry is NEVER
    )


def snapshot_moment(params: Params) -> int:
    """The snapshot moment (as_of, 00:00 UTC) as int64 microseconds."""
    return int(moments(pd.Series([params.as_of_timestamp]))[0])


def usable_at_snapshot(vouchers: pd.DataFrame, params: Params) -> np.ndarray:
    """Per voucher (or row of a Dask piece): usable at the snapshot moment."""
    return is_usable_voucher(vouchers, params, snapshot_moment(params))


def usable_voucher_spans(tables: Tables, params: Params, requests: pd.DataFrame) -> pd.DataFrame:
    """Per voucher event that leaves a sub-customer voucher valid with money left: the span
    [at, min(next event, expires_at)) in which it is usable, if that meets a request's moment."""
    events, vouchers = tables.voucher_events, tables.vouchers
    at = moments(events["at"])
    _, next_at = spans(events["voucher_id"], at)
    position = lookup(events["voucher_id"], vouchers["voucher_id"])
    safe = np.maximum(position, 0)
    expires = vouchers["expires_at"].to_numpy()[safe]
    state = {  # the state each event leaves, with its voucher's own columns
        "subcustomer_voucher": vouchers["subcustomer_voucher"].to_numpy(dtype=bool)[safe],
        "status": events["status"],
        "remaining_amount_cents": events["remaining_amount_cents"].to_numpy(),
        "expires_at": expires,
    }
    # Usable from the event's own moment on (so not expired by then) until the next event
    # or the expiry, whichever comes first.
    end = np.minimum(next_at, moments(expires))
    first, last = _window(requests)
    usable = is_usable_voucher(state, params, at)
    rows = np.flatnonzero((position >= 0) & usable & (end > first) & (at <= last))
    return pd.DataFrame(
        {
            "uin": vouchers["uin"].take(position[rows]).reset_index(drop=True),
            "start": at[rows],
            "end": end[rows],
            "event": rows,
            "parent": position[rows],
        }
    )


# ---- what a member holds at each request's moment -------------------------------------


@dataclass(frozen=True)
class Holding:
    """What a member holds (open orders, usable vouchers), found for each request.

    `spans(tables, params, requests)` lists the spans of `table`'s rows in which the fact
    holds (point in time: each with its `event` in `events` and its `parent` row), and
    `at_snapshot(tables, params)` the rows for which it holds at the snapshot. `evidence`
    names the columns shown for each row held, each from "parent" or "event" (the state
    then). `names` are the count, total cents and first id columns the rules read.
    """

    names: tuple[str, str, str]
    table: str
    events: str
    id_column: str
    amount_column: str
    spans: Callable[[Tables, Params, pd.DataFrame], pd.DataFrame]
    at_snapshot: Callable[[Tables, Params], pd.DataFrame]
    evidence: tuple[tuple[str, str], ...]

    def rows_at_requests(self, tables: Tables, pairs: pd.DataFrame) -> pd.DataFrame:
        """The rows held at each case's moment, with their state then (the evidence)."""
        sources = {
            "parent": (getattr(tables, self.table), pairs["parent"].to_numpy()),
            "event": (getattr(tables, self.events), pairs["event"].to_numpy()),
        }
        columns = {"case": pairs["case"].to_numpy(), "uin": pairs["uin"].to_numpy()}
        for column, source in self.evidence:
            frame, positions = sources[source]
            columns[column] = frame[column].take(positions).to_numpy()
        return pd.DataFrame(columns)


def held_per_request(
    tables: Tables, params: Params, requests: pd.DataFrame, holding: Holding
) -> Computed:
    """Count, total cents and first id of what each request's member holds: at the moment
    the request was made (`--at requested`) or at the snapshot; the rows are the evidence."""
    if params.at_requested:
        pairs = covering(_cases(requests), holding.spans(tables, params, requests))
        rows = holding.rows_at_requests(tables, pairs)
        found = per_case(rows, holding.id_column, holding.amount_column, len(requests))
    else:
        rows = holding.at_snapshot(tables, params)
        found = per_member(rows, holding.id_column, holding.amount_column, requests["member_uin"])
    count, cents, example = found
    return Computed(dict(zip(holding.names, (count, cents, example.array), strict=True)), rows)


OPEN_ORDER_HOLDING = Holding(
    names=("open_orders", "open_order_cents", "first_open_order"),
    table="orders",
    events="order_events",
    id_column="order_id",
    amount_column="amount_cents",
    spans=open_order_spans,
    at_snapshot=lambda tables, params: tables.orders[is_open_order(tables.orders, params)],
    evidence=(
        ("order_id", "parent"),
        ("order_type", "parent"),
        ("status", "event"),
        ("amount_cents", "parent"),
        ("created_at", "parent"),
    ),
)
USABLE_VOUCHER_HOLDING = Holding(
    names=("usable_vouchers", "usable_voucher_cents", "first_usable_voucher"),
    table="vouchers",
    events="voucher_events",
    id_column="voucher_id",
    amount_column="remaining_amount_cents",
    spans=usable_voucher_spans,
    at_snapshot=lambda tables, params: tables.vouchers[usable_at_snapshot(tables.vouchers, params)],
    evidence=(
        ("voucher_id", "parent"),
        ("status", "event"),
        ("remaining_amount_cents", "event"),
        ("expires_at", "parent"),
    ),
)


ACCOUNT_STATES = Feature(
    name="account_states",
    reads=(Reads.MEMBER, Reads.ADMIN),
    columns=(*account_columns(Role.MEMBER), *account_columns(Role.ADMIN)),
    compute=_account_states,
    roles=tuple(role.value for role in Role),
)
OPEN_ORDERS = Feature(
    name="open_orders",
    reads=(Reads.ORDERS,),
    columns=("open_orders", "open_order_cents", "first_open_order"),
    compute=partial(held_per_request, holding=OPEN_ORDER_HOLDING),
    totals=MemberTotals(
        "orders",
        "order_id",
        "amount_cents",
        is_open_order,
        ("order_id", "uin", "status", "amount"),
    ),
)
USABLE_VOUCHERS = Feature(
    name="usable_vouchers",
    reads=(Reads.VOUCHERS,),
    columns=("usable_vouchers", "usable_voucher_cents", "first_usable_voucher"),
    compute=partial(held_per_request, holding=USABLE_VOUCHER_HOLDING),
    totals=MemberTotals(
        "vouchers",
        "voucher_id",
        "remaining_amount_cents",
        usable_at_snapshot,
        ("voucher_id", "uin", "subcustomer_voucher", "status", "remaining_amount", "expires_at"),
    ),
)

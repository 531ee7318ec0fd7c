"""The facts the rules read, per request, computed from the tables with vectorized joins.

- account state: the member's and the admin's attributes (`member_*`, `admin_*`)
  and whether the account exists (`member_found`, `admin_found`);
- open orders: orders whose status is in the blocking set (`Params.open_order_statuses`);
- usable vouchers: sub-customer vouchers that are valid, have money left and
  have not expired at the snapshot moment.

Per-member aggregates are counts and sums plus the smallest id as an example,
so they never depend on row order or on how the rows were partitioned.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.contract import ACCOUNT_FIELDS
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.rules.model import Columns, Feature
from auditkit.vocab import Reads, Role, VoucherStatus


def arrow_text(values: pd.Series | pd.Index) -> pa.Array:
    """Values as one contiguous Arrow large_string array."""
    array = pa.array(values.astype("str"), type=pa.large_string(), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def lookup(keys: pd.Series, universe: pd.Series | pd.Index) -> np.ndarray:
    """Position of each key in `universe` (unique values), -1 where absent; hashed in Arrow."""
    found = pc.index_in(arrow_text(keys), value_set=arrow_text(universe))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


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


# ---- account state -----------------------------------------------------------------


def account_columns(role: Role) -> tuple[str, ...]:
    return (f"{role}_found", *(f"{role}_{name}" for name in ACCOUNT_FIELDS if name != "uin"))


def account_state(role: Role) -> Feature:
    """The attributes of the request's member or admin account, as they stand in `accounts`."""

    def compute(tables: Tables, params: Params, requests: pd.DataFrame) -> Columns:
        accounts = tables.accounts
        positions = lookup(requests[f"{role}_uin"], accounts["uin"])
        found = positions >= 0
        columns: Columns = {f"{role}_found": found}
        for name in ACCOUNT_FIELDS:
            if name != "uin":
                columns[f"{role}_{name}"] = take(accounts[name], positions, found)
        return columns

    return Feature(
        name=f"{role}_state",
        reads=Reads(role.value),
        columns=account_columns(role),
        compute=compute,
    )


# ---- orders and vouchers -----------------------------------------------------------


def open_order_mask(tables: Tables, params: Params) -> np.ndarray:
    """Per order: is its status in the blocking set."""
    return tables.orders["status"].isin(sorted(params.open_order_statuses)).to_numpy(dtype=bool)


def open_orders(tables: Tables, params: Params) -> pd.DataFrame:
    """Orders whose status is in the blocking set."""
    return tables.orders[open_order_mask(tables, params)]


def usable_voucher_mask(tables: Tables, params: Params) -> np.ndarray:
    """Per voucher: sub-customer, valid, money left and not expired at the snapshot moment."""
    v = tables.vouchers
    return (
        v["subcustomer_voucher"].to_numpy(dtype=bool)
        & (v["status"] == VoucherStatus.VALID).to_numpy()
        & (v["remaining_amount_cents"].to_numpy() > 0)
        & (v["expires_at"].isna() | (v["expires_at"] > params.as_of_timestamp)).to_numpy()
    )


def usable_vouchers(tables: Tables, params: Params) -> pd.DataFrame:
    """Sub-customer vouchers that are valid, have money left and have not expired at as_of."""
    return tables.vouchers[usable_voucher_mask(tables, params)]


def per_member(
    rows: pd.DataFrame, id_column: str, amount_column: str, member_uin: pd.Series
) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """(count, total cents, smallest id) of `rows` per member uin of each request."""
    grouped = rows.groupby("uin", sort=False, observed=True).agg(
        count=(id_column, "size"), cents=(amount_column, "sum"), example=(id_column, "min")
    )
    positions = lookup(member_uin, grouped.index)
    hit = positions >= 0
    safe = np.where(hit, positions, 0)
    if len(grouped):
        count = np.where(hit, grouped["count"].to_numpy()[safe], 0)
        cents = np.where(hit, grouped["cents"].to_numpy()[safe], 0)
        example = grouped["example"].take(safe).reset_index(drop=True).where(hit)
    else:
        count = np.zeros(len(member_uin), np.int64)
        cents = np.zeros(len(member_uin), np.int64)
        example = pd.Series(pd.NA, index=range(len(member_uin)), dtype="str")
    return count.astype(np.int64), cents.astype(np.int64), example


def _open_orders_of_members(tables: Tables, params: Params, requests: pd.DataFrame) -> Columns:
    count, cents, example = per_member(
        open_orders(tables, params), "order_id", "amount_cents", requests["member_uin"]
    )
    return {"open_orders": count, "open_order_cents": cents, "first_open_order": example.array}


def _usable_vouchers_of_members(tables: Tables, params: Params, requests: pd.DataFrame) -> Columns:
    count, cents, example = per_member(
        usable_vouchers(tables, params),
        "voucher_id",
        "remaining_amount_cents",
        requests["member_uin"],
    )
    return {
        "usable_vouchers": count,
        "usable_voucher_cents": cents,
        "first_usable_voucher": example.array,
    }


MEMBER_STATE = account_state(Role.MEMBER)
ADMIN_STATE = account_state(Role.ADMIN)
OPEN_ORDERS = Feature(
    name="open_orders",
    reads=Reads.ORDERS,
    columns=("open_orders", "open_order_cents", "first_open_order"),
    compute=_open_orders_of_members,
    rows=open_orders,
)
USABLE_VOUCHERS = Feature(
    name="usable_vouchers",
    reads=Reads.VOUCHERS,
    columns=("usable_vouchers", "usable_voucher_cents", "first_usable_voucher"),
    compute=_usable_vouchers_of_members,
    rows=usable_vouchers,
)

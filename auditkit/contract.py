"""The one copy of the contract (`CONTRACT.md`): input tables, their rules, output columns.

What a column holds and what a valid value looks like is declared here; how the
values are read and checked lives in `auditkit.io`, how they are judged in
`auditkit.rules` and `auditkit.engine`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from auditkit.money import MONEY_EXPECTED
from auditkit.vocab import (
    AccountSource,
    Action,
    ChannelRole,
    CustomerTier,
    Decision,
    IdentityType,
    Kind,
    OrderStatus,
    OrderType,
    PaymentMode,
    VoucherStatus,
    values,
)

UIN_PATTERN = r"^[0-9]{1,20}$"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$"
CODE_PATTERN = r"^[A-Za-z0-9._\-]{1,128}$"
INTEGER_PATTERN = r"^-?[0-9]{1,18}$"
MAX_TEXT_LENGTH = 128
TRUE_WORDS = ("true", "1")
FALSE_WORDS = ("false", "0")

BOOL_EXPECTED = "true or false (also 1 or 0, any case)"
TIMESTAMP_EXPECTED = "an ISO 8601 timestamp like 2026-11-01 or 2026-11-01T10:00:00"
TIMESTAMP_PRECISION_EXPECTED = (
    "a timestamp to the microsecond at most (6 decimal places of seconds); "
    "auditkit keeps microseconds and does not round, so give the value to the microsecond"
)
UNIQUE_EXPECTED = "each value must appear only once (duplicate)"
NON_NEGATIVE_EXPECTED = "an amount >= 0.00"
EXPECTED: dict[Kind, str] = {
    Kind.UIN: "1 to 20 ASCII digits",
    Kind.ID: "1-64 ASCII letters, digits or ._:- starting with a letter or digit",
    Kind.CODE: "1-128 ASCII letters, digits or ._-",
    Kind.TEXT: f"text of at most {MAX_TEXT_LENGTH} characters",
    Kind.INTEGER: "an integer",
    Kind.MONEY: MONEY_EXPECTED,
    Kind.BOOL: BOOL_EXPECTED,
    Kind.TIMESTAMP: TIMESTAMP_EXPECTED,
}


@dataclass(frozen=True)
class ColumnSpec:
    """One column of an input table."""

    name: str
    kind: Kind
    required: bool = True
    unique: bool = False
    choices: tuple[str, ...] = ()
    non_negative: bool = False
    description: str = ""
    optional_column: bool = False  # the whole column may be left out of the file


def _enum(name: str, enum: type[StrEnum], required: bool = True) -> ColumnSpec:
    return ColumnSpec(name, Kind.ENUM, required=required, choices=tuple(values(enum)))


TABLE_SPECS: dict[str, tuple[ColumnSpec, ...]] = {
    "accounts": (
        ColumnSpec("uin", Kind.UIN, unique=True, description="account id"),
        _enum("account_source", AccountSource),
        ColumnSpec("internal_type", Kind.INTEGER, required=False),
        _enum("identity_type", IdentityType),
        ColumnSpec("enterprise_id", Kind.TEXT, required=False),
        _enum("channel_role", ChannelRole),
        ColumnSpec("distributor_id", Kind.TEXT, required=False),
        ColumnSpec("available_balance", Kind.MONEY),
        ColumnSpec("overdue_amount", Kind.MONEY, non_negative=True),
        _enum("customer_tier", CustomerTier),
        ColumnSpec("channel_manager_followup", Kind.BOOL),
        ColumnSpec("credit_card_bound", Kind.BOOL),
    ),
    "orders": (
        ColumnSpec("order_id", Kind.ID, unique=True),
        ColumnSpec("uin", Kind.UIN),
        _enum("order_type", OrderType),
        _enum("status", OrderStatus),
        ColumnSpec("amount", Kind.MONEY, non_negative=True),
        ColumnSpec("created_at", Kind.TIMESTAMP),
    ),
    "vouchers": (
        ColumnSpec("voucher_id", Kind.ID, unique=True),
        ColumnSpec("uin", Kind.UIN),
        ColumnSpec("subcustomer_voucher", Kind.BOOL),
        _enum("status", VoucherStatus),
        ColumnSpec("remaining_amount", Kind.MONEY, non_negative=True),
        ColumnSpec("expires_at", Kind.TIMESTAMP, required=False),
    ),
    "requests": (
        ColumnSpec("request_id", Kind.ID, unique=True),
        ColumnSpec("member_uin", Kind.UIN),
        ColumnSpec("admin_uin", Kind.UIN),
        _enum("action", Action),
        _enum("payment_mode", PaymentMode),
        ColumnSpec("payer_uin", Kind.UIN, required=False),
        ColumnSpec("requested_at", Kind.TIMESTAMP),
        _enum("decision", Decision, required=False),
        # Contract v1.1 section 6: the platform's error code when it refused the request.
        ColumnSpec("decision_code", Kind.CODE, required=False, optional_column=True),
    ),
}
TABLE_NAMES: tuple[str, ...] = tuple(TABLE_SPECS)

# Contract v1.1 section 4: state over time, required only to judge at requested_at.
TABLE_SPECS |= {
    "account_history": (
        *(
            dataclasses.replace(spec, unique=False) if spec.name == "uin" else spec
            for spec in TABLE_SPECS["accounts"]
        ),
        ColumnSpec("valid_from", Kind.TIMESTAMP, description="the state holds from this moment"),
    ),
    "order_events": (
        ColumnSpec("order_id", Kind.ID),
        _enum("status", OrderStatus),
        ColumnSpec("at", Kind.TIMESTAMP),
    ),
    "voucher_events": (
        ColumnSpec("voucher_id", Kind.ID),
        _enum("status", VoucherStatus),
        ColumnSpec("remaining_amount", Kind.MONEY, non_negative=True),
        ColumnSpec("at", Kind.TIMESTAMP),
    ),
}
HISTORY_TABLES: tuple[str, ...] = ("account_history", "order_events", "voucher_events")
ALL_TABLES: tuple[str, ...] = (*TABLE_NAMES, *HISTORY_TABLES)
# Several columns that together identify a row (the single-column keys are ColumnSpec.unique).
UNIQUE_KEYS: dict[str, tuple[str, str]] = {
    "account_history": ("uin", "valid_from"),
    "order_events": ("order_id", "at"),
    "voucher_events": ("voucher_id", "at"),
}


@dataclass(frozen=True)
class EventsOf:
    """`table.column` refers to `parent.column`, and every parent row has at least one event."""

    table: str
    parent: str
    column: str


EVENTS: tuple[EventsOf, ...] = (
    EventsOf("order_events", "orders", "order_id"),
    EventsOf("voucher_events", "vouchers", "voucher_id"),
)
MONEY_COLUMNS: dict[str, tuple[str, ...]] = {
    table: tuple(c.name for c in specs if c.kind is Kind.MONEY)
    for table, specs in TABLE_SPECS.items()
}


def column_names(table: str) -> list[str]:
    """The contract's columns of `table`, in contract order."""
    return [spec.name for spec in TABLE_SPECS[table]]


def column_spec(table: str, name: str) -> ColumnSpec | None:
    """The spec of `table.name`, or None for a column the contract does not define."""
    return next((spec for spec in TABLE_SPECS[table] if spec.name == name), None)


def cents_column(name: str) -> str:
    """Name of the integer-cents column that replaces money column `name` after loading."""
    return f"{name}_cents"


# ---- cross-column rules ------------------------------------------------------------


@dataclass(frozen=True)
class RowRule:
    """A cross-column requirement; rows where `ok` is False are reported on `column`."""

    column: str
    expected: str
    ok: Callable[[pd.DataFrame], pd.Series]


def _null(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].isna()


ROW_RULES: dict[str, tuple[RowRule, ...]] = {
    "accounts": (
        RowRule(
            "internal_type",
            "internal_type is required when account_source is internal",
            lambda f: ~((f["account_source"] == "internal") & _null(f, "internal_type")),
        ),
        RowRule(
            "internal_type",
            "internal_type must be empty when account_source is external",
            lambda f: ~((f["account_source"] == "external") & ~_null(f, "internal_type")),
        ),
        RowRule(
            "enterprise_id",
            "enterprise_id is required when identity_type is enterprise",
            lambda f: ~((f["identity_type"] == "enterprise") & _null(f, "enterprise_id")),
        ),
        RowRule(
            "enterprise_id",
            "enterprise_id must be empty unless identity_type is enterprise",
            lambda f: (
                ~(f["identity_type"].isin(["personal", "unverified"]) & ~_null(f, "enterprise_id"))
            ),
        ),
        RowRule(
            "distributor_id",
            "distributor_id is required when channel_role is distributor_subcustomer",
            lambda f: (
                ~((f["channel_role"] == "distributor_subcustomer") & _null(f, "distributor_id"))
            ),
        ),
    ),
}


# An account's state over time obeys the same cross-column rules as the account.
ROW_RULES["account_history"] = ROW_RULES["accounts"]


# ---- typed frames and outputs ------------------------------------------------------

# Columns of a typed accounts frame the rules may read (money as cents).
ACCOUNT_FIELDS: tuple[str, ...] = tuple(
    cents_column(spec.name) if spec.kind is Kind.MONEY else spec.name
    for spec in TABLE_SPECS["accounts"]
)
REQUEST_FIELDS: tuple[str, ...] = tuple(column_names("requests"))

RESULT_COLUMNS: tuple[str, ...] = (
    "request_id",
    "member_uin",
    "admin_uin",
    "action",
    "rule_id",
    "status",
    "reason",
)
VERDICT_COLUMNS: tuple[str, ...] = (
    "request_id",
    "member_uin",
    "admin_uin",
    "action",
    "payment_mode",
    "verdict",
    "failed_rules",
    "error_rules",
    "decision",
    "control_exception",
    "decision_code_check",  # contract v1.1 section 6, placed last
)

# ---- the review register (contract §7) ---------------------------------------------

# Added to verdicts, after all other columns, when a run is recorded in a register.
REVIEW_STATE_COLUMN = "review_state"
# What `review import` reads and `review export` writes first.
REVIEW_EXCHANGE_COLUMNS: tuple[str, ...] = ("request_id", "rule_id", "state", "note", "expires")

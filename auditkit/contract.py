"""The one copy of the contract (`CONTRACT.md`): input tables, their rules, output columns.

What a column holds and what a valid value looks like is declared here; how the
values are read and checked lives in `auditkit.io`, how they are judged in
`auditkit.rules` and `auditkit.engine`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from auditkit.vocab import (
    AccountSource,
    Action,
    ChannelRole,
    CheckKind,
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

# ---- limits: every bound on a contract value, stated once ----------------------------

MAX_UIN_DIGITS = 20
MAX_ID_LENGTH = 64
MAX_CODE_LENGTH = 128
MAX_TEXT_LENGTH = 128
MAX_INTEGER_DIGITS = 18  # every such integer fits int64
MAX_MONEY_DIGITS = 15  # before the point: every amount in cents fits int64
MONEY_DECIMALS = 2
# The largest amount in cents, inclusive on both sides: 999999999999999.99.
MAX_MONEY_CENTS = 10 ** (MAX_MONEY_DIGITS + MONEY_DECIMALS) - 1
# A float64 amount is exact to the cent only where neighbouring cents have different
# nearest doubles: below 2**46 (about 7.0e13) the spacing of doubles is under a cent.
FLOAT_MONEY_LIMIT = 2**46

UIN_PATTERN = rf"^[0-9]{{1,{MAX_UIN_DIGITS}}}$"
ID_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9._:\-]{{0,{MAX_ID_LENGTH - 1}}}$"
CODE_PATTERN = rf"^[A-Za-z0-9._\-]{{1,{MAX_CODE_LENGTH}}}$"
INTEGER_PATTERN = rf"^-?[0-9]{{1,{MAX_INTEGER_DIGITS}}}$"
MONEY_PATTERN = (
    rf"^(?P<sign>-?)(?P<units>\d{{1,{MAX_MONEY_DIGITS}}})(?:\.(?P<frac>\d{{1,{MONEY_DECIMALS}}}))?$"
)
TRUE_WORDS = ("true", "1")
FALSE_WORDS = ("false", "0")

MONEY_EXPECTED = (
    f"a decimal number with at most {MONEY_DECIMALS} decimal places, like -12.50 "
    f"(at most {MAX_MONEY_DIGITS} digits before the point)"
)
BOOL_EXPECTED = "true or false (also 1 or 0, any case)"
TIMESTAMP_EXPECTED = "an ISO 8601 timestamp like 2026-11-01 or 2026-11-01T10:00:00"
TIMESTAMP_PRECISION_EXPECTED = (
    "a timestamp to the microsecond at most (6 decimal places of seconds); "
    "auditkit keeps microseconds and does not round, so give the value to the microsecond"
)
NON_NEGATIVE_EXPECTED = "an amount >= 0.00"
EXPECTED: dict[Kind, str] = {
    Kind.UIN: f"1 to {MAX_UIN_DIGITS} ASCII digits",
    Kind.ID: f"1-{MAX_ID_LENGTH} ASCII letters, digits or ._:- starting with a letter or digit",
    Kind.CODE: f"1-{MAX_CODE_LENGTH} ASCII letters, digits or ._-",
    Kind.TEXT: f"text of at most {MAX_TEXT_LENGTH} characters",
    Kind.INTEGER: f"an integer of at most {MAX_INTEGER_DIGITS} digits",
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

    @property
    def unknown_expected(self) -> str:
        """What an event whose parent is missing is told."""
        return f"{self.column} is not in {self.parent}"

    @property
    def orphan_expected(self) -> str:
        """What a parent row without an event is told."""
        return f"has no event in {self.table}; every row of {self.parent} needs at least one"


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


# ---- the checks: what each one tests, declared once ---------------------------------


@dataclass(frozen=True)
class Check:
    """One contract check on one column: its kind and arguments, and the sentence a failing
    row gets, filled from the same arguments (pandera's `builtin_checks` shape).

    How a check runs is the backends' business, one implementation per kind:
    `auditkit.io.fast` (Arrow kernels, every file) and `auditkit.io.validate` (pandera,
    frames built in memory).
    """

    kind: CheckKind
    column: str  # the column a failing row is reported on
    value_kind: Kind | None = None  # VALUE: the kind of value
    choices: tuple[str, ...] = ()  # ONE_OF: the words; *_WHEN/UNLESS: the words of `when`
    when: str = ""  # REQUIRED_WHEN, EMPTY_WHEN, EMPTY_UNLESS: the column that decides
    word: str = ""  # ... and the word of `when` the sentence names
    pair: str = ""  # UNIQUE_PAIR: the moment that, with `column`, identifies a row

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the check reads; it runs only when all are in the file."""
        return tuple(name for name in (self.column, self.when, self.pair) if name)

    @property
    def triggers(self) -> tuple[str, ...]:
        """The words of `when` on which a *_WHEN / *_UNLESS check requires something."""
        if self.kind is CheckKind.EMPTY_UNLESS:
            return tuple(word for word in self.choices if word != self.word)
        return (self.word,)

    @property
    def shows_value(self) -> bool:
        """Whether a failing row's message quotes the value (an empty one has nothing to show)."""
        return self.kind not in (CheckKind.COLUMN, CheckKind.REQUIRED, CheckKind.REQUIRED_WHEN)

    @property
    def expected(self) -> str:
        """What the contract expected, as the message says it."""
        kind, column = self.kind, self.column
        if kind is CheckKind.COLUMN:
            return "required column is missing from the header"
        if kind is CheckKind.REQUIRED:
            return "required value is empty"
        if kind is CheckKind.VALUE:
            return f"expected {EXPECTED[self.value_kind]}"  # type: ignore[index]
        if kind is CheckKind.ONE_OF:
            return "expected one of " + " | ".join(self.choices)
        if kind is CheckKind.PRECISION:
            return f"expected {TIMESTAMP_PRECISION_EXPECTED}"
        if kind is CheckKind.NON_NEGATIVE:
            return f"expected {NON_NEGATIVE_EXPECTED}"
        if kind is CheckKind.UNIQUE:
            return f"duplicate {column}; each {column} must appear only once"
        if kind is CheckKind.UNIQUE_PAIR:
            return f"duplicate ({column}, {self.pair}); each pair must appear only once"
        if kind is CheckKind.REQUIRED_WHEN:
            return f"{column} is required when {self.when} is {self.word}"
        if kind is CheckKind.EMPTY_WHEN:
            return f"{column} must be empty when {self.when} is {self.word}"
        return f"{column} must be empty unless {self.when} is {self.word}"


def _column_checks(spec: ColumnSpec) -> tuple[Check, ...]:
    """The checks one column's declaration implies, in the order a row's problems are listed."""
    name, kind = spec.name, spec.kind
    checks = [] if spec.optional_column else [Check(CheckKind.COLUMN, name)]
    if spec.required:
        checks.append(Check(CheckKind.REQUIRED, name))
    if kind is Kind.ENUM:
        checks.append(Check(CheckKind.ONE_OF, name, choices=spec.choices))
    else:
        checks.append(Check(CheckKind.VALUE, name, value_kind=kind))
    if kind is Kind.TIMESTAMP:
        checks.append(Check(CheckKind.PRECISION, name))
    if spec.unique:
        checks.append(Check(CheckKind.UNIQUE, name))
    if spec.non_negative:
        checks.append(Check(CheckKind.NON_NEGATIVE, name))
    return tuple(checks)


def _depends(kind: CheckKind, column: str, when: str, word: str) -> Check:
    """A check of `column` decided by the enum column `when` of accounts."""
    choices = column_spec("accounts", when).choices  # type: ignore[union-attr]
    return Check(kind, column, when=when, word=word, choices=choices)


# Cross-column requirements, reported on the column that breaks them.
ACCOUNT_RULES: tuple[Check, ...] = (
    _depends(CheckKind.REQUIRED_WHEN, "internal_type", "account_source", AccountSource.INTERNAL),
    _depends(CheckKind.EMPTY_WHEN, "internal_type", "account_source", AccountSource.EXTERNAL),
    _depends(CheckKind.REQUIRED_WHEN, "enterprise_id", "identity_type", IdentityType.ENTERPRISE),
    _depends(CheckKind.EMPTY_UNLESS, "enterprise_id", "identity_type", IdentityType.ENTERPRISE),
    _depends(
        CheckKind.REQUIRED_WHEN,
        "distributor_id",
        "channel_role",
        ChannelRole.DISTRIBUTOR_SUBCUSTOMER,
    ),
)
# An account's state over time obeys the same cross-column rules as the account.
ROW_RULES: dict[str, tuple[Check, ...]] = {
    "accounts": ACCOUNT_RULES,
    "account_history": ACCOUNT_RULES,
}


def table_checks(table: str) -> tuple[Check, ...]:
    """Every check of one table: its columns' in contract order, then the cross-column rules,
    then the (key, moment) uniqueness."""
    checks = [check for spec in TABLE_SPECS[table] for check in _column_checks(spec)]
    checks += ROW_RULES.get(table, ())
    if table in UNIQUE_KEYS:
        key, moment = UNIQUE_KEYS[table]
        checks.append(Check(CheckKind.UNIQUE_PAIR, key, pair=moment))
    return tuple(checks)


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

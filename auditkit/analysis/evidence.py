"""Drill-down tables for one request, and the values a person types into the what-if form.

Everything here returns plain frames of text-ready values; the explorer only
lays them out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditkit.contract import ACCOUNT_FIELDS, REQUEST_FIELDS
from auditkit.engine.result import AuditResult
from auditkit.errors import ParameterError
from auditkit.money import format_cents
from auditkit.vocab import STATUS_CODE, Role, Status

NOT_IN_ACCOUNTS = "(not in accounts)"
NO_STATE = "(no state recorded at requested_at)"


FAILED = "failed"  # the column naming the failing rules that compared a value


@dataclass(frozen=True)
class Evidence:
    """What a drill-down shows for one request.

    `facts` and `accounts` have a `failed` column: the failing rules that
    compared that value; `failed_on` maps every compared case column to them
    (e.g. open_orders -> POB-J07 when the open orders made J07 fail).
    """

    request_id: str
    facts: pd.DataFrame  # field, value, failed: the request's columns, verdict, control exception
    rules: pd.DataFrame  # rule_id, title, status, reason, failed on, citation
    accounts: pd.DataFrame  # attribute, member, admin, failed
    open_orders: pd.DataFrame
    usable_vouchers: pd.DataFrame
    failed_on: dict[str, tuple[str, ...]]

    def failing(self, *columns: str) -> tuple[str, ...]:
        """The failing rules that compared any of `columns`, in catalogue order."""
        return tuple(dict.fromkeys(r for c in columns for r in self.failed_on.get(c, ())))


AGGREGATE_LABELS = {
    "open_orders": "open orders",
    "open_order_cents": "open orders' total",
    "usable_vouchers": "usable vouchers",
    "usable_voucher_cents": "usable vouchers' remaining amount",
}


def attribute_label(column: str) -> str:
    """A case column as a person names it: member_available_balance_cents -> member available_balance."""
    if column in AGGREGATE_LABELS:
        return AGGREGATE_LABELS[column]
    for role in Role:
        if column.startswith(f"{role}_"):
            return f"{role} {column.removeprefix(f'{role}_').removesuffix('_cents')}"
    return column.removesuffix("_cents").replace("_", " ")


def failed_on(result: AuditResult, row: int) -> dict[str, tuple[str, ...]]:
    """Per case column, the rules that compared it and fail for the request at `row`."""
    fail = STATUS_CODE[Status.FAIL]
    marks: dict[str, list[str]] = {}
    for rule, code in zip(result.rules, result.status_codes[row], strict=True):
        if code == fail:
            for column in rule.compares:
                marks.setdefault(column, []).append(rule.id)
    return {column: tuple(ids) for column, ids in marks.items()}


def evidence(result: AuditResult, request_id: str) -> Evidence:
    """Every rule's status and reason for one request, and the data they compared."""
    found = result.evidence(request_id)
    case = found["case"]
    row = result.row_of(request_id)
    verdict = result.verdicts.iloc[row]
    marks = failed_on(result, row)
    facts = pd.DataFrame(
        {
            "field": [*REQUEST_FIELDS, "verdict", "control_exception"],
            "value": [
                *(case[name] for name in REQUEST_FIELDS),
                verdict["verdict"],
                verdict["control_exception"],
            ],
            FAILED: [" ".join(marks.get(name, ())) for name in REQUEST_FIELDS] + ["", ""],
        }
    )
    rules = found["rules"]
    failing = rules["status"] == Status.FAIL.value
    rules.insert(
        4,
        "failed on",
        [
            ", ".join(attribute_label(c) for c in rule.compares) if hit else ""
            for rule, hit in zip(result.rules, failing, strict=True)
        ],
    )
    return Evidence(
        request_id=request_id,
        facts=facts,
        rules=rules,
        accounts=accounts_compared(case, result.params.at_requested, marks),
        open_orders=orders_table(found.get("open_orders")),
        usable_vouchers=vouchers_table(found.get("usable_vouchers")),
        failed_on=marks,
    )


def accounts_compared(
    case: pd.Series, at_requested: bool = False, marks: dict[str, tuple[str, ...]] | None = None
) -> pd.DataFrame:
    """Member and admin attributes side by side, money as decimals, booleans as true/false,
    and the failing rules that compared each (`failed`, e.g. 'POB-J06 (member)').

    Judged at requested_at, these are the states in force then, with `valid_from`.
    """
    marks = marks or {}
    rows: dict[str, list[object]] = {"attribute": [], Role.MEMBER: [], Role.ADMIN: [], FAILED: []}
    fields = [*ACCOUNT_FIELDS, "valid_from"] if at_requested else list(ACCOUNT_FIELDS)
    missing = NO_STATE if at_requested else NOT_IN_ACCOUNTS
    for name in fields:
        rows["attribute"].append(name.removesuffix("_cents"))
        for role in Role:
            rows[role].append(_attribute(case, role, name, missing))
        rows[FAILED].append(
            " ".join(
                f"{rule_id} ({role})"
                for role in Role
                for rule_id in marks.get(f"{role}_{name}", ())
            )
        )
    return pd.DataFrame(rows).rename(columns=str)


def _attribute(case: pd.Series, role: Role, name: str, missing: str) -> object:
    if name == "uin":
        return case[f"{role}_uin"]
    if not case[f"{role}_found"]:
        return missing
    value = case[f"{role}_{name}"]
    if name.endswith("_cents"):
        return format_cents(int(value))
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    return value


def orders_table(orders: pd.DataFrame | None) -> pd.DataFrame:
    """Open orders as shown in a drill-down."""
    orders = orders if orders is not None else pd.DataFrame(columns=["order_id"])
    return pd.DataFrame(
        {
            "order_id": orders.get("order_id"),
            "order_type": orders.get("order_type"),
            "order_status": orders.get("status"),
            "amount": format_cents(orders["amount_cents"]) if "amount_cents" in orders else None,
            "created_at": orders.get("created_at"),
        }
    )


def vouchers_table(vouchers: pd.DataFrame | None) -> pd.DataFrame:
    """Usable vouchers as shown in a drill-down."""
    vouchers = vouchers if vouchers is not None else pd.DataFrame(columns=["voucher_id"])
    remaining = vouchers.get("remaining_amount_cents")
    return pd.DataFrame(
        {
            "voucher_id": vouchers.get("voucher_id"),
            "voucher_status": vouchers.get("status"),
            "remaining_amount": format_cents(remaining) if remaining is not None else None,
            "expires_at": vouchers.get("expires_at"),
        }
    )


def reason_lines(
    result: AuditResult,
    rows: np.ndarray,
    statuses: tuple[Status, ...] = (Status.FAIL, Status.ERROR),
) -> pd.Series:
    """Per request row, 'RULE: reason' for every rule whose status is among `statuses`,
    joined by '; ' (empty when there is none)."""
    codes = result.status_codes[rows]
    reason_codes = result.reason_codes[rows]
    wanted = np.isin(codes, [STATUS_CODE[s] for s in statuses])
    joined = np.full(len(rows), "", dtype=object)
    for j, rule_id in enumerate(result.rule_ids):  # the 13 rules, not the rows
        piece = rule_id + ": " + result.reason_texts[reason_codes[:, j]].astype("str")
        extended = np.where(joined == "", piece, joined + "; " + piece)
        joined = np.where(wanted[:, j], extended, joined)
    return pd.Series(joined, dtype="str")


# ---- what a person types --------------------------------------------------------------


INTEGER = re.compile(r"-?[0-9]{1,18}", re.ASCII)


def parse_uins(text: str) -> frozenset[str]:
    """Uins typed by a person: separated by commas, semicolons or whitespace."""
    uins = frozenset(part for part in re.split(r"[\s,;]+", text.strip()) if part)
    # str.isdigit() would also take full-width and Arabic-Indic digits; a uin is ASCII.
    bad = sorted(uin for uin in uins if not (uin.isascii() and uin.isdigit()))
    if bad:
        raise ParameterError(f"uins are digits only; these are not: {bad[:5]}")
    return uins


def parse_types(text: str) -> frozenset[int]:
    """Internal types typed by a person, e.g. '4, 6, 9'."""
    parts = [part for part in re.split(r"[\s,;]+", text.strip()) if part]
    # int() would also read '٤', '１' or '1_0'; only ASCII digits are taken.
    if not all(INTEGER.fullmatch(part) for part in parts):
        raise ParameterError(
            f"verified internal types must be whole numbers like '4, 6, 9'; got {text!r}"
        )
    return frozenset(int(part) for part in parts)

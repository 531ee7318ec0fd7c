"""What-if analysis: change parameters or data, re-evaluate, and diff against a baseline.

A scenario is a `Params` value plus a tuple of edits. Each edit is a small
frozen value that returns changed `Tables` (vectorized, never row by row);
`uins=None` means every account, otherwise only accounts whose uin is listed.
The diff compares the two status matrices with numpy; the long results table
is never built.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import numpy as np
import pandas as pd

from auditkit.engine import (
    STATUS_CODE,
    AuditResult,
    evaluate,
    open_order_mask,
    usable_voucher_mask,
)
from auditkit.enums import OrderStatus, Status, Verdict, VoucherStatus, values
from auditkit.errors import ParameterError
from auditkit.loading import Tables
from auditkit.params import Params

Uins = frozenset[str] | None


class Edit(Protocol):
    """A change to the input data, judged with the scenario's parameters."""

    def apply(self, tables: Tables, params: Params) -> Tables: ...

    def describe(self) -> str: ...


def _uins(given: Iterable[str] | None) -> Uins:
    if given is None:
        return None
    if isinstance(given, str):
        raise ParameterError(f"uins must be a collection of uin strings, got the string {given!r}")
    return frozenset(str(uin) for uin in given)


def _in_scope(uin: pd.Series, uins: Uins) -> np.ndarray:
    if uins is None:
        return np.ones(len(uin), dtype=bool)
    return uin.isin(sorted(uins)).to_numpy(dtype=bool)


def _scope_text(uins: Uins) -> str:
    if uins is None:
        return "every account"
    listed = sorted(uins)
    shown = ", ".join(listed[:5]) + (f" and {len(listed) - 5} more" if len(listed) > 5 else "")
    return f"{len(listed)} account(s): {shown}" if listed else "no account"


def _set_category(column: pd.Series, hit: np.ndarray, value: str) -> pd.Categorical:
    """Copy of a categorical column with `value` where `hit`."""
    codes = column.cat.codes.to_numpy().copy()
    codes[hit] = column.cat.categories.get_loc(value)
    return pd.Categorical.from_codes(codes, dtype=column.dtype)


@dataclass(frozen=True)
class SettleOpenOrders:
    """Open orders (status in the scenario's blocking set) become `completed`."""

    uins: Uins = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "uins", _uins(self.uins))

    def apply(self, tables: Tables, params: Params) -> Tables:
        orders = tables.orders
        hit = open_order_mask(tables, params) & _in_scope(orders["uin"], self.uins)
        if not hit.any():
            return tables
        status = _set_category(orders["status"], hit, OrderStatus.COMPLETED)
        return tables.replace(orders=orders.assign(status=status))

    def describe(self) -> str:
        return f"settle open orders of {_scope_text(self.uins)}"


@dataclass(frozen=True)
class TopUpBalances:
    """Negative available balances are raised to 0.00."""

    uins: Uins = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "uins", _uins(self.uins))

    def apply(self, tables: Tables, params: Params) -> Tables:
        accounts = tables.accounts
        cents = accounts["available_balance_cents"].to_numpy()
        hit = (cents < 0) & _in_scope(accounts["uin"], self.uins)
        if not hit.any():
            return tables
        topped = np.where(hit, 0, cents).astype(np.int64)
        return tables.replace(accounts=accounts.assign(available_balance_cents=topped))

    def describe(self) -> str:
        return f"top up negative balances to 0.00 for {_scope_text(self.uins)}"


class VoucherAction(StrEnum):
    """What happens to a usable voucher."""

    USE_UP = "use_up"
    VOID = "void"


@dataclass(frozen=True)
class ClearVouchers:
    """Usable sub-customer vouchers are used up (status used_up, 0.00 left) or voided (invalidated)."""

    how: VoucherAction = VoucherAction.USE_UP
    uins: Uins = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "how", VoucherAction(self.how))
        except ValueError:
            raise ParameterError(
                f"voucher action {self.how!r} is unknown; expected one of {values(VoucherAction)}"
            ) from None
        object.__setattr__(self, "uins", _uins(self.uins))

    def apply(self, tables: Tables, params: Params) -> Tables:
        vouchers = tables.vouchers
        hit = usable_voucher_mask(tables, params) & _in_scope(vouchers["uin"], self.uins)
        if not hit.any():
            return tables
        if self.how is VoucherAction.VOID:
            changed = {"status": _set_category(vouchers["status"], hit, VoucherStatus.INVALIDATED)}
        else:
            remaining = vouchers["remaining_amount_cents"].to_numpy()
            changed = {
                "status": _set_category(vouchers["status"], hit, VoucherStatus.USED_UP),
                "remaining_amount_cents": np.where(hit, 0, remaining).astype(np.int64),
            }
        return tables.replace(vouchers=vouchers.assign(**changed))

    def describe(self) -> str:
        verb = "use up" if self.how is VoucherAction.USE_UP else "void"
        return f"{verb} usable sub-customer vouchers of {_scope_text(self.uins)}"


@dataclass(frozen=True)
class BindCard:
    """The accounts get `credit_card_bound = true`."""

    uins: Uins = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "uins", _uins(self.uins))

    def apply(self, tables: Tables, params: Params) -> Tables:
        accounts = tables.accounts
        hit = _in_scope(accounts["uin"], self.uins)
        bound = accounts["credit_card_bound"].to_numpy(dtype=bool)
        if not (hit & ~bound).any():
            return tables
        return tables.replace(accounts=accounts.assign(credit_card_bound=bound | hit))

    def describe(self) -> str:
        return f"bind a credit card for {_scope_text(self.uins)}"


def apply_edits(tables: Tables, edits: Iterable[Edit], params: Params) -> Tables:
    """The tables after every edit, in order; the input tables are not changed."""
    for edit in edits:
        tables = edit.apply(tables, params)
    return tables


# ---- the diff ------------------------------------------------------------------------

VERDICT_NAMES = values(Verdict)


@dataclass(frozen=True)
class WhatIfDiff:
    """How a scenario's judgement differs from the baseline's, request by request and rule by rule.

    `changed`: requests whose verdict changed (request_id, member_uin, admin_uin,
    action, from, to). `failure_changes`: one row per (request, rule) whose `fail`
    appeared (`gained`) or disappeared (`lost`). `by_rule`: per rule, failures
    before and after and how many were gained and lost.
    """

    baseline: AuditResult = field(repr=False)
    scenario: AuditResult = field(repr=False)
    edits: tuple[Edit, ...]
    changed: pd.DataFrame = field(repr=False)
    failure_changes: pd.DataFrame = field(repr=False)
    by_rule: pd.DataFrame = field(repr=False)
    verdicts_before: dict[str, int]
    verdicts_after: dict[str, int]

    @property
    def params(self) -> Params:
        return self.scenario.params

    def changed_params(self) -> dict[str, tuple[object, object]]:
        """Parameters that differ from the baseline's: name -> (before, after), JSON-ready."""
        before, after = self.baseline.params.to_dict(), self.params.to_dict()
        return {name: (before[name], after[name]) for name in before if before[name] != after[name]}

    def gained(self, rule_id: str) -> list[str]:
        """Request ids that fail `rule_id` in the scenario but not in the baseline."""
        return self._ids(rule_id, "gained")

    def lost(self, rule_id: str) -> list[str]:
        """Request ids that fail `rule_id` in the baseline but not in the scenario."""
        return self._ids(rule_id, "lost")

    def _ids(self, rule_id: str, change: str) -> list[str]:
        if rule_id not in self.by_rule.index:
            raise KeyError(f"rule {rule_id!r} is not in the catalogue")
        rows = self.failure_changes
        hit = ((rows["rule_id"] == rule_id) & (rows["change"] == change)).to_numpy(dtype=bool)
        return rows["request_id"][hit].astype("str").tolist()

    def transitions(self) -> pd.DataFrame:
        """Requests per baseline verdict (rows) and scenario verdict (columns)."""
        codes = self.baseline.verdict_codes.astype(np.int64) * len(VERDICT_NAMES)
        counts = np.bincount(
            codes + self.scenario.verdict_codes, minlength=len(VERDICT_NAMES) ** 2
        ).reshape(len(VERDICT_NAMES), len(VERDICT_NAMES))
        return pd.DataFrame(
            counts,
            index=pd.Index(VERDICT_NAMES, name="from"),
            columns=pd.Index(VERDICT_NAMES, name="to"),
        )

    def summary(self) -> str:
        """A few plain lines: what was changed and what it did."""
        lines = [f"scenario as_of {self.params.as_of.isoformat()}"]
        lines += [f"  parameter {k}: {b} -> {a}" for k, (b, a) in self.changed_params().items()]
        lines += [f"  edit: {edit.describe()}" for edit in self.edits]
        if not self.changed_params() and not self.edits:
            lines.append("  (no change from the baseline)")
        lines.append(f"{len(self.changed)} request(s) changed verdict")
        lines += [
            f"  {v}: {self.verdicts_before[v]} -> {self.verdicts_after[v]}" for v in VERDICT_NAMES
        ]
        moved = self.by_rule[(self.by_rule["gained"] > 0) | (self.by_rule["lost"] > 0)]
        lines += [
            f"  {rule_id}: failures {before} -> {after} (+{gained} / -{lost})"
            for rule_id, before, after, gained, lost in zip(
                moved.index,
                moved["fail_before"],
                moved["fail_after"],
                moved["gained"],
                moved["lost"],
                strict=True,
            )
        ]
        return "\n".join(lines)


def _take(column: pd.Series, rows: np.ndarray) -> pd.Series:
    return column.iloc[rows].reset_index(drop=True)


def diff(baseline: AuditResult, scenario: AuditResult, edits: tuple[Edit, ...] = ()) -> WhatIfDiff:
    """Compare two evaluations of the same requests (same ids in the same order)."""
    before_ids, after_ids = baseline.cases["request_id"], scenario.cases["request_id"]
    if len(before_ids) != len(after_ids) or not before_ids.equals(after_ids):
        raise ParameterError(
            "the baseline and the scenario judge different requests; "
            "evaluate the baseline on the same tables the what-if starts from"
        )
    if baseline.rule_ids != scenario.rule_ids:
        raise ParameterError("the baseline and the scenario use different rule catalogues")
    cases = baseline.cases
    fail = STATUS_CODE[Status.FAIL]
    before = baseline.status_codes == fail
    after = scenario.status_codes == fail
    gained, lost = after & ~before, before & ~after

    moved = np.flatnonzero(baseline.verdict_codes != scenario.verdict_codes)
    changed = pd.DataFrame(
        {
            "request_id": _take(cases["request_id"], moved),
            "member_uin": _take(cases["member_uin"], moved),
            "admin_uin": _take(cases["admin_uin"], moved),
            "action": _take(cases["action"], moved),
            "from": pd.Categorical.from_codes(
                baseline.verdict_codes[moved], categories=VERDICT_NAMES
            ),
            "to": pd.Categorical.from_codes(
                scenario.verdict_codes[moved], categories=VERDICT_NAMES
            ),
        }
    )

    rows, rules = np.nonzero(gained | lost)
    failure_changes = pd.DataFrame(
        {
            "request_id": _take(cases["request_id"], rows),
            "member_uin": _take(cases["member_uin"], rows),
            "rule_id": pd.Categorical.from_codes(rules, categories=baseline.rule_ids),
            "change": pd.Categorical.from_codes(
                np.where(gained[rows, rules], 0, 1), categories=["gained", "lost"]
            ),
        }
    )
    by_rule = pd.DataFrame(
        {
            "title": [rule.title for rule in baseline.rules],
            "fail_before": before.sum(axis=0),
            "fail_after": after.sum(axis=0),
            "gained": gained.sum(axis=0),
            "lost": lost.sum(axis=0),
        },
        index=pd.Index(baseline.rule_ids, name="rule_id"),
    )
    return WhatIfDiff(
        baseline=baseline,
        scenario=scenario,
        edits=tuple(edits),
        changed=changed,
        failure_changes=failure_changes,
        by_rule=by_rule,
        verdicts_before=baseline.verdict_counts(),
        verdicts_after=scenario.verdict_counts(),
    )


def whatif(
    tables: Tables,
    baseline: AuditResult,
    params: Params | None = None,
    edits: Iterable[Edit] = (),
) -> WhatIfDiff:
    """Apply `edits` to `tables`, evaluate with `params` (default: the baseline's), diff with `baseline`."""
    params = params or baseline.params
    edits = tuple(edits)
    scenario = evaluate(apply_edits(tables, edits, params), params, baseline.rules)
    return diff(baseline, scenario, edits)


__all__ = [
    "BindCard",
    "ClearVouchers",
    "Edit",
    "SettleOpenOrders",
    "TopUpBalances",
    "VoucherAction",
    "WhatIfDiff",
    "apply_edits",
    "diff",
    "whatif",
]

"""What-if analysis: change parameters or data, re-evaluate, and diff against a baseline.

A scenario is a `Params` value plus a tuple of edits. Each edit is a small
frozen value that returns changed `Tables` (vectorized, never row by row);
`uins=None` means every account, otherwise only accounts whose uin is listed.
The diff is `auditkit.analysis.compare` over the two status matrices (the
same requests in the same order); the long results table is never built.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from auditkit.analysis.compare import Comparison, Judged, compare
from auditkit.analysis.edits import (
    BindCard,
    ClearVouchers,
    Edit,
    SettleOpenOrders,
    TopUpBalances,
    apply_edits,
)
from auditkit.engine.evaluate import evaluate
from auditkit.engine.result import AuditResult
from auditkit.errors import ParameterError
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.vocab import FailureChange, Verdict, VoucherAction, values

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
    comparison: Comparison = field(repr=False)

    @property
    def params(self) -> Params:
        return self.scenario.params

    @property
    def verdicts_before(self) -> dict[str, int]:
        return self.baseline.verdict_counts()

    @property
    def verdicts_after(self) -> dict[str, int]:
        return self.scenario.verdict_counts()

    @cached_property
    def changed(self) -> pd.DataFrame:
        cases = self.baseline.cases
        moved = np.flatnonzero(self.baseline.verdict_codes != self.scenario.verdict_codes)
        return pd.DataFrame(
            {
                "request_id": _take(cases["request_id"], moved),
                "member_uin": _take(cases["member_uin"], moved),
                "admin_uin": _take(cases["admin_uin"], moved),
                "action": _take(cases["action"], moved),
                "from": pd.Categorical(self.comparison.before[moved], categories=VERDICT_NAMES),
                "to": pd.Categorical(self.comparison.after[moved], categories=VERDICT_NAMES),
            }
        )

    @cached_property
    def failure_changes(self) -> pd.DataFrame:
        cases = self.baseline.cases
        gained = self.comparison.gained
        rows, rules = np.nonzero(gained | self.comparison.lost)
        return pd.DataFrame(
            {
                "request_id": _take(cases["request_id"], rows),
                "member_uin": _take(cases["member_uin"], rows),
                "rule_id": pd.Categorical.from_codes(rules, categories=self.comparison.rule_ids),
                "change": pd.Categorical.from_codes(
                    np.where(gained[rows, rules], 0, 1), categories=values(FailureChange)
                ),
            }
        )

    @cached_property
    def by_rule(self) -> pd.DataFrame:
        per_rule = self.comparison.per_rule
        return pd.DataFrame(
            {
                "title": [text.title for text in self.baseline.rule_texts],
                "fail_before": per_rule["failing_before"],
                "fail_after": per_rule["failing_now"],
                "gained": per_rule["newly_failing"],
                "lost": per_rule["resolved"],
            },
            index=per_rule.index,
        )

    def changed_params(self) -> dict[str, tuple[object, object]]:
        """Parameters that differ from the baseline's: name -> (before, after), JSON-ready."""
        before, after = self.baseline.params.to_dict(), self.params.to_dict()
        return {name: (before[name], after[name]) for name in before if before[name] != after[name]}

    def gained(self, rule_id: str) -> list[str]:
        """Request ids that fail `rule_id` in the scenario but not in the baseline."""
        return self._ids(rule_id, self.comparison.gained)

    def lost(self, rule_id: str) -> list[str]:
        """Request ids that fail `rule_id` in the baseline but not in the scenario."""
        return self._ids(rule_id, self.comparison.lost)

    def _ids(self, rule_id: str, matrix: np.ndarray) -> list[str]:
        if rule_id not in self.comparison.rule_ids:
            raise KeyError(f"rule {rule_id!r} is not in the catalogue")
        hit = matrix[:, self.comparison.rule_ids.index(rule_id)]
        return self.comparison.request_ids[hit].astype("str").tolist()

    def transitions(self) -> pd.DataFrame:
        """Requests per baseline verdict (rows) and scenario verdict (columns)."""
        return self.comparison.transitions()

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
        by_rule = self.by_rule
        moved = by_rule[(by_rule["gained"] > 0) | (by_rule["lost"] > 0)]
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
    comparison = compare(Judged.of_result(baseline), Judged.of_result(scenario))
    return WhatIfDiff(
        baseline=baseline, scenario=scenario, edits=tuple(edits), comparison=comparison
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
    scenario = evaluate(apply_edits(tables, edits, params), params, baseline.catalogue)
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

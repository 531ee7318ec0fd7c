"""The review queue: the findings that still need a conclusion, riskiest first; bulk changes planned.

Order (issue 18): first the findings of requests whose platform decision
contradicts the verdict (control exceptions), then those of requests the
platform refused citing a reason the data does not show
(`decision_code_check` = unsupported), then every other finding. Within each,
by money at stake (`analysis.exposure`: what the failing rule puts at risk),
largest first, then in request-major order, so the queue reads the same every
time it is built.

A finding needs a conclusion unless its review state is one of
`CONCLUDED_STATES`; `open`, `under_review`, `waiver_expired` and findings never
reviewed need one. A control exception or unsupported refusal whose request
has no finding (a request rejected although eligible) has nothing the register
can hold a conclusion on: `ReviewQueue.requests_to_look_into` lists them apart.

A bulk change leaves concluded findings as they are unless asked to include
them (`plan_bulk`); the plan says how many will change and how many are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum

import numpy as np
import pandas as pd

from auditkit.analysis.exposure import exposure_at
from auditkit.analysis.findings import Findings, FindingsFilter
from auditkit.vocab import (
    STATUS_CODE,
    VERDICT_CODE,
    ControlException,
    DecisionCodeCheck,
    ReviewState,
    Status,
    Verdict,
)

CONCLUDED_STATES: tuple[ReviewState, ...] = (
    ReviewState.CONFIRMED,
    ReviewState.FALSE_POSITIVE,
    ReviewState.WAIVED,
    ReviewState.REMEDIATED,
)
FINDING_STATUSES = (Status.FAIL.value, Status.ERROR.value)
PRIORITY_COLUMN, AT_STAKE_COLUMN = "priority", "at_stake_cents"


class Priority(IntEnum):
    """How soon a finding needs a conclusion; lower first."""

    CONTROL_EXCEPTION = 0
    UNSUPPORTED_REFUSAL = 1
    OTHER_FINDING = 2

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", " ")


def request_priority(verdicts: pd.DataFrame) -> np.ndarray:
    """Per request, its Priority code (int8) from control_exception and decision_code_check."""
    exception = _is(verdicts["control_exception"], tuple(ControlException))
    unsupported = _is(verdicts["decision_code_check"], (DecisionCodeCheck.UNSUPPORTED,))
    return np.select(
        [exception, unsupported],
        [Priority.CONTROL_EXCEPTION, Priority.UNSUPPORTED_REFUSAL],
        default=Priority.OTHER_FINDING,
    ).astype(np.int8)


def _is(column: pd.Series, wanted: tuple[str, ...]) -> np.ndarray:
    """Which rows of a categorical column hold one of `wanted`, on its codes (no text per row)."""
    categories = list(column.cat.categories)
    codes = [categories.index(w) for w in wanted if w in categories]
    return np.isin(column.cat.codes.to_numpy(), codes)


def concluded_codes(index: Findings) -> tuple[int, ...]:
    """The review codes attached to `index` whose state is concluded (none without a register)."""
    concluded = {state.value for state in CONCLUDED_STATES}
    return tuple(code for code, label in enumerate(index.review_labels[1:]) if label in concluded)


@dataclass(frozen=True)
class BulkPlan:
    """What setting every finding of a selection would do.

    `positions` are the findings that will be set; `concluded` of the selection's
    findings are already concluded (`skipped` of them left alone, all unless
    included); `not_findings` are selected rule results that passed or did not apply.
    """

    positions: np.ndarray
    concluded: int
    skipped: int
    not_findings: int

    @property
    def changes(self) -> int:
        return len(self.positions)


def plan_bulk(index: Findings, positions: np.ndarray, include_concluded: bool) -> BulkPlan:
    """Which of `positions` a bulk change sets: findings only; concluded ones only if included."""
    positions = np.asarray(positions, dtype=np.int64)
    request, rule = np.divmod(positions, index.rules)
    status = index.result.status_codes[request, rule]
    finding = np.isin(status, [STATUS_CODE[Status(s)] for s in FINDING_STATUSES])
    concluded = np.zeros(len(positions), dtype=bool)
    if index.review_codes is not None:
        concluded = finding & np.isin(index.review_codes[request, rule], concluded_codes(index))
    keep = finding if include_concluded else finding & ~concluded
    return BulkPlan(
        positions=positions[keep],
        concluded=int(concluded.sum()),
        skipped=0 if include_concluded else int(concluded.sum()),
        not_findings=int((~finding).sum()),
    )


class ReviewQueue:
    """The findings of one evaluation that need a conclusion, in risk order."""

    def __init__(self, index: Findings) -> None:
        self.index = index
        self.priority = request_priority(index.verdicts)

    def open_codes(self) -> tuple[int, ...] | None:
        """Review codes of findings that need a conclusion (None: no register, all do)."""
        if self.index.review_codes is None:
            return None
        concluded = set(concluded_codes(self.index))
        return tuple(c for c in range(len(self.index.review_labels) - 1) if c not in concluded)

    def select(self, f: FindingsFilter, priorities: tuple[int, ...] | None = None) -> np.ndarray:
        """Positions of the findings `f` keeps that need a conclusion, in queue order.

        `f`'s statuses and review codes are replaced: the queue holds fail and error
        results that are not concluded; `priorities` keeps only those Priority codes.
        """
        f = replace(f, statuses=FINDING_STATUSES, review_codes=self.open_codes())
        positions = self.index.select(f)
        if priorities is not None:
            kept = np.isin(self.priority[positions // self.index.rules], priorities)
            positions = positions[kept]
        return self.order(positions)

    def at_stake(self, positions: np.ndarray) -> np.ndarray:
        """Cents at stake of each finding (0 for an error or a rule without exposure)."""
        request, rule = np.divmod(np.asarray(positions, dtype=np.int64), self.index.rules)
        return exposure_at(self.index.result, request, rule)

    def order(self, positions: np.ndarray) -> np.ndarray:
        """`positions` by priority, then money at stake (largest first), then position."""
        positions = np.asarray(positions, dtype=np.int64)
        priority = self.priority[positions // self.index.rules]
        return positions[np.lexsort((positions, -self.at_stake(positions), priority))]

    def counts(self, positions: np.ndarray) -> dict[str, int]:
        """How many of `positions` there are of each priority, by label."""
        found = np.bincount(self.priority[positions // self.index.rules], minlength=len(Priority))
        return {p.label: int(found[p]) for p in Priority}

    def requests_to_look_into(self, f: FindingsFilter) -> np.ndarray:
        """Rows of the requests `f` keeps that are a control exception or an unsupported
        refusal but have no finding to conclude on (control exceptions first)."""
        verdict = self.index.result.verdict_codes
        no_finding = verdict == VERDICT_CODE[Verdict.ELIGIBLE]  # no rule fails or errs
        urgent = self.priority < Priority.OTHER_FINDING
        keep = self.index.request_mask(f) & urgent & no_finding
        rows = np.flatnonzero(keep)
        return rows[np.argsort(self.priority[rows], kind="stable")]

    def frame(self, positions: np.ndarray) -> pd.DataFrame:
        """The findings at `positions` with their priority and cents at stake in front."""
        positions = np.asarray(positions, dtype=np.int64)
        labels = [p.label for p in Priority]
        frame = self.index.frame(positions)
        frame.insert(
            0,
            PRIORITY_COLUMN,
            pd.Categorical.from_codes(self.priority[positions // self.index.rules], labels),
        )
        frame.insert(1, AT_STAKE_COLUMN, self.at_stake(positions))
        return frame

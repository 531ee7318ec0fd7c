"""A judged run recorded in the register: what `check` and `report` both do with it.

Recording the run's findings, the state of each as of the run's as_of, the
manifest's `review` entry and the verdicts with `review_state` are the same
for every command; `report` also snapshots the states beside its run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditkit.engine.result import AuditResult
from auditkit.review.recording import RecordedRun
from auditkit.review.register import Register
from auditkit.review.states import state_codes, with_review_state


@dataclass(frozen=True)
class ReviewedRun:
    """A run recorded in a register, with its findings' state codes and what to write."""

    recorded: RecordedRun
    codes: np.ndarray  # (requests, rules) review state codes, see review.states
    facts: dict[str, object]  # the manifest's `review` entry
    verdicts: pd.DataFrame  # the verdicts with review_state


def record_reviewed_run(
    register: Register, result: AuditResult, command: str, period: str | None = None
) -> ReviewedRun:
    """Record the run's findings in `register` (new ones start open) and read their states."""
    recorded = register.record_run(result, command, period)
    codes = state_codes(result, recorded.reviewed)
    facts = {
        "register": register.label,
        "run_id": recorded.run_id,
        "findings": recorded.findings,
        "new": recorded.new,
    }
    return ReviewedRun(
        recorded, codes, facts, with_review_state(result.verdicts, codes, result.rule_ids)
    )

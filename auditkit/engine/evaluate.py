"""Judge every request against every rule of a catalogue."""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditkit.engine.cases import build_cases
from auditkit.engine.judge import Cases, dedupe, judge
from auditkit.engine.result import AuditResult
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.rules.model import Catalogue


def evaluate(tables: Tables, params: Params, catalogue: Catalogue) -> AuditResult:
    """Build the case frame once, then judge each rule over it (the only loop is over rules).

    The catalogue is chosen by the caller (`auditkit.rules.catalogues.choose_catalogue`), never
    defaulted here: what ran is what the caller recorded.
    """
    cases, evidence = build_cases(tables, params, catalogue)
    return judge_cases(cases, params, catalogue, evidence)


def judge_cases(
    cases: pd.DataFrame,
    params: Params,
    catalogue: Catalogue,
    evidence: dict[str, pd.DataFrame] | None = None,
) -> AuditResult:
    """Judge every rule of `catalogue` over a case frame (also one partition of a Dask run)."""
    shared = Cases(cases, params)
    judgements = [judge(rule, shared) for rule in catalogue.rules]
    reason_codes, reason_texts = dedupe(judgements)
    status = [j.status for j in judgements]
    return AuditResult(
        params=params,
        catalogue=catalogue,
        cases=cases,
        status_codes=(
            np.stack(status, axis=1) if status else np.empty((len(cases), 0), dtype=np.int8)
        ),
        reason_codes=reason_codes,
        reason_texts=pd.arrays.ArrowStringArray(reason_texts),
        evidence_rows=evidence or {},
    )

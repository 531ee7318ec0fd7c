"""Judge every request against every rule of a catalogue."""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditkit.engine.cases import build_cases
from auditkit.engine.judge import judge
from auditkit.engine.result import AuditResult
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.rules.model import Catalogue
from auditkit.rules.pob import POB


def evaluate(
    tables: Tables, params: Params | None = None, catalogue: Catalogue = POB
) -> AuditResult:
    """Build the case frame once, then judge each rule over it (the only loop is over rules)."""
    params = params or Params()
    cases, evidence = build_cases(tables, params, catalogue)
    return judge_cases(cases, params, catalogue, evidence)


def judge_cases(
    cases: pd.DataFrame,
    params: Params,
    catalogue: Catalogue = POB,
    evidence: dict[str, pd.DataFrame] | None = None,
) -> AuditResult:
    """Judge every rule of `catalogue` over a case frame (also one partition of a Dask run)."""
    n, r = len(cases), len(catalogue.rules)
    status = np.empty((n, r), dtype=np.int8)
    reason_codes = np.empty((n, r), dtype=np.int32)
    texts: list[np.ndarray] = []
    offset = 0
    for j, rule in enumerate(catalogue.rules):
        judgement = judge(rule, cases, params)
        status[:, j] = judgement.status
        reason_codes[:, j] = judgement.reason_codes + offset
        texts.append(judgement.reasons)
        offset += len(judgement.reasons)
    # Two rules may word a reason identically; categories must be unique.
    remap, unique_texts = pd.factorize(np.concatenate(texts) if texts else np.array([], object))
    return AuditResult(
        params=params,
        catalogue=catalogue,
        cases=cases,
        status_codes=status,
        reason_codes=remap[reason_codes].astype(np.int32),
        reason_texts=np.asarray(unique_texts, dtype=object),
        evidence_rows=evidence or {},
    )

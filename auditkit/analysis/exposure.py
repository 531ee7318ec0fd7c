"""Money at stake: what each failing rule of a request puts at risk, in cents.

A rule declares its exposure (`Rule.exposure`): the member's negative balance,
the value of open orders, unused sub-customer vouchers, the admin's shortfall.
Per request the exposure is the sum over its failing rules; no two rules of
the catalogue measure the same money for one request.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditkit.engine.result import AuditResult
from auditkit.vocab import STATUS_CODE, Status

CENTS = "_cents"  # the suffix of money columns in the case frame


def exposure_matrix(result: AuditResult) -> np.ndarray:
    """(requests, rules) int64 cents at stake where the rule fails, 0 elsewhere."""
    failing = result.status_codes == STATUS_CODE[Status.FAIL]
    cents = np.zeros(failing.shape, dtype=np.int64)
    for j, rule in enumerate(result.rules):  # the rules, not the rows
        if rule.exposure is None or not failing[:, j].any():
            continue
        rows = np.flatnonzero(failing[:, j])
        values = rule.exposure(result.cases.iloc[rows])
        cents[rows, j] = pd.Series(values).fillna(0).to_numpy(dtype=np.int64)
    return cents


def exposure_by_request(result: AuditResult) -> pd.Series:
    """Per request, the cents at stake over all its failing rules."""
    return pd.Series(exposure_matrix(result).sum(axis=1), name="exposure_cents")


def exposure_at(result: AuditResult, requests: np.ndarray, rules: np.ndarray) -> np.ndarray:
    """Cents at stake of each (request, rule) pair given: `exposure_matrix(result)[requests,
    rules]` without building the matrix. A rule's exposure is money: it reads the case
    frame's cent columns (`*_cents`), so only those are taken, at the rows where it fails."""
    requests, rules = np.asarray(requests, dtype=np.int64), np.asarray(rules, dtype=np.int64)
    cents = np.zeros(len(requests), dtype=np.int64)
    failing = result.status_codes[requests, rules] == STATUS_CODE[Status.FAIL]
    money = result.cases[[c for c in result.cases.columns if c.endswith(CENTS)]]
    for j, rule in enumerate(result.rules):  # the rules, not the rows
        hit = failing & (rules == j)
        if rule.exposure is None or not hit.any():
            continue
        values = rule.exposure(money.iloc[requests[hit]])
        cents[hit] = pd.Series(values).fillna(0).to_numpy(dtype=np.int64)
    return cents

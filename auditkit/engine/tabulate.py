"""The contract's output tables built straight from an evaluation's codes.

`results` (one row per request and rule) repeats each request 13 times, so it
is built from integer codes into small dictionaries: as pandas categoricals
for analysis, or as dictionary-encoded Arrow columns for writing.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from auditkit.contract import RESULT_COLUMNS, VERDICT_COLUMNS
from auditkit.vocab import (
    STATUS_CODE,
    VERDICT_CODE,
    ControlException,
    Decision,
    DecisionCodeCheck,
    Status,
    Verdict,
    values,
)


class Judged(Protocol):
    """What tabulating needs of an evaluation (`auditkit.engine.result.AuditResult`)."""

    cases: pd.DataFrame
    status_codes: np.ndarray
    reason_codes: np.ndarray
    reason_texts: np.ndarray

    @property
    def rule_ids(self) -> list[str]: ...

    @property
    def verdict_codes(self) -> np.ndarray: ...

    @property
    def decision_code_map(self) -> dict[str, tuple[str, ...]]: ...


def categorical(codes: np.ndarray, categories: pd.Index) -> pd.Categorical:
    """Categorical over categories already known to be unique (from factorize).

    pandas re-checks uniqueness of categories on every construction, which costs
    about 0.5 s per million categories; the fast path skips that check.
    """
    try:
        dtype = pd.CategoricalDtype._from_fastpath(categories, False)
    except AttributeError:  # private API gone in a future pandas: take the checked path
        dtype = pd.CategoricalDtype(categories, ordered=False)
    return pd.Categorical.from_codes(codes, dtype=dtype)


def rule_bits(status_codes: np.ndarray, status: Status) -> np.ndarray:
    """One integer per request whose bit j says "rule j has this status" (up to 63 rules)."""
    hit = status_codes == STATUS_CODE[status]
    packed = np.packbits(hit, axis=1, bitorder="little").astype(np.int64)
    return (packed << (8 * np.arange(packed.shape[1], dtype=np.int64))).sum(axis=1)


def joined_rule_ids(status_codes: np.ndarray, rule_ids: list[str], status: Status):
    """Per request, the ids of the rules with `status`, joined by ';' (a categorical)."""
    patterns, uniques = pd.factorize(rule_bits(status_codes, status))
    labels = [
        ";".join(rule_id for j, rule_id in enumerate(rule_ids) if int(pattern) >> j & 1)
        for pattern in uniques  # distinct patterns only: at most 2**13
    ]
    if not labels:
        return pd.Categorical([], categories=[""])
    return pd.Categorical.from_codes(patterns, categories=pd.Index(labels))


def exception_codes(decision: pd.Series, verdict_codes: np.ndarray) -> np.ndarray:
    """0 none, 1 approved_but_ineligible, 2 rejected_but_eligible."""
    return np.select(
        [
            (decision == Decision.APPROVED).to_numpy(dtype=bool)
            & (verdict_codes == VERDICT_CODE[Verdict.INELIGIBLE]),
            (decision == Decision.REJECTED).to_numpy(dtype=bool)
            & (verdict_codes == VERDICT_CODE[Verdict.ELIGIBLE]),
        ],
        [1, 2],
        default=0,
    )


def decision_code_checks(
    decision: pd.Series,
    codes: pd.Series,
    status_codes: np.ndarray,
    rule_ids: list[str],
    code_map: dict[str, tuple[str, ...]],
) -> pd.Categorical:
    """Per request: supported, unsupported, unmapped, or '' (no code, or not rejected).

    A code is supported when at least one of the rules it stands for fails.
    """
    position = {rule_id: j for j, rule_id in enumerate(rule_ids)}
    code_of, known = pd.factorize(codes.astype("str"), use_na_sentinel=True)
    mapped = np.array([code in code_map for code in known] + [False], dtype=bool)
    masks = np.array(
        [sum(1 << position[r] for r in code_map.get(code, ()) if r in position) for code in known]
        + [0],
        dtype=np.int64,
    )  # one entry per distinct code, not per request
    rejected = (decision == Decision.REJECTED).to_numpy(dtype=bool) & (code_of >= 0)
    failing = rule_bits(status_codes, Status.FAIL)
    check = np.select(
        [
            rejected & ~mapped[code_of],
            rejected & ((masks[code_of] & failing) != 0),
            rejected,
        ],
        [3, 1, 2],
        default=0,
    )
    return pd.Categorical.from_codes(check, categories=["", *values(DecisionCodeCheck)])


def verdicts_frame(result: Judged) -> pd.DataFrame:
    """The contract's verdicts table: one row per request."""
    cases = result.cases
    decision = cases["decision"]
    exceptions = pd.Categorical.from_codes(
        exception_codes(decision, result.verdict_codes),
        categories=["", *values(ControlException)],
    )
    columns = {
        "request_id": cases["request_id"],
        "member_uin": cases["member_uin"],
        "admin_uin": cases["admin_uin"],
        "action": cases["action"],
        "payment_mode": cases["payment_mode"],
        "verdict": pd.Categorical.from_codes(result.verdict_codes, categories=values(Verdict)),
        "failed_rules": joined_rule_ids(result.status_codes, result.rule_ids, Status.FAIL),
        "error_rules": joined_rule_ids(result.status_codes, result.rule_ids, Status.ERROR),
        "decision": decision,
        "control_exception": exceptions,
        "decision_code_check": decision_code_checks(
            decision,
            cases["decision_code"],
            result.status_codes,
            result.rule_ids,
            result.decision_code_map,
        ),
    }
    return pd.DataFrame({name: columns[name] for name in VERDICT_COLUMNS})


def results_frame(result: Judged) -> pd.DataFrame:
    """Long table: one row per (request, rule), request-major, categorical columns."""
    n, r = result.status_codes.shape
    cases = result.cases
    row_of = np.repeat(np.arange(n, dtype=np.int32), r)

    def repeated(column: str) -> pd.Categorical:
        codes, uniques = pd.factorize(cases[column], use_na_sentinel=True)
        return categorical(codes.astype(np.int32)[row_of], pd.Index(uniques, dtype="str"))

    columns = {
        # request_id is unique (validated), so row_of already codes it.
        "request_id": categorical(row_of, pd.Index(cases["request_id"], dtype="str")),
        "member_uin": repeated("member_uin"),
        "admin_uin": repeated("admin_uin"),
        "action": pd.Categorical.from_codes(
            cases["action"].cat.codes.to_numpy()[row_of], dtype=cases["action"].dtype
        ),
        "rule_id": pd.Categorical.from_codes(
            np.tile(np.arange(r, dtype=np.int8), n), categories=result.rule_ids
        ),
        "status": pd.Categorical.from_codes(result.status_codes.ravel(), categories=values(Status)),
        "reason": categorical(
            result.reason_codes.ravel(), pd.Index(result.reason_texts, dtype="str")
        ),
    }
    return pd.DataFrame({name: columns[name] for name in RESULT_COLUMNS})


def results_arrow(result: Judged) -> pa.Table:
    """The long results as an Arrow table built straight from the codes, for writing.

    Same rows and columns as `results_frame`, with dictionary-encoded columns; skips
    the pandas categoricals and their conversion, which cost seconds at 13M rows.
    """
    n, r = result.status_codes.shape
    cases = result.cases
    row_of = np.repeat(np.arange(n, dtype=np.int32), r)

    def encoded(indices: np.ndarray, dictionary: object) -> pa.DictionaryArray:
        values_ = pa.array(dictionary, type=pa.large_string(), from_pandas=True)
        if isinstance(values_, pa.ChunkedArray):
            values_ = values_.combine_chunks()
        return pa.DictionaryArray.from_arrays(pa.array(indices), values_)

    def repeated(column: str) -> pa.DictionaryArray:
        codes, uniques = pd.factorize(cases[column])
        return encoded(codes.astype(np.int32)[row_of], uniques)

    action = cases["action"]
    columns = {
        "request_id": encoded(row_of, cases["request_id"].array),
        "member_uin": repeated("member_uin"),
        "admin_uin": repeated("admin_uin"),
        "action": encoded(
            action.cat.codes.to_numpy().astype(np.int8)[row_of], list(action.cat.categories)
        ),
        "rule_id": encoded(np.tile(np.arange(r, dtype=np.int8), n), result.rule_ids),
        "status": encoded(result.status_codes.ravel(), values(Status)),
        "reason": encoded(result.reason_codes.ravel(), result.reason_texts),
    }
    return pa.table({name: columns[name] for name in RESULT_COLUMNS})

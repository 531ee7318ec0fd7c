"""Review states of one evaluation's findings, as a code matrix beside the status matrix.

A finding is a (request, rule) whose status is `fail` or `error`. Its state
comes from the register, keyed by (request_id, rule_id), so a conclusion
carries over to every later run that finds the same thing. A waiver whose
`expires` is before the run's as_of no longer counts: it shows as
`waiver_expired` and counts as open.

Codes are positions in `vocab.ReviewState`; UNREVIEWED marks a finding no one
has reviewed yet (shown as `open`), NOT_A_FINDING a rule that passed or did
not apply. Everything is numpy over the (requests, rules) matrix; only the
distinct per-request patterns of states are turned into text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditkit.contract import REVIEW_STATE_COLUMN
from auditkit.engine.result import AuditResult
from auditkit.review.changes import DECISION, FOLLOW_UP_FIELDS
from auditkit.vocab import STATUS_CODE, DecisionCodeCheck, ReviewState, Status

REVIEW_STATES: tuple[ReviewState, ...] = tuple(ReviewState)
STATE_CODE: dict[ReviewState, int] = {state: code for code, state in enumerate(REVIEW_STATES)}
UNREVIEWED = len(REVIEW_STATES)
NOT_A_FINDING = -1
# The state shown for each code 0..UNREVIEWED.
SHOWN: tuple[str, ...] = (*(state.value for state in REVIEW_STATES), ReviewState.OPEN.value)
# Columns of a frame of reviewed findings, as `Register.reviewed` returns it.
REVIEWED_COLUMNS = (
    "request_id",
    "rule_id",
    "state",
    "note",
    "expires",
    "changed_by",
    "changed_at",
    *FOLLOW_UP_FIELDS,
)
FINDING_STATUSES = (Status.FAIL, Status.ERROR)
# A reviewer has concluded (open, under review and an expired waiver have not).
CONCLUDED: frozenset[str] = frozenset(
    {ReviewState.CONFIRMED, ReviewState.FALSE_POSITIVE, ReviewState.WAIVED, ReviewState.REMEDIATED}
)
# Nothing is left to follow up: not an exception, accepted risk (a live waiver), or fixed and
# verified. A confirmed finding stays open for follow-up until a reviewer sets it remediated.
CLOSED: frozenset[str] = frozenset(
    {ReviewState.FALSE_POSITIVE, ReviewState.WAIVED, ReviewState.REMEDIATED}
)


def finding_mask(result: AuditResult) -> np.ndarray:
    """(requests, rules) booleans: which (request, rule) pairs are findings."""
    codes = result.status_codes
    return np.isin(codes, [STATUS_CODE[status] for status in FINDING_STATUSES])


def finding_keys(result: AuditResult) -> pd.DataFrame:
    """request_id and rule_id of every finding, request-major in catalogue order."""
    request, rule = np.nonzero(finding_mask(result))
    ids = result.cases["request_id"].to_numpy(dtype=object)
    rule_ids = np.asarray(result.rule_ids, dtype=object)
    return pd.DataFrame({"request_id": ids[request], "rule_id": rule_ids[rule]})


def decision_mask(result: AuditResult) -> np.ndarray:
    """Per request: is its platform decision to be reviewed (a control exception, or a refusal
    whose stated code the data does not bear out)?"""
    verdicts = result.verdicts
    exception = verdicts["control_exception"].astype("str").to_numpy() != ""
    unsupported = (
        verdicts["decision_code_check"].astype("str").to_numpy() == DecisionCodeCheck.UNSUPPORTED
    )
    return exception | unsupported


def decision_keys(result: AuditResult) -> pd.DataFrame:
    """request_id and rule_id (DECISION) of every platform decision to be reviewed."""
    ids = result.cases["request_id"].to_numpy(dtype=object)[decision_mask(result)]
    return pd.DataFrame({"request_id": ids, "rule_id": np.full(len(ids), DECISION, dtype=object)})


def review_keys(result: AuditResult) -> pd.DataFrame:
    """Every review item of an evaluation: its findings, then its decisions to be reviewed."""
    return pd.concat([finding_keys(result), decision_keys(result)], ignore_index=True)


def shown_item_states(items: pd.DataFrame, as_of: object) -> np.ndarray:
    """The state shown for each register row (state, expires, changed_at) as of `as_of`:
    `open` when never reviewed, `waiver_expired` for a waiver that ended before as_of."""
    state = items["state"].astype("str").to_numpy(dtype=object).copy()
    state[items["changed_at"].isna().to_numpy()] = ReviewState.OPEN.value
    expires = pd.to_datetime(items["expires"], errors="coerce").to_numpy()
    lapsed = (state == ReviewState.WAIVED.value) & (expires < np.datetime64(str(as_of)))
    state[lapsed] = ReviewState.WAIVER_EXPIRED.value
    return state


def state_codes(result: AuditResult, reviewed: pd.DataFrame) -> np.ndarray:
    """(requests, rules) int8 codes: each finding's state as of the run's as_of.

    `reviewed` holds the register's reviewed findings (REVIEWED_COLUMNS); rows
    that are not findings of this evaluation are ignored.
    """
    mask = finding_mask(result)
    codes = np.where(mask, UNREVIEWED, NOT_A_FINDING).astype(np.int8)
    if reviewed.empty:
        return codes
    request = pd.Index(result.cases["request_id"].astype("str")).get_indexer(
        reviewed["request_id"].astype("str")
    )
    rule = pd.Index(result.rule_ids).get_indexer(reviewed["rule_id"].astype("str"))
    known = (request >= 0) & (rule >= 0)
    known[known] = mask[request[known], rule[known]]
    states = reviewed["state"].astype("str").to_numpy()[known]
    state = pd.Index([s.value for s in REVIEW_STATES]).get_indexer(states).astype(np.int8)
    expires = pd.to_datetime(reviewed["expires"], errors="coerce").to_numpy()[known]
    as_of = np.datetime64(result.params.as_of.isoformat())
    lapsed = (state == STATE_CODE[ReviewState.WAIVED]) & (expires < as_of)
    state[lapsed] = STATE_CODE[ReviewState.WAIVER_EXPIRED]
    codes[request[known], rule[known]] = state
    return codes


def review_state_column(codes: np.ndarray, rule_ids: list[str]) -> pd.Categorical:
    """Per request, its findings' states in rule-id order joined by ';' (contract §7).

    Empty when the request has no findings or none of them was ever reviewed;
    an unreviewed finding of a reviewed request reads `open`.
    """
    order = np.argsort(np.asarray(rule_ids, dtype=object), kind="stable")
    ordered = codes[:, order].astype(np.int64)
    reviewed = ((ordered >= 0) & (ordered != UNREVIEWED)).any(axis=1)
    # Four bits per rule hold code + 1 (0: not a finding); 13 rules fit in 52 bits.
    shifts = 4 * np.arange(ordered.shape[1], dtype=np.int64)
    packed = np.where(reviewed, ((ordered + 1) << shifts).sum(axis=1), 0)
    patterns, uniques = pd.factorize(packed)
    if not len(uniques):
        return pd.Categorical([], categories=[""])
    # Never reviewed and explicitly open both read "open": two patterns, one label.
    label_of, labels = pd.factorize(
        np.asarray([_label(int(pattern), ordered.shape[1]) for pattern in uniques], dtype=object)
    )
    return pd.Categorical.from_codes(label_of[patterns], categories=pd.Index(labels, dtype="str"))


def with_review_state(
    verdicts: pd.DataFrame, codes: np.ndarray, rule_ids: list[str]
) -> pd.DataFrame:
    """The verdicts with `review_state` added after all other columns."""
    return verdicts.assign(**{REVIEW_STATE_COLUMN: review_state_column(codes, rule_ids)})


def _label(pattern: int, rules: int) -> str:
    if pattern == 0:
        return ""
    shown = [(pattern >> (4 * j)) & 0xF for j in range(rules)]
    return ";".join(SHOWN[value - 1] for value in shown if value)


def shown_states(codes: np.ndarray) -> np.ndarray:
    """Each code as the state shown ('' for NOT_A_FINDING), an object array shaped like `codes`."""
    table = np.asarray(("", *SHOWN), dtype=object)
    return table[codes.astype(np.int64) + 1]


def state_counts(codes: np.ndarray) -> dict[str, int]:
    """Findings per shown state, unreviewed ones apart, in ReviewState order then 'unreviewed'."""
    counts = np.bincount(codes[codes >= 0].astype(np.int64), minlength=UNREVIEWED + 1)
    shown = {state.value: int(counts[STATE_CODE[state]]) for state in REVIEW_STATES}
    return shown | {"unreviewed": int(counts[UNREVIEWED])}

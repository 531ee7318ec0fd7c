"""Status and reason of one rule for every request, in the contract's order of judgement.

1. the request's own action and payment mode (the rule's scope) -> not_applicable;
2. an account the rule reads is missing -> error;
3. the rule's account condition (`applies`) does not hold -> not_applicable;
4. `passes` -> pass, else fail.

Status and reason come from one "cause" code per row, so they cannot drift
apart. Reasons are stored as codes into a small array of distinct sentences:
fixed sentences for the not-applicable and pass causes, and sentences rendered
for the failing and error rows only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditkit.params import Params
from auditkit.rules.model import Rule, one_of
from auditkit.rules.phrasing import timestamp
from auditkit.vocab import STATUS_CODE, Action, PaymentMode, Reads, Role, Status, values

# Why a row got its status; the reason text is chosen from the same code.
NA_ACTION, NA_MODE, ERROR, NA_ACCOUNT, PASS, FAIL = range(6)
CAUSE_STATUS = np.array(
    [
        STATUS_CODE[s]
        for s in (
            Status.NOT_APPLICABLE,
            Status.NOT_APPLICABLE,
            Status.ERROR,
            Status.NOT_APPLICABLE,
            Status.PASS,
            Status.FAIL,
        )
    ],
    dtype=np.int8,
)


@dataclass(frozen=True)
class Judgement:
    """Status codes and reasons of one rule over all requests."""

    cause: np.ndarray
    status: np.ndarray
    reason_codes: np.ndarray
    reasons: np.ndarray


def _mask(values_: object, length: int) -> np.ndarray:
    if values_ is None:
        return np.zeros(length, dtype=bool)
    series = pd.Series(values_) if not isinstance(values_, pd.Series) else values_
    return series.fillna(False).to_numpy(dtype=bool)


def missing_accounts(rule: Rule, cases: pd.DataFrame) -> dict[Role, np.ndarray]:
    """Per role the rule reads, the requests whose account of that role is missing."""
    n = len(cases)
    return {
        role: ~cases[f"{role}_found"].to_numpy(dtype=bool)
        if Reads(role.value) in rule.reads
        else np.zeros(n, bool)
        for role in Role
    }


def judge(rule: Rule, cases: pd.DataFrame, params: Params) -> Judgement:
    """Status and reason of `rule` for every case."""
    n = len(cases)
    action = cases["action"]
    mode = cases["payment_mode"]
    wrong_action = ~one_of(action, sorted(rule.scope.actions))
    wrong_mode = ~one_of(mode, sorted(rule.scope.payment_modes))
    missing = missing_accounts(rule, cases)
    any_missing = np.logical_or.reduce(list(missing.values()))
    outside = ~_mask(rule.applies(cases, params), n) if rule.applies else np.zeros(n, bool)
    holds = _mask(rule.passes(cases, params), n)
    cause = np.select(
        [wrong_action, wrong_mode, any_missing, outside, holds],
        [NA_ACTION, NA_MODE, ERROR, NA_ACCOUNT, PASS],
        default=FAIL,
    ).astype(np.int8)

    # Fixed sentences first: one per request value outside the scope, then the rule's own.
    texts = rule.text(params)
    fixed: list[str] = []
    codes = np.full(n, -1, dtype=np.int32)
    for value in values(Action):
        if Action(value) not in rule.scope.actions:
            codes[(cause == NA_ACTION) & (action == value).to_numpy(dtype=bool)] = len(fixed)
            fixed.append(
                f"applies to {rule.scope.action_words()} requests only; this request is a {value}"
            )
    for value in values(PaymentMode):
        if PaymentMode(value) not in rule.scope.payment_modes:
            codes[(cause == NA_MODE) & (mode == value).to_numpy(dtype=bool)] = len(fixed)
            fixed.append(
                f"applies to {rule.scope.mode_words()} requests only; payment_mode is {value}"
            )
    for selected, sentence in (
        (NA_ACCOUNT, texts.not_applicable_reason),
        (PASS, texts.pass_reason),
    ):
        codes[cause == selected] = len(fixed)
        fixed.append(sentence)

    reasons = [np.asarray(fixed, dtype=object)]
    for selected, render in ((cause == FAIL, rule.fail_reason), (cause == ERROR, _error_reason)):
        if not selected.any():
            continue
        subset = Selected(cases, selected)
        if render is _error_reason:
            text = _error_reason(subset, {r: m[selected] for r, m in missing.items()}, params)
        else:
            text = render(subset, params)
        text = text.fillna(f"{rule.id} does not hold").astype("str")
        local_codes, uniques = pd.factorize(text)
        codes[selected] = local_codes + sum(len(chunk) for chunk in reasons)
        reasons.append(np.asarray(uniques, dtype=object))
    return Judgement(cause, CAUSE_STATUS[cause], codes, np.concatenate(reasons))


class Selected(Mapping[str, pd.Series]):
    """Some rows of the case frame, taken column by column as a sentence asks for them.

    Rendering reads a handful of the case frame's ~40 columns; taking every column
    for the failing rows cost more than the sentences themselves. Values keep the
    case frame's index, so they align with each other.
    """

    def __init__(self, cases: pd.DataFrame, mask: np.ndarray) -> None:
        self._cases = cases
        self._rows = np.flatnonzero(mask)
        self._taken: dict[str, pd.Series] = {}

    def __getitem__(self, name: str) -> pd.Series:
        if name not in self._taken:
            self._taken[name] = self._cases[name].take(self._rows)
        return self._taken[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._cases.columns)

    def __len__(self) -> int:
        return len(self._rows)


def _error_reason(subset: Selected, missing: dict[Role, np.ndarray], params: Params) -> pd.Series:
    """Which account the rule could not read.

    Snapshot: 'member 42 is not in accounts', the admin likewise, or both joined
    by 'and'. At requested_at: 'no state of member 42 recorded at or before <t>'.
    """
    member, admin = missing[Role.MEMBER], missing[Role.ADMIN]
    if params.at_requested:
        when = " recorded at or before " + timestamp(subset["requested_at"])
        m_text = "no state of member " + subset["member_uin"] + when
        a_text = "no state of admin " + subset["admin_uin"] + when
        both = "no state of member " + subset["member_uin"] + " or admin " + subset["admin_uin"]
        both = both + when
    else:
        m_text = "member " + subset["member_uin"] + " is not in accounts"
        a_text = "admin " + subset["admin_uin"] + " is not in accounts"
        both = m_text + " and " + a_text
    out = a_text.where(~member, m_text)
    return out.where(~(member & admin), both)

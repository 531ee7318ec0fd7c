"""Status and reason of one rule for every request, in the contract's order of judgement.

1. the request's own action and payment mode (the rule's scope) -> not_applicable;
2. an account the rule reads is missing -> error;
3. the rule's account condition (`applies`) does not hold -> not_applicable;
4. the rule's check holds -> pass, else fail.

Status and reason come from one "cause" code per row, so they cannot drift
apart. A rule's reasons are its fixed sentences (not applicable, pass) and one
sentence per failing or error row, built by Arrow from the rule's templates
(`auditkit.rules.phrasing`); the engine dedupes all rules' sentences at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.params import Params
from auditkit.rules.checks import UINS, one_of, truth
from auditkit.rules.model import Rule, Scope
from auditkit.rules.phrasing import STAMP, Columns, Value, parts, sentence_rows
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

# Which account a rule could not read: at the snapshot, or at requested_at ({when}).
MISSING = {
    False: (
        "member {member} is not in accounts",
        "admin {admin} is not in accounts",
        "member {member} is not in accounts and admin {admin} is not in accounts",
    ),
    True: (
        "no state of member {member} recorded at or before {when}",
        "no state of admin {admin} recorded at or before {when}",
        "no state of member {member} or admin {admin} recorded at or before {when}",
    ),
}


@dataclass(frozen=True)
class Judgement:
    """Status codes and reasons of one rule over all requests.

    `reasons` holds the rule's fixed sentences, then one sentence per failing row,
    then one per error row (not deduplicated); `reason_of` is each row's position in it.
    """

    cause: np.ndarray
    status: np.ndarray
    reason_of: np.ndarray
    reasons: pa.Array


class Cases:
    """The case frame of one evaluation and what every rule's judgement shares: the scope
    masks, the accounts found, and the columns as sentence text (converted once)."""

    def __init__(self, frame: pd.DataFrame, params: Params) -> None:
        self.frame = frame
        self.params = params
        self.text = Columns(frame)
        self._among: dict[tuple[str, frozenset[str]], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.frame)

    def among(self, column: str, choices: frozenset[str]) -> np.ndarray:
        """Per case, whether the request's column is among `choices` (cached)."""
        key = (column, choices)
        if key not in self._among:
            self._among[key] = one_of(self.frame[column], sorted(choices))
        return self._among[key]

    def missing(self, rule: Rule) -> dict[Role, np.ndarray]:
        """Per role the rule reads, the cases whose account of that role is missing."""
        return {
            role: ~self.found(role)
            if Reads(role.value) in rule.reads
            else np.zeros(len(self), bool)
            for role in Role
        }

    def found(self, role: Role) -> np.ndarray:
        """Per case, whether the account of `role` (or its state at requested_at) was found."""
        return self.frame[f"{role}_found"].to_numpy(dtype=bool)


def out_of_scope(scope: Scope) -> Iterator[tuple[int, str, str, str]]:
    """(cause, column, value, reason) for each request value that `scope` leaves out."""
    actions, modes = scope.action_words(), scope.mode_words()
    for value in values(Action):
        if Action(value) not in scope.actions:
            yield (
                NA_ACTION,
                "action",
                value,
                f"applies to {actions} requests only; this request is a {value}",
            )
    for value in values(PaymentMode):
        if PaymentMode(value) not in scope.payment_modes:
            yield (
                NA_MODE,
                "payment_mode",
                value,
                f"applies to {modes} requests only; payment_mode is {value}",
            )


def judge(rule: Rule, cases: Cases) -> Judgement:
    """Status and reason of `rule` for every case."""
    n, params, frame = len(cases), cases.params, cases.frame
    wrong_action = ~cases.among("action", rule.scope.actions)
    wrong_mode = ~cases.among("payment_mode", rule.scope.payment_modes)
    missing = cases.missing(rule)
    any_missing = missing[Role.MEMBER] | missing[Role.ADMIN]
    outside = ~truth(rule.applies(frame, params)) if rule.applies else np.zeros(n, bool)
    holds = rule.check.holds(frame, params)
    cause = np.select(
        [wrong_action, wrong_mode, any_missing, outside, holds],
        [NA_ACTION, NA_MODE, ERROR, NA_ACCOUNT, PASS],
        default=FAIL,
    ).astype(np.int8)

    # Fixed sentences first: one per request value outside the scope, then the rule's own.
    texts = rule.text(params)
    fixed: list[str] = []
    reason_of = np.full(n, -1, dtype=np.int32)
    for selected, column, value, sentence in out_of_scope(rule.scope):
        hit = (cause == selected) & cases.among(column, frozenset({value}))
        reason_of[hit] = len(fixed)
        fixed.append(sentence)
    for selected, sentence in (
        (NA_ACCOUNT, texts.not_applicable_reason),
        (PASS, texts.pass_reason),
    ):
        reason_of[cause == selected] = len(fixed)
        fixed.append(sentence)

    reasons = [pa.array(fixed, type=pa.large_string())]
    failing, erring = np.flatnonzero(cause == FAIL), np.flatnonzero(cause == ERROR)
    for rows, sentences in (
        (failing, lambda: fail_sentences(rule, cases, failing)),
        (erring, lambda: error_sentences(cases, missing, erring)),
    ):
        if len(rows):
            start = sum(len(chunk) for chunk in reasons)
            reason_of[rows] = start + np.arange(len(rows), dtype=np.int32)
            reasons.append(sentences().fill_null(f"{rule.id} does not hold"))
    return Judgement(cause, CAUSE_STATUS[cause], reason_of, pa.concat_arrays(reasons))


def fail_sentences(rule: Rule, cases: Cases, rows: np.ndarray) -> pa.Array:
    """The failing rows' sentences, in row order: each row is explained by the first of the
    check's explanations whose rows hold it (the last one takes the rest)."""
    explanations = rule.check.explained(cases.frame, cases.params, rule.fail_reason)
    left = np.ones(len(rows), dtype=bool)
    pieces, order = [], []
    for i, (where, template, slots) in enumerate(explanations):
        last = i == len(explanations) - 1
        taken = left if last or where is None else left & where[rows]
        if not taken.any():
            continue
        left = left & ~taken
        pieces.append(sentence_rows(parts(template, slots, cases.params), cases.text, rows[taken]))
        order.append(np.flatnonzero(taken))
    if len(pieces) == 1:
        return pieces[0]
    positions = np.concatenate(order)
    return pa.concat_arrays(pieces).take(pa.array(np.argsort(positions, kind="stable")))


def error_sentences(cases: Cases, missing: dict[Role, np.ndarray], rows: np.ndarray) -> pa.Array:
    """Which account the rule could not read, for the error rows in row order.

    Snapshot: 'member 42 is not in accounts', the admin likewise, or both joined
    by 'and'. At requested_at: 'no state of member 42 recorded at or before <t>'.
    """
    member, admin = missing[Role.MEMBER][rows], missing[Role.ADMIN][rows]
    which = np.where(member & admin, 2, np.where(member, 0, 1))
    slots = UINS | {"when": Value("requested_at", STAMP)}
    pieces, order = [], []
    for kind, template in enumerate(MISSING[cases.params.at_requested]):
        taken = np.flatnonzero(which == kind)
        if len(taken):
            sentence = parts(template, slots, cases.params)
            pieces.append(sentence_rows(sentence, cases.text, rows[taken]))
            order.append(taken)
    if len(pieces) == 1:
        return pieces[0]
    return pa.concat_arrays(pieces).take(pa.array(np.argsort(np.concatenate(order))))


def dedupe(judgements: list[Judgement]) -> tuple[np.ndarray, pa.Array]:
    """(reason codes: cases x rules, distinct sentences in order of first appearance)."""
    n = len(judgements[0].reason_of) if judgements else 0
    codes = np.empty((n, len(judgements)), dtype=np.int32)
    offset = 0
    for j, judgement in enumerate(judgements):
        codes[:, j] = judgement.reason_of + offset
        offset += len(judgement.reasons)
    every = [j.reasons for j in judgements] or [pa.array([], type=pa.large_string())]
    encoded = pc.dictionary_encode(pa.concat_arrays(every))
    remap = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    return remap[codes], encoded.dictionary

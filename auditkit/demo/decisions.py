"""What the platform decided on each demo request: mostly right, sometimes not.

Each request is judged at its requested_at with the default parameters; the
platform approves eligible requests and refuses the others, except for a
small, configurable share of mistakes (`ERROR_RATES`). A refusal carries the
error code of the first failing rule (contract v1.1 section 6), a few of them
a wrong code or one the catalogue does not map. Some requests have no
recorded decision yet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditkit.demo.snapshot import pick
from auditkit.engine.evaluate import evaluate
from auditkit.engine.tabulate import rule_bits
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.rules.pob import POB
from auditkit.vocab import VERDICT_CODE, Decision, Moment, Status, Verdict

# Share of ineligible requests approved anyway, and of eligible ones refused anyway.
ERROR_RATES = {"approved_but_ineligible": 0.12, "rejected_but_eligible": 0.006}
UNDECIDED_SHARE = 0.02
WRONG_CODE_SHARE = 0.03  # refusals citing a code whose rules all hold
UNMAPPED_CODE = "InternalError.UnknownReason"
UNMAPPED_SHARE = 0.02


def decide(
    requests: pd.DataFrame, tables: Tables, as_of: object, seed: int, rates: dict | None = None
) -> pd.DataFrame:
    """The requests with `decision` and `decision_code` following each one's verdict at its
    requested_at; each kind of mistake is present at least once (`snapshot.pick`)."""
    rates = ERROR_RATES | (rates or {})
    rng = np.random.default_rng([seed, 11])
    result = evaluate(tables, Params(as_of=as_of, at=Moment.REQUESTED), POB)
    verdict = result.verdict_codes
    n = len(requests)
    eligible = verdict == VERDICT_CODE[Verdict.ELIGIBLE]
    wrong = np.zeros(n, dtype=bool)
    wrong[
        pick(rng, verdict == VERDICT_CODE[Verdict.INELIGIBLE], rates["approved_but_ineligible"])
    ] = True
    wrong[pick(rng, eligible, rates["rejected_but_eligible"])] = True
    approved = eligible ^ wrong
    decision = np.where(approved, Decision.APPROVED.value, Decision.REJECTED.value).astype(object)
    code = _codes(rng, rule_bits(result.status_codes, Status.FAIL), ~approved & ~eligible)
    # Refused although eligible: the platform cites some reason the data does not show.
    code = np.where(~approved & eligible, _any_code(rng, n), code)
    undecided = np.zeros(n, dtype=bool)
    undecided[pick(rng, ~wrong, UNDECIDED_SHARE)] = True
    decision[undecided] = None
    code[undecided | approved] = None
    return requests.assign(decision=decision, decision_code=code)


def _codes_of_rules() -> tuple[np.ndarray, np.ndarray]:
    """(rules x codes table of the codes that stand for each rule, how many each rule has)."""
    codes: dict[str, list[str]] = {rule_id: [] for rule_id in POB.rule_ids}
    for code, rule_ids in POB.decision_codes:
        for rule_id in rule_ids:
            codes[rule_id].append(code)
    width = max(len(found) for found in codes.values())
    table = np.full((len(codes), width), None, dtype=object)
    for j, found in enumerate(codes.values()):  # the 13 rules
        table[j, : len(found)] = found
    return table, np.array([len(found) for found in codes.values()])


def _any_code(rng: np.random.Generator, n: int) -> np.ndarray:
    every = np.array([code for code, _ in POB.decision_codes], dtype=object)
    return every[rng.integers(0, len(every), n)]


def _codes(rng: np.random.Generator, failing: np.ndarray, refused: np.ndarray) -> np.ndarray:
    """A code of each refused request's first failing rule; some wrong, some unmapped."""
    n = len(failing)
    lowest = failing & -failing  # the first failing rule's bit
    first = np.where(lowest > 0, np.log2(np.maximum(lowest, 1)).astype(np.int64), -1)
    table, counts = _codes_of_rules()
    rule = np.maximum(first, 0)
    which = (rng.random(n) * np.maximum(counts[rule], 1)).astype(np.int64)
    code = np.where(first >= 0, table[rule, which], None).astype(object)
    code = np.where(rng.random(n) < WRONG_CODE_SHARE, _any_code(rng, n), code)
    code[pick(rng, refused & (first >= 0), UNMAPPED_SHARE)] = UNMAPPED_CODE
    return np.where(refused, code, None).astype(object)

"""The review queue's order and what a bulk change would set, on hand-built tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import PARAMS, account, build_tables, order, request

import auditkit.demo as demo
from auditkit import evaluate
from auditkit.analysis.exposure import exposure_at, exposure_matrix
from auditkit.analysis.findings import Findings, FindingsFilter
from auditkit.analysis.review_queue import ReviewQueue, plan_bulk
from auditkit.params import Params
from auditkit.review.states import (
    REVIEWED_COLUMNS,
    SHOWN,
    STATE_CODE,
    UNREVIEWED,
    state_codes,
)
from auditkit.vocab import ReviewState

ERRORS = [("R6", f"POB-J{i:02d}") for i in range(1, 7)]  # member 9 is not in accounts


@pytest.fixture(scope="module")
def result():
    """R1 approved though it fails J06 (5.00) and J07 (12.50): a control exception; R2 refused
    citing arrears it does not have (unsupported), failing J07 (3.00); R3 rejected though
    eligible; R4 fails J06 (100.00), R5 J07 (1.00); R6's member is unknown (errors)."""
    tables = build_tables(
        accounts=[
            account("2"),
            account("1", available_balance="-5.00"),
            account("3"),
            account("4"),
            account("6", available_balance="-100.00"),
            account("7"),
        ],
        orders=[
            order("O1", "1", status="to_be_paid", amount="12.50"),
            order("O2", "3", status="processing", amount="3.00"),
            order("O3", "7", status="to_be_paid", amount="1.00"),
        ],
        vouchers=[],
        requests=[
            request("R1", "1", "2", decision="approved"),
            request(
                "R2",
                "3",
                "2",
                decision="rejected",
                decision_code="UnsupportedOperation.MemberAccountArrears",
            ),
            request("R3", "4", "2", decision="rejected"),
            request("R4", "6", "2"),
            request("R5", "7", "2"),
            request("R6", "9", "2"),
        ],
    )
    return evaluate(tables, PARAMS)


def keyed(index: Findings, positions: np.ndarray) -> list[tuple[str, str]]:
    frame = index.frame(positions)
    return list(zip(frame["request_id"].astype(str), frame["rule_id"].astype(str), strict=True))


def test_control_exceptions_then_unsupported_refusals_then_money_at_stake(result):
    queue = ReviewQueue(Findings(result))
    positions = queue.select(FindingsFilter())
    assert keyed(queue.index, positions) == [
        ("R1", "POB-J07"),  # control exception, 12.50 at stake
        ("R1", "POB-J06"),  # control exception, 5.00
        ("R2", "POB-J07"),  # unsupported refusal, 3.00
        ("R4", "POB-J06"),  # other findings by money at stake: 100.00
        ("R5", "POB-J07"),  # 1.00
        *ERRORS,  # nothing at stake: request-major, rule order
    ]
    frame = queue.frame(positions)
    assert frame["priority"].astype(str).tolist()[:4] == [
        "control exception",
        "control exception",
        "unsupported refusal",
        "other finding",
    ]
    assert frame["at_stake_cents"].tolist()[:5] == [1250, 500, 300, 10000, 100]
    assert queue.counts(positions) == {
        "control exception": 2,
        "unsupported refusal": 1,
        "other finding": 2 + len(ERRORS),
    }


def test_a_rejected_eligible_request_has_nothing_to_conclude_and_is_listed_apart(result):
    queue = ReviewQueue(Findings(result))
    rows = queue.requests_to_look_into(FindingsFilter())
    assert result.cases["request_id"].iloc[rows].tolist() == ["R3"]


def test_concluded_findings_leave_the_queue(result):
    index = Findings(result)
    codes = state_codes(result, _reviewed(()))
    index.set_review(codes, SHOWN)
    queue = ReviewQueue(index)
    rules = index.result.rule_ids
    for rule, state in (("POB-J07", ReviewState.CONFIRMED), ("POB-J06", ReviewState.UNDER_REVIEW)):
        codes[0, rules.index(rule)] = STATE_CODE[state]
    codes[3, rules.index("POB-J06")] = STATE_CODE[ReviewState.WAIVER_EXPIRED]  # counts as open
    assert keyed(index, queue.select(FindingsFilter()))[:3] == [
        ("R1", "POB-J06"),
        ("R2", "POB-J07"),
        ("R4", "POB-J06"),
    ]


def _reviewed(rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(REVIEWED_COLUMNS))


@pytest.mark.parametrize(
    ("include", "changes", "skipped"),
    [(False, 3, 2), (True, 5, 0)],
)
def test_a_bulk_plan_skips_concluded_findings_unless_included(result, include, changes, skipped):
    index = Findings(result)
    codes = state_codes(result, _reviewed(()))
    index.set_review(codes, SHOWN)
    j06, j07 = index.result.rule_ids.index("POB-J06"), index.result.rule_ids.index("POB-J07")
    codes[0, j07] = STATE_CODE[ReviewState.CONFIRMED]
    codes[3, j06] = STATE_CODE[ReviewState.WAIVED]
    codes[1, j07] = STATE_CODE[ReviewState.UNDER_REVIEW]  # not concluded
    assert codes[4, j07] == UNREVIEWED
    # Every rule result of R1..R5: five findings, the rest pass or do not apply.
    positions = np.arange(5 * index.rules)
    plan = plan_bulk(index, positions, include_concluded=include)
    assert (plan.changes, plan.skipped, plan.concluded) == (changes, skipped, 2)
    assert plan.not_findings == 5 * index.rules - 5
    kept = set(keyed(index, plan.positions))
    assert (("R1", "POB-J07") in kept) is include and (("R4", "POB-J06") in kept) is include
    assert {("R1", "POB-J06"), ("R2", "POB-J07"), ("R5", "POB-J07")} <= kept


def test_without_a_register_no_finding_is_concluded(result):
    index = Findings(result)
    plan = plan_bulk(index, index.select(FindingsFilter(statuses=("fail", "error"))), False)
    assert (plan.skipped, plan.concluded, plan.changes) == (0, 0, 5 + len(ERRORS))


def test_money_at_stake_of_findings_equals_the_exposure_matrix():
    result = evaluate(demo.tables(requests=400), Params(as_of=demo.DEFAULT_AS_OF, at="requested"))
    matrix = exposure_matrix(result)
    request, rule = np.nonzero(np.ones_like(matrix, dtype=bool))
    assert np.array_equal(exposure_at(result, request, rule), matrix[request, rule])
    assert matrix.sum() > 0

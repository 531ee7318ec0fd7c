"""Findings search: a request id or uin exactly first, else a part of one; what the filters hide."""

from __future__ import annotations

import pytest
from conftest import PARAMS, account, build_tables, request

from auditkit.analysis.findings import Findings, FindingsFilter
from auditkit.engine.evaluate import evaluate
from auditkit.rules.pob import POB


@pytest.fixture
def findings() -> Findings:
    tables = build_tables(
        accounts=[
            account("2"),
            account("1", available_balance="-5.00"),
            account("10"),
            account("100"),
        ],
        requests=[
            request("REQ-A1", "1", "2"),
            request("REQ-A10", "10", "2"),
            request("req-b7", "100", "2"),
        ],
    )
    return Findings(evaluate(tables, PARAMS, POB))


def ids(findings: Findings, text: str) -> list[str]:
    found = findings.search(text)
    return findings.result.cases["request_id"][found].tolist()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", ["REQ-A1"]),  # the uin 1 exactly, not 10 and 100
        ("10", ["REQ-A10"]),
        ("req-a1", ["REQ-A1"]),  # a request id in any case, exactly
        ("REQ-B7", ["req-b7"]),
        ("a1", ["REQ-A1", "REQ-A10"]),  # no exact match: a part of an id, in any case
        ("2", ["REQ-A1", "REQ-A10", "req-b7"]),  # the admin's uin
        ("  ", ["REQ-A1", "REQ-A10", "req-b7"]),
        ("nothing", []),
    ],
)
def test_search(findings: Findings, text: str, expected: list[str]):
    assert ids(findings, text) == expected


def test_hidden_counts_what_the_other_filters_leave_out(findings: Findings):
    eligible = FindingsFilter(statuses=("fail", "error"), search="10")
    shown = len(findings.select(eligible))
    assert shown == 0  # member 10 is eligible: no fail or error
    hidden = findings.hidden(eligible, shown)
    assert (hidden.requests, hidden.results, hidden.hidden) == (1, 13, 13)
    everything = FindingsFilter(search="10")
    assert findings.hidden(everything, len(findings.select(everything))).hidden == 0

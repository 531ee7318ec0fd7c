"""A drill-down marks the values that made each failing rule fail."""

from __future__ import annotations

from conftest import PARAMS, account, build_tables, order, request

from auditkit.analysis.evidence import attribute_label, evidence
from auditkit.engine.evaluate import evaluate
from auditkit.rules.pob import POB


def test_every_rule_says_what_it_compares():
    for rule in POB.rules:
        assert rule.compares, rule.id


def test_failing_rules_mark_what_they_compared():
    tables = build_tables(
        accounts=[
            account("2", overdue_amount="3.00", available_balance="-1.00"),
            account("1", available_balance="-5.00"),
        ],
        orders=[order("O1", "1", status="to_be_paid")],
        requests=[request("R1", "1", "2", payer_uin="7")],
    )
    found = evidence(evaluate(tables, PARAMS, POB), "R1")
    assert found.failing("open_orders") == ("POB-J07",)
    assert found.failing("member_available_balance_cents") == ("POB-J06",)
    accounts = found.accounts.set_index("attribute")["failed"]
    assert accounts["available_balance"] == "POB-J06 (member) POB-J10 (admin)"
    assert accounts["overdue_amount"] == "POB-J10 (admin)"
    assert accounts["channel_role"] == ""
    facts = found.facts.set_index("field")["failed"]
    assert facts["payer_uin"] == "POB-J08" and facts["action"] == ""
    rules = found.rules.set_index("rule_id")["failed on"]
    assert rules["POB-J06"] == "member available_balance"
    assert rules["POB-J07"] == "open orders, open orders' total"
    assert rules["POB-J02"] == ""  # passes: nothing marked


def test_attribute_labels():
    assert attribute_label("admin_overdue_amount_cents") == "admin overdue_amount"
    assert attribute_label("payer_uin") == "payer uin"

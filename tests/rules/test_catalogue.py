"""The catalogue owns its facts: texts follow the parameters, the hash follows the catalogue."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import PARAMS, account, build_tables, request

from auditkit import POB, evaluate
from auditkit.rules.model import Catalogue, Scope
from auditkit.rules.phrasing import placeholders, words
from auditkit.vocab import Action, CustomerTier, PaymentMode


def without_q03():
    """The catalogue without its last rule (and the decision code that stands for it)."""
    codes = tuple((code, rules) for code, rules in POB.decision_codes if "POB-Q03" not in rules)
    return POB.replace(rules=POB.rules[:-1], decision_codes=codes)


def texts(rule_id: str, **changes: object):
    return POB.rule(rule_id).text(PARAMS.replace(**changes))


def test_j10_title_and_pass_reason_follow_j10_require_both() -> None:
    either, both = texts("POB-J10"), texts("POB-J10", j10_require_both=True)
    assert either.title == "Admin has no overdue payment or a non-negative balance"
    assert both.title == "Admin has no overdue payment and a non-negative balance"
    assert (
        both.pass_reason == "admin has no overdue payment and a non-negative balance, as required"
    )


@pytest.mark.parametrize(
    ("tiers", "title", "listed"),
    [
        (
            {CustomerTier.MID, CustomerTier.LONG_TAIL},
            "Mid and long-tail member without channel manager has a bound credit card",
            "(mid, long_tail)",
        ),
        ({CustomerTier.KEY}, "Key member without channel manager has a bound credit card", "(key)"),
        (
            set(CustomerTier),
            "Key, mid and long-tail member without channel manager has a bound credit card",
            "(key, mid, long_tail)",
        ),
    ],
)
def test_q03_texts_follow_q03_tiers(tiers: set[str], title: str, listed: str) -> None:
    text = texts("POB-Q03", q03_tiers=frozenset(tiers))
    assert text.title == title
    assert listed in text.applies_to


def test_the_rules_listing_shows_the_parameters_in_force() -> None:
    strict = POB.describe(PARAMS.replace(j10_require_both=True, q03_tiers=frozenset({"key"})))
    titles = dict(zip(strict["rule_id"], strict["title"], strict=True))
    assert titles["POB-J10"].endswith("and a non-negative balance")
    assert titles["POB-Q03"].startswith("Key member")


def test_every_template_names_only_known_parameters() -> None:
    known = set(words(PARAMS))
    for rule in POB.rules:
        for template in (rule.title, rule.pass_reason, rule.applies_when):
            assert placeholders(template) <= known, (rule.id, template)
        rule.text(PARAMS)  # renders without KeyError


def test_the_fingerprint_changes_with_the_catalogue_not_with_params() -> None:
    assert POB.fingerprint() == POB.replace().fingerprint()
    retitled = dataclasses.replace(POB.rules[0], title="Something else")
    changed = [
        without_q03(),
        POB.replace(rules=(retitled, *POB.rules[1:])),
        POB.replace(decision_codes=POB.decision_codes[:-1]),
        POB.replace(source=dataclasses.replace(POB.source, title="Another document")),
    ]
    assert len({POB.fingerprint(), *(c.fingerprint() for c in changed)}) == 1 + len(changed)


def test_decision_codes_and_reads_are_checked_when_a_catalogue_is_made() -> None:
    with pytest.raises(ValueError, match="unknown rules"):
        POB.replace(decision_codes=(("Some.Code", ("POB-X99",)),))
    with pytest.raises(ValueError, match="no feature provides"):
        POB.replace(features=POB.features[:2])
    with pytest.raises(ValueError, match="repeat"):
        POB.replace(rules=(POB.rules[0], POB.rules[0]))


def test_source_document_carries_its_revision_date() -> None:
    assert POB.source.cite().endswith("(last updated 2024-03-06)")


def test_a_rule_scope_is_data_the_engine_reads() -> None:
    # J02 re-scoped to quit requests of any mode: the engine needs no change to judge it.
    quit_any = Scope(frozenset({Action.QUIT}), frozenset(PaymentMode))
    j02 = dataclasses.replace(POB.rule("POB-J02"), scope=quit_any)
    catalogue = Catalogue(POB.name, POB.source, (j02,), POB.features)
    tables = build_tables(
        [account("1", channel_role="agent"), account("2")],
        requests=[
            request("R1", action="quit", payment_mode="self_pay"),
            request("R2"),
        ],
    )
    result = evaluate(tables, PARAMS, catalogue)
    rows = result.results.astype("str")
    assert rows["status"].tolist() == ["fail", "not_applicable"]
    assert rows["reason"].tolist()[1] == "applies to quit requests only; this request is a join"

"""The catalogue owns its facts: texts follow the parameters, the hash follows the catalogue."""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import PARAMS, account, build_tables, request

from auditkit import POB, evaluate
from auditkit.engine.cache import cache_key
from auditkit.errors import ParameterError
from auditkit.rules.catalogues import choose_catalogue, from_record, record
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


# ---- contract v1.2: the decision-code map and the catalogue chosen at the edge ----------


@pytest.mark.parametrize(
    ("member", "admin_", "code", "check"),
    [
        # ExistedClient stands for the distribution rules J03/J04/J05 (v1.2), not J02/J09.
        ({}, {"channel_role": "distributor_subcustomer", "distributor_id": "D1"},
         "UnsupportedOperation.ExistedClient", "supported"),
        ({"channel_role": "agent"}, {}, "UnsupportedOperation.ExistedClient", "unsupported"),
        ({}, {"channel_role": "reseller"}, "UnsupportedOperation.ExistedClient", "unsupported"),
        ({"channel_role": "agent"}, {}, "UnsupportedOperation.ExistedAgent", "supported"),
        # MemberIsNotClient: a direct member refused under a sub-customer admin (J04, v1.2).
        ({}, {"channel_role": "distributor_subcustomer", "distributor_id": "D1"},
         "UnsupportedOperation.MemberIsNotClient", "supported"),
        ({}, {}, "UnsupportedOperation.MemberIsNotClient", "unsupported"),
    ],
)  # fmt: skip
def test_decision_code_check_follows_the_v12_map(
    member: dict, admin_: dict, code: str, check: str
) -> None:
    tables = build_tables(
        [account("1", **member), account("2", **admin_)],
        requests=[request(decision="rejected", decision_code=code)],
    )
    assert evaluate(tables, PARAMS, POB).verdicts["decision_code_check"].iloc[0] == check


def test_existed_client_maps_to_the_distribution_rules() -> None:
    assert POB.decision_code_map()["UnsupportedOperation.ExistedClient"] == (
        "POB-J03",
        "POB-J04",
        "POB-J05",
    )


def test_a_catalogue_is_chosen_by_name_and_recorded_with_its_map() -> None:
    custom = choose_catalogue("pay-on-behalf", {"Custom.Code": ["POB-J07"]})
    assert custom.decision_code_map() == {"Custom.Code": ("POB-J07",)}
    recorded = record(custom)
    assert recorded["rule_catalogue"] == "pay-on-behalf"
    assert recorded["decision_codes"] == {"Custom.Code": ["POB-J07"]}
    again = from_record(json.loads(json.dumps(recorded)))
    assert again.fingerprint() == custom.fingerprint() != POB.fingerprint()
    assert from_record(record(POB)).fingerprint() == POB.fingerprint()
    with pytest.raises(ParameterError, match="unknown"):
        choose_catalogue("no-such-catalogue")
    with pytest.raises(ParameterError, match="another version"):
        from_record({**record(POB), "rule_catalogue_sha256": "0" * 64})


def test_the_cache_key_follows_the_catalogue_chosen() -> None:
    digests = {"accounts": "a" * 64}
    custom = choose_catalogue(decision_codes={"Custom.Code": ["POB-J07"]})
    assert cache_key(digests, PARAMS, POB) != cache_key(digests, PARAMS, custom)
    assert cache_key(digests, PARAMS, POB) == cache_key(digests, PARAMS, choose_catalogue())


def test_the_fingerprint_covers_what_the_checks_compare() -> None:
    j09 = POB.rule("POB-J09")
    narrower = dataclasses.replace(
        j09, check=dataclasses.replace(j09.check, forbidden=j09.check.forbidden[:2])
    )
    changed = POB.replace(rules=tuple(narrower if r.id == "POB-J09" else r for r in POB.rules))
    assert changed.fingerprint() != POB.fingerprint()


def test_every_rule_reading_is_rendered_from_params() -> None:
    texts = {r.id: r.text(PARAMS.replace(j10_require_both=True)) for r in POB.rules}
    assert texts["POB-J10"].reading.endswith("(this run: and).")
    assert "member or the admin is a distributor_subcustomer" in texts["POB-J04"].reading
    described = POB.describe(PARAMS).set_index("rule_id")["reading"]
    assert described["POB-J09"].startswith("The admin is read as the payer")
    assert described["POB-J01"] == ""

"""Findings tracked to closure, decisions as review items, bulk changes and sign-off rules,
on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import PARAMS, account, build_tables, request

from auditkit import evaluate
from auditkit.errors import ParameterError
from auditkit.review.bulk import set_many
from auditkit.review.changes import DECISION, one_change
from auditkit.review.register import Register
from auditkit.review.signing import SignoffRefused
from auditkit.rules.pob import POB
from auditkit.vocab import ReviewVia, SignoffRole

RULES = POB.rule_ids


@pytest.fixture
def result():
    """R1 fails J01 and J06 and was approved (a control exception); R2 fails J06; R3 passes and
    was rejected (rejected but eligible: a control exception that fails no rule)."""
    return evaluate(
        build_tables(
            accounts=[
                account("2"),
                account("1", available_balance="-5.00", enterprise_id="E2"),
                account("3", available_balance="-1.00"),
                account("4"),
            ],
            requests=[
                request("R1", "1", "2", decision="approved"),
                request("R2", "3", "2"),
                request("R3", "4", "2", decision="rejected"),
            ],
        ),
        PARAMS,
        POB,
    )


@pytest.fixture
def register(register_db):
    with Register.open(register_db) as opened:
        yield opened


def test_decisions_are_recorded_as_review_items_by_report_runs_only(register, result):
    checked = register.record_run(result, "check")
    assert checked.decisions == 0
    reported = register.record_run(result, "report", "2026-10", decisions=True)
    assert (reported.findings, reported.decisions) == (3, 2)
    found = register.findings()
    decisions = found[found["rule_id"] == DECISION]
    assert sorted(decisions["request_id"]) == ["R1", "R3"]
    assert set(found["reported_period"].dropna()) == {"2026-10"}


def test_follow_up_is_set_kept_cleared_and_every_change_is_in_the_history(register, result):
    register.record_run(result, "check")
    follow = {"owner": "Ops Team", "due": "2026-12-15", "response": "we will fix it"}
    register.apply(
        [one_change("R1", "POB-J06", "confirmed", "real", None, RULES, follow)],
        "ann",
        ReviewVia.CLI,
    )
    # No state: the state and note stay; only remediation changes.
    keep = one_change("R1", "POB-J06", None, None, None, RULES, {"remediation": "in_progress"})
    register.apply([keep], "bob", ReviewVia.CLI)
    row = register.findings().set_index(["request_id", "rule_id"]).loc[("R1", "POB-J06")]
    assert (row["state"], row["note"], row["owner"], row["due"]) == (
        "confirmed",
        "real",
        "Ops Team",
        dt.date(2026, 12, 15),
    )
    assert (row["response"], row["remediation"]) == ("we will fix it", "in_progress")
    register.apply(
        [one_change("R1", "POB-J06", None, None, None, RULES, {"owner": ""})], "cy", ReviewVia.CLI
    )
    log = register.history("R1", "POB-J06")
    assert log["owner"].tolist() == ["Ops Team", "Ops Team", None]
    assert log["remediation"].tolist() == [None, "in_progress", "in_progress"]
    assert (
        log[["from_state", "to_state"]].values.tolist()
        == [["open", "confirmed"]] + [["confirmed", "confirmed"]] * 2
    )
    assert log["changed_by"].tolist() == ["ann", "bob", "cy"]


@pytest.mark.parametrize(
    ("follow", "words"),
    [
        ({"due": "15.12.2026"}, "due '15.12.2026'"),
        ({"remediation": "done"}, "remediation 'done'"),
        ({"owner": "ann\nbob"}, "no control or invisible character"),
        ({"response": "a\0b"}, "found NUL"),
        ({}, "nothing to change"),
    ],
)
def test_bad_follow_up_is_refused(follow, words):
    with pytest.raises(ParameterError, match=words):
        one_change("R1", "POB-J06", None, None, None, RULES, follow)


def test_a_note_without_a_state_is_refused():
    with pytest.raises(ParameterError, match="give the state too"):
        one_change("R1", "POB-J06", None, "why", None, RULES, {"owner": "ann"})


def test_bulk_change_keeps_concluded_findings_unless_told(register, result):
    register.record_run(result, "report", "2026-10", decisions=True)
    register.apply(
        [one_change("R1", "POB-J01", "confirmed", None, None, RULES)], "ann", ReviewVia.CLI
    )
    keys = [("R1", "POB-J01"), ("R1", "POB-J06"), ("R2", "POB-J06"), ("R3", DECISION)]
    applied = set_many(register, keys, "under_review", "bob", ReviewVia.EXPLORER, RULES)
    assert applied.kept == (("R1", "POB-J01", "confirmed"),)
    assert applied.appended == 3
    states = register.findings().set_index(["request_id", "rule_id"])["state"]
    assert states[("R1", "POB-J01")] == "confirmed" and states[("R3", DECISION)] == "under_review"
    again = set_many(
        register, keys[:1], "open", "bob", ReviewVia.EXPLORER, RULES, overwrite_concluded=True
    )
    assert again.kept == () and again.transitions[0][2:] == ("confirmed", "open")


def test_bulk_change_counts_an_expired_waiver_as_not_concluded(register, result):
    register.record_run(result, "check")
    waiver = one_change("R2", "POB-J06", "waived", "ok", "2026-10-01", RULES)
    register.apply([waiver], "ann", ReviewVia.CLI)
    keys = [("R2", "POB-J06")]
    kept = set_many(
        register, keys, "open", "b", ReviewVia.EXPLORER, RULES, as_of=dt.date(2026, 9, 1)
    )
    assert kept.kept and not kept.appended
    done = set_many(register, keys, "open", "b", ReviewVia.EXPLORER, RULES, as_of=PARAMS.as_of)
    assert done.appended == 1


def test_bulk_change_reports_progress(register, result):
    register.record_run(result, "check")
    seen = []
    keys = [("R1", "POB-J01"), ("R1", "POB-J06"), ("R2", "POB-J06")]
    set_many(
        register,
        keys,
        "under_review",
        "b",
        ReviewVia.EXPLORER,
        RULES,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[-1] == (3, 3)


SHA = "a" * 64


@pytest.mark.parametrize(
    ("signed", "asked", "words"),
    [
        ([], ("reviewer", "rhea"), "the preparer signs first"),
        ([("preparer", "pat")], ("reviewer", " PAT "), "cannot also review it"),
        ([("preparer", "pat")], ("preparer", "paul"), "the preparer already signed"),
        ([("preparer", "pat"), ("reviewer", "rhea")], ("reviewer", "ron"), "already signed"),
    ],
)
def test_signoff_refusals(register, signed, asked, words):
    for role, by in signed:
        register.sign_off("2026-11", SignoffRole(role), by, SHA, report_id="2026-11-x")
    with pytest.raises(SignoffRefused, match=words):
        register.sign_off("2026-11", SignoffRole(asked[0]), asked[1], SHA, report_id="2026-11-x")
    assert len(register.signoffs("2026-11")) == len(signed)


def test_signoff_with_open_items_needs_an_override_which_is_recorded(register):
    with pytest.raises(SignoffRefused, match="still open or under review"):
        register.sign_off("2026-11", SignoffRole.PREPARER, "pat", SHA, outstanding=2)
    with pytest.raises(SignoffRefused, match="nothing to override"):
        register.sign_off("2026-11", SignoffRole.PREPARER, "pat", SHA, override="why")
    register.sign_off(
        "2026-11", SignoffRole.PREPARER, "pat", SHA, override="deadline", outstanding=2
    )
    row = register.signoffs("2026-11").iloc[0]
    assert (row["override"], row["outstanding"]) == ("deadline", 2)
    # Another version of the period is signed on its own.
    register.sign_off("2026-11", SignoffRole.PREPARER, "pat", "b" * 64)


def test_carried_items_are_decisions_and_followed_findings_not_closed(register, result):
    register.record_run(result, "report", "2026-10", decisions=True)
    follow = one_change("R2", "POB-J06", None, None, None, RULES, {"due": "2026-11-15"})
    closed = one_change("R3", DECISION, "false_positive", None, None, RULES)
    register.apply([follow, closed], "ann", ReviewVia.CLI)
    carried = register.carried("2026-11")
    assert sorted(zip(carried["request_id"], carried["rule_id"], strict=True)) == [
        ("R1", DECISION),
        ("R2", "POB-J06"),
    ]
    assert register.carried("2026-10").empty
    assert isinstance(carried, pd.DataFrame)


def test_a_register_of_revision_0002_is_migrated_with_its_data(register_db, result):
    """Findings, history and a duplicate sign-off recorded before 0003 survive the upgrade."""
    from alembic import command
    from alembic.config import Config

    from auditkit.review import database

    engine = database.create(database.database_url(register_db))
    config = Config()
    config.set_main_option("script_location", str(database.MIGRATIONS))
    with database.writing(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    with database.writing(engine) as connection:
        connection.exec_driver_sql(
            "INSERT INTO review_runs (recorded_at, command, as_of, moment, period, findings) "
            "VALUES ('2026-11-01 00:00:00', 'report', '2026-11-01', 'snapshot', '2026-10', 1)"
        )
        connection.exec_driver_sql(
            "INSERT INTO review_findings (request_id, rule_id, first_run_id, last_run_id, state) "
            "VALUES ('R1', 'POB-J06', 1, 1, 'open')"
        )
        for _ in range(2):  # the duplicate that 0003's checks now refuse
            connection.exec_driver_sql(
                "INSERT INTO review_signoffs (period, role, signed_by, signed_at, manifest_sha256) "
                f"VALUES ('2026-10', 'preparer', 'pat', '2026-11-02 00:00:00', '{SHA}')"
            )
    engine.dispose()
    with Register.open(register_db) as register:
        found = register.findings()
        assert found[["request_id", "reported_period"]].values.tolist() == [["R1", "2026-10"]]
        assert len(register.signoffs("2026-10")) == 2
        with pytest.raises(SignoffRefused, match="already signed"):
            register.sign_off("2026-10", SignoffRole.PREPARER, "paul", SHA, report_id="x")
        register.record_run(result, "report", "2026-11", decisions=True)
        # A later period's report that finds it again moves it on; an earlier one would not.
        assert set(register.findings()["reported_period"]) == {"2026-11"}
        register.record_run(result, "report", "2026-09", decisions=True)
        assert set(register.findings()["reported_period"]) == {"2026-11"}

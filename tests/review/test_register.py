"""The review register on SQLite and PostgreSQL: schema, recording runs, changes, history, states."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import PARAMS, account, build_tables, request

from auditkit import evaluate
from auditkit.errors import ParameterError
from auditkit.review import database, schema
from auditkit.review.changes import StateChange, one_change
from auditkit.review.register import Register
from auditkit.review.states import review_state_column, state_codes, state_counts
from auditkit.review.transitions import UnknownFindings
from auditkit.rules.pob import POB
from auditkit.vocab import ReviewState, ReviewVia, SignoffRole

RULES = POB.rule_ids


@pytest.fixture
def result():
    """R1 fails J01 (other enterprise) and J06; R2 fails J06; R3 passes; R4's member is missing:
    the six rules that read the member are in error."""
    return evaluate(
        build_tables(
            accounts=[
                account("2"),
                account("1", available_balance="-5.00", enterprise_id="E2"),
                account("3", available_balance="-1.00"),
                account("4"),
            ],
            requests=[
                request("R1", "1", "2"),
                request("R2", "3", "2"),
                request("R3", "4", "2"),
                request("R4", "9", "2"),
            ],
        ),
        PARAMS,
        POB,
    )


@pytest.fixture
def register(register_db):
    with Register.open(register_db) as opened:
        yield opened


def change(request_id, rule_id, state, note=None, expires=None) -> StateChange:
    return one_change(request_id, rule_id, state, note, expires, RULES)


def history_rows(register: Register) -> list[tuple]:
    with register.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(sa.select(schema.history).order_by(schema.history.c.id))
        ]


def test_migrated_schema_matches_the_declared_tables(register):
    inspector = sa.inspect(register.engine)
    for table in schema.metadata.sorted_tables:
        found = {c["name"]: c["nullable"] for c in inspector.get_columns(table.name)}
        assert found == {c.name: c.nullable for c in table.columns}, table.name
    with register.engine.connect() as connection:
        version = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert version == "0003"


def test_opening_again_does_not_migrate_again(register_db):
    for _ in range(2):
        with Register.open(register_db) as opened:
            assert database.migrate(opened.engine) == "0003"


def test_sqlite_register_uses_write_ahead_logging(tmp_path):
    with Register.open(tmp_path / "r.db") as opened, opened.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 60_000


def test_recording_a_run_starts_new_findings_open_and_moves_the_last_run(register, result):
    first = register.record_run(result, "check")
    assert (first.findings, first.new) == (9, 9)
    again = register.record_run(result, "check")
    assert (again.findings, again.new) == (9, 0)
    found = register.findings()
    assert set(zip(found["request_id"], found["rule_id"], strict=True)) == {
        ("R1", "POB-J01"),
        ("R1", "POB-J06"),
        ("R2", "POB-J06"),
        *((("R4", f"POB-J0{i}")) for i in range(1, 7)),
    }
    assert set(found["state"]) == {"open"}
    assert set(found["first_run_id"]) == {first.run_id}
    assert set(found["last_run_id"]) == {again.run_id}
    runs = register.runs()
    assert runs["moment"].tolist() == ["snapshot", "snapshot"]
    assert runs["as_of"].tolist() == [PARAMS.as_of, PARAMS.as_of]


def test_changes_append_history_and_chain_from_state_to_state(register, result):
    register.record_run(result, "check")
    register.apply([change("R1", "POB-J06", "under_review")], "ann", ReviewVia.CLI)
    applied = register.apply(
        [change("R1", "POB-J06", "waived", "until top-up", "2026-12-31")], "bob", ReviewVia.CLI
    )
    assert applied.transitions == (("R1", "POB-J06", "under_review", "waived"),)
    log = register.history("R1", "POB-J06")
    assert log[["from_state", "to_state", "changed_by"]].values.tolist() == [
        ["open", "under_review", "ann"],
        ["under_review", "waived", "bob"],
    ]
    assert log["expires"].tolist()[-1] == dt.date(2026, 12, 31)
    reviewed = register.reviewed().set_index(["request_id", "rule_id"])
    assert reviewed.loc[("R1", "POB-J06"), "state"] == "waived"


def test_history_is_never_rewritten(register, result):
    register.record_run(result, "check")
    register.apply([change("R1", "POB-J01", "confirmed", "real")], "ann", ReviewVia.CLI)
    before = history_rows(register)
    register.apply([change("R1", "POB-J01", "remediated")], "bob", ReviewVia.CLI)
    register.apply([change("R1", "POB-J01", "open")], "cy", ReviewVia.CLI)
    after = history_rows(register)
    assert after[: len(before)] == before and len(after) == len(before) + 2
    for statement in ("UPDATE review_history SET note = 'x'", "DELETE FROM review_history"):
        with (
            pytest.raises(sa.exc.DBAPIError, match="append-only"),
            register.engine.begin() as connection,
        ):
            connection.execute(sa.text(statement))
    assert history_rows(register) == after


def test_signoffs_are_append_only(register):
    register.sign_off("2026-11", SignoffRole.PREPARER, "pat", "a" * 64)
    with (
        pytest.raises(sa.exc.DBAPIError, match="append-only"),
        register.engine.begin() as connection,
    ):
        connection.execute(sa.text("DELETE FROM review_signoffs"))
    assert register.signoffs("2026-11")["signed_by"].tolist() == ["pat"]


def test_unknown_findings_are_refused_and_nothing_is_written(register, result):
    register.record_run(result, "check")
    with pytest.raises(UnknownFindings, match="R2 has no finding for rule POB-J01") as refused:
        register.apply(
            [change("R1", "POB-J06", "confirmed"), change("R2", "POB-J01", "confirmed")],
            "ann",
            ReviewVia.CLI,
        )
    assert refused.value.positions == [1]
    with pytest.raises(UnknownFindings, match="'R9' has no finding in the register"):
        register.apply([change("R9", "POB-J06", "confirmed")], "ann", ReviewVia.CLI)
    assert history_rows(register) == []


def test_review_state_joins_states_in_rule_order_and_is_empty_until_reviewed(register, result):
    register.record_run(result, "check")
    codes = state_codes(result, register.reviewed())
    assert review_state_column(codes, result.rule_ids).tolist() == ["", "", "", ""]
    register.apply([change("R1", "POB-J06", "confirmed")], "ann", ReviewVia.CLI)
    codes = state_codes(result, register.reviewed())
    assert review_state_column(codes, result.rule_ids).tolist() == ["open;confirmed", "", "", ""]
    assert state_counts(codes) == {
        "open": 0,
        "under_review": 0,
        "confirmed": 1,
        "false_positive": 0,
        "waived": 0,
        "remediated": 0,
        "waiver_expired": 0,
        "unreviewed": 8,
    }


@pytest.mark.parametrize(
    ("expires", "shown"),
    [("2026-10-31", "waiver_expired"), ("2026-11-01", "waived"), ("2027-01-01", "waived")],
)
def test_a_waiver_ending_before_as_of_shows_as_waiver_expired(register, result, expires, shown):
    assert PARAMS.as_of == dt.date(2026, 11, 1)
    register.record_run(result, "check")
    register.apply([change("R2", "POB-J06", "waived", "ok", expires)], "ann", ReviewVia.CLI)
    codes = state_codes(result, register.reviewed())
    assert review_state_column(codes, result.rule_ids).tolist()[1] == shown
    assert state_counts(codes)[shown] == 1


def test_a_state_carries_over_to_a_later_run_of_the_same_finding(register, result):
    register.record_run(result, "report", "2026-10")
    register.apply([change("R2", "POB-J06", "confirmed")], "ann", ReviewVia.CLI)
    later = evaluate(
        build_tables(
            accounts=[account("2"), account("3", available_balance="-1.00")],
            requests=[request("R2", "3", "2"), request("R5", "3", "2")],
        ),
        PARAMS.replace(as_of="2026-12-01"),
        POB,
    )
    recorded = register.record_run(later, "report", "2026-11")
    assert recorded.new == 1  # R5's failure
    assert recorded.reviewed["state"].tolist() == ["confirmed"]
    codes = state_codes(later, recorded.reviewed)
    assert review_state_column(codes, later.rule_ids).tolist() == ["confirmed", ""]


def test_import_skips_rows_equal_to_the_current_state(register, result):
    register.record_run(result, "check")
    rows = [change("R1", "POB-J01", "open"), change("R2", "POB-J06", "confirmed", "real")]
    first = register.apply(rows, "ann", ReviewVia.IMPORT, skip_unchanged=True)
    assert (first.appended, first.unchanged) == (1, 1)
    again = register.apply(rows, "ann", ReviewVia.IMPORT, skip_unchanged=True)
    assert (again.appended, again.unchanged) == (0, 2)


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u:secret@db.example/audit", "postgresql+psycopg"),
        ("postgres://u@db.example/audit", "postgresql+psycopg"),
        ("postgresql+psycopg://u@db.example/audit", "postgresql+psycopg"),
        ("sqlite:///relative.db", "sqlite"),
        ("reports/review.db", "sqlite+pysqlite"),
    ],
)
def test_database_urls(given, driver):
    url = database.database_url(given)
    assert url.drivername == driver
    if url.get_backend_name() == "sqlite":
        assert url.database.startswith("/")
    assert "secret" not in database.redacted(url)


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("", "--db is empty"),
        ("mysql://u@host/db", "SQLite (a file path) or PostgreSQL"),
        ("sqlite://", "not an in-memory database"),
        ("not a url://x", "not a database URL"),
        ("postgresql://u@host:notaport/db", "not a database URL"),
    ],
)
def test_unusable_database_urls_are_parameter_errors(given, words):
    with pytest.raises(ParameterError, match=words.replace("(", r"\(").replace(")", r"\)")):
        database.database_url(given)


def test_check_change_refuses_each_kind_of_bad_field():
    cases = {
        ("R1", "POB-X", "confirmed", "", ""): "unknown rule",
        ("R1", "POB-J01", "closed", "", ""): "unknown review state",
        ("R1", "POB-J01", "waiver_expired", "", ""): "unknown review state",
        ("R1", "POB-J01", "waived", "", "2026-12-01"): "needs a note",
        ("R1", "POB-J01", "waived", "why", ""): "needs an end date",
        ("R1", "POB-J01", "waived", "why", "01/12/2026"): "YYYY-MM-DD",
        ("R1", "POB-J01", "confirmed", "", "2026-12-01"): "belongs to a waiver",
    }
    for fields, words in cases.items():
        with pytest.raises(ParameterError, match=words):
            one_change(*fields, RULES)


def test_a_register_newer_than_this_auditkit_is_refused(tmp_path):
    from auditkit.errors import RegisterError

    with Register.open(tmp_path / "r.db") as opened, opened.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(RegisterError, match="9999"):
        Register.open(tmp_path / "r.db")


def test_reviewed_frame_columns(register, result):
    register.record_run(result, "check")
    frame = register.reviewed()
    assert isinstance(frame, pd.DataFrame) and frame.empty
    assert ReviewState.WAIVER_EXPIRED not in [s.value for s in ReviewState][:6]


def test_never_reviewed_and_explicitly_open_read_the_same():
    from auditkit.review.states import NOT_A_FINDING, STATE_CODE, UNREVIEWED

    open_, confirmed = STATE_CODE[ReviewState.OPEN], STATE_CODE[ReviewState.CONFIRMED]
    codes = np.array(
        [[open_, confirmed], [UNREVIEWED, confirmed], [UNREVIEWED, NOT_A_FINDING]], dtype=np.int8
    )
    column = review_state_column(codes, ["POB-J01", "POB-J02"])
    assert column.tolist() == ["open;confirmed", "open;confirmed", ""]
    assert list(column.categories).count("open;confirmed") == 1

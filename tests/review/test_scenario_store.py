"""Saved scenarios in the review register (SQLite and PostgreSQL) and in a JSON file."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from conftest import PARAMS

from auditkit.analysis.scenarios import Outcome, Scenario
from auditkit.analysis.whatif import SettleOpenOrders
from auditkit.review.register import Register
from auditkit.review.scenarios import JsonScenarios, RegisterScenarios, scenarios

OUTCOME = Outcome("KEY", {"eligible": 1}, {"eligible": 2}, 1, {"POB-J07": [1, 0, 0, 1]}, "t")


def check_store(store) -> None:
    assert store.list() == []
    first = Scenario("settle", PARAMS, (SettleOpenOrders(uins={"1"}),))
    store.save(first, OUTCOME, "Ann")
    store.save(Scenario("strict", PARAMS.replace(j10_require_both=True)), None, "Bob")
    listed = store.list()
    assert [s.name for s in listed] == ["settle", "strict"]
    assert listed[0].scenario == first and listed[0].outcome == OUTCOME
    assert listed[0].saved_by == "Ann" and listed[1].outcome is None
    store.save(Scenario("settle", PARAMS), None, "Cy")  # the same name replaces
    listed = store.list()
    assert len(listed) == 2 and listed[0].saved_by == "Cy" and listed[0].scenario.edits == ()


def test_saved_in_the_register(register_db):
    with Register.open(register_db) as register:
        check_store(RegisterScenarios(register))


def test_saved_in_a_json_file(tmp_path):
    check_store(JsonScenarios(tmp_path / "reports" / "scenarios.json"))


def test_the_migrated_table_matches_its_declaration(register_db):
    with Register.open(register_db) as register:
        found = {
            c["name"]: c["nullable"]
            for c in sa.inspect(register.engine).get_columns(scenarios.name)
        }
    assert found == {c.name: c.nullable for c in scenarios.columns}


def test_json_file_keeps_both_of_two_saves_at_once(tmp_path):
    store = JsonScenarios(tmp_path / "scenarios.json")
    threads = [
        threading.Thread(target=store.save, args=(Scenario(f"s{i}", PARAMS), None, "Ann"))
        for i in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [s.name for s in store.list()] == [f"s{i}" for i in range(6)]

"""What-if scenarios as data: round trips, outcomes, and the side-by-side comparison."""

from __future__ import annotations

import pytest
from conftest import PARAMS, account, build_tables, order, request

from auditkit.analysis.scenarios import (
    Outcome,
    SavedScenario,
    Scenario,
    comparison,
    edit_from_dict,
    edit_to_dict,
)
from auditkit.analysis.whatif import (
    BindCard,
    ClearVouchers,
    SettleOpenOrders,
    TopUpBalances,
    whatif,
)
from auditkit.engine.evaluate import evaluate
from auditkit.errors import ParameterError
from auditkit.rules.pob import POB


@pytest.mark.parametrize(
    "edit",
    [
        SettleOpenOrders(),
        TopUpBalances(uins={"1", "0042"}),
        ClearVouchers("void", uins={"7"}),
        ClearVouchers("use_up"),
        BindCard(),
    ],
)
def test_edits_round_trip(edit):
    assert edit_from_dict(edit_to_dict(edit)) == edit


def test_scenario_round_trip_and_names():
    scenario = Scenario(
        " strict J10 ", PARAMS.replace(j10_require_both=True), (SettleOpenOrders(),)
    )
    assert scenario.name == "strict J10"
    assert Scenario.from_dict(scenario.to_dict()) == scenario
    for bad in ("", "  ", "x" * 129, "tab\there"):
        with pytest.raises(ParameterError, match="needs a name"):
            Scenario(bad, PARAMS)
    with pytest.raises(ParameterError, match="unknown edit"):
        edit_from_dict({"edit": "delete_everything"})


def test_outcomes_compare_side_by_side():
    tables = build_tables(
        accounts=[account("2", overdue_amount="3.00", available_balance="-1.00"), account("1")],
        orders=[order("O1", "1", status="to_be_paid")],
        requests=[request("R1", "1", "2"), request("R2", "1", "2", action="quit")],
    )
    baseline = evaluate(tables, PARAMS, POB)
    settle = Scenario("settle", PARAMS, (SettleOpenOrders(),))
    strict = Scenario("strict", PARAMS.replace(j10_require_both=True))
    saved = [
        SavedScenario(
            s, Outcome.of(whatif(tables, baseline, s.params, s.edits), "KEY"), "ann", "now"
        )
        for s in (settle, strict)
    ]
    stale = SavedScenario(
        strict.__class__("old", PARAMS),
        Outcome.of(whatif(tables, baseline, PARAMS), "OTHER"),
        "ann",
        "then",
    )
    table = comparison([*saved, stale], "KEY")
    assert list(table.columns) == ["baseline", "settle", "strict"]  # "old" is of other data
    assert table.loc["POB-J07 failures"].tolist() == [1, 0, 1]
    assert table.loc["POB-Q02 failures"].tolist() == [1, 0, 1]
    # R2 (quit) only failed Q02 and turns eligible; J10 still fails R1
    assert table.loc["requests changing verdict"].tolist() == [0, 1, 0]
    assert Outcome.from_dict(saved[0].outcome.to_dict()) == saved[0].outcome
    assert saved[0].describe() == "settle open orders of every account"
    assert saved[1].describe() == "j10_require_both=True"
    assert comparison([], "KEY").empty

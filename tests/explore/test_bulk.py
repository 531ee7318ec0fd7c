"""'Set all in selection': asked first, concluded findings skipped (unless ticked), progress shown."""

from __future__ import annotations

import pytest

import auditkit.demo as demo
from auditkit.explore import bulk as bulk_module
from auditkit.explore.app import Explorer
from auditkit.params import Params
from auditkit.review.changes import StateChange
from auditkit.review.register import Register
from auditkit.vocab import ReviewState, ReviewVia

RULE = "POB-J07"


@pytest.fixture
def explorer(tmp_path):
    register = Register.open(tmp_path / "review.db")
    ex = Explorer(
        demo.tables(requests=200),
        Params(as_of=demo.DEFAULT_AS_OF),
        export_dir=tmp_path / "exports",
        register=register,
        reviewer="alice",
    )
    ex.findings.rule_filter.value = RULE
    yield ex
    register.close()


def states(ex: Explorer) -> dict[tuple[str, str], str]:
    found = ex.board.register.findings()
    found = found[found["rule_id"] == RULE]
    return dict(
        zip(zip(found["request_id"], found["rule_id"], strict=True), found["state"], strict=True)
    )


def conclude(ex: Explorer, keys, by: str = "bob") -> None:
    """Another reviewer concludes `keys` in the register (not through this session)."""
    changes = [StateChange(r, u, ReviewState.CONFIRMED, "checked") for r, u in keys]
    ex.board.register.apply(changes, by, ReviewVia.CLI)


def test_nothing_changes_before_yes_and_cancel_changes_nothing(explorer):
    bar, keys = explorer.findings.bulk, explorer.board.keys(explorer.findings.selection)
    explorer.findings.review.state.value = "under_review"
    before = states(explorer)
    bar.set_all.click()
    assert f"Set {len(keys)} finding(s) to under_review?" in bar.question.value
    assert bar.asking.layout.display == ""
    assert states(explorer) == before
    bar.cancel.click()
    assert bar.asking.layout.display == "none" and states(explorer) == before
    bar.confirm.click()  # nothing asked any more
    assert "nothing asked" in bar.message.value and states(explorer) == before


def test_concluded_findings_are_counted_and_skipped(explorer):
    bar = explorer.findings.bulk
    keys = explorer.board.keys(explorer.findings.selection)
    conclude(explorer, keys[:2])  # by bob, after this session opened
    explorer.findings.review.state.value = "under_review"
    bar.set_all.click()
    assert f"Set {len(keys) - 2} finding(s) to under_review? 2 already concluded" in (
        bar.question.value
    )
    bar.confirm.click()
    assert f"set {len(keys) - 2} finding(s) to under_review (by alice)" in bar.message.value
    assert "skipped 2 already concluded" in bar.message.value
    after = states(explorer)
    assert [after[k] for k in keys[:2]] == ["confirmed", "confirmed"]
    assert {after[k] for k in keys[2:]} == {"under_review"}


def test_a_finding_concluded_while_asking_is_not_overwritten(explorer):
    bar = explorer.findings.bulk
    keys = explorer.board.keys(explorer.findings.selection)
    explorer.findings.review.state.value = "remediated"
    bar.set_all.click()
    assert f"Set {len(keys)} finding(s) to remediated?" in bar.question.value
    conclude(explorer, keys[:1])  # seconds later, in another session
    bar.confirm.click()
    assert "skipped 1 already concluded" in bar.message.value
    assert states(explorer)[keys[0]] == "confirmed"
    history = explorer.board.register.history(*keys[0])
    assert history["changed_by"].tolist() == ["bob"]


def test_ticked_the_concluded_ones_change_too(explorer):
    bar = explorer.findings.bulk
    keys = explorer.board.keys(explorer.findings.selection)
    conclude(explorer, keys[:1])
    bar.include.value = True
    explorer.findings.review.state.value = "under_review"
    bar.set_all.click()
    assert f"Set {len(keys)} finding(s) to under_review? This includes 1 already concluded." in (
        bar.question.value
    )
    bar.confirm.click()
    assert set(states(explorer).values()) == {"under_review"}


def test_progress_moves_batch_by_batch_with_the_buttons_disabled(explorer, monkeypatch):
    monkeypatch.setattr(bulk_module, "BATCH", 2)
    bar = explorer.findings.bulk
    keys = explorer.board.keys(explorer.findings.selection)
    assert len(keys) > 4
    seen: list[tuple[int, bool, bool]] = []
    bar.progress.observe(
        lambda change: seen.append(
            (change["new"], bar.set_all.disabled, "ak-spinner" in bar.message.value)
        ),
        names="value",
    )
    explorer.findings.review.state.value = "under_review"
    bar.set_all.click()
    bar.confirm.click()
    moved = [value for value, *_ in seen if value]
    assert moved == [min(n, len(keys)) for n in range(2, len(keys) + 2, 2)]
    assert all(disabled and spinning for value, disabled, spinning in seen if value)
    assert not bar.set_all.disabled and bar.progress.layout.display == "none"
    runs = explorer.board.register.history(keys[0][0], RULE)
    assert runs["to_state"].tolist() == ["under_review"]


def test_a_selection_without_findings_to_set_says_so(explorer):
    bar = explorer.findings.bulk
    keys = explorer.board.keys(explorer.findings.selection)
    conclude(explorer, keys)
    bar.set_all.click()
    assert f"no finding in the selection to set; {len(keys)} already concluded skipped" in (
        bar.message.value
    )
    assert bar.asking.layout.display == "none"


def test_a_waiver_without_its_end_date_is_refused_before_asking(explorer):
    bar = explorer.findings.bulk
    explorer.findings.review.state.value = "waived"
    explorer.findings.review.note.value = "accepted"
    bar.set_all.click()
    assert bar.asking.layout.display == "none"
    assert "expires" in bar.message.value

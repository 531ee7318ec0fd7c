"""Reviewing in the explorer, driven as a reviewer would: pick a finding, set a state, read history."""

from __future__ import annotations

import pytest

import auditkit.demo as demo
from auditkit import Params
from auditkit.explore.app import Explorer
from auditkit.explore.config import reviewer
from auditkit.explore.launch import explore_environment
from auditkit.review.register import Register
from auditkit.vocab import EnvVar

SCRIPT = "<script>alert(1)</script>"


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
    yield ex
    register.close()


def codes_of(filter_options, label):
    return next(value for name, value in filter_options if name == label)


def test_findings_show_review_state_and_the_explorer_run_is_recorded(explorer):
    page = explorer.findings.page_frame()
    assert page.columns[-1] == "review_state" and set(page["review_state"]) == {"open"}
    assert explorer.board.register.runs()["command"].tolist() == ["explore"]


def test_set_one_finding_shows_the_change_and_its_history_escaped(explorer):
    panel = explorer.findings.review
    request_id, rule_id = panel.finding.value
    panel.state.value = "waived"
    panel.note.value = SCRIPT
    panel.expires.value = "2026-12-31"
    panel.set_one.click()
    assert f"{request_id} {rule_id}: open -&gt; waived (by alice)" in panel.message.value
    assert "&lt;script&gt;" in panel.history.value and SCRIPT not in panel.history.value
    assert "2026-12-31" in panel.history.value
    page = explorer.findings.page_frame()
    row = page[(page["request_id"] == request_id) & (page["rule_id"] == rule_id)]
    assert row["review_state"].tolist() == ["waived"]
    log = explorer.board.register.history(request_id, rule_id)
    assert log[["to_state", "changed_by", "via"]].values.tolist() == [
        ["waived", "alice", "explorer"]
    ]


def test_set_all_findings_of_the_selection_and_filter_by_state(explorer):
    findings = explorer.findings
    findings.rule_filter.value = "POB-J07"
    selected = len(findings.selection)
    assert selected > 1
    findings.review.state.value = "confirmed"
    findings.bulk.set_all.click()
    findings.bulk.confirm.click()
    assert f"set {selected} finding(s) to confirmed" in findings.bulk.message.value
    findings.rule_filter.value = ""
    findings.review_filter.value = codes_of(findings.review_filter.options, "confirmed")
    assert len(findings.selection) == selected
    assert set(findings.selection_frame()["rule_id"]) == {"POB-J07"}
    findings.review_filter.value = codes_of(findings.review_filter.options, "never reviewed")
    assert "confirmed" not in set(findings.selection_frame()["review_state"])


def test_a_waiver_without_end_date_is_refused_in_the_panel(explorer):
    panel = explorer.findings.review
    panel.state.value = "waived"
    panel.note.value = "why"
    panel.set_one.click()
    assert "ak-error" in panel.message.value and "end date" in panel.message.value
    assert explorer.board.register.reviewed().empty


def test_drill_down_shows_states_and_sets_one_of_the_requests_findings(explorer):
    request_id, rule_id = explorer.findings.review.finding.value
    explorer.open_request(request_id)
    drill = explorer.drill
    assert "review_state" in drill.rules.value
    assert (request_id, rule_id) in [value for _, value in drill.review.finding.options]
    drill.review.finding.value = (request_id, rule_id)
    drill.review.state.value = "false_positive"
    drill.review.set_one.click()
    assert "false_positive" in drill.rules.value
    assert "open -&gt; false_positive" in drill.review.message.value
    page = explorer.findings.page_frame()
    row = page[(page["request_id"] == request_id) & (page["rule_id"] == rule_id)]
    assert row["review_state"].tolist() == ["false_positive"]


def test_without_a_register_there_is_no_review_panel(tmp_path):
    ex = Explorer(demo.tables(requests=50), Params(as_of=demo.DEFAULT_AS_OF), export_dir=tmp_path)
    assert ex.findings.review is None and ex.drill.review is None
    assert "review_state" not in ex.findings.page_frame().columns


def test_reviewer_comes_from_user_variable_else_the_os(monkeypatch):
    monkeypatch.setenv(EnvVar.USER, "  bob ")
    assert reviewer() == "bob"
    monkeypatch.delenv(EnvVar.USER)
    assert reviewer()


def test_explore_environment_opens_the_register_and_passes_it_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = explore_environment(None, None, tmp_path / "x", db="reports/review.db", user="carol")
    assert env[EnvVar.REVIEW_DB] == str(tmp_path / "reports" / "review.db")
    assert (tmp_path / "reports" / "review.db").is_file()
    assert env[EnvVar.USER] == "carol"

"""Reviewing in the explorer, driven as a reviewer would: pick a finding, set a state, read history."""

from __future__ import annotations

import pytest

import auditkit.demo as demo
from auditkit import Params
from auditkit.explore.app import Explorer
from auditkit.explore.config import reviewer
from auditkit.explore.launch import explorer_settings
from auditkit.review.changes import DECISION, one_change
from auditkit.review.register import Register
from auditkit.rules.pob import POB
from auditkit.vocab import EnvVar, ReviewVia

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
    # The rule with the most failures in the demo (its open findings: the default filter).
    rule_id = explorer.result.rule_counts()["fail"].idxmax()
    findings.rule_filter.value = rule_id
    selected = len(findings.selection)
    assert selected > 1
    findings.review.state.value = "confirmed"
    findings.bulk.set_all.click()
    findings.bulk.confirm.click()
    assert f"set {selected} finding(s) to confirmed" in findings.bulk.message.value
    findings.rule_filter.value = ""
    findings.review_filter.value = codes_of(findings.review_filter.options, "confirmed")
    assert len(findings.selection) == selected
    assert set(findings.selection_frame()["rule_id"]) == {rule_id}
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


def test_explorer_settings_open_the_register_and_pass_it_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = explorer_settings(None, None, tmp_path / "x", db="reports/review.db", user="carol")
    env = settings.to_env()
    assert env[EnvVar.REVIEW_DB] == str(tmp_path / "reports" / "review.db")
    assert (tmp_path / "reports" / "review.db").is_file()
    assert env[EnvVar.USER] == "carol"


def test_follow_up_is_saved_from_the_panel_and_shown_in_the_history(explorer):
    panel = explorer.findings.review
    request_id, rule_id = panel.finding.value
    form = panel.follow_up
    form.owner.value, form.due.value = "Ops Team", "2026-12-15"
    form.response.value, form.remediation.value = SCRIPT, "in_progress"
    form.save.click()
    assert "follow-up saved (by alice)" in panel.message.value
    found = explorer.board.register.findings().set_index(["request_id", "rule_id"])
    row = found.loc[(request_id, rule_id)]
    assert (row["owner"], str(row["due"]), row["response"], row["remediation"]) == (
        "Ops Team",
        "2026-12-15",
        SCRIPT,
        "in_progress",
    )
    assert row["state"] == "open"  # the follow-up alone leaves the state as it was
    assert "Ops Team" in panel.history.value and SCRIPT not in panel.history.value
    form.owner.value = ""
    form.save.click()
    assert explorer.board.register.history(request_id, rule_id)["owner"].tolist()[-1] is None
    panel.finding.value = panel.finding.options[0][1]
    panel.load_follow_up()
    assert form.remediation.value == "in_progress" and form.owner.value == ""


def test_bulk_set_keeps_a_finding_concluded_meanwhile(explorer, monkeypatch):
    findings = explorer.findings
    findings.rule_filter.value = "POB-J10"  # failed 17 times by the demo month
    keys = explorer.board.keys(findings.selection)
    findings.review.state.value = "confirmed"
    findings.bulk.set_all.click()
    # "Yes" reads the states again; another reviewer concludes one just after that reading.
    read = findings.bulk.asked.plan
    monkeypatch.setattr(findings.bulk, "plan", lambda include_concluded: read)
    explorer.board.register.apply(
        [one_change(*keys[0], "false_positive", None, None, POB.rule_ids)], "bob", ReviewVia.CLI
    )
    findings.bulk.confirm.click()
    assert f"set {len(keys) - 1} finding(s) to confirmed" in findings.bulk.message.value
    assert "skipped 1 already concluded" in findings.bulk.message.value
    states = explorer.board.register.findings().set_index(["request_id", "rule_id"])["state"]
    assert states[keys[0]] == "false_positive" and states[keys[1]] == "confirmed"


def test_a_control_exception_is_offered_and_reviewed_in_the_drill_down(explorer):
    board = explorer.board
    request_id = board.decisions.ids[board.decisions.reviewable][0]
    explorer.open_request(request_id)
    drill = explorer.drill.review
    assert (request_id, DECISION) in [value for _, value in drill.finding.options]
    drill.finding.value = (request_id, DECISION)
    drill.state.value = "confirmed"
    drill.set_one.click()
    assert board.state((request_id, DECISION)) == "confirmed"
    assert f"{request_id} DECISION: open -&gt; confirmed" in drill.message.value

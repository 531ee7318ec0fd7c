"""Ways through the explorer: clicks, deep links, the member view, busy buttons, scenarios."""

from __future__ import annotations

import html

import pytest
from conftest import PARAMS
from test_app import tables  # noqa: F401 - the same seven requests as test_app

from auditkit.explore.app import DRILL_TAB, FINDINGS_TAB, MEMBER_TAB, Explorer
from auditkit.review.scenarios import JsonScenarios


@pytest.fixture
def ex(tables, tmp_path):  # noqa: F811
    return Explorer(
        tables,
        PARAMS,
        source="test data",
        export_dir=tmp_path / "exports",
        scenarios=JsonScenarios(tmp_path / "scenarios.json"),
        reviewer="Ann",
    )


def ids(ex: Explorer) -> list[str]:
    return ex.findings.page_frame()["request_id"].tolist()


# ---- findings: rows, headers, pages, search ------------------------------------------------


def test_clicking_a_row_opens_its_drill_down_with_the_failing_values_marked(ex):
    ex.findings.rule_filter.value = "POB-J06"
    ex.findings.table.click(0)
    assert ex.tabs.selected_index == DRILL_TAB and ex.drill.shown == "R1"
    assert '<tr class="ak-failed">' in ex.drill.accounts.value
    assert "POB-J06 (member)" in ex.drill.accounts.value
    assert "POB-J07 fails on these" in ex.drill.orders.value
    assert "member available_balance" in ex.drill.rules.value


def test_jump_to_a_page(ex):
    ex.findings.status_filter.value = ""
    ex.findings.page_size.value = 10
    ex.findings.page_number.value = 7
    ex.findings.go_button.click()
    assert ex.findings.page == 6 and "page 7 of 10" in ex.findings.page_label.value
    ex.findings.last_button.click()
    assert ex.findings.page == 9 and ex.findings.next_button.disabled
    ex.findings.first_button.click()
    assert ex.findings.page == 0 and ex.findings.prev_button.disabled


def test_a_uin_search_finds_an_eligible_member_and_says_the_filters_hide_it(ex):
    ex.findings.search_box.value = "4"  # R3's member: eligible, so no fail or error
    assert ids(ex) == []
    assert (
        "names 1 request(s) with 13 rule result(s); the filters hide 13"
        in ex.findings.search_hint.hint.value
    )
    assert ex.findings.search_hint.widget.layout.display == ""
    ex.findings.search_hint.show_all_button.click()
    assert ex.findings.status_filter.value == "" and ids(ex) == ["R3"] * 13
    assert "all shown" in ex.findings.search_hint.hint.value
    ex.findings.search_hint.member_button.click()
    assert ex.tabs.selected_index == MEMBER_TAB and ex.member.view.uin == "4"


def test_a_search_that_finds_nothing_says_so(ex):
    ex.findings.search_box.value = "R99"
    assert "no request id or uin is or contains “R99”" in ex.findings.search_hint.hint.value
    ex.findings.search_box.value = ""
    assert ex.findings.search_hint.widget.layout.display == "none"


# ---- overview numbers open their findings ----------------------------------------------------


def test_overview_numbers_open_their_findings(ex):
    ex.overview.verdicts.click(1, "requests")  # ineligible
    assert ex.tabs.selected_index == FINDINGS_TAB
    assert ex.findings.verdict_filter.value == "ineligible"
    assert ex.findings.status_filter.value == ("fail",)
    assert set(ids(ex)) == {"R1", "R2", "R4", "R5", "R7"}
    (j07,) = [i for i, row in enumerate(ex.overview.rules.rows) if row[0] == "POB-J07"]
    ex.overview.rules.click(j07, "fail")
    assert ex.findings.rule_filter.value == "POB-J07" and ids(ex) == ["R1", "R2"]
    assert ex.findings.verdict_filter.value == ""  # a preset clears the other filters
    ex.overview.exceptions.click(0, "requests")  # approved_but_ineligible
    assert set(ids(ex)) == {"R1"}
    ex.overview.by_action.click(1, "ineligible")  # the quit row
    assert ex.findings.action_filter.value == "quit" and ids(ex) == ["R5"]
    ex.overview.segment_select.value = "customer_tier"
    (mid,) = [i for i, row in enumerate(ex.overview.segments.rows) if row[0] == "mid"]
    ex.overview.segments.click(mid, "POB-Q03")
    assert ex.findings.segment_value_filter.value == "mid" and ids(ex) == ["R5"]


# ---- deep links, the member view, the drill-down box -----------------------------------------


def test_deep_links_open_one_case(ex):
    ex.follow("request=r4")
    assert ex.tabs.selected_index == DRILL_TAB and ex.drill.shown == "R4"
    ex.follow("member=1&other=x")
    assert ex.tabs.selected_index == MEMBER_TAB and ex.member.view.uin == "1"
    ex.follow("request=NOPE")
    assert "link: 'NOPE' is not a request id" in html.unescape(ex.link_message.value)
    ex.follow("member=%3Cb%3E")
    assert "&lt;b&gt;" in ex.link_message.value and "<b>" not in ex.link_message.value
    ex.follow("")


def test_member_view_lists_its_requests_and_opens_one(ex):
    ex.member.uin.value = "1"
    ex.member.open_button.click()
    assert ex.member.requests.rows[0][:2] == ["R1", "member"]
    assert "-5.00" in ex.member.states.value and "O1" in ex.member.orders.value
    ex.member.requests.click(0)
    assert ex.tabs.selected_index == DRILL_TAB and ex.drill.shown == "R1"
    ex.member.uin.value = "77"
    ex.member.open_button.click()
    assert "'77' made no request" in html.unescape(ex.member.header.value)


def test_the_drill_down_box_takes_any_case_or_a_uin(ex):
    ex.drill.request.value = "r2"
    ex.drill.open_button.click()
    assert ex.drill.shown == "R2"
    ex.drill.member_button.click()
    assert ex.tabs.selected_index == MEMBER_TAB and ex.member.view.uin == "3"
    ex.drill.request.value = "21"
    ex.drill.open_button.click()
    assert ex.member.view.uin == "21" and ex.member.view.requests["role"].tolist() == ["admin"]


# ---- slow actions: busy, disabled, errors beside the button -----------------------------------


def test_what_if_shows_a_busy_indicator_and_disables_its_buttons(ex, monkeypatch):
    seen = []
    real = ex.workspace.whatif

    def watched(params, edits, progress=None):
        seen.append(
            (
                ex.whatif.apply_button.disabled,
                ex.whatif.reset_button.disabled,
                ex.whatif.message.value,
            )
        )
        return real(params, edits)

    monkeypatch.setattr(ex.workspace, "whatif", watched)
    ex.whatif.settle.value = True
    ex.whatif.apply_button.click()
    ((apply_off, reset_off, busy),) = seen
    assert apply_off and reset_off
    assert 'class="ak-spinner"' in busy and "Judging 7 requests" in busy
    assert not ex.whatif.apply_button.disabled and not ex.whatif.reset_button.disabled
    assert "recomputed 7 requests" in ex.whatif.message.value


def test_a_failed_export_is_shown_beside_its_button(ex, tmp_path):
    ex.findings.exports.export_dir = tmp_path / "a-file"
    ex.findings.exports.export_dir.write_text("not a folder")
    ex.findings.exports.csv_button.click()
    assert "ak-error" in ex.findings.exports.message.value
    assert not ex.findings.exports.csv_button.disabled


# ---- scenarios -----------------------------------------------------------------------------


def test_scenarios_are_saved_reloaded_and_compared(ex, tmp_path):
    panel = ex.whatif.panel
    ex.whatif.settle.value = True
    ex.whatif.apply_button.click()
    panel.name.value = "settle all"
    panel.save_button.click()
    assert "saved scenario 'settle all' with its outcome" in html.unescape(panel.message.value)
    ex.whatif.reset_button.click()
    ex.whatif.j10.value = True
    panel.name.value = "strict J10"
    panel.save_button.click()  # not applied: saved without an outcome
    assert "without an outcome" in panel.message.value
    ex.whatif.reset_button.click()
    panel.choice.value = ("settle all",)
    panel.load_button.click()
    assert ex.whatif.settle.value and not ex.whatif.j10.value
    panel.choice.value = ("settle all", "strict J10")
    panel.compare_button.click()
    assert "settle all" in panel.table.value and "requests changing verdict" in panel.table.value
    assert (
        "no outcome on this data yet (load, Apply and save them): strict J10" in panel.table.value
    )
    again = JsonScenarios(tmp_path / "scenarios.json").list()
    assert [s.name for s in again] == ["settle all", "strict J10"]
    assert again[0].saved_by == "Ann" and again[0].outcome.changed == 1


def test_the_grid_acts_on_the_messages_its_page_sends(ex):
    grid = ex.findings.table
    grid._received(grid, {"event": "sort", "column": "rule_id"}, None)
    assert ex.findings.sort_column == "rule_id"
    grid._received(grid, {"event": "sort", "column": "<script>"}, None)  # not a column: ignored
    assert ex.findings.sort_column == "rule_id"
    grid._received(grid, {"event": "row", "row": 999}, None)  # not a row on the page: ignored
    assert ex.drill.shown is None
    grid._received(grid, {"event": "row", "row": 0}, None)
    assert ex.drill.shown == ex.findings.page_frame()["request_id"].iloc[0]
    counts = ex.overview.verdicts
    counts._received(counts, {"event": "cell", "row": 2, "column": "requests"}, None)
    assert ex.findings.verdict_filter.value == "unknown"

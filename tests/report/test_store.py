"""Report pieces without a kernel: period comparison, escaping, previous verdicts, index, folders."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from auditkit.analysis.compare import compare_periods
from auditkit.errors import ParameterError
from auditkit.params import Params, read_params_file
from auditkit.render.html import Html, table
from auditkit.report import execute, store
from auditkit.report import index as report_index
from auditkit.report.store import PREVIOUS_COLUMNS, read_verdicts

RULE_IDS = ["POB-J01", "POB-J02", "POB-J06"]
SCRIPT = "<script>alert(1)</script>"


def verdicts(rows: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """request_id -> (verdict, failed_rules); each request by its own member."""
    frame = pd.DataFrame(
        [(rid, f"m{rid}", verdict, failed) for rid, (verdict, failed) in rows.items()],
        columns=["request_id", "member_uin", "verdict", "failed_rules"],
    )
    assert set(frame.columns) == set(PREVIOUS_COLUMNS)
    return frame


@pytest.mark.parametrize(
    ("before", "now", "change"),
    [
        (("eligible", ""), ("ineligible", "POB-J06"), "newly ineligible"),
        (("unknown", ""), ("ineligible", "POB-J06"), "newly ineligible"),
        (("ineligible", "POB-J06"), ("eligible", ""), "resolved"),
        (("ineligible", "POB-J06"), ("ineligible", "POB-J02"), "still ineligible"),
        (("ineligible", "POB-J06"), ("unknown", ""), "other verdict change"),
        (("eligible", ""), ("unknown", ""), "other verdict change"),
        (("eligible", ""), ("eligible", ""), "unchanged"),
        (None, ("ineligible", "POB-J01"), "new"),
        (("eligible", ""), None, "no longer present"),
    ],
)
def test_change_of_one_request(before, now, change):
    result = compare_periods(
        verdicts({"R1": now} if now else {}),
        verdicts({"R1": before} if before else {}),
        RULE_IDS,
    )
    assert result.requests["change"].tolist() == [change]
    assert result.counts()[change] == 1
    assert sum(result.counts().values()) == 1


def test_per_rule_counts_only_compare_requests_present_in_both_periods():
    before = verdicts(
        {
            "R1": ("ineligible", "POB-J06"),
            "R2": ("ineligible", "POB-J02;POB-J06"),
            "R3": ("ineligible", "POB-J01"),
        }
    )
    now = verdicts(
        {
            "R1": ("ineligible", "POB-J02"),
            "R2": ("ineligible", "POB-J02"),
            "R4": ("ineligible", "POB-J01;POB-J06"),
        }
    )
    result = compare_periods(now, before, RULE_IDS)
    assert result.per_rule.to_dict("index") == {
        "POB-J01": {
            "failing_before": 1,
            "failing_now": 1,
            "newly_failing": 0,
            "resolved": 0,
            "still_failing": 0,
            "failing_in_new_requests": 1,
        },
        "POB-J02": {
            "failing_before": 1,
            "failing_now": 2,
            "newly_failing": 1,
            "resolved": 0,
            "still_failing": 1,
            "failing_in_new_requests": 0,
        },
        "POB-J06": {
            "failing_before": 2,
            "failing_now": 1,
            "newly_failing": 0,
            "resolved": 2,
            "still_failing": 0,
            "failing_in_new_requests": 1,
        },
    }
    by_id = result.requests.set_index("request_id")
    assert by_id.loc["R1", "newly_failing"] == "POB-J02"
    assert by_id.loc["R1", "resolved_rules"] == "POB-J06"
    assert by_id.loc["R4", "newly_failing"] == ""  # new requests are counted apart
    transitions = result.transitions()
    assert transitions.loc["ineligible", "ineligible"] == 2
    assert transitions.loc["(absent)", "ineligible"] == 1
    assert transitions.loc["ineligible", "(absent)"] == 1


def test_a_rule_only_the_previous_period_knew_is_kept():
    result = compare_periods(
        verdicts({"R1": ("eligible", "")}), verdicts({"R1": ("ineligible", "POB-X99")}), RULE_IDS
    )
    assert result.per_rule.loc["POB-X99", "resolved"] == 1


def test_tables_escape_every_value():
    frame = pd.DataFrame({"enterprise_id": [SCRIPT, '=HYPERLINK("x")'], "n": [1, 2]})
    markup = table(frame, table_id="t", limit=1)
    assert SCRIPT not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert "Showing the first 1 of 2 rows" in markup
    assert Html(markup)._repr_html_() == markup


def test_previous_verdicts_keep_identifiers_as_text(tmp_path: Path):
    (tmp_path / "verdicts.csv").write_text(
        "request_id,member_uin,verdict,failed_rules\nR1,0042,ineligible,POB-J06\nR2,42,eligible,\n"
    )
    frame = read_verdicts(tmp_path)
    assert frame["member_uin"].tolist() == ["0042", "42"]
    assert frame["failed_rules"].tolist() == ["POB-J06", ""]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no verdicts.csv"),
        ("request_id,verdict\nR1,eligible\n", "failed_rules"),
        (
            "request_id,member_uin,verdict,failed_rules\nR1,1,eligible,\nR1,1,eligible,\n",
            "more than once",
        ),
        ("request_id,verdict,failed_rules\nR1,eligible,\n", "member_uin"),
    ],
)
def test_unusable_previous_verdicts_are_parameter_errors(tmp_path: Path, content, message):
    if content is not None:
        (tmp_path / "verdicts.csv").write_text(content)
    with pytest.raises(ParameterError, match=message):
        read_verdicts(tmp_path)


@pytest.mark.parametrize(
    "content",
    [
        b"",  # empty: pandas raised EmptyDataError, a crash
        bytes(range(256)) * 4,  # binary
        b"request_id,verdict,failed_rules\nR1,eligible,\nR2,eligible,,x,y\n",  # ragged
        b"request_id,member_uin,verdict,failed_rules\nR1,1,eligible,\nR2,2,eligible\n",  # short
    ],
    ids=["empty", "binary", "ragged", "short"],
)
def test_unreadable_previous_verdicts_are_parameter_errors(tmp_path: Path, content: bytes):
    (tmp_path / "verdicts.csv").write_bytes(content)
    with pytest.raises(ParameterError, match=r"previous verdicts in .* cannot be read \("):
        read_verdicts(tmp_path)


def test_a_short_row_is_refused_with_its_line_not_padded(tmp_path: Path):
    """pandas pads a short row with empty fields: a wrong 'no longer present' count."""
    (tmp_path / "verdicts.csv").write_text(
        "request_id,member_uin,verdict,failed_rules\nR1,1,ineligible,POB-J06\nR2,2,eligible\n"
    )
    with pytest.raises(ParameterError, match=r"verdicts\.csv line 3 has 3 fields, the header 4"):
        read_verdicts(tmp_path)


def test_a_broken_earlier_period_is_skipped_with_a_warning(tmp_path: Path):
    period_folder(tmp_path, "2026-09")
    broken = period_folder(tmp_path, "2026-10")
    (broken / "verdicts.csv").write_bytes(b"")
    previous, skipped = store.usable_previous(tmp_path, "2026-11")
    assert previous == tmp_path / "2026-09"
    (warning,) = skipped
    assert warning.startswith("skipped the earlier period 2026-10: previous verdicts in ")
    (tmp_path / "2026-09" / "verdicts.csv").write_bytes(b"\xff\xfe")
    assert store.usable_previous(tmp_path, "2026-11")[0] is None


def test_params_file_takes_overrides_and_as_of_comes_apart(tmp_path: Path):
    def params_from(text: str) -> Params:
        path = tmp_path / "params.json"
        path.write_text(text)
        return Params.from_dict({**read_params_file(path), "as_of": "2026-11-01"})

    params = params_from('{"j10_require_both": true}')
    assert params.as_of.isoformat() == "2026-11-01" and params.j10_require_both
    with pytest.raises(ParameterError, match="JSON"):
        params_from("{nope")
    with pytest.raises(ParameterError, match="unknown parameter"):
        params_from('{"colour": 1}')
    with pytest.raises(ParameterError, match="--as-of"):
        params_from('{"as_of": "2026-01-01"}')


# ---- folders and the index -----------------------------------------------------------


def period_folder(out: Path, period: str, status: str = "succeeded", **extra) -> Path:
    folder = out / period
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"status": status, **extra}))
    (folder / "verdicts.csv").write_text("request_id,member_uin,verdict,failed_rules\n")
    return folder


def test_latest_previous_is_the_latest_earlier_successful_period(tmp_path: Path):
    period_folder(tmp_path, "2026-08")
    period_folder(tmp_path, "2026-09")
    period_folder(tmp_path, "2026-10", status="failed")
    period_folder(tmp_path, "2026-12")
    (tmp_path / "notes").mkdir()
    assert store.usable_previous(tmp_path, "2026-11") == (tmp_path / "2026-09", [])
    assert store.usable_previous(tmp_path, "2026-08") == (None, [])


def test_index_escapes_what_manifests_hold(tmp_path: Path):
    summary = {"requests": 2, "eligible": 1, "ineligible": 1, "unknown": 0}
    summary |= {"share_eligible": 0.5, "failures_by_rule": {"POB-J01": 1}}
    period_folder(tmp_path, "2026-10", as_of=SCRIPT, summary=summary)
    failed = tmp_path / "2026-11" / "failed-20261201T000000Z"
    failed.mkdir(parents=True)
    (failed / "manifest.json").write_text(
        json.dumps({"status": "failed", "error": {"message": f"ValueError: {SCRIPT}"}})
    )
    page = report_index.render_index(tmp_path)
    assert SCRIPT not in page
    assert page.count("&lt;script&gt;") == 2
    assert "50.00 %" in page
    assert "2026-11/failed-20261201T000000Z" in page


def test_pdf_without_chromium_is_a_clear_message_not_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("AUDITKIT_CHROMIUM", str(tmp_path / "no-such-browser"))
    page = tmp_path / "report.html"
    page.write_text("<p>report</p>")
    problem = execute.pdf_of(page, tmp_path / "report.pdf")
    assert problem is not None and "no Chromium found" in problem
    assert not (tmp_path / "report.pdf").exists()


def test_wide_tables_are_split_into_parts_that_keep_every_column_and_the_row_label():
    from auditkit.report.sections.common import PRINTED_COLUMNS, column_parts

    wide = pd.DataFrame({name: [1] for name in ["segment", *(f"POB-X{i:02d}" for i in range(18))]})
    parts = column_parts(wide)
    assert all(part.columns[0] == "segment" for part in parts)
    assert all(len(part.columns) <= PRINTED_COLUMNS for part in parts)
    assert [c for part in parts for c in part.columns[1:]] == list(wide.columns[1:])
    assert len({len(part.columns) for part in parts}) == 1  # evened out, no stub of one column
    narrow = wide.iloc[:, :4]
    assert [list(p.columns) for p in column_parts(narrow)] == [list(narrow.columns)]


def test_orphans_count_orders_and_vouchers_of_unknown_uins():
    from conftest import account, build_tables, order, voucher

    from auditkit.analysis.summaries import orphans

    tables = build_tables(
        accounts=[account("1"), account("42")],
        orders=[order("O1", "1"), order("O2", "3"), order("O3", "0042")],  # 0042 is not 42
        vouchers=[voucher("V1", "9"), voucher("V2", "42")],
    )
    assert orphans(tables) == {"orders": 2, "vouchers": 1}

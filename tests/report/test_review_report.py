"""`auditkit report --db`: findings recorded, states carried across periods, review and sign-off
sections, and a signed-off period that is not replaced without --supersede."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli

import auditkit.demo as demo
from auditkit.io.manifest import sha256_file
from auditkit.report.review import load_snapshot
from auditkit.report.signoff import SIGNOFFS
from auditkit.review.register import Register

pytestmark = pytest.mark.slow
SCRIPT = "<script>alert(1)</script>"
AS_OF = "2026-12-01"
AS_OF_DATE = dt.date(2026, 12, 1)
TINY = Path(__file__).parents[1] / "notebooks" / "tiny_report.ipynb"


def table_rows(page: str, table_id: str) -> list[list[str]]:
    match = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', page, re.S)
    assert match, f"table {table_id} not in the page"
    body = match.group(1).split("<tbody>")[-1]
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


@pytest.fixture(scope="module")
def first_october(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One extract (2026-12-01) with October's and November's requests, and its October report
    made with a new register: (data, reports folder holding review.db). `periods` and
    `reviewed` each go on from a copy of the reports folder (the same first run for both)."""
    from auditkit.cli import main

    base = tmp_path_factory.mktemp("first-october")
    data = base / "data"
    demo.write(demo.generate(requests=300, as_of=AS_OF_DATE, request_months=2), data)
    out = base / "reports"
    report = ["report", "--out", str(out), "--db", str(out / "review.db"), "--data", str(data)]
    assert main([*report, "--as-of", AS_OF, "--period", "2026-10"]) == 0
    return data, out


def continued(first_october: tuple[Path, Path], base: Path) -> tuple[Path, Path, str]:
    """(data, reports, register) in `base`: a copy of the first October run's reports folder."""
    data, reports = first_october
    out = shutil.copytree(reports, base / "reports", symlinks=True)
    return data, out, str(out / "review.db")


@pytest.fixture(scope="module")
def periods(first_october: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory):
    """October reported with a register (`first_october`); some of its findings reviewed;
    November reported; October reported again, which shows the states set since its first run."""
    from auditkit.cli import main

    base = tmp_path_factory.mktemp("review-report")
    data, out, db = continued(first_october, base)
    report = ["report", "--out", str(out), "--db", db, "--data", str(data), "--as-of", AS_OF]
    verdicts = pd.read_csv(out / "2026-10" / "verdicts.csv", dtype="str", keep_default_na=False)
    failing = verdicts[verdicts["failed_rules"] != ""]
    chosen = [
        (row.request_id, row.failed_rules.split(";")[0]) for row in failing.head(4).itertuples()
    ]
    (base / "review.csv").write_text(
        "request_id,rule_id,state,note,expires\n"
        f"{chosen[0][0]},{chosen[0][1]},confirmed,{SCRIPT},\n"
        f"{chosen[1][0]},{chosen[1][1]},waived,until the top-up,2026-12-20\n"
        f"{chosen[2][0]},{chosen[2][1]},waived,lapsed,2026-11-15\n"
        f"{chosen[3][0]},{chosen[3][1]},waived,far away,2027-06-30\n",
        encoding="utf-8",
    )
    assert main(["review", "import", "--db", db, str(base / "review.csv"), "--by", "ann"]) == 0
    # November's page is not read here (`reviewed` checks a next period's): the one-cell notebook.
    assert main([*report, "--period", "2026-11", "--notebook", str(TINY)]) == 0
    assert main([*report, "--period", "2026-10"]) == 0
    return {"base": base, "out": out, "db": db, "data": data, "chosen": chosen}


def test_report_records_its_findings_and_adds_review_state(periods):
    out = periods["out"]
    manifest = json.loads((out / "2026-10" / "manifest.json").read_text())
    assert manifest["review"]["run_id"] == 3
    assert {"review.json", "review.parquet"} <= set(manifest["outputs"])
    verdicts = pd.read_csv(out / "2026-10" / "verdicts.csv", dtype="str", keep_default_na=False)
    assert verdicts.columns[-1] == "review_state"
    with Register.open(periods["db"]) as register:
        runs = register.runs()
    assert runs["period"].tolist() == ["2026-10", "2026-11", "2026-10"]
    assert runs["manifest_sha256"].iloc[-1] == sha256_file(out / "2026-10" / "manifest.json")


def test_states_set_after_the_first_october_run_carry_into_its_next_run(periods):
    snapshot = load_snapshot(periods["out"] / "2026-10")
    assert snapshot is not None
    states = dict(
        zip(
            zip(snapshot.findings["request_id"], snapshot.findings["rule_id"], strict=True),
            snapshot.findings["state"],
            strict=True,
        )
    )
    confirmed, soon, lapsed, later = periods["chosen"]
    assert states[confirmed] == "confirmed"
    assert states[soon] == "waived" and states[later] == "waived"
    assert states[lapsed] == "waiver_expired"
    assert snapshot.counts["unreviewed"] == snapshot.total - 4


def test_review_section_lists_confirmed_first_and_waivers_expiring_within_30_days(periods):
    page = (periods["out"] / "2026-10" / "report.html").read_text(encoding="utf-8")
    assert (
        page.index('id="review"')
        < page.index('id="signoff"')
        < page.index('id="appendix-catalogue"')
    )
    states = table_rows(page, "review-states")
    assert states[0][0] == "confirmed" and states[-1][0] == "unreviewed"
    confirmed, soon, lapsed, _ = periods["chosen"]
    assert [row[:2] for row in table_rows(page, "review-confirmed")] == [list(confirmed)]
    assert table_rows(page, "review-confirmed")[0][4] == SCRIPT  # shown as text
    assert SCRIPT not in page and "&lt;script&gt;" in page
    assert [row[:4] for row in table_rows(page, "review-expiring")] == [[*soon, "2026-12-20", "19"]]
    assert len(table_rows(page, "review-waivers")) == 2
    assert [row[:3] for row in table_rows(page, "review-expired")] == [[*lapsed, "2026-11-15"]]
    signoff = table_rows(page, "signoff")
    assert [row[0] for row in signoff] == ["Preparer", "Reviewer"]
    assert all(row[1].startswith("____") for row in signoff)  # blank lines until signed


def test_a_signed_period_is_replaced_only_with_supersede(periods, capsys):
    out, db, data = periods["out"], periods["db"], periods["data"]
    folder = out / "2026-10"
    signed_sha = sha256_file(folder / "manifest.json")
    code, stdout, err = run_cli(
        capsys,
        "review",
        "signoff",
        "--db",
        db,
        "--period",
        "2026-10",
        "--role",
        "preparer",
        "--by",
        "Pat Preparer",
        "--reports",
        out,
        "--override",  # its control exceptions are not all concluded yet
        "signed for the audit committee's deadline",
    )
    assert code == 0, err
    assert signed_sha in stdout
    marker = json.loads((folder / SIGNOFFS).read_text())
    assert marker["manifest_sha256"] == signed_sha
    report = ["report", "--data", data, "--period", "2026-10", "--as-of", AS_OF, "--out", out]

    # Without --supersede: refused, with or without the register, and nothing changes.
    for extra in (["--db", db], []):
        code, _, err = run_cli(capsys, *report, *extra)
        assert code == 2, err
        assert "signed off (preparer Pat Preparer" in err and "--supersede" in err
        assert sha256_file(folder / "manifest.json") == signed_sha

    code, _, err = run_cli(capsys, *report, "--db", db, "--supersede")
    assert code == 0, err
    kept = sorted(folder.glob("superseded-*"))
    assert len(kept) == 1
    assert sha256_file(kept[0] / "manifest.json") == signed_sha  # the signed version, intact
    assert (kept[0] / "report.html").is_file() and (kept[0] / SIGNOFFS).is_file()
    assert sha256_file(folder / "manifest.json") != signed_sha
    assert not (folder / SIGNOFFS).exists()  # the new version is not signed
    page = (folder / "report.html").read_text(encoding="utf-8")
    signoff = table_rows(page, "signoff")
    assert signoff[0][:2] == ["Preparer", "Pat Preparer"] and "earlier version" in signoff[0][3]
    assert [row[0] for row in signoff[1:]] == ["Preparer", "Reviewer"]

    # The new version is not signed: replacing it needs no --supersede; the old one stays kept
    # (the one-cell notebook: this checks the runner's refusal and keeping, not the content).
    code, _, err = run_cli(capsys, *report, "--db", db, "--notebook", TINY)
    assert code == 0, err
    assert sorted(folder.glob("superseded-*")) == kept


# A report made without a register says so: test_runner.py's
# test_report_without_register_says_so (on its demo run, made without --db).


# ---- a report signed after a review: states, conclusion, workpaper, sign-off, next period ----

CHROMIUM = Path("/usr/bin/chromium")


def decisions_of(folder: Path) -> pd.DataFrame:
    verdicts = pd.read_csv(folder / "verdicts.csv", dtype="str", keep_default_na=False)
    keep = (verdicts["control_exception"] != "") | (
        verdicts["decision_code_check"] == "unsupported"
    )
    return verdicts[keep].reset_index(drop=True)


@pytest.fixture(scope="module")
def reviewed(first_october: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory):
    """October reported with a register (`first_october`); every control exception and
    unsupported refusal concluded but one (confirmed or false positive in turn), the first
    confirmed one given an owner and a due date before as_of; October reported again, then
    signed as a review team would, every refusal on the way recorded; November reported."""
    from auditkit.cli import main

    base = tmp_path_factory.mktemp("reviewed")
    data, out, db = continued(first_october, base)
    report = ["report", "--out", str(out), "--db", db, "--data", str(data), "--as-of", AS_OF]
    decisions = decisions_of(out / "2026-10")
    assert len(decisions) >= 3
    expected = {
        request_id: ("confirmed", "false_positive")[i % 2]
        for i, request_id in enumerate(decisions["request_id"][:-1])
    }
    expected[decisions["request_id"].iloc[-1]] = "open"
    first = decisions["request_id"].iloc[0]
    lines = ["request_id,rule_id,state,note,expires,owner,due,response,remediation"]
    for request_id, state in list(expected.items())[:-1]:
        follow = "Ops Team,2026-11-20,=we fix it,in_progress" if request_id == first else ",,,"
        lines.append(f"{request_id},DECISION,{state},{SCRIPT},,{follow}")
    (base / "decisions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["review", "import", "--db", db, str(base / "decisions.csv"), "--by", "ann"]) == 0
    assert main([*report, "--period", "2026-10"]) == 0
    signoff = ["review", "signoff", "--db", db, "--period", "2026-10", "--reports", str(out)]
    steps = {
        "reviewer first": ["--role", "reviewer", "--by", "Rhea"],
        "open exceptions": ["--role", "preparer", "--by", "Pat"],
        "override": ["--role", "preparer", "--by", "Pat", "--override", "committee deadline"],
        "duplicate": ["--role", "preparer", "--by", "Paul", "--override", "again"],
        "same person": ["--role", "reviewer", "--by", " pat ", "--override", "me"],
        "reviewer": ["--role", "reviewer", "--by", "Rhea", "--override", "one left, agreed"],
    }
    outcomes = {}
    for step, options in steps.items():
        code = main([*signoff, *options])
        outcomes[step] = code
    assert main([*report, "--period", "2026-11"]) == 0
    return {"out": out, "db": db, "expected": expected, "first": first, "outcomes": outcomes}


def test_signoff_refusals_and_the_recorded_override(reviewed, capsys):
    outcomes = reviewed["outcomes"]
    assert outcomes == {
        "reviewer first": 2,
        "open exceptions": 2,
        "override": 0,
        "duplicate": 2,
        "same person": 2,
        "reviewer": 0,
    }
    folder = reviewed["out"] / "2026-10"
    marker = json.loads((folder / SIGNOFFS).read_text())
    assert [
        (s["role"], s["signed_by"], s["override"], s["outstanding"]) for s in marker["signoffs"]
    ] == [
        ("preparer", "Pat", "committee deadline", 1),
        ("reviewer", "Rhea", "one left, agreed", 1),
    ]
    assert marker["report_id"].startswith("2026-10-")
    page = (folder / "signoff.html").read_text(encoding="utf-8")
    signed = table_rows(page, "signoffs")
    assert [row[:2] + row[3:] for row in signed] == [
        ["Preparer", "Pat", "committee deadline", "1"],
        ["Reviewer", "Rhea", "one left, agreed", "1"],
    ]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert sha256_file(folder / "report.html") == manifest["outputs"]["report.html"]  # unchanged
    with Register.open(reviewed["db"]) as register:
        rows_ = register.signoffs("2026-10")
    assert rows_["override"].tolist() == ["committee deadline", "one left, agreed"]


def test_each_control_exception_shows_its_review_and_the_conclusion_counts_them(reviewed):
    folder, expected = reviewed["out"] / "2026-10", reviewed["expected"]
    page = (folder / "report.html").read_text(encoding="utf-8")
    decided = {row[0]: row for row in table_rows(page, "review-decisions")}
    assert len(decided) == min(len(expected), 25)  # the page lists 25; the workpaper all
    assert {r: row[2] for r, row in decided.items()} == {r: expected[r] for r in decided}
    assert next(iter(decided.values()))[2] == "open"  # open work first
    assert all(row[3] == ("ann" if expected[r] != "open" else "") for r, row in decided.items())
    assert SCRIPT not in page
    decisions = decisions_of(folder)
    exceptions = decisions[decisions["control_exception"] != ""]["request_id"]
    states = pd.Series([expected[r] for r in exceptions])
    counts = [(s, int((states == s).sum())) for s in ("confirmed", "false_positive", "open")]
    said = f"{len(exceptions)} control exceptions" + (
        ": " + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in counts if n)
        if len(states)
        else ""
    )
    conclusion = html.unescape(re.search(r'class="ak-conclusion">(.*?)</p>', page, re.S).group(1))
    assert said in conclusion and "unsupported refusals" in conclusion
    rejected = decisions[decisions["control_exception"] == "rejected_but_eligible"]
    if len(rejected):
        shown_rows = table_rows(page, "exceptions-rejected")
        wanted = [expected[r] for r in rejected["request_id"]][: len(shown_rows)]
        assert [row[-3] for row in shown_rows] == wanted and len(shown_rows) == min(
            25, len(rejected)
        )
    overdue = table_rows(page, "review-overdue")
    assert [row[1] for row in overdue] == [reviewed["first"]]


def test_the_workpaper_carries_the_review(reviewed):
    import openpyxl

    folder, expected = reviewed["out"] / "2026-10", reviewed["expected"]
    book = openpyxl.load_workbook(folder / "report.xlsx", read_only=True)
    assert {"Review", "Follow-up"} <= set(book.sheetnames)
    rows = list(book["Review"].values)  # title, blank, header, rows
    review = pd.DataFrame(rows[3:], columns=rows[2])
    assert dict(zip(review["Request id"], review["Review state"], strict=True)) == expected
    follow = list(book["Follow-up"].values)
    header = follow[2]
    first = dict(zip(header, follow[3], strict=True))
    assert (first["Request id"], first["Owner"], first["Overdue"]) == (
        reviewed["first"],
        "Ops Team",
        "yes",
    )
    summary = dict(row[:2] for row in list(book["Summary"].values)[3:])
    assert "control exceptions" in summary["review of control exceptions"]
    assert isinstance(summary["overdue follow-up items"], int)  # a count is a number
    exceptions = list(book["Control exceptions"].values)
    header_at = next(i for i, row in enumerate(exceptions) if row and row[0] == "Control exception")
    states = dict(
        zip(
            [row[exceptions[header_at].index("Request")] for row in exceptions[header_at + 1 :]],
            [
                row[exceptions[header_at].index("Review state")]
                for row in exceptions[header_at + 1 :]
            ],
            strict=True,
        )
    )
    assert {r: states[r] for r in states if r in expected} == {
        r: s for r, s in expected.items() if r in states
    }


def test_the_next_period_shows_earlier_exceptions_still_open(reviewed):
    folder = reviewed["out"] / "2026-11"
    page = (folder / "report.html").read_text(encoding="utf-8")
    carried = table_rows(page, "review-carried")
    still_open = {r for r, s in reviewed["expected"].items() if s in ("open", "confirmed")}
    assert {row[1] for row in carried} == still_open
    assert {row[0] for row in carried} == {"2026-10"}
    assert reviewed["first"] in {row[1] for row in table_rows(page, "review-overdue")}


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium")
def test_a_signed_report_in_chromium_shows_each_state_and_the_count(reviewed, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    folder, expected = reviewed["out"] / "2026-10", reviewed["expected"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto((folder / "report.html").resolve().as_uri())
            rows = page.locator("#review-decisions tbody tr")
            shown = {
                rows.nth(i).locator("td").nth(0).inner_text(): rows.nth(i)
                .locator("td")
                .nth(2)
                .inner_text()
                for i in range(rows.count())
            }
            assert shown == {r: expected[r] for r in shown} and len(shown) == min(25, len(expected))
            conclusion = page.locator(".ak-conclusion").inner_text()
            assert "control exceptions:" in conclusion and "1 open" in conclusion
            summary = page.locator(".ak-review-summary").inner_text()
            assert summary.startswith(conclusion.split("Review as of")[1].split(": ", 1)[1][:20])
            page.screenshot(path=str(tmp_path / "report.png"), full_page=False)
            page.locator('a[href="signoff.html"]').first.click()
            page.wait_for_load_state()
            assert "committee deadline" in page.locator("#signoffs").inner_text()
        finally:
            browser.close()

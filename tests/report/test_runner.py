"""`auditkit report` end to end: notebook run, clean HTML, manifest, period diff, safety, index."""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell

import auditkit.demo as demo
from auditkit import cli
from auditkit.analysis.population import Period, in_period
from auditkit.analysis.summaries import headline
from auditkit.cli.common import EXIT_FAILURE, EXIT_INPUT
from auditkit.contract import ALL_TABLES
from auditkit.engine.evaluate import evaluate
from auditkit.errors import ParameterError, ReportError
from auditkit.io.tables import load_tables
from auditkit.params import Params
from auditkit.render.format import percent
from auditkit.report import execute, runner
from auditkit.report.sections import CONTENTS
from auditkit.report.settings import ReportSettings
from auditkit.rules.pob import POB

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BROKEN = Path(__file__).parents[1] / "notebooks" / "broken_report.ipynb"
TINY = BROKEN.with_name("tiny_report.ipynb")
SCRIPT = "<script>alert(1)</script>"
REPORT_FILES = {
    "report.html",
    "report.ipynb",
    "results.parquet",
    "verdicts.csv",
    "cases.parquet",
    "report.xlsx",
    "manifest.json",
}


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """The body rows of the HTML table with `table_id`, as unescaped cell texts."""
    match = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', page, re.S)
    assert match, f"table {table_id} not in the page"
    body = match.group(1).split("<tbody>")[-1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in rows
    ]


def folder_digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# ---- demo data, one period -----------------------------------------------------------


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory):
    """The demo's October report. While its notebook runs the input files are replaced by
    another demo (and put back afterwards, byte for byte): the runner reads the data once,
    so the report shows only what was judged (`replaced` records what the files held then)."""
    base = tmp_path_factory.mktemp("demo")
    data = base / "data"
    demo.write(demo.generate(requests=300, seed=7, as_of=dt.date(2026, 11, 1)), data)
    originals = {path.name: path.read_bytes() for path in data.iterdir()}
    execute_notebook = runner.execute_notebook
    replaced: dict[str, bytes] = {}

    def replace_data_then_execute(plan, staging, **kernel):
        demo.write(demo.generate(requests=50, seed=8, as_of=dt.date(2026, 11, 1)), data)
        replaced.update({path.name: path.read_bytes() for path in data.iterdir()})
        return execute_notebook(plan, staging, **kernel)

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(base)  # relative paths, as `make report` passes them
        patch.setattr(runner, "execute_notebook", replace_data_then_execute)
        run = runner.run_report(
            ReportSettings(Path("data"), "2026-10", Path("reports"), as_of="2026-11-01")
        )
    for name, content in originals.items():  # the demo's files again, for the other tests
        (data / name).write_bytes(content)
    return (
        data,
        runner.ReportRun(
            folder=base / run.folder,
            html=base / run.html,
            index=base / run.index,
            manifest=run.manifest,
        ),
        originals,
        replaced,
    )


def test_report_folder_holds_report_notebook_results_verdicts_and_manifest(demo_run):
    _, run, _, _ = demo_run
    assert run.folder.name == "2026-10"
    assert {p.name for p in run.folder.iterdir()} == REPORT_FILES
    assert run.manifest["status"] == "succeeded"
    assert run.index == run.folder.parent / "index.html"
    assert not list(run.folder.parent.glob(".staging-*"))


def test_the_currency_is_recorded_and_shown_beside_every_amount(demo_run):
    _, run, _, _ = demo_run
    assert run.manifest["currency"] == {"code": "CNY", "source": "default"}
    page = html.unescape(run.html.read_text("utf-8"))
    assert "Amounts are in CNY: the data states no currency, so CNY is assumed" in page
    amounts = [row[-1] for row in table_rows(run.html.read_text("utf-8"), "exceptions-by-rule")]
    assert amounts and all(re.fullmatch(r"-?[0-9,]+\.[0-9]{2} CNY", a) for a in amounts)
    conclusion = paragraph_of(run.html.read_text("utf-8"), "ak-conclusion")
    assert re.search(r"put [0-9,]+\.[0-9]{2} CNY at stake \([0-9,]+\.[0-9]{2} CNY in ", conclusion)


def test_html_shows_outputs_but_no_code(demo_run):
    _, run, _, _ = demo_run
    page = run.html.read_text(encoding="utf-8")
    body = page[page.index("<body") :]
    code_cells = re.findall(r'class="(jp-Cell jp-CodeCell[^"]*)"', body)
    assert len(code_cells) == 1 + len(CONTENTS) + 1  # load, contents, one per section
    assert all("jp-mod-noInput" in classes for classes in code_cells)
    for marker in ("jp-InputPrompt", "jp-Editor", 'class="highlight'):
        assert marker not in body
    for code in ("load_report", "build_report", "sections", "import ", "run_dir"):
        assert code not in body
    assert "<script" not in page
    assert "data:image/png;base64," in page  # the failures chart
    for anchor, title in CONTENTS:
        heading = re.search(rf'<h2 id="{anchor}">(.*?)</h2>', page)
        assert heading and html.unescape(heading.group(1)) == title
        assert f'href="#{anchor}"' in page
    executed = nbformat.read(run.folder / "report.ipynb", as_version=4)
    assert not [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]


def paragraph_of(page: str, css_class: str) -> str:
    found = re.search(rf'<p class="{css_class}">(.*?)</p>', page, re.S)
    assert found, css_class
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def test_conclusion_and_scope_numbers_equal_the_engines(demo_run):
    data, run, _, _ = demo_run
    params = Params(as_of="2026-11-01")
    scoped, _ = in_period(load_tables(data), Period("2026-10"), params)
    result = evaluate(scoped, params, POB)
    expected = headline(result)
    decided = int(result.verdicts["decision"].notna().sum())
    exceptions = expected["approved_but_ineligible"] + expected["rejected_but_eligible"]
    page = run.html.read_text("utf-8")
    conclusion = paragraph_of(page, "ak-conclusion")
    assert conclusion.startswith(
        f"In 2026-10, {expected['requests']:,} requests to switch pay-on-behalf mode on or off "
        f"were made; {decided:,} have a recorded platform decision. {exceptions:,} of the "
        f"decisions ({percent(exceptions / decided)}) contradict the access requirements: "
        f"{expected['approved_but_ineligible']:,} approved although ineligible and "
        f"{expected['rejected_but_eligible']:,} rejected although eligible."
    )
    assert (
        f"Of the {expected['requests']:,} requests judged, {expected['eligible']:,} are "
        f"eligible, {expected['ineligible']:,} ineligible and {expected['unknown']:,} unknown."
    ) in page
    assert run.manifest["summary"]["requests"] == expected["requests"] == 300


def test_manifest_hashes_match_the_input_files(demo_run):
    data, run, _, _ = demo_run
    manifest = json.loads((run.folder / "manifest.json").read_text("utf-8"))
    tables = load_tables(data)
    assert set(manifest["inputs"]) == set(ALL_TABLES)  # the demo writes the history tables too
    for table, described in manifest["inputs"].items():
        path = data / described["file"]
        assert described["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert described["rows"] == len(tables[table])
        assert Path(described["path"]) == path.absolute()
    params = Params(as_of="2026-11-01")
    assert manifest["params"] == params.to_dict()
    assert manifest["params_sha256"] == params.fingerprint()
    assert manifest["rule_catalogue_sha256"] == POB.fingerprint()
    for name, digest in manifest["outputs"].items():
        assert digest == hashlib.sha256((run.folder / name).read_bytes()).hexdigest()
    assert manifest["notebook"]["kernel_name"] == "python3"
    assert manifest["libraries"]["papermill"]
    assert manifest["started_at"] <= manifest["finished_at"]


def test_input_files_replaced_during_the_run_change_no_published_number(demo_run):
    """The runner reads the data once; the notebook renders what was judged, never --data."""
    _, run, originals, replaced = demo_run
    assert len(replaced["requests.csv"].decode().splitlines()) == 51  # the files did change
    page = run.html.read_text("utf-8")
    verdicts = (run.folder / "verdicts.csv").read_text(encoding="utf-8").splitlines()
    assert run.manifest["summary"]["requests"] == 300
    assert "In 2026-10, 300 requests" in paragraph_of(page, "ak-conclusion")
    assert "Of the 300 requests judged" in page
    assert len(verdicts) - 1 == 300
    for table, described in run.manifest["inputs"].items():
        original = originals[described["file"]]
        assert described["sha256"] == hashlib.sha256(original).hexdigest(), table


def test_report_without_register_says_so(demo_run):
    """(With a register: tests/report/test_review_report.py.)"""
    _, run, _, _ = demo_run
    page = run.html.read_text(encoding="utf-8")
    assert "made without a review register" in page
    assert "review" not in run.manifest
    match = re.search(r'<table[^>]*id="signoff"[^>]*>(.*?)</table>', page, re.S)
    assert match, "table signoff not in the page"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(1).split("<tbody>")[-1], re.S)
    first_cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[0] for row in rows]
    assert [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in first_cells] == [
        "Preparer",
        "Reviewer",
    ]


def test_committed_notebook_is_thin_tagged_and_without_outputs():
    notebook = nbformat.read(REPO / "notebooks" / execute.NOTEBOOK_NAME, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    assert all("remove_input" in cell.metadata.get("tags", []) for cell in code)
    parameters = [cell for cell in code if "parameters" in cell.metadata.get("tags", [])]
    assert len(parameters) == 1
    for statement in ast.parse(parameters[0].source).body:
        assert isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
    assert all(len(cell.source.splitlines()) <= 12 for cell in code)
    assert "ipywidgets" not in json.dumps(notebook)


# ---- a hand-made pair of periods -----------------------------------------------------

ACCOUNTS_HEADER = (
    "uin,account_source,internal_type,identity_type,enterprise_id,channel_role,distributor_id,"
    "available_balance,overdue_amount,customer_tier,channel_manager_followup,credit_card_bound"
)


def account_row(
    uin: str, balance: str = "5.00", role: str = "direct", enterprise: str = "E1"
) -> str:
    return f"{uin},external,,enterprise,{enterprise},{role},,{balance},0.00,key,false,true"


def request_row(request_id: str, member: str, day: str) -> str:
    return f"{request_id},{member},100,join,pay_on_behalf,,{day},approved"


def write_period(
    folder: Path, accounts: list[str], requests: list[tuple[str, str]], day: str = "2026-10-20"
) -> Path:
    folder.mkdir(parents=True)
    (folder / "accounts.csv").write_text("\n".join([ACCOUNTS_HEADER, *accounts]) + "\n")
    (folder / "orders.csv").write_text("order_id,uin,order_type,status,amount,created_at\n")
    (folder / "vouchers.csv").write_text(
        "voucher_id,uin,subcustomer_voucher,status,remaining_amount,expires_at\n"
    )
    (folder / "requests.csv").write_text(
        "request_id,member_uin,admin_uin,action,payment_mode,payer_uin,requested_at,decision\n"
        + "".join(request_row(r, m, day) + "\n" for r, m in requests)
    )
    return folder


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory):
    """October, one request per member: 201 eligible, 202 fails J06, 203 fails J02, 204 and
    206 eligible.

    November, the same members ask again (new request ids): 201 now fails J06, 202 fixed,
    203 still fails J02, 204 gone, 206 unchanged, new 205 (enterprise_id holds markup,
    fails J01, approved) and new 207 (member missing). Periods compare member by member.
    """
    base = tmp_path_factory.mktemp("pair")
    october = write_period(
        base / "data-2026-10",
        [
            account_row("100", "10.00"),
            account_row("201"),
            account_row("202", "-1.00"),
            account_row("203", role="agent"),
            account_row("204"),
            account_row("206"),
        ],
        [("R1", "201"), ("R2", "202"), ("R3", "203"), ("R4", "204"), ("R6", "206")],
        "2026-10-20",
    )
    november = write_period(
        base / "data-2026-11",
        [
            account_row("100", "10.00"),
            account_row("201", "-3.00"),
            account_row("202", "2.00"),
            account_row("203", role="agent"),
            account_row("205", enterprise=SCRIPT),
            account_row("206"),
        ],
        [
            ("R11", "201"),
            ("R12", "202"),
            ("R13", "203"),
            ("R15", "205"),
            ("R16", "206"),
            ("R17", "207"),
        ],
        "2026-11-20",
    )
    out = base / "reports"
    # October's page is never read (November's change section reads its verdicts.csv, the
    # index its manifest): the one-cell notebook. The demo run covers a first period's page.
    first = runner.run_report(
        ReportSettings(october, "2026-10", out, as_of="2026-11-01", notebook=TINY)
    )
    second = runner.run_report(ReportSettings(november, "2026-11", out, as_of="2026-12-01"))
    return first, second


def test_second_period_compares_with_the_latest_earlier_period(pair):
    first, second = pair
    assert second.manifest["previous_dir"] == str(first.folder.absolute())
    assert first.manifest["previous_dir"] is None


def test_change_section_is_right_on_a_hand_made_pair(pair):
    _, second = pair
    page = second.html.read_text("utf-8")
    summary = {row[0]: int(row[1]) for row in table_rows(page, "change-summary")}
    assert summary == {
        "newly ineligible": 1,
        "resolved": 1,
        "still ineligible": 1,
        "other verdict change": 0,
        "unchanged": 1,
        "new": 2,
        "no longer present": 1,
    }
    # failing before, now; newly failing, resolved, still failing; failing in new members
    by_rule = {row[0]: [int(v) for v in row[2:]] for row in table_rows(page, "change-by-rule")}
    assert by_rule["POB-J06"] == [1, 1, 1, 1, 0, 0]
    assert by_rule["POB-J02"] == [1, 1, 0, 0, 1, 0]
    assert by_rule["POB-J01"] == [0, 1, 0, 0, 0, 1]
    assert by_rule["POB-J07"] == [0, 0, 0, 0, 0, 0]
    newly = table_rows(page, "change-newly-ineligible")
    assert newly == [["201", "eligible", "ineligible", "POB-J06"]]
    assert table_rows(page, "change-resolved") == [["202", "ineligible", "eligible", "POB-J06"]]
    assert table_rows(page, "change-still-ineligible") == [["203", "POB-J02", "POB-J02"]]


def test_markup_in_enterprise_id_is_shown_as_text(pair):
    _, second = pair
    page = second.html.read_text("utf-8")
    assert SCRIPT not in page
    assert html.escape(SCRIPT) in page
    exceptions = table_rows(page, "exceptions-pob-j01")
    r5 = next(row for row in exceptions if row[0] == "R15")
    assert "POB-J01" in r5[-2] and SCRIPT in r5[-2]  # the reason quotes it, read back as text


def test_index_lists_every_period_with_links_and_a_trend_chart(pair):
    _, second = pair
    page = second.index.read_text("utf-8")
    rows = table_rows(page, "periods")
    assert [row[0] for row in rows] == ["2026-10", "2026-11"]
    assert rows[1][3:7] == ["6", "2", "3", "1"]  # requests, eligible, ineligible, unknown
    assert 'href="2026-10/report.html"' in page and 'href="2026-11/report.html"' in page
    assert "data:image/png;base64," in page
    assert "<script" not in page


def test_a_broken_previous_period_is_skipped_when_found_and_refused_when_named(
    pair, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    first, second = pair
    out = tmp_path / "reports"
    shutil.copytree(first.folder.parent, out)
    (out / "2026-10" / "verdicts.csv").write_bytes(b"")  # e.g. a disk filled up
    data = Path(second.manifest["parameters"]["data_dir"])
    argv = ["report", "--data", str(data), "--period", "2026-11", "--as-of", "2026-11-01"]
    # Named with --previous: a clear parameter error, nothing run.
    status = cli.main([*argv, "--out", str(out), "--previous", str(out / "2026-10")])
    assert status == EXIT_INPUT
    assert "previous verdicts in" in capsys.readouterr().err
    # Found by itself: skipped with a warning, recorded, and the report is made.
    assert cli.main([*argv, "--out", str(out)]) == 0
    assert "skipped the earlier period 2026-10" in capsys.readouterr().err
    manifest = json.loads((out / "2026-11" / "manifest.json").read_text("utf-8"))
    assert manifest["previous_dir"] is None
    assert manifest["previous_skipped"][0].startswith("skipped the earlier period 2026-10")
    page = (out / "2026-11" / "report.html").read_text("utf-8")
    assert "skipped the earlier period 2026-10" in html.unescape(page)


# ---- failures --------------------------------------------------------------------------


@pytest.fixture
def earlier_report(demo_run, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the demo's reports folder, so a test may try to overwrite its period."""
    data, run, _, _ = demo_run
    out = tmp_path / "reports"
    shutil.copytree(run.folder.parent, out)
    return data, out


def test_broken_run_keeps_the_previous_report_and_a_failure_record(
    earlier_report, capsys: pytest.CaptureFixture[str]
):
    data, out = earlier_report
    before = folder_digest(out / "2026-10")
    argv = ["report", "--data", str(data), "--period", "2026-10", "--as-of", "2026-11-01"]
    status = cli.main([*argv, "--out", str(out), "--notebook", str(BROKEN)])
    assert status == EXIT_FAILURE
    message = capsys.readouterr().err
    assert "ValueError: deliberately broken report" in message
    assert "is unchanged" in message
    after = folder_digest(out / "2026-10")
    assert {k: v for k, v in after.items() if not k.startswith("failed-")} == before
    records = list((out / "2026-10").glob("failed-*"))
    assert len(records) == 1
    failure = json.loads((records[0] / "manifest.json").read_text("utf-8"))
    assert failure["status"] == "failed"
    assert failure["error"]["ename"] == "ValueError"
    assert failure["error"]["evalue"] == "deliberately broken report"
    assert (records[0] / "report.ipynb").is_file()  # executed up to the failing cell
    # The workpaper, begun beside the notebook, was dropped with the rows it had written.
    assert sorted({p.name for p in records[0].iterdir()} - {"kernel.log"}) == [
        "cases.parquet",
        "manifest.json",
        "report.ipynb",
        "results.parquet",
        "verdicts.csv",
    ]
    assert not list(out.glob(".staging-*"))
    assert "deliberately broken report" in (out / "index.html").read_text("utf-8")

    # A later good run replaces the report and keeps the failure record (the one-cell
    # notebook: what is checked is the runner's publishing, not the report's content).
    run = runner.run_report(ReportSettings(data, "2026-10", out, as_of="2026-11-01", notebook=TINY))
    assert run.manifest["status"] == "succeeded"
    assert [p.name for p in (out / "2026-10").glob("failed-*")] == [records[0].name]


def notebook_with(tmp_path: Path, source: str) -> Path:
    notebook = nbformat.read(BROKEN, as_version=4)
    notebook.cells[-1] = new_code_cell(source, metadata={"tags": ["remove_input"]})
    path = tmp_path / "custom.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.mark.parametrize(
    ("source", "kind", "words"),
    [
        ("import time\ntime.sleep(60)", "cell_timeout", "cell timeout of 2s"),
        ("import os\nos._exit(1)", "dead_kernel", "kernel died"),
    ],
)
def test_timeout_and_dead_kernel_give_clear_messages(
    earlier_report, tmp_path: Path, source: str, kind: str, words: str
):
    data, out = earlier_report
    before = folder_digest(out / "2026-10")
    with pytest.raises(ReportError, match=words):
        runner.run_report(
            ReportSettings(
                data,
                "2026-10",
                out,
                as_of="2026-11-01",
                notebook=notebook_with(tmp_path, source),
                cell_timeout=2,
            )
        )
    (record,) = (out / "2026-10").glob("failed-*")
    assert json.loads((record / "manifest.json").read_text("utf-8"))["error"]["kind"] == kind
    after = folder_digest(out / "2026-10")
    assert {k: v for k, v in after.items() if not k.startswith("failed-")} == before


def test_invalid_input_exits_2_before_running_anything(tmp_path: Path, capsys):
    data = write_period(tmp_path / "bad", [account_row("100", "1.005")], [("R1", "100")])
    out = tmp_path / "reports"
    status = cli.main(["report", "--data", str(data), "--period", "2026-11", "--out", str(out)])
    assert status == EXIT_INPUT
    assert "available_balance" in capsys.readouterr().err
    assert not out.exists()


def test_bad_period_and_missing_previous_are_parameter_errors(demo_run, tmp_path: Path):
    data, _, _, _ = demo_run
    with pytest.raises(ParameterError, match="YYYY-MM"):
        runner.run_report(ReportSettings(data, "2026-13", tmp_path))
    with pytest.raises(ParameterError, match=r"verdicts\.csv"):
        runner.run_report(ReportSettings(data, "2026-11", tmp_path, previous=tmp_path))


def test_a_kernel_of_another_python_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    spec = tmp_path / "kernels" / "elsewhere"
    spec.mkdir(parents=True)
    argv = ["/opt/other/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "x", "language": "python"})
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    with pytest.raises(ReportError, match="not the Python running auditkit"):
        execute.check_kernel("elsewhere")
    assert execute.check_kernel("python3")[0]
    with pytest.raises(ReportError, match="no Jupyter kernel named 'missing'"):
        execute.check_kernel("missing")


# ---- headless Chromium -----------------------------------------------------------------

CHROMIUM = execute.find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium installed (apt-get install chromium)"
)


@pytest.mark.browser
@needs_chromium
def test_report_renders_in_headless_chromium(demo_run, tmp_path: Path):
    _, run, _, _ = demo_run
    shot = tmp_path / "report.png"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        run.html.as_uri(),
    ]
    subprocess.run(command, capture_output=True, timeout=120, check=True)
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG")
    assert len(png) > 50_000  # a blank page is a few kilobytes

    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (2000, 1280)
    assert pixels[..., :3].std() > 0.05  # text, tables and the chart, not one colour


@pytest.mark.browser
@needs_chromium
def test_report_prints_to_pdf(demo_run, tmp_path: Path):
    _, run, _, _ = demo_run
    pdf = tmp_path / "report.pdf"
    execute.print_pdf(run.html, pdf, CHROMIUM)
    assert pdf.read_bytes().startswith(b"%PDF")


# ---- the reporting period ---------------------------------------------------------------


def test_a_period_report_judges_only_its_months_requests(tmp_path: Path):
    """Requests of September, October and November in one extract; the October report, at
    the snapshot. (Each request at its own moment: test_signable.py's October report.)"""
    data = tmp_path / "data"
    raw = demo.generate(requests=240, seed=5, as_of=dt.date(2026, 12, 1), request_months=3)
    demo.write(raw, data)
    run = runner.run_report(
        ReportSettings(data, "2026-10", tmp_path / "reports", as_of="2026-11-15", at="snapshot")
    )
    assert_judges_only_its_months_requests(raw, run, "snapshot", "2026-11-15")


def assert_judges_only_its_months_requests(
    raw: dict, run: runner.ReportRun, at: str, as_of: str
) -> None:
    """`run`, the October report of the extract `raw` (requests of September, October and
    November) made `at` the snapshot or each request's moment, as of a day after every October
    request, judged October's only."""
    requested = raw["requests"]["requested_at"]
    counts = {
        "before": int((requested < "2026-10-01").sum()),
        "inside": int(((requested >= "2026-10-01") & (requested < "2026-11-01")).sum()),
        "after": int((requested >= "2026-11-01").sum()),
    }
    assert all(counts.values())
    population = run.manifest["population"]
    assert population == {
        "period": "2026-10",
        "moment": at,
        "requests_read": len(raw["requests"]),
        "requests_in_period": counts["inside"],
        "requests_before_period": counts["before"],
        "requests_after_period": counts["after"],
        "requests_after_as_of": 0,  # as_of is after every October request
    }
    verdicts = pd.read_csv(run.folder / "verdicts.csv", dtype=str)
    assert len(verdicts) == counts["inside"] == run.manifest["summary"]["requests"]
    october = set(
        raw["requests"]["request_id"][(requested >= "2026-10-01") & (requested < "2026-11-01")]
    )
    assert set(verdicts["request_id"]) == october
    results = pd.read_parquet(run.folder / "results.parquet")
    assert set(results["request_id"].astype(str)) == october
    page = run.html.read_text("utf-8")
    quality = {row[0]: int(row[1]) for row in table_rows(page, "data-quality")}
    assert quality["requests made before 2026-10 (not judged)"] == counts["before"]
    assert quality["requests made after 2026-10 (not judged)"] == counts["after"]
    scope = html.unescape(re.search(r'<p class="ak-scope">(.*?)</p>', page, re.S).group(1))
    assert f"judges the {counts['inside']:,} requests made in 2026-10" in scope
    if at == "requested":
        assert "each is judged at the moment it was made (its requested_at)" in scope
    else:
        assert f"judged against the data as of {as_of} (00:00 UTC), not at its own" in scope


def test_snapshot_mode_counts_the_period_requests_made_after_as_of(tmp_path: Path):
    data = tmp_path / "data"
    raw = demo.generate(requests=120, seed=5, as_of=dt.date(2026, 11, 1))
    demo.write(raw, data)
    requested = raw["requests"]["requested_at"]
    late = int((requested > "2026-10-20").sum())
    run = runner.run_report(
        ReportSettings(data, "2026-10", tmp_path / "reports", as_of="2026-10-20")
    )
    assert run.manifest["population"]["requests_after_as_of"] == late > 0
    quality = {
        row[0]: int(row[1]) for row in table_rows(run.html.read_text("utf-8"), "data-quality")
    }
    assert quality["requests of the period made after as_of 2026-10-20"] == late


def test_only_the_shipped_notebook_gets_a_kernel_warmed_with_its_imports(tmp_path: Path) -> None:
    """The kernel started ahead imports the shipped notebook's modules first; a notebook of
    one's own (a copy of the shipped one included) gets a plain kernel."""
    shipped = execute.find_notebook()
    assert execute.is_shipped(shipped)
    assert not execute.is_shipped(TINY)
    shutil.copy(shipped, tmp_path / "copy.ipynb")
    assert not execute.is_shipped(tmp_path / "copy.ipynb")

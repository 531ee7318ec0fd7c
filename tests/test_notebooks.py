"""Every notebook in notebooks/ runs headless on demo data, and is committed without outputs.

Each notebook gets only the parameters its `parameters` cell declares, from
one offer: the demo data directory, its snapshot date, a small demo size, and
the demo judged and saved as the report runner saves it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest

import auditkit.demo as demo
from auditkit.dates import iso_seconds, utc_now
from auditkit.explore.launch import notebook_path
from auditkit.io.tables import load_tables
from auditkit.report import runner
from auditkit.report.settings import ReportSettings, prepare

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
DEMO_REQUESTS = 300
CELL_TIMEOUT = 180
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("notebook-demo")
    demo.write(demo.generate(requests=DEMO_REQUESTS), data)
    return data


@pytest.fixture(scope="module")
def run_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data judged and saved as `auditkit report` saves it for its notebook."""
    folder = tmp_path_factory.mktemp("saved-run")
    plan = prepare(
        ReportSettings(
            demo_dir,
            "2026-11",
            folder,
            as_of=demo.DEFAULT_AS_OF.isoformat(),
            cell_timeout=CELL_TIMEOUT,
        )
    )
    tables = load_tables(demo_dir)
    runner.evaluate_and_save(
        plan, tables, folder, runner.describe_plan(plan, tables, iso_seconds(utc_now()))
    )
    return folder


def offered_parameters(demo_dir: Path, run_dir: Path) -> dict[str, object]:
    return {
        "run_dir": str(run_dir),
        "data_dir": str(demo_dir),
        "as_of": demo.DEFAULT_AS_OF.isoformat(),
        "demo_requests": DEMO_REQUESTS,
    }


def test_there_are_notebooks():
    assert {"explorer.ipynb", "whatif.ipynb"} <= {path.name for path in NOTEBOOKS}


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_on_demo_data(notebook: Path, demo_dir: Path, run_dir: Path, tmp_path: Path):
    declared = papermill.inspect_notebook(str(notebook))
    offered = offered_parameters(demo_dir, run_dir)
    parameters = {k: v for k, v in offered.items() if k in declared}
    executed = papermill.execute_notebook(
        str(notebook),
        str(tmp_path / notebook.name),
        parameters=parameters,
        kernel_name="python3",
        cwd=str(tmp_path),
        execution_timeout=CELL_TIMEOUT,
        progress_bar=False,
    )
    outputs = [out for cell in executed.cells for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.get("output_type") == "error"]
    if notebook.name == "explorer.ipynb":
        widget_views = [o for o in outputs if WIDGET_VIEW in o.get("data", {})]
        assert widget_views, "the explorer notebook displayed no widget"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_committed_without_outputs(notebook: Path):
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, notebook.name
    tagged = [cell for cell in nb.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{notebook.name} needs exactly one cell tagged 'parameters'"


def test_explorer_serves_the_repository_notebook():
    """notebooks/ is the single source; there is no second copy to drift."""
    assert notebook_path() == ROOT / "notebooks" / "explorer.ipynb"


# ---- the report notebook run by papermill alone, as docs/reports.md shows ----------------

DOCS = ROOT / "docs" / "reports.md"
VARYING = re.compile(
    r"<tr><th>Generated at</th><td>[^<]*</td></tr>|<td[^>]*>Started at</td><td[^>]*>[^<]*</td>"
)


def documented_papermill_commands() -> str:
    """The shell block of docs/reports.md that runs the report notebook with papermill."""
    blocks = re.findall(r"```sh\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    (block,) = [b for b in blocks if b.startswith("papermill notebooks/compliance_report")]
    return block


def section_outputs(notebook: Path) -> list[str]:
    """The HTML each code cell of an executed report notebook shows, moments of the run cut."""
    executed = nbformat.read(notebook, as_version=4)
    outputs = [
        output["data"]["text/html"]
        for cell in executed.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "text/html" in output.get("data", {})
    ]
    return [VARYING.sub("", html) for html in outputs]


@pytest.mark.slow
def test_papermill_alone_runs_the_report_notebook_and_shows_what_auditkit_report_shows(
    tmp_path: Path,
):
    """The commands of docs/reports.md, as written, in a folder laid out like a fresh clone
    after `make report`'s demo step; then `auditkit report` on the same data."""
    (tmp_path / "notebooks").symlink_to(ROOT / "notebooks", target_is_directory=True)
    demo.write(
        demo.generate(requests=240, seed=3, as_of=dt.date(2026, 12, 1), request_months=2),
        tmp_path / "demo-data",
    )
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", documented_papermill_commands()],
        cwd=tmp_path,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "compliance-2026-11.html").is_file()
    alone = section_outputs(tmp_path / "compliance-2026-11.ipynb")

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        report = runner.run_report(
            ReportSettings(
                Path("demo-data"), "2026-11", Path("reports"), as_of="2026-12-01", at="requested"
            )
        )
    made = section_outputs(tmp_path / report.folder / "report.ipynb")
    assert len(alone) == len(made) > 10
    for mine, theirs in zip(alone, made, strict=True):
        assert mine == theirs
    assert "In 2026-11, " in alone[2] and "Generated at" not in "".join(alone)


def test_the_report_notebook_declares_what_a_user_knows():
    """papermill reads every parameter (a comment it cannot parse drops one silently)."""
    declared = papermill.inspect_notebook(str(ROOT / "notebooks" / "compliance_report.ipynb"))
    assert list(declared) == [
        "data_dir",
        "period",
        "as_of",
        "at",
        "params_json",
        "previous_dir",
        "currency",
        "run_dir",
    ]
    assert {name: p["default"] for name, p in declared.items()}["at"] == '"snapshot"'

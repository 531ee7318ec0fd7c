"""Every notebook in notebooks/ runs headless on demo data, and is committed without outputs.

Each notebook gets only the parameters its `parameters` cell declares, from
one offer: the demo data directory, its snapshot date, a small demo size, and
the demo judged and saved as the report runner saves it.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

import auditkit.demo as demo
from auditkit.dates import iso_seconds, utc_now
from auditkit.explore.launch import notebook_path
from auditkit.io.tables import load_tables
from auditkit.report import runner

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
    plan = runner.prepare(
        demo_dir,
        "2026-11",
        folder,
        as_of=demo.DEFAULT_AS_OF.isoformat(),
        previous=None,
        params=None,
        pdf=False,
        notebook_path=None,
        kernel_name="python3",
        cell_timeout=CELL_TIMEOUT,
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

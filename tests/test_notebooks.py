"""Every notebook in notebooks/ runs headless on demo data, and is committed without outputs.

Each notebook gets only the parameters its `parameters` cell declares, from
one offer: the demo data directory, its snapshot date and a small demo size.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill
import pytest

from auditkit import demo
from auditkit.serve import notebook_path

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


def offered_parameters(demo_dir: Path) -> dict[str, object]:
    return {
        "data_dir": str(demo_dir),
        "as_of": demo.DEFAULT_AS_OF.isoformat(),
        "demo_requests": DEMO_REQUESTS,
    }


def test_there_are_notebooks():
    assert {"explorer.ipynb", "whatif.ipynb"} <= {path.name for path in NOTEBOOKS}


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_on_demo_data(notebook: Path, demo_dir: Path, tmp_path: Path):
    declared = papermill.inspect_notebook(str(notebook))
    parameters = {k: v for k, v in offered_parameters(demo_dir).items() if k in declared}
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

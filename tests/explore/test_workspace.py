"""A cached workspace does its heavy steps in worker processes, with the same outcome."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import auditkit.demo as demo
from auditkit.analysis.findings import Findings, FindingsFilter
from auditkit.analysis.whatif import SettleOpenOrders
from auditkit.explore.isolate import IsolatedError, run_isolated
from auditkit.explore.workspace import NOT_KEPT, TablesWorkspace, judge_once, open_data
from auditkit.io.tables import load_tables
from auditkit.params import Params
from auditkit.rules.pob import POB

PARAMS = Params(as_of=demo.DEFAULT_AS_OF, at="requested")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("workspace") / "data"
    demo.write(demo.generate(requests=120), folder)
    return folder


def test_judged_once_in_a_worker_then_opened(data_dir: Path, tmp_path: Path):
    phases: list[str] = []
    assert judge_once(data_dir, PARAMS, POB, tmp_path, phases.append)
    assert {"load", "evaluate", "save"} <= set(phases)
    assert not judge_once(data_dir, PARAMS, POB, tmp_path)  # cached: nothing to do
    opened = open_data(data_dir, PARAMS, POB, tmp_path)
    assert len(opened.result.cases) == 120 and opened.has_history
    assert opened.data_key == opened.run.key


def test_what_if_and_export_in_workers_match_in_memory(data_dir: Path, tmp_path: Path):
    cached = open_data(data_dir, PARAMS, POB, tmp_path / "cache")
    memory = TablesWorkspace(load_tables(data_dir, require_history=True), PARAMS)
    scenario = PARAMS.replace(j10_require_both=True)
    phases: list[str] = []
    isolated = cached.whatif(scenario, (SettleOpenOrders(),), phases.append)
    local = memory.whatif(scenario, (SettleOpenOrders(),))
    assert phases == ["read", "evaluate"]
    assert isolated.summary() == local.summary()
    pd.testing.assert_frame_equal(isolated.changed, local.changed, check_dtype=False)
    assert isolated.scenario.reason_texts.tolist() == [NOT_KEPT]

    index = Findings(cached.result)
    positions = index.select(FindingsFilter(rule_id="POB-J07", statuses=("fail",)))
    written, rows = cached.export(positions, None, "csv", tmp_path / "exports")
    assert rows == len(positions) > 0 and written.parent == tmp_path / "exports"
    exported = pd.read_csv(written, dtype=str)
    assert exported["request_id"].tolist() == index.frame(positions)["request_id"].tolist()
    assert set(exported["rule_id"]) == {"POB-J07"}


def _fails(_progress: object) -> None:
    raise ValueError("boom")


def test_a_worker_failure_is_raised_here():
    # One line for the page; the traceback goes to the worker's stderr (the server's log).
    with pytest.raises(IsolatedError, match=r"^an internal error \(ValueError\)[^\n]*$"):
        run_isolated(_fails)

"""The evaluation cache: judged once per (input files, parameters, catalogue), read back identical."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import auditkit.demo as demo
from auditkit.engine import cache as cache_module
from auditkit.engine.cache import EvaluationCache
from auditkit.engine.evaluate import evaluate
from auditkit.io.tables import load_tables
from auditkit.params import Params
from auditkit.rules.pob import POB

KEYS = {
    "accounts": ["uin"],
    "orders": ["order_id"],
    "vouchers": ["voucher_id"],
    "requests": ["request_id"],
    "account_history": ["uin", "valid_from"],
    "order_events": ["order_id", "at"],
    "voucher_events": ["voucher_id", "at"],
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cache") / "data"
    demo.write(demo.generate(requests=150), folder)
    return folder


def _phases(cache: EvaluationCache, data_dir: Path, params: Params) -> tuple[object, list[str]]:
    seen: list[str] = []
    return cache.open(data_dir, params, POB, seen.append), seen


@pytest.mark.parametrize("at", ["snapshot", "requested"])
def test_judged_once_then_read_back_identical(data_dir: Path, tmp_path: Path, at: str):
    params = Params(as_of=demo.DEFAULT_AS_OF, at=at)
    cache = EvaluationCache(tmp_path / "cache")
    first, phases = _phases(cache, data_dir, params)
    assert phases == ["hash", "load", "validate", "evaluate", "save", "open"]
    again, phases = _phases(cache, data_dir, params)
    assert phases == ["hash"] and again.folder == first.folder

    tables = load_tables(data_dir, require_history=params.at_requested)
    direct = evaluate(tables, params, POB)
    cached = again.result
    assert np.array_equal(np.asarray(cached.status_codes), direct.status_codes)
    assert list(cached.reason_texts[np.asarray(cached.reason_codes).ravel()]) == list(
        direct.reason_texts[direct.reason_codes.ravel()]
    )
    # Integer and timestamp columns stay Arrow-backed in the mapped file: same values.
    pd.testing.assert_frame_equal(cached.cases, direct.cases, check_dtype=False)
    mapped = [c for c in cached.cases if isinstance(cached.cases[c].dtype, pd.ArrowDtype)]
    assert "requested_at" in mapped and "open_orders" in mapped
    pd.testing.assert_frame_equal(cached.verdicts, direct.verdicts)
    for name, rows in direct.evidence_rows.items():
        pd.testing.assert_frame_equal(
            cached.evidence_rows[name], rows.reset_index(drop=True), check_dtype=False
        )
    assert again.manifest["inputs"]["requests"]["sha256"] == tables.sources["requests"].sha256


def test_tables_come_back_typed_and_judge_the_same(data_dir: Path, tmp_path: Path):
    params = Params(as_of=demo.DEFAULT_AS_OF, at="requested")
    run = EvaluationCache(tmp_path).open(data_dir, params, POB)
    tables = load_tables(data_dir, require_history=True)
    back = run.tables()
    assert back.names == tables.names
    for name in tables.names:
        pd.testing.assert_frame_equal(
            back[name].sort_values(KEYS[name]).reset_index(drop=True),
            tables[name].sort_values(KEYS[name]).reset_index(drop=True),
        )
    pd.testing.assert_frame_equal(back.requests, tables.requests)  # requests keep their order
    assert np.array_equal(evaluate(back, params, POB).status_codes, run.result.status_codes)


def test_rows_of_one_member(data_dir: Path, tmp_path: Path):
    run = EvaluationCache(tmp_path).open(
        data_dir, Params(as_of=demo.DEFAULT_AS_OF, at="requested"), POB
    )
    tables = load_tables(data_dir, require_history=True)
    for uin in tables.orders["uin"].drop_duplicates().iloc[:20]:
        orders = run.rows_of("orders", uin)
        assert sorted(orders["order_id"]) == sorted(
            tables.orders["order_id"][tables.orders["uin"] == uin]
        )
        mine = set(orders["order_id"])
        events = run.rows_of("order_events", uin)
        assert set(events["order_id"]) == mine
        expected = tables.order_events["order_id"].isin(sorted(mine)).sum()
        assert len(events) == expected
    assert run.rows_of("accounts", "no-such-uin").empty
    assert list(run.rows_of("accounts", "no-such-uin").columns) == list(tables.accounts.columns)


def test_a_changed_file_or_parameter_is_a_new_entry(data_dir: Path, tmp_path: Path):
    work = tmp_path / "data"
    demo.write(demo.generate(requests=40), work)
    cache = EvaluationCache(tmp_path / "cache")
    params = Params(as_of=demo.DEFAULT_AS_OF)
    first = cache.open(work, params, POB)
    assert cache.open(work, params.replace(j10_require_both=True), POB).folder != first.folder
    requests = work / "requests.csv"
    requests.write_text(requests.read_text().replace("approved", "rejected", 1))
    changed, phases = _phases(cache, work, params)
    assert changed.folder != first.folder and "evaluate" in phases
    assert len(cache.entries()) <= cache_module.KEEP


def test_unchanged_files_are_not_hashed_again(data_dir: Path, tmp_path: Path, monkeypatch):
    cache = EvaluationCache(tmp_path)
    files = cache_module.input_files(data_dir, Params())
    first = cache.digests(files)
    monkeypatch.setattr(cache_module, "sha256_file", lambda path: pytest.fail(f"hashed {path}"))
    assert cache.digests(files) == first


def test_sessions_opening_at_once_judge_once(data_dir: Path, tmp_path: Path, monkeypatch):
    judged: list[int] = []
    real = cache_module.evaluate

    def counting(*args, **kwargs):
        judged.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cache_module, "evaluate", counting)
    cache = EvaluationCache(tmp_path)
    params = Params(as_of=demo.DEFAULT_AS_OF)
    runs: list[object] = []
    threads = [
        threading.Thread(target=lambda: runs.append(cache.open(data_dir, params, POB)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(judged) == 1 and len({run.folder for run in runs}) == 1

"""What the explorer explores: one evaluation, the rows behind it, and how a what-if runs.

`TablesWorkspace` holds tables in memory (the built-in demo, a notebook's own
tables, tests) and runs a what-if in-process. `CachedWorkspace` reads a
cached evaluation (`auditkit.engine.cache`): the kernel maps the case frame
and the codes, looks one member's rows up on disk, and runs a what-if in a
worker process that maps the cached tables, judges and sends back only the
scenario's codes (`isolate.run_isolated`), so no session ever holds the
input tables. `open_data` is the way in: judged once in a worker, then read.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from auditkit.analysis.edits import Edit
from auditkit.analysis.member import RowsOf, table_rows
from auditkit.analysis.scenarios import edit_from_dict, edit_to_dict
from auditkit.analysis.whatif import WhatIfDiff, diff, whatif
from auditkit.contract import REQUEST_FIELDS
from auditkit.engine.cache import EvaluationCache
from auditkit.engine.cache_entry import CachedRun, read_tables
from auditkit.engine.evaluate import evaluate
from auditkit.engine.result import AuditResult
from auditkit.explore.isolate import IsolatedError, run_isolated
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.progress import Progress, silent
from auditkit.rules.catalogues import choose_catalogue, from_record, record
from auditkit.rules.model import Catalogue


class TablesWorkspace:
    """An evaluation of tables held in memory."""

    def __init__(
        self,
        tables: Tables,
        params: Params | None = None,
        source: str = "",
        catalogue: Catalogue | None = None,
    ) -> None:
        self.tables = tables
        self.result = evaluate(tables, params or Params(), catalogue or choose_catalogue())
        self.source = source
        self.rows_of: RowsOf = table_rows(tables)
        # Outcomes of saved scenarios are matched to the baseline they were computed on.
        digest = hashlib.sha256(np.ascontiguousarray(self.result.status_codes).tobytes())
        digest.update("\n".join(self.result.cases["request_id"].astype("str")).encode())
        digest.update(self.result.params.fingerprint().encode())
        self.data_key = digest.hexdigest()

    @property
    def has_history(self) -> bool:
        return self.tables.has_history

    def whatif(
        self, params: Params, edits: tuple[Edit, ...], progress: Progress = silent
    ) -> WhatIfDiff:
        progress("evaluate")
        return whatif(self.tables, self.result, params, edits)


NOT_KEPT = "(reasons are not kept for a what-if judged in a worker process)"


def _judge_scenario(
    folder: str,
    params: dict[str, object],
    edits: list[dict[str, object]],
    catalogue: dict[str, object],
    progress: Progress,
) -> np.ndarray:
    """In a worker: the scenario's status codes, judged on the cached tables with the edits."""
    from auditkit.analysis.edits import apply_edits

    progress("read")
    scenario = Params.from_dict(params)
    tables = apply_edits(read_tables(Path(folder)), [edit_from_dict(e) for e in edits], scenario)
    progress("evaluate")
    return evaluate(tables, scenario, from_record(catalogue)).status_codes


def _export_findings(
    folder: str,
    params: dict[str, object],
    positions: np.ndarray,
    review: tuple[np.ndarray, tuple[str, ...]] | None,
    fmt: str,
    out: str,
    catalogue: dict[str, object],
    progress: Progress,
) -> tuple[str, int]:
    """In a worker: write the findings at `positions` of the cached evaluation; (path, rows)."""
    from auditkit.analysis.findings import Findings
    from auditkit.explore.exports import write_export

    progress("read")
    cache = EvaluationCache(Path(folder).parent)
    run = cache.read(Path(folder), Params.from_dict(params), from_record(catalogue))
    if run is None:
        raise IsolatedError(f"the evaluation cached in {folder} is gone; reload the page")
    index = Findings(run.result)
    if review is not None:
        index.set_review(*review)
    frame = index.frame(positions)
    progress("write")
    return str(write_export(frame, Path(out), fmt)), len(frame)


class CachedWorkspace:
    """A cached evaluation read memory-mapped; what-ifs are judged in a worker process."""

    def __init__(self, run: CachedRun, source: str = "") -> None:
        self.run = run
        self.result = run.result
        self.source = source
        self.rows_of: RowsOf = run.rows_of
        self.data_key = run.key

    @property
    def has_history(self) -> bool:
        return self.run.has("account_history")

    def whatif(
        self, params: Params, edits: tuple[Edit, ...], progress: Progress = silent
    ) -> WhatIfDiff:
        """The scenario judged in a worker. Only its status codes come back (the diff needs no
        more): its `cases` are the request columns and its reasons one placeholder."""
        status = run_isolated(
            _judge_scenario,
            str(self.run.folder),
            params.to_dict(),
            [edit_to_dict(edit) for edit in edits],
            record(self.result.catalogue),
            progress=progress,
        )
        baseline = self.result
        scenario = AuditResult(
            params=params,
            catalogue=baseline.catalogue,
            cases=baseline.cases[list(REQUEST_FIELDS)],
            status_codes=status,
            reason_codes=np.broadcast_to(np.int32(0), status.shape),
            reason_texts=np.asarray([NOT_KEPT], dtype=object),
        )
        return diff(baseline, scenario, edits)

    def export(
        self,
        positions: np.ndarray,
        review: tuple[np.ndarray, tuple[str, ...]] | None,
        fmt: str,
        out: Path,
        progress: Progress = silent,
    ) -> tuple[Path, int]:
        """Write the findings at `positions` in a worker (a million rows, or an Excel workbook,
        would otherwise stay in the session's memory); (path, rows)."""
        path, rows = run_isolated(
            _export_findings,
            str(self.run.folder),
            self.result.params.to_dict(),
            np.asarray(positions, dtype=np.int64),
            review,
            fmt,
            str(out),
            record(self.result.catalogue),
            progress=progress,
        )
        return Path(path), rows


def _judge_data(
    root: str,
    data_dir: str,
    params: dict[str, object],
    catalogue: dict[str, object],
    progress: Progress,
) -> str:
    """In a worker: read, judge and cache `data_dir`; the folder of the cached evaluation."""
    chosen = from_record(catalogue)
    run = EvaluationCache(root).open(data_dir, Params.from_dict(params), chosen, progress)
    return str(run.folder)


def judge_in_worker(
    data_dir: Path | str,
    params: Params,
    catalogue: Catalogue,
    cache_root: Path | str,
    progress: Progress = silent,
) -> str:
    """Judge and cache `data_dir` in a worker process; the folder of the cached evaluation."""
    return run_isolated(
        _judge_data,
        str(cache_root),
        str(data_dir),
        params.to_dict(),
        record(catalogue),
        progress=progress,
    )


def judge_once(
    data_dir: Path | str,
    params: Params,
    catalogue: Catalogue,
    cache_root: Path | str,
    progress: Progress = silent,
) -> bool:
    """Make sure `data_dir` is judged and cached (in a worker); True when it had to be judged."""
    if EvaluationCache(cache_root).has(data_dir, params, catalogue):
        return False
    judge_in_worker(data_dir, params, catalogue, cache_root, progress)
    return True


def open_data(
    data_dir: Path | str,
    params: Params,
    catalogue: Catalogue,
    cache_root: Path | str,
    progress: Progress = silent,
) -> CachedWorkspace:
    """The evaluation of `data_dir`: read from the cache, else judged once in a worker first."""
    cache = EvaluationCache(cache_root)
    progress("hash")
    found = cache.ready(data_dir, params, catalogue)
    if found is None:
        folder = judge_in_worker(data_dir, params, catalogue, cache_root, progress)
        found = cache.read(Path(folder), params, catalogue)
        if found is None:  # pragma: no cover - the worker wrote it a moment ago
            raise IsolatedError(f"the evaluation cached in {folder} cannot be read")
    return CachedWorkspace(found, str(data_dir))


Workspace = TablesWorkspace | CachedWorkspace

"""`auditkit check` as a library: `run_check(CheckSettings(...))` judges a data set into a folder.

Like papermill's `execute_notebook`, the run is a short script of named
steps: refuse what cannot work before reading anything (`check_settings`),
read each input once and validate it, evaluate every rule, record the
findings in the register if there is one, tabulate, describe the run
(`io.manifest.describe_run`), then write and publish the folder in one swap
(`io.output`). The Dask engine runs the same steps over a cluster
(`engine.distributed.run.check_on_dask`). The command line only parses
options into `CheckSettings` and prints what `run_check` returns.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from auditkit.errors import ParameterError
from auditkit.params import Params
from auditkit.progress import Progress, silent
from auditkit.rules.model import Catalogue
from auditkit.vocab import Engine


@dataclass(frozen=True)
class CheckSettings:
    """What one check judges, how, and where it writes."""

    data: str
    out: str
    params: Params
    catalogue: Catalogue
    fmt: str = "csv"
    db: str | None = None
    engine: Engine = Engine.PANDAS
    scheduler: str | None = None
    workers: int | None = None
    memory_limit: str | None = None


@dataclass(frozen=True)
class CheckRun:
    """What a check did: the counts its summary shows and where it wrote."""

    params: Params
    verdict_counts: dict[str, int]
    exception_counts: dict[str, int]
    rule_counts: pd.DataFrame
    late_warning: str
    written: dict[str, str]
    manifest: dict[str, object]
    review: dict[str, object] | None = None
    worker_peaks: dict[str, int] = field(default_factory=dict)


def check_settings(settings: CheckSettings) -> None:
    """Refuse, before anything is read or judged, options and outputs that cannot work."""
    from auditkit.io.files import local_path, reachable_store
    from auditkit.io.output import check_out

    dask = settings.engine == Engine.DASK
    cluster = {"--scheduler": settings.scheduler, "--workers": settings.workers}
    cluster["--memory-limit"] = settings.memory_limit
    for option, value in cluster.items():
        if value is not None and not dask:
            raise ParameterError(
                f"{option} sizes or names a Dask cluster; it needs --engine dask "
                f"(the pandas engine runs in this process)"
            )
    if dask and settings.db is not None:
        raise ParameterError(
            "--db records findings from a run held in memory; use the pandas engine for it"
        )
    if dask and settings.params.at_requested:
        raise ParameterError(
            "--at requested runs on the pandas engine only; the Dask engine judges the "
            "snapshot at --as-of (--at snapshot)"
        )
    if local_path(settings.data) is None:
        reachable_store(settings.data, "--data")
    check_out(settings.out)


def run_check(settings: CheckSettings, progress: Progress = silent) -> CheckRun:
    """Judge `settings.data` and publish results, verdicts and manifest into `settings.out`."""
    check_settings(settings)
    if settings.engine == Engine.DASK:
        return _on_dask(settings, progress)
    with _register(settings.db) as register, _local_data(settings.data) as data:
        return _on_pandas(settings, data, register, progress)


def _on_pandas(settings: CheckSettings, data: Path, register, progress: Progress) -> CheckRun:
    from auditkit.analysis.summaries import requests_after
    from auditkit.dates import iso_seconds, utc_now
    from auditkit.engine.evaluate import evaluate
    from auditkit.interrupts import achieved, uninterrupted
    from auditkit.io.manifest import describe_run
    from auditkit.io.output import output_folder
    from auditkit.io.tables import load_tables as load
    from auditkit.io.write import json_text

    params = settings.params
    tables = load(data, progress=progress, require_history=params.at_requested)
    progress("evaluate")
    result = evaluate(tables, params, settings.catalogue)
    reviewed = None
    if register is not None:
        from auditkit.review.reviewed_run import record_reviewed_run

        progress("record findings")
        reviewed = record_reviewed_run(register, result, "check")
    progress("tabulate")
    verdicts = result.verdicts if reviewed is None else reviewed.verdicts
    frames = {"results": result.results_table(), "verdicts": verdicts}
    manifest = describe_run(
        params,
        settings.catalogue,
        _inputs_at(tables, settings.data),
        command="check",
        engine={"name": Engine.PANDAS.value},
        written_at=iso_seconds(utc_now()),
        verdicts=result.verdict_counts(),
        control_exceptions=result.exception_counts(),
        **({"review": reviewed.facts} if reviewed is not None else {}),
    )
    progress("write")
    written: dict[str, str] = {}
    in_place = f"the new results in {settings.out} were all in place"
    # A stop once the new set is in place says so (not "no output was replaced").
    with achieved(in_place, lambda: bool(written)):
        with output_folder(settings.out, settings.fmt) as folder:
            # Arrow encodes and compresses without the GIL: the tables are written side by side.
            with ThreadPoolExecutor(max_workers=2) as pool:
                for done in [
                    pool.submit(folder.write, f"{name}.{settings.fmt}", frame)
                    for name, frame in frames.items()
                ]:
                    done.result()
            with uninterrupted(done=in_place):  # held through the swap and until `written` is set
                written = folder.publish(manifest)
        if reviewed is not None:
            digest = hashlib.sha256(json_text(manifest).encode()).hexdigest()
            register.attach_manifest(reviewed.recorded.run_id, digest)
        return CheckRun(
            params=params,
            verdict_counts=result.verdict_counts(),
            exception_counts=result.exception_counts(),
            rule_counts=result.rule_counts(),
            late_warning=requests_after(tables, params),
            written=written,
            manifest=manifest,
            review=None if reviewed is None else reviewed.facts,
        )


def _on_dask(settings: CheckSettings, progress: Progress) -> CheckRun:
    from auditkit.analysis.summaries import late_warning
    from auditkit.engine.distributed.cluster import connect, worker_peaks
    from auditkit.engine.distributed.run import check_on_dask

    progress("start cluster")
    with connect(settings.scheduler, settings.workers, settings.memory_limit) as client:
        run, manifest = check_on_dask(
            client,
            settings.data,
            settings.out,
            settings.fmt,
            settings.params,
            settings.catalogue,
            progress,
        )
        peaks = worker_peaks(client) if not settings.scheduler else {}
    return CheckRun(
        params=settings.params,
        verdict_counts=run.verdict_counts,
        exception_counts=run.exception_counts,
        rule_counts=run.rule_counts,
        late_warning=late_warning(run.late, run.latest, settings.params),
        written=run.written,
        manifest=manifest,
        worker_peaks=peaks,
    )


@contextlib.contextmanager
def _register(db: str | None) -> Iterator[object]:
    """The review register of --db, opened (a bad one is refused before the data is read)."""
    if db is None:
        yield None
        return
    from auditkit.review.register import Register

    register = Register.open(db)
    try:
        yield register
    finally:
        register.close()


@contextlib.contextmanager
def _local_data(location: str) -> Iterator[Path]:
    """The data folder as a local path: itself, or a copy of a remote one's table files."""
    from auditkit.contract import ALL_TABLES
    from auditkit.io.files import local_copy, local_path

    folder = local_path(location)
    if folder is not None:
        yield folder
        return
    with local_copy(location, ALL_TABLES) as copy:
        yield copy


def _inputs_at(tables, location: str) -> dict[str, dict[str, object]]:
    """The inputs as the manifest names them: the user's URL, not the local copy."""
    from auditkit.io.files import is_url, join
    from auditkit.io.manifest import input_files

    inputs = input_files(tables)
    if is_url(location) and not location.startswith("file://"):
        for entry in inputs.values():
            entry["path"] = join(location, entry["file"])
    return inputs

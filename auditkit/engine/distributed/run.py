"""One `auditkit check --engine dask` run: plan, validate, judge and write, describe, publish."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from auditkit.contract import HISTORY_TABLES, TABLE_NAMES
from auditkit.engine.distributed import checks, judging
from auditkit.engine.distributed.output import Output
from auditkit.engine.distributed.sources import TableFiles, plan, sha256_of
from auditkit.errors import InputError, ParameterError
from auditkit.io.manifest import describe_run
from auditkit.io.output import output_folder
from auditkit.params import Params
from auditkit.progress import Progress, silent
from auditkit.rules.model import Catalogue
from auditkit.vocab import STATUSES, ControlException, Verdict


@dataclass(frozen=True)
class DistributedRun:
    """What a Dask run judged and wrote: the counts a summary and a manifest need."""

    params: Params
    catalogue: Catalogue
    verdict_counts: dict[str, int]
    exception_counts: dict[str, int]
    rule_counts: pd.DataFrame  # per rule: title, then one column per status
    late: int
    latest: pd.Timestamp | None
    partitions: int
    written: dict[str, str] = field(default_factory=dict)


def check_on_dask(
    client,
    data: str,
    out: str,
    fmt: str,
    params: Params,
    catalogue: Catalogue,
    progress: Progress = silent,
) -> tuple[DistributedRun, dict[str, object]]:
    """Validate the tables under `data`, judge every request, publish into `out`; (run, manifest)."""
    if params.at_requested:
        raise ParameterError(
            "--at requested runs on the pandas engine only; the Dask engine judges the "
            "snapshot at --as-of (--at snapshot)"
        )
    progress("plan")
    files = plan(data, TABLE_NAMES, HISTORY_TABLES)
    hashes = {
        table: client.map(sha256_of, [url for url, _ in tf.files], pure=False)
        for table, tf in files.items()
    }
    progress("validate")
    problems, unlisted, rows = checks.check(client, files)
    if problems:
        raise InputError(problems, {table: tf.name for table, tf in files.items()}, unlisted)
    progress("evaluate and write")
    workers = max(len(client.scheduler_info().get("workers", {})), 1)
    requests, shared = judging.joined_requests(files, params, catalogue, workers)
    with output_folder(out, fmt) as folder:
        counts = requests.map_partitions(
            judging.judge_partition,
            params,
            catalogue,
            Output(folder),
            shared,
            meta=judging.counts_meta(catalogue),
            align_dataframes=False,
        ).compute()
        run = _run_of(counts, params, catalogue, requests.npartitions)
        progress("publish")
        manifest = describe(files, rows, client.gather(hashes), run, workers)
        written = Output(folder).finish(manifest)
    return DistributedRun(**{**run.__dict__, "written": written}), manifest


def _run_of(
    counts: pd.DataFrame, params: Params, catalogue: Catalogue, partitions: int
) -> DistributedRun:
    total = counts.drop(columns="latest").sum().astype("int64")
    rule_counts = pd.DataFrame(
        {
            status.value: [int(total[f"{rule}:{status}"]) for rule in catalogue.rule_ids]
            for status in STATUSES
        },
        index=pd.Index(catalogue.rule_ids, name="rule_id"),
    )
    rule_counts.insert(0, "title", [rule.text(params).title for rule in catalogue.rules])
    latest = counts["latest"].max()
    return DistributedRun(
        params=params,
        catalogue=catalogue,
        verdict_counts={v.value: int(total[f"verdict:{v}"]) for v in Verdict},
        exception_counts={e.value: int(total[f"exception:{e}"]) for e in ControlException},
        rule_counts=rule_counts,
        late=int(total["late"]),
        latest=None if pd.isna(latest) else latest,
        partitions=partitions,
    )


def describe(
    files: dict[str, TableFiles],
    rows: dict[str, int],
    hashes: dict[str, list[str]],
    run: DistributedRun,
    workers: int,
) -> dict[str, object]:
    """The manifest of a Dask run: the same facts as the pandas engine's, and the engine."""
    from auditkit.dates import iso_seconds, utc_now

    inputs: dict[str, dict[str, object]] = {}
    for table, tf in files.items():
        one_file = len(tf.files) == 1 and tf.files[0][0] == tf.url
        inputs[table] = {
            "file": tf.name,
            "path": tf.url,
            "bytes": sum(size for _, size in tf.files),
            "sha256": hashes[table][0] if one_file else None,
            "rows": rows[table],
        }
        if not one_file:
            inputs[table]["files"] = [
                {"path": url, "bytes": size, "sha256": digest}
                for (url, size), digest in zip(tf.files, hashes[table], strict=True)
            ]
    return describe_run(
        run.params,
        run.catalogue,
        inputs,
        libraries=("dask", "distributed", "fsspec"),
        engine={"name": "dask", "workers": workers, "partitions": run.partitions},
        command="check",
        written_at=iso_seconds(utc_now()),
        verdicts=run.verdict_counts,
        control_exceptions=run.exception_counts,
    )

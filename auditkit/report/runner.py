"""`auditkit report` as a short script of named steps.

prepare (`auditkit.report.settings`: period, parameters, previous period,
notebook, kernel) → read the data once, hashing exactly the bytes read →
evaluate and save the results into a staging folder (the notebook's kernel
starting meanwhile) → execute the notebook, which renders from those saved files
and never reads the data itself (the workpaper's sheets being written meanwhile) →
export HTML (and PDF) → finish (the workpaper's Summary and Manifest, the
manifest's final status and the sha256 of every output) → publish the folder at
`<out>/<period>/`, or record the failure and leave the previous report as it was. A run holds its period's lock
from the evaluation on, and first puts right what a killed earlier run left
behind (`auditkit.report.publish.recover`).

With a review register (`--db`), evaluating also records the run's findings
and saves the register's view of them beside the run (`auditkit.report.review`);
a period whose report was signed off is replaced only with `--supersede`, and
the signed version is kept (`auditkit.report.signoff`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from auditkit.analysis.population import Period, in_period
from auditkit.analysis.summaries import orphans, run_summary
from auditkit.dates import iso_seconds, utc_now
from auditkit.engine import run_folder
from auditkit.engine.evaluate import evaluate
from auditkit.engine.result import AuditResult
from auditkit.errors import ReportError
from auditkit.interrupts import achieved
from auditkit.io.manifest import describe_environment, describe_run, sha256_file
from auditkit.io.tables import Tables
from auditkit.io.tables import load_tables as load
from auditkit.io.write import utc_stamp, write_json
from auditkit.progress import Progress
from auditkit.report import execute as notebook
from auditkit.report.currency import currency_of
from auditkit.report.index import write_index
from auditkit.report.publish import (
    keep_failure,
    new_staging,
    period_lock,
    publish,
    recover,
    serving,
)
from auditkit.report.review import load_snapshot, record_and_snapshot
from auditkit.report.sample import write_report_sample
from auditkit.report.settings import (
    ReportPlan,
    ReportSettings,
    notebook_parameters,
    prepare,
    user_parameters,
)
from auditkit.report.signoff import refuse_silent_replacement
from auditkit.report.store import MANIFEST, SUPERSEDED_PREFIX
from auditkit.report.workpaper import WORKPAPER, Workpaper
from auditkit.review.register import Register
from auditkit.vocab import RunStatus

REPORT_TITLE = "Pay-on-behalf compliance report {period}"


@dataclass(frozen=True)
class ReportRun:
    """Where a finished report was put (paths as `--out` named them), and its manifest."""

    folder: Path
    html: Path
    index: Path
    manifest: dict[str, object]
    pdf: Path | None = None
    warnings: tuple[str, ...] = field(default=())
    superseded: Path | None = None  # the signed report this run replaced, kept here


@dataclass(frozen=True)
class Judged:
    """What evaluating the period gave: the result and the sample drawn from it, if any."""

    result: AuditResult
    sample: pd.DataFrame | None = None


def describe_plan(plan: ReportPlan, tables: Tables, started_at: str) -> dict[str, object]:
    """The manifest as known before the run: inputs, parameters, notebook, status running."""
    catalogue = plan.catalogue
    return {
        **describe_run(plan.params, catalogue, tables),
        **describe_environment(),
        "period": plan.period,
        "tolerable_rate": plan.settings.tolerable_rate,
        "currency": currency_of(tables, plan.settings.currency).to_dict(),
        "status": RunStatus.RUNNING,
        "started_at": started_at,
        "parameters": user_parameters(plan),
        "previous_dir": str(plan.previous_dir) if plan.previous_dir else None,
        "previous_skipped": list(plan.warnings),
        "notebook": describe_notebook(plan),
        "data_quality": None,  # orphans, counted beside the evaluation (see evaluate_and_save)
    }


def describe_notebook(plan: ReportPlan) -> dict[str, object]:
    """The notebook and kernel that render the report (none chosen: papermill runs it)."""
    if plan.notebook is None:
        return {"source": None, "run_by": "papermill, outside auditkit report"}
    return {
        "source": str(plan.notebook.absolute()),
        "sha256": sha256_file(plan.notebook),
        "kernel_name": plan.settings.kernel_name,
        "kernel_argv": plan.kernel_argv,
        "cell_timeout_seconds": plan.settings.cell_timeout,
    }


def evaluate_and_save(
    plan: ReportPlan,
    tables: Tables,
    staging: Path,
    manifest: dict,
    register: Register | None = None,
    quality: Future | None = None,
) -> Judged:
    """Judge the period's requests once; save results, verdicts and cases; record the
    population, the summary and the data quality (`quality`: the orphans, counted on
    another thread; None: counted here) in the manifest.

    With a register, the findings are recorded there and the verdicts get review_state.
    """
    scoped, population = in_period(tables, Period(plan.period), plan.params)
    manifest["population"] = population.to_dict()
    manifest["report_id"] = report_id(manifest)
    result = evaluate(scoped, plan.params, plan.catalogue)
    verdicts = None
    if register is not None:
        manifest["review"], verdicts = record_and_snapshot(register, result, plan.period, staging)
    run_folder.save(result, staging, verdicts=verdicts)
    drawn = None
    if plan.settings.sample is not None:  # sample.csv and sample_manifest.json, drawn or as tested
        drawn, manifest["sample"] = write_report_sample(
            result, plan.settings.sample, staging, manifest["population"]
        )
    manifest["summary"] = run_summary(result)
    manifest["data_quality"] = {"orphans": orphans(tables) if quality is None else quality.result()}
    write_json(staging / MANIFEST, manifest)
    return Judged(result, drawn)


def report_id(manifest: dict[str, object]) -> str:
    """The period and 8 hex digits of what the report is about: the inputs' sha256, the
    parameters, the catalogue and the population. The same data judged alike keeps its id."""
    identity = {
        "inputs": {table: facts["sha256"] for table, facts in dict(manifest["inputs"]).items()},
        "params": manifest["params_sha256"],
        "catalogue": manifest["rule_catalogue_sha256"],
        "population": manifest["population"],
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    return f"{manifest['period']}-{digest[:8]}"


def execute_notebook(
    plan: ReportPlan, staging: Path, kernel: notebook.ReportKernel | None = None
) -> object:
    """Run the report notebook on the saved run in `staging` (on `kernel`, started ahead,
    or one of its own); it writes report.ipynb there."""
    return notebook.execute(
        plan.notebook,
        staging / "report.ipynb",
        notebook_parameters(plan, staging),
        plan.settings.kernel_name,
        plan.settings.cell_timeout,
        kernel,
    )


def export(plan: ReportPlan, executed: object, staging: Path, manifest: dict) -> list[str]:
    """Write report.html (and report.pdf when asked); return warnings for the user."""
    html_path = staging / "report.html"
    html_path.write_text(
        notebook.export_html(executed, REPORT_TITLE.format(period=plan.period)), "utf-8"
    )
    if not plan.settings.pdf:
        return []
    problem = notebook.pdf_of(html_path, staging / "report.pdf")
    manifest["pdf"] = problem or "report.pdf"
    return [f"--pdf: {problem}; the report was written without a PDF"] if problem else []


class WorkpaperBeside:
    """The workpaper's long part (`Workpaper.write_body`) written on a thread while the
    notebook runs: the kernel is another process, and this one mostly waits for it."""

    def __init__(self, staging: Path, manifest: dict, judged: Judged) -> None:
        self.workpaper = Workpaper(
            staging / WORKPAPER,
            judged.result,
            manifest,
            judged.sample,
            review=load_snapshot(staging),
        )
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._write, name="auditkit-workpaper", daemon=True)
        self._thread.start()

    def _write(self) -> None:
        try:
            self.workpaper.write_body(self._stop.is_set)
        except BaseException as error:  # raised again by finish, in the run's own thread
            self._error = error

    def finish(self, manifest: dict) -> None:
        """Wait for the body, then write Summary and Manifest and the file itself."""
        self._thread.join()
        if self._error is not None:
            self.workpaper.abandon()
            raise self._error
        self.workpaper.finish(manifest)

    def abandon(self) -> None:
        """The run failed: stop at the next sheet and leave no workpaper behind."""
        self._stop.set()
        self._thread.join()
        self.workpaper.abandon()


def finish(staging: Path, manifest: dict, workpaper: WorkpaperBeside) -> None:
    """Mark the run succeeded, finish the workpaper (its Manifest sheet shows that final
    status) and record the sha256 of every output."""
    manifest["status"] = RunStatus.SUCCEEDED
    manifest["finished_at"] = iso_seconds(utc_now())
    workpaper.finish(manifest)
    manifest["outputs"] = {
        path.name: sha256_file(path)
        for path in sorted(staging.iterdir())
        if path.is_file() and path.name != MANIFEST
    }
    write_json(staging / MANIFEST, manifest)


def record_failure(
    plan: ReportPlan, staging: Path, manifest: dict, error: BaseException
) -> ReportError:
    """Keep the failed run under `<period>/failed-<ts>/`; return the error to raise.

    A run stopped by a signal gets the same record; its exception carries a note
    saying what was kept where, for the one-line message the command prints. If
    the record cannot be kept (the disk is full), the staging folder is removed.
    """
    failure = notebook.describe_failure(error, plan.settings.cell_timeout)
    manifest |= {
        "status": RunStatus.FAILED,
        "finished_at": iso_seconds(utc_now()),
        "error": failure,
    }
    shown = plan.shown_target
    try:
        write_json(staging / MANIFEST, manifest)
        record = keep_failure(staging, plan.target)
    except OSError as cannot:
        shutil.rmtree(staging, ignore_errors=True)
        kept = f"the failed run could not be kept ({cannot.strerror or cannot}) and was removed"
    else:
        kept = f"the failed run is kept in {shown / record.name}"
    kept = f"{previous_report(plan)}; {kept}"
    error.add_note(kept)
    return ReportError(
        f"report for {plan.period} failed: {failure['message']}\n{kept[0].upper()}{kept[1:]}"
    )


def previous_report(plan: ReportPlan) -> str:
    """What the period shows after a failed run: the report that was there, or none."""
    home = serving(plan.target)
    if home is not None and (home / "report.html").is_file():
        return f"the report of {plan.period} at {plan.shown_target} is unchanged"
    return f"there is no earlier report of {plan.period} in {plan.settings.out}"


def run_report(
    settings: ReportSettings,
    *,
    register: Register | None = None,
    progress: Progress | None = None,
) -> ReportRun:
    """Make the report `settings` describe into `<out>/<period>/` and refresh the index.

    With an open review `register`, the run's findings are recorded there; a
    signed-off period is replaced only with `settings.supersede`, keeping the
    signed version. `progress` is told the name of each phase as it starts.
    """
    started_at = iso_seconds(utc_now())
    note = progress or (lambda _: None)
    plan = prepare(settings, register)
    note("load")
    tables = load(settings.data_dir, require_history=plan.params.at_requested)
    # Orders and vouchers of no account: Arrow lookups (about 1.5 s at 6M orders) that let
    # go of the GIL, so they run beside the evaluation.
    side = ThreadPoolExecutor(1, thread_name_prefix="auditkit-quality")
    quality = side.submit(orphans, tables)
    side.shutdown(wait=False)
    manifest = describe_plan(plan, tables, started_at)
    warnings: list[str] = list(plan.warnings)
    published = None
    shown = plan.shown_target
    # A stop once the new report is in place says so, even while the lock is let go.
    with (
        achieved(f"the new report was published at {shown}", lambda: published is not None),
        period_lock(plan.root, plan.period, lambda: note("wait for the other run of this period")),
    ):
        recovered = recover(plan.root, plan.period)
        if recovered:
            warnings += [f"recovered: {done}" for done in recovered]
            _refresh_index(plan.root)
        # Signed while this run waited for the lock? Then it is refused now, not replaced.
        replaces_signed = refuse_silent_replacement(plan.target, register, settings.supersede)
        staging = new_staging(plan.root, plan.period)
        kernel = workpaper = None
        try:
            note("evaluate")
            # The notebook's kernel starts, and imports what it needs, while the period is judged.
            kernel = notebook.ReportKernel(
                plan.settings.kernel_name, warm_up=notebook.is_shipped(plan.notebook)
            )
            judged = evaluate_and_save(plan, tables, staging, manifest, register, quality)
            note("run notebook")
            workpaper = WorkpaperBeside(staging, manifest, judged)
            executed = execute_notebook(plan, staging, kernel=kernel)
            kernel.close()
            note("export")
            warnings += export(plan, executed, staging, manifest)
            note("workpaper")
            finish(staging, manifest, workpaper)
            if register is not None:
                register.attach_manifest(
                    manifest["review"]["run_id"], sha256_file(staging / MANIFEST)
                )
            note("publish")
            keep = f"{SUPERSEDED_PREFIX}{utc_stamp()}" if replaces_signed else None
            published = publish(staging, plan.target, keep_as=keep, shown=plan.shown_target)
        except BaseException as error:
            if kernel is not None:
                kernel.close()
            if workpaper is not None:
                workpaper.abandon()
            if not staging.exists():  # stopped after the new report was put in place
                if not getattr(error, "__notes__", None):
                    error.add_note(f"the new report was published at {plan.shown_target}")
                raise
            failure = record_failure(plan, staging, manifest, error)
            _refresh_index(plan.root)
            if not isinstance(error, Exception):
                raise
            raise failure from error
    with achieved(f"the new report was published at {shown}"):
        index = write_index(plan.root)
    return ReportRun(
        folder=shown,
        html=shown / "report.html",
        index=settings.out / index.name,
        manifest=manifest,
        pdf=shown / "report.pdf" if manifest.get("pdf") == "report.pdf" else None,
        warnings=tuple(warnings),
        superseded=shown / published.kept if published.kept else None,
    )


def _refresh_index(out: Path) -> None:
    """Rebuild the index after a failure; the run's own error is the one to report."""
    try:
        write_index(out)
    except Exception as index_error:
        print(f"auditkit: could not refresh the index: {index_error}", file=sys.stderr)

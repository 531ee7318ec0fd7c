"""`auditkit report` as a short script of named steps.

prepare (period, parameters, previous period, notebook, kernel) → read the data
once, hashing exactly the bytes read → evaluate and save the results into a
staging folder → execute the notebook, which renders from those saved files
and never reads the data itself → export HTML (and PDF) → publish the folder
at `<out>/<period>/`, or record the failure and leave the previous report as
it was. A run holds its period's lock from the evaluation on, and first puts
right what a killed earlier run left behind (`auditkit.report.publish.recover`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from auditkit.analysis.summaries import orphans, run_summary
from auditkit.engine import store as saved
from auditkit.engine.evaluate import evaluate
from auditkit.errors import ParameterError, ReportError
from auditkit.io.manifest import describe_environment, describe_inputs, sha256_file, utc_now
from auditkit.io.tables import Tables, load_tables
from auditkit.io.write import write_json
from auditkit.params import Params
from auditkit.report import execute as notebook
from auditkit.report.index import write_index
from auditkit.report.publish import keep_failure, new_staging, period_lock, publish, recover
from auditkit.report.store import MANIFEST, check_period, read_verdicts, usable_previous
from auditkit.rules.model import Catalogue
from auditkit.rules.pob import POB
from auditkit.vocab import RunStatus

Progress = Callable[[str], None]
REPORT_TITLE = "Pay-on-behalf compliance report {period}"


@dataclass(frozen=True)
class ReportPlan:
    """Everything decided before any data is read."""

    data_dir: Path
    period: str
    out: Path
    params: Params
    overrides: dict[str, object]
    previous_dir: Path | None
    notebook: Path
    kernel_name: str
    kernel_argv: list[str]
    cell_timeout: int
    pdf: bool
    catalogue: Catalogue = POB
    warnings: tuple[str, ...] = ()  # earlier periods skipped as unreadable

    @property
    def target(self) -> Path:
        return self.out / self.period


@dataclass(frozen=True)
class ReportRun:
    """Where a finished report was put, and its manifest."""

    folder: Path
    html: Path
    index: Path
    manifest: dict[str, object]
    pdf: Path | None = None
    warnings: tuple[str, ...] = field(default=())


def prepare(
    data_dir: Path,
    period: str,
    out: Path,
    *,
    as_of: str | None,
    previous: Path | None,
    params: dict[str, object] | None,
    pdf: bool,
    notebook_path: Path | None,
    kernel_name: str,
    cell_timeout: int,
) -> ReportPlan:
    """Check every option; input and parameter errors surface here, before anything is written."""
    period = check_period(period)
    if isinstance(cell_timeout, bool) or not isinstance(cell_timeout, int) or cell_timeout < 1:
        # papermill reads 0 or a negative timeout as "no timeout at all".
        raise ParameterError(
            f"--cell-timeout must be a whole number of seconds, at least 1; got {cell_timeout!r}"
        )
    overrides = dict(params or {})
    if "as_of" in overrides:
        raise ParameterError("give as_of with --as-of, not in the parameters file")
    run_params = Params.from_dict({**overrides, **({} if as_of is None else {"as_of": as_of})})
    if previous:
        # Asked for by name: an unreadable one is an error now, not in the notebook.
        previous_dir, skipped = Path(previous), []
        read_verdicts(previous_dir)
    else:
        previous_dir, skipped = usable_previous(Path(out), period)
    source = Path(notebook_path) if notebook_path else notebook.find_notebook()
    if not source.is_file():
        raise ReportError(f"report notebook {source} does not exist")
    return ReportPlan(
        data_dir=Path(data_dir),
        period=period,
        out=Path(out),
        params=run_params,
        overrides=overrides,
        previous_dir=previous_dir.absolute() if previous_dir else None,
        notebook=source,
        kernel_name=kernel_name,
        kernel_argv=notebook.check_kernel(kernel_name),
        cell_timeout=cell_timeout,
        pdf=pdf,
        warnings=tuple(skipped),
    )


def describe_plan(plan: ReportPlan, tables: Tables, started_at: str) -> dict[str, object]:
    """The manifest as known before the run: inputs, parameters, notebook, status running."""
    catalogue = plan.catalogue
    return {
        **describe_inputs(tables, plan.params, catalogue.fingerprint(), catalogue.rule_ids),
        **describe_environment(),
        "period": plan.period,
        "status": RunStatus.RUNNING,
        "started_at": started_at,
        "parameters": {
            "data_dir": str(plan.data_dir.absolute()),
            "period": plan.period,
            "as_of": plan.params.as_of.isoformat(),
            "previous_dir": str(plan.previous_dir) if plan.previous_dir else "",
            "params_json": json.dumps(plan.overrides, sort_keys=True),
        },
        "previous_dir": str(plan.previous_dir) if plan.previous_dir else None,
        "previous_skipped": list(plan.warnings),
        "notebook": {
            "source": str(plan.notebook.absolute()),
            "sha256": sha256_file(plan.notebook),
            "kernel_name": plan.kernel_name,
            "kernel_argv": plan.kernel_argv,
            "cell_timeout_seconds": plan.cell_timeout,
        },
        "data_quality": {"orphans": orphans(tables)},
    }


def evaluate_and_save(plan: ReportPlan, tables: Tables, staging: Path, manifest: dict) -> None:
    """Judge once; save results, verdicts and cases; record the summary in the manifest."""
    result = evaluate(tables, plan.params, plan.catalogue)
    saved.save(result, staging)
    manifest["summary"] = run_summary(result)
    write_json(staging / MANIFEST, manifest)


def execute_notebook(plan: ReportPlan, staging: Path) -> object:
    """Run the report notebook on the saved run in `staging`; it writes report.ipynb there."""
    parameters = {
        "run_dir": str(staging),
        "previous_dir": str(plan.previous_dir) if plan.previous_dir else "",
    }
    return notebook.execute(
        plan.notebook, staging / "report.ipynb", parameters, plan.kernel_name, plan.cell_timeout
    )


def export(plan: ReportPlan, executed: object, staging: Path, manifest: dict) -> list[str]:
    """Write report.html (and report.pdf when asked); return warnings for the user."""
    html_path = staging / "report.html"
    html_path.write_text(
        notebook.export_html(executed, REPORT_TITLE.format(period=plan.period)), "utf-8"
    )
    if not plan.pdf:
        return []
    problem = notebook.pdf_of(html_path, staging / "report.pdf")
    manifest["pdf"] = problem or "report.pdf"
    return [f"--pdf: {problem}; the report was written without a PDF"] if problem else []


def finish(staging: Path, manifest: dict) -> None:
    """Mark the run succeeded and record the sha256 of every output."""
    manifest["status"] = RunStatus.SUCCEEDED
    manifest["finished_at"] = utc_now()
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
    saying where, for the one-line message the command prints.
    """
    failure = notebook.describe_failure(error, plan.cell_timeout)
    manifest |= {"status": RunStatus.FAILED, "finished_at": utc_now(), "error": failure}
    write_json(staging / MANIFEST, manifest)
    record = keep_failure(staging, plan.target)
    kept = f"the previous report (if any) is unchanged; the failed run is kept in {record}"
    error.add_note(kept)
    return ReportError(
        f"report for {plan.period} failed: {failure['message']}\n{kept[0].upper()}{kept[1:]}"
    )


def run_report(
    data_dir: Path,
    period: str,
    out: Path = Path("reports"),
    *,
    as_of: str | None = None,
    previous: Path | None = None,
    params: dict[str, object] | None = None,
    pdf: bool = False,
    notebook: Path | None = None,
    kernel_name: str = notebook.KERNEL_NAME,
    cell_timeout: int = notebook.CELL_TIMEOUT,
    progress: Progress | None = None,
) -> ReportRun:
    """Make the report of `period` from `data_dir` into `<out>/<period>/` and refresh the index."""
    started_at = utc_now()
    note = progress or (lambda _: None)
    plan = prepare(
        data_dir,
        period,
        out,
        as_of=as_of,
        previous=previous,
        params=params,
        pdf=pdf,
        notebook_path=notebook,
        kernel_name=kernel_name,
        cell_timeout=cell_timeout,
    )
    note("load")
    tables = load_tables(plan.data_dir)
    manifest = describe_plan(plan, tables, started_at)
    warnings: list[str] = list(plan.warnings)
    with period_lock(plan.out, plan.period, lambda: note("wait for the other run of this period")):
        recovered = recover(plan.out, plan.period)
        if recovered:
            warnings += [f"recovered: {done}" for done in recovered]
            _refresh_index(plan.out)
        staging = new_staging(plan.out, plan.period)
        try:
            note("evaluate")
            evaluate_and_save(plan, tables, staging, manifest)
            note("run notebook")
            executed = execute_notebook(plan, staging)
            note("export")
            warnings += export(plan, executed, staging, manifest)
            finish(staging, manifest)
            note("publish")
            publish(staging, plan.target)
        except BaseException as error:
            if not staging.exists():  # stopped after the new report was put in place
                raise
            failure = record_failure(plan, staging, manifest, error)
            _refresh_index(plan.out)
            if not isinstance(error, Exception):
                raise
            raise failure from error
    pdf_path = plan.target / "report.pdf" if manifest.get("pdf") == "report.pdf" else None
    return ReportRun(
        folder=plan.target,
        html=plan.target / "report.html",
        index=write_index(plan.out),
        manifest=manifest,
        pdf=pdf_path,
        warnings=tuple(warnings),
    )


def _refresh_index(out: Path) -> None:
    """Rebuild the index after a failure; the run's own error is the one to report."""
    import sys

    try:
        write_index(out)
    except Exception as index_error:
        print(f"auditkit: could not refresh the index: {index_error}", file=sys.stderr)

"""`auditkit report` as a short script of named steps.

prepare (period, parameters, previous period, notebook, kernel) → read the data
once, hashing exactly the bytes read → evaluate and save the results into a
staging folder → execute the notebook, which renders from those saved files
and never reads the data itself → export HTML (and PDF) → publish the folder
at `<out>/<period>/`, or record the failure and leave the previous report as
it was. A run holds its period's lock from the evaluation on, and first puts
right what a killed earlier run left behind (`auditkit.report.publish.recover`).

With a review register (`--db`), evaluating also records the run's findings
and saves the register's view of them beside the run (`auditkit.report.review`);
a period whose report was signed off is replaced only with `--supersede`, and
the signed version is kept (`auditkit.report.signoff`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from auditkit.analysis.population import Period, in_period
from auditkit.analysis.sampling import SampleOptions, sample_of
from auditkit.analysis.summaries import orphans, run_summary
from auditkit.dates import iso_seconds, utc_now
from auditkit.engine import run_folder
from auditkit.engine.evaluate import evaluate
from auditkit.errors import ParameterError, ReportError
from auditkit.io.fast import load
from auditkit.io.manifest import describe_environment, describe_run, sha256_file
from auditkit.io.tables import Tables
from auditkit.io.write import utc_stamp, write_frame, write_json
from auditkit.params import Params
from auditkit.progress import Progress
from auditkit.report import execute as notebook
from auditkit.report.index import write_index
from auditkit.report.publish import keep_failure, new_staging, period_lock, publish, recover
from auditkit.report.review import record_and_snapshot
from auditkit.report.signoff import refuse_silent_replacement
from auditkit.report.store import (
    MANIFEST,
    SUPERSEDED_PREFIX,
    check_period,
    read_verdicts,
    usable_previous,
)
from auditkit.report.workpaper import WORKPAPER, write_workpaper
from auditkit.review.register import Register
from auditkit.rules.model import Catalogue
from auditkit.rules.pob import POB
from auditkit.vocab import RunStatus

REPORT_TITLE = "Pay-on-behalf compliance report {period}"
SAMPLE_FILE = "sample.csv"


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
    replaces_signed: bool = False  # the target holds a signed report; --supersede was given
    tolerable_rate: float = 0.05
    sample: SampleOptions | None = None
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
    at: str | None = None,
    previous: Path | None,
    params: dict[str, object] | None,
    pdf: bool,
    notebook_path: Path | None,
    kernel_name: str,
    cell_timeout: int,
    register: Register | None = None,
    supersede: bool = False,
    catalogue: Catalogue = POB,
    tolerable_rate: float = 0.05,
    sample: SampleOptions | None = None,
) -> ReportPlan:
    """Check every option; input and parameter errors surface here, before anything is written."""
    if not 0 < tolerable_rate < 1:
        raise ParameterError(f"the tolerable rate must be between 0 and 1, got {tolerable_rate}")
    period = check_period(period)
    if isinstance(cell_timeout, bool) or not isinstance(cell_timeout, int) or cell_timeout < 1:
        # papermill reads 0 or a negative timeout as "no timeout at all".
        raise ParameterError(
            f"--cell-timeout must be a whole number of seconds, at least 1; got {cell_timeout!r}"
        )
    replaces_signed = refuse_silent_replacement(Path(out) / period, register, supersede)
    overrides = dict(params or {})
    if "as_of" in overrides:
        raise ParameterError("give as_of with --as-of, not in the parameters file")
    given = {**({} if as_of is None else {"as_of": as_of}), **({"at": at} if at else {})}
    run_params = Params.from_dict({**overrides, **given})
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
        replaces_signed=replaces_signed,
        catalogue=catalogue,
        tolerable_rate=tolerable_rate,
        sample=sample,
        warnings=tuple(skipped),
    )


def describe_plan(plan: ReportPlan, tables: Tables, started_at: str) -> dict[str, object]:
    """The manifest as known before the run: inputs, parameters, notebook, status running."""
    catalogue = plan.catalogue
    return {
        **describe_run(plan.params, catalogue, tables),
        **describe_environment(),
        "period": plan.period,
        "tolerable_rate": plan.tolerable_rate,
        "status": RunStatus.RUNNING,
        "started_at": started_at,
        "parameters": {
            "data_dir": str(plan.data_dir.absolute()),
            "period": plan.period,
            "as_of": plan.params.as_of.isoformat(),
            "at": plan.params.at.value,
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


def evaluate_and_save(
    plan: ReportPlan,
    tables: Tables,
    staging: Path,
    manifest: dict,
    register: Register | None = None,
) -> None:
    """Judge the period's requests once; save results, verdicts and cases; record the
    population and the summary in the manifest.

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
    if plan.sample is not None:
        planned, drawn = sample_of(result, plan.sample)
        write_frame(drawn, staging / SAMPLE_FILE)
        manifest["sample"] = {**plan.sample.to_dict(), **planned.to_dict(), "file": SAMPLE_FILE}
    write_workpaper(staging / WORKPAPER, result, manifest, drawn)
    manifest["summary"] = run_summary(result)
    write_json(staging / MANIFEST, manifest)


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
    manifest["finished_at"] = iso_seconds(utc_now())
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
    manifest |= {
        "status": RunStatus.FAILED,
        "finished_at": iso_seconds(utc_now()),
        "error": failure,
    }
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
    at: str | None = None,
    previous: Path | None = None,
    params: dict[str, object] | None = None,
    pdf: bool = False,
    notebook: Path | None = None,
    kernel_name: str = notebook.KERNEL_NAME,
    cell_timeout: int = notebook.CELL_TIMEOUT,
    progress: Progress | None = None,
    register: Register | None = None,
    supersede: bool = False,
    catalogue: Catalogue = POB,
    tolerable_rate: float = 0.05,
    sample: SampleOptions | None = None,
) -> ReportRun:
    """Make the report of `period` from `data_dir` into `<out>/<period>/` and refresh the index.

    With an open review `register`, the run's findings are recorded there; a
    signed-off period is replaced only with `supersede`, keeping the signed version.
    """
    started_at = iso_seconds(utc_now())
    note = progress or (lambda _: None)
    plan = prepare(
        data_dir,
        period,
        out,
        as_of=as_of,
        at=at,
        previous=previous,
        params=params,
        pdf=pdf,
        notebook_path=notebook,
        kernel_name=kernel_name,
        cell_timeout=cell_timeout,
        register=register,
        supersede=supersede,
        catalogue=catalogue,
        tolerable_rate=tolerable_rate,
        sample=sample,
    )
    note("load")
    tables = load(plan.data_dir, require_history=plan.params.at_requested)
    manifest = describe_plan(plan, tables, started_at)
    warnings: list[str] = list(plan.warnings)
    with period_lock(plan.out, plan.period, lambda: note("wait for the other run of this period")):
        recovered = recover(plan.out, plan.period)
        if recovered:
            warnings += [f"recovered: {done}" for done in recovered]
            _refresh_index(plan.out)
        # Signed while this run waited for the lock? Then it is refused now, not replaced.
        replaces_signed = refuse_silent_replacement(plan.target, register, supersede)
        staging = new_staging(plan.out, plan.period)
        try:
            note("evaluate")
            evaluate_and_save(plan, tables, staging, manifest, register)
            note("run notebook")
            executed = execute_notebook(plan, staging)
            note("export")
            warnings += export(plan, executed, staging, manifest)
            finish(staging, manifest)
            if register is not None:
                register.attach_manifest(
                    manifest["review"]["run_id"], sha256_file(staging / MANIFEST)
                )
            note("publish")
            keep = f"{SUPERSEDED_PREFIX}{utc_stamp()}" if replaces_signed else None
            publish(staging, plan.target, keep_as=keep)
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

"""The report notebook's one entry: the run `auditkit report` saved, or the data judged here.

`auditkit report` judges the data once, saves the run and passes its folder
as `run_dir`; the notebook then only reads it back. Run on its own (papermill's
command line, Airflow's PapermillOperator), the notebook gets what a user knows
(`data_dir`, `period`, `as_of`, ...) and judges the data itself, with the very
steps `auditkit report` takes (`auditkit.report.settings.prepare`, then
`auditkit.report.runner.describe_plan` and `evaluate_and_save` into a scratch
folder that is read back and removed), so the page is the same. There is then
no staging folder, no published version, no index and no workpaper: those are
`auditkit report`'s.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from auditkit.dates import iso_seconds, utc_now
from auditkit.errors import ParameterError
from auditkit.io.tables import load_tables as load
from auditkit.report.content import ReportData, load_report
from auditkit.report.runner import describe_plan, evaluate_and_save
from auditkit.report.settings import ReportSettings, prepare


def open_report(
    *,
    run_dir: str = "",
    data_dir: str = "",
    period: str = "",
    as_of: str = "",
    at: str = "snapshot",
    params_json: str = "{}",
    previous_dir: str = "",
    currency: str = "",
) -> ReportData:
    """What the report notebook shows, from its parameters (as papermill injects them).

    With `run_dir`, the run `auditkit report` saved there (the data is not read
    again); without, `data_dir` judged for `period` as `auditkit report` judges it.
    """
    if run_dir:
        return load_report(run_dir, previous_dir)
    missing = [name for name, value in (("data_dir", data_dir), ("period", period)) if not value]
    if missing:
        raise ParameterError(
            f"the report notebook needs {' and '.join(missing)} (papermill -p data_dir DATA "
            "-p period YYYY-MM -p as_of YYYY-MM-DD), or the run_dir auditkit report passes"
        )
    return judge_here(
        ReportSettings(
            data_dir=Path(data_dir),
            period=period,
            as_of=as_of or None,
            at=at or None,
            params=parameters_of(params_json),
            previous=Path(previous_dir) if previous_dir else None,
            currency=currency or None,
        )
    )


def parameters_of(params_json: str) -> dict[str, object]:
    """The rule parameters given to the notebook as a JSON object (the `--params` text)."""
    from auditkit.params import read_params_file

    return read_params_file(params_json or "{}") or {}


def judge_here(settings: ReportSettings) -> ReportData:
    """`settings.data_dir` judged for the notebook as `auditkit report` judges it, read back."""
    started_at = iso_seconds(utc_now())
    with tempfile.TemporaryDirectory(prefix="auditkit-notebook-run-") as scratch:
        # No --out: nothing earlier is looked for, and nothing is published.
        plan = prepare(settings.replace(out=Path(scratch) / "reports"), for_notebook=True)
        tables = load(settings.data_dir, require_history=plan.params.at_requested)
        manifest = describe_plan(plan, tables, started_at)
        evaluate_and_save(plan, tables, Path(scratch), manifest)
        return load_report(scratch, plan.previous_dir or "")

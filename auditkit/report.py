"""The report runner: `auditkit report` executes the report notebook for one period.

Everything is written into a staging folder under the output folder and moved
to `<out>/<period>/` only when the notebook ran, the HTML was exported and
the manifest was written. A failed run leaves the previous report of that
period untouched and keeps what it produced in `<out>/<period>/failed-<UTC
timestamp>/` (the executed-so-far notebook and a manifest with the error).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from auditkit import resources
from auditkit.errors import AuditkitError, ParameterError, ReportError

NOTEBOOK_NAME = "compliance_report.ipynb"
KERNEL_NAME = "python3"
CELL_TIMEOUT = 600  # seconds one notebook cell may run
KERNEL_START_TIMEOUT = 60
PDF_TIMEOUT = 120
PERIOD_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
FAILED_PREFIX = "failed-"
# Code cells carry REMOVE_INPUT; papermill's parameter cells are dropped whole.
REMOVE_INPUT_TAGS = frozenset({"remove_input"})
REMOVE_CELL_TAGS = frozenset({"parameters", "injected-parameters"})
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# The exported page loads nothing from the network and runs no script.
EXPORT_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">
.jp-RenderedHTMLCommon table.auditkit-table { font-size: 0.85em; margin: 0.5em 0 1em; }
.jp-RenderedHTMLCommon table.auditkit-table td,
.jp-RenderedHTMLCommon table.auditkit-table th { text-align: left; vertical-align: top; }
.jp-RenderedHTMLCommon table.auditkit-table td:first-child { white-space: nowrap; }
.jp-RenderedHTMLCommon p.note { color: #666; font-size: 0.85em; }
img.chart { max-width: 100%; }
</style>
{%- endblock extra_css -%}
"""

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ReportRun:
    """Where a finished report was put, and its manifest."""

    folder: Path
    html: Path
    index: Path
    manifest: dict[str, object]
    pdf: Path | None = None
    warnings: tuple[str, ...] = ()


# ---- finding things ----------------------------------------------------------------


def check_period(period: str) -> str:
    if not PERIOD_PATTERN.match(period or ""):
        raise ParameterError(f"period {period!r} is not a month; expected YYYY-MM, e.g. 2026-11")
    return period


def find_notebook(name: str = NOTEBOOK_NAME) -> Path:
    """The report notebook shipped with auditkit (see auditkit.resources)."""
    try:
        return resources.notebook_path(name)
    except AuditkitError as error:
        raise ReportError(str(error)) from None


def period_folders(out: Path) -> dict[str, Path]:
    """Period folders under `out` that hold a successful report, by period."""
    found: dict[str, Path] = {}
    if not out.is_dir():
        return found
    for folder in out.iterdir():
        if folder.is_dir() and PERIOD_PATTERN.match(folder.name):
            manifest = read_manifest(folder)
            if manifest.get("status") == "succeeded":
                found[folder.name] = folder
    return dict(sorted(found.items()))


def read_manifest(folder: Path) -> dict[str, object]:
    """The manifest.json of a folder, or {} when it is missing or unreadable."""
    try:
        return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def latest_previous(out: Path, period: str) -> Path | None:
    """The latest successful report folder under `out` for a period before `period`."""
    earlier = [folder for name, folder in period_folders(out).items() if name < period]
    return earlier[-1] if earlier else None


def check_kernel(name: str) -> list[str]:
    """The kernel's command line; refuse a kernel that would run another Python than this one.

    The report must be made by the auditkit the manifest records, so the kernel
    has to run this interpreter: jupyter_client runs `sys.executable` for an
    argv of plain `python`/`python3` (ipykernel's own "python3" spec).
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise ReportError(
            f"no Jupyter kernel named {name!r}. Install ipykernel into this environment "
            f"({sys.executable} -m pip install ipykernel) or create the kernel with "
            f"{sys.executable} -m ipykernel install --sys-prefix --name {name}"
        ) from None
    program = spec.argv[0] if spec.argv else ""
    major, minor = sys.version_info[:2]
    if program in {"python", f"python{major}", f"python{major}.{minor}"}:
        return [sys.executable, *spec.argv[1:]]
    if Path(program).absolute().parent != Path(sys.executable).absolute().parent:
        raise ReportError(
            f"Jupyter kernel {name!r} (in {spec.resource_dir}) runs {program}, not the Python "
            f"running auditkit ({sys.executable}); the report would use another environment. "
            f"Pass --kernel with a kernel of this environment, e.g. after "
            f"{sys.executable} -m ipykernel install --user --name auditkit"
        )
    return list(spec.argv)


def find_chromium() -> str | None:
    """A headless-capable Chromium: $AUDITKIT_CHROMIUM, else the first on PATH, else None."""
    configured = os.environ.get("AUDITKIT_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None


# ---- running -----------------------------------------------------------------------


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def utc_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def export_html(notebook: object, title: str) -> str:
    """The executed notebook as a self-contained HTML page, every code input removed."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name="lab",
        template_file="auditkit_report.html.j2",
        extra_loaders=[DictLoader({"auditkit_report.html.j2": EXPORT_TEMPLATE})],
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # The tags hide every input; this also hides one added without its tag.
        exclude_input=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            remove_input_tags=set(REMOVE_INPUT_TAGS),
            remove_cell_tags=set(REMOVE_CELL_TAGS),
            enabled=True,
        ),
        enabled=True,
    )
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    return body


def execute(
    source: Path, target: Path, parameters: dict[str, object], kernel_name: str, cell_timeout: int
) -> object:
    """Run the notebook with papermill, saving it to `target` after every cell; return it."""
    import papermill
    from traitlets.config import Config

    # On POSIX the kernel talks over Unix sockets rather than localhost TCP; they live
    # in a scratch working directory that is removed afterwards, with anything else
    # the notebook might write there.
    transport = "ipc" if os.name == "posix" else "tcp"
    with tempfile.TemporaryDirectory(prefix="auditkit-kernel-") as scratch:
        return papermill.execute_notebook(
            str(source.absolute()),
            str(target.absolute()),
            parameters=parameters,
            kernel_name=kernel_name,
            progress_bar=False,
            start_timeout=KERNEL_START_TIMEOUT,
            execution_timeout=cell_timeout,
            cwd=scratch,
            config=Config({"KernelManager": {"transport": transport}}),
        )


def print_pdf(html_path: Path, pdf_path: Path, chromium: str) -> None:
    """Print an HTML file to PDF with headless Chromium."""
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-pdf-header-footer",
        f"--print-to-pdf={pdf_path}",
        html_path.absolute().as_uri(),
    ]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=PDF_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ReportError(f"Chromium did not print the PDF within {PDF_TIMEOUT}s") from None
    if completed.returncode != 0 or not pdf_path.is_file():
        raise ReportError(
            f"Chromium could not print the PDF (exit {completed.returncode}): "
            f"{completed.stderr.strip()[-500:]}"
        )


def pdf_of(html_path: Path, pdf_path: Path) -> str | None:
    """Print the report to PDF; return why not when that was impossible (a PDF is optional)."""
    chromium = find_chromium()
    if chromium is None:
        return "no Chromium found (install chromium or set AUDITKIT_CHROMIUM)"
    try:
        print_pdf(html_path, pdf_path, chromium)
    except ReportError as error:
        pdf_path.unlink(missing_ok=True)
        return str(error)
    return None


def describe_failure(error: BaseException, cell_timeout: int) -> dict[str, object]:
    """A failed run's error as data: kind, message for the user, and details."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError):
        return {
            "kind": "cell_error",
            "message": (
                f"the report notebook failed in cell {error.cell_index} of the executed "
                f"notebook: {error.ename}: {error.evalue}"
            ),
            "ename": error.ename,
            "evalue": error.evalue,
            "cell_index": error.cell_index,
            "traceback": "\n".join(error.traceback),
        }
    if isinstance(error, CellTimeoutError):
        return {
            "kind": "cell_timeout",
            "message": (
                f"a report notebook cell ran longer than the cell timeout of {cell_timeout}s "
                "and was stopped; raise --cell-timeout for very large data"
            ),
            "evalue": str(error),
        }
    if isinstance(error, DeadKernelError):
        return {
            "kind": "dead_kernel",
            "message": (
                "the notebook kernel died while running the report (often out of memory); "
                "check the machine's memory and the data size, then run again"
            ),
            "evalue": str(error),
        }
    if isinstance(error, KeyboardInterrupt):
        return {"kind": "interrupted", "message": "interrupted", "evalue": str(error)}
    return {
        "kind": "error",
        "message": f"{type(error).__name__}: {error}",
        "ename": type(error).__name__,
        "evalue": str(error),
    }


def write_json(path: Path, data: dict[str, object]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n", "utf-8")


def publish(staging: Path, target: Path) -> None:
    """Put the finished staging folder at `target`, keeping the old one until the new one is there.

    Earlier failure records of the period are carried over into the new folder.
    """
    old = None
    if target.exists():
        old = target.with_name(f".replaced-{target.name}-{utc_stamp()}")
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        # The new report is in place: from here on nothing may undo it.
        with contextlib.suppress(OSError):
            for record in sorted(old.glob(f"{FAILED_PREFIX}*")):
                os.replace(record, target / record.name)
        shutil.rmtree(old, ignore_errors=True)


def keep_failure(staging: Path, target: Path) -> Path:
    """Move a failed run's staging folder to `<target>/failed-<timestamp>/`."""
    target.mkdir(parents=True, exist_ok=True)
    record = target / f"{FAILED_PREFIX}{utc_stamp()}"
    os.replace(staging, record)
    return record


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
    kernel_name: str = KERNEL_NAME,
    cell_timeout: int = CELL_TIMEOUT,
    progress: Progress | None = None,
) -> ReportRun:
    """Make the report of `period` from `data_dir` into `<out>/<period>/` and refresh the index.

    Input and parameter errors are raised before anything is written; a failure
    while running raises ReportError after keeping a failure record.
    """
    from auditkit.engine import evaluate
    from auditkit.loading import load_tables
    from auditkit.manifest import describe_run, sha256_file, utc_now
    from auditkit.output import write_frame
    from auditkit.params import Params
    from auditkit.report_content import read_verdicts
    from auditkit.report_index import index_summary, write_index

    started_at = utc_now()
    note = progress or (lambda _: None)
    period = check_period(period)
    out = Path(out)
    overrides = dict(params or {})
    if "as_of" in overrides:
        raise ParameterError("give as_of with --as-of, not in the parameters file")
    run_params = Params.from_dict({**overrides, **({"as_of": as_of} if as_of else {})})
    note("load")
    tables = load_tables(data_dir)
    previous_dir = Path(previous) if previous else latest_previous(out, period)
    if previous_dir is not None:
        read_verdicts(previous_dir)  # fail now, not in the notebook, when it is unusable
    source = Path(notebook) if notebook else find_notebook()
    if not source.is_file():
        raise ReportError(f"report notebook {source} does not exist")
    kernel_argv = check_kernel(kernel_name)

    parameters: dict[str, object] = {
        "data_dir": str(Path(data_dir).absolute()),
        "period": period,
        "as_of": run_params.as_of.isoformat(),
        "previous_dir": str(previous_dir.absolute()) if previous_dir else "",
        "params_json": json.dumps(overrides, sort_keys=True),
    }
    manifest = describe_run(
        period=period,
        tables=tables,
        params=run_params,
        parameters=parameters,
        previous_dir=previous_dir.absolute() if previous_dir else None,
    )
    manifest["started_at"] = started_at
    manifest["notebook"] = {
        "source": str(source.absolute()),
        "sha256": sha256_file(source),
        "kernel_name": kernel_name,
        "kernel_argv": kernel_argv,
        "cell_timeout_seconds": cell_timeout,
    }
    out.mkdir(parents=True, exist_ok=True)
    target = out / period
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{period}-", dir=out)).absolute()
    staging.chmod(0o777 & ~current_umask())  # mkdtemp makes it private; a report is not
    manifest_path = staging / "manifest.json"
    pdf_path: Path | None = None
    warnings: list[str] = []
    try:
        note("evaluate")
        result = evaluate(tables, run_params)
        write_frame(result.results, staging / "results.parquet")
        write_frame(result.verdicts, staging / "verdicts.csv")
        manifest["summary"] = index_summary(result)
        write_json(manifest_path, manifest)

        note("run notebook")
        executed = execute(
            source,
            staging / "report.ipynb",
            {**parameters, "manifest_path": str(manifest_path)},
            kernel_name,
            cell_timeout,
        )
        note("export html")
        html_path = staging / "report.html"
        html_path.write_text(
            export_html(executed, f"Pay-on-behalf compliance report {period}"), "utf-8"
        )
        if pdf:
            note("print pdf")
            problem = pdf_of(html_path, staging / "report.pdf")
            manifest["pdf"] = problem or "report.pdf"
            if problem:
                warnings.append(f"--pdf: {problem}; the report was written without a PDF")
            else:
                pdf_path = target / "report.pdf"
        manifest["status"] = "succeeded"
        manifest["finished_at"] = utc_now()
        manifest["outputs"] = {
            path.name: sha256_file(path)
            for path in sorted(staging.iterdir())
            if path.is_file() and path != manifest_path
        }
        write_json(manifest_path, manifest)
        note("publish")
        publish(staging, target)
    except BaseException as error:
        if not staging.exists():  # interrupted after the new report was put in place
            raise
        failure = describe_failure(error, cell_timeout)
        manifest["status"] = "failed"
        manifest["finished_at"] = utc_now()
        manifest["error"] = failure
        write_json(manifest_path, manifest)
        record = keep_failure(staging, target)
        try:
            write_index(out)
        except Exception as index_error:  # the run's own error is the one to report
            print(f"auditkit: could not refresh the index: {index_error}", file=sys.stderr)
        if not isinstance(error, Exception):
            raise
        raise ReportError(
            f"report for {period} failed: {failure['message']}\n"
            f"The previous report (if any) is unchanged; the failed run is kept in {record}"
        ) from error
    index = write_index(out)
    return ReportRun(
        folder=target,
        html=target / "report.html",
        index=index,
        manifest=manifest,
        pdf=pdf_path,
        warnings=tuple(warnings),
    )


# ---- command line ------------------------------------------------------------------


def _params_file(path: Path | None) -> dict[str, object]:
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ParameterError(f"--params {path}: cannot read a JSON object ({error})") from None
    if not isinstance(data, dict):
        raise ParameterError(f"--params {path}: expected a JSON object of rule parameters")
    return data


def stop_on_sigterm() -> None:
    """Turn SIGTERM (from `timeout`, cron or Airflow) into KeyboardInterrupt, so a failed run is recorded."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


def cmd_report(args: argparse.Namespace) -> int:
    from auditkit.cli import PhaseClock

    stop_on_sigterm()
    clock = PhaseClock()
    run = run_report(
        args.data,
        args.period,
        args.out,
        as_of=args.as_of,
        previous=args.previous,
        params=_params_file(args.params),
        pdf=args.pdf,
        notebook=args.notebook,
        kernel_name=args.kernel,
        cell_timeout=args.cell_timeout,
        progress=clock,
    )
    clock.finish()
    summary = run.manifest["summary"]
    print(
        f"{run.manifest['period']} (as of {run.manifest['as_of']}): "
        f"{summary['requests']} requests, {summary['eligible']} eligible, "
        f"{summary['ineligible']} ineligible, {summary['unknown']} unknown"
    )
    for warning in run.warnings:
        print(f"auditkit: {warning}", file=sys.stderr)
    print(f"report: {run.html}")
    if run.pdf:
        print(f"pdf:    {run.pdf}")
    print(f"index:  {run.index}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `auditkit report` to the command line."""
    report = subparsers.add_parser(
        "report",
        help="run the compliance report notebook for one period; write reports/<period>/",
        description=(
            "Judge one period's data, run the report notebook with papermill and write "
            "report.html, report.ipynb, results.parquet, verdicts.csv and manifest.json "
            "into OUT/PERIOD/, replacing an earlier report of that period only on success."
        ),
    )
    report.add_argument(
        "--data", required=True, type=Path, help="folder with accounts, orders, vouchers, requests"
    )
    report.add_argument("--period", required=True, help="the month reported, YYYY-MM")
    report.add_argument("--as-of", help="snapshot date YYYY-MM-DD (default: today in UTC)")
    report.add_argument(
        "--previous",
        type=Path,
        help="an earlier report folder to compare with (default: the latest earlier period in OUT)",
    )
    report.add_argument("--out", type=Path, default=Path("reports"), help="default: reports/")
    report.add_argument(
        "--params", type=Path, help='JSON file of rule parameters, e.g. {"j10_require_both": true}'
    )
    report.add_argument("--pdf", action="store_true", help="also print report.pdf with Chromium")
    report.add_argument(
        "--notebook",
        type=Path,
        help=f"report notebook to run (default: notebooks/{NOTEBOOK_NAME} of auditkit)",
    )
    report.add_argument(
        "--kernel", default=KERNEL_NAME, help=f"Jupyter kernel (default {KERNEL_NAME})"
    )
    report.add_argument(
        "--cell-timeout",
        type=int,
        default=CELL_TIMEOUT,
        help=f"seconds one notebook cell may run (default {CELL_TIMEOUT})",
    )
    report.set_defaults(run=cmd_report)

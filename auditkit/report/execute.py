"""Running the report notebook and turning it into pages: kernel, papermill, nbconvert, Chromium.

Nothing here knows about periods or folders; `auditkit.report.runner` calls it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

from auditkit.errors import AuditkitError, ReportError
from auditkit.render.style import PRINT_STYLESHEET, STYLESHEET
from auditkit.resources import shipped_notebook

NOTEBOOK_NAME = "compliance_report.ipynb"
KERNEL_NAME = "python3"
CELL_TIMEOUT = 600  # seconds one notebook cell may run
KERNEL_START_TIMEOUT = 60
KERNEL_LOG = "kernel.log"  # the kernel's own output, kept with a failed run
PDF_TIMEOUT = 120
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
STYLESHEET
</style>
{%- endblock extra_css -%}
""".replace("STYLESHEET", STYLESHEET + PRINT_STYLESHEET)


def find_notebook(name: str = NOTEBOOK_NAME) -> Path:
    """The report notebook shipped with auditkit (see auditkit.resources)."""
    try:
        return shipped_notebook(name)
    except AuditkitError as error:
        raise ReportError(str(error)) from None


def is_shipped(notebook: Path) -> bool:
    """Whether `notebook` is the report notebook shipped with auditkit."""
    try:
        return Path(notebook).resolve() == find_notebook().resolve()
    except ReportError:
        return False


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


# Imported by a kernel started ahead of the notebook (see `ReportKernel`), while the runner
# judges the period: they are most of the first cell's time. No name is left defined.
WARM_UP = "import auditkit.report.sections, auditkit.report.standalone; del auditkit"


class ReportKernel:
    """A kernel for the report notebook, started before the notebook is run.

    It starts (and imports what the notebook's first cell imports, `WARM_UP`) while
    the runner evaluates the period, so that the notebook does not wait for it. It
    runs in a scratch working directory, removed by `close` with anything the notebook
    wrote there, and talks over Unix sockets in it on POSIX rather than localhost TCP.
    Its own stdout and stderr go to a log (a kernel torn down by SIGTERM prints a ZMQ
    traceback there), kept beside a failed notebook as kernel.log.
    """

    def __init__(self, kernel_name: str, warm_up: bool = True) -> None:
        """`warm_up`: import `WARM_UP` first (for the shipped notebook; another notebook,
        e.g. a user's own, would pay for imports it may not make)."""
        from jupyter_core.utils import run_sync
        from traitlets.config import Config

        self.kernel_name = kernel_name
        self._scratch = tempfile.TemporaryDirectory(prefix="auditkit-kernel-")
        self.scratch = Path(self._scratch.name)
        self.log_path = self.scratch / KERNEL_LOG
        self._log = self.log_path.open("wb")
        # ipc sockets are named by a path prefix, absolute so that both ends find them
        sockets = {"transport": "ipc", "ip": str(self.scratch / "kernel-ipc")}
        self.km = kernel_manager_logging_to(self._log)(
            kernel_name=kernel_name,
            config=Config({"KernelManager": sockets if os.name == "posix" else {}}),
        )
        try:
            run_sync(self.km.start_kernel)(
                cwd=str(self.scratch),
                extra_arguments=[f"--IPKernelApp.exec_lines={WARM_UP}"] if warm_up else [],
            )
        except BaseException:
            self.close()
            raise

    def keep_log(self, folder: Path) -> None:
        """Copy the kernel's log into `folder` as kernel.log, if it said anything."""
        self._log.flush()
        if self.log_path.stat().st_size:
            shutil.copyfile(self.log_path, folder / KERNEL_LOG)

    def close(self) -> None:
        """Stop the kernel (at once: the notebook is done with it) and remove its folder;
        again, nothing."""
        from jupyter_core.utils import run_sync

        if self._log.closed:
            return
        try:
            for client in getattr(self.km, "clients", []):
                client.stop_channels()
            if self.km.has_kernel:
                run_sync(self.km.shutdown_kernel)(now=True)
        finally:
            self._log.close()
            self._scratch.cleanup()

    def __enter__(self) -> ReportKernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def execute(
    source: Path,
    target: Path,
    parameters: dict[str, object],
    kernel_name: str,
    cell_timeout: int,
    kernel: ReportKernel | None = None,
) -> object:
    """Run the notebook with papermill on `kernel` (by default one started here), saving it
    to `target` after every cell; return it. If the run fails, the kernel's log is kept
    beside `target` as kernel.log (it may say why a kernel died)."""
    if kernel is None:
        with ReportKernel(kernel_name, warm_up=is_shipped(source)) as started:
            return execute(source, target, parameters, kernel_name, cell_timeout, started)
    _skip_iri_grammars()
    import papermill

    try:
        return papermill.execute_notebook(
            str(source.absolute()),
            str(target.absolute()),
            parameters=parameters,
            kernel_name=kernel.kernel_name,
            progress_bar=False,
            start_timeout=KERNEL_START_TIMEOUT,
            execution_timeout=cell_timeout,
            km=kernel.km,
        )
    except BaseException:
        kernel.keep_log(target.parent)
        raise


def _skip_iri_grammars() -> None:
    """Keep jsonschema from importing rfc3987_syntax (installed with jupyter-events'
    format-nongpl extra), which builds 38 Lark grammars at import: about 1 s of every
    report, for the `iri` formats that no notebook schema uses. Nothing changes if
    jsonschema was already imported."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def kernel_manager_logging_to(log: BinaryIO) -> type:
    """An AsyncKernelManager whose kernel process writes its stdout and stderr to `log`, and
    which keeps the clients it makes (nbclient leaves a kernel it was given running, and
    its client's channels open)."""
    from jupyter_client.manager import AsyncKernelManager

    class LoggingKernelManager(AsyncKernelManager):
        clients: list

        async def _async_pre_start_kernel(self, **kw: object) -> tuple[list[str], dict]:
            kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
            return kernel_cmd, {**kw, "stdout": log, "stderr": log}

        def client(self, **kw: object) -> object:
            made = super().client(**kw)
            self.clients = [*getattr(self, "clients", []), made]
            return made

    return LoggingKernelManager


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

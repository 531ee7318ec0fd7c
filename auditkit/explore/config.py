"""What the explorer opens: the data, parameters, cache, exports and scenario file.

`auditkit explore` passes them to the notebook's kernel as environment
variables (`vocab.EnvVar`); a notebook may also pass the data directory,
as_of and the moment judged directly. Relative defaults are under `reports/`
of the working directory, which git ignores: exports hold customer data.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import NamedTuple

from auditkit.dates import parse_date
from auditkit.explore.exports import ExportLimits
from auditkit.explore.workspace import TablesWorkspace, Workspace, open_data
from auditkit.io.tables import Tables, load_tables
from auditkit.params import Params, read_params_file
from auditkit.progress import Progress, silent
from auditkit.review.scenarios import DEFAULT_FILE, JsonScenarios, RegisterScenarios, ScenarioStore
from auditkit.vocab import EnvVar, Moment

DEFAULT_DEMO_REQUESTS = 2000
REPORTS = Path("reports")
DEFAULT_EXPORTS = REPORTS / "exports"
DEFAULT_CACHE = REPORTS / "cache"
DEMO_SOURCE = "the built-in demo data"


def _env(name: EnvVar) -> str | None:
    return os.environ.get(name) or None


def export_dir() -> Path:
    """Where exports are written: $AUDITKIT_EXPLORE_EXPORTS, else ./reports/exports."""
    return Path(_env(EnvVar.EXPORTS) or Path.cwd() / DEFAULT_EXPORTS)


def export_limits() -> ExportLimits:
    """What one session may export: $AUDITKIT_EXPLORE_EXPORT_FILES files and
    $AUDITKIT_EXPLORE_EXPORT_BYTES bytes, else `ExportLimits()`'s defaults."""
    default = ExportLimits()
    return ExportLimits(
        int(_env(EnvVar.EXPORT_FILES) or default.files),
        int(_env(EnvVar.EXPORT_BYTES) or default.bytes),
    )


def export_url() -> str | None:
    """Where the server hands exports out ($AUDITKIT_EXPLORE_EXPORTS_URL); None: no server does."""
    return _env(EnvVar.EXPORTS_URL)


def cache_dir() -> Path:
    """The evaluation cache: $AUDITKIT_EXPLORE_CACHE, else ./reports/cache."""
    return Path(_env(EnvVar.CACHE) or Path.cwd() / DEFAULT_CACHE)


def params_of(
    as_of: str | dt.date | None = None, at: str | None = None, params_file: str | None = None
) -> Params:
    """Params from a JSON file (default $AUDITKIT_EXPLORE_PARAMS), then as_of and at (given,
    else from the environment)."""
    params_file = params_file or _env(EnvVar.PARAMS)
    overrides = read_params_file(Path(params_file) if params_file else None)
    as_of = as_of or _env(EnvVar.AS_OF)
    if as_of:
        overrides["as_of"] = parse_date(as_of)
    overrides["at"] = Moment(at or _env(EnvVar.AT) or overrides.get("at") or Moment.SNAPSHOT)
    return Params.from_dict(overrides)


def open_workspace(
    data_dir: str | Path | None = None,
    as_of: str | dt.date | None = None,
    demo_requests: int | None = None,
    at: str | None = None,
    progress: Progress = silent,
) -> Workspace:
    """The evaluation to explore; environment variables fill what is not given.

    A data directory is judged once and cached (`explore.workspace.open_data`);
    with none, the bundled demo data set (which has history) is built in memory.
    """
    data_dir = data_dir or _env(EnvVar.DATA)
    if data_dir:
        return open_data(data_dir, params_of(as_of, at), cache_dir(), progress)
    import auditkit.demo as demo

    requests = demo_requests or int(_env(EnvVar.DEMO_REQUESTS) or DEFAULT_DEMO_REQUESTS)
    progress("generate")
    tables = demo.tables(requests=requests)
    progress("evaluate")
    params = params_of(as_of or _env(EnvVar.AS_OF) or demo.DEFAULT_AS_OF, at)
    return TablesWorkspace(tables, params, DEMO_SOURCE)


class Opened(NamedTuple):
    """Tables in memory, the parameters to judge them with, and where they came from."""

    tables: Tables
    params: Params
    source: str


def load(
    data_dir: str | Path | None = None,
    as_of: str | dt.date | None = None,
    demo_requests: int | None = None,
    at: str | None = None,
) -> Opened:
    """The input tables themselves, for a notebook that edits them (what-if); environment
    variables fill what is not given, and no data directory means the bundled demo data."""
    data_dir = data_dir or _env(EnvVar.DATA)
    if data_dir:
        params = params_of(as_of, at)
        return Opened(
            load_tables(data_dir, require_history=params.at_requested), params, str(data_dir)
        )
    import auditkit.demo as demo

    requests = demo_requests or int(_env(EnvVar.DEMO_REQUESTS) or DEFAULT_DEMO_REQUESTS)
    params = params_of(as_of or _env(EnvVar.AS_OF) or demo.DEFAULT_AS_OF, at)
    return Opened(demo.tables(requests=requests), params, DEMO_SOURCE)


def review_db() -> str | None:
    """The review register the explorer records findings in: $AUDITKIT_EXPLORE_DB, else none."""
    return _env(EnvVar.REVIEW_DB)


def scenario_store(register: object | None) -> ScenarioStore:
    """Saved scenarios: in the review register when one is open, else in a JSON file."""
    if register is not None:
        return RegisterScenarios(register)  # type: ignore[arg-type]
    return JsonScenarios(_env(EnvVar.SCENARIOS) or Path.cwd() / DEFAULT_FILE)


def reviewer() -> str:
    """Who reviews: the reviewer who opened the page (with per-reviewer sign-in, see
    `explore.identity`), else $AUDITKIT_USER (`auditkit explore --user`), else the OS user."""
    import getpass

    given = (os.environ.get(EnvVar.REVIEWER) or os.environ.get(EnvVar.USER, "")).strip()
    if given:
        return given
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. in a container)
        return "unknown"

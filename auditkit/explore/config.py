"""What the explorer opens: the workspace, the tables, the scenario store and the reviewer.

Each is built from `explore.settings.ExplorerSettings`, which `auditkit
explore` hands to the kernel as environment variables; a notebook may also pass
the data directory, as_of and the moment judged directly.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import NamedTuple

from auditkit.explore.settings import ExplorerSettings
from auditkit.explore.workspace import TablesWorkspace, Workspace, open_data
from auditkit.io.tables import Tables, load_tables
from auditkit.params import Params
from auditkit.progress import Progress, silent
from auditkit.review.scenarios import JsonScenarios, RegisterScenarios, ScenarioStore
from auditkit.vocab import EnvVar

DEMO_SOURCE = "the built-in demo data"


def open_workspace(
    data_dir: str | Path | None = None,
    as_of: str | dt.date | None = None,
    demo_requests: int | None = None,
    at: str | None = None,
    progress: Progress = silent,
    settings: ExplorerSettings | None = None,
) -> Workspace:
    """The evaluation to explore: `settings` (default: from the environment, see
    `explore.settings`) with the arguments given.

    A data directory is judged once and cached (`explore.workspace.open_data`);
    with none, the bundled demo data set (which has history) is built in memory.
    """
    settings = _settings(settings, data_dir, as_of, demo_requests, at)
    if settings.data:
        params, catalogue = settings.params(), settings.catalogue()
        return open_data(settings.data, params, catalogue, settings.cache, progress)
    import auditkit.demo as demo

    progress("generate")
    tables = demo.tables(requests=settings.demo_requests)
    progress("evaluate")
    params = settings.params(demo.DEFAULT_AS_OF)
    return TablesWorkspace(tables, params, DEMO_SOURCE, settings.catalogue())


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
    settings: ExplorerSettings | None = None,
) -> Opened:
    """The input tables themselves, for a notebook that edits them (what-if): `settings`
    (default: from the environment) with the arguments given; no data directory means the
    bundled demo data."""
    settings = _settings(settings, data_dir, as_of, demo_requests, at)
    if settings.data:
        params = settings.params()
        tables = load_tables(settings.data, require_history=params.at_requested)
        return Opened(tables, params, settings.data)
    import auditkit.demo as demo

    params = settings.params(demo.DEFAULT_AS_OF)
    return Opened(demo.tables(requests=settings.demo_requests), params, DEMO_SOURCE)


def _settings(
    settings: ExplorerSettings | None,
    data_dir: str | Path | None,
    as_of: str | dt.date | None,
    demo_requests: int | None,
    at: str | None,
) -> ExplorerSettings:
    base = settings or ExplorerSettings.from_env()
    return base.given(data=data_dir, as_of=as_of, demo_requests=demo_requests, at=at)


def scenario_store(register: object | None, settings: ExplorerSettings) -> ScenarioStore:
    """Saved scenarios: in the review register when one is open, else in a JSON file."""
    if register is not None:
        return RegisterScenarios(register)  # type: ignore[arg-type]
    return JsonScenarios(settings.scenarios)


def reviewer(settings: ExplorerSettings | None = None) -> str:
    """Who reviews: the reviewer who opened the page (with per-reviewer sign-in, see
    `explore.identity`), else the settings' user (`auditkit explore --user`,
    $AUDITKIT_USER), else the OS user."""
    import getpass

    given = os.environ.get(EnvVar.REVIEWER, "").strip()
    if given:
        return given
    user = (settings or ExplorerSettings.from_env()).user
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. in a container)
        return "unknown"

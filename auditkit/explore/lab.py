"""`auditkit explore --lab`: the explorer notebook in JupyterLab, on the data given.

The notebook a user opens (and may edit and save) is a copy in a workspace
folder (`reports/lab/explorer.ipynb`, made from the shipped one when it is
not there yet), never the notebook auditkit ships, so an edit can never
change what `auditkit explore` serves. The data, parameters and cache reach
the kernel as environment variables, as under Voilà; the data is judged and
cached before JupyterLab starts. Exports are linked through JupyterLab's own
`/files/` route when they are written inside its root folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import secrets
import shutil
from pathlib import Path

from auditkit.errors import ParameterError
from auditkit.explore.handlers import culling_argv
from auditkit.explore.launch import (
    HOST,
    explorer_settings,
    free_port,
    judge_before_serving,
    notebook_path,
)

WORKSPACE = Path("reports") / "lab"


def workspace_notebook(folder: Path = WORKSPACE) -> tuple[Path, bool]:
    """The notebook to open: `folder/explorer.ipynb`, copied from the shipped one if absent.

    Returns the path and whether it was copied just now (an existing copy is the user's).
    """
    target = Path(folder) / notebook_path().name
    if target.exists():
        return target, False
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook_path(), target)
    return target, True


def lab_argv(
    notebook: Path, root: Path, port: int, token: str, open_browser: bool, cull_idle: int
) -> list[str]:
    argv = [
        str(notebook.relative_to(root)),
        f"--ServerApp.root_dir={root}",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        *culling_argv(cull_idle),
    ]
    if not open_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Jupyter refuses to run as root unless told; containers often have no other user.
        argv.append("--ServerApp.allow_root=True")
    return argv


def lab(args: argparse.Namespace) -> None:
    """Copy the notebook to the workspace, judge the data once, and run JupyterLab on it."""
    try:
        from jupyterlab.labapp import LabApp
    except ImportError:
        raise ParameterError(
            "JupyterLab is not installed: run `make lab`, or pip install -e '.[lab]'"
        ) from None
    root = Path.cwd()
    settings = explorer_settings(
        args.data,
        args.as_of,
        args.exports,
        args.demo_requests,
        args.at,
        args.db,
        args.user,
        args.params,
        args.cache,
        args.decision_codes,
    )
    # JupyterLab serves the files under its root itself; exports elsewhere get no link.
    exports = settings.exports
    served = exports.is_relative_to(root)
    url = f"/files/{exports.relative_to(root).as_posix()}/" if served else None
    settings = dataclasses.replace(settings, exports_url=url)
    if settings.data:
        judge_before_serving(settings)
    notebook, fresh = workspace_notebook(root / WORKSPACE)
    port, token = args.port or free_port(), secrets.token_hex(24)
    relative = notebook.relative_to(root).as_posix()
    state = (
        "a fresh copy of the shipped notebook" if fresh else "your copy (delete it to start over)"
    )
    print(f"JupyterLab on {relative}, {state}; run its cells (Run > Run All):")
    print(f"http://{HOST}:{port}/lab/tree/{relative}?token={token}")
    print("press Ctrl-C twice to stop", flush=True)
    settings.apply_to(os.environ)  # the kernels JupyterLab starts inherit these
    LabApp.launch_instance(
        argv=lab_argv(notebook, root, port, token, not args.no_browser, args.cull_idle)
    )

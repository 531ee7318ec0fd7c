"""Where the notebooks that ship with auditkit are.

`notebooks/` at the top of the repository is their single source. A checkout or
an editable install reads them there; a built wheel carries them as the package
data `auditkit/notebooks/` (see `[tool.setuptools.package-dir]` in pyproject.toml).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from auditkit.errors import AuditkitError


def shipped_notebook(name: str) -> Path:
    """Path of the shipped notebook `name`, e.g. "explorer.ipynb"."""
    source_tree = Path(__file__).resolve().parent.parent / "notebooks" / name
    installed = Path(str(files("auditkit"))) / "notebooks" / name
    for candidate in (source_tree, installed):
        if candidate.is_file():
            return candidate
    raise AuditkitError(
        f"notebook {name} not found (looked in {source_tree} and {installed}); reinstall auditkit"
    )

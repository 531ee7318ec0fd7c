"""The run manifest: which input bytes (sha256), catalogue, parameters and libraries made a result.

A manifest is a plain JSON-ready dict written beside results (`check`) and
reports (`report`). Input hashes are of the bytes that were parsed (see
`auditkit.io.read`); the catalogue hash is of the catalogue that ran.
"""

from __future__ import annotations

import hashlib
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.version import __version__

MANIFEST_VERSION = 1
LIBRARIES = (
    "pandas",
    "numpy",
    "pyarrow",
    "pandera",
    "matplotlib",
    "papermill",
    "nbconvert",
    "nbclient",
    "nbformat",
    "ipykernel",
    "jupyter_client",
)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, as `sha256sum` prints it."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_files(tables: Tables) -> dict[str, dict[str, object]]:
    """Per input table: file name, absolute path, size, sha256 (of the bytes parsed) and rows."""
    rows = tables.row_counts()
    return {
        table: {
            "file": source.name,
            "path": str(source.path.absolute()),
            "bytes": source.size,
            "sha256": source.sha256,
            "rows": rows[table],
        }
        for table, source in tables.sources.items()
    }


def library_versions() -> dict[str, str | None]:
    """Installed versions of the libraries a report depends on (None when not installed)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def describe_inputs(
    tables: Tables, params: Params, catalogue_sha256: str, rule_ids: list[str]
) -> dict[str, object]:
    """The facts every manifest starts with: versions, parameters, catalogue and inputs."""
    return {
        "manifest_version": MANIFEST_VERSION,
        "as_of": params.as_of.isoformat(),
        "auditkit_version": __version__,
        "params": params.to_dict(),
        "params_sha256": params.fingerprint(),
        "rule_catalogue_sha256": catalogue_sha256,
        "rule_ids": rule_ids,
        "inputs": input_files(tables),
        "libraries": library_versions(),
    }


def describe_environment() -> dict[str, object]:
    """Where a run happened: the interpreter and the platform."""
    return {"python_executable": sys.executable, "platform": platform.platform()}

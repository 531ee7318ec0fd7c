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
from typing import Protocol

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
        versions[name] = installed_version(name)
    return versions


def installed_version(name: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


class RunCatalogue(Protocol):
    """What a manifest records of the rule catalogue a run used (`rules.model.Catalogue`)."""

    decision_codes: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def rule_ids(self) -> list[str]: ...

    def fingerprint(self) -> str: ...


def describe_run(
    params: Params,
    catalogue: RunCatalogue,
    inputs: Tables | dict[str, dict[str, object]],
    libraries: tuple[str, ...] = (),
    **facts: object,
) -> dict[str, object]:
    """The manifest of a run, for every command and engine: versions, parameters, the
    catalogue with its decision-code map, the inputs (from `Tables`, or as described
    by the Dask engine), library versions (with `libraries` added), then `facts`."""
    versions = library_versions()
    for name in libraries:
        versions[name] = installed_version(name)
    return {
        "manifest_version": MANIFEST_VERSION,
        "as_of": params.as_of.isoformat(),
        "auditkit_version": __version__,
        "params": params.to_dict(),
        "params_sha256": params.fingerprint(),
        "rule_catalogue_sha256": catalogue.fingerprint(),
        "rule_ids": catalogue.rule_ids,
        "decision_codes": {code: list(rules) for code, rules in catalogue.decision_codes},
        "inputs": input_files(inputs) if isinstance(inputs, Tables) else inputs,
        "libraries": versions,
        **facts,
    }


def describe_environment() -> dict[str, object]:
    """Where a run happened: the interpreter and the platform."""
    return {"python_executable": sys.executable, "platform": platform.platform()}

"""The run manifest: which input files (by sha256), rules, parameters and libraries made a result.

A manifest is a plain JSON-ready dict. The report runner writes it as
`manifest.json`; the report notebook shows the same facts in its appendix.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from auditkit import __version__
from auditkit.engine import AuditResult
from auditkit.loading import Tables
from auditkit.params import Params
from auditkit.rules import RULES, Rule, catalogue_frame

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


def catalogue_json(rules: tuple[Rule, ...] = RULES) -> str:
    """The rule catalogue serialized for hashing: catalogue_frame rows as sorted-key JSON."""
    records = catalogue_frame(rules).to_dict("records")  # one record per rule
    return json.dumps(records, sort_keys=True, ensure_ascii=False)


def catalogue_sha256(rules: tuple[Rule, ...] = RULES) -> str:
    return hashlib.sha256(catalogue_json(rules).encode("utf-8")).hexdigest()


def input_files(tables: Tables) -> dict[str, dict[str, object]]:
    """Per input table: file name, absolute path, size, sha256 and data rows (header excluded)."""
    rows = tables.row_counts()
    described: dict[str, dict[str, object]] = {}
    for table, source in tables.sources.items():
        path = Path(source).absolute()
        described[table] = {
            "file": path.name,
            "path": str(path),
            "bytes": path.stat().st_size,
            "sha256": sha256_file(path),
            "rows": rows[table],
        }
    return described


def library_versions() -> dict[str, str | None]:
    """Installed versions of the libraries a report depends on (None when not installed)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def describe_check(
    tables: Tables, result: AuditResult, inputs: dict[str, dict[str, object]] | None = None
) -> dict[str, object]:
    """What `auditkit check` records beside its results: as_of, parameters, rules, inputs, counts.

    `inputs` is `input_files(tables)` when the caller already computed it.
    """
    return {
        "manifest_version": MANIFEST_VERSION,
        "command": "check",
        "as_of": result.params.as_of.isoformat(),
        "written_at": utc_now(),
        "auditkit_version": __version__,
        "params": result.params.to_dict(),
        "params_sha256": result.params.fingerprint(),
        "rule_catalogue_sha256": catalogue_sha256(),
        "rule_ids": [rule.id for rule in result.rules],
        "inputs": inputs if inputs is not None else input_files(tables),
        "verdicts": result.verdict_counts(),
        "control_exceptions": result.exception_counts(),
        "libraries": library_versions(),
    }


def describe_run(
    *,
    period: str,
    tables: Tables,
    params: Params,
    parameters: dict[str, object],
    previous_dir: Path | None = None,
) -> dict[str, object]:
    """The facts known before a report runs; the runner adds status, times and outputs."""
    return {
        "manifest_version": MANIFEST_VERSION,
        "period": period,
        "as_of": params.as_of.isoformat(),
        "status": "running",
        "started_at": utc_now(),
        "auditkit_version": __version__,
        "python_executable": sys.executable,
        "platform": platform.platform(),
        "parameters": parameters,
        "params": params.to_dict(),
        "params_sha256": params.fingerprint(),
        "rule_catalogue_sha256": catalogue_sha256(),
        "rule_ids": [rule.id for rule in RULES],
        "inputs": input_files(tables),
        "previous_dir": str(previous_dir) if previous_dir else None,
        "libraries": library_versions(),
    }

"""auditkit: audit Tencent Cloud Organization pay-on-behalf requests against the access requirements.

The public API. Names are imported on first use (PEP 562), so that `auditkit
--help` or `auditkit rules` do not pay for pandas, pyarrow and pandera.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from auditkit.version import __version__

_PUBLIC = {
    "CheckSettings": "auditkit.check",
    "run_check": "auditkit.check",
    "evaluate": "auditkit.engine.evaluate",
    "AuditResult": "auditkit.engine.result",
    "AuditkitError": "auditkit.errors",
    "InputError": "auditkit.errors",
    "ParameterError": "auditkit.errors",
    "Tables": "auditkit.io.tables",
    "load_tables": "auditkit.io.tables",
    "tables_from_frames": "auditkit.io.tables",
    "Params": "auditkit.params",
    "Catalogue": "auditkit.rules.model",
    "POB": "auditkit.rules.pob",
    "RULES": "auditkit.rules.pob",
    "Status": "auditkit.vocab",
    "Verdict": "auditkit.vocab",
}

if TYPE_CHECKING:
    from auditkit.check import CheckSettings, run_check
    from auditkit.engine.evaluate import evaluate
    from auditkit.engine.result import AuditResult
    from auditkit.errors import AuditkitError, InputError, ParameterError
    from auditkit.io.tables import Tables, load_tables, tables_from_frames
    from auditkit.params import Params
    from auditkit.rules.model import Catalogue
    from auditkit.rules.pob import POB, RULES
    from auditkit.vocab import Status, Verdict


def __getattr__(name: str) -> object:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'auditkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*_PUBLIC, "__version__"])


__all__ = [
    "POB",
    "RULES",
    "AuditResult",
    "AuditkitError",
    "Catalogue",
    "CheckSettings",
    "InputError",
    "ParameterError",
    "Params",
    "Status",
    "Tables",
    "Verdict",
    "__version__",
    "evaluate",
    "load_tables",
    "run_check",
    "tables_from_frames",
]

"""auditkit: audit Tencent Cloud Organization pay-on-behalf requests against the access requirements.

The public API; everything else is reached through its module (see docs/architecture.md).
"""

from auditkit.engine.evaluate import evaluate
from auditkit.engine.result import AuditResult
from auditkit.errors import AuditkitError, InputError, ParameterError
from auditkit.io.tables import Tables, load_tables, tables_from_frames
from auditkit.params import Params
from auditkit.rules.model import Catalogue
from auditkit.rules.pob import POB, RULES
from auditkit.version import __version__
from auditkit.vocab import Status, Verdict

__all__ = [
    "POB",
    "RULES",
    "AuditResult",
    "AuditkitError",
    "Catalogue",
    "InputError",
    "ParameterError",
    "Params",
    "Status",
    "Tables",
    "Verdict",
    "__version__",
    "evaluate",
    "load_tables",
    "tables_from_frames",
]

"""auditkit: audit Tencent Cloud Organization pay-on-behalf requests against the access requirements."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("auditkit")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from auditkit.engine import AuditResult, evaluate
from auditkit.enums import Status, Verdict
from auditkit.errors import AuditkitError, InputError, ParameterError
from auditkit.loading import Tables, load_tables, tables_from_frames
from auditkit.params import Params
from auditkit.rules import RULES

__all__ = [
    "RULES",
    "AuditResult",
    "AuditkitError",
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

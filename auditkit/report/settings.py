"""What a report run is asked to do (`ReportSettings`), and the plan checked from it (`prepare`).

`ReportSettings` holds every option of `auditkit report` as one frozen value,
so the command line, the report notebook run on its own by papermill and the
tests all build a run the same way. `prepare` checks it before any data is
read: period, parameters, the previous period, notebook and kernel, and
whether the period's report was signed off. Paths are resolved once here
(`ReportPlan.root`), so every later step compares real paths, whatever form
`--out` was given in (relative, `./r`, through a symbolic link, absolute).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from auditkit.analysis.population import Period
from auditkit.analysis.sampling import SampleOptions
from auditkit.errors import ParameterError, ReportError
from auditkit.params import Params
from auditkit.report import execute
from auditkit.report.currency import check_currency
from auditkit.report.signoff import refuse_silent_replacement
from auditkit.report.store import check_period, read_manifest, read_verdicts, usable_previous
from auditkit.review.register import Register
from auditkit.rules.catalogues import choose_catalogue
from auditkit.rules.model import Catalogue

DEFAULT_TOLERABLE_RATE = 0.05


@dataclass(frozen=True)
class ReportSettings:
    """Every option of one report run, as given; `prepare` checks them."""

    data_dir: Path
    period: str
    out: Path = Path("reports")
    as_of: str | None = None  # None: today in UTC
    at: str | None = None  # snapshot (None) or requested
    previous: Path | None = None  # None: the latest earlier period under `out`
    params: Mapping[str, object] = field(default_factory=dict)  # rule parameter overrides
    pdf: bool = False
    notebook: Path | None = None  # None: the notebook shipped with auditkit
    kernel_name: str = execute.KERNEL_NAME
    cell_timeout: int = execute.CELL_TIMEOUT
    supersede: bool = False
    catalogue: Catalogue = field(default_factory=choose_catalogue)  # the default, by name
    tolerable_rate: float = DEFAULT_TOLERABLE_RATE
    sample: SampleOptions | None = None
    currency: str | None = None  # None: as the data states it, else report.currency.DEFAULT

    def __post_init__(self) -> None:
        # Frozen all the way down: the parameter overrides cannot change after the fact.
        object.__setattr__(self, "params", MappingProxyType(dict(self.params or {})))
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        object.__setattr__(self, "out", Path(self.out))

    def replace(self, **changes: object) -> ReportSettings:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class ReportPlan:
    """Everything decided before any data is read."""

    settings: ReportSettings
    period: str
    root: Path  # `settings.out`, resolved once: every file operation uses it
    params: Params
    previous_dir: Path | None
    notebook: Path | None  # None: the notebook runs itself (papermill), see report.standalone
    kernel_argv: list[str]
    replaces_signed: bool = False  # the target holds a signed report; --supersede was given
    warnings: tuple[str, ...] = ()  # earlier periods skipped as unreadable

    @property
    def target(self) -> Path:
        """The period's folder (a link to its current version), by its real path."""
        return self.root / self.period

    @property
    def shown_target(self) -> Path:
        """The period's folder as the user named it, for messages."""
        return self.settings.out / self.period

    @property
    def overrides(self) -> dict[str, object]:
        return dict(self.settings.params)

    @property
    def catalogue(self) -> Catalogue:
        return self.settings.catalogue


def prepare(
    settings: ReportSettings, register: Register | None = None, *, for_notebook: bool = False
) -> ReportPlan:
    """Check every option; input and parameter errors surface here, before anything is written.

    `for_notebook`: the plan of a notebook judging the data itself (run by papermill,
    not by `auditkit report`); no notebook or kernel is chosen.
    """
    if not 0 < settings.tolerable_rate < 1:
        raise ParameterError(
            f"the tolerable rate must be between 0 and 1, got {settings.tolerable_rate}"
        )
    period = check_period(settings.period)
    timeout = settings.cell_timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
        # papermill reads 0 or a negative timeout as "no timeout at all".
        raise ParameterError(
            f"--cell-timeout must be a whole number of seconds, at least 1; got {timeout!r}"
        )
    if settings.currency is not None:
        check_currency(settings.currency, "--currency")
    root = resolved(settings.out)
    replaces_signed = refuse_silent_replacement(root / period, register, settings.supersede)
    overrides = dict(settings.params)
    if "as_of" in overrides:
        raise ParameterError("give as_of with --as-of, not in the parameters file")
    given = {
        **({} if settings.as_of is None else {"as_of": settings.as_of}),
        **({"at": settings.at} if settings.at else {}),
    }
    run_params = Params.from_dict({**overrides, **given})
    if settings.previous:
        # Asked for by name: an unreadable or not earlier one is an error now, not in the notebook.
        previous_dir, skipped = Path(settings.previous), []
        check_earlier(previous_dir, period)
        read_verdicts(previous_dir)
    else:
        previous_dir, skipped = usable_previous(root, period)
    source = None
    if not for_notebook:
        source = Path(settings.notebook) if settings.notebook else execute.find_notebook()
        if not source.is_file():
            raise ReportError(f"report notebook {source} does not exist")
    return ReportPlan(
        settings=settings,
        period=period,
        root=root,
        params=run_params,
        previous_dir=previous_dir.absolute() if previous_dir else None,
        notebook=source,
        kernel_argv=[] if for_notebook else execute.check_kernel(settings.kernel_name),
        replaces_signed=replaces_signed,
        warnings=tuple(skipped),
    )


def resolved(out: Path) -> Path:
    """`out` as a real absolute path: symbolic links in it followed, `.` and `..` gone.

    A folder that does not exist yet is resolved as far as it exists.
    """
    return Path(out).expanduser().resolve()


def period_of(folder: Path) -> str | None:
    """The month a report folder covers: its manifest's period, else its name; None if neither."""
    stated = read_manifest(folder).get("period")
    for name in (stated, Path(folder).name, Path(folder).resolve().name):
        if isinstance(name, str):
            try:
                return Period(name).name
            except ParameterError:
                continue
    return None


def check_earlier(previous: Path, period: str) -> None:
    """Refuse a --previous folder of the same or a later period than the one reported."""
    earlier = period_of(previous)
    if earlier is not None and earlier >= period:
        which = "the same period as" if earlier == period else "a later period than"
        raise ParameterError(
            f"--previous {previous} is the report of {earlier}, {which} --period {period}; "
            "the change section compares with an earlier period, e.g. "
            f"--previous {Path(previous).parent / month_before(period)}"
        )


def month_before(period: str) -> str:
    """The calendar month before `period` (YYYY-MM)."""
    return (Period(period).start - pd.offsets.MonthBegin(1)).strftime("%Y-%m")


def user_parameters(plan: ReportPlan) -> dict[str, str]:
    """The notebook's parameters a user knows (as `papermill -p` would give them)."""
    return {
        "data_dir": str(plan.settings.data_dir.absolute()),
        "period": plan.period,
        "as_of": plan.params.as_of.isoformat(),
        "at": plan.params.at.value,
        "params_json": json.dumps(plan.overrides, sort_keys=True),
        "previous_dir": str(plan.previous_dir) if plan.previous_dir else "",
        "currency": plan.settings.currency or "",
    }


def notebook_parameters(plan: ReportPlan, run_dir: Path) -> dict[str, str]:
    """What `auditkit report` gives the notebook: the user's parameters and the saved run
    (`run_dir`), which the notebook renders instead of judging the data again."""
    return user_parameters(plan) | {"run_dir": str(run_dir)}

"""The explorer's settings: one frozen object, from `auditkit explore` to every kernel.

As Voilà keeps its options in one configuration object (`voila.configuration`),
the explorer keeps what a session opens in `ExplorerSettings`: the data, the
moment and parameters it is judged with, where exports, the cache and saved
scenarios go, the review register and the reviewer's name. `auditkit explore`
builds it from its options and the variables already in its environment
(checking each before serving), hands it to the kernels it starts with
`to_env()` (the server's environment, which each kernel inherits), and the
notebook reads it back with `from_env()`. A variable set by hand is checked as
strictly as the option it stands for, and a bad one is named.

Relative defaults are under `reports/` of the working directory, which git
ignores: exports hold customer data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Collection, Mapping, MutableMapping
from pathlib import Path

from auditkit.dates import parse_date
from auditkit.errors import ParameterError
from auditkit.explore.exports import ExportLimits
from auditkit.params import Params, read_params_file
from auditkit.review.scenarios import DEFAULT_FILE
from auditkit.rules.catalogues import choose_catalogue, read_decision_codes
from auditkit.rules.model import Catalogue
from auditkit.vocab import EnvVar, Moment, values

REPORTS = Path("reports")
DEFAULT_EXPORTS = REPORTS / "exports"
DEFAULT_CACHE = REPORTS / "cache"
DEFAULT_SCENARIOS = DEFAULT_FILE  # reports/scenarios.json
DEFAULT_DEMO_REQUESTS = 2000


def _whole(least: int) -> Callable[[object, str], int]:
    def check(value: object, name: str) -> int:
        text = str(value).strip()
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if number is None and text.isascii() and text.isdigit():
            number = int(text)
        if number is None or number < least:
            raise ParameterError(f"{name} must be a whole number, at least {least}, got {value!r}")
        return number

    return check


def _moment(value: object, name: str) -> Moment:
    if str(value) not in values(Moment):
        raise ParameterError(f"{name} must be one of {', '.join(values(Moment))}, got {value!r}")
    return Moment(str(value))


def _user(value: object, name: str) -> str | None:
    from auditkit.review.changes import check_name

    text = str(value).strip()  # blank means unset, as `explore.config.reviewer` reads it
    return check_name(text, name) if text else None


def _path(value: object, _name: str) -> Path:
    return Path(str(value))


def _text(value: object, _name: str) -> str:
    return str(value)


# Each setting: its variable and how a value given as text (or as a Python value) is read.
_FIELDS: dict[str, tuple[EnvVar, Callable[[object, str], object]]] = {
    "data": (EnvVar.DATA, _text),
    "as_of": (EnvVar.AS_OF, lambda value, name: parse_date(value, name)),  # type: ignore[arg-type]
    "at": (EnvVar.AT, _moment),
    "params_file": (EnvVar.PARAMS, _text),
    "decision_codes": (EnvVar.DECISION_CODES, _path),
    "demo_requests": (EnvVar.DEMO_REQUESTS, _whole(1)),
    "exports": (EnvVar.EXPORTS, _path),
    "exports_url": (EnvVar.EXPORTS_URL, _text),
    "export_files": (EnvVar.EXPORT_FILES, _whole(0)),
    "export_bytes": (EnvVar.EXPORT_BYTES, _whole(0)),
    "cache": (EnvVar.CACHE, _path),
    "scenarios": (EnvVar.SCENARIOS, _path),
    "review_db": (EnvVar.REVIEW_DB, _text),
    "user": (EnvVar.USER, _user),
}


@dataclasses.dataclass(frozen=True)
class ExplorerSettings:
    """What an explorer session opens and where it writes; None: not given (see each use).

    `data` is a folder or URL (None: the built-in demo data of `demo_requests`
    requests); `as_of` and `at` the snapshot date and moment judged (None: the
    parameters' defaults); `params_file` the rule parameters, a JSON file or the JSON
    object itself (`--params`); `decision_codes` a JSON file replacing the catalogue's
    map of platform codes (`--decision-codes`);
    `exports_url` where the server hands exports out (None: no server does);
    `review_db` the register (None: none, scenarios go to `scenarios`); `user`
    the reviewer's name (None: the operating-system user).
    """

    data: str | None = None
    as_of: dt.date | None = None
    at: Moment | None = None
    params_file: str | None = None
    decision_codes: Path | None = None
    demo_requests: int = DEFAULT_DEMO_REQUESTS
    exports: Path = DEFAULT_EXPORTS
    exports_url: str | None = None
    export_files: int = ExportLimits().files
    export_bytes: int = ExportLimits().bytes
    cache: Path = DEFAULT_CACHE
    scenarios: Path = DEFAULT_SCENARIOS
    review_db: str | None = None
    user: str | None = None

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, ignore: Collection[str] = ()
    ) -> ExplorerSettings:
        """The settings in `environ` (default: this process's environment), but for the
        fields in `ignore` (given otherwise); an empty variable is unset, a bad one is
        refused naming it ($AUDITKIT_EXPLORE_AS_OF ...)."""
        environ = os.environ if environ is None else environ
        given = {
            field: read(environ[variable], f"${variable.value}")
            for field, (variable, read) in _FIELDS.items()
            if environ.get(variable) and field not in ignore
        }
        return cls(**{field: value for field, value in given.items() if value is not None})

    def given(self, **options: object) -> ExplorerSettings:
        """These settings with the options given (None: keep), each checked and named as the
        option (`--as-of`, `--demo-requests`, ...)."""
        changes = {}
        for field, value in options.items():
            if value is not None:
                changes[field] = _FIELDS[field][1](value, f"--{field.replace('_', '-')}")
        return dataclasses.replace(self, **changes)

    def to_env(self) -> dict[str, str]:
        """The settings as environment variables, for the kernels; unset ones are left out."""
        env = {}
        for field, (variable, _) in _FIELDS.items():
            value = getattr(self, field)
            if value is not None:
                env[variable.value] = value.isoformat() if field == "as_of" else str(value)
        return env

    def apply_to(self, environ: MutableMapping[str, str]) -> None:
        """Put the settings in `environ` (the environment the kernels inherit), removing the
        variables of settings that are unset, so that a kernel reads back exactly these."""
        env = self.to_env()
        for variable, _ in _FIELDS.values():
            if variable.value in env:
                environ[variable.value] = env[variable.value]
            else:
                environ.pop(variable.value, None)

    @property
    def export_limits(self) -> ExportLimits:
        """What one session may export."""
        return ExportLimits(self.export_files, self.export_bytes)

    def catalogue(self) -> Catalogue:
        """The rule catalogue a session judges with, chosen here once (`rules.catalogues`)."""
        codes = self.decision_codes
        return choose_catalogue(
            decision_codes=None if codes is None else read_decision_codes(codes)
        )

    def params(self, default_as_of: dt.date | None = None) -> Params:
        """The rule parameters: the JSON file's, then as_of (else `default_as_of`, else the
        parameters' own default) and the moment judged."""
        overrides = read_params_file(self.params_file)
        as_of = self.as_of or default_as_of
        if as_of is not None:
            overrides["as_of"] = as_of
        overrides["at"] = Moment(self.at or overrides.get("at") or Moment.SNAPSHOT)
        return Params.from_dict(overrides)

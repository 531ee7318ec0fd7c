"""The rule catalogues auditkit knows, by name, and the one a run chooses.

A run's catalogue is chosen once, where the run starts (the command line, a
notebook, the explorer), by name and with its decision-code map; everything
after takes it as an argument (`evaluate` has no default). A run records its
choice (`record`: name, map, fingerprint) in its manifest, and a process that
only has the record (a worker, the report notebook) chooses the same
catalogue again from it (`from_record`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from auditkit.errors import ParameterError
from auditkit.json_input import read_json_file
from auditkit.rules.model import Catalogue
from auditkit.rules.pob import POB

CATALOGUES: Mapping[str, Catalogue] = MappingProxyType({POB.name: POB})
DEFAULT = POB.name


def choose_catalogue(name: str = DEFAULT, decision_codes: object = None) -> Catalogue:
    """The catalogue `name`, with `decision_codes` (a JSON object of code -> [rule ids])
    replacing its map when given. An unknown name or a bad map is a ParameterError."""
    if name not in CATALOGUES:
        raise ParameterError(f"rule catalogue {name!r} is unknown; known: {sorted(CATALOGUES)}")
    catalogue = CATALOGUES[name]
    return catalogue if decision_codes is None else catalogue.with_decision_codes(decision_codes)


def read_decision_codes(path: Path | str) -> object:
    """The JSON value of a --decision-codes file, read with the same limits as --params
    (size, depth, duplicate keys; checked as a code map by `choose_catalogue`)."""
    return read_json_file(path, f"--decision-codes {path}")


def record(catalogue: Catalogue) -> dict[str, object]:
    """What a manifest records of the catalogue a run used."""
    return {
        "rule_catalogue": catalogue.name,
        "rule_catalogue_sha256": catalogue.fingerprint(),
        "rule_ids": catalogue.rule_ids,
        "decision_codes": {code: list(rules) for code, rules in catalogue.decision_codes},
    }


def from_record(recorded: Mapping[str, object]) -> Catalogue:
    """The catalogue a manifest (or `record`) describes, chosen again; refused when this
    auditkit's catalogue of that name is not the one recorded (its sha256 differs)."""
    name = str(recorded.get("rule_catalogue") or DEFAULT)
    codes = recorded.get("decision_codes")
    catalogue = choose_catalogue(
        name, dict(codes) if isinstance(codes, Mapping) and codes else None
    )
    if isinstance(codes, Mapping) and not codes:
        catalogue = catalogue.replace(decision_codes=())
    wanted = recorded.get("rule_catalogue_sha256")
    if wanted is not None and wanted != catalogue.fingerprint():
        raise ParameterError(
            f"the run was judged with another version of the rule catalogue {name!r} "
            "than this auditkit's; judge it again with this version"
        )
    return catalogue

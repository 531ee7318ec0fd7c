"""A finished run read back for the report notebook: the saved evaluation, its manifest, the last period.

The notebook never reads the input data: it renders what the runner judged
and saved, so every number on the page is the number in the manifest and in
verdicts.csv.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from auditkit.analysis.population import Population
from auditkit.engine import run_folder
from auditkit.engine.result import AuditResult
from auditkit.errors import ReportError
from auditkit.params import Params
from auditkit.report.review import ReviewSnapshot, load_snapshot
from auditkit.report.store import MANIFEST, read_verdicts
from auditkit.rules.pob import POB


@dataclass(frozen=True)
class ReportData:
    """Everything the sections show: the evaluation, the previous period and the manifest."""

    period: str
    data_dir: Path
    result: AuditResult
    previous: pd.DataFrame | None
    previous_dir: Path | None
    manifest: dict[str, object]
    review: ReviewSnapshot | None = None  # None: the run used no review register

    @property
    def row_counts(self) -> dict[str, int]:
        return {table: int(facts["rows"]) for table, facts in self.inputs.items()}

    @property
    def inputs(self) -> dict[str, dict[str, object]]:
        return dict(self.manifest.get("inputs") or {})

    @property
    def population(self) -> Population:
        return Population.from_dict(dict(self.manifest["population"]))

    @property
    def orphans(self) -> dict[str, int]:
        quality = self.manifest.get("data_quality") or {}
        return dict(quality.get("orphans") or {"orders": 0, "vouchers": 0})


def load_report(run_dir: str | Path, previous_dir: str | Path = "") -> ReportData:
    """The saved run in `run_dir` (as the runner left it) and the previous period's verdicts."""
    run_dir = Path(run_dir)
    try:
        manifest = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ReportError(f"{run_dir} holds no readable {MANIFEST} ({error})") from None
    codes = manifest.get("decision_codes")
    catalogue = POB
    if codes is not None:  # the map the run used, e.g. from --decision-codes
        catalogue = POB.replace(decision_codes=tuple((c, tuple(r)) for c, r in codes.items()))
    if manifest.get("rule_catalogue_sha256") != catalogue.fingerprint():
        raise ReportError(
            f"the run in {run_dir} was judged with another rule catalogue than this auditkit's"
        )
    params = Params.from_dict(dict(manifest["params"]))
    result = run_folder.load(run_dir, params, catalogue)
    parameters = manifest.get("parameters") or {}
    previous = Path(previous_dir) if previous_dir else None
    return ReportData(
        period=str(manifest.get("period", "")),
        data_dir=Path(str(parameters.get("data_dir", ""))),
        result=result,
        previous=read_verdicts(previous) if previous else None,
        previous_dir=previous,
        manifest=manifest,
        review=load_snapshot(run_dir),
    )

"""The audit sample of a report run: drawn into the run's folder, or a tested one evaluated.

`auditkit report --sample` draws the period's sample and writes sample.csv and
sample_manifest.json beside the report; `--sample-results FILE` takes a tested
sample.csv (with the sample_manifest.json it was drawn with), checks that it
was drawn from this very population by this plan, and evaluates it, so the
report shows the plan and the conclusion. The same reading serves
`auditkit sample evaluate`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from auditkit.analysis.sampling import SampleEvaluation, SampleOptions
from auditkit.analysis.selection import (
    SAMPLE_FILE,
    SAMPLE_MANIFEST,
    evaluate_sample,
    sample_of,
)
from auditkit.dates import iso_seconds, utc_now
from auditkit.engine.result import AuditResult
from auditkit.errors import ParameterError
from auditkit.io.write import write_frame, write_json


@dataclass(frozen=True)
class TestedSample:
    """A tested sample.csv read back with the plan it was drawn by (None: no plan beside it)."""

    path: Path
    frame: pd.DataFrame
    document: dict | None


def read_tested(path: Path, plan_from: Path | None = None) -> TestedSample:
    """The tested sample at `path`, and sample_manifest.json from beside it (or from `plan_from`)."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype="str", keep_default_na=False)
    except (OSError, ValueError) as error:
        raise ParameterError(f"{path}: cannot read the sample as CSV ({error})") from None
    manifest = Path(plan_from) / SAMPLE_MANIFEST if plan_from else path.with_name(SAMPLE_MANIFEST)
    if not manifest.is_file():
        return TestedSample(path, frame, None)
    try:
        document = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ParameterError(f"{manifest}: not a readable sample manifest ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("sample"), dict):
        raise ParameterError(f"{manifest}: not a sample manifest (no `sample` plan in it)")
    return TestedSample(path, frame, document)


def options_of(document: dict) -> SampleOptions:
    """The drawing options a sample_manifest.json records."""
    planned = document["sample"]
    return SampleOptions(
        confidence=planned["confidence"],
        tolerable_rate=planned["tolerable_rate"],
        expected_rate=planned["expected_rate"],
        seed=int(planned["seed"]),
        stratify=tuple(planned.get("stratify") or ()),
        method=planned.get("method", "binomial"),
    )


def evaluate_tested(tested: TestedSample, untested: str = "refuse", **rates) -> SampleEvaluation:
    """Evaluate a tested sample by its plan (see `selection.evaluate_sample`)."""
    return evaluate_sample(
        tested.frame, tested.document, str(tested.path), untested=untested, **rates
    )


def plan_of_tested(options: SampleOptions) -> TestedSample | None:
    """The tested sample `options` names, read and checked against its own plan (or None)."""
    if options.tested is None:
        return None
    tested = read_tested(Path(options.tested))
    if tested.document is None:
        raise ParameterError(
            f"{tested.path}: no {SAMPLE_MANIFEST} beside it, so the plan it was drawn by is "
            "unknown; keep the manifest the sample was written with next to it"
        )
    evaluate_tested(tested, options.untested)  # every refusal before any data is judged
    return tested


def write_report_sample(
    result: AuditResult,
    options: SampleOptions,
    staging: Path,
    population: dict[str, object],
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Write sample.csv and sample_manifest.json into a report's staging folder.

    Returns the sample (as drawn, or as tested) and the report manifest's `sample` entry.
    """
    tested = plan_of_tested(options)
    untested = options.untested
    if tested is not None:
        options = options_of(tested.document)
    _, drawn, document = sample_of(result, options)
    document = {
        "command": "report",
        "written_at": iso_seconds(utc_now()),
        "population": {**population, "sha256": document["population_sha256"]},
        **document,
    }
    if tested is not None:
        _same_draw(tested, document)
        evaluation = evaluate_tested(tested, untested)
        document["evaluation"] = {**evaluation.to_dict(), "file": str(tested.path.absolute())}
        drawn = tested.frame
    write_frame(drawn, staging / SAMPLE_FILE)
    write_json(staging / SAMPLE_MANIFEST, document)
    entry = {
        **document["sample"],
        "file": SAMPLE_FILE,
        "manifest": SAMPLE_MANIFEST,
        "population_sha256": document["population_sha256"],
        "selection": {k: v for k, v in document["selection"].items() if k != "positions"},
    }
    if "evaluation" in document:
        entry["evaluation"] = document["evaluation"]
    return drawn, entry


def _same_draw(tested: TestedSample, drawn: dict) -> None:
    """Refuse a tested sample that this population and its plan would not draw."""
    recorded = tested.document or {}
    if recorded.get("population_sha256") != drawn["population_sha256"]:
        raise ParameterError(
            f"{tested.path}: the sample was drawn from another population than this report's "
            f"{drawn['sample']['population']:,} requests (population sha256 differs); report "
            "the data and period it was drawn from"
        )
    if (recorded.get("selection") or {}).get("items_sha256") != drawn["selection"]["items_sha256"]:
        raise ParameterError(
            f"{tested.path}: its plan draws other items from this population than the ones it lists"
        )

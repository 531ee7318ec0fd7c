"""The audit sample in the report: its plan, how to re-perform the selection, its evaluation.

The page section (an appendix) and the workpaper's sheets show the same facts,
read from the run's manifest (`manifest["sample"]`, written with
sample_manifest.json by `auditkit.report.sample`).
"""

from __future__ import annotations

import pandas as pd

from auditkit.analysis.sampling import percent
from auditkit.analysis.selection import POSITION, TESTER_COLUMNS
from auditkit.render.format import count
from auditkit.render.html import Html, paragraph, table, text
from auditkit.report.content import ReportData
from auditkit.report.sections.common import section, subheading

ANCHOR = "appendix-sample"
NOT_EVALUATED = (
    "Not evaluated yet. Test each item of sample.csv (deviation yes or no, tickmark, tested by, "
    "date tested, notes), then run `auditkit sample evaluate --report OUT/{period}` (OUT: this report's --out), or "
    "run this report again with --sample-results pointing at the tested file to show the conclusion here."
)


def plan_facts(entry: dict) -> list[tuple[str, str]]:
    """The plan as (item, value) pairs, in the words of the page and the workpaper."""
    facts = [
        ("Method", str(entry.get("method", ""))),
        ("Confidence", percent(float(entry["confidence"]), 0)),
        ("Tolerable deviation rate", percent(float(entry["tolerable_rate"]))),
        ("Expected deviation rate", percent(float(entry["expected_rate"]))),
        ("Population (requests)", count(entry["population"])),
        ("Population sha256 (request ids in order)", str(entry.get("population_sha256", ""))),
        ("Sample size", count(entry["size"])),
        ("Expected deviations in the sample", count(entry["expected_deviations"])),
    ]
    if entry.get("population_deviations") is not None:
        facts.append(
            (
                "Deviations at the tolerable rate in the population",
                count(entry["population_deviations"]),
            )
        )
    if entry.get("whole_population"):
        facts.append(("Whole population", "yes: every request is tested"))
    facts.append(("Seed", str(entry["seed"])))
    strata = entry.get("stratify") or []
    facts.append(("Strata", ", ".join(strata) if strata else "none"))
    return facts


def evaluation_facts(evaluation: dict) -> list[tuple[str, str]]:
    return [
        ("Items evaluated", count(evaluation["tested"])),
        ("Deviations", count(evaluation["deviations"])),
        ("Untested items counted as deviations", count(evaluation["untested_as_deviations"])),
        ("Deviation rate (rounded up)", percent(float(evaluation["deviation_rate"]))),
        ("Upper deviation limit (rounded up)", percent(float(evaluation["upper_limit"]))),
        ("Limit computed as", str(evaluation["basis"])),
        ("Conclusion", str(evaluation["conclusion"])),
    ]


def _pairs(facts: list[tuple[str, str]], table_id: str) -> str:
    return table(pd.DataFrame(facts, columns=["Item", "Value"]), table_id=table_id)


def sample_section(report: ReportData) -> Html:
    """Appendix D: the sample's plan, its re-performable selection and, once tested, its evaluation."""
    entry = report.manifest.get("sample")
    parts = [section(ANCHOR)]
    if not entry:
        parts.append(
            paragraph(
                "No audit sample was drawn with this report. `auditkit report --sample` draws "
                "one for re-performing the control by hand (sample.csv and sample_manifest.json "
                "beside the report, and a Sample sheet in report.xlsx)."
            )
        )
        return Html("".join(parts))
    parts += [
        paragraph(
            text(
                f"{count(entry['size'])} of the period's {count(entry['population'])} requests "
                "were drawn for re-performing the control by hand; sample.csv lists them with "
                "their evidence, sample_manifest.json records the plan."
            )
        ),
        subheading("Plan"),
        _pairs(plan_facts(entry), "sample-plan"),
        subheading("How to re-perform the selection"),
        "<ol>"
        + "".join(f"<li>{text(step)}</li>" for step in entry["selection"]["procedure"])
        + "</ol>",
        paragraph(
            text(
                f"Generator: {entry['selection']['generator']} (numpy "
                f"{entry['selection']['numpy']}). The population's sha256 is of the request ids "
                "in that order, one per line, so the list can be checked against verdicts.csv."
            ),
            "ak-note",
        ),
        subheading("Evaluation"),
    ]
    evaluation = entry.get("evaluation")
    if evaluation:
        parts += [
            paragraph(text(evaluation["conclusion"]), "ak-conclusion"),
            _pairs(evaluation_facts(evaluation), "sample-evaluation"),
        ]
    else:
        parts.append(paragraph(text(NOT_EVALUATED.format(period=report.period))))
    return Html("".join(parts))


def sample_sheets(sample: pd.DataFrame | None, manifest: dict) -> dict[str, pd.DataFrame]:
    """The workpaper's Sample sheet (items, evidence, the tester's columns) and Sample plan."""
    entry = manifest.get("sample")
    if sample is None or not entry:
        return {}
    items = sample.copy()
    for column in ("item", POSITION):
        if column in items:
            items[column] = pd.to_numeric(items[column], errors="coerce").astype("Int64")
    for column in TESTER_COLUMNS:
        if column not in items:
            items[column] = ""
    facts = plan_facts(entry) + [
        (f"Selection step {i}", step) for i, step in enumerate(entry["selection"]["procedure"], 1)
    ]
    evaluation = entry.get("evaluation")
    facts += evaluation_facts(evaluation) if evaluation else [("Evaluation", "not evaluated yet")]
    return {
        "Sample": items,
        "Sample plan": pd.DataFrame(facts, columns=["item", "value"]),
    }

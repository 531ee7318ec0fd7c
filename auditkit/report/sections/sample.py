"""The audit sample in the report: its plan, how to re-perform the selection, its evaluation.

The page section (an appendix) and the workpaper's sheets show the same facts,
read from the run's manifest (`manifest["sample"]`, written with
sample_manifest.json by `auditkit.report.sample`).
"""

from __future__ import annotations

import pandas as pd

from auditkit.analysis.sampling import percent
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


# The kinds of a fact's value, as report.workbook names them: the workpaper writes a
# count as a number and a rate as a percentage cell; the page shows both as words.
TEXT, COUNT, SHARE = "text", "count", "share"
Facts = list[tuple[str, object, str]]


def plan_facts(entry: dict) -> Facts:
    """The plan as (item, value, kind), in the words of the page and the workpaper."""
    facts: Facts = [
        ("Method", str(entry.get("method", "")), TEXT),
        ("Confidence", float(entry["confidence"]), SHARE),
        ("Tolerable deviation rate", float(entry["tolerable_rate"]), SHARE),
        ("Expected deviation rate", float(entry["expected_rate"]), SHARE),
        ("Population (requests)", int(entry["population"]), COUNT),
        ("Population sha256 (request ids in order)", str(entry.get("population_sha256", "")), TEXT),
        ("Sample size", int(entry["size"]), COUNT),
        ("Expected deviations in the sample", int(entry["expected_deviations"]), COUNT),
    ]
    if entry.get("population_deviations") is not None:
        facts.append(
            (
                "Deviations at the tolerable rate in the population",
                int(entry["population_deviations"]),
                COUNT,
            )
        )
    if entry.get("whole_population"):
        facts.append(("Whole population", "yes: every request is tested", TEXT))
    facts.append(("Seed", str(entry["seed"]), TEXT))
    strata = entry.get("stratify") or []
    facts.append(("Strata", ", ".join(strata) if strata else "none", TEXT))
    return facts


def evaluation_facts(evaluation: dict) -> Facts:
    return [
        ("Items evaluated", int(evaluation["tested"]), COUNT),
        ("Deviations", int(evaluation["deviations"]), COUNT),
        (
            "Untested items counted as deviations",
            int(evaluation["untested_as_deviations"]),
            COUNT,
        ),
        ("Deviation rate (rounded up)", float(evaluation["deviation_rate"]), SHARE),
        ("Upper deviation limit (rounded up)", float(evaluation["upper_limit"]), SHARE),
        ("Limit computed as", str(evaluation["basis"]), TEXT),
        ("Conclusion", str(evaluation["conclusion"]), TEXT),
    ]


def sample_plan_facts(manifest: dict) -> Facts:
    """The workpaper's Sample plan sheet: the plan, the selection steps and the evaluation."""
    entry = manifest.get("sample")
    if not entry:
        return []
    facts = plan_facts(entry) + [
        (f"Selection step {i}", step, TEXT)
        for i, step in enumerate(entry["selection"]["procedure"], 1)
    ]
    evaluation = entry.get("evaluation")
    if evaluation:
        return facts + evaluation_facts(evaluation)
    return [*facts, ("Evaluation", "not evaluated yet", TEXT)]


def _shown(item: str, value: object, kind: str) -> str:
    if kind == SHARE:  # a confidence level reads "95%", a rate "5.00%"
        return percent(value, 0 if item == "Confidence" else 2)
    if kind == COUNT:
        return count(value)
    return str(value)


def _pairs(facts: Facts, table_id: str) -> str:
    shown = [(item, _shown(item, value, kind)) for item, value, kind in facts]
    return table(pd.DataFrame(shown, columns=["Item", "Value"]), table_id=table_id)


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

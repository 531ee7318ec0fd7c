"""Appendices: the rule catalogue with the platform's codes, segments, and the run manifest."""

from __future__ import annotations

import json

import pandas as pd

from auditkit.analysis import summaries
from auditkit.contract import TABLE_NAMES
from auditkit.render.format import count, percent
from auditkit.render.html import Html, paragraph, text
from auditkit.report.content import ReportData
from auditkit.report.sections.common import column_parts, labelled, section, shown, subheading


def catalogue(report: ReportData) -> Html:
    """The rules with what they apply to, what they read, their source section; the code map."""
    result = report.result
    source = result.catalogue.source
    codes = pd.DataFrame(
        {
            "Platform's code": list(result.decision_code_map),
            "Stands for": [", ".join(rules) for rules in result.decision_code_map.values()],
        }
    )
    return Html(
        section("appendix-catalogue")
        + paragraph(f"Source: &ldquo;{text(source.cite())}&rdquo;. Rules are paraphrased.")
        + shown(result.catalogue.describe(result.params), "rule-catalogue", wide=True)
        + subheading("The platform's error codes and the rules they stand for")
        + shown(codes, "decision-code-map")
    )


def segments(report: ReportData) -> Html:
    """Verdicts and failures per rule by member segment (rules that never fail are left out)."""
    parts = [section("appendix-segments")]
    for segment in summaries.SEGMENTS:
        frame = summaries.segment_breakdown(report.result, segment)
        rule_columns = [c for c in report.result.rule_ids if c in frame]
        frame = frame.drop(columns=[c for c in rule_columns if not frame[c].any()])
        frame["share_eligible"] = frame["share_eligible"].map(percent)
        for column in frame.columns:
            if column != "share_eligible":
                frame[column] = frame[column].map(count)
        parts.append(subheading(f"By {summaries.SEGMENT_TITLES.get(segment, segment)}"))
        pieces = column_parts(frame.reset_index())
        for number, piece in enumerate(pieces, start=1):
            table_id = f"segment-{segment}" + (f"-{number}" if number > 1 else "")
            if len(pieces) > 1:
                parts.append(paragraph(segment_part_title(piece, number, len(pieces)), "ak-note"))
            parts.append(shown(piece, table_id, wide=True))
    return Html("".join(parts))


def segment_part_title(piece: pd.DataFrame, number: int, parts: int) -> str:
    """'Part 2 of 3: POB-J05 to POB-J10', so a reader knows which columns a part holds."""
    columns = [str(c) for c in labelled(piece).columns[1:]]
    span = columns[0] if len(columns) == 1 else f"{columns[0]} to {columns[-1]}"
    return f"Part {number} of {parts}: {text(span)}"


def manifest(report: ReportData) -> Html:
    """Parameters, hashes of rules and inputs, and library versions of this run."""
    facts_ = report.manifest
    facts = pd.DataFrame(
        [
            ("Report id", facts_.get("report_id", "")),
            ("Period", facts_.get("period")),
            ("as_of", facts_.get("as_of")),
            ("Started at", facts_.get("started_at")),
            ("auditkit version", facts_.get("auditkit_version")),
            ("Rule catalogue sha256", facts_.get("rule_catalogue_sha256")),
            ("Parameters sha256", facts_.get("params_sha256")),
            ("Parameters", json.dumps(facts_.get("params"), sort_keys=True)),
            ("Previous report", facts_.get("previous_dir") or ""),
        ],
        columns=["Item", "Value"],
    )
    inputs = pd.DataFrame.from_dict(report.inputs, orient="index")
    inputs = inputs.reindex(
        [name for name in (*TABLE_NAMES, *inputs.index) if name in inputs.index]
    )
    inputs = inputs[~inputs.index.duplicated()]
    inputs.index.name = "table"
    libraries = pd.DataFrame(
        list(dict(facts_.get("libraries", {})).items()), columns=["Library", "Version"]
    )
    return Html(
        section("appendix-manifest")
        + paragraph(
            "The same facts, with the run's status, end time and the sha256 of every output, "
            "are in manifest.json next to this report. To check an input file, compare "
            "<code>sha256sum FILE</code> with its row here."
        )
        + shown(facts, "manifest", wide=True)
        + subheading("Input files")
        + shown(inputs.reset_index(), "manifest-inputs", wide=True)
        + subheading("Libraries")
        + shown(libraries, "manifest-libraries")
    )

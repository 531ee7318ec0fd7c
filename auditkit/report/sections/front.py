"""The front of the report: title block, contents, conclusion, scope and methodology."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditkit.analysis.population import Period
from auditkit.contract import TABLE_NAMES
from auditkit.params import parameter_label
from auditkit.render.format import count, moment, money, percent
from auditkit.render.html import Html, link, paragraph, text
from auditkit.render.style import running_header
from auditkit.report.content import ReportData
from auditkit.report.review import review_conclusion
from auditkit.report.sections.common import CONTENTS, section, shown
from auditkit.vocab import ControlException, DecisionCodeCheck, Verdict

DEFAULT_TOLERABLE_RATE = 0.05


def title_block(report: ReportData) -> Html:
    """Report id, period, moment judged, data sources, when it was made, what it compares with."""
    manifest = report.manifest
    params = report.result.params
    judged = (
        "each request at the moment it was made (requested_at)"
        if params.at_requested
        else f"every request against the data as of {params.as_of.isoformat()} (00:00 UTC)"
    )
    facts = [
        ("Report id", manifest.get("report_id", report.period)),
        ("Period", f"{report.period} (requests made in that calendar month, UTC)"),
        ("Judged", judged),
        ("Data as of", params.as_of.isoformat()),
        ("Currency", report.currency.note),
        ("Data read from", str(report.data_dir)),
        ("Generated at", moment(manifest.get("started_at"))),
        ("Compared with", str(report.previous_dir) if report.previous_dir else "no earlier period"),
    ]
    rows = "".join(f"<tr><th>{text(k)}</th><td>{text(v)}</td></tr>" for k, v in facts)
    header = running_header(f"Pay-on-behalf compliance report {facts[0][1]}")
    # Earlier periods whose report could not be read were skipped when choosing "Compared with".
    skipped = "".join(
        paragraph(f"Note: {text(note)}.") for note in manifest.get("previous_skipped") or []
    )
    return Html(
        header + f'<table id="title-block" class="ak-table ak-title">{rows}</table>' + skipped
    )


def contents(report: ReportData) -> Html:
    """The table of contents, linking to every section."""
    items = "".join(f"<li>{link('#' + anchor, title)}</li>" for anchor, title in CONTENTS)
    return Html(f'<nav id="contents"><h2>Contents</h2><ul class="ak-contents">{items}</ul></nav>')


# ---- 1. conclusion ------------------------------------------------------------------


@dataclass(frozen=True)
class ConclusionFacts:
    """The numbers the conclusion is worded from (all taken from the judged run)."""

    period: str
    requests: int
    decided: int
    approved_but_ineligible: int
    rejected_but_eligible: int
    exposure_cents: dict[str, int]  # kind of money -> cents, over approved-but-ineligible requests
    unsupported_codes: int
    unmapped_codes: int
    unknown: int
    tolerable_rate: float
    currency: str = ""  # the ISO 4217 code written beside every amount

    @property
    def exceptions(self) -> int:
        return self.approved_but_ineligible + self.rejected_but_eligible

    @property
    def rate(self) -> float | None:
        return self.exceptions / self.decided if self.decided else None


def conclusion_facts(report: ReportData, tolerable_rate: float | None = None) -> ConclusionFacts:
    result = report.result
    verdicts = result.verdicts
    exception = verdicts["control_exception"].astype("str").to_numpy()
    approved_wrong = exception == ControlException.APPROVED_BUT_INELIGIBLE
    at_stake = report.at_stake[approved_wrong].sum(axis=0)
    kinds: dict[str, int] = {}
    for rule, cents in zip(result.rules, at_stake, strict=True):
        if rule.exposure_kind and cents:
            kinds[rule.exposure_kind] = kinds.get(rule.exposure_kind, 0) + int(cents)
    checks = verdicts["decision_code_check"].astype("str")
    tolerable = tolerable_rate or float(
        report.manifest.get("tolerable_rate") or DEFAULT_TOLERABLE_RATE
    )
    return ConclusionFacts(
        period=report.period,
        requests=len(verdicts),
        decided=int(verdicts["decision"].notna().sum()),
        approved_but_ineligible=int(approved_wrong.sum()),
        rejected_but_eligible=int((exception == ControlException.REJECTED_BUT_ELIGIBLE).sum()),
        exposure_cents=kinds,
        unsupported_codes=int((checks == DecisionCodeCheck.UNSUPPORTED).sum()),
        unmapped_codes=int((checks == DecisionCodeCheck.UNMAPPED).sum()),
        unknown=int((verdicts["verdict"] == Verdict.UNKNOWN).sum()),
        tolerable_rate=tolerable,
        currency=report.currency.code,
    )


def conclusion_text(f: ConclusionFacts) -> str:
    """The conclusion, one paragraph; every sentence follows from `f` by a fixed rule."""
    sentences = [
        f"In {f.period}, {count(f.requests)} requests to switch pay-on-behalf mode on or off "
        f"were made; {count(f.decided)} have a recorded platform decision."
    ]
    if not f.decided:
        sentences.append("No decision was recorded, so the control could not be tested.")
    else:
        sentences.append(
            f"{count(f.exceptions)} of the decisions ({percent(f.rate)}) contradict the access "
            f"requirements: {count(f.approved_but_ineligible)} approved although ineligible and "
            f"{count(f.rejected_but_eligible)} rejected although eligible."
        )
        if f.exceptions == 0:
            sentences.append(
                "The control operated as designed: every recorded decision agrees with the "
                "requirements."
            )
        elif f.rate <= f.tolerable_rate:
            sentences.append(
                f"The exception rate is within the tolerable rate of {percent(f.tolerable_rate)}; "
                "each exception still needs follow-up."
            )
        else:
            sentences.append(
                f"The exception rate exceeds the tolerable rate of {percent(f.tolerable_rate)}: "
                "the control did not operate effectively in this period."
            )
    if f.exposure_cents:
        parts = [
            f"{money(cents, f.currency)} in {kind}" for kind, cents in f.exposure_cents.items()
        ]
        total = sum(f.exposure_cents.values())
        sentences.append(
            f"The approved-but-ineligible requests put {money(total, f.currency)} at stake "
            f"({'; '.join(parts)})."
        )
    if f.unsupported_codes or f.unmapped_codes:
        sentences.append(
            f"{count(f.unsupported_codes)} refusals cite a reason the data does not show and "
            f"{count(f.unmapped_codes)} cite a code the rules do not map."
        )
    if f.unknown:
        sentences.append(
            f"{count(f.unknown)} requests could not be fully judged because account data is "
            "missing (see section 8)."
        )
    return " ".join(sentences)


def conclusion(report: ReportData) -> Html:
    said = [conclusion_text(conclusion_facts(report))]
    said.append(review_conclusion(report.review, report.result.verdicts))
    return Html(
        section("conclusion") + paragraph(text(" ".join(filter(None, said))), "ak-conclusion")
    )


# ---- 2. scope -------------------------------------------------------------------------


def scope_sentence(report: ReportData) -> str:
    """The population judged and the moment it was judged at."""
    population = report.population
    period = Period(population.period)
    as_of = report.result.params.as_of.isoformat()
    judged = (
        f"This report judges the {population.in_period:,} requests made in {period.name} "
        f"({period.start.date().isoformat()} to {period.last_day.isoformat()}, UTC)"
    )
    if report.result.params.at_requested:
        moment_ = (
            "; each is judged at the moment it was made (its requested_at), against the "
            "account, order and voucher history recorded up to then."
        )
    else:
        moment_ = (
            f"; every request is judged against the data as of {as_of} (00:00 UTC), not at its "
            f"own requested_at ({population.after_as_of:,} of them were made after {as_of})."
        )
    outside = (
        f" {population.before_period:,} requests made before and {population.after_period:,} "
        "made after the period are in the data but not judged here."
    )
    return judged + moment_ + outside


def scope(report: ReportData) -> Html:
    """Population, moment, and the input files the data came from."""
    inputs = report.inputs
    files = pd.DataFrame(
        {
            "Table": [name for name in inputs],
            "File": [facts.get("file", "") for facts in inputs.values()],
            "Rows": [count(facts.get("rows")) for facts in inputs.values()],
            "sha256 (first 16)": [str(facts.get("sha256", ""))[:16] for facts in inputs.values()],
        }
    )
    order = [name for name in (*TABLE_NAMES, *files["Table"]) if name in set(files["Table"])]
    files = files.set_index("Table").loc[list(dict.fromkeys(order))].reset_index()
    verdicts = report.result.verdict_counts()
    return Html(
        section("scope")
        + paragraph(text(scope_sentence(report)), "ak-scope")
        + paragraph(
            f"Of the {count(sum(verdicts.values()))} requests judged, "
            f"{count(verdicts[Verdict.ELIGIBLE])} are eligible, "
            f"{count(verdicts[Verdict.INELIGIBLE])} ineligible and "
            f"{count(verdicts[Verdict.UNKNOWN])} unknown."
        )
        + shown(files, "scope-files")
    )


# ---- 3. methodology ------------------------------------------------------------------


def _value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def methodology(report: ReportData) -> Html:
    """The rules and their source, the parameters, the moment, how verdicts and exceptions follow."""
    result = report.result
    source = result.catalogue.source
    values = result.params.to_dict()
    parameters = pd.DataFrame(
        {
            "Parameter": [parameter_label(k) for k in values],
            "Value": [_value(v) for v in values.values()],
        }
    )
    text_ = (
        f"The {len(result.rules)} rules paraphrase &ldquo;{text(source.title)}&rdquo; by "
        f"{text(source.publisher)} (last updated {text(source.revision.isoformat())}); "
        "Appendix A lists them with the section each comes from. Every request is judged "
        "against every rule. A rule first looks at the request's own action and payment mode "
        "(not applicable), then at whether the accounts it reads exist (could not judge), then "
        "at the account conditions it applies to (not applicable), and only then passes or "
        "fails. A request is <strong>ineligible</strong> if any rule fails, "
        "<strong>unknown</strong> if none fails but one could not be judged, and "
        "<strong>eligible</strong> otherwise. A <strong>control exception</strong> is a platform "
        "decision that contradicts the verdict: approved although ineligible, or rejected "
        "although eligible; requests without a recorded decision cannot be exceptions. When the "
        "platform refused a request it may state an error code; each code stands for some "
        "rules (Appendix A), and the code is borne out when one of them fails."
    )
    judged = (
        "Each request is judged at its own requested_at: the account state in force then "
        "(account_history), the orders open then (order_events) and the vouchers usable then "
        "(voucher_events)."
        if result.params.at_requested
        else "Every request is judged against the snapshot of the tables at as_of, not at the "
        "moment it was decided; a later change (an order settled, a balance topped up) can make "
        "a past decision look wrong or right."
    )
    readings = result.catalogue.describe(result.params)[["rule_id", "reading"]]
    readings = readings[readings["reading"] != ""]
    return Html(
        section("methodology")
        + paragraph(text_)
        + paragraph(text(judged))
        + shown(parameters, "methodology-parameters")
        + paragraph(
            "Where the document can be read two ways, the catalogue takes these readings "
            "(each is also stated with its rule in Appendix A):"
        )
        + shown(readings, "methodology-readings", wide=True)
    )


def exception_rows(report: ReportData, kind: ControlException) -> np.ndarray:
    """Positions of the requests that are control exceptions of `kind`."""
    exception = report.result.verdicts["control_exception"].astype("str").to_numpy()
    return np.flatnonzero(exception == kind)

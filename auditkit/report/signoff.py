"""Signing off a period's report, and refusing to replace a signed report silently.

A sign-off records in the register who signed which report: the period, the
role (preparer, then a reviewer who is someone else, once each per version),
the report id and the sha256 of the period's `manifest.json`, which itself
holds the sha256 of every file of the report. While control exceptions or
unsupported refusals of the report are still open or under review (as the
report shows them, or as the register holds them now), signing needs an
override: its reason is recorded with the sign-off.

The period folder also gets `signoffs.json`, so that `auditkit report` sees
that the report there was signed even when it runs without the register, and
`signoff.html`, the sign-offs of that version as a page beside the report:
signing never changes report.html itself, whose sha256 the signed manifest
holds. Re-running a signed period needs `--supersede`; the signed version is
then kept inside the new one as `superseded-<UTC timestamp>/`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from auditkit.errors import ParameterError
from auditkit.io.manifest import sha256_file
from auditkit.io.write import atomic_write, write_json
from auditkit.render.format import moment
from auditkit.render.html import link, paragraph, table, text
from auditkit.render.style import STYLESHEET
from auditkit.report.publish import holding_period_lock
from auditkit.report.review import (
    decision_populations,
    decision_states,
    load_snapshot,
    outstanding,
)
from auditkit.report.store import (
    MANIFEST,
    SIGNOFFS,
    SUPERSEDED_PREFIX,
    check_period,
    read_manifest,
    read_verdicts,
)
from auditkit.review.changes import DECISION
from auditkit.review.register import Register
from auditkit.review.signing import SignoffRefused
from auditkit.review.states import shown_item_states
from auditkit.vocab import ReviewState, RunStatus, SignoffRole

SIGNOFF_PAGE = "signoff.html"  # the sign-offs of the version in the folder, for readers
PAGE_STYLE = "body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; }"


def signed_manifest(reports: Path, period: str) -> str:
    """The sha256 of the finished report's manifest of `period` under `reports`."""
    folder = Path(reports) / check_period(period)
    manifest = read_manifest(folder)
    if manifest.get("status") != RunStatus.SUCCEEDED:
        raise ParameterError(
            f"--period {period}: {folder} holds no finished report to sign off; "
            f"run auditkit report --period {period} --out {reports} first"
        )
    return sha256_file(folder / MANIFEST)


def open_items(folder: Path, register: Register | None) -> pd.DataFrame:
    """The control exceptions and unsupported refusals of the report in `folder` that are still
    open or under review: as the report shows them, or as the register holds them now.

    Columns: request_id, in_report (the state the report shows), now (the register's state
    as of the report's as_of; the report's state without a register).
    """
    folder = Path(folder)
    populations = decision_populations(read_verdicts(folder))
    review = load_snapshot(folder)
    shown = decision_states(review, populations["request_id"])["state"].to_numpy()
    now = shown
    if register is not None and len(populations):
        as_of = (read_manifest(folder).get("params") or {}).get("as_of")
        keys = pd.DataFrame({"request_id": populations["request_id"], "rule_id": DECISION})
        held = register.items(keys).set_index("request_id")
        held = held.reindex(populations["request_id"]).reset_index()
        held["state"] = held["state"].fillna(ReviewState.OPEN.value)
        now = shown_item_states(held, as_of or dt.date.today().isoformat())
    items = pd.DataFrame(
        {"request_id": populations["request_id"].to_numpy(), "in_report": shown, "now": now}
    )
    still = outstanding(items["in_report"]) | outstanding(items["now"])
    return items[still.to_numpy()].reset_index(drop=True)


def _open_detail(items: pd.DataFrame) -> str:
    """Which items are open, for the refusal: the first few, and those concluded since."""
    first = ", ".join(
        f"{r} ({s})" for r, s in zip(items["request_id"][:5], items["in_report"][:5], strict=True)
    )
    more = f" and {len(items) - 5} more" if len(items) > 5 else ""
    since = int((~outstanding(items["now"])).sum())
    later = (
        f"; {since} of them were concluded in the register after the report was made: run the "
        "report again so that the signed version shows it"
        if since
        else ""
    )
    return f"{first}{more}{later}"


@holding_period_lock
def sign_off(
    register: Register,
    reports: Path,
    period: str,
    role: SignoffRole,
    by: str,
    override: str | None = None,
) -> dict[str, object]:
    """Record the sign-off in the register, then in the period folder (signoffs.json, signoff.html).

    Refused (SignoffRefused, exit 2) when separation of duties does not allow it
    (see `auditkit.review.signing`), or while control exceptions or unsupported
    refusals are still open or under review, unless `override` gives the reason.
    """
    folder = Path(reports) / period
    sha256 = signed_manifest(reports, period)
    manifest = read_manifest(folder)
    still_open = open_items(folder, register)
    if len(still_open) and not override:
        raise SignoffRefused(
            f"sign-off refused: {len(still_open)} control exception(s) or unsupported "
            f"refusal(s) of report {manifest.get('report_id', period)} are still open or under "
            f"review ({_open_detail(still_open)}); conclude them first, or sign with "
            "--override REASON"
        )
    recorded = register.sign_off(
        period,
        role,
        by,
        sha256,
        report_id=str(manifest.get("report_id") or "") or None,
        override=override,
        outstanding=len(still_open),
    )
    mine = register.signoffs(period)
    mine = mine[mine["manifest_sha256"] == sha256]
    signed = [
        {name: _plain(row[name]) for name in SIGNED_FIELDS}
        for row in mine.to_dict("records")  # a handful of sign-offs
    ]
    write_json(
        folder / SIGNOFFS,
        {
            "period": period,
            "report_id": manifest.get("report_id"),
            "manifest_sha256": sha256,
            "register": register.label,
            "signoffs": signed,
        },
    )
    atomic_write(folder / SIGNOFF_PAGE, signoff_page(period, manifest, sha256, signed))
    return recorded


SIGNED_FIELDS = ("role", "signed_by", "signed_at", "report_id", "override", "outstanding")


def _plain(value: object) -> object:
    """A register value as JSON holds it (missing values as null)."""
    if value is None or (not isinstance(value, str | dt.datetime) and pd.isna(value)):
        return None
    return int(value) if isinstance(value, np.integer | float) else value


def signoff_page(
    period: str, manifest: dict[str, object], sha256: str, signed: list[dict[str, object]]
) -> str:
    """signoff.html: the sign-offs of one report version, each with its override, escaped."""
    report_id = str(manifest.get("report_id") or period)
    facts = [
        ("Report", report_id),
        ("Period", period),
        ("Manifest sha256", sha256),
        ("Report page", "report.html (unchanged by signing: its sha256 is in the manifest)"),
    ]
    rows = pd.DataFrame(
        {
            "Role": [str(s["role"]).capitalize() for s in signed],
            "Name": [str(s["signed_by"]) for s in signed],
            "Signed at": [moment(s["signed_at"]) for s in signed],
            "Override": [str(s["override"] or "") for s in signed],
            "Open when signed": [str(s["outstanding"] or 0) for s in signed],
        }
    )
    missing = [r.value for r in SignoffRole if r.value not in {str(s["role"]) for s in signed}]
    waiting = (
        paragraph(text(f"Not signed yet by its {' and '.join(missing)}."), "ak-note")
        if missing
        else ""
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta http-equiv="Content-Security-Policy" '
            "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
            f"<title>{text(f'Sign-off of report {report_id}')}</title>",
            f"<style>{STYLESHEET}{PAGE_STYLE}</style></head><body>",
            f"<h1>{text(f'Sign-off of report {report_id}')}</h1>",
            '<table id="signoff-facts" class="ak-table ak-title">'
            + "".join(f"<tr><th>{text(k)}</th><td>{text(v)}</td></tr>" for k, v in facts)
            + "</table>",
            table(rows, table_id="signoffs"),
            waiting,
            paragraph(link("report.html", "Back to the report")),
            "</body></html>",
        ]
    )


def signatures(folder: Path, register: Register | None = None) -> list[dict[str, object]]:
    """Sign-offs of the report now in `folder` (from signoffs.json, and the register if given).

    Only sign-offs of the manifest now in the folder count: a report replaced
    since it was signed is no longer the signed one.
    """
    folder = Path(folder)
    if not (folder / MANIFEST).is_file():
        return []
    sha256 = sha256_file(folder / MANIFEST)
    found: list[dict[str, object]] = []
    marker = _read_json(folder / SIGNOFFS)
    if marker.get("manifest_sha256") == sha256:
        found += list(marker.get("signoffs") or [])
    if register is not None:
        rows = register.signoffs(folder.name)
        found += [
            {"role": row["role"], "signed_by": row["signed_by"], "signed_at": row["signed_at"]}
            for row in rows[rows["manifest_sha256"] == sha256].to_dict("records")
        ]
    unique = {
        (str(s.get("role")), str(s.get("signed_by")), str(s.get("signed_at"))): s for s in found
    }
    return list(unique.values())


def _read_json(path: Path) -> dict[str, object]:
    """A small JSON document, or {} when it is missing or unreadable."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def refuse_silent_replacement(target: Path, register: Register | None, supersede: bool) -> bool:
    """True when `target` holds a signed report that --supersede lets us replace; refuse without it."""
    signed = signatures(target, register)
    if not signed:
        return False
    if supersede:
        return True
    who = "; ".join(
        f"{s.get('role')} {s.get('signed_by')} on {str(s.get('signed_at'))[:10]}" for s in signed
    )
    raise ParameterError(
        f"the report of {target.name} in {target} was signed off ({who}); it is not replaced "
        "silently. Re-run with --supersede to replace it: the signed version is kept in "
        f"{target}/{SUPERSEDED_PREFIX}<timestamp>/"
    )

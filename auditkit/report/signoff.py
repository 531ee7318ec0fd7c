"""Signing off a period's report, and refusing to replace a signed report silently.

A sign-off records in the register who signed which report: the period, the
role (preparer or reviewer) and the sha256 of the period's `manifest.json`,
which itself holds the sha256 of every file of the report. The period folder
also gets `signoffs.json`, so that `auditkit report` sees that the report
there was signed even when it runs without the register. Re-running a signed
period needs `--supersede`; the signed version is then kept inside the new
one as `superseded-<UTC timestamp>/`.
"""

from __future__ import annotations

import json
from pathlib import Path

from auditkit.errors import ParameterError
from auditkit.io.manifest import sha256_file
from auditkit.io.write import write_json
from auditkit.report.publish import holding_period_lock
from auditkit.report.store import (
    MANIFEST,
    SIGNOFFS,
    SUPERSEDED_PREFIX,
    check_period,
    read_manifest,
)
from auditkit.review.register import Register
from auditkit.vocab import RunStatus, SignoffRole


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


@holding_period_lock
def sign_off(
    register: Register, reports: Path, period: str, role: SignoffRole, by: str
) -> dict[str, object]:
    """Record the sign-off in the register and in the period folder's signoffs.json."""
    sha256 = signed_manifest(reports, period)
    recorded = register.sign_off(period, role, by, sha256)
    mine = register.signoffs(period)
    mine = mine[mine["manifest_sha256"] == sha256]
    write_json(
        Path(reports) / period / SIGNOFFS,
        {
            "period": period,
            "manifest_sha256": sha256,
            "register": register.label,
            "signoffs": [
                {"role": row["role"], "signed_by": row["signed_by"], "signed_at": row["signed_at"]}
                for row in mine.to_dict("records")  # a handful of sign-offs
            ],
        },
    )
    return recorded


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

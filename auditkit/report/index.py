"""`reports/index.html`: every period's headline numbers, links, failed runs and a trend chart.

Built only from the manifests under the output folder, so it can be
regenerated at any time; every value is escaped.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from auditkit.io.write import atomic_write, locked
from auditkit.render.charts import trend_chart
from auditkit.render.format import minute, percent
from auditkit.render.html import image, link, table, text
from auditkit.render.style import STYLESHEET
from auditkit.report.store import failure_records, period_folders, read_manifest

INDEX_NAME = "index.html"
PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
#periods td { white-space: nowrap; }
"""
PERIOD_FILES = (
    ("report.html", "report"),
    ("manifest.json", "manifest"),
    ("verdicts.csv", "verdicts"),
)


def period_rows(manifests: dict[str, dict[str, object]]) -> pd.DataFrame:
    """One row per period: as_of, request and verdict counts, exceptions, when it finished."""
    rows = []
    for period, manifest in manifests.items():
        summary = manifest.get("summary") or {}
        rows.append(
            {
                "period": period,
                "as_of": manifest.get("as_of", ""),
                "requests": summary.get("requests"),
                "eligible": summary.get("eligible"),
                "ineligible": summary.get("ineligible"),
                "unknown": summary.get("unknown"),
                "share_eligible": summary.get("share_eligible"),
                "approved_but_ineligible": summary.get("approved_but_ineligible"),
                "rejected_but_eligible": summary.get("rejected_but_eligible"),
                "finished": minute(manifest.get("finished_at")),
            }
        )
    return pd.DataFrame(rows)


def render_index(out: Path) -> str:
    """The index page of the reports under `out`."""
    manifests = {period: read_manifest(folder) for period, folder in period_folders(out).items()}
    periods = period_rows(manifests)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">",
        "<title>Pay-on-behalf compliance reports</title>",
        f"<style>{STYLESHEET}{PAGE_STYLE}</style></head><body>",
        "<h1>Pay-on-behalf compliance reports</h1>",
    ]
    if periods.empty:
        parts.append("<p>No successful report yet.</p>")
    else:
        failures = pd.DataFrame(
            [(m.get("summary") or {}).get("failures_by_rule", {}) for m in manifests.values()],
            index=list(manifests),
        ).fillna(0)
        parts.append(image(trend_chart(periods, failures), "trend chart across periods"))
        shown = periods.assign(share_eligible=periods["share_eligible"].map(percent))
        shown = shown.astype("str").replace({"None": "", "nan": ""})
        parts.append(periods_table(shown))
        parts.append("<h2>Failing requests per rule</h2>")
        parts.append(table(failures.astype("int64").T, index=True, table_id="trend-by-rule"))
    records = failure_records(out)
    if records:
        parts.append("<h2>Failed runs (the report of their period was left unchanged)</h2>")
        parts.append(table(pd.DataFrame(records), table_id="failed-runs"))
    parts.append("</body></html>")
    return "\n".join(parts)


def periods_table(periods: pd.DataFrame) -> str:
    """The periods as an HTML table, each value escaped, with links to the period's files."""
    columns = [str(column).replace("_", " ") for column in periods.columns]
    header = "".join(f"<th>{text(column)}</th>" for column in [columns[0], "files", *columns[1:]])
    rows = []
    for row in periods.to_dict("records"):  # one row per period
        cells = "".join(f"<td>{text(value)}</td>" for value in list(row.values())[1:])
        links = " · ".join(link(f"{row['period']}/{name}", label) for name, label in PERIOD_FILES)
        rows.append(f"<tr><td>{text(row['period'])}</td><td>{links}</td>{cells}</tr>")
    return (
        f'<table id="periods" class="ak-table"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def write_index(out: Path) -> Path:
    """Write `<out>/index.html` atomically and return its path.

    Writers take turns (a lock on `out`); a temporary file that a killed writer left
    behind is removed first.
    """
    out = Path(out)
    with locked(out):
        for stale in out.glob(f".{INDEX_NAME}-*.tmp"):
            stale.unlink(missing_ok=True)
        return atomic_write(out / INDEX_NAME, render_index(out))

"""`reports/index.html`: every period's headline numbers, links, failed runs and a trend chart.

Built only from the manifests under the output folder, so it can be
regenerated at any time; every value is escaped.
"""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

from auditkit import analysis
from auditkit.engine import AuditResult
from auditkit.report import (
    FAILED_PREFIX,
    PERIOD_PATTERN,
    current_umask,
    period_folders,
    read_manifest,
)
from auditkit.report_content import image, percent, table, text

INDEX_NAME = "index.html"
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: right; }
td { white-space: nowrap; }
th { background: #f4f4f4; }
td:first-child, th:first-child, #periods td:nth-child(2), #periods th:nth-child(2) {
  text-align: left;
}
img.chart { max-width: 100%; }
.note { color: #666; font-size: 0.85rem; }
"""


def index_summary(result: AuditResult) -> dict[str, object]:
    """What the index shows of one run: the headline and failing requests per rule."""
    counts = result.rule_counts()
    return {
        **analysis.headline(result),
        "failures_by_rule": {rule_id: int(n) for rule_id, n in counts["fail"].items()},
    }


def failure_records(out: Path) -> list[dict[str, object]]:
    """Manifests of failed runs kept under `<out>/<period>/failed-*/`, newest first."""
    records = []
    for record in sorted(out.glob(f"*/{FAILED_PREFIX}*"), reverse=True):
        if record.is_dir() and PERIOD_PATTERN.match(record.parent.name):
            manifest = read_manifest(record)
            error = manifest.get("error") or {}
            records.append(
                {
                    "period": record.parent.name,
                    "record": f"{record.parent.name}/{record.name}",
                    "finished_at": manifest.get("finished_at", ""),
                    "error": error.get("message", "") if isinstance(error, dict) else str(error),
                }
            )
    return records


def trend_chart(periods: pd.DataFrame, failures: pd.DataFrame) -> Figure:
    """Share eligible and failing requests per rule, by period."""
    figure = Figure(figsize=(10, 4.2))
    share_axes, rule_axes = figure.subplots(1, 2)
    x = np.arange(len(periods))
    share_axes.plot(x, periods["share_eligible"].astype(float) * 100, marker="o")
    share_axes.set_title("Share of requests eligible (%)")
    share_axes.set_ylim(0, 100)
    colours = colormaps["tab20"].colors  # 13 rules need more than the default 10 colours
    for i, rule_id in enumerate(failures.columns):
        rule_axes.plot(x, failures[rule_id], marker="o", label=rule_id, color=colours[i % 20])
    rule_axes.set_title("Requests failing each rule")
    rule_axes.legend(fontsize="x-small", ncols=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    for axes in (share_axes, rule_axes):
        axes.set_xticks(x, periods["period"].astype("str"))
        axes.grid(alpha=0.3)
    return figure


def _minute(stamp: object) -> str:
    """An ISO UTC timestamp from a manifest, to the minute: '2026-11-24 23:14 UTC'."""
    return f"{str(stamp)[:16].replace('T', ' ')} UTC" if stamp else ""


def _link(href: str, label: str) -> str:
    return f'<a href="{html.escape(href)}">{text(label)}</a>'


def render_index(out: Path) -> str:
    """The index page of the reports under `out`."""
    manifests = {period: read_manifest(folder) for period, folder in period_folders(out).items()}
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
                "finished": _minute(manifest.get("finished_at")),
            }
        )
    periods = pd.DataFrame(rows)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">",
        "<title>Pay-on-behalf compliance reports</title>",
        f"<style>{STYLE}</style></head><body>",
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
        listed = periods.assign(share_eligible=periods["share_eligible"].map(percent))
        listed = listed.astype("str").replace({"None": "", "nan": ""})
        parts.append(periods_table(listed))
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
    for row in periods.itertuples(index=False):  # one row per period
        cells = "".join(f"<td>{text(value)}</td>" for value in row[1:])
        links = " · ".join(
            _link(f"{row.period}/{name}", label)
            for name, label in (
                ("report.html", "report"),
                ("manifest.json", "manifest"),
                ("verdicts.csv", "verdicts"),
            )
        )
        rows.append(f"<tr><td>{text(row.period)}</td><td>{links}</td>{cells}</tr>")
    return (
        f'<table id="periods" class="auditkit-table"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def write_index(out: Path) -> Path:
    """Write `<out>/index.html` atomically and return its path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / INDEX_NAME
    handle, temporary = tempfile.mkstemp(prefix=".index-", suffix=".html", dir=out)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(render_index(out))
    os.chmod(temporary, 0o666 & ~current_umask())  # mkstemp makes it private
    os.replace(temporary, path)
    return path

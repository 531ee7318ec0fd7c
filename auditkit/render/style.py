"""One palette and one stylesheet for the explorer, the report and the reports index."""

from __future__ import annotations

from auditkit.vocab import Status, Verdict

STATUS_COLOURS: dict[str, str] = {
    Status.PASS: "#1b7f3b",
    Status.FAIL: "#c0392b",
    Status.ERROR: "#d68910",
    Status.NOT_APPLICABLE: "#7f8c8d",
}
VERDICT_COLOURS: dict[str, str] = {
    Verdict.ELIGIBLE: STATUS_COLOURS[Status.PASS],
    Verdict.INELIGIBLE: STATUS_COLOURS[Status.FAIL],
    Verdict.UNKNOWN: STATUS_COLOURS[Status.ERROR],
}
TEXT = "#222"
MUTED = "#666"
RULE_LINE = "#ddd"
HEADER_FILL = "#f4f4f4"
ACCENT = "#2c6fbb"

# Table selectors repeat the class (.ak-table.ak-table) so that they outrank a host page's
# own table styles, e.g. JupyterLab's `:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td`.
T = "table.ak-table.ak-table"
STYLESHEET = f"""
{T} {{ border-collapse: collapse; font-size: 0.85em; margin: 0.4em 0 1em; color: {TEXT}; }}
{T} th, {T} td {{ border-bottom: 1px solid {RULE_LINE}; padding: 0.2em 0.6em;
  text-align: left; vertical-align: top; white-space: pre-wrap; line-height: 1.35; }}
{T} th {{ background: {HEADER_FILL}; }}
{T} td.ak-num, {T} th.ak-num {{ text-align: right; white-space: nowrap; }}
{T} td.ak-col-rule_id, {T} td.ak-col-request_id, {T} td.ak-col-status {{ white-space: nowrap; }}
.ak-status-fail td.ak-col-status {{ color: {STATUS_COLOURS[Status.FAIL]}; font-weight: bold; }}
.ak-status-error td.ak-col-status {{ color: {STATUS_COLOURS[Status.ERROR]}; font-weight: bold; }}
.ak-status-pass td.ak-col-status {{ color: {STATUS_COLOURS[Status.PASS]}; }}
.ak-note {{ color: {MUTED}; font-size: 0.85em; }}
.ak-message {{ font-size: 0.85em; color: #333; }}
.ak-message.ak-error {{ color: {STATUS_COLOURS[Status.FAIL]}; }}
img.ak-chart {{ max-width: 100%; }}
"""

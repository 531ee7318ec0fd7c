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

STYLESHEET = f"""
.ak-table {{ border-collapse: collapse; font-size: 0.85em; margin: 0.4em 0 1em; color: {TEXT}; }}
.ak-table th, .ak-table td {{ border-bottom: 1px solid {RULE_LINE}; padding: 0.2em 0.6em;
  text-align: left; vertical-align: top; white-space: pre-wrap; }}
.ak-table th {{ background: {HEADER_FILL}; }}
.ak-table td.ak-num, .ak-table th.ak-num {{ text-align: right; white-space: nowrap; }}
.ak-table td.ak-col-rule_id, .ak-table td.ak-col-request_id, .ak-table td.ak-col-status {{
  white-space: nowrap; }}
.ak-status-fail td.ak-col-status {{ color: {STATUS_COLOURS[Status.FAIL]}; font-weight: bold; }}
.ak-status-error td.ak-col-status {{ color: {STATUS_COLOURS[Status.ERROR]}; font-weight: bold; }}
.ak-status-pass td.ak-col-status {{ color: {STATUS_COLOURS[Status.PASS]}; }}
.ak-note {{ color: {MUTED}; font-size: 0.85em; }}
.ak-message {{ font-size: 0.85em; color: #333; }}
.ak-message.ak-error {{ color: {STATUS_COLOURS[Status.FAIL]}; }}
img.ak-chart {{ max-width: 100%; }}
"""

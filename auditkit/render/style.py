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
{T} td.ak-col-rule, {T} td.ak-col-request, {T} td.ak-col-member, {T} td.ak-col-admin {{
  white-space: nowrap; }}
table.ak-title th {{ text-align: left; padding-right: 1.5em; }}
ul.ak-contents {{ list-style: none; padding-left: 0.5em; }}
.ak-note {{ color: {MUTED}; font-size: 0.85em; }}
.ak-message {{ font-size: 0.85em; color: #333; }}
.ak-message.ak-error {{ color: {STATUS_COLOURS[Status.FAIL]}; }}
img.ak-chart {{ max-width: 100%; }}
"""

# How the report prints (Chromium, --pdf): A4 with room for the running header and footer,
# every table inside the page width, wide tables in smaller type and split by the report
# into parts that fit (report.sections.common.column_parts). A word is never broken inside
# a header, nor inside a short cell: only the columns that hold long free text or long
# tokens (reasons, paths, hashes, JSON) may break a word that cannot fit its line. A column
# of short words ("Reads": "member, admin"; rule id lists) must not be in that list: a cell
# that may break anywhere has a one-letter minimum width, and Chromium's automatic layout
# then squeezes it to "membe r".
# (Landscape named pages are laid out wide but printed on portrait paper by Chromium,
# which clips them: not used.)
PRINT_STYLESHEET = f"""
@page {{ size: A4; margin: 17mm 12mm 16mm 12mm;
  @bottom-right {{ content: "page " counter(page) " of " counter(pages);
    font: 8pt sans-serif; color: {MUTED}; }} }}
@media print {{
  body {{ font-size: 9pt; }}
  .jp-Notebook, .jp-Cell, .jp-OutputArea, .jp-OutputArea-output, .jp-RenderedHTMLCommon,
  .jp-Cell-outputWrapper, .jp-Cell-outputArea {{ overflow: visible !important;
    max-width: none !important; padding: 0 !important; margin: 0 !important; }}
  .jp-OutputPrompt, .jp-InputPrompt {{ display: none !important; }}
  {T} {{ width: 100%; table-layout: auto; font-size: 7.5pt; }}
  {T} th, {T} td {{ white-space: normal; overflow-wrap: normal; word-break: normal;
    hyphens: manual; }}
  {T} td.ak-col-reasons, {T} td.ak-col-reason, {T} td.ak-col-value, {T} td.ak-col-file,
  {T} td.ak-col-path, {T} td.ak-col-sha256, {T} td.ak-col-note,
  {T} td.ak-col-appliesto, {T} td.ak-col-sha256first16, {T} td.ak-col-platformscode,
  {T} td.ak-col-membersenterpriseid, {T} td.ak-col-newly_failing,
  {T} td.ak-col-resolved_rules, {T} td.ak-col-failed_before, {T} td.ak-col-failed_now {{
    overflow-wrap: anywhere; }}
  {T} td.ak-num, {T} td.ak-col-rule, {T} td.ak-col-request,
  {T} td.ak-col-member, {T} td.ak-col-admin, {T} td.ak-col-action, {T} td.ak-col-verdict,
  {T} td.ak-col-platformdecision {{ white-space: nowrap; }}
  table.ak-wide {{ font-size: 7pt; }}
  h2, h3, h4 {{ break-after: avoid; }}
  tr, img {{ break-inside: avoid; }}
  a {{ color: inherit; text-decoration: none; }}
}}
"""


def running_header(label: str) -> str:
    """A <style> block that prints `label` at the top of every page of the PDF."""
    safe = label.replace("\\", "").replace('"', "").replace("<", "").replace(">", "")
    return (
        '<style>@page { @top-left { content: "' + safe + '"; font: 8pt sans-serif; '
        f"color: {MUTED}; }} }}</style>"
    )

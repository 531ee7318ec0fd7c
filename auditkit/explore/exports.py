"""Exports of the current selection: written on the server, then linked.

A file goes to the export folder (`reports/exports/` by default, git-ignored
with the rest of `reports/`) under a name nobody can choose, through
`io.write` (atomic, formula-like cells defused). The page gets a link, not
the file: under `auditkit explore`, the server answers `<exports_url><name>`
for signed-in sessions only (see `explore.handlers`); elsewhere (JupyterLab)
the message gives the path.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from auditkit.io.write import export_csv, export_excel
from auditkit.render.format import count
from auditkit.render.html import text

FORMATS = ("csv", "xlsx")
NAME = re.compile(r"findings-\d{8}T\d{12}Z\.(csv|xlsx)")  # the only names the server serves


def export_name(fmt: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"findings-{stamp}.{fmt}"


def write_export(frame: pd.DataFrame, folder: Path, fmt: str) -> Path:
    """Write `frame` as a new CSV or xlsx file in `folder`; the path written."""
    if fmt not in FORMATS:
        raise ValueError(f"export format must be one of {FORMATS}, got {fmt!r}")
    path = Path(folder) / export_name(fmt)
    return export_excel(frame, path) if fmt == "xlsx" else export_csv(frame, path)


def export_message(written: Path, rows: int, url: str | None) -> str:
    """'wrote N finding(s)' with a download link (or the path when there is no server to ask)."""
    words = text(f"wrote {count(rows)} finding(s) to {written.name}")
    if not url:
        return f'<div class="ak-message">{words} ({text(written)})</div>'
    href = text(f"{url}{written.name}?download=1")
    return (
        f'<div class="ak-message">{words}: <a class="ak-export-link" href="{href}" '
        f'download="{text(written.name)}" target="_blank" rel="noopener">download</a></div>'
    )

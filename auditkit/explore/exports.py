"""Exports of the current selection: written on the server, then linked.

A file goes to the export folder (`reports/exports/` by default, git-ignored
with the rest of `reports/`) under a name nobody can choose, through
`io.write` (atomic, formula-like cells defused). The page gets a link, not
the file: under `auditkit explore`, the server answers `<exports_url><name>`
for signed-in sessions only (see `explore.handlers`); elsewhere (JupyterLab)
the message gives the path.

`SessionExports` is what a session may write, enforced in the kernel (a
disabled button only stops a browser that plays along; clicks sent over the
widget comm arrive all the same): one export at a time, at most
`ExportLimits.files` files and `ExportLimits.bytes` bytes per session, and a
failed export (a full disk) is one line on the page, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from auditkit.errors import AuditkitError
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


class ExportRefused(AuditkitError):
    """An export this session may not write now (busy, over its quota) or that failed."""


class ExportLimits(NamedTuple):
    """What one session may export: files, and bytes in all."""

    files: int = 20
    bytes: int = 1 << 30


def size_text(size: int) -> str:
    return f"{size / (1 << 20):,.1f} MB"


class SessionExports:
    """The exports of one session: one at a time, within `limits`, a failure in one line."""

    def __init__(self, limits: ExportLimits | None = None) -> None:
        self.limits = limits or ExportLimits()
        self.files = 0
        self.bytes = 0
        self._busy = threading.Lock()

    def write(self, writer: Callable[[], tuple[Path, int]]) -> tuple[Path, int]:
        """Run `writer` (which returns the path written and its rows) if this session may."""
        if not self._busy.acquire(blocking=False):
            raise ExportRefused("an export is being written already: wait for it to finish")
        try:
            files, size = self.limits
            if self.files >= files or self.bytes >= size:
                raise ExportRefused(
                    f"this session has written {self.files} export(s), "
                    f"{size_text(self.bytes)} (at most {files} or {size_text(size)}): "
                    "open the explorer in a new tab to export more"
                )
            try:
                written, rows = writer()
            except OSError as error:
                raise ExportRefused(
                    f"the export could not be written: {error.strerror or type(error).__name__}"
                ) from None
            except AuditkitError as error:
                first = (str(error).strip().splitlines() or ["unknown error"])[-1]
                raise ExportRefused(f"the export could not be written: {first}") from None
            self.files += 1
            self.bytes += Path(written).stat().st_size
            return written, rows
        finally:
            self._busy.release()

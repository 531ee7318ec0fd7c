"""HTML built only from escaped parts: text, paragraphs, tables, embedded images.

Every value from the data reaches a page through `text` (html.escape): an
`enterprise_id` of `<script>` is shown as text, never run. Functions return
markup strings; `Html` wraps one so Jupyter displays it.
"""

from __future__ import annotations

import base64
import html
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from auditkit.render.format import shown as formatted

if TYPE_CHECKING:  # matplotlib is imported where a chart is drawn, not by every page
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class Html:
    """A block of markup built only from escaped parts; Jupyter displays it as HTML."""

    markup: str

    def _repr_html_(self) -> str:
        return self.markup

    def __str__(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return f"Html({len(self.markup)} characters)"


def text(value: object) -> str:
    """Any value as escaped text; nulls become an empty string."""
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return ""
    return html.escape(str(value))


def paragraph(content: str, css_class: str = "") -> str:
    """A paragraph around markup that is already escaped."""
    attribute = f' class="{html.escape(css_class)}"' if css_class else ""
    return f"<p{attribute}>{content}</p>"


def heading(title: str, level: int = 3) -> str:
    return f"<h{level}>{text(title)}</h{level}>"


def message(words: str, error: bool = False) -> str:
    """A one-line status message (red when it reports an error)."""
    kind = "ak-message ak-error" if error else "ak-message"
    return f'<div class="{kind}">{text(words)}</div>'


def html_escape_id(value: object) -> str:
    """A value made safe as an HTML id / anchor: lower case letters, digits, - and _."""
    return re.sub(r"[^a-z0-9_-]", "-", str(value).lower())


def css_name(value: object) -> str:
    """A value reduced to the characters a CSS class name may hold."""
    return re.sub(r"[^a-z0-9_-]", "", str(value).lower())


def _numeric(column: pd.Series) -> bool:
    """Right-aligned: numbers, not booleans (true/false read as words)."""
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def table(
    frame: pd.DataFrame,
    *,
    table_id: str | None = None,
    css_class: str = "",
    index: bool = False,
    limit: int | None = None,
    more: str = "",
    status_rows: bool = False,
    formats: bool = False,
    row_classes: list[str] | None = None,
) -> str:
    """A frame as an HTML table with every header and cell escaped.

    Numeric columns are right-aligned. With `limit`, only the first rows are shown,
    followed by `more` (a sentence saying where the rest is). With `status_rows`,
    each row carries the class `ak-status-<status>` for colouring. With `formats`,
    counts, shares, booleans and moments are written as `render.format` writes them.
    `row_classes` gives each shown row more classes (e.g. `ak-failed`).
    """
    shown = frame.reset_index() if index else frame
    if limit is not None:
        shown = shown.head(limit)
    columns = [str(c) for c in shown.columns]
    numeric = [_numeric(shown.iloc[:, i]) for i in range(shown.shape[1])]
    if formats:
        shown = formatted(shown)
    classes = [
        f"ak-col-{css_name(c)}" + (" ak-num" if num else "")
        for c, num in zip(columns, numeric, strict=True)
    ]
    head = "".join(
        f'<th class="{cls}">{text(c)}</th>' for c, cls in zip(columns, classes, strict=True)
    )
    status_at = columns.index("status") if status_rows and "status" in columns else None
    rows = []
    extra = list(row_classes or [])
    # shown rows only: capped by callers
    for i, record in enumerate(shown.to_numpy(dtype=object).tolist()):
        names = [f"ak-status-{css_name(record[status_at])}"] if status_at is not None else []
        names += [css_name(c) for c in extra[i].split()] if i < len(extra) else []
        opening = f'<tr class="{" ".join(names)}">' if names else "<tr>"
        cells = "".join(
            f'<td class="{cls}">{text(v)}</td>' for cls, v in zip(classes, record, strict=True)
        )
        rows.append(f"{opening}{cells}</tr>")
    identity = f' id="{html.escape(table_id)}"' if table_id else ""
    markup = (
        f'<table{identity} class="ak-table {html.escape(css_class)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    if limit is not None and len(frame) > limit:
        markup += paragraph(
            f"Showing the first {limit} of {len(frame)} rows. {text(more)}".strip(), "ak-note"
        )
    return markup


NUMBER_TEXT = r"-?[0-9][0-9,]*(\.[0-9]+)?( %)?|-"


def _numeric(column: pd.Series) -> bool:
    """Numbers, or text that is a formatted number ('1,234', '12.50', '7.25 %'): right-aligned."""
    if pd.api.types.is_bool_dtype(column.dtype):
        return False
    if pd.api.types.is_numeric_dtype(column.dtype):
        return True
    if not len(column) or not (
        pd.api.types.is_string_dtype(column.dtype) or column.dtype == object
    ):
        return False
    text_ = column.astype("str")
    return bool(text_.str.fullmatch(NUMBER_TEXT).fillna(False).all()) and bool((text_ != "-").any())


def png(figure: Figure, dpi: int = 100) -> bytes:
    """A figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def image(figure: Figure, alt: str) -> str:
    """A figure as an embedded static PNG."""
    encoded = base64.b64encode(png(figure)).decode("ascii")
    return f'<img class="ak-chart" alt="{text(alt)}" src="data:image/png;base64,{encoded}">'


def link(href: str, label: str) -> str:
    """A link whose address and label are both escaped."""
    return f'<a href="{html.escape(href)}">{text(label)}</a>'

"""Small widget helpers shared by the tabs; every HTML value they show is escaped.

`action` wires a button to a handler: while the handler runs, the button (and
any other controls named) is disabled and a spinner says what is happening;
an error is shown in the message box beside the button, never lost in a log.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import ipywidgets as widgets

from auditkit.errors import AuditkitError
from auditkit.explore.isolate import give_back_memory
from auditkit.render.html import message, text
from auditkit.render.style import ACCENT, MUTED, STATUS_COLOURS

# A dropdown whose value is None shows nothing selected, so "no restriction" is "".
ANY = ""
ANY_OPTION = ("(any)", ANY)
EXPLORER_CSS = f"""
.ak-busy {{ color: {MUTED}; font-size: 0.85em; display: flex; align-items: center; gap: 0.5em; }}
.ak-spinner {{ width: 14px; height: 14px; border: 2px solid #ccc; border-top-color: {ACCENT};
  border-radius: 50%; display: inline-block; animation: ak-spin 0.8s linear infinite; }}
@keyframes ak-spin {{ to {{ transform: rotate(360deg); }} }}
tr.ak-failed td {{ background: #fdecea; }}
tr.ak-failed td.ak-col-failed {{ color: {STATUS_COLOURS["fail"]}; font-weight: bold; }}
.ak-hint {{ background: #fff8e1; border-left: 3px solid {STATUS_COLOURS["error"]};
  padding: 0.3em 0.6em; font-size: 0.85em; }}
.ak-progress-text {{ font-size: 0.9em; color: {MUTED}; }}
.ak-explorer .widget-html-content {{ overflow-x: auto; }}
"""
# What an error in a handler may be: ours, a lookup that found nothing, or the disk refusing.
SHOWN_ERRORS = (AuditkitError, KeyError, OSError)


def dropdown(
    description: str, options: list, value: object, css: str, width: str = "220px"
) -> widgets.Dropdown:
    widget = widgets.Dropdown(
        description=description,
        options=options,
        value=value,
        layout=widgets.Layout(width=width),
        style={"description_width": "initial"},
    )
    widget.add_class(css)
    return widget


def button(description: str, css: str, style: str = "") -> widgets.Button:
    widget = widgets.Button(description=description, button_style=style)
    widget.add_class(css)
    return widget


def html_box(css: str, value: str = "") -> widgets.HTML:
    widget = widgets.HTML(value=value)
    widget.add_class(css)
    return widget


def text_box(description: str, css: str, placeholder: str = "", width: str = "") -> widgets.Text:
    widget = widgets.Text(
        description=description,
        placeholder=placeholder,
        continuous_update=False,
        style={"description_width": "initial"},
        layout=widgets.Layout(width=width) if width else widgets.Layout(),
    )
    widget.add_class(css)
    return widget


def chosen(control: widgets.Dropdown) -> object:
    """A dropdown's value, None for "(any)"."""
    return None if control.value == ANY else control.value


def error_text(error: BaseException) -> str:
    """What a person is told: the message of an auditkit error or unknown key; for a file
    that cannot be written, which file and why."""
    if isinstance(error, OSError):
        where = f": {error.filename}" if error.filename else ""
        return f"could not write{where} ({error.strerror or error})"
    words = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    return str(words)


def guarded(handler: Callable[[], object], target: widgets.HTML) -> Callable[[object], None]:
    """A click handler that shows an error in `target` instead of losing it in the kernel log.

    Auditkit's own errors, an unknown key, and a file that cannot be written (an export
    folder without permission, a full disk) are shown next to the control.
    """

    def run(_event: object = None) -> None:
        try:
            handler()
        except SHOWN_ERRORS as error:
            target.value = message(error_text(error), error=True)

    return run


def busy_markup(words: str) -> str:
    return f'<div class="ak-busy"><span class="ak-spinner"></span>{text(words)}</div>'


@contextlib.contextmanager
def busy(indicator: widgets.HTML, words: str, *controls: widgets.Widget) -> Iterator[None]:
    """Disable `controls` and show a spinner with `words` in `indicator` while the block runs."""
    before = [getattr(control, "disabled", False) for control in controls]
    for control in controls:
        control.disabled = True
    indicator.value = busy_markup(words)
    try:
        yield
    finally:
        for control, was in zip(controls, before, strict=True):
            control.disabled = was
        if indicator.value == busy_markup(words):
            indicator.value = ""


def action(
    control: widgets.Button,
    handler: Callable[[], object],
    target: widgets.HTML,
    words: str | Callable[[], str] = "",
    also: tuple[widgets.Widget, ...] = (),
) -> None:
    """On click: run `handler` (busy in `target` with `words`, when given); errors go to `target`."""

    def run() -> None:
        if not words:
            handler()
            return
        with busy(target, words() if callable(words) else words, control, *also):
            handler()
        give_back_memory()  # a slow step leaves big temporaries behind

    control.on_click(guarded(run, target))

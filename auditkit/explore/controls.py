"""Small widget helpers shared by the tabs; every HTML value they show is escaped."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from auditkit.errors import AuditkitError
from auditkit.render.html import message

# A dropdown whose value is None shows nothing selected, so "no restriction" is "".
ANY = ""
ANY_OPTION = ("(any)", ANY)


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


def chosen(control: widgets.Dropdown) -> object:
    """A dropdown's value, None for "(any)"."""
    return None if control.value == ANY else control.value


def guarded(handler: Callable[[], object], target: widgets.HTML) -> Callable[[object], None]:
    """A click handler that shows an error in `target` instead of losing it in the kernel log.

    Auditkit's own errors, an unknown key, and a file that cannot be written (an export
    folder without permission, a full disk) are shown next to the control.
    """

    def run(_event: object = None) -> None:
        try:
            handler()
        except (AuditkitError, KeyError) as error:
            words = error.args[0] if isinstance(error, KeyError) else str(error)
            target.value = message(str(words), error=True)
        except OSError as error:
            where = f": {error.filename}" if error.filename else ""
            target.value = message(
                f"could not write{where} ({error.strerror or error})", error=True
            )

    return run

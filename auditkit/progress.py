"""How long-running steps say which phase they are in: a callable taking the phase's name."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str], None]


def silent(phase: str) -> None:
    """A `Progress` that says nothing."""
    return None

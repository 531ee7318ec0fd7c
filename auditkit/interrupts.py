"""SIGTERM and SIGINT as an exception that cleans up, and the few steps that must not be cut.

`auditkit check` and `auditkit report` turn both signals into `Stopped` (a
KeyboardInterrupt), so staging folders are removed and a failed report run is
recorded on the way out. A handful of renames that put outputs in place run
`uninterrupted`: a signal that arrives meanwhile takes effect right after them,
so the outputs are either all old or all new. A stop after them says so (`achieved`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(KeyboardInterrupt):
    """The run was stopped by SIGINT or SIGTERM."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"stopped by {signal.Signals(signum).name}")

    @property
    def exit_status(self) -> int:
        """128 + the signal number, as a shell reports a process ended by that signal."""
        return 128 + self.signum


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


@contextlib.contextmanager
def stop_on_signals(then_ignore: bool = False) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise `Stopped` (instead of killing at once).

    Afterwards the handlers in place before are restored, or, with `then_ignore` (the
    process is about to exit with the block's status), both signals are ignored: one
    arriving then must neither print a traceback nor replace that status. Outside the
    main thread (where Python runs no signal handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _stop) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            if then_ignore:
                signal.signal(signum, signal.SIG_IGN)
            else:
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)


@contextlib.contextmanager
def uninterrupted(done: str = "") -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block is done, then deliver them as before.

    `done` says what the block achieved; it is added as a note to the exception a
    held signal then raises, so the message does not claim that nothing changed.
    Outside the main thread (where Python runs no signal handlers) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {signum: signal.signal(signum, lambda s, _f: held.append(s)) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
    if held:
        _deliver(held[0], previous[held[0]], done)


def _deliver(signum: int, handler: object, done: str) -> None:
    """Run the handler a held signal would have run; a default action is taken as usual."""
    if not callable(handler):
        if handler != signal.SIG_IGN:
            signal.raise_signal(signum)
        return
    try:
        handler(signum, None)
    except KeyboardInterrupt as error:
        if done:
            error.add_note(done)
        raise


@contextlib.contextmanager
def achieved(done: str, when: Callable[[], bool] = lambda: True) -> Iterator[None]:
    """A stop (SIGTERM/SIGINT) within the block says `done`, what was achieved before it
    (the outputs were put in place), if `when()` says it was by then; unless the stop
    already says what was."""
    try:
        yield
    except KeyboardInterrupt as error:
        if when() and not getattr(error, "__notes__", None):
            error.add_note(done)
        raise

"""Run a heavy step (judging all the data, a what-if) in a fresh process, reporting progress.

Reading and judging a million requests takes gigabytes that a Python process
keeps once it has them. Done in the explorer's kernel, every session would
hold them as long as it lives; done in a child process, they go back to the
system the moment the child exits, and the kernel keeps only what it reads
back (memory-mapped). The child is started with `spawn` (a clean interpreter,
safe from a kernel's threads) and talks back over a pipe: progress phases,
then the result or the error.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from auditkit.errors import AuditkitError
from auditkit.progress import Progress, silent


class IsolatedError(AuditkitError):
    """The step failed in its process; the message is the original error's."""


def one_line(error: BaseException) -> str:
    """What the page says about a failed step: auditkit's message, the system's reason for a
    file that could not be written (no path), else the kind of error; never a traceback."""
    if isinstance(error, AuditkitError):
        return str(error)
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return f"an internal error ({type(error).__name__}); the server's log has the details"


def _child(connection: Connection, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        result = function(*args, lambda phase: connection.send(("progress", phase)))
    except BaseException as error:  # everything goes back to the parent, which raises it
        connection.send(("error", one_line(error)))
        if not isinstance(error, AuditkitError):
            # The details are for the server's log (this process's stderr), not for the page.
            traceback.print_exc(file=sys.stderr)
    else:
        connection.send(("result", result))
    finally:
        connection.close()


def run_isolated(
    function: Callable[..., Any], *args: Any, progress: Progress = silent, poll: float = 0.2
) -> Any:
    """`function(*args, progress)` in a new process; its progress calls reach `progress` here.

    `function` must be importable by name (a module-level function) and its
    arguments and result picklable. Its errors are raised here as IsolatedError.
    """
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, function, args), daemon=True)
    process.start()
    child.close()
    try:
        while True:
            if not parent.poll(poll):
                if not process.is_alive() and not parent.poll():
                    raise IsolatedError(
                        f"the worker process stopped without an answer (exit code "
                        f"{process.exitcode}); it may have run out of memory"
                    )
                continue
            try:
                kind, value = parent.recv()
            except EOFError:
                process.join()
                raise IsolatedError(
                    f"the worker process stopped (exit code {process.exitcode}); "
                    "it may have run out of memory"
                ) from None
            if kind == "progress":
                progress(value)
            elif kind == "error":
                raise IsolatedError(value)
            else:
                return value
    finally:
        parent.close()
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
            process.join()


def give_back_memory() -> None:
    """Return freed memory to the system after a big step (Arrow's pool, then C malloc's heap).

    pandas and Arrow free their temporaries, but the allocators keep the pages
    for later; a kernel that opened a million requests would look (and be) that
    much bigger for as long as it lives.
    """
    import ctypes
    import ctypes.util

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    libc = ctypes.util.find_library("c")
    if libc:
        with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
            ctypes.CDLL(libc).malloc_trim(0)

"""The `auditkit` command line: one module per group of sub-commands, one `main`.

Sub-command modules import what they run only when they run, so `auditkit
check` does not pay for the notebook, widget and plotting libraries.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from auditkit.cli import core, explore, report, review, rules, sample
from auditkit.cli.common import EXIT_FAILURE, EXIT_INPUT, EXIT_INTERRUPTED
from auditkit.errors import AuditkitError, InputError, ParameterError
from auditkit.interrupts import Stopped, stop_on_signals
from auditkit.version import __version__

GROUPS = (core, rules, explore, report, review, sample)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auditkit",
        description="Check Tencent Cloud Organization pay-on-behalf requests against the access requirements.",
    )
    parser.add_argument("--version", action="version", version=f"auditkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, exiting: bool = False) -> int:
    """Run one command; its exit status. `exiting`: the process ends right after (see `run`)."""
    args = build_parser().parse_args(argv)
    try:
        # SIGTERM (timeout, cron, Airflow) or Ctrl-C: clean up, record, one line, exit 128+N.
        with stop_on_signals(then_ignore=exiting):
            return args.run(args)
    except InputError as error:
        print(error.message(), file=sys.stderr)
        return EXIT_INPUT
    except ParameterError as error:
        print(f"invalid parameter: {error}", file=sys.stderr)
        return EXIT_INPUT
    except AuditkitError as error:
        print(f"auditkit: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt as error:  # Ctrl-C, or SIGTERM/SIGINT made Stopped
        notes = "; ".join(getattr(error, "__notes__", ())) or "no output was replaced"
        print(f"auditkit: {error or 'interrupted'}; {notes}", file=sys.stderr)
        return error.exit_status if isinstance(error, Stopped) else EXIT_INTERRUPTED
    except OSError as error:  # unwritable --out, disk full: the user's to fix, not a crash
        print(f"auditkit: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:
        if os.environ.get("AUDITKIT_DEBUG"):
            traceback.print_exc()
        print(
            f"auditkit: internal error: {type(error).__name__}: {error}\n"
            "Set AUDITKIT_DEBUG=1 to see the traceback, and please report it.",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def run() -> None:
    """The `auditkit` command: main(), then exit with its status, ignoring late signals."""
    sys.exit(main(exiting=True))


if __name__ == "__main__":
    run()

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

from auditkit.cli import core, explore, report, review, sample
from auditkit.cli.common import EXIT_FAILURE, EXIT_INPUT
from auditkit.errors import AuditkitError, InputError, ParameterError
from auditkit.version import __version__

GROUPS = (core, explore, report, review, sample)


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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
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
    except KeyboardInterrupt:
        print("auditkit: interrupted; nothing was replaced", file=sys.stderr)
        return EXIT_FAILURE
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


if __name__ == "__main__":
    sys.exit(main())

"""`auditkit explore`: serve the explorer with Voilà on 127.0.0.1, behind a token.

See `auditkit.explore.launch` and, for the access rules, `auditkit.explore.handlers`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from auditkit.cli.common import (
    EXIT_OK,
    PARAMS_HELP,
    add_catalogue_options,
    add_data_option,
    add_db_option,
)
from auditkit.vocab import Moment, values


def cmd_explore(args: argparse.Namespace) -> int:
    if args.lab:
        from auditkit.explore.lab import lab

        lab(args)
        return EXIT_OK
    if args.add_user or args.remove_user:
        return manage_reviewers(args)
    from auditkit.explore.launch import serve

    serve(
        args.data,
        args.as_of,
        args.exports,
        port=args.port,
        open_browser=not args.no_browser,
        demo_requests=args.demo_requests,
        at=args.at,
        db=args.db,
        user=args.user,
        allow_hosts=args.allow_host,
        params_file=args.params,
        cache=args.cache,
        decision_codes=args.decision_codes,
        cull_idle=args.cull_idle,
        max_sessions=args.max_sessions,
        preheat=args.preheat,
        users=args.users,
        trusted_proxies=args.trusted_proxy,
        user_header=args.user_header,
    )
    return EXIT_OK


def manage_reviewers(args: argparse.Namespace) -> int:
    """--add-user / --remove-user: change the users file and stop (the token is shown once)."""
    from auditkit.errors import ParameterError
    from auditkit.explore.identity import add_reviewer, remove_reviewer

    if args.users is None:
        raise ParameterError("--add-user and --remove-user need --users FILE")
    if args.add_user:
        token = add_reviewer(args.users, args.add_user)
        print(f"{args.add_user}'s token (shown this once; {args.users} keeps only its hash):")
        print(token)
    if args.remove_user:
        if not remove_reviewer(args.users, args.remove_user):
            raise ParameterError(f"--remove-user {args.remove_user!r}: not in {args.users}")
        print(f"removed {args.remove_user} from {args.users}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    explore = sub.add_parser(
        "explore", help="serve the interactive explorer in the browser (Voilà, 127.0.0.1)"
    )
    add_data_option(explore, required=False)
    explore.add_argument(
        "--as-of", help="snapshot date YYYY-MM-DD (default: today; demo 2026-11-01)"
    )
    explore.add_argument(
        "--at",
        choices=values(Moment),
        help="judge requests against the snapshot (default) or each at its requested_at",
    )
    explore.add_argument(
        "--port", type=int, default=0, help="port to listen on (default: a free one)"
    )
    explore.add_argument(
        "--no-browser", action="store_true", help="only print the URL, do not open a browser"
    )
    explore.add_argument("--params", help=PARAMS_HELP)
    add_catalogue_options(explore)
    explore.add_argument(
        "--exports",
        type=Path,
        default=Path("reports") / "exports",
        help="folder the explorer writes CSV/Excel exports into (default: ./reports/exports)",
    )
    explore.add_argument(
        "--cache",
        type=Path,
        default=Path("reports") / "cache",
        help="folder of judged evaluations shared by every session (default: ./reports/cache)",
    )
    explore.add_argument(
        "--cull-idle",
        type=int,
        default=300,
        metavar="SECONDS",
        help="shut down a session idle this long with no page open (default 300; 0: never)",
    )
    explore.add_argument(
        "--max-sessions",
        type=int,
        default=4,
        help="sessions (kernels) at once; a page over the cap gets 503 unless a tab of the "
        "explorer has been closed (default 4; 0: any)",
    )
    explore.add_argument(
        "--preheat",
        type=int,
        default=None,
        metavar="N",
        help="kernels that open the data before a page asks, so a page opens at once "
        "(default: one per session of --max-sessions, 1 without a cap; 0: none)",
    )
    explore.add_argument(
        "--lab",
        action="store_true",
        help="open the explorer notebook in JupyterLab instead (a copy in reports/lab/; "
        "needs the lab extra: pip install -e '.[lab]')",
    )
    explore.add_argument(
        "--demo-requests",
        type=int,
        default=None,
        help="size of the demo data set when --data is not given (default 2000)",
    )
    add_db_option(explore, records=True)
    explore.add_argument(
        "--user",
        help="the reviewer's name recorded with every state set (default: $AUDITKIT_USER, "
        "else the operating-system user)",
    )
    explore.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help=(
            "also accept requests whose Host header is NAME (e.g. behind a reverse proxy); "
            "by default only 127.0.0.1 and localhost. May be repeated"
        ),
    )
    explore.add_argument(
        "--users",
        type=Path,
        metavar="FILE",
        help="reviewers, each with a token of their own (the file keeps only hashes): changes "
        "are recorded under the reviewer's name; see docs/explorer-access.md",
    )
    explore.add_argument(
        "--add-user", metavar="NAME", help="with --users: give NAME a new token, print it once"
    )
    explore.add_argument("--remove-user", metavar="NAME", help="with --users: remove NAME")
    explore.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDR",
        help="an authenticating proxy's address (or network) whose user header is believed, "
        "with $AUDITKIT_EXPLORE_PROXY_SECRET; may be repeated",
    )
    explore.add_argument(
        "--user-header",
        default="X-Forwarded-User",
        metavar="NAME",
        help="the header a trusted proxy names the user in (default X-Forwarded-User)",
    )
    explore.set_defaults(run=cmd_explore)

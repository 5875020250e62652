"""``paycore``: the command line of the payments core.

Every command takes ``--db URL`` (or ``PAYCORE_DATABASE_URL``; default
``sqlite:///paycore.db``, the embedded store). Bad input ends with a one-line error and
a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from paycore.domain.errors import PaycoreError
from paycore.domain.store import DEFAULT_URL, URL_VARIABLE

Handler = Callable[[argparse.Namespace], int]
#: Each module that adds commands registers a function here that adds its sub-parsers.
COMMAND_GROUPS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []


def database_url(args: argparse.Namespace) -> str:
    return args.db or os.environ.get(URL_VARIABLE) or DEFAULT_URL


def build_parser() -> argparse.ArgumentParser:
    # The command modules register themselves when imported.
    from paycore.adapters.cli import commands  # noqa: F401, PLC0415

    parser = argparse.ArgumentParser(
        prog="paycore",
        description=(
            "paycore: an event-sourced payments core for the EnKash platform. "
            "Run 'paycore demo' for a day of business on the embedded SQLite store."
        ),
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help=f"the store: sqlite:///file.db, postgresql://user@host/db?schema=s or "
        f"memory:// (default: ${URL_VARIABLE}, else {DEFAULT_URL})",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    groups = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add_commands in COMMAND_GROUPS:
        add_commands(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="  [%(name)s] %(message)s")
    handler: Handler = args.handler
    try:
        return handler(args)
    except PaycoreError as error:
        print(f"paycore: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if os.environ.get("PAYCORE_DEBUG"):
            raise
        print(f"paycore: error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


def run() -> None:
    sys.exit(main())

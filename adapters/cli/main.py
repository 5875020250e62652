"""``paycore``: the command line of the payments core.

Every command takes ``--db URL`` (or ``PAYCORE_DATABASE_URL``; default
``sqlite:///paycore.db``, the embedded store). Bad input ends with a one-line error and
a non-zero exit, never a traceback.

``COMMAND_GROUPS`` is the index of the command line: each group module has an
``add_commands`` that adds its sub-commands, and this module calls them in that order.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from paycore.adapters.cli import audit, demo, sandbox, sync, views, webhooks
from paycore.adapters.persistence.stores import DEFAULT_URL
from paycore.domain.errors import PaycoreError
from paycore.domain.runner import URL_VARIABLE

Handler = Callable[[argparse.Namespace], int]
#: The command groups, in the order ``paycore --help`` lists them.
COMMAND_GROUPS = (
    audit.add_commands,
    views.add_commands,
    webhooks.add_commands,
    demo.add_commands,
    sandbox.add_commands,
    sync.add_commands,
)


def database_url(args: argparse.Namespace) -> str:
    return args.db or os.environ.get(URL_VARIABLE) or DEFAULT_URL


def build_parser() -> argparse.ArgumentParser:
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
    # The commands open the store at ``args.db``, resolved once here.
    args.db = database_url(args)
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

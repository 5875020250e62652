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
from importlib.metadata import version
from typing import Any, NoReturn

from paycore.adapters.cli import audit, demo, holders, sandbox, sync, views, webhooks
from paycore.adapters.persistence.stores import DEFAULT_URL
from paycore.domain.errors import ConfigurationError, PaycoreError
from paycore.domain.runner import URL_VARIABLE

Handler = Callable[[argparse.Namespace], int]
#: The command groups, in the order ``paycore --help`` lists them.
COMMAND_GROUPS = (
    audit.add_commands,
    views.add_commands,
    holders.add_commands,
    webhooks.add_commands,
    demo.add_commands,
    sandbox.add_commands,
    sync.add_commands,
)

#: The exit codes (docs/cli.md lists them); 130 is an interrupt (Ctrl-C).
OK, CHECK_FAILED, USAGE, CONFIGURATION, UNAVAILABLE, UNEXPECTED = 0, 1, 2, 3, 4, 5
_UNAVAILABLE_CODES = frozenset(
    {"STORE_UNAVAILABLE", "REMOTE_UNAVAILABLE", "REMOTE_TIMEOUT", "REMOTE_PROTOCOL"}
)


def database_url(args: argparse.Namespace) -> str:
    return getattr(args, "db", None) or os.environ.get(URL_VARIABLE) or DEFAULT_URL


def global_options() -> argparse.ArgumentParser:
    """``--db`` and ``--json``, accepted before or after any command and listed in every
    command's help (SUPPRESS: a command's parser leaves the value the top one read)."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help=f"the store: sqlite:///file.db, postgresql://user@host/db?schema=s or "
        f"memory:// (default: ${URL_VARIABLE}, else {DEFAULT_URL})",
    )
    options.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print JSON for scripts"
    )
    return options


class _Parser(argparse.ArgumentParser):
    """Every sub-parser takes the global options; a usage error is one line, exit 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("parents", [global_options()])
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE, f"{self.prog}: usage error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="paycore",
        description=(
            "paycore: an event-sourced payments core for the EnKash platform. "
            "Run 'paycore demo' for a day of business on the embedded SQLite store."
        ),
    )
    parser.add_argument("--version", action="version", version=f"paycore {version('paycore')}")
    groups: argparse._SubParsersAction[argparse.ArgumentParser] = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )
    for add_commands in COMMAND_GROUPS:
        add_commands(groups)
    return parser


def exit_code(error: PaycoreError) -> int:
    if isinstance(error, ConfigurationError):
        return CONFIGURATION
    return UNAVAILABLE if error.code in _UNAVAILABLE_CODES else CHECK_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The commands open the store at ``args.db``, resolved once here.
    args.db = database_url(args)
    args.json = getattr(args, "json", False)
    logging.basicConfig(level=logging.WARNING, format="  [%(name)s] %(message)s")
    handler: Handler = args.handler
    try:
        return handler(args)
    except PaycoreError as error:
        print(f"paycore: error: {error}", file=sys.stderr)
        return exit_code(error)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``| head -1``): end quietly, and let no flush at exit fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except Exception as error:
        if os.environ.get("PAYCORE_DEBUG"):
            raise
        print(f"paycore: unexpected error (PAYCORE_DEBUG=1 shows where): {error}", file=sys.stderr)
        return UNEXPECTED


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()

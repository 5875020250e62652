"""What several commands open: the core on ``--db``, and the views beside it.

A command that reads (``views``, ``audit``, ``sync dead-letters|retry|run``) opens only a
store that exists: a mistyped SQLite path is a one-line ``CONFIGURATION`` error, never a
new empty store (on which ``audit verify`` would pass).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eventsourcing.persistence import OperationalError, ProgrammingError

from paycore.adapters.persistence.stores import redacted
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import ConfigurationError
from paycore.projections import Projector

SQLITE_PREFIX = "sqlite:///"


def existing(url: str) -> str:
    """``url``, once its SQLite file is known to exist (other stores are checked on open)."""
    if url.startswith(SQLITE_PREFIX) and not Path(url.removeprefix(SQLITE_PREFIX)).is_file():
        path = url.removeprefix(SQLITE_PREFIX)
        msg = f"no store at {path}: check --db (run 'paycore demo' to make one)"
        raise ConfigurationError(msg, path=path)
    return url


@contextmanager
def opened_core(args: argparse.Namespace, *, create: bool = False) -> Iterator[PaymentsCore]:
    """The core on ``--db``; unless ``create``, only where a store exists, and its tables
    are never made: a PostgreSQL schema with no events table is refused, not filled."""
    if create:
        core = PaymentsCore(args.db)
    else:
        core = PaymentsCore(existing(args.db), env={"CREATE_TABLE": "no"})
    try:
        if not create:
            _refuse_without_events_table(core, args.db)
        yield core
    finally:
        core.close()


def _refuse_without_events_table(core: PaymentsCore, url: str) -> None:
    try:
        core.recorder.max_notification_id()
    except (ProgrammingError, OperationalError) as fault:
        # PostgreSQL's undefined table is a ProgrammingError; SQLite says "no such table"
        # in an OperationalError, which otherwise means a lock or a disk fault.
        if isinstance(fault, OperationalError) and "no such table" not in str(fault):
            raise
        msg = f"no store at {redacted(url)}: check --db (run 'paycore demo' to make one)"
        raise ConfigurationError(msg) from None


@contextmanager
def opened_projector(args: argparse.Namespace) -> Iterator[tuple[PaymentsCore, Projector]]:
    with opened_core(args) as core, Projector(core) as projector:
        yield core, projector

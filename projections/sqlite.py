"""View tables in SQLite: in the event store's file by default, or in a file of their own."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.sqlite import SQLiteDatastore

from paycore.projections.store import POSITIONS, Cursor, ViewStore
from paycore.projections.tables import Kind

#: Seconds a writer waits for another one (the application's own writes included).
LOCK_TIMEOUT = 30


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class SQLiteViewStore(ViewStore):
    """Amounts are kept as exact decimal text and times as UTC ISO 8601 text, so that
    comparing the text compares the times."""

    placeholder: ClassVar[str] = "?"
    sql_types: ClassVar[dict[Kind, str]] = {
        Kind.TEXT: "TEXT",
        Kind.INTEGER: "INTEGER",
        Kind.AMOUNT: "TEXT",
        Kind.TIME: "TEXT",
        Kind.UUID: "TEXT",
        Kind.FLAG: "INTEGER",
        Kind.JSON: "TEXT",
        Kind.BYTES: "BLOB",
    }
    encoders: ClassVar[dict[Kind, Callable[[Any], Any]]] = {
        Kind.TIME: _utc_text,
        Kind.JSON: json.JSONEncoder(separators=(",", ":")).encode,
        Kind.AMOUNT: str,
        Kind.UUID: str,
    }
    decoders: ClassVar[dict[Kind, Callable[[Any], Any]]] = {
        Kind.TIME: datetime.fromisoformat,
        Kind.JSON: json.loads,
        Kind.AMOUNT: Decimal,
        Kind.UUID: UUID,
        Kind.FLAG: bool,
    }

    def __init__(self, db_name: str) -> None:
        self.datastore = SQLiteDatastore(db_name, lock_timeout=LOCK_TIMEOUT)

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Cursor]:
        with self.datastore.get_connection(commit=commit) as connection:
            # Views can be rebuilt from the log and keep their positions with their
            # rows, so losing the last commits to a power cut costs nothing: skip the
            # fsync of every commit (WAL keeps the file consistent). This setting is
            # per connection; the event store's own connections keep theirs.
            connection.cursor().execute("PRAGMA synchronous = NORMAL")
            with connection.transaction(commit=commit) as cursor:
                yield cursor

    def qualified(self, table: str) -> str:
        return table

    def _lock(self, cursor: Cursor) -> None:
        # A write statement, even one that changes nothing, takes SQLite's write lock
        # now, before this transaction reads anything another writer could change.
        cursor.execute(f"UPDATE {POSITIONS} SET position = position WHERE 0")  # noqa: S608

    def _lock_definitions(self, cursor: Cursor) -> None:
        # The first CREATE statement takes the write lock: one writer at a time.
        return

    def _in(self, column: str, count: int) -> str:
        return f"{column} IN ({', '.join('?' * count)})"

    def close(self) -> None:
        self.datastore.close()

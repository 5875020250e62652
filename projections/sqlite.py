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


_DECODERS: dict[Kind, Callable[[Any], Any]] = {
    Kind.TIME: datetime.fromisoformat,
    Kind.JSON: json.loads,
    Kind.AMOUNT: Decimal,
    Kind.UUID: UUID,
    Kind.FLAG: bool,
}


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

    def __init__(self, db_name: str) -> None:
        self.datastore = SQLiteDatastore(db_name, lock_timeout=LOCK_TIMEOUT)

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Cursor]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def qualified(self, table: str) -> str:
        return table

    def encode(self, kind: Kind, value: Any) -> Any:
        if kind is Kind.TIME:
            return value.astimezone(UTC).isoformat(timespec="microseconds")
        if kind is Kind.JSON:
            return json.dumps(value, separators=(",", ":"))
        if kind in (Kind.AMOUNT, Kind.UUID):
            return str(value)
        return value

    def decode(self, kind: Kind, value: Any) -> Any:
        decoder = _DECODERS.get(kind)
        return value if decoder is None else decoder(value)

    def _lock(self, cursor: Cursor) -> None:
        # A write statement, even one that changes nothing, takes SQLite's write lock
        # now, before this transaction reads anything another writer could change.
        cursor.execute(f"UPDATE {POSITIONS} SET position = position WHERE 0")  # noqa: S608

    def _in(self, column: str, count: int) -> str:
        return f"{column} IN ({', '.join('?' * count)})"

    def close(self) -> None:
        self.datastore.close()

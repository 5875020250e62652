"""View tables in SQLite: in the event store's file by default, or in a file of their own."""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import OperationalError
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTransaction

from paycore.projections.store import Cursor, ViewStore, waiting_for_rebuild
from paycore.projections.tables import JSONText, Kind

#: Seconds a writer waits for another one (the application's own writes included).
LOCK_TIMEOUT = 30


# Cached: one event's time shows in several rows (its audit row, a card and its
# movement, the account), and formatting it costs more than looking it up.
@lru_cache(maxsize=4096)
def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


_JSON = json.JSONEncoder(separators=(",", ":")).encode


def _json_text(value: Any) -> str:
    return value if isinstance(value, JSONText) else _JSON(value)


@contextmanager
def _held(lock: threading.Lock) -> Iterator[None]:
    if not lock.acquire(blocking=False):
        waiting_for_rebuild()
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _flocked(path: str) -> Iterator[None]:
    # Opened anew each time, so two threads of one process exclude each other as two
    # processes do; the lock goes with the process that holds it.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting_for_rebuild()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class _Transaction(SQLiteTransaction):
    """The library's transaction, except that a writer takes SQLite's write lock at
    ``BEGIN``, waiting its turn for up to ``LOCK_TIMEOUT``. A deferred transaction that
    reads before it writes cannot wait: if another writer commits in between, its first
    write fails at once with "database is locked"."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE" if self.commit else "BEGIN")
        except sqlite3.OperationalError as error:  # waited in vain: the library's error
            raise OperationalError(error) from error
        return cursor


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
        Kind.JSON: _json_text,
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
        self._name = "memory://" if "mode=memory" in db_name else db_name
        self.datastore = SQLiteDatastore(db_name, lock_timeout=LOCK_TIMEOUT)
        # A database in memory belongs to this process, and so does its rebuild lock;
        # a file's is an flock on a file beside it.
        in_memory = self.datastore.pool.is_sqlite_memory_mode
        self._rebuild_file = None if in_memory else f"{db_name}.views-rebuild.lock"
        self._rebuilds = threading.Lock()

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Cursor]:
        with self.datastore.get_connection(commit=commit) as connection:
            # Views can be rebuilt from the log and keep their positions with their
            # rows, so losing the last commits to a power cut costs nothing: skip the
            # fsync of every commit (WAL keeps the file consistent). This setting is
            # per connection; the event store's own connections keep theirs.
            connection.cursor().execute("PRAGMA synchronous = NORMAL")
            with _Transaction(connection, commit=commit) as cursor, cursor as sqlite_cursor:
                yield sqlite_cursor

    def qualified(self, table: str) -> str:
        return table

    def _lock(self, cursor: Cursor) -> None:
        # Every write transaction took SQLite's write lock at BEGIN (see _Transaction).
        return

    def _lock_definitions(self, cursor: Cursor) -> None:
        # So did this one (see _lock).
        return

    def rebuilding(self) -> AbstractContextManager[None]:
        if self._rebuild_file is None:
            return _held(self._rebuilds)
        return _flocked(self._rebuild_file)

    def _in(self, column: str, count: int) -> str:
        return f"{column} IN ({', '.join('?' * count)})"

    def _exists(self, cursor: Cursor, table: str) -> bool:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))
        return cursor.fetchone() is not None

    @property
    def name(self) -> str:
        return self._name

    def close(self) -> None:
        self.datastore.close()

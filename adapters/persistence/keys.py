"""The side table of holders' wrapped data keys (issue 15, step 2): memory, SQLite and
PostgreSQL, never in events.

A row holds one holder's data key wrapped by the master key (a
:class:`~paycore.domain.personal_data.KeyProvider`). Forgetting a holder deletes the row: with
no data key, that person's ciphertexts in events and snapshots no longer open (crypto-
shredding). SQLite runs with ``secure_delete`` so the deleted bytes are overwritten in
the file, and the WAL is checkpointed and truncated after a delete.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any, Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag

from paycore.adapters.persistence.stores import store_env
from paycore.domain.errors import ConfigurationError
from paycore.domain.personal_data import MASTER_KEY_VARIABLE, KeyProvider, new_data_key
from paycore.projections.store import store_faults

TABLE = "paycore_holder_keys"


class KeyTable(Protocol):
    def put(self, holder_id: UUID, wrapped: bytes) -> None: ...

    def get(self, holder_id: UUID) -> bytes | None: ...

    def delete(self, holder_id: UUID) -> bool: ...

    def holder_ids(self) -> list[UUID]: ...

    def replace(self, holder_id: UUID, old: bytes, new: bytes) -> bool:
        """Puts ``new`` in place of ``old``; False if the row is gone or changed."""
        ...

    def close(self) -> None: ...


class MemoryKeyTable:
    def __init__(self) -> None:
        self._rows: dict[UUID, bytes] = {}
        self._lock = threading.Lock()

    def put(self, holder_id: UUID, wrapped: bytes) -> None:
        with self._lock:
            if holder_id in self._rows:
                raise KeyError(f"holder {holder_id} already has a data key")
            self._rows[holder_id] = wrapped

    def get(self, holder_id: UUID) -> bytes | None:
        return self._rows.get(holder_id)

    def delete(self, holder_id: UUID) -> bool:
        with self._lock:
            return self._rows.pop(holder_id, None) is not None

    def holder_ids(self) -> list[UUID]:
        return list(self._rows)

    def replace(self, holder_id: UUID, old: bytes, new: bytes) -> bool:
        with self._lock:
            if self._rows.get(holder_id) != old:
                return False
            self._rows[holder_id] = new
            return True

    def close(self) -> None:
        """Nothing to close: the rows live as long as the process."""


class SQLiteKeyTable:
    """The table in the SQLite file of the event store (``path``)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS paycore_holder_keys "
                "(holder_id TEXT PRIMARY KEY, wrapped BLOB NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, timeout=30)
        db.execute("PRAGMA secure_delete = ON")
        return db

    def put(self, holder_id: UUID, wrapped: bytes) -> None:
        with self._lock, self._connect() as db:
            try:
                db.execute(
                    "INSERT INTO paycore_holder_keys VALUES (?, ?)", (str(holder_id), wrapped)
                )
            except sqlite3.IntegrityError as exc:
                raise KeyError(f"holder {holder_id} already has a data key") from exc

    def get(self, holder_id: UUID) -> bytes | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT wrapped FROM paycore_holder_keys WHERE holder_id = ?", (str(holder_id),)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def delete(self, holder_id: UUID) -> bool:
        with self._lock:
            db = self._connect()
            try:
                with db:
                    gone = db.execute(
                        "DELETE FROM paycore_holder_keys WHERE holder_id = ?", (str(holder_id),)
                    ).rowcount
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                db.close()
        return bool(gone)

    def holder_ids(self) -> list[UUID]:
        with self._connect() as db:
            rows = db.execute("SELECT holder_id FROM paycore_holder_keys").fetchall()
        return [UUID(r[0]) for r in rows]

    def replace(self, holder_id: UUID, old: bytes, new: bytes) -> bool:
        with self._lock, self._connect() as db:
            changed = db.execute(
                "UPDATE paycore_holder_keys SET wrapped = ? WHERE holder_id = ? AND wrapped = ?",
                (new, str(holder_id), old),
            ).rowcount
        return bool(changed)

    def close(self) -> None:
        """Nothing to close: each statement opens and closes its own connection."""


class PostgresKeyTable:
    """The table in the PostgreSQL schema of the event store."""

    def __init__(self, conninfo: str, schema: str = "public") -> None:
        # psycopg only for a PostgreSQL store: a host without the postgres extra runs on
        import psycopg  # noqa: PLC0415
        from psycopg import sql  # noqa: PLC0415

        self._psycopg = psycopg
        self._conninfo = conninfo
        # One connection for the table's statements, each its own transaction: a key
        # is read for every holder a view folds, a connection per read cost 20x more.
        self._lock = threading.Lock()
        self._db: Any = None
        table = sql.Identifier(schema, TABLE)
        self._insert = sql.SQL("INSERT INTO {} VALUES (%s, %s)").format(table)
        self._select = sql.SQL("SELECT wrapped FROM {} WHERE holder_id = %s").format(table)
        self._delete = sql.SQL("DELETE FROM {} WHERE holder_id = %s").format(table)
        self._ids = sql.SQL("SELECT holder_id FROM {}").format(table)
        self._replace = sql.SQL(
            "UPDATE {} SET wrapped = %s WHERE holder_id = %s AND wrapped = %s"
        ).format(table)
        from paycore.adapters.persistence.postgres import create_tables  # noqa: PLC0415

        with psycopg.connect(conninfo, autocommit=True) as db:
            create_tables(
                db,
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} "
                    "(holder_id UUID PRIMARY KEY, wrapped BYTEA NOT NULL)"
                ).format(table),
            )

    def _execute(self, query: Any, params: tuple[Any, ...], *, read: bool) -> Any:
        """Runs one statement on the table's connection (opened on first use, again after
        the server dropped it); a read meeting a dropped connection is sent once more."""
        with self._lock:
            for attempt in (1, 2):
                if self._db is None or self._db.closed or self._db.broken:
                    self._db = self._psycopg.connect(self._conninfo, autocommit=True)
                try:
                    return self._db.execute(query, params)
                except self._psycopg.OperationalError:
                    if not (read and attempt == 1 and self._db.broken):
                        raise
        raise AssertionError  # pragma: no cover  (the loop returns or raises)

    def put(self, holder_id: UUID, wrapped: bytes) -> None:
        try:
            self._execute(self._insert, (holder_id, wrapped), read=False)
        except self._psycopg.errors.UniqueViolation as exc:
            raise KeyError(f"holder {holder_id} already has a data key") from exc

    def get(self, holder_id: UUID) -> bytes | None:
        row = self._execute(self._select, (holder_id,), read=True).fetchone()
        return None if row is None else bytes(row[0])

    def delete(self, holder_id: UUID) -> bool:
        return bool(self._execute(self._delete, (holder_id,), read=False).rowcount)

    def holder_ids(self) -> list[UUID]:
        return [row[0] for row in self._execute(self._ids, (), read=True).fetchall()]

    def replace(self, holder_id: UUID, old: bytes, new: bytes) -> bool:
        return bool(self._execute(self._replace, (new, holder_id, old), read=False).rowcount)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


class HolderKeys:
    """Holders' data keys: created wrapped, unwrapped on use, destroyed on forgetting."""

    def __init__(self, table: KeyTable, provider: KeyProvider) -> None:
        self._table = table
        self._provider = provider

    def create(self, holder_id: UUID) -> bytes:
        key = new_data_key()
        wrapped = self._provider.wrap(holder_id, key)
        with store_faults("storing a holder's data key", written=True):
            self._table.put(holder_id, wrapped)
        return key

    def get(self, holder_id: UUID) -> bytes | None:
        """The data key, or None once the holder was forgotten; ``CONFIGURATION`` when the
        master key is not the one it was wrapped under."""
        with store_faults("reading a holder's data key", written=False):
            wrapped = self._table.get(holder_id)
        if wrapped is None:
            return None
        try:
            return self._provider.unwrap(holder_id, wrapped)
        except InvalidTag:
            msg = (
                f"the master key does not open the data key of holder {holder_id}: give "
                f"{MASTER_KEY_VARIABLE} (or key_provider=) the key this store was written under"
            )
            raise ConfigurationError(msg, setting=MASTER_KEY_VARIABLE) from None

    def destroy(self, holder_id: UUID) -> bool:
        with store_faults("destroying a holder's data key", written=True):
            return self._table.delete(holder_id)

    def close(self) -> None:
        self._table.close()

    def rewrap(self, new: KeyProvider) -> int:
        """Rotates the master key: every data key, unwrapped by this provider, is wrapped
        by ``new``; returns how many were. The data keys and every ciphertext stay as they
        are. A row ``new`` opens already is skipped, so a rotation cut short is finished by
        running it again; a row forgotten meanwhile stays gone (the swap compares bytes)."""
        rewrapped = 0
        with store_faults("rewrapping holders' data keys", written=True):
            for holder_id in self._table.holder_ids():
                wrapped = self._table.get(holder_id)
                if wrapped is None or _opens(new, holder_id, wrapped):
                    continue
                key = self.get(holder_id)
                assert key is not None
                if self._table.replace(holder_id, wrapped, new.wrap(holder_id, key)):
                    rewrapped += 1
        return rewrapped


def _opens(provider: KeyProvider, holder_id: UUID, wrapped: bytes) -> bool:
    try:
        provider.unwrap(holder_id, wrapped)
    except InvalidTag:
        return False
    return True


def holder_keys(url: str, provider: KeyProvider) -> HolderKeys:
    """The data keys of the store at ``url``: in memory for ``memory://``, a table in the
    same SQLite file or the same PostgreSQL schema otherwise. ``PaymentsCore`` resolves
    this by its topic (``HolderCommands.key_wiring``), as it does the store wiring."""
    env = store_env(url)
    module = env["PERSISTENCE_MODULE"]
    table: KeyTable
    if module == "eventsourcing.popo":
        table = MemoryKeyTable()
    elif module == "eventsourcing.sqlite":
        table = SQLiteKeyTable(env["SQLITE_DBNAME"])
    else:
        conninfo = make_conninfo(
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            dbname=env["POSTGRES_DBNAME"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None,
            connect_timeout=env["POSTGRES_CONNECT_TIMEOUT"],
        )
        table = PostgresKeyTable(conninfo, env.get("POSTGRES_SCHEMA", "public"))
    return HolderKeys(table, provider)


def make_conninfo(**parts: str | None) -> str:
    """A libpq connection string, values quoted as libpq reads them."""

    def quoted(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    return " ".join(f"{name}={quoted(value)}" for name, value in parts.items() if value)

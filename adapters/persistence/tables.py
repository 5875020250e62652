"""Side tables of the edges, kept in the store paycore already uses.

The relay's items and the inbox's parked messages live next to the events: in the same
SQLite file, or in the same PostgreSQL schema. For ``memory://`` they live in an
in-memory SQLite database of the process. Each statement runs in a transaction of its
own, and every change the edges make is one statement (an upsert, an update or a
delete with ``RETURNING``), so a crash never leaves half of one.

A :class:`Lease` lets one worker at a time act for a consumer: a PostgreSQL advisory
lock (held by the session, so it goes when the process dies), an ``flock`` on a file
next to the SQLite database (one host), or a lock of the process for ``memory://``.

psycopg is imported only for a PostgreSQL store, so a host without the ``postgres``
extra uses SQLite and memory as before.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from paycore.adapters.persistence.stores import POSTGRES_FACTORY, store_env
from paycore.domain.core import PaymentsCore

if TYPE_CHECKING:
    import psycopg

Row = tuple[Any, ...]


class Lease(Protocol):
    def try_acquire(self) -> bool: ...

    def held(self) -> bool:
        """Whether the lease taken is still this worker's (a session can be ended)."""
        ...

    def release(self) -> None: ...


class SideTables:
    """One connection to the store for the edges' own tables; safe to share between threads."""

    def __init__(self, core: PaymentsCore) -> None:
        env = store_env(core.url)
        # memory://: one in-memory database per core, shared by its relays and inboxes
        self._memory_name = f"paycore-side-{id(core)}"
        self._lock = threading.Lock()
        self._module = env["PERSISTENCE_MODULE"]
        self._path = env.get("SQLITE_DBNAME", "")
        self._postgres: psycopg.Connection[Row] | None = None
        self._sqlite: sqlite3.Connection | None = None
        if self._module == POSTGRES_FACTORY:
            import psycopg  # noqa: PLC0415  (store_env checked that the extra is installed)

            self._conninfo = psycopg.conninfo.make_conninfo(
                host=env["POSTGRES_HOST"],
                port=env["POSTGRES_PORT"],
                dbname=env["POSTGRES_DBNAME"],
                user=env["POSTGRES_USER"],
                password=env["POSTGRES_PASSWORD"] or None,
                options=f"-c search_path={env.get('POSTGRES_SCHEMA') or 'public'}",
            )
            self._schema = env.get("POSTGRES_SCHEMA") or "public"
            self._postgres = psycopg.connect(self._conninfo, autocommit=True)
        else:
            name = self._path or f"file:{self._memory_name}?mode=memory&cache=shared"
            self._sqlite = sqlite3.connect(
                name, timeout=30, isolation_level=None, check_same_thread=False, uri=not self._path
            )

    def execute(self, statement: str, parameters: Sequence[Any] = ()) -> list[Row]:
        """Runs one statement (``?`` placeholders) in its own transaction; its rows."""
        with self._lock:
            if self._postgres is not None:
                if self._postgres.closed:
                    # The server ended the session (a restart, a killed backend): the
                    # statement that met it failed as StoreUnavailable with its outcome
                    # unknown; later ones run on a new session, never that one again.
                    self._postgres = type(self._postgres).connect(self._conninfo, autocommit=True)
                cursor = self._postgres.execute(statement.replace("?", "%s"), parameters)
                return cursor.fetchall() if cursor.description else []
            assert self._sqlite is not None
            return self._sqlite.execute(statement, parameters).fetchall()

    def create(self, statement: str) -> None:
        """Runs a ``CREATE TABLE IF NOT EXISTS``, safe when other processes run it at once."""
        if self._postgres is None:
            self.execute(statement)  # SQLite's write lock already takes creators in turn
            return
        from paycore.adapters.persistence.postgres import create_tables  # noqa: PLC0415

        with self._lock:
            create_tables(self._postgres, statement)

    def lease(self, name: str) -> Lease:
        """The lease of the consumer ``name`` in this store."""
        if self._postgres is not None:
            return _AdvisoryLease(self._conninfo, f"{self._schema}:{name}")
        if self._path:
            return _FileLease(f"{self._path}.{name}.lock")
        return _ProcessLease(f"{self._memory_name}:{name}")

    def close(self) -> None:
        with self._lock:
            if self._postgres is not None:
                self._postgres.close()
            if self._sqlite is not None:
                self._sqlite.close()


class _AdvisoryLease:
    """``pg_try_advisory_lock`` on a session of its own: it ends with the session."""

    def __init__(self, conninfo: str, key: str) -> None:
        self._conninfo = conninfo
        self._key = key
        self._session: psycopg.Connection[Row] | None = None

    def try_acquire(self) -> bool:
        import psycopg  # noqa: PLC0415  (only a PostgreSQL store has this lease)

        session = psycopg.connect(self._conninfo, autocommit=True)
        row = session.execute("SELECT pg_try_advisory_lock(hashtext(%s))", (self._key,)).fetchone()
        if row and row[0]:
            self._session = session
            return True
        session.close()
        return False

    def held(self) -> bool:
        """False once the server ended the session, and with it the lock."""
        import psycopg  # noqa: PLC0415

        if self._session is None:
            return False
        try:
            self._session.execute("SELECT 1")
        except psycopg.Error:
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


class _FileLease:
    """An exclusive ``flock`` on a file beside the SQLite database."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


_process_leases: dict[str, threading.Lock] = {}
_process_leases_guard = threading.Lock()


class _ProcessLease:
    def __init__(self, name: str) -> None:
        with _process_leases_guard:
            self._lock = _process_leases.setdefault(name, threading.Lock())
        self._held = False

    def try_acquire(self) -> bool:
        self._held = self._lock.acquire(blocking=False)
        return self._held

    def held(self) -> bool:
        return self._held

    def release(self) -> None:
        if self._held:
            self._held = False
            self._lock.release()

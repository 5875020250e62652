"""The side table of wrapped data keys on memory, a real SQLite file and a real
PostgreSQL schema (issue 15, step 2): a key is stored only wrapped, opens only with the
master key, and once destroyed neither it nor its wrapped bytes remain anywhere."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from paycore.adapters.persistence.keys import (
    HolderKeys,
    KeyTable,
    MemoryKeyTable,
    PostgresKeyTable,
    SQLiteKeyTable,
)
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import StoreUnavailable
from paycore.domain.personal_data import MasterKey, open_sealed, seal

CONNINFO = "host=127.0.0.1 port=5432 user=postgres dbname=test"
MASTER = MasterKey(bytes(range(32)))


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    schema = f"h15_keys_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(CONNINFO, autocommit=True) as db:
        db.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        with psycopg.connect(CONNINFO, autocommit=True) as db:
            db.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _sqlite(tmp_path: Path) -> tuple[KeyTable, Path]:
    path = tmp_path / "store.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = WAL")
    return SQLiteKeyTable(str(path)), path


def _stored_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def _postgres_rows(schema: str) -> list[Any]:
    with psycopg.connect(CONNINFO, autocommit=True) as db:
        return db.execute(f'SELECT * FROM "{schema}".paycore_holder_keys').fetchall()


def _check_lifecycle(table: KeyTable) -> tuple[bytes, bytes, uuid.UUID]:
    keys = HolderKeys(table, MASTER)
    holder = uuid.uuid4()
    key = keys.create(holder)
    wrapped = table.get(holder)
    assert wrapped is not None
    assert key not in wrapped  # stored only wrapped
    assert keys.get(holder) == key
    sealed = seal(key, holder, "mobile", "9876501234")
    with pytest.raises(KeyError):
        table.put(holder, wrapped)  # one key per holder
    assert keys.destroy(holder) is True
    assert keys.destroy(holder) is False
    assert keys.get(holder) is None
    assert str(open_sealed(keys.get(holder), holder, "mobile", sealed)) == "<erased>"
    return key, wrapped, holder


def test_memory() -> None:
    _check_lifecycle(MemoryKeyTable())


def test_sqlite_file_and_wal_keep_no_byte_of_a_destroyed_key(tmp_path: Path) -> None:
    table, path = _sqlite(tmp_path)
    keeper = HolderKeys(table, MASTER)
    other = uuid.uuid4()
    other_key = keeper.create(other)  # another person's key stays
    key, wrapped, _ = _check_lifecycle(table)
    stored = _stored_bytes(path)
    assert wrapped not in stored
    assert key not in stored
    assert keeper.get(other) == other_key
    assert other_key not in stored  # even a live key is only there wrapped


def test_postgres_keeps_no_row_of_a_destroyed_key(postgres_schema: str) -> None:
    table = PostgresKeyTable(CONNINFO, postgres_schema)
    keeper = HolderKeys(table, MASTER)
    other = uuid.uuid4()
    keeper.create(other)
    key, wrapped, _ = _check_lifecycle(table)
    rows = _postgres_rows(postgres_schema)
    assert [row[0] for row in rows] == [other]
    assert all(wrapped != bytes(row[1]) and key not in bytes(row[1]) for row in rows)


def _terminate(table: PostgresKeyTable) -> None:
    """Ends the table's server session, as a restart or an idle timeout would."""
    pid = table._db.info.backend_pid
    with psycopg.connect(CONNINFO, autocommit=True) as db:
        db.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_postgres_keeps_one_connection_and_survives_the_server_dropping_it(
    postgres_schema: str,
) -> None:
    table = PostgresKeyTable(CONNINFO, postgres_schema)
    keys = HolderKeys(table, MASTER)
    holder, other = uuid.uuid4(), uuid.uuid4()
    key = keys.create(holder)
    keys.create(other)
    first = table._db
    assert keys.get(holder) == key
    assert table._db is first  # one connection for every statement
    _terminate(table)
    assert keys.get(holder) == key  # a read is sent again on a new connection
    _terminate(table)
    with pytest.raises(StoreUnavailable) as dropped:
        keys.destroy(other)  # a write is not: it may have committed
    assert dropped.value.details["operation"] == "destroying a holder's data key"
    assert dropped.value.details["outcome_known"] is False
    assert keys.destroy(other) is True
    keys.close()
    assert table._db is None
    assert first.closed


def test_closing_the_core_closes_its_key_tables_connection(postgres_schema: str) -> None:
    url = f"postgresql://postgres@127.0.0.1:5432/test?schema={postgres_schema}"
    core = PaymentsCore(url, key_provider=MASTER)
    core.register_holder(uuid.uuid4(), {"first_name": "Asha"})
    keys = core.holder_keys
    assert isinstance(keys, HolderKeys)
    connection = keys._table._db  # type: ignore[attr-defined]
    assert connection is not None
    assert not connection.closed
    core.close()
    assert connection.closed

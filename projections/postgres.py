"""View tables in PostgreSQL: in the event store's schema by default, or in another one."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC
from typing import Any, ClassVar

from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier
from psycopg.types.json import Jsonb

from paycore.projections.store import POSITIONS, Cursor, ViewStore, waiting_for_rebuild
from paycore.projections.tables import JSONText, Kind


def _jsonb(value: Any) -> Jsonb:
    return Jsonb(value, dumps=str) if isinstance(value, JSONText) else Jsonb(value)


class PostgresViewStore(ViewStore):
    """Tables in one schema, named with the ``paycore_`` prefix like the SQLite ones."""

    placeholder: ClassVar[str] = "%s"
    sql_types: ClassVar[dict[Kind, str]] = {
        Kind.TEXT: "TEXT",
        Kind.INTEGER: "BIGINT",
        Kind.AMOUNT: "NUMERIC",
        Kind.TIME: "TIMESTAMPTZ",
        Kind.UUID: "UUID",
        Kind.FLAG: "BOOLEAN",
        Kind.JSON: "JSONB",
        Kind.BYTES: "BYTEA",
    }
    encoders: ClassVar[dict[Kind, Callable[[Any], Any]]] = {Kind.JSON: _jsonb}
    decoders: ClassVar[dict[Kind, Callable[[Any], Any]]] = {
        Kind.TIME: lambda moment: moment.astimezone(UTC),
        Kind.BYTES: bytes,
    }

    def __init__(self, datastore: PostgresDatastore, name: str = "PostgreSQL") -> None:
        self.datastore = datastore
        self._name = f"{name} (schema {datastore.schema})"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PostgresViewStore:
        """From the eventsourcing settings that
        :func:`paycore.adapters.persistence.stores.store_env` makes."""
        return cls(
            PostgresDatastore(
                dbname=env["POSTGRES_DBNAME"],
                host=env["POSTGRES_HOST"],
                port=env["POSTGRES_PORT"],
                user=env["POSTGRES_USER"],
                password=env["POSTGRES_PASSWORD"],
                connect_timeout=float(env.get("POSTGRES_CONNECT_TIMEOUT", "30")),
                pool_size=int(env.get("POSTGRES_POOL_SIZE", "2")),
                max_overflow=int(env.get("POSTGRES_MAX_OVERFLOW", "2")),
                schema=env.get("POSTGRES_SCHEMA", ""),
            ),
            name=f"postgresql://{env['POSTGRES_USER']}@{env['POSTGRES_HOST']}:"
            f"{env['POSTGRES_PORT']}/{env['POSTGRES_DBNAME']}",
        )

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Cursor]:
        with self.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def qualified(self, table: str) -> str:
        return SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(table)).as_string()

    def _lock(self, cursor: Cursor) -> None:
        # EXCLUSIVE mode blocks other writers of views but not readers.
        cursor.execute(f"LOCK TABLE {self.qualified(POSITIONS)} IN EXCLUSIVE MODE")

    def _lock_definitions(self, cursor: Cursor) -> None:
        # Concurrent CREATE TABLE IF NOT EXISTS can still fail on the catalog.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('paycore.projections'))")

    @contextmanager
    def rebuilding(self) -> Iterator[None]:
        # A lock of a transaction left open on a connection of its own: it ends with
        # that transaction, however the rebuild ends, or with the session if the
        # process dies. One key per schema, so views in other schemas go on.
        key = f"paycore.views.rebuild:{self.datastore.schema}"
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s)) AS held", (key,))
            row = cursor.fetchone()
            if not (row and row["held"]):
                waiting_for_rebuild()
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))
            yield

    def _in(self, column: str, count: int) -> str:
        return f"{column} = ANY(%s)"

    def _in_values(self, values: Sequence[Any]) -> list[Any]:
        return [list(values)]

    def _exists(self, cursor: Cursor, table: str) -> bool:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL AS found", (self.qualified(table),))
        row = cursor.fetchone()
        return bool(row and row["found"])

    @property
    def name(self) -> str:
        return self._name

    def close(self) -> None:
        self.datastore.close()

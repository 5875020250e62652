"""The stores each benchmark runs on: in memory, a SQLite file, a PostgreSQL schema.

paycore runs on PostgreSQL with its own recorder (``paycore.adapters.persistence.postgres``,
no table lock); the library's baselines run with the library's recorder, as it ships.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from paycore.adapters.persistence.stores import store_env

POSTGRES_DSN = os.environ.get("PAYCORE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
#: The library's own PostgreSQL recorder (it locks the events table in every insert),
#: which the library's contenders run on; paycore's URL gives it paycore's recorder.
LIBRARY_POSTGRES = {"PERSISTENCE_MODULE": "eventsourcing.postgres"}


@dataclass(frozen=True)
class Store:
    """One store kind for one part of the run: a fresh place for each application."""

    kind: str
    folder: Path
    schema: str = ""

    def url(self, name: str) -> str:
        """A store of its own for the application ``name`` (SQLite tables are not
        prefixed by application, so each gets a file; PostgreSQL ones share the schema)."""
        if self.kind == "memory":
            return "memory://"
        if self.kind == "sqlite":
            return f"sqlite:///{self.folder / name}.db"
        return f"{POSTGRES_DSN}?schema={self.schema}&pool_size=2"

    def env(self, name: str) -> dict[str, str]:
        """The library's settings for ``url(name)``, as the library ships."""
        library = LIBRARY_POSTGRES if self.kind == "postgres" else {}
        return {**store_env(self.url(name)), **library}

    @contextmanager
    def new_schema(self) -> Iterator[str]:
        """Another PostgreSQL schema, dropped afterwards (views of their own, say)."""
        name = f"paycore_bench_{uuid.uuid4().hex[:10]}"
        _execute(f'CREATE SCHEMA "{name}"')
        try:
            yield name
        finally:
            _execute(f'DROP SCHEMA "{name}" CASCADE')


def _execute(statement: str) -> None:
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(statement)


def postgres_reachable() -> bool:
    try:
        with psycopg.connect(POSTGRES_DSN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@contextmanager
def open_store(kind: str) -> Iterator[Store]:
    """A fresh, empty store of ``kind``, removed afterwards."""
    if kind not in ("memory", "sqlite", "postgres"):
        msg = f"unknown store kind {kind!r}"
        raise ValueError(msg)
    with tempfile.TemporaryDirectory(prefix="paycore-bench-") as folder:
        if kind != "postgres":
            yield Store(kind, Path(folder))
            return
        schema = f"paycore_bench_{uuid.uuid4().hex[:10]}"
        _execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield Store(kind, Path(folder), schema)
        finally:
            _execute(f'DROP SCHEMA "{schema}" CASCADE')

"""The stores each benchmark runs on: in memory, a SQLite file, a PostgreSQL schema."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from paycore.adapters.persistence.stores import store_env

POSTGRES_DSN = os.environ.get("PAYCORE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class Store:
    """One store for one measurement: paycore's URL, and the same kind for the baseline."""

    kind: str
    url: str
    baseline_url: str

    def baseline_env(self) -> dict[str, str]:
        return store_env(self.baseline_url)


def postgres_reachable() -> bool:
    try:
        with psycopg.connect(POSTGRES_DSN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@contextmanager
def open_store(kind: str) -> Iterator[Store]:
    """A fresh, empty store of ``kind``, removed afterwards."""
    if kind == "memory":
        yield Store(kind, "memory://", "memory://")
    elif kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="paycore-bench-") as folder:
            # SQLite tables are not prefixed by application: one file each.
            yield Store(kind, f"sqlite:///{folder}/paycore.db", f"sqlite:///{folder}/baseline.db")
    elif kind == "postgres":
        schema = f"paycore_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            url = f"{POSTGRES_DSN}?schema={schema}&pool_size=10"
            yield Store(kind, url, url)
        finally:
            with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    else:
        msg = f"unknown store kind {kind!r}"
        raise ValueError(msg)

"""The physical limits of the stores, measured in the same run: how many transactions of
one small insert each can commit per second, with nothing of Python's on top.

SQLite: one connection to a WAL file, ``INSERT`` then ``COMMIT``, at ``synchronous``
FULL (the library's setting, and paycore's: durable at every commit) and NORMAL (a
power cut may lose the last commits, never the file). PostgreSQL: ``INSERT`` in
autocommit from 1 and from 8 connections at once (8 threads), which the server flushes
to its WAL together (group commit).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import psycopg

from benchmarks.stores import POSTGRES_DSN

ROW = b"x" * 200


def sqlite_commits(path: Path, synchronous: str, commits: int) -> float:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(f"PRAGMA synchronous = {synchronous}")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS limit_rows (id INTEGER PRIMARY KEY, row BLOB)"
        )
        start = time.perf_counter()
        for _ in range(commits):
            connection.execute("BEGIN")
            connection.execute("INSERT INTO limit_rows (row) VALUES (?)", (ROW,))
            connection.execute("COMMIT")
        return commits / (time.perf_counter() - start)
    finally:
        connection.close()


def postgres_commits(schema: str, connections: int, commits_each: int) -> float:
    table = f'"{schema}".limit_rows'
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (id bigserial PRIMARY KEY, row bytea)")
    opened = [psycopg.connect(POSTGRES_DSN, autocommit=True) for _ in range(connections)]
    barrier = threading.Barrier(connections + 1)

    def insert(conn: psycopg.Connection[tuple[object, ...]]) -> None:
        barrier.wait()
        for _ in range(commits_each):
            conn.execute(f"INSERT INTO {table} (row) VALUES (%s)", (ROW,))  # noqa: S608

    workers = [threading.Thread(target=insert, args=(c,)) for c in opened]
    try:
        for worker in workers:
            worker.start()
        barrier.wait()
        start = time.perf_counter()
        for worker in workers:
            worker.join()
        return connections * commits_each / (time.perf_counter() - start)
    finally:
        for conn in opened:
            conn.close()

"""The edges' side tables outlive a PostgreSQL session the server ended."""

from __future__ import annotations

import psycopg
import pytest

from paycore.adapters.persistence.tables import SideTables
from paycore.domain.core import PaymentsCore
from tests.conftest import POSTGRES_DSN, PostgresSchema


def test_a_killed_backend_fails_one_statement_and_the_next_runs_on_a_new_session(
    postgres_schema: PostgresSchema,
) -> None:
    core = PaymentsCore(postgres_schema.url)
    tables = SideTables(core)
    try:
        tables.execute("CREATE TABLE notes (n integer)")
        tables.execute("INSERT INTO notes VALUES (?)", (1,))
        (pid,) = tables.execute("SELECT pg_backend_pid()")[0]
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(psycopg.OperationalError):
            tables.execute("INSERT INTO notes VALUES (?)", (2,))
        tables.execute("INSERT INTO notes VALUES (?)", (3,))
        assert tables.execute("SELECT n FROM notes ORDER BY n") == [(1,), (3,)]
        assert tables.execute("SELECT pg_backend_pid()")[0][0] != pid
    finally:
        tables.close()
        core.close()

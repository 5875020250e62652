"""Store faults under the projector and the audit trail leave as typed errors naming the
operation (never the SQL or a password), and reading views creates nothing.

The faults are real: another SQLite connection holding ``BEGIN EXCLUSIVE``, PostgreSQL
backends killed with ``pg_terminate_backend``, a view table dropped under a reader.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

import psycopg
import pytest

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import NotFound, StoreUnavailable
from paycore.projections import INVOICES, AuditTrail, Projector, open_views
from paycore.projections import sqlite as sqlite_views
from tests.conftest import POSTGRES_DSN, PostgresSchema, require_postgres
from tests.domain.test_store_faults import Database

UNKNOWN_BUT_SAFE = {"outcome_known": False, "committed": None, "retry_safe": True}
NOTHING_WRITTEN = {"outcome_known": True, "committed": False, "retry_safe": True}


@pytest.fixture
def database() -> Iterator[Database]:
    """A PostgreSQL database of the test's own, so that killing its backends touches no
    other test."""
    require_postgres()
    database = Database()
    database.admin(f'CREATE DATABASE "{database.name}"')
    try:
        yield database
    finally:
        database.admin(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')


def outcome(refusal: StoreUnavailable) -> dict[str, object]:
    return {k: refusal.details[k] for k in ("outcome_known", "committed", "retry_safe")}


def some_events(core: PaymentsCore) -> None:
    account_id = core.open_card_account("CO1", "Acme", "Travel", "CORPORATE", "1000.00")
    core.issue_card(account_id, "PREPAID")


def tables_of(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_a_locked_sqlite_store_is_store_unavailable_for_update_and_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_views, "LOCK_TIMEOUT", 0.2)
    path = tmp_path / "paycore.db"
    core = PaymentsCore(f"sqlite:///{path}")
    some_events(core)
    locker = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with Projector(core) as projector:
            for run, operation in (
                (projector.update, "creating the views' tables"),
                (projector.rebuild, "creating the views' tables"),
            ):
                with pytest.raises(StoreUnavailable) as refusal:
                    run()
                assert refusal.value.code == "STORE_UNAVAILABLE"
                assert refusal.value.details["operation"] == operation
                assert refusal.value.details["cause"] == "OperationalError"
                assert outcome(refusal.value) == UNKNOWN_BUT_SAFE
                assert "database is locked" in refusal.value.message
                assert "CREATE" not in refusal.value.message
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    with Projector(core) as projector:
        assert projector.update() > 0
        assert projector.position() == core.recorder.max_notification_id()
    core.close()


def test_a_locked_sqlite_store_between_batches_is_store_unavailable_writing_the_views(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_views, "LOCK_TIMEOUT", 0.2)
    path = tmp_path / "paycore.db"
    core = PaymentsCore(f"sqlite:///{path}")
    with Projector(core) as projector:
        projector.update()
        some_events(core)
        locker = sqlite3.connect(path, isolation_level=None, timeout=0.1)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            with pytest.raises(StoreUnavailable) as refusal:
                projector.update()
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert refusal.value.details["operation"] == "writing the views"
        assert outcome(refusal.value) == UNKNOWN_BUT_SAFE
        assert projector.update() > 0
    core.close()


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_views_never_built_are_not_found_and_reading_them_creates_nothing(
    store: str, tmp_path: Path
) -> None:
    schema: PostgresSchema | None = None
    if store == "sqlite":
        path = tmp_path / "paycore.db"
        url = f"sqlite:///{path}"
    else:
        require_postgres()
        schema = PostgresSchema().__enter__()
        url = schema.url
    core = PaymentsCore(url)
    try:
        some_events(core)
        with Projector(core) as projector:
            trail = AuditTrail(core, projector.store)
            assert projector.position() == 0
            assert projector.metrics().position == 0
            reads: list[Callable[[], object]] = [
                lambda: projector.store.select(INVOICES),
                trail.events,
                trail.verify,
                lambda: trail.digest(b"k" * 32),
            ]
            for read in reads:
                with pytest.raises(NotFound) as refusal:
                    read()
                assert refusal.value.code == "NOT_FOUND"
                assert "run 'paycore views rebuild'" in refusal.value.message
                assert refusal.value.details["store"] == projector.store.name
                assert "password" not in refusal.value.message
        if schema is None:
            assert not any(t.startswith("paycore_") for t in tables_of(path))
        else:
            with psycopg.connect(POSTGRES_DSN) as conn:
                found = conn.execute(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = %s AND table_name LIKE 'paycore%%'",
                    (schema.name,),
                ).fetchall()
            assert found == []
    finally:
        core.close()
        if schema is not None:
            schema.__exit__()


def test_a_view_table_dropped_under_a_reader_is_not_found(tmp_path: Path) -> None:
    path = tmp_path / "paycore.db"
    core = PaymentsCore(f"sqlite:///{path}")
    some_events(core)
    with Projector(core) as projector:
        projector.update()
        with sqlite3.connect(path) as conn:
            conn.execute(f"DROP TABLE {INVOICES.name}")
        with pytest.raises(NotFound) as refusal:
            projector.store.select(INVOICES)
        assert refusal.value.details["table"] == INVOICES.name
        projector.rebuild()
        assert projector.store.select(INVOICES) == []
    core.close()


def test_postgres_backends_killed_under_the_projector_are_store_unavailable(
    database: Database,
) -> None:
    core = PaymentsCore(database.url())
    some_events(core)
    store = open_views(database.url())
    with Projector(core, store) as projector:
        projector.update()
        some_events(core)
        reads: list[tuple[Callable[[], object], str]] = [
            (projector.position, "reading the views' positions"),
            (lambda: store.select(INVOICES), f"reading the view {INVOICES.name}"),
        ]
        for read, operation in reads:
            database.terminate()
            with pytest.raises(StoreUnavailable) as refusal:
                read()
            assert refusal.value.details["operation"] == operation
            assert outcome(refusal.value) == NOTHING_WRITTEN
        database.terminate()
        # The pool hands out fresh connections once the dead ones have failed.
        for _ in range(5):
            with suppress(StoreUnavailable):
                projector.update()
                break
        assert projector.position() == core.recorder.max_notification_id()
    store.close()
    core.close()

"""Store faults under the sync relay leave as StoreUnavailable naming the operation, never
a raw driver error, and the relay's position stays where it was: a later pass applies
each effect once.

The faults are real: the relay's item table dropped under it (SQLite), and PostgreSQL
backends killed with ``pg_terminate_backend`` on a database of the test's own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.sandbox import Sandbox
from paycore.adapters.sync import CONSUMER
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import StoreUnavailable
from tests.adapters.sync.builders import OTP_KEY, card_with_account, relay
from tests.conftest import require_postgres
from tests.domain.test_store_faults import Database


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


def test_a_relay_table_dropped_under_the_relay_is_store_unavailable_and_loses_nothing(
    tmp_path: Path, sandbox: Sandbox, sync_client: EnkashClient
) -> None:
    path = tmp_path / "paycore.db"
    core = PaymentsCore(f"sqlite:///{path}", otp_key=OTP_KEY)
    setup = card_with_account(core, initial_load="50.00")
    sync = relay(core, sync_client)
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE paycore_sync_items")
    for step, operation in (
        (sync.drain, "the sync relay's pass"),
        (sync.dead_letters, "reading the dead-letter list"),
        (lambda: sync.retry(1), "marking a dead letter for retry"),
    ):
        with pytest.raises(StoreUnavailable) as refusal:
            step()
        assert refusal.value.code == "STORE_UNAVAILABLE"
        assert refusal.value.details["operation"] == operation
        assert refusal.value.details["cause"] == "OperationalError"
        assert refusal.value.details["retry_safe"] is True
        assert "no such table: paycore_sync_items" in refusal.value.message
        assert "INSERT" not in refusal.value.message
        assert "SELECT" not in refusal.value.message
    assert core.max_tracked(CONSUMER) == 0
    assert sandbox.ledger.count_applied() == 0
    sync.close()
    again = relay(core, sync_client)  # creates its table again
    again.drain()
    account = core.get_card_account(setup.account_id)
    assert sandbox.state.cards[account.card(setup.card_id).remote_id or ""].balance == 50
    assert sandbox.ledger.count_applied() == 2
    again.close()
    core.close()


def test_postgres_backends_killed_under_the_relay_are_store_unavailable(
    database: Database, sandbox: Sandbox, sync_client: EnkashClient
) -> None:
    core = PaymentsCore(database.url(), otp_key=OTP_KEY)
    setup = card_with_account(core, initial_load="50.00")
    sync = relay(core, sync_client)
    steps: list[tuple[Callable[[], object], str]] = [
        (sync.dead_letters, "reading the dead-letter list"),
        (sync.drain, "the sync relay's pass"),
    ]
    for step, operation in steps:
        assert sync.dead_letters() == []  # the side tables' session is up
        database.terminate()
        with pytest.raises(StoreUnavailable) as refusal:
            step()
        assert refusal.value.details["operation"] == operation
        assert refusal.value.details["retry_safe"] is True
        assert refusal.value.details["cause"] in {"AdminShutdown", "OperationalError"}
        assert "password" not in refusal.value.message
    # The same relay goes on, on new sessions: nothing is lost or sent twice.
    sync.drain()
    account = core.get_card_account(setup.account_id)
    assert sandbox.state.cards[account.card(setup.card_id).remote_id or ""].balance == 50
    assert sandbox.ledger.count_applied() == 2
    sync.close()
    core.close()

"""A relay whose PostgreSQL lease session the server ended stops sending until it holds
the lease again, so two workers never both believe they hold it."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.sandbox import Sandbox
from paycore.adapters.sync import RelayBusy
from paycore.adapters.sync.relay import CONSUMER
from paycore.domain.core import PaymentsCore
from tests.adapters.sync.builders import card_with_account, relay
from tests.conftest import POSTGRES_DSN


def lease_holders(core: PaymentsCore) -> list[int]:
    """The backends that hold this store's relay lease (an advisory lock on the hash of
    ``<schema>:<consumer>``; its low 32 bits are the lock's ``objid``)."""
    key = f"{parse_qs(urlsplit(core.url).query)['schema'][0]}:{CONSUMER}"
    with psycopg.connect(POSTGRES_DSN, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND objid::bigint = (hashtext(%s)::bigint & 4294967295)",
            (key,),
        ).fetchall()
    return [pid for (pid,) in rows]


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@pytest.mark.parametrize("core", ["postgres"], indirect=True)
def test_a_lease_whose_session_was_ended_is_taken_again_before_anything_more_is_sent(
    core: PaymentsCore, sandbox: Sandbox, sync_client: EnkashClient
) -> None:
    active, standby = relay(core, sync_client), relay(core, sync_client)
    card_with_account(core)
    active.start()
    try:
        wait_for(lambda: sandbox.ledger.count_applied("create_card") == 1, "first card relayed")
        wait_for(lambda: len(lease_holders(core)) == 1, "the lease is held")
        (first,) = lease_holders(core)
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first,))
        card_with_account(core)
        wait_for(lambda: sandbox.ledger.count_applied("create_card") == 2, "second card relayed")
        holders = lease_holders(core)
        assert len(holders) == 1
        assert holders != [first]
        with pytest.raises(RelayBusy):
            standby.drain()
    finally:
        active.close()
    standby.drain()
    standby.close()
    assert sandbox.ledger.count_applied("create_card") == 2

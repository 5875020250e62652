"""A store that fails mid-command: only StoreUnavailable leaves paycore, it says whether
the change was written and whether sending it again is safe, and no change is lost or
applied twice.

The faults are real: a SQLite file whose process may not grow its files (the OS refuses
the write, as on a full disk), a PostgreSQL database that stops taking connections while
its backends are terminated, backends killed again and again while commands run, and a
connection cut on its way back from a COMMIT the server made.
"""

from __future__ import annotations

import random
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import psycopg
import pytest

from paycore.domain.card_account import CardAccount
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import StoreUnavailable
from paycore.domain.money import Money
from paycore.domain.purchase_order import PurchaseOrder
from tests.conftest import POSTGRES_DSN, require_postgres
from tests.domain.interleaving import interleave
from tests.domain.processes import SPAWN, load_while_files_are_capped

KILL_ROUNDS = 12
NOTHING_WRITTEN = {"outcome_known": True, "committed": False, "retry_safe": True}


def stored_of(core: PaymentsCore, event_class: type) -> list[Any]:
    notifications = core.recorder.select_notifications(start=1, limit=1_000_000)
    events = (core.mapper.to_domain_event(n) for n in notifications)
    return [e for e in events if isinstance(e, event_class)]


def card_account(core: PaymentsCore) -> tuple[UUID, str]:
    account_id = core.open_card_account("CO1", "Acme", "Travel", "CORPORATE", "100000.00")
    card_id = core.issue_card(account_id, "PREPAID")
    return account_id, card_id


def outcome(refusal: StoreUnavailable) -> dict[str, object]:
    return {k: refusal.details[k] for k in ("outcome_known", "committed", "retry_safe")}


# SQLite: the OS refuses to grow the file.


def test_a_sqlite_write_the_os_refuses_is_store_unavailable_and_writes_nothing(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'capped.db'}"
    setup = PaymentsCore(url)
    account_id, card_id = card_account(setup)
    margins = random.Random(7).sample(range(500, 60_000), 6)
    results = SPAWN.Queue()
    child = SPAWN.Process(
        target=load_while_files_are_capped, args=(url, account_id, card_id, margins, results)
    )
    child.start()
    answers = list(iter(lambda: results.get(timeout=120), None))
    child.join(timeout=60)
    assert child.exitcode == 0

    assert len(answers) == len(margins)
    for capped, after in answers:
        assert capped[:2] == ("refused", "STORE_UNAVAILABLE")
        assert {k: capped[3][k] for k in NOTHING_WRITTEN} == NOTHING_WRITTEN
        assert capped[3]["operation"] == "load_card"
        assert after[0] == "result"
    loads = [e.reference for e in stored_of(setup, CardAccount.CardLoaded)]
    assert len(loads) == len(set(loads)), "a load was applied twice"
    balance = setup.get_card_account(account_id).card(card_id).balance
    assert balance == Money(f"{len(loads)}.00")
    assert {int(r.removeprefix("REF-")) for r in loads} == set(range(1, len(loads) + 1))
    setup.close()


# PostgreSQL: a database of the test's own, so that its faults touch no other test.


class Database:
    def __init__(self) -> None:
        self.name = f"paycore_fault_{uuid.uuid4().hex[:12]}"

    def url(self, port: int | None = None) -> str:
        parts = urlsplit(POSTGRES_DSN)
        netloc = parts.netloc if port is None else f"{parts.netloc.rsplit(':', 1)[0]}:{port}"
        return parts._replace(netloc=netloc, path=f"/{self.name}").geturl()

    def admin(self, sql: str, *params: object) -> None:
        with psycopg.connect(POSTGRES_DSN, autocommit=True, application_name="killer") as conn:
            conn.execute(sql, params)  # type: ignore[arg-type]

    def terminate(self, application_name: str | None = None) -> None:
        """Kills the backends serving this database (only those of one application)."""
        self.admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid() AND application_name = coalesce(%s, application_name)",
            self.name,
            application_name,
        )

    def go_down(self) -> None:
        """The database takes no new connection and its backends are killed."""
        self.admin(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false')
        self.terminate()

    def come_back(self) -> None:
        self.admin(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')

    @contextmanager
    def outage(self) -> Iterator[None]:
        self.go_down()
        try:
            yield
        finally:
            self.come_back()


@pytest.fixture
def database() -> Iterator[Database]:
    require_postgres()
    database = Database()
    database.admin(f'CREATE DATABASE "{database.name}"')
    try:
        yield database
    finally:
        database.admin(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')


@contextmanager
def outage_at(
    core: PaymentsCore, database: Database, aggregate_id: UUID, *, before_the_read: bool
) -> Iterator[None]:
    """The database goes down just before or just after the command reads the aggregate,
    and comes back when the block ends; then the core waits until it reaches it again."""
    went_down = threading.Event()

    def go_down() -> None:
        database.go_down()
        went_down.set()

    if before_the_read:
        interleave(core, aggregate_id, before=go_down)
    else:
        interleave(core, aggregate_id, after=go_down)
    try:
        yield
    finally:
        database.come_back()
    assert went_down.is_set(), "the store did not go down during the command"
    for _ in range(120):
        with suppress(StoreUnavailable):
            core.max_tracked("anyone")
            return
        time.sleep(0.25)


def load_refused(
    core: PaymentsCore, account_id: UUID, card_id: str, key: str | None
) -> StoreUnavailable:
    with pytest.raises(StoreUnavailable) as refusal:
        core.load_card(account_id, card_id, "5.00", "REF-1", idempotency_key=key)
    assert refusal.value.code == "STORE_UNAVAILABLE"
    assert refusal.value.details["operation"] == "load_card"
    return refusal.value


@pytest.mark.slow  # each call to a store that is down takes the library's ten tries
def test_a_store_down_before_the_write_fails_the_command_with_nothing_written(
    database: Database,
) -> None:
    core = PaymentsCore(f"{database.url()}?connect_timeout=1")
    account_id, card_id = card_account(core)
    with outage_at(core, database, account_id, before_the_read=True):
        refusal = load_refused(core, account_id, card_id, None)
    assert outcome(refusal) == NOTHING_WRITTEN
    assert "nothing was written; sending it again is safe" in refusal.message
    assert stored_of(core, CardAccount.CardLoaded) == []
    core.load_card(account_id, card_id, "5.00", "REF-1")
    assert core.get_card_account(account_id).card(card_id).balance == Money("5.00")
    core.close()


@pytest.mark.slow
def test_a_store_down_during_the_write_says_the_outcome_is_unknown_and_whether_a_retry_is_safe(
    database: Database,
) -> None:
    core = PaymentsCore(f"{database.url()}?connect_timeout=1")
    account_id, card_id = card_account(core)
    for key, retry_safe in (("load-1", True), (None, False)):
        with outage_at(core, database, account_id, before_the_read=False):
            refusal = load_refused(core, account_id, card_id, key)
        assert outcome(refusal) == {
            "outcome_known": False,
            "committed": None,
            "retry_safe": retry_safe,
        }
        assert ("look the state up first" in refusal.message) is not retry_safe
    core.load_card(account_id, card_id, "5.00", "REF-1", idempotency_key="load-1")
    assert core.get_card_account(account_id).card(card_id).balance == Money("5.00")
    assert len(stored_of(core, CardAccount.CardLoaded)) == 1
    core.close()


@pytest.mark.slow
def test_queries_and_a_new_instance_on_a_store_that_is_down_are_store_unavailable(
    database: Database,
) -> None:
    core = PaymentsCore(f"{database.url()}?connect_timeout=1")
    account_id, _ = card_account(core)
    with database.outage():
        for query in (
            lambda: core.get_card_account(account_id),
            lambda: PaymentsCore(f"{database.url()}?connect_timeout=1"),
        ):
            with pytest.raises(StoreUnavailable) as refusal:
                query()
            assert outcome(refusal.value) == NOTHING_WRITTEN
    assert core.get_card_account(account_id).id == account_id
    core.close()


@pytest.mark.slow
def test_backends_killed_while_commands_run_lose_and_duplicate_nothing(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every backend of the core is terminated, again and again, while it loads; a load
    that fails is sent again with its key until it goes through."""
    name = f"paycore-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PGAPPNAME", name)  # how libpq names the core's connections
    core = PaymentsCore(f"{database.url()}?connect_timeout=2")
    account_id, card_id = card_account(core)

    def kill_again_and_again() -> None:
        rng = random.Random(11)
        for _ in range(KILL_ROUNDS):
            time.sleep(rng.uniform(0.3, 1.2))
            database.terminate(name)

    killer = threading.Thread(target=kill_again_and_again)
    killer.start()
    figures: Counter[str] = Counter()
    unavailable: list[StoreUnavailable] = []
    loads = 0
    while killer.is_alive() or not loads:
        loads += 1
        while True:
            figures["calls"] += 1
            try:
                core.load_card(
                    account_id, card_id, "1.00", f"REF-{loads}", idempotency_key=f"k{loads}"
                )
            except StoreUnavailable as refusal:
                unavailable.append(refusal)
                figures[f"STORE_UNAVAILABLE committed={refusal.details['committed']}"] += 1
                continue
            break
    killer.join()
    print(f"{KILL_ROUNDS} kill rounds, {loads} loads: {dict(figures)}")
    assert all(refusal.details["retry_safe"] for refusal in unavailable)
    references = [e.reference for e in stored_of(core, CardAccount.CardLoaded)]
    assert sorted(references) == sorted(f"REF-{n}" for n in range(1, loads + 1))
    assert core.get_card_account(account_id).card(card_id).balance == Money(f"{loads}.00")
    core.close()


# A commit the server made whose answer never came back.

#: The server's ReadyForQuery, idle: what it sends once a transaction has ended (after
#: a COMMIT, or after a query that ran as a transaction of its own).
_IDLE = b"Z\x00\x00\x00\x05I"
#: The start of the server's CommandComplete for an INSERT.
_INSERTED = b"INSERT 0 "


def _close(*ends: socket.socket) -> None:
    """Shuts both ends down first: that wakes the other pump from its recv."""
    for end in ends:
        with suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()


class CuttingProxy:
    """A loopback TCP proxy to PostgreSQL. Once armed, it passes the next write on to
    the server (an INSERT, run as a transaction of its own or followed by a COMMIT),
    waits for the server to say that the transaction ended, and then cuts that
    connection instead of passing that answer back."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.armed = threading.Event()
        self.cut = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            threading.Thread(target=self._upstream, args=(client, server), daemon=True).start()
            threading.Thread(target=self._downstream, args=(client, server), daemon=True).start()

    def _upstream(self, client: socket.socket, server: socket.socket) -> None:
        with suppress(OSError):
            while data := client.recv(65536):
                server.sendall(data)
        _close(client, server)

    def _downstream(self, client: socket.socket, server: socket.socket) -> None:
        inserted = False
        with suppress(OSError):
            while data := server.recv(65536):
                rest = data
                if not inserted and self.armed.is_set() and (at := data.find(_INSERTED)) >= 0:
                    inserted, rest = True, data[at:]
                if inserted and _IDLE in rest:  # the transaction committed: cut here
                    self.armed.clear()
                    self.cut.set()
                    break
                client.sendall(data)
        _close(client, server)

    def close(self) -> None:
        self.listener.close()


def test_a_change_whose_commit_answer_was_lost_counts_once(database: Database) -> None:
    """The library tries the insert again on a new connection, which meets the committed
    events as a conflict; paycore finds them stored as it made them and returns, instead
    of running the change again on top of itself."""
    setup = PaymentsCore(database.url())  # creates the tables
    parts = urlsplit(POSTGRES_DSN)
    proxy = CuttingProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    core = PaymentsCore(database.url(port=proxy.port))
    po_id = core.draft_purchase_order(
        "PO1", "BPO-1", "Widgets", "1000.00", buyer_b2b_id="B", supplier_b2b_id="S"
    )
    core.send_purchase_order(po_id)
    core.record_po_response(po_id, "ACCEPT", "ok")

    proxy.armed.set()
    core.record_po_fulfilment(po_id, "100.00")

    assert proxy.cut.is_set(), "the proxy never cut a COMMIT's answer"
    assert setup.get_purchase_order(po_id).fulfilled == Money("100.00")
    assert len(stored_of(setup, PurchaseOrder.FulfilmentRecorded)) == 1
    core.close()
    setup.close()
    proxy.close()

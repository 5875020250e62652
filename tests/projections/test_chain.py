"""Tamper evidence: stored events changed behind paycore's back are found, by position.

The tests edit the event table directly (sqlite3 on the file, psycopg on the schema),
as someone with database access would.
"""

from __future__ import annotations

import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import InvalidArgument
from paycore.projections import AuditTrail, Digest, Projector
from paycore.projections.chain import CHAIN, HashChainView
from tests.conftest import POSTGRES_DSN, PostgresSchema, require_postgres, stored_positions
from tests.projections.expected import OTP, Clock, exercise

KEY = b"audit-digest-key"


class EventTable(ABC):
    """Direct access to the stored events, by notification id (position)."""

    @abstractmethod
    def execute(self, statement: str, *params: Any) -> list[Any]: ...

    table: str
    position: str

    def state(self, position: int) -> bytes:
        rows = self.execute(f"SELECT state FROM {self.table} WHERE {self.position} = ?", position)
        return bytes(rows[0][0])

    def change_a_byte(self, position: int) -> None:
        state = bytearray(self.state(position))
        state[len(state) // 2] ^= 0x01
        self.execute(
            f"UPDATE {self.table} SET state = ? WHERE {self.position} = ?", bytes(state), position
        )

    def delete(self, position: int) -> None:
        self.execute(f"DELETE FROM {self.table} WHERE {self.position} = ?", position)

    def swap(self, first: int, second: int) -> None:
        for old, new in ((first, -1), (second, first), (-1, second)):
            self.execute(
                f"UPDATE {self.table} SET {self.position} = ? WHERE {self.position} = ?", new, old
            )

    def insert(self, position: int, copy_of: int) -> None:
        """Makes room at ``position`` and puts there a new event shaped like another."""
        self.execute(
            f"UPDATE {self.table} SET {self.position} = -{self.position} - 1 "
            f"WHERE {self.position} >= ?",
            position,
        )
        self.execute(
            f"UPDATE {self.table} SET {self.position} = -{self.position} WHERE {self.position} < 0"
        )
        topic = self.execute(f"SELECT topic FROM {self.table} WHERE {self.position} = ?", copy_of)
        self.execute(
            f"INSERT INTO {self.table} "
            f"({self.position}, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, 1, ?, ?)",
            position,
            self.new_originator_id(),
            topic[0][0],
            self.state(copy_of),
        )

    @abstractmethod
    def new_originator_id(self) -> Any: ...


class SQLiteEvents(EventTable):
    table, position = "stored_events", "rowid"

    def __init__(self, path: str) -> None:
        self.path = path

    def execute(self, statement: str, *params: Any) -> list[Any]:
        with sqlite3.connect(self.path) as conn:
            return conn.execute(statement, params).fetchall()

    def new_originator_id(self) -> Any:
        return uuid4().hex


class PostgresEvents(EventTable):
    position = "notification_id"

    def __init__(self, schema: str) -> None:
        self.table = f'"{schema}"."paymentscore_events"'

    def execute(self, statement: str, *params: Any) -> list[Any]:
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            cursor = conn.execute(statement.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

    def new_originator_id(self) -> Any:
        return uuid4()


@pytest.fixture(params=["sqlite", "postgres"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Clock
) -> Iterator[tuple[PaymentsCore, EventTable]]:
    """A PaymentsCore after the scenario, and its event table opened directly."""
    if request.param == "sqlite":
        path = str(tmp_path / "paycore.db")
        core = PaymentsCore(f"sqlite:///{path}", clock=clock, otp_codes=lambda: OTP)
        exercise(core, clock)
        yield core, SQLiteEvents(path)
        core.close()
        return
    require_postgres()
    with PostgresSchema() as schema:
        core = PaymentsCore(schema.url, clock=clock, otp_codes=lambda: OTP)
        exercise(core, clock)
        yield core, PostgresEvents(schema.name)
        core.close()


@pytest.fixture
def projector(store: tuple[PaymentsCore, EventTable]) -> Iterator[Projector]:
    with Projector(store[0]) as projector:
        projector.update()
        yield projector


@pytest.fixture
def trail(store: tuple[PaymentsCore, EventTable], projector: Projector) -> AuditTrail:
    return AuditTrail(store[0], projector.store)


def rewrite_the_links(projector: Projector) -> None:
    """What a careful attacker does next: recompute the chain over the edited events."""
    projector.store.reset([CHAIN], [HashChainView.name])
    with Projector(projector.core, projector.store, views=[HashChainView()]) as chain:
        chain.update()


#: Each tampering, given the event table and the stored positions in log order; each
#: first touches the 7th event (positions have gaps on PostgreSQL, so by place, not id).
TAMPERING: dict[str, Callable[[EventTable, list[int]], None]] = {
    "a changed byte": lambda events, at: events.change_a_byte(at[6]),
    "a deleted event": lambda events, at: events.delete(at[6]),
    "two swapped events": lambda events, at: events.swap(at[6], at[11]),
    "an inserted event": lambda events, at: events.insert(at[6], copy_of=at[2]),
}


@pytest.mark.parametrize("tampering", TAMPERING)
def test_tampering_is_found_at_the_first_position_it_touched(
    store: tuple[PaymentsCore, EventTable], trail: AuditTrail, tampering: str
) -> None:
    at = stored_positions(store[0])
    TAMPERING[tampering](store[1], at)
    result = trail.verify()
    assert not result.ok
    assert result.first_bad_position == at[6]
    assert result.checked_position == at[5]


@pytest.mark.parametrize("tampering", TAMPERING)
def test_tampering_with_links_rewritten_to_match_is_found_by_the_signed_digest(
    store: tuple[PaymentsCore, EventTable],
    projector: Projector,
    trail: AuditTrail,
    tampering: str,
) -> None:
    digest = trail.digest(KEY)
    TAMPERING[tampering](store[1], stored_positions(store[0]))
    rewrite_the_links(projector)
    assert trail.verify().ok, "without a digest, a consistent rewrite cannot be told apart"
    result = trail.verify(digest, KEY)
    assert not result.ok
    assert result.first_bad_position == digest.position
    assert "digest" in result.reason


def test_an_untouched_store_verifies_with_and_without_its_digest(
    store: tuple[PaymentsCore, EventTable], trail: AuditTrail
) -> None:
    digest = trail.digest(KEY)
    last = store[0].recorder.max_notification_id()
    assert digest.position == last
    for result in (trail.verify(), trail.verify(digest, KEY)):
        assert result.ok
        assert result.first_bad_position is None
        assert result.checked_position == result.stored_position == last
        assert "not chained" not in result.reason


def test_events_the_projector_has_not_chained_yet_are_reported_as_such(
    store: tuple[PaymentsCore, EventTable], trail: AuditTrail
) -> None:
    core = store[0]
    chained = core.recorder.max_notification_id() or 0
    core.open_card_account("CO-2", "Beta", "Fuel", "FUEL")
    stored = core.recorder.max_notification_id()
    result = trail.verify()
    assert result.ok
    assert chained < (stored or 0)
    assert (result.checked_position, result.stored_position) == (chained, stored)
    assert "not chained yet" in result.reason


def test_events_after_the_digest_keep_it_valid(
    store: tuple[PaymentsCore, EventTable], projector: Projector, trail: AuditTrail
) -> None:
    core = store[0]
    digest = trail.digest(KEY)
    core.open_card_account("CO-2", "Beta", "Fuel", "FUEL")
    projector.update()
    result = trail.verify(digest, KEY)
    assert result.ok
    assert result.checked_position == stored_positions(core)[-1] > digest.position


def test_removing_the_last_events_and_their_links_is_found_by_the_digest(
    store: tuple[PaymentsCore, EventTable], projector: Projector, trail: AuditTrail
) -> None:
    digest = trail.digest(KEY)
    store[1].delete(digest.position)
    assert trail.verify().first_bad_position == digest.position
    with projector.store.writing() as cursor:
        chain_table = projector.store.qualified(CHAIN.name)
        cursor.execute(f"DELETE FROM {chain_table} WHERE position = {digest.position}")
    assert trail.verify().ok
    assert trail.verify(digest, KEY).first_bad_position == digest.position


def test_a_changed_link_is_found_at_its_position(projector: Projector, trail: AuditTrail) -> None:
    fifth = stored_positions(projector.core)[4]
    with projector.store.writing() as cursor:
        cursor.execute(
            f"UPDATE {projector.store.qualified(CHAIN.name)} "
            f"SET digest = {projector.store.placeholder} WHERE position = {fifth}",
            (b"\x00" * 32,),
        )
    assert trail.verify().first_bad_position == fifth


def test_a_digest_under_another_key_is_refused(trail: AuditTrail) -> None:
    result = trail.verify(trail.digest(KEY), b"another key")
    assert not result.ok
    assert result.first_bad_position is None
    assert "signature" in result.reason


def test_a_digest_with_an_edited_position_is_refused(trail: AuditTrail) -> None:
    digest = trail.digest(KEY)
    edited = Digest(digest.position - 1, digest.head, digest.algorithm, digest.signature)
    assert not trail.verify(edited, KEY).ok


def test_ed25519_digests_verify_with_the_public_key_only_of_their_signer(
    trail: AuditTrail,
) -> None:
    private = Ed25519PrivateKey.generate()
    digest = trail.digest(private)
    assert digest.algorithm == "Ed25519"
    assert trail.verify(digest, private.public_key()).ok
    assert not trail.verify(digest, Ed25519PrivateKey.generate().public_key()).ok
    assert not trail.verify(digest, KEY).ok


def test_a_digest_survives_a_round_trip_through_json(trail: AuditTrail) -> None:
    digest = trail.digest(KEY)
    assert Digest.from_json(json.loads(json.dumps(digest.to_json()))) == digest


def test_a_digest_is_checked_only_with_a_key(trail: AuditTrail) -> None:
    with pytest.raises(InvalidArgument) as refusal:
        trail.verify(trail.digest(KEY))
    assert refusal.value.details == {"argument": "key", "expected": "the digest's signing key"}


def test_the_chain_of_an_empty_store_verifies_against_its_digest(tmp_path: Path) -> None:
    core = PaymentsCore(f"sqlite:///{tmp_path / 'empty.db'}")
    with Projector(core) as projector:
        assert projector.update() == 0  # builds the (empty) views: reading builds nothing
        trail = AuditTrail(core, projector.store)
        digest = trail.digest(KEY)
        assert digest.position == 0
        assert trail.verify(digest, KEY).ok
    core.close()


def test_an_event_slipped_into_a_postgres_gap_is_found_at_its_position(
    clock: Clock,
) -> None:
    require_postgres()
    with PostgresSchema() as schema:
        core = PaymentsCore(schema.url, clock=clock, otp_codes=lambda: OTP)
        events = PostgresEvents(schema.name)
        # Two commands, two transactions: their positions have a gap between them.
        core.open_card_account("CO-1", "Acme", "Travel", "CORPORATE")
        core.open_card_account("CO-2", "Beta", "Fuel", "FUEL")
        first, second = stored_positions(core)
        assert second > first + 1
        with Projector(core) as projector:
            projector.update()
            trail = AuditTrail(core, projector.store)
            assert trail.verify().ok
            events.execute(
                f"INSERT INTO {events.table} "
                "(notification_id, originator_id, originator_version, topic, state) "
                f"SELECT ?, ?, 1, topic, state FROM {events.table} WHERE notification_id = ?",
                first + 1,
                uuid4(),
                first,
            )
            result = trail.verify()
        core.close()
    assert (result.ok, result.first_bad_position) == (False, first + 1)

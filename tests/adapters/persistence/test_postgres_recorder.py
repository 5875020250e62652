"""paycore's PostgreSQL recorder: writers take no table lock, and followers of the log
still never skip or reorder a committed event.

The library's own recorder test cases run against it (and its snapshot recorder)
first; then the rule that makes it safe (a transaction holding an earlier position that
commits after a later one is neither skipped nor passed), with service instances
writing from separate processes while followers read; then tables made by the
library's recorder.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, Notification, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresFactory
from eventsourcing.tests import persistence as library_cases

from paycore.adapters.persistence.postgres import (
    ROW_BITS,
    Factory,
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresProcessRecorder,
)
from paycore.adapters.persistence.stores import store_env
from paycore.domain.core import PaymentsCore
from paycore.projections import AuditTrail, Projector
from tests.conftest import PostgresSchema, require_postgres

FACTORY = "paycore.adapters.persistence.postgres:Factory"
SPAWN = multiprocessing.get_context("spawn")


def recorder_env(schema: PostgresSchema, module: str = FACTORY) -> dict[str, str]:
    return {**store_env(schema.url), "PERSISTENCE_MODULE": module, "POSTGRES_POOL_SIZE": "4"}


class FreshSchema:
    """Each test case of the library on a schema of its own, with paycore's factory."""

    def setUp(self) -> None:
        require_postgres()
        self.schema = PostgresSchema().__enter__()
        self.factory = Factory(recorder_env(self.schema))
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        self.factory.close()
        self.schema.__exit__()


class TestSnapshotRecorder(FreshSchema, library_cases.AggregateRecorderTestCase):
    def create_recorder(self) -> PostgresAggregateRecorder:
        recorder = self.factory.aggregate_recorder("snapshots")
        assert isinstance(recorder, PostgresAggregateRecorder)
        return recorder


class TestApplicationRecorder(FreshSchema, library_cases.ApplicationRecorderTestCase[Any]):
    EXPECT_CONTIGUOUS_NOTIFICATION_IDS = False

    def create_recorder(self) -> PostgresApplicationRecorder:
        recorder = self.factory.application_recorder()
        assert isinstance(recorder, PostgresApplicationRecorder)
        return recorder

    def test_insert_select(self) -> None:
        """The library's case asserts the ids 1, 2 and 3; here ids carry the transaction
        id, so the same selections are checked against the ids the inserts returned."""
        recorder = self.create_recorder()
        assert recorder.select_notifications(start=None, limit=3) == []
        assert recorder.max_notification_id() is None
        first, second = uuid4(), uuid4()
        one, two = recorder.insert_events(
            [StoredEvent(first, 1, "topic1", b"state1"), StoredEvent(first, 2, "topic2", b"s2")]
        ) or (0, 0)
        (three,) = recorder.insert_events([StoredEvent(second, 1, "topic3", b"state3")]) or (0,)
        assert one + 1 == two < three, "one transaction's ids are consecutive, then the next's"
        with pytest.raises(IntegrityError):
            recorder.insert_events([StoredEvent(second, 1, "topic3", b"state3")])

        def ids(notifications: Sequence[Notification]) -> list[int]:
            return [n.id for n in notifications]

        assert ids(recorder.select_notifications(None, 10)) == [one, two, three]
        assert ids(recorder.select_notifications(one, 10)) == [one, two, three]
        assert ids(recorder.select_notifications(None, 10, stop=two)) == [one, two]
        assert ids(recorder.select_notifications(one, 10, inclusive_of_start=False)) == [two, three]
        assert ids(recorder.select_notifications(None, 10, topics=["topic1", "topic3"])) == [
            one,
            three,
        ]
        assert ids(recorder.select_notifications(two, 1)) == [two]
        assert ids(recorder.select_notifications(three, 1, inclusive_of_start=False)) == []
        assert ids(recorder.select_notifications(one, 10, stop=two, inclusive_of_start=False)) == [
            two
        ]
        assert recorder.max_notification_id() == three
        assert recorder.select_notifications(None, 1)[0].state == b"state1"

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestProcessRecorder(FreshSchema, library_cases.ProcessRecorderTestCase):
    def create_recorder(self) -> PostgresProcessRecorder:
        recorder = self.factory.process_recorder()
        assert isinstance(recorder, PostgresProcessRecorder)
        return recorder


class TestNonInterleavingIds(FreshSchema, library_cases.NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> PostgresApplicationRecorder:
        recorder = self.factory.application_recorder()
        assert isinstance(recorder, PostgresApplicationRecorder)
        return recorder


@pytest.fixture
def schema() -> Iterator[PostgresSchema]:
    require_postgres()
    with PostgresSchema() as fresh:
        yield fresh


def core_on(schema: PostgresSchema) -> PaymentsCore:
    return PaymentsCore(schema.url, env={"PERSISTENCE_MODULE": FACTORY}, otp_key=b"s" * 32)


def open_card(core: PaymentsCore, company: str) -> tuple[UUID, str]:
    account_id = core.open_card_account(company, "Acme", "Travel", "CORPORATE", "1000000.00")
    card_id = core.issue_card(account_id, "PREPAID")
    core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
    return account_id, card_id


class Follower:
    """Reads the log the way every follower does (``id > position``), in a thread, and
    keeps every id it was given."""

    def __init__(self, read: Any) -> None:
        self.read, self.seen, self.polls = read, list[int](), 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        position = 0
        while not self.stop.is_set():
            ids = self.read(position)
            self.seen.extend(ids)
            position = ids[-1] if ids else position
            self.polls += 1
            time.sleep(0.002)

    def polled(self, times: int) -> None:
        """Returns once the follower has read ``times`` more times."""
        until = self.polls + times
        while self.polls < until:
            time.sleep(0.002)

    def __enter__(self) -> Follower:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.polled(2)
        self.stop.set()
        self.thread.join()


class HeldInsert:
    """Holds the transaction that inserts events of ``aggregate_id`` open on the server,
    its rows inserted (and their ids given) but not committed, until :meth:`release`:
    a trigger on those rows waits for an advisory lock that this test's session holds.
    Whichever way the recorder sends its insert, the transaction waits inside it."""

    KEY = 72016

    def __init__(self, schema: PostgresSchema, table: str, aggregate_id: UUID) -> None:
        self.session = psycopg.connect(schema.url.split("?")[0], autocommit=True)
        self.session.execute(
            f'CREATE FUNCTION "{schema.name}".held() RETURNS trigger LANGUAGE plpgsql AS $$ '
            "BEGIN PERFORM set_config('lock_timeout', '0', true); "
            f"PERFORM pg_advisory_xact_lock_shared({self.KEY}); RETURN NULL; END $$"
        )
        self.session.execute(
            f"CREATE TRIGGER held AFTER INSERT ON {table} FOR EACH ROW "
            f"WHEN (NEW.originator_id = '{aggregate_id}') "
            f'EXECUTE FUNCTION "{schema.name}".held()'
        )
        self.session.execute(f"SELECT pg_advisory_lock({self.KEY})")

    def waiting(self, timeout: float = 10) -> bool:
        """Whether a transaction came to wait inside its insert within ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = self.session.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND classid = 0 AND objid = %s AND objsubid = 1",
                (self.KEY,),
            ).fetchone()
            if row and row[0]:
                return True
            time.sleep(0.005)
        return False

    def release(self) -> None:
        """Lets the transaction held commit (ending the session ends the lock)."""
        self.session.close()

    def __enter__(self) -> HeldInsert:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()  # also when an assertion failed: the insert held must not hang


def selected(schema: PostgresSchema, statement: str, params: Sequence[Any]) -> list[Any]:
    """The first column of the rows a query gives, on a connection of its own."""
    with psycopg.connect(schema.url.split("?")[0], autocommit=True) as conn:
        return [row[0] for row in conn.execute(statement, params).fetchall()]


def early_position(schema: PostgresSchema, table: str, aggregate_id: UUID) -> int:
    """The notification id of the last event of ``aggregate_id``."""
    (position,) = selected(
        schema,
        f"SELECT notification_id FROM {table} WHERE originator_id = %s "
        "ORDER BY originator_version DESC LIMIT 1",
        (aggregate_id,),
    )
    return int(position)


def test_an_earlier_position_committed_after_a_later_one_is_neither_skipped_nor_passed(
    schema: PostgresSchema,
) -> None:
    first, second = core_on(schema), core_on(schema)
    early_card, late_card = open_card(first, "CO-EARLY"), open_card(second, "CO-LATE")
    before = second.recorder.max_notification_id() or 0
    recorder = second.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    recorder.horizon_wait = 0.01  # the followers poll often while the early one is open
    table = f'"{schema.name}".paymentscore_events'

    def paycore_reads(position: int) -> list[int]:
        notifications = recorder.select_notifications(position, 100, inclusive_of_start=False)
        return [n.id for n in notifications]

    def unbounded_reads(position: int) -> list[int]:
        """A follower without the horizon, as the library's reads are."""
        return selected(
            schema,
            f"SELECT notification_id FROM {table} WHERE notification_id > %s "
            "ORDER BY notification_id",
            (position,),
        )

    early = threading.Thread(target=first.load_card, args=(*early_card, "10.00"))
    with (
        HeldInsert(schema, table, early_card[0]) as held,
        Follower(paycore_reads) as follower,
        Follower(unbounded_reads) as unbounded,
        Projector(second) as projector,
    ):
        projector.update()
        early.start()
        assert held.waiting()
        second.load_card(*late_card, "20.00")
        late = second.recorder.max_notification_id() or 0
        follower.polled(5)
        unbounded.polled(5)
        projector.update()
        assert late not in follower.seen, "the later event waits for the earlier one"
        position_while_held = projector.position()
        assert late in unbounded.seen, "without the horizon the later event is read at once"
        held.release()
        early.join()
        early_id = early_position(schema, table, early_card[0])
        assert early_id < late, "the transaction held open had the earlier position"
        assert position_while_held < early_id
        follower.polled(3)
        projector.update()
        trail = AuditTrail(second, projector.store)
        positions = [e.position for e in trail.events(limit=None)]
        assert positions == sorted(positions)
        assert positions[-2:] == [early_id, late]
        assert trail.verify().ok
    assert [i for i in follower.seen if i > before] == [early_id, late]
    assert early_id not in unbounded.seen, "a follower without the horizon skips it"
    first.close()
    second.close()


def load_cards(url: str, company: str, loads: int) -> None:
    """One service instance in a process of its own: card loads on a card of its own."""
    core = PaymentsCore(url, env={"PERSISTENCE_MODULE": FACTORY}, otp_key=b"s" * 32)
    try:
        card = open_card(core, company)
        for _ in range(loads):
            core.load_card(*card, "1.00")
    finally:
        core.close()


def test_followers_read_every_event_once_in_order_while_instances_write_at_once(
    schema: PostgresSchema,
) -> None:
    reader = core_on(schema)
    processes = [
        SPAWN.Process(target=load_cards, args=(schema.url, f"CO-{n}", 60)) for n in range(4)
    ]

    def reads(position: int) -> list[int]:
        found = reader.recorder.select_notifications(position, 50, inclusive_of_start=False)
        return [n.id for n in found]

    with Follower(reads) as follower:
        for process in processes:
            process.start()
        for process in processes:
            process.join(120)
            assert process.exitcode == 0
    stored = [n.id for n in reader.recorder.select_notifications(None, 10_000)]
    assert len(stored) == 4 * (3 + 60)
    assert follower.seen == stored, "every committed event once, in the log's order"
    with Projector(reader) as projector:
        projector.update()
        assert [e.position for e in AuditTrail(reader, projector.store).events(limit=None)] == (
            stored
        )
    reader.close()


def test_a_table_made_by_the_library_recorder_keeps_its_events_and_refuses_old_writers(
    schema: PostgresSchema,
) -> None:
    library = PostgresFactory(recorder_env(schema, "eventsourcing.postgres"))
    old = library.application_recorder()
    old_ids = old.insert_events([StoredEvent(uuid4(), 1, "old", b"before")]) or []
    paycore = Factory(recorder_env(schema))
    recorder = paycore.application_recorder()
    new_ids = recorder.insert_events([StoredEvent(uuid4(), 1, "new", b"after")]) or []
    assert [n.id for n in recorder.select_notifications(None, 10)] == [*old_ids, *new_ids]
    assert new_ids[0] >> ROW_BITS > 0, "the new id carries its transaction id"
    with pytest.raises(IntegrityError):
        old.insert_events([StoredEvent(uuid4(), 1, "old", b"refused")])
    library.close()
    paycore.close()


def test_a_table_whose_ids_reach_past_the_new_ones_is_not_adopted(schema: PostgresSchema) -> None:
    library = PostgresFactory(recorder_env(schema, "eventsourcing.postgres"))
    library.application_recorder()
    with psycopg.connect(schema.url.split("?")[0], autocommit=True) as conn:
        conn.execute(
            f'INSERT INTO "{schema.name}".stored_events VALUES (%s, 1, %s, %s, %s)',
            (uuid4(), "far", b"", 2**62),
        )
    with pytest.raises(OperationalError, match="migration"):
        Factory(recorder_env(schema)).application_recorder()
    library.close()

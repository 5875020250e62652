"""Views on every store: rows equal what the aggregates say, positions, follow, rebuild."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from eventsourcing.persistence import Tracking

from paycore.domain.core import PaymentsCore
from paycore.projections import (
    AUDIT_TRAIL,
    CARDS,
    INVOICES,
    PAYMENTS,
    PURCHASE_ORDERS,
    Projector,
    ViewStore,
    open_views,
)
from paycore.projections.chain import head
from paycore.projections.store import POSITIONS
from paycore.projections.views import read_models
from tests.conftest import POSTGRES_DSN, PostgresSchema, require_postgres, stored_positions
from tests.domain import test_upcasting as v1
from tests.projections.expected import Clock, assert_views_match, exercise


def test_views_equal_what_the_aggregates_and_events_say(
    core: PaymentsCore, projector: Projector, clock: Clock
) -> None:
    exercise(core, clock)
    assert projector.update() == len(stored_positions(core))
    assert_views_match(core, projector.store)


def test_views_of_a_log_stored_before_events_carried_their_status_show_it(
    core: PaymentsCore, projector: Projector
) -> None:
    core.recorder.insert_events(v1.v1_log())
    projector.update()
    assert_views_match(core, projector.store)
    store = projector.store
    assert {r.card_id: r.status for r in store.select(CARDS)} == {
        v1.OLD_CARD: "BL",
        v1.NEW_CARD: "UL",
    }
    assert {r.invoice_id: (r.status, r.outstanding) for r in store.select(INVOICES)} == {
        v1.INVOICE: ("PARTIALLY_PAID", Decimal("600.00")),
        v1.CANCELLED_INVOICE: ("CANCELLED", Decimal("50.00")),
    }
    assert {r.payment_id: r.status for r in store.select(PAYMENTS)} == {
        v1.PAYMENT: "SUCCEEDED",
        v1.FAILED_PAYMENT: "FAILED",
    }
    assert [(r.status, r.object_version) for r in store.select(PURCHASE_ORDERS)] == [("DRAFT", 1)]


def assert_a_projector_fills(core: PaymentsCore, store: ViewStore, batch_size: int) -> None:
    with Projector(core, store, batch_size=batch_size) as projector:
        projector.update()
        assert_views_match(core, store)
    store.close()


def test_batches_of_one_event_give_the_same_rows_as_one_batch(
    core: PaymentsCore, clock: Clock
) -> None:
    exercise(core, clock)
    assert_a_projector_fills(core, open_views("memory://"), batch_size=1)


def test_catch_up_starts_from_the_position_each_view_recorded(
    core: PaymentsCore, projector: Projector, clock: Clock
) -> None:
    scenario = exercise(core, clock)
    projector.update()
    caught_up = core.recorder.max_notification_id()
    core.load_card(scenario.account_id, scenario.new_card_id, "10.00")
    with Projector(core, projector.store) as resumed:
        assert resumed.position() == caught_up
        assert resumed.update() == 1
        assert resumed.update() == 0
    assert_views_match(core, projector.store)


def test_view_positions_never_touch_a_consumer_tracked_by_paymentscore(
    core: PaymentsCore, projector: Projector, clock: Clock
) -> None:
    scenario = exercise(core, clock)
    relay = Tracking("sync-relay", 3)
    with core.tracking(relay):
        core.record_remote_card(scenario.account_id, scenario.new_card_id, "EK-2", "5555XXXX4444")
    projector.update()
    projector.rebuild()
    assert core.has_tracked(relay)
    assert projector.store.positions(["sync-relay"]) == {"sync-relay": 0}
    with projector.store.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT name FROM {projector.store.qualified(POSITIONS)}")
        names = {row["name"] for row in cursor.fetchall()}
    assert names == {view.name for view in projector.views}
    assert all(name.startswith("paycore.") for name in names)


def test_a_view_added_later_starts_from_zero_while_the_others_resume(
    core: PaymentsCore, clock: Clock
) -> None:
    exercise(core, clock)
    store = open_views("memory://")
    cards_only = [v for v in read_models() if CARDS in v.tables]
    with Projector(core, store, views=cards_only) as first:
        first.update()
    with Projector(core, store, views=read_models()) as everything:
        assert everything.position() == 0
        everything.update()
        assert_views_match(core, store)
    store.close()


def test_views_can_live_in_a_database_of_their_own(
    core: PaymentsCore, clock: Clock, tmp_path: Path
) -> None:
    exercise(core, clock)
    assert_a_projector_fills(core, open_views(f"sqlite:///{tmp_path / 'views.db'}"), 100)


def test_follow_then_wait_reads_your_own_writes(
    core: PaymentsCore, projector: Projector, clock: Clock
) -> None:
    stop = threading.Event()
    follower = threading.Thread(target=projector.follow, args=(stop, 0.01))
    follower.start()
    try:
        scenario = exercise(core, clock)
        projector.wait(core.recorder.max_notification_id() or 0, timeout=30)
        rows = projector.store.select(INVOICES)
        assert [r.invoice_id for r in rows] == [scenario.invoice_id]
        assert_views_match(core, projector.store)
    finally:
        stop.set()
        follower.join()


def test_wait_gives_up_after_its_timeout_when_nothing_follows(
    core: PaymentsCore, projector: Projector, clock: Clock
) -> None:
    exercise(core, clock)
    with pytest.raises(TimeoutError, match="reached position 0"):
        projector.wait(core.recorder.max_notification_id() or 0, timeout=0.05)


def test_rebuild_replays_everything_reports_progress_and_keeps_the_chain(
    core: PaymentsCore, projector: Projector, clock: Clock
) -> None:
    exercise(core, clock)
    projector.update()
    chained = head(projector.store)
    with projector.store.writing() as cursor:
        cursor.execute(f"DELETE FROM {projector.store.qualified(CARDS.name)}")
    seen: list[tuple[int, int]] = []
    small = Projector(core, projector.store, batch_size=7)
    replayed = small.rebuild(progress=lambda done, total: seen.append((done, total)))
    at = stored_positions(core)
    assert replayed == len(at)
    assert seen[-1] == (at[-1], at[-1])
    assert [done for done, _ in seen] == [*at[6 : len(at) - 1 : 7], at[-1]]
    assert head(projector.store) == chained
    assert_views_match(core, projector.store)


def test_two_projectors_at_once_apply_each_event_exactly_once(
    core: PaymentsCore, projector: Projector, clock: Clock
) -> None:
    exercise(core, clock)
    others = [Projector(core, projector.store, batch_size=3) for _ in range(2)]
    threads = [threading.Thread(target=p.update) for p in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert projector.update() == 0
    assert_views_match(core, projector.store)


# PostgreSQL's gaps in notification ids.


@pytest.fixture
def postgres_core(clock: Clock) -> Iterator[tuple[PaymentsCore, PostgresSchema]]:
    require_postgres()
    with PostgresSchema() as schema:
        core = PaymentsCore(schema.url, clock=clock, otp_codes=lambda: "123456")
        yield core, schema
        core.close()


def test_gaps_in_postgres_notification_ids_neither_stall_nor_skip(
    postgres_core: tuple[PaymentsCore, PostgresSchema], clock: Clock
) -> None:
    core, _ = postgres_core
    with Projector(core, batch_size=2) as projector:
        account_id = core.open_card_account("CO-1", "Acme", "Travel", "CORPORATE")
        card_id = core.issue_card(account_id, "PREPAID", initial_load="10.00")
        projector.update()
        core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
        core.load_card(account_id, card_id, "5.00")
        assert projector.update() == 2
        at = stored_positions(core)
        # one transaction per command, its id in the positions' high bits: gaps between
        assert len(at) == 4
        assert all(later - earlier > 1 for earlier, later in itertools.pairwise(at))
        positions = [row.position for row in projector.store.select(AUDIT_TRAIL)]
        assert positions == at
        assert projector.position() == at[-1]
        assert_views_match(core, projector.store)


def test_a_projector_of_a_postgres_store_keeps_its_views_in_the_same_schema(
    postgres_core: tuple[PaymentsCore, PostgresSchema],
) -> None:
    core, schema = postgres_core
    with Projector(core) as projector:
        projector.update()
    with psycopg.connect(POSTGRES_DSN) as conn:
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema.name,),
            )
        }
    assert {t.name for v in projector.views for t in v.tables} < tables
    assert {"paymentscore_events", "paymentscore_tracking", POSITIONS} <= tables

"""Audit queries: one aggregate's events, events by actor, correlation, type and time,
and aggregates as they were at a version or a moment."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from eventsourcing.utils import get_topic

from paycore.domain.card_account import CardAccount
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import InvalidArgument, NotFound
from paycore.domain.invoice import Invoice
from paycore.domain.payment import Payment
from paycore.domain.purchase_order import PurchaseOrder
from paycore.projections import AUDIT_TRAIL, AuditTrail, Projector
from tests.conftest import stored_positions
from tests.projections.expected import START, Clock, Scenario, exercise


@pytest.fixture
def scenario(core: PaymentsCore, projector: Projector, clock: Clock) -> Scenario:
    made = exercise(core, clock)
    projector.update()
    return made


@pytest.fixture
def trail(core: PaymentsCore, projector: Projector) -> AuditTrail:
    return AuditTrail(core, projector.store)


def test_the_events_of_one_aggregate_come_in_version_order_with_their_metadata(
    core: PaymentsCore, trail: AuditTrail, scenario: Scenario
) -> None:
    events = trail.events_of(scenario.payment_id)
    stored = list(core.events.get(scenario.payment_id))
    assert [e.version for e in events] == [e.originator_version for e in stored]
    assert [e.event_type for e in events] == [
        get_topic(Payment.Initiated),
        get_topic(Payment.OtpSent),
        get_topic(Payment.Authorised),
        get_topic(Payment.Submitted),
        get_topic(Payment.Succeeded),
    ]
    assert {e.aggregate_type for e in events} == {"Payment"}
    assert events[-1].actor == "sync-relay"
    assert events[-1].source == "sync"
    assert events[-1].fields == {"utr": "UTR-1", "status": "SUCCEEDED"}
    assert events[0].fields["allocations"] == {str(scenario.invoice_id): "300.00"}


def test_an_aggregate_without_events_has_an_empty_trail(
    trail: AuditTrail, scenario: Scenario
) -> None:
    assert trail.events_of(PaymentsCore.invoice_id("INV" + "9" * 32)) == []


def test_events_by_actor_are_exactly_that_actors_in_log_order(
    core: PaymentsCore, trail: AuditTrail, scenario: Scenario
) -> None:
    relay = trail.events(actor="sync-relay")
    assert relay
    assert {e.actor for e in relay} == {"sync-relay"}
    positions = [e.position for e in relay]
    assert positions == sorted(positions)
    everyone = trail.events(limit=None)
    assert [e.position for e in everyone] == stored_positions(core)
    assert [e for e in everyone if e.actor == "sync-relay"] == relay


def test_events_by_correlation_id_and_by_event_type(trail: AuditTrail, scenario: Scenario) -> None:
    ticket = trail.events(correlation_id="ticket-1")
    assert ticket
    assert {e.correlation_id for e in ticket} == {"ticket-1"}
    reserved = trail.events(event_type=get_topic(Invoice.PaymentReserved))
    assert [e.fields["amount"] for e in reserved] == ["300.00", "200.00"]
    settled = get_topic(Invoice.PaymentSettled)
    both = trail.events(correlation_id="sync-7", event_type=settled)
    assert [e.aggregate_id for e in both] == [scenario.invoice_id]


def test_events_in_a_time_range_include_its_start_and_exclude_its_end(
    trail: AuditTrail, scenario: Scenario
) -> None:
    first_minute = trail.events(since=START, until=START + timedelta(minutes=1))
    assert first_minute
    assert {e.recorded_at for e in first_minute} == {START}
    later = trail.events(since=START + timedelta(minutes=1))
    assert {e.position for e in first_minute}.isdisjoint(e.position for e in later)
    assert len(first_minute) + len(later) == len(trail.events(limit=None))


def test_a_limit_returns_the_first_events_in_log_order(
    core: PaymentsCore, trail: AuditTrail, scenario: Scenario
) -> None:
    assert [e.position for e in trail.events(limit=3)] == stored_positions(core)[:3]


def test_an_invoice_as_of_each_version_replays_its_history(
    trail: AuditTrail, scenario: Scenario
) -> None:
    statuses = []
    for event in trail.events_of(scenario.invoice_id):
        invoice = trail.as_of(scenario.invoice_id, version=event.version)
        assert isinstance(invoice, Invoice)
        assert invoice.version == event.version
        statuses.append(str(invoice.status))
    assert statuses[0] == "CREATED"
    assert statuses[-1] == "PARTIALLY_PAID"
    assert "ACCEPTED" in statuses


def test_an_aggregate_as_of_a_moment_has_the_events_recorded_until_then(
    trail: AuditTrail, scenario: Scenario
) -> None:
    events = trail.events_of(scenario.po_id)
    drafted_at = events[0].recorded_at
    po = trail.as_of(scenario.po_id, at=drafted_at + timedelta(seconds=30))
    assert isinstance(po, PurchaseOrder)
    assert po.version == len(events)
    assert str(po.status) == "PARTIALLY_FULFILLED"
    card_account_then = trail.as_of(scenario.account_id, at=START)
    assert card_account_then.version == len(
        [e for e in trail.events_of(scenario.account_id) if e.recorded_at <= START]
    )


def test_an_aggregate_before_its_first_event_or_beyond_its_last_version_is_not_found(
    trail: AuditTrail, scenario: Scenario
) -> None:
    with pytest.raises(NotFound):
        trail.as_of(scenario.po_id, at=START)
    with pytest.raises(NotFound):
        trail.as_of(scenario.po_id, version=99)


@pytest.mark.parametrize(
    "arguments",
    [{}, {"version": 1, "at": START}, {"at": datetime(2026, 1, 1)}],
    ids=["neither", "both", "naive moment"],
)
def test_as_of_takes_one_version_or_one_aware_moment(
    trail: AuditTrail, scenario: Scenario, arguments: dict[str, object]
) -> None:
    with pytest.raises(InvalidArgument):
        trail.as_of(scenario.po_id, **arguments)  # type: ignore[arg-type]


def test_a_time_range_takes_aware_moments_only(trail: AuditTrail, scenario: Scenario) -> None:
    with pytest.raises(InvalidArgument):
        trail.events(since=datetime(2026, 1, 1))


def test_audit_rows_written_with_their_fields_already_json_native_read_as_they_were(
    core: PaymentsCore, projector: Projector, trail: AuditTrail, scenario: Scenario
) -> None:
    """Rows written before the trail kept each event's stored state as it is hold their
    fields upcast already and stripped of the metadata columns: they are read as they
    are (upcasting a card issue again would set its block code and holder back)."""
    (issued, *_) = trail.events(event_type=get_topic(CardAccount.CardIssued))
    old_form = replace(issued, fields={**issued.fields, "block_code": "UL", "holder_id": "H-1"})
    with projector.store.writing() as cursor:
        projector.store._upsert(cursor, AUDIT_TRAIL, [old_form])
    (read,) = [e for e in trail.events_of(issued.aggregate_id) if e.position == issued.position]
    assert read == old_form
    assert read != issued

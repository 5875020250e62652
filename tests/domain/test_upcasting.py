"""What a database already holds still reads: stored topics never change, and events
stored before they carried the status they move to are upcast to carry it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from paycore.domain.aggregate import PaycoreAggregate
from paycore.domain.card_account import BlockCode, CardAccount
from paycore.domain.core import PaymentsCore
from paycore.domain.holder import Holder
from paycore.domain.idempotency import IdempotencyRecord
from paycore.domain.invoice import Invoice, InvoiceStatus
from paycore.domain.money import Money
from paycore.domain.payment import Payment, PaymentStatus
from paycore.domain.purchase_order import PurchaseOrder, PurchaseOrderStatus

AGGREGATES: tuple[type[PaycoreAggregate], ...] = (
    CardAccount,
    Invoice,
    Payment,
    PurchaseOrder,
    IdempotencyRecord,
    Holder,
)

#: The topics existing databases hold. A changed line here breaks every one of them.
STORED_TOPICS = {
    CardAccount: "paycore.CardAccount",
    CardAccount.Opened: "paycore.CardAccount.Opened",
    CardAccount.CardIssued: "paycore.CardAccount.CardIssued",
    CardAccount.CardActivated: "paycore.CardAccount.CardActivated",
    CardAccount.CardLoaded: "paycore.CardAccount.CardLoaded",
    CardAccount.CardSpent: "paycore.CardAccount.CardSpent",
    CardAccount.UsageControlsSet: "paycore.CardAccount.UsageControlsSet",
    CardAccount.PinSet: "paycore.CardAccount.PinSet",
    CardAccount.CardOtpIssued: "paycore.CardAccount.CardOtpIssued",
    CardAccount.CardOtpRejected: "paycore.CardAccount.CardOtpRejected",
    CardAccount.CardOtpVerified: "paycore.CardAccount.CardOtpVerified",
    CardAccount.BlockCodeChanged: "paycore.CardAccount.BlockCodeChanged",
    CardAccount.CardReplaced: "paycore.CardAccount.CardReplaced",
    CardAccount.RemoteAccountRegistered: "paycore.CardAccount.RemoteAccountRegistered",
    CardAccount.RemoteCardRegistered: "paycore.CardAccount.RemoteCardRegistered",
    Invoice: "paycore.Invoice",
    Invoice.Received: "paycore.Invoice.Received",
    Invoice.Responded: "paycore.Invoice.Responded",
    Invoice.Edited: "paycore.Invoice.Edited",
    Invoice.Cancelled: "paycore.Invoice.Cancelled",
    Invoice.PaymentReserved: "paycore.Invoice.PaymentReserved",
    Invoice.ReservationReleased: "paycore.Invoice.ReservationReleased",
    Invoice.PaymentSettled: "paycore.Invoice.PaymentSettled",
    Invoice.CdNoteReceived: "paycore.Invoice.CdNoteReceived",
    Invoice.CdNoteConfirmed: "paycore.Invoice.CdNoteConfirmed",
    Payment: "paycore.Payment",
    Payment.Initiated: "paycore.Payment.Initiated",
    Payment.OtpSent: "paycore.Payment.OtpSent",
    Payment.OtpRejected: "paycore.Payment.OtpRejected",
    Payment.Authorised: "paycore.Payment.Authorised",
    Payment.Submitted: "paycore.Payment.Submitted",
    Payment.Succeeded: "paycore.Payment.Succeeded",
    Payment.Failed: "paycore.Payment.Failed",
    PurchaseOrder: "paycore.PurchaseOrder",
    PurchaseOrder.Drafted: "paycore.PurchaseOrder.Drafted",
    PurchaseOrder.Edited: "paycore.PurchaseOrder.Edited",
    PurchaseOrder.StatusChanged: "paycore.PurchaseOrder.StatusChanged",
    PurchaseOrder.FulfilmentRecorded: "paycore.PurchaseOrder.FulfilmentRecorded",
    IdempotencyRecord: "paycore.IdempotencyRecord",
    IdempotencyRecord.Recorded: "paycore.IdempotencyRecord.Recorded",
    Holder: "paycore.Holder",
    Holder.Registered: "paycore.Holder.Registered",
    Holder.Corrected: "paycore.Holder.Corrected",
    Holder.CardHeld: "paycore.Holder.CardHeld",
    Holder.Exported: "paycore.Holder.Exported",
    Holder.Forgotten: "paycore.Holder.Forgotten",
}

#: What an event stored before its class gained fields reads with: the one value every
#: such event had.
GAINED: dict[type[PaycoreAggregate.Event], dict[str, Any]] = {
    CardAccount.CardIssued: {"block_code": BlockCode.ACTIVATION_IN_PROGRESS, "holder_id": None},
    CardAccount.CardActivated: {"block_code": BlockCode.UNLOCKED},
    CardAccount.CardReplaced: {"block_code": BlockCode.BLOCKED},
    Invoice.Received: {"status": InvoiceStatus.CREATED},
    Invoice.Edited: {"status": InvoiceStatus.CREATED},
    Invoice.Cancelled: {"status": InvoiceStatus.CANCELLED},
    Payment.Initiated: {"status": PaymentStatus.INITIATED},
    Payment.OtpSent: {"status": PaymentStatus.OTP_SENT},
    Payment.Authorised: {"status": PaymentStatus.AUTHORISED},
    Payment.Submitted: {"status": PaymentStatus.SUBMITTED},
    Payment.Succeeded: {"status": PaymentStatus.SUCCEEDED},
    Payment.Failed: {"status": PaymentStatus.FAILED},
    PurchaseOrder.Drafted: {"status": PurchaseOrderStatus.DRAFT, "object_version": 1},
}

ACCOUNT = UUID(int=1)
OLD_CARD, NEW_CARD = str(UUID(int=2)), str(UUID(int=3))
INVOICE = UUID("5efc6962-455d-57f1-a518-43aed95c90f3")
CANCELLED_INVOICE = UUID("d5320ddd-7500-596c-b53d-c6bfda78ea41")
PAYMENT, FAILED_PAYMENT = UUID(int=4), UUID(int=6)
ORDER = UUID("e28a51ea-8f06-5b37-965b-33c89c29f4fc")
OTP_REFERENCE = "OTP" + "0" * 31 + "5"
AUDIT = {
    "timestamp": {"_type_": "datetime_iso", "_data_": "2026-01-01T09:00:00+00:00"},
    "actor": "ops@acme.example",
    "source": "api",
    "correlation_id": "c-1",
    "causation_id": "c-1",
}


def _money(amount: str) -> dict[str, str]:
    return {"_type_": "paycore.Money", "_data_": amount}


#: A log as paycore stored it before its events carried their statuses (captured from
#: that version): a card replaced after activation; an invoice returned, edited,
#: accepted and partly paid; an invoice cancelled; a payment that succeeded and one that
#: failed; a purchase order drafted.
V1_LOG: tuple[tuple[str, UUID, int, dict[str, Any]], ...] = (
    (
        "paycore.CardAccount.Opened",
        ACCOUNT,
        1,
        {
            "originator_topic": "paycore.CardAccount",
            "company_id": "CO-1",
            "company_name": "Acme",
            "account_title": "Travel",
            "account_type": "CORPORATE",
            "balance_cap": _money("200000.00"),
        },
    ),
    (
        "paycore.CardAccount.CardIssued",
        ACCOUNT,
        2,
        {
            "card_id": OLD_CARD,
            "kind": "PREPAID",
            "form": "VIRTUAL",
            "initial_load": _money("500.00"),
        },
    ),
    ("paycore.CardAccount.CardActivated", ACCOUNT, 3, {"card_id": OLD_CARD}),
    (
        "paycore.CardAccount.CardReplaced",
        ACCOUNT,
        4,
        {"card_id": OLD_CARD, "new_card_id": NEW_CARD},
    ),
    (
        "paycore.Invoice.Received",
        INVOICE,
        1,
        {
            "originator_topic": "paycore.Invoice",
            "object_id": "INV" + "0" * 31 + "1",
            "supplier_invoice_number": "SUP-1",
            "total": _money("1000.00"),
            "allows_partial": True,
            "buyer_b2b_id": "b",
            "supplier_b2b_id": "s",
            "object_version": 1,
        },
    ),
    (
        "paycore.Invoice.Responded",
        INVOICE,
        2,
        {"status": "RETURNED", "remarks": "fix it", "object_version": 2},
    ),
    (
        "paycore.Invoice.Edited",
        INVOICE,
        3,
        {
            "supplier_invoice_number": "SUP-1a",
            "total": _money("900.00"),
            "allows_partial": True,
            "object_version": 3,
        },
    ),
    (
        "paycore.Invoice.Received",
        CANCELLED_INVOICE,
        1,
        {
            "originator_topic": "paycore.Invoice",
            "object_id": "INV" + "0" * 31 + "2",
            "supplier_invoice_number": "SUP-2",
            "total": _money("50.00"),
            "allows_partial": True,
            "buyer_b2b_id": "b",
            "supplier_b2b_id": "s",
            "object_version": 1,
        },
    ),
    (
        "paycore.Invoice.Cancelled",
        CANCELLED_INVOICE,
        2,
        {"remarks": "duplicate", "object_version": 2},
    ),
    (
        "paycore.Invoice.Responded",
        INVOICE,
        4,
        {"status": "ACCEPTED", "remarks": "ok", "object_version": 4},
    ),
    (
        "paycore.Payment.Initiated",
        PAYMENT,
        1,
        {
            "originator_topic": "paycore.Payment",
            "payment_type": "INVOICE",
            "allocations": {str(INVOICE): _money("300.00")},
            "partial": True,
            "remarks": "",
        },
    ),
    (
        "paycore.Payment.OtpSent",
        PAYMENT,
        2,
        {
            "challenge": {
                "_type_": "paycore.OtpChallenge",
                "_data_": {
                    "reference": OTP_REFERENCE,
                    "purpose": "PAYMENT",
                    "digest": "58fcdea13a96d03a564c6f9a6c2e10c0df625a1ef19c97a9c8f72492cad922ed",
                    "expires_at": {"_type_": "datetime_iso", "_data_": "2026-01-01T09:10:00+00:00"},
                    "failed_attempts": 0,
                },
            }
        },
    ),
    ("paycore.Payment.Authorised", PAYMENT, 3, {"reference": OTP_REFERENCE}),
    (
        "paycore.Invoice.PaymentReserved",
        INVOICE,
        5,
        {"payment_id": str(PAYMENT), "amount": _money("300.00")},
    ),
    ("paycore.Payment.Submitted", PAYMENT, 4, {"reference": "PMT" + PAYMENT.hex}),
    ("paycore.Payment.Succeeded", PAYMENT, 5, {"utr": "UTR-1"}),
    (
        "paycore.Invoice.PaymentSettled",
        INVOICE,
        6,
        {"payment_id": str(PAYMENT), "status": "PARTIALLY_PAID"},
    ),
    (
        "paycore.Payment.Initiated",
        FAILED_PAYMENT,
        1,
        {
            "originator_topic": "paycore.Payment",
            "payment_type": "INVOICE",
            "allocations": {str(INVOICE): _money("200.00")},
            "partial": True,
            "remarks": "",
        },
    ),
    ("paycore.Payment.Failed", FAILED_PAYMENT, 2, {"reason": "bank declined"}),
    (
        "paycore.PurchaseOrder.Drafted",
        ORDER,
        1,
        {
            "originator_topic": "paycore.PurchaseOrder",
            "object_id": "PO0000000001",
            "buyer_po_number": "PO-1",
            "subject": "laptops",
            "total": _money("900.00"),
            "buyer_b2b_id": "b",
            "supplier_b2b_id": "s",
        },
    ),
)


def v1_log() -> list[StoredEvent]:
    """:data:`V1_LOG` as stored events, in its order."""
    return [
        StoredEvent(aggregate_id, version, topic, json.dumps({**AUDIT, **state}).encode())
        for topic, aggregate_id, version, state in V1_LOG
    ]


def event_classes() -> Iterator[type[PaycoreAggregate.Event]]:
    for aggregate in AGGREGATES:
        bases = (aggregate.Event, aggregate.Created)
        for value in vars(aggregate).values():
            is_event = isinstance(value, type) and issubclass(value, aggregate.Event)
            if is_event and value not in bases:
                yield value


@pytest.fixture(scope="module")
def memory_core() -> Iterator[PaymentsCore]:
    core = PaymentsCore("memory://", otp_key=b"test-otp-key-of-32-bytes-long!!!")
    yield core
    core.close()


def test_stored_topics_never_change() -> None:
    classes: list[type] = [*AGGREGATES, *event_classes()]
    assert {c: get_topic(c) for c in classes} == STORED_TOPICS
    assert all(resolve_topic(topic) is c for c, topic in STORED_TOPICS.items())


def test_exactly_the_event_classes_that_gained_fields_are_past_version_1() -> None:
    versions = {c: getattr(c, "class_version", 1) for c in event_classes()}
    assert {c for c, version in versions.items() if version != 1} == set(GAINED)
    # CardIssued gained block_code (2), then holder_id (3, issue 15).
    assert {c: versions[c] for c in GAINED} == {c: 2 for c in GAINED} | {CardAccount.CardIssued: 3}


def test_the_log_before_the_change_has_every_class_that_gained_fields_without_them() -> None:
    for event_class, gained in GAINED.items():
        states = [state for topic, _, _, state in V1_LOG if topic == get_topic(event_class)]
        assert states, event_class
        assert all(gained.keys().isdisjoint(state) for state in states), event_class


@pytest.mark.parametrize("event_class", list(GAINED), ids=lambda c: c.__qualname__)
def test_an_event_stored_before_it_carried_its_status_reads_with_that_status(
    memory_core: PaymentsCore, event_class: type[PaycoreAggregate.Event]
) -> None:
    for stored in v1_log():
        if stored.topic == get_topic(event_class):
            event = memory_core.mapper.to_domain_event(stored)
            assert type(event) is event_class
            gained = GAINED[event_class]
            assert {name: getattr(event, name) for name in gained} == gained


def test_aggregates_replay_a_log_stored_before_events_carried_their_status(
    core: PaymentsCore,
) -> None:
    core.recorder.insert_events(v1_log())

    account = core.repository.get(ACCOUNT)
    assert account.cards[OLD_CARD].block_code is BlockCode.BLOCKED
    assert account.cards[NEW_CARD].block_code is BlockCode.UNLOCKED
    assert account.cards[NEW_CARD].balance == Money("500.00")
    invoice = core.repository.get(INVOICE)
    assert (invoice.status, invoice.object_version) == (InvoiceStatus.PARTIALLY_PAID, 4)
    assert invoice.outstanding == Money("600.00")
    assert core.repository.get(CANCELLED_INVOICE).status is InvoiceStatus.CANCELLED
    assert core.repository.get(PAYMENT).status is PaymentStatus.SUCCEEDED
    assert core.repository.get(FAILED_PAYMENT).status is PaymentStatus.FAILED
    order = core.repository.get(ORDER)
    assert (order.status, order.object_version) == (PurchaseOrderStatus.DRAFT, 1)


def test_a_new_event_stores_the_status_it_moves_to_at_its_class_version(
    memory_core: PaymentsCore,
) -> None:
    account_id = memory_core.open_card_account("CO-2", "Acme", "Travel", "CORPORATE")
    memory_core.issue_card(account_id, "PREPAID", initial_load="10.00")
    last = memory_core.recorder.select_notifications(start=1, limit=1000)[-1]
    assert last.topic == get_topic(CardAccount.CardIssued)
    state = json.loads(last.state)
    assert (state["block_code"], state["holder_id"], state["class_version"]) == ("AP", None, 3)

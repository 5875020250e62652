"""What the views must hold, worked out from the aggregates and the stored events alone.

Nothing here uses the views' folds: rows are compared with ``core.repository.get`` and
with the decoded notification log, so a fold that drifts from the domain fails.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import Notification

from paycore.domain.card_account import CardAccount, UsageControls
from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.invoice import Invoice
from paycore.domain.money import Money
from paycore.domain.payment import Payment
from paycore.domain.purchase_order import PurchaseOrder
from paycore.projections import (
    AUDIT_TRAIL,
    CARD_TRANSACTIONS,
    CARDS,
    INVOICES,
    PAYMENTS,
    PURCHASE_ORDERS,
    ViewStore,
)
from paycore.projections.tables import Table
from paycore.projections.views import Recorded

OTP = "123456"
START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


class Clock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float = 1) -> None:
        self.now += timedelta(minutes=minutes)


def notifications(core: PaymentsCore) -> Iterator[Notification]:
    after = 0
    while page := core.recorder.select_notifications(after, 500, inclusive_of_start=False):
        yield from page
        after = page[-1].id


def aggregates(core: PaymentsCore, kind: type[Any]) -> list[Any]:
    ids = dict.fromkeys(UUID(str(n.originator_id)) for n in notifications(core))
    found: list[Any] = [core.repository.get(i) for i in ids]
    return [a for a in found if type(a) is kind]


def _money(value: Money | None) -> Decimal | None:
    return None if value is None else value.amount


def _limits(controls: UsageControls) -> dict[str, Any]:
    return {
        "per_transaction_limit": _money(controls.per_transaction),
        "daily_amount_limit": _money(controls.daily_amount),
        "daily_count_limit": controls.daily_count,
        "monthly_amount_limit": _money(controls.monthly_amount),
        "monthly_count_limit": controls.monthly_count,
        "disabled_channels": [str(c) for c in controls.disabled_channels],
    }


def expected_cards(core: PaymentsCore) -> dict[tuple[UUID, str], dict[str, Any]]:
    return {
        (account.id, card.card_id): {
            "kind": str(card.kind),
            "form": str(card.form),
            "status": str(card.block_code),
            "activated": card.activated,
            "balance": card.balance.amount,
            "masked_number": card.masked_number,
            "remote_id": card.remote_id,
            "pin_set_at": card.pin_set_at,
            "replaced_by": card.replaced_by,
            **_limits(card.controls),
        }
        for account in aggregates(core, CardAccount)
        for card in account.cards.values()
    }


#: Aggregate id -> the values its row must hold.
Expected = dict[UUID, dict[str, Any]]


def expected_invoices(core: PaymentsCore) -> Expected:
    return {
        invoice.id: {
            "status": str(invoice.status),
            "object_version": invoice.object_version,
            "total": invoice.total.amount,
            "settled": invoice.settled.amount,
            "reserved": invoice.reserved.amount,
            "outstanding": invoice.outstanding.amount,
            "version": invoice.version,
        }
        for invoice in aggregates(core, Invoice)
    }


def expected_payments(core: PaymentsCore) -> Expected:
    return {
        payment.id: {
            "status": str(payment.status),
            "amount": payment.amount.amount,
            "invoice_ids": [str(i) for i in payment.invoice_ids],
            "reference": payment.reference,
            "utr": payment.utr,
            "failure_reason": payment.failure_reason,
            "version": payment.version,
        }
        for payment in aggregates(core, Payment)
    }


def expected_purchase_orders(core: PaymentsCore) -> Expected:
    return {
        po.id: {
            "status": str(po.status),
            "object_version": po.object_version,
            "total": po.total.amount,
            "fulfilled": po.fulfilled.amount,
            "unfulfilled": po.unfulfilled.amount,
            "version": po.version,
        }
        for po in aggregates(core, PurchaseOrder)
    }


def json_native(value: Any) -> Any:
    """The JSON-native form of a value of a domain event, worked out from the value."""
    if isinstance(value, Money):
        return str(value.amount)
    if isinstance(value, Mapping):
        return {str(k): json_native(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_native(v) for v in value]
    if attrs.has(type(value)):
        return json_native(attrs.asdict(value, recurse=False))
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    return value


def event_fields(core: PaymentsCore, recorded: Recorded) -> dict[str, Any]:
    """The domain event's state in the form views read it (``Recorded.fields``)."""
    state = dict(vars(core.mapper.to_domain_event(recorded.notification)))
    del state["originator_id"], state["originator_version"]
    return json_native(state)  # type: ignore[no-any-return]


#: What has a column of its own in the audit trail, so is not among its fields.
AUDIT_METADATA = (
    "timestamp",
    "actor",
    "source",
    "correlation_id",
    "causation_id",
    "originator_topic",
)


def expected_audit(core: PaymentsCore) -> list[dict[str, Any]]:
    events: Iterator[tuple[Notification, Any]] = (
        (n, core.mapper.to_domain_event(n)) for n in notifications(core)
    )
    return [
        {
            "position": n.id,
            "aggregate_id": n.originator_id,
            "version": n.originator_version,
            "event_type": n.topic,
            "recorded_at": e.timestamp,
            "actor": e.actor,
            "source": e.source,
            "correlation_id": e.correlation_id,
            "causation_id": e.causation_id,
            # What views read of the event, held to the domain event itself by
            # tests/projections/test_recorded_fields.py.
            "fields": {
                k: v for k, v in Recorded(n, core.mapper).fields.items() if k not in AUDIT_METADATA
            },
        }
        for n, e in events
    ]


def _picked(row: Any, expected: dict[str, Any]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in expected}


def assert_views_match(core: PaymentsCore, store: ViewStore) -> None:
    """Every view row agrees with the aggregates and the stored events, and no row is
    missing or extra."""
    cards = expected_cards(core)
    card_rows = {(r.account_id, r.card_id): r for r in store.select(CARDS)}
    assert card_rows.keys() == cards.keys()
    for key, expected in cards.items():
        assert _picked(card_rows[key], expected) == expected, key
    balances: dict[tuple[UUID, str], Decimal] = defaultdict(Decimal)
    for movement in store.select(CARD_TRANSACTIONS):
        balances[movement.account_id, movement.card_id] += movement.amount
    for key, expected in cards.items():
        assert balances.get(key, Decimal(0)) == expected["balance"], key
    by_aggregate: list[tuple[Table[Any], Callable[[PaymentsCore], Expected], str]] = [
        (INVOICES, expected_invoices, "invoice_id"),
        (PAYMENTS, expected_payments, "payment_id"),
        (PURCHASE_ORDERS, expected_purchase_orders, "po_id"),
    ]
    for table, expect, id_column in by_aggregate:
        wanted = expect(core)
        rows = {getattr(r, id_column): r for r in store.select(table)}
        assert rows.keys() == wanted.keys(), table.name
        for aggregate_id, expected in wanted.items():
            assert _picked(rows[aggregate_id], expected) == expected, (table.name, aggregate_id)
    audit = expected_audit(core)
    assert [_picked(r, audit[0]) for r in store.select(AUDIT_TRAIL)] == audit


def object_id(prefix: str, number: int) -> str:
    width = 32 if prefix == "INV" else 10
    return f"{prefix}{number:0{width}d}"


@dataclass
class Scenario:
    """The ids a scenario made, for the tests to look at."""

    account_id: UUID
    card_id: str
    new_card_id: str
    invoice_id: UUID
    payment_id: UUID
    failed_payment_id: UUID
    po_id: UUID


def exercise(core: PaymentsCore, clock: Clock) -> Scenario:
    """Commands that raise every kind of event a view folds, from two actors, one
    minute apart."""
    ops = CommandContext(actor="ops@acme.example", source="api", correlation_id="ticket-1")
    relay = CommandContext(actor="sync-relay", source="sync", correlation_id="sync-7")

    def step() -> None:
        clock.advance()

    account_id = core.open_card_account("CO-1", "Acme", "Travel", "CORPORATE", context=ops)
    card_id = core.issue_card(account_id, "PREPAID", initial_load="500.00", context=ops)
    step()
    core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True, context=ops)
    core.record_remote_card(account_id, card_id, "EK-1", "411111XXXXXX1111", context=relay)
    core.load_card(account_id, card_id, "250.00", context=ops)
    step()
    core.record_card_spend(account_id, card_id, "100.00", "POS", "TXN-1", clock.now, context=relay)
    core.set_usage_controls(
        account_id,
        [card_id],
        UsageControls(disabled_channels=("ATM",), per_transaction="1000.00", daily_count=5),
        context=ops,
    )
    core.lock_card(account_id, card_id, "travel", context=ops)
    core.unlock_card(account_id, card_id, context=ops)
    step()
    new_card_id = core.replace_card(account_id, card_id, context=ops)

    invoice_id = core.receive_invoice(
        object_id("INV", 1),
        "SUP-1",
        "1000.00",
        buyer_b2b_id="b",
        supplier_b2b_id="s",
        context=relay,
    )
    core.receive_cd_note(invoice_id, "N1", "DEBIT", "100.00", context=relay)
    core.confirm_cd_note(invoice_id, "N1", context=relay)
    core.respond_to_invoice(invoice_id, "ACCEPT", "ok", context=ops)
    step()
    payment_id = core.initiate_payment([invoice_id], amount="300.00", context=ops)
    core.request_payment_otp(payment_id, context=ops)
    core.authorise_payment(payment_id, OTP, context=ops)
    core.submit_payment(payment_id, context=ops)
    core.record_payment_success(payment_id, "UTR-1", context=relay)
    step()
    failed_payment_id = core.initiate_payment([invoice_id], amount="200.00", context=ops)
    core.request_payment_otp(failed_payment_id, context=ops)
    core.authorise_payment(failed_payment_id, OTP, context=ops)
    core.record_payment_failure(failed_payment_id, "bank declined", context=relay)

    step()
    po_id = core.draft_purchase_order(
        object_id("PO", 1), "PO-1", "laptops", "900.00", buyer_b2b_id="b", supplier_b2b_id="s"
    )
    core.edit_purchase_order(po_id, "laptops and bags", "1200.00", context=ops)
    core.send_purchase_order(po_id, context=ops)
    core.record_po_response(po_id, "ACCEPT", "fine", context=relay)
    core.record_po_fulfilment(po_id, "500.00", context=relay)
    return Scenario(
        account_id, card_id, new_card_id, invoice_id, payment_id, failed_payment_id, po_id
    )

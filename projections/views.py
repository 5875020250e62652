"""The read models: their rows, their tables, and how each folds the events into rows.

A view is a fold: :meth:`View.project` takes a batch of recorded events in log order and
reads and changes rows through :class:`~paycore.projections.store.Rows`. It never reads
the clock or the aggregates: every value comes from the events, so replaying the log
from zero gives the same rows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cached_property
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

import attrs
from eventsourcing.persistence import Mapper, Notification

from paycore.domain.money import Money
from paycore.projections.store import Rows
from paycore.projections.tables import Table

ZERO = Decimal("0.00")
R = TypeVar("R")


class Recorded:
    """A notification of the event log, and its domain event, decoded when first asked
    for (the hash chain never asks: it covers the stored bytes)."""

    def __init__(self, notification: Notification, mapper: Mapper[UUID]) -> None:
        self.notification = notification
        self.position = notification.id
        self.topic = notification.topic
        self._mapper = mapper

    @cached_property
    def event(self) -> Any:
        return self._mapper.to_domain_event(self.notification)


def replace(row: R, **changes: Any) -> R:
    """``dataclasses.replace`` for rows, without re-running ``__init__`` field by field
    (rows validate nothing): the folds call it for most events, so it is hot."""
    copy = object.__new__(type(row))
    copy.__dict__.update(row.__dict__, **changes)
    return copy


class View(ABC):
    """A read model: the tables it owns and the fold that fills them.

    ``name`` keys the view's row in the positions table, distinct from any consumer
    of PaymentsCore's own tracking table (such as the sync relay).
    """

    name: ClassVar[str]
    tables: ClassVar[tuple[Table[Any], ...]]
    #: Whether a rebuild drops the tables and replays the log (not so the hash chain).
    rebuildable: ClassVar[bool] = True

    @abstractmethod
    def project(self, batch: Sequence[Recorded], rows: Rows) -> None:
        """Folds the batch's events, in order, into rows."""


# Rows.


@dataclass(frozen=True)
class CardRow:
    account_id: UUID
    card_id: str
    kind: str
    form: str
    #: The block code: AP, UL, L or BL.
    status: str
    activated: bool
    balance: Decimal
    per_transaction_limit: Decimal | None
    daily_amount_limit: Decimal | None
    daily_count_limit: int | None
    monthly_amount_limit: Decimal | None
    monthly_count_limit: int | None
    disabled_channels: list[str]
    masked_number: str | None
    remote_id: str | None
    pin_set_at: datetime | None
    replaced_by: str | None
    updated_at: datetime


@dataclass(frozen=True)
class CardTransactionRow:
    """Money into or out of a card: ISSUE_LOAD, LOAD, SPEND, TRANSFER_OUT or TRANSFER_IN."""

    position: int
    account_id: UUID
    card_id: str
    kind: str
    #: Positive for money in, negative for money out, so a card's rows sum to its balance.
    amount: Decimal
    channel: str | None
    reference: str | None
    occurred_at: datetime
    recorded_at: datetime


@dataclass(frozen=True)
class InvoiceRow:
    invoice_id: UUID
    object_id: str
    supplier_invoice_number: str
    buyer_b2b_id: str
    supplier_b2b_id: str
    status: str
    object_version: int
    allows_partial: bool
    total: Decimal
    debit_notes: Decimal
    credit_notes: Decimal
    settled: Decimal
    reserved: Decimal
    outstanding: Decimal
    #: Payment id -> amount held for it (decimal text).
    reservations: dict[str, str]
    #: Note id -> {"note_type", "amount", "confirmed"}.
    notes: dict[str, dict[str, Any]]
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class PaymentRow:
    payment_id: UUID
    object_id: str
    payment_type: str
    status: str
    amount: Decimal
    partial: bool
    invoice_ids: list[str]
    #: Invoice id -> amount paid on it (decimal text).
    allocations: dict[str, str]
    remarks: str
    reference: str | None
    utr: str | None
    failure_reason: str | None
    version: int
    initiated_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PurchaseOrderRow:
    po_id: UUID
    object_id: str
    buyer_po_number: str
    subject: str
    buyer_b2b_id: str
    supplier_b2b_id: str
    status: str
    object_version: int
    total: Decimal
    fulfilled: Decimal
    unfulfilled: Decimal
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class AuditEvent:
    """One stored event, flattened: where it stands, what it is, who caused it, and its
    own fields as JSON-native values (amounts as decimal text, times as ISO 8601)."""

    position: int
    aggregate_id: UUID
    aggregate_type: str
    version: int
    event_type: str
    recorded_at: datetime
    actor: str
    source: str
    correlation_id: str
    causation_id: str
    fields: dict[str, Any]


CARDS = Table("paycore_cards", CardRow, key=("account_id", "card_id"), group="account_id")
CARD_TRANSACTIONS = Table(
    "paycore_card_transactions",
    CardTransactionRow,
    key=("position", "card_id"),
    indexes=(("card_id", "position"),),
)
INVOICES = Table("paycore_invoices", InvoiceRow, key=("invoice_id",), group="invoice_id")
PAYMENTS = Table("paycore_payments", PaymentRow, key=("payment_id",), group="payment_id")
PURCHASE_ORDERS = Table("paycore_purchase_orders", PurchaseOrderRow, key=("po_id",), group="po_id")
AUDIT_TRAIL = Table(
    "paycore_audit_trail",
    AuditEvent,
    key=("position",),
    indexes=(
        ("aggregate_id", "version"),
        ("actor", "position"),
        ("correlation_id", "position"),
        ("event_type", "position"),
        ("recorded_at",),
    ),
)


# Folds.


def _amount(money: Money) -> Decimal:
    return money.amount


class CardsView(View):
    """Cards with their status, balance, limits and masked number; and every movement of
    money on a card."""

    name = "paycore.cards"
    tables = (CARDS, CARD_TRANSACTIONS)

    def project(self, batch: Sequence[Recorded], rows: Rows) -> None:
        for recorded in batch:
            handler = self.handlers.get(recorded.topic)
            if handler is not None:
                handler(self, recorded, rows)

    @staticmethod
    def _card(rows: Rows, event: Any, card_id: str | None = None) -> CardRow:
        card = rows.get(CARDS, (event.originator_id, card_id or event.card_id))
        assert card is not None, f"no card {card_id or event.card_id} for {event}"
        return card

    def _change(self, rows: Rows, event: Any, **changes: Any) -> CardRow:
        card = self._card(rows, event)
        rows.put(CARDS, replace(card, **changes, updated_at=event.timestamp))
        return card

    def _transaction(
        self, rows: Rows, recorded: Recorded, card_id: str, kind: str, amount: Decimal, **more: Any
    ) -> None:
        event = recorded.event
        row = CardTransactionRow(
            position=recorded.position,
            account_id=event.originator_id,
            card_id=card_id,
            kind=kind,
            amount=amount,
            channel=more.get("channel"),
            reference=more.get("reference"),
            occurred_at=more.get("occurred_at", event.timestamp),
            recorded_at=event.timestamp,
        )
        rows.put(CARD_TRANSACTIONS, row)

    def _issued(self, recorded: Recorded, rows: Rows) -> None:
        e = recorded.event
        card = CardRow(
            account_id=e.originator_id,
            card_id=e.card_id,
            kind=str(e.kind),
            form=str(e.form),
            status="AP",
            activated=False,
            balance=_amount(e.initial_load),
            per_transaction_limit=None,
            daily_amount_limit=None,
            daily_count_limit=None,
            monthly_amount_limit=None,
            monthly_count_limit=None,
            disabled_channels=[],
            masked_number=None,
            remote_id=None,
            pin_set_at=None,
            replaced_by=None,
            updated_at=e.timestamp,
        )
        rows.put(CARDS, card)
        if card.balance:
            self._transaction(rows, recorded, e.card_id, "ISSUE_LOAD", card.balance)

    def _activated(self, recorded: Recorded, rows: Rows) -> None:
        self._change(rows, recorded.event, status="UL", activated=True)

    def _loaded(self, recorded: Recorded, rows: Rows) -> None:
        e = recorded.event
        amount = _amount(e.amount)
        self._change(rows, e, balance=self._card(rows, e).balance + amount)
        self._transaction(rows, recorded, e.card_id, "LOAD", amount, reference=e.reference)

    def _spent(self, recorded: Recorded, rows: Rows) -> None:
        e = recorded.event
        amount = _amount(e.amount)
        self._change(rows, e, balance=self._card(rows, e).balance - amount)
        self._transaction(
            rows,
            recorded,
            e.card_id,
            "SPEND",
            -amount,
            channel=str(e.channel),
            reference=e.transaction_id,
            occurred_at=e.occurred_at,
        )

    def _controls_set(self, recorded: Recorded, rows: Rows) -> None:
        e = recorded.event
        controls = e.controls

        def limit(money: Money | None) -> Decimal | None:
            return None if money is None else money.amount

        for card_id in e.card_ids:
            card = self._card(rows, e, card_id)
            limits = replace(
                card,
                per_transaction_limit=limit(controls.per_transaction),
                daily_amount_limit=limit(controls.daily_amount),
                daily_count_limit=controls.daily_count,
                monthly_amount_limit=limit(controls.monthly_amount),
                monthly_count_limit=controls.monthly_count,
                disabled_channels=[str(c) for c in controls.disabled_channels],
                updated_at=e.timestamp,
            )
            rows.put(CARDS, limits)

    def _pin_set(self, recorded: Recorded, rows: Rows) -> None:
        self._change(rows, recorded.event, pin_set_at=recorded.event.at)

    def _block_code_changed(self, recorded: Recorded, rows: Rows) -> None:
        self._change(rows, recorded.event, status=str(recorded.event.block_code))

    def _replaced(self, recorded: Recorded, rows: Rows) -> None:
        """The old card is blocked and its balance moves to the new one."""
        e = recorded.event
        old = self._card(rows, e)
        new = replace(
            old,
            card_id=e.new_card_id,
            status="UL" if old.activated else "AP",
            masked_number=None,
            remote_id=None,
            pin_set_at=None,
            replaced_by=None,
            updated_at=e.timestamp,
        )
        rows.put(CARDS, new)
        self._change(rows, e, status="BL", balance=ZERO, replaced_by=e.new_card_id)
        if old.balance:
            self._transaction(rows, recorded, old.card_id, "TRANSFER_OUT", -old.balance)
            self._transaction(rows, recorded, new.card_id, "TRANSFER_IN", old.balance)

    def _remote_card_registered(self, recorded: Recorded, rows: Rows) -> None:
        e = recorded.event
        self._change(rows, e, remote_id=e.remote_id, masked_number=e.masked_number)

    handlers: ClassVar[Mapping[str, Callable[[CardsView, Recorded, Rows], None]]] = {
        "paycore.CardAccount.CardIssued": _issued,
        "paycore.CardAccount.CardActivated": _activated,
        "paycore.CardAccount.CardLoaded": _loaded,
        "paycore.CardAccount.CardSpent": _spent,
        "paycore.CardAccount.UsageControlsSet": _controls_set,
        "paycore.CardAccount.PinSet": _pin_set,
        "paycore.CardAccount.BlockCodeChanged": _block_code_changed,
        "paycore.CardAccount.CardReplaced": _replaced,
        "paycore.CardAccount.RemoteCardRegistered": _remote_card_registered,
    }


class AggregateView(View, Generic[R]):
    """A view with one row per aggregate, keyed by the aggregate's id.

    ``changes`` maps a topic to a function from the row (None for the created event)
    and the event to the new row; every event of the aggregate, handled or not, moves
    the row's ``version`` and ``updated_at``.
    """

    table: ClassVar[Table[Any]]
    #: The topic prefix of the aggregate's events, e.g. ``"paycore.Payment."``.
    aggregate_topics: ClassVar[str]
    changes: ClassVar[Mapping[str, Callable[[Any, Any], Any]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.tables = (cls.table,)

    def project(self, batch: Sequence[Recorded], rows: Rows) -> None:
        for recorded in batch:
            if not recorded.topic.startswith(self.aggregate_topics):
                continue
            event = recorded.event
            row = rows.get(self.table, (event.originator_id,))
            change = self.changes.get(recorded.topic)
            if change is not None:
                row = change(row, event)
            assert row is not None, f"{recorded.topic} at {recorded.position} before creation"
            rows.put(self.table, self.touched(row, event))

    @staticmethod
    def touched(row: Any, event: Any) -> Any:
        return replace(row, version=event.originator_version, updated_at=event.timestamp)


def _invoice_amounts(row: InvoiceRow) -> InvoiceRow:
    """The derived amounts: outstanding = total + debit notes - credit notes - settled -
    reserved (confirmed notes only)."""

    def confirmed(note_type: str) -> Decimal:
        return sum(
            (
                Decimal(n["amount"])
                for n in row.notes.values()
                if n["confirmed"] and n["note_type"] == note_type
            ),
            ZERO,
        )

    debit, credit = confirmed("DEBIT"), confirmed("CREDIT")
    reserved = sum((Decimal(a) for a in row.reservations.values()), ZERO)
    return replace(
        row,
        debit_notes=debit,
        credit_notes=credit,
        reserved=reserved,
        outstanding=row.total + debit - credit - row.settled - reserved,
    )


def _invoice_received(_: None, e: Any) -> InvoiceRow:
    return InvoiceRow(
        invoice_id=e.originator_id,
        object_id=e.object_id,
        supplier_invoice_number=e.supplier_invoice_number,
        buyer_b2b_id=e.buyer_b2b_id,
        supplier_b2b_id=e.supplier_b2b_id,
        status="CREATED",
        object_version=e.object_version,
        allows_partial=e.allows_partial,
        total=_amount(e.total),
        debit_notes=ZERO,
        credit_notes=ZERO,
        settled=ZERO,
        reserved=ZERO,
        outstanding=_amount(e.total),
        reservations={},
        notes={},
        version=e.originator_version,
        updated_at=e.timestamp,
    )


def _invoice_edited(row: InvoiceRow, e: Any) -> InvoiceRow:
    return _invoice_amounts(
        replace(
            row,
            supplier_invoice_number=e.supplier_invoice_number,
            total=_amount(e.total),
            allows_partial=e.allows_partial,
            object_version=e.object_version,
            status="CREATED",
        )
    )


def _invoice_reserved(row: InvoiceRow, e: Any) -> InvoiceRow:
    reservations = {**row.reservations, e.payment_id: str(_amount(e.amount))}
    return _invoice_amounts(replace(row, reservations=reservations))


def _invoice_released(row: InvoiceRow, e: Any) -> InvoiceRow:
    reservations = {k: v for k, v in row.reservations.items() if k != e.payment_id}
    return _invoice_amounts(replace(row, reservations=reservations))


def _invoice_settled(row: InvoiceRow, e: Any) -> InvoiceRow:
    reservations = dict(row.reservations)
    settled = row.settled + Decimal(reservations.pop(e.payment_id))
    return _invoice_amounts(
        replace(row, reservations=reservations, settled=settled, status=str(e.status))
    )


def _invoice_note_received(row: InvoiceRow, e: Any) -> InvoiceRow:
    note = {"note_type": str(e.note_type), "amount": str(_amount(e.amount)), "confirmed": False}
    return replace(row, notes={**row.notes, e.note_id: note})


def _invoice_note_confirmed(row: InvoiceRow, e: Any) -> InvoiceRow:
    note = {**row.notes[e.note_id], "confirmed": True}
    notes = {**row.notes, e.note_id: note}
    return _invoice_amounts(replace(row, notes=notes, status=str(e.status)))


def _new_status(row: Any, e: Any) -> Any:
    """A response, cancellation or status change with its objectVersion."""
    return replace(row, status=str(e.status), object_version=e.object_version)


def _cancelled(row: Any, e: Any) -> Any:
    return replace(row, status="CANCELLED", object_version=e.object_version)


class InvoicesView(AggregateView[InvoiceRow]):
    """Invoices with their status, total, outstanding and reserved amounts."""

    name = "paycore.invoices"
    table = INVOICES
    aggregate_topics = "paycore.Invoice."
    changes: ClassVar[Mapping[str, Callable[[Any, Any], Any]]] = {
        "paycore.Invoice.Received": _invoice_received,
        "paycore.Invoice.Responded": _new_status,
        "paycore.Invoice.Edited": _invoice_edited,
        "paycore.Invoice.Cancelled": _cancelled,
        "paycore.Invoice.PaymentReserved": _invoice_reserved,
        "paycore.Invoice.ReservationReleased": _invoice_released,
        "paycore.Invoice.PaymentSettled": _invoice_settled,
        "paycore.Invoice.CdNoteReceived": _invoice_note_received,
        "paycore.Invoice.CdNoteConfirmed": _invoice_note_confirmed,
    }


def _payment_initiated(_: None, e: Any) -> PaymentRow:
    allocations = {invoice: str(_amount(m)) for invoice, m in e.allocations.items()}
    return PaymentRow(
        payment_id=e.originator_id,
        object_id=f"PMT{e.originator_id.hex}",
        payment_type=str(e.payment_type),
        status="INITIATED",
        amount=sum((_amount(m) for m in e.allocations.values()), ZERO),
        partial=e.partial,
        invoice_ids=list(allocations),
        allocations=allocations,
        remarks=e.remarks,
        reference=None,
        utr=None,
        failure_reason=None,
        version=e.originator_version,
        initiated_at=e.timestamp,
        updated_at=e.timestamp,
    )


def _payment_status(status: str, **fields: str) -> Callable[[Any, Any], Any]:
    """A move to ``status``; ``fields`` maps row columns to the event attributes they take."""

    def change(row: PaymentRow, e: Any) -> PaymentRow:
        values = {column: getattr(e, attribute) for column, attribute in fields.items()}
        return replace(row, status=status, **values)

    return change


class PaymentsView(AggregateView[PaymentRow]):
    """Payments with their status, amounts and invoices."""

    name = "paycore.payments"
    table = PAYMENTS
    aggregate_topics = "paycore.Payment."
    changes: ClassVar[Mapping[str, Callable[[Any, Any], Any]]] = {
        "paycore.Payment.Initiated": _payment_initiated,
        "paycore.Payment.OtpSent": _payment_status("OTP_SENT"),
        "paycore.Payment.Authorised": _payment_status("AUTHORISED"),
        "paycore.Payment.Submitted": _payment_status("SUBMITTED", reference="reference"),
        "paycore.Payment.Succeeded": _payment_status("SUCCEEDED", utr="utr"),
        "paycore.Payment.Failed": _payment_status("FAILED", failure_reason="reason"),
    }


def _po_drafted(_: None, e: Any) -> PurchaseOrderRow:
    return PurchaseOrderRow(
        po_id=e.originator_id,
        object_id=e.object_id,
        buyer_po_number=e.buyer_po_number,
        subject=e.subject,
        buyer_b2b_id=e.buyer_b2b_id,
        supplier_b2b_id=e.supplier_b2b_id,
        status="DRAFT",
        object_version=1,
        total=_amount(e.total),
        fulfilled=ZERO,
        unfulfilled=_amount(e.total),
        version=e.originator_version,
        updated_at=e.timestamp,
    )


def _po_edited(row: PurchaseOrderRow, e: Any) -> PurchaseOrderRow:
    total = _amount(e.total)
    moved: PurchaseOrderRow = _new_status(row, e)
    return replace(moved, subject=e.subject, total=total, unfulfilled=total - row.fulfilled)


def _po_fulfilment(row: PurchaseOrderRow, e: Any) -> PurchaseOrderRow:
    fulfilled = row.fulfilled + _amount(e.value)
    return replace(
        row, status=str(e.status), fulfilled=fulfilled, unfulfilled=row.total - fulfilled
    )


class PurchaseOrdersView(AggregateView[PurchaseOrderRow]):
    """Purchase orders with their status, objectVersion and fulfilment."""

    name = "paycore.purchase_orders"
    table = PURCHASE_ORDERS
    aggregate_topics = "paycore.PurchaseOrder."
    changes: ClassVar[Mapping[str, Callable[[Any, Any], Any]]] = {
        "paycore.PurchaseOrder.Drafted": _po_drafted,
        "paycore.PurchaseOrder.StatusChanged": _new_status,
        "paycore.PurchaseOrder.Edited": _po_edited,
        "paycore.PurchaseOrder.FulfilmentRecorded": _po_fulfilment,
    }


#: Attributes of every event that have columns of their own in the audit trail.
_METADATA = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "actor",
        "source",
        "correlation_id",
        "causation_id",
    }
)


_JSON_NATIVE = frozenset({str, int, bool, float, type(None)})


def plain(value: Any) -> Any:
    """A value of an event as JSON-native data: amounts and ids as text, times as ISO
    8601, value objects as dicts of their fields."""
    if isinstance(value, Money):
        return str(value.amount)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if attrs.has(type(value)):
        return plain(attrs.asdict(value, recurse=False))
    return _plain_scalar(value)


def _plain_scalar(value: Any) -> Any:
    if isinstance(value, Enum):
        value = value.value
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (str, Decimal, UUID)):
        return str(value)
    msg = f"an event field of type {type(value).__name__} has no audit form"
    raise TypeError(msg)


def audit_event(recorded: Recorded) -> AuditEvent:
    """The audit-trail row of one recorded event."""
    e = recorded.event
    return AuditEvent(
        position=recorded.position,
        aggregate_id=e.originator_id,
        aggregate_type=recorded.topic.split(".")[1],
        version=e.originator_version,
        event_type=recorded.topic,
        recorded_at=e.timestamp,
        actor=e.actor,
        source=e.source,
        correlation_id=e.correlation_id,
        causation_id=e.causation_id,
        fields={
            k: v if type(v) in _JSON_NATIVE else plain(v)
            for k, v in vars(e).items()
            if k not in _METADATA
        },
    )


class AuditTrailView(View):
    """Every event, flattened with its metadata."""

    name = "paycore.audit_trail"
    tables = (AUDIT_TRAIL,)

    def project(self, batch: Sequence[Recorded], rows: Rows) -> None:
        for recorded in batch:
            rows.put(AUDIT_TRAIL, audit_event(recorded))


def read_models() -> list[View]:
    """The views a projector keeps by default (the hash chain comes with them)."""
    return [CardsView(), InvoicesView(), PaymentsView(), PurchaseOrdersView(), AuditTrailView()]

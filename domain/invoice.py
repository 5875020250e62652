"""Invoice (Bharat Connect B2B): the buyer's response, payments against it, and notes.

Outstanding = total + confirmed debit notes - confirmed credit notes - settled payments
- payments in flight (reserved). It never goes below zero.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, ClassVar, Protocol, Self, TypeVar
from uuid import UUID

import attrs
from eventsourcing.domain import event

from paycore.domain.aggregate import (
    Lifecycle,
    ObjectVersion,
    PaycoreAggregate,
    Typed,
    VersionedObject,
    table,
    upcast_adding,
)
from paycore.domain.arguments import check_b2b_text
from paycore.domain.b2b import DOCUMENT_NUMBER_LENGTH, check_format, id_from
from paycore.domain.errors import (
    CdNoteError,
    CdNoteExceedsOutstanding,
    InvoiceHasPayments,
    InvoiceIdFormat,
    InvoiceNotPayable,
    InvoiceNumberFormat,
    InvoiceOverpayment,
    InvoiceTransitionError,
)
from paycore.domain.money import Money, rupees, total
from paycore.domain.values import Immutable

#: How many letters or digits follow ``INV`` in an invoice objectId.
INVOICE_ID_LENGTH = 32
INVOICE_ID = re.compile(rf"INV[A-Za-z0-9]{{{INVOICE_ID_LENGTH}}}")


class InvoiceStatus(StrEnum):
    CREATED = "CREATED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    RETURNED = "RETURNED"
    CANCELLED = "CANCELLED"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"


class BuyerResponse(StrEnum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    RETURN = "RETURN"


class NoteType(StrEnum):
    CREDIT = "CREDIT"
    DEBIT = "DEBIT"


_I = InvoiceStatus
INVOICE_LIFECYCLE = Lifecycle(
    name="invoice",
    moves=table(
        {
            _I.CREATED: {_I.ACCEPTED, _I.REJECTED, _I.RETURNED, _I.CANCELLED},
            _I.RETURNED: {_I.CREATED, _I.CANCELLED},
            _I.ACCEPTED: {_I.PARTIALLY_PAID, _I.PAID, _I.CANCELLED},
            _I.PARTIALLY_PAID: {_I.PARTIALLY_PAID, _I.PAID},
        }
    ),
    error=InvoiceTransitionError,
)
RESPONSE_STATUS = {
    BuyerResponse.ACCEPT: _I.ACCEPTED,
    BuyerResponse.REJECT: _I.REJECTED,
    BuyerResponse.RETURN: _I.RETURNED,
}
PAYABLE = frozenset({_I.ACCEPTED, _I.PARTIALLY_PAID})
NOTES_ALLOWED = frozenset({_I.CREATED, _I.RETURNED, _I.ACCEPTED, _I.PARTIALLY_PAID})


@attrs.frozen
class CdNote(Immutable):
    note_type: NoteType = attrs.field(converter=NoteType)
    amount: Money
    confirmed: bool = False


def confirmed_total(notes: Iterable[CdNote], note_type: NoteType) -> Money:
    """The sum of the confirmed notes of one type: a note counts only once confirmed."""
    return total(n.amount for n in notes if n.confirmed and n.note_type is note_type)


class _Amount(Protocol):
    def __add__(self, other: Self, /) -> Self: ...
    def __sub__(self, other: Self, /) -> Self: ...


A = TypeVar("A", bound=_Amount)


def outstanding_of(total: A, debit_notes: A, credit_notes: A, settled: A, reserved: A) -> A:
    """What is still to pay on an invoice: total + confirmed debit notes - confirmed
    credit notes - settled payments - payments in flight.

    The invoice works it out in :class:`Money`, which never goes below zero; a view may
    pass the plain Decimals of its rows."""
    return total + debit_notes - credit_notes - settled - reserved


class Invoice(PaycoreAggregate, VersionedObject):
    TOPIC = "paycore.Invoice"

    class Event(PaycoreAggregate.Event):
        TOPIC = "paycore.Invoice.Event"

    class Created(Event, PaycoreAggregate.Created):
        TOPIC = "paycore.Invoice.Created"

    OBJECT_KIND: ClassVar[str] = "invoice"
    #: Enum-typed however the aggregate was restored (a snapshot stores strings).
    status = Typed(InvoiceStatus)
    #: Version 2 keeps ``reserved`` as a running total; a snapshot taken before has none.
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["reserved"] = total(state["reservations"].values())

    @staticmethod
    def create_id(object_id: str) -> UUID:
        return id_from("invoice", object_id)

    @staticmethod
    def check_object_id(object_id: object) -> str:
        return check_format(object_id, INVOICE_ID, InvoiceIdFormat, "object_id")

    @staticmethod
    def check_number(number: object) -> str:
        return check_b2b_text(
            number, "supplier_invoice_number", DOCUMENT_NUMBER_LENGTH, InvoiceNumberFormat
        )

    class Received(Created):
        """An invoice from the platform; every invoice starts CREATED."""

        TOPIC = "paycore.Invoice.Received"
        class_version = 2
        object_id: str
        supplier_invoice_number: str
        total: Money
        allows_partial: bool
        buyer_b2b_id: str
        supplier_b2b_id: str
        object_version: int
        status: str = InvoiceStatus.CREATED
        upcast_v1_v2 = upcast_adding(status=_I.CREATED)

        def apply(self, invoice: Invoice) -> None:
            invoice.status = InvoiceStatus(self.status)

    @event(Received)
    def __init__(
        self,
        object_id: str,
        supplier_invoice_number: str,
        total: Money,
        allows_partial: bool,
        buyer_b2b_id: str,
        supplier_b2b_id: str,
        object_version: int,
    ) -> None:
        self.object_id = object_id
        self.supplier_invoice_number = supplier_invoice_number
        self.total = total
        self.allows_partial = allows_partial
        self.buyer_b2b_id = buyer_b2b_id
        self.supplier_b2b_id = supplier_b2b_id
        self.object_version = object_version
        #: Set from the event by :meth:`Received.apply`.
        #: Running totals, kept by the events that move money, so that no command
        #: sums the invoice's history: what was paid, and what is held for payments in
        #: flight (the sum of ``reservations``).
        self.settled = Money.ZERO
        self.reserved = Money.ZERO
        self.reservations: dict[str, Money] = {}
        self.notes: dict[str, CdNote] = {}

    # Amounts.

    def _confirmed_notes(self, note_type: NoteType) -> Money:
        return confirmed_total(self.notes.values(), note_type)

    @property
    def owed(self) -> Money:
        """Total plus confirmed debit notes minus confirmed credit notes."""
        return (
            self.total
            + self._confirmed_notes(NoteType.DEBIT)
            - self._confirmed_notes(NoteType.CREDIT)
        )

    @property
    def outstanding(self) -> Money:
        return outstanding_of(
            self.total,
            self._confirmed_notes(NoteType.DEBIT),
            self._confirmed_notes(NoteType.CREDIT),
            self.settled,
            self.reserved,
        )

    @property
    def is_payable(self) -> bool:
        return self.status in PAYABLE

    # The buyer's response and the supplier's changes.

    def respond(self, response: BuyerResponse, remarks: str, version: ObjectVersion | None) -> None:
        object_version = self.next_object_version(version)
        status = RESPONSE_STATUS[response]
        INVOICE_LIFECYCLE.check(self.status, status, invoice=self.object_id)
        self._responded(status=status, remarks=remarks, object_version=object_version)

    class Responded(Event):
        TOPIC = "paycore.Invoice.Responded"
        status: str
        remarks: str
        object_version: int

    @event(Responded)
    def _responded(self, status: str, remarks: str, object_version: int) -> None:
        self.status = InvoiceStatus(status)
        self.object_version = object_version

    def edit(
        self,
        supplier_invoice_number: str,
        total: Money,
        allows_partial: bool,
        version: ObjectVersion | None,
    ) -> None:
        """A returned invoice, edited by the supplier, is CREATED again."""
        object_version = self.next_object_version(version)
        INVOICE_LIFECYCLE.check(self.status, _I.CREATED, invoice=self.object_id)
        credits = self._confirmed_notes(NoteType.CREDIT)
        if total + self._confirmed_notes(NoteType.DEBIT) < credits + self.settled + self.reserved:
            msg = (
                f"a total of {rupees(total)} is less than the {rupees(credits)} of confirmed "
                f"credit notes and payments on invoice {self.object_id}; the outstanding "
                "would be negative"
            )
            raise CdNoteExceedsOutstanding(msg, invoice=self.object_id, total=str(total))
        self._edited(
            supplier_invoice_number=supplier_invoice_number,
            total=total,
            allows_partial=allows_partial,
            object_version=object_version,
            status=_I.CREATED,
        )

    class Edited(Event):
        TOPIC = "paycore.Invoice.Edited"
        class_version = 2
        supplier_invoice_number: str
        total: Money
        allows_partial: bool
        object_version: int
        status: str
        upcast_v1_v2 = upcast_adding(status=_I.CREATED)

    @event(Edited)
    def _edited(
        self,
        supplier_invoice_number: str,
        total: Money,
        allows_partial: bool,
        object_version: int,
        status: str,
    ) -> None:
        self.supplier_invoice_number = supplier_invoice_number
        self.total = total
        self.allows_partial = allows_partial
        self.object_version = object_version
        self.status = InvoiceStatus(status)

    def cancel(self, remarks: str, version: ObjectVersion | None) -> None:
        """The supplier may cancel before any payment is made or in flight."""
        object_version = self.next_object_version(version)
        INVOICE_LIFECYCLE.check(self.status, _I.CANCELLED, invoice=self.object_id)
        if self.settled or self.reservations:
            msg = (
                f"invoice {self.object_id} has payments settled ({rupees(self.settled)}) or in "
                f"flight ({rupees(self.reserved)}); it can no longer be cancelled"
            )
            raise InvoiceHasPayments(msg, invoice=self.object_id)
        self._cancelled(remarks=remarks, object_version=object_version, status=_I.CANCELLED)

    class Cancelled(Event):
        TOPIC = "paycore.Invoice.Cancelled"
        class_version = 2
        remarks: str
        object_version: int
        status: str
        upcast_v1_v2 = upcast_adding(status=_I.CANCELLED)

    @event(Cancelled)
    def _cancelled(self, remarks: str, object_version: int, status: str) -> None:
        self.status = InvoiceStatus(status)
        self.object_version = object_version

    # Payments.

    def require_payable(self) -> None:
        if not self.is_payable:
            msg = (
                f"invoice {self.object_id} is {self.status}; only accepted invoices "
                f"({', '.join(sorted(PAYABLE))}) can be paid"
            )
            raise InvoiceNotPayable(msg, invoice=self.object_id, status=str(self.status))

    def reserve(self, payment_id: UUID, amount: Money) -> None:
        """Holds ``amount`` for an authorised payment; never beyond the outstanding."""
        self.require_payable()
        if amount > self.outstanding:
            msg = (
                f"{rupees(amount)} is more than the {rupees(self.outstanding)} outstanding "
                f"on invoice {self.object_id}"
            )
            raise InvoiceOverpayment(
                msg,
                invoice=self.object_id,
                amount=str(amount),
                outstanding=str(self.outstanding),
            )
        self._reserved(payment_id=str(payment_id), amount=amount)

    class PaymentReserved(Event):
        TOPIC = "paycore.Invoice.PaymentReserved"
        payment_id: str
        amount: Money

    @event(PaymentReserved)
    def _reserved(self, payment_id: str, amount: Money) -> None:
        self.reservations[payment_id] = amount
        self.reserved += amount

    def release(self, payment_id: UUID) -> None:
        if str(payment_id) in self.reservations:
            self._released(payment_id=str(payment_id))

    class ReservationReleased(Event):
        TOPIC = "paycore.Invoice.ReservationReleased"
        payment_id: str

    @event(ReservationReleased)
    def _released(self, payment_id: str) -> None:
        self.reserved -= self.reservations.pop(payment_id)

    def settle(self, payment_id: UUID) -> None:
        """The reserved amount of a payment that succeeded is now paid."""
        amount = self.reservations.get(str(payment_id))
        if amount is None:
            msg = f"payment {payment_id} holds no reservation on invoice {self.object_id}"
            raise InvoiceNotPayable(msg, invoice=self.object_id, payment_id=str(payment_id))
        status = self._status_after(settled=self.settled + amount, reserved=self.reserved - amount)
        INVOICE_LIFECYCLE.check(self.status, status, invoice=self.object_id)
        self._settled(payment_id=str(payment_id), status=status)

    class PaymentSettled(Event):
        TOPIC = "paycore.Invoice.PaymentSettled"
        payment_id: str
        status: str

    @event(PaymentSettled)
    def _settled(self, payment_id: str, status: str) -> None:
        amount = self.reservations.pop(payment_id)
        self.settled += amount
        self.reserved -= amount
        self.status = InvoiceStatus(status)

    def _status_after(self, settled: Money, reserved: Money) -> InvoiceStatus:
        if settled and not reserved and settled == self.owed:
            return _I.PAID
        return _I.PARTIALLY_PAID if settled else self.status

    # Credit and debit notes.

    def receive_note(self, note_id: str, note_type: NoteType, amount: Money) -> None:
        self._check_notes_allowed()
        if note_id in self.notes:
            msg = f"note {note_id} is already recorded on invoice {self.object_id}"
            raise CdNoteError(msg, note_id=note_id)
        self._note_received(note_id=note_id, note_type=note_type, amount=amount)

    class CdNoteReceived(Event):
        TOPIC = "paycore.Invoice.CdNoteReceived"
        note_id: str
        note_type: str
        amount: Money

    @event(CdNoteReceived)
    def _note_received(self, note_id: str, note_type: str, amount: Money) -> None:
        self.notes[note_id] = CdNote(note_type, amount)

    def confirm_note(self, note_id: str) -> None:
        """A note adjusts the outstanding only once confirmed, and never below zero."""
        self._check_notes_allowed()
        note = self.notes.get(note_id)
        if note is None or note.confirmed:
            state = "already confirmed" if note else "not recorded"
            msg = f"note {note_id} is {state} on invoice {self.object_id}"
            raise CdNoteError(msg, note_id=note_id)
        if note.note_type is NoteType.CREDIT and note.amount > self.outstanding:
            msg = (
                f"credit note {note_id} of {rupees(note.amount)} exceeds the "
                f"{rupees(self.outstanding)} outstanding on invoice {self.object_id}"
            )
            raise CdNoteExceedsOutstanding(
                msg, note_id=note_id, amount=str(note.amount), outstanding=str(self.outstanding)
            )
        if note.note_type is NoteType.DEBIT:
            owed = self.owed + note.amount
        else:
            owed = self.owed - note.amount
        fully_paid = self.settled and not self.reserved and self.settled == owed
        status = _I.PAID if fully_paid else self.status
        self._note_confirmed(note_id=note_id, status=status)

    class CdNoteConfirmed(Event):
        TOPIC = "paycore.Invoice.CdNoteConfirmed"
        note_id: str
        status: str

    @event(CdNoteConfirmed)
    def _note_confirmed(self, note_id: str, status: str) -> None:
        self.notes[note_id] = attrs.evolve(self.notes[note_id], confirmed=True)
        self.status = InvoiceStatus(status)

    def _check_notes_allowed(self) -> None:
        if self.status not in NOTES_ALLOWED:
            msg = f"invoice {self.object_id} is {self.status}; notes no longer apply to it"
            raise CdNoteError(msg, invoice=self.object_id, status=str(self.status))

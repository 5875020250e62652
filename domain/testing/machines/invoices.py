"""The invoice machine: the buyer's response, the supplier's edits and cancellation,
credit and debit notes, and objectVersions, against a model of each invoice."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, invariant, precondition, rule

from paycore.domain import errors
from paycore.domain.core import PaymentsCore
from paycore.domain.invoice import Invoice, NoteType
from paycore.domain.money import Money, MoneyError
from paycore.domain.testing import strategies
from paycore.domain.testing.machines.base import (
    INVOICE_TOTALS,
    VERSIONS,
    PaycoreMachine,
    _message_version,
    _object_id,
    _refusals,
)


@dataclass
class InvoiceModel:
    total: Decimal
    allows_partial: bool
    status: str = "CREATED"
    object_version: int = 1
    notes: dict[str, tuple[NoteType, Decimal]] = field(default_factory=dict)
    confirmed: set[str] = field(default_factory=set)
    settled: Decimal = Decimal(0)
    reservations: dict[UUID, Decimal] = field(default_factory=dict)

    def confirmed_notes(self, note_type: NoteType) -> Decimal:
        notes = (self.notes[n] for n in self.confirmed)
        return sum((amount for kind, amount in notes if kind is note_type), Decimal(0))

    @property
    def owed(self) -> Decimal:
        return (
            self.total
            + self.confirmed_notes(NoteType.DEBIT)
            - self.confirmed_notes(NoteType.CREDIT)
        )

    @property
    def reserved(self) -> Decimal:
        return sum(self.reservations.values(), Decimal(0))

    @property
    def outstanding(self) -> Decimal:
        return self.owed - self.settled - self.reserved

    @property
    def payable(self) -> bool:
        return self.status in {"ACCEPTED", "PARTIALLY_PAID"}

    def status_after_payment(self) -> str:
        paid = self.settled and not self.reservations and self.settled == self.owed
        return "PAID" if paid else ("PARTIALLY_PAID" if self.settled else self.status)


#: Statuses an invoice's supplier may still cancel from (before any payment).
CANCELLABLE = frozenset({"CREATED", "RETURNED", "ACCEPTED"})
NOTES_APPLY = frozenset({"CREATED", "RETURNED", "ACCEPTED", "PARTIALLY_PAID"})


class InvoiceMachine(PaycoreMachine):
    """Invoices: the buyer's response, supplier edits and cancellation, notes, objectVersions."""

    TERMINAL: ClassVar[frozenset[str]] = frozenset({"REJECTED", "CANCELLED", "PAID"})
    invoices = Bundle("invoices")

    def __init__(self, core: PaymentsCore | None = None) -> None:
        super().__init__(core)
        self.invoice_model: dict[UUID, InvoiceModel] = {}
        self.object_ids: dict[UUID, str] = {}
        self.notes = 0

    def statuses(self) -> dict[str, str]:
        return {f"invoice {i}": str(self.live_state(i).status) for i in self.invoice_model}

    @initialize(target=invoices, total=INVOICE_TOTALS, allows_partial=st.booleans())
    def start_with_an_invoice(self, total: Money, allows_partial: bool) -> UUID:
        return self.receive(total, allows_partial)

    @rule(target=invoices, total=INVOICE_TOTALS, allows_partial=st.booleans())
    def receive_invoice(self, total: Money, allows_partial: bool) -> UUID:
        return self.receive(total, allows_partial)

    def receive(self, total: Money, allows_partial: bool) -> UUID:
        object_id = _object_id("INV")
        invoice_id = self.deliver(object_id, total, allows_partial)
        self.invoice_model[invoice_id] = InvoiceModel(total.amount, allows_partial)
        self.object_ids[invoice_id] = object_id
        self.aggregates.append(invoice_id)
        return invoice_id

    def deliver(self, object_id: str, total: Money, allows_partial: bool) -> UUID:
        """The supplier's invoice message, as the webhook inbox would pass it on."""
        return self.core.receive_invoice(
            object_id,
            "SUP-1",
            total,
            allows_partial=allows_partial,
            buyer_b2b_id="BUYER",
            supplier_b2b_id="SUPPLIER",
        )

    @rule(invoice_id=invoices)
    def redelivered_invoice_is_not_a_duplicate(self, invoice_id: UUID) -> None:
        object_id = self.object_ids[invoice_id]
        self.run({errors.AlreadyExists}, lambda: self.deliver(object_id, Money("1.00"), True))

    @rule(
        invoice_id=invoices,
        response=strategies.buyer_responses(),
        version=VERSIONS,
    )
    def respond(self, invoice_id: UUID, response: str, version: str) -> None:
        invoice = self.invoice_model[invoice_id]
        given, refusals = _message_version(invoice.object_version, version)
        refusals |= _refusals((invoice.status != "CREATED", errors.InvoiceTransitionError))
        command = lambda: self.core.respond_to_invoice(  # noqa: E731
            invoice_id, response, "remarks", object_version=given
        )
        self.run(refusals, command)
        if not refusals:
            invoice.status = {"ACCEPT": "ACCEPTED", "REJECT": "REJECTED", "RETURN": "RETURNED"}[
                response
            ]
            invoice.object_version += 1

    @precondition(
        lambda self: any(m.status in {"CREATED", "RETURNED"} for m in self.invoice_model.values())
    )
    @rule(data=st.data(), response=st.sampled_from(["ACCEPT", "RETURN"]), total=INVOICE_TOTALS)
    def move_an_invoice_on(self, data: st.DataObject, response: str, total: Money) -> None:
        """The buyer accepts or returns a new invoice; the supplier edits a returned one."""
        invoice_id = data.draw(
            st.sampled_from(
                [i for i, m in self.invoice_model.items() if m.status in {"CREATED", "RETURNED"}]
            )
        )
        if self.invoice_model[invoice_id].status == "CREATED":
            self.respond(invoice_id, response, "next")
        else:
            self.edit(invoice_id, total, allows_partial=True)

    @rule(invoice_id=invoices, total=INVOICE_TOTALS, allows_partial=st.booleans())
    def edit(self, invoice_id: UUID, total: Money, allows_partial: bool) -> None:
        """A returned invoice, edited, is CREATED again; its notes still never overpay it."""
        invoice = self.invoice_model[invoice_id]
        owed_after = invoice.owed - invoice.total + total.amount
        refusals = _refusals(
            (invoice.status != "RETURNED", errors.InvoiceTransitionError),
            (owed_after < invoice.settled + invoice.reserved, errors.CdNoteExceedsOutstanding),
        )
        command = lambda: self.core.edit_invoice(  # noqa: E731
            invoice_id, "SUP-1-EDITED", total, allows_partial=allows_partial
        )
        self.run(refusals, command)
        if not refusals:
            invoice.total, invoice.allows_partial = total.amount, allows_partial
            invoice.status, invoice.object_version = "CREATED", invoice.object_version + 1

    @rule(invoice_id=invoices)
    def cancel(self, invoice_id: UUID) -> None:
        """The supplier may cancel before any payment is settled or in flight."""
        invoice = self.invoice_model[invoice_id]
        refusals = _refusals(
            (invoice.status not in CANCELLABLE, errors.InvoiceTransitionError),
            (bool(invoice.settled or invoice.reservations), errors.InvoiceHasPayments),
        )
        self.run(refusals, lambda: self.core.cancel_invoice(invoice_id, "withdrawn"))
        if not refusals:
            invoice.status, invoice.object_version = "CANCELLED", invoice.object_version + 1

    @rule(invoice_id=invoices, note_type=strategies.note_types(), amount=INVOICE_TOTALS)
    def receive_note(self, invoice_id: UUID, note_type: NoteType, amount: Money) -> None:
        invoice = self.invoice_model[invoice_id]
        self.notes += 1
        note_id = f"CDN{self.notes}"
        refusals = _refusals((invoice.status not in NOTES_APPLY, errors.CdNoteError))
        command = lambda: self.core.receive_cd_note(  # noqa: E731
            invoice_id, note_id, note_type, amount
        )
        self.run(refusals, command)
        if not refusals:
            invoice.notes[note_id] = (note_type, amount.amount)

    @precondition(lambda self: any(m.notes for m in self.invoice_model.values()))
    @rule(data=st.data())
    def confirm_note(self, data: st.DataObject) -> None:
        """A note counts once confirmed; a credit note never takes the outstanding below zero."""
        invoice_id, note_id = data.draw(
            st.sampled_from(
                [(i, n) for i, m in self.invoice_model.items() for n in sorted(m.notes)]
            )
        )
        invoice = self.invoice_model[invoice_id]
        note_type, amount = invoice.notes[note_id]
        refusals = _refusals(
            (invoice.status not in NOTES_APPLY or note_id in invoice.confirmed, errors.CdNoteError),
            (
                note_type is NoteType.CREDIT and amount > invoice.outstanding,
                errors.CdNoteExceedsOutstanding,
            ),
        )
        self.run(refusals, lambda: self.core.confirm_cd_note(invoice_id, note_id))
        if not refusals:
            invoice.confirmed.add(note_id)
            if invoice.settled:
                invoice.status = invoice.status_after_payment()

    @invariant()
    def outstanding_never_goes_below_zero(self) -> None:
        """An invoice's outstanding is never below zero."""
        for invoice_id in self.invoice_model:
            outstanding = _reported_outstanding(self.live_state(invoice_id))
            assert outstanding >= 0, f"invoice {invoice_id} has {outstanding} outstanding"

    @invariant()
    def reserved_and_settled_never_exceed_what_is_owed(self) -> None:
        """Reserved plus settled never exceed total + debit notes - credit notes."""
        for invoice_id in self.invoice_model:
            invoice = self.live_state(invoice_id)
            reserved = sum((m.amount for m in invoice.reservations.values()), Decimal(0))
            paid, owed = invoice.settled.amount + reserved, _owed(invoice)
            assert paid <= owed, f"invoice {invoice_id}: {paid} paid or in flight, {owed} owed"

    @invariant()
    def invoices_agree_with_the_model(self) -> None:
        """Each invoice's status, objectVersion, total and payments are those predicted."""
        for invoice_id, model in self.invoice_model.items():
            live = self.live_state(invoice_id)
            reservations = {UUID(p): m.amount for p, m in live.reservations.items()}
            assert (
                str(live.status),
                live.object_version,
                live.total.amount,
                live.settled.amount,
                reservations,
            ) == (
                model.status,
                model.object_version,
                model.total,
                model.settled,
                model.reservations,
            ), f"invoice {invoice_id}"


def _owed(invoice: Invoice) -> Decimal:
    """Total + confirmed debit notes - confirmed credit notes."""
    notes = [n for n in invoice.notes.values() if n.confirmed]
    debits = sum((n.amount.amount for n in notes if n.note_type is NoteType.DEBIT), Decimal(0))
    credits = sum((n.amount.amount for n in notes if n.note_type is NoteType.CREDIT), Decimal(0))
    return invoice.total.amount + debits - credits


def _reported_outstanding(invoice: Invoice) -> Decimal:
    """The outstanding the invoice itself reports (and decides by)."""
    try:
        return invoice.outstanding.amount
    except MoneyError:  # Money cannot hold a negative amount: the outstanding is below zero
        return _owed(invoice) - invoice.settled.amount - invoice.reserved.amount

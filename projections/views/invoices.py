"""The invoices view: each invoice's status, total, notes, and its outstanding and
reserved amounts, derived by the domain's own functions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from paycore.domain.invoice import CdNote, Invoice, NoteType, confirmed_total, outstanding_of
from paycore.domain.money import Money
from paycore.projections.tables import Table
from paycore.projections.views.base import (
    ZERO,
    AggregateView,
    Handler,
    change,
    created,
    new_status,
    replace,
)


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


INVOICES = Table("paycore_invoices", InvoiceRow, key=("invoice_id",), group="invoice_id")


def _amounts(row: InvoiceRow) -> InvoiceRow:
    """The row with its reserved and outstanding amounts worked out again (the note
    totals change only when a note is confirmed)."""
    reserved = sum((Decimal(a) for a in row.reservations.values()), ZERO)
    outstanding = outstanding_of(
        row.total, row.debit_notes, row.credit_notes, row.settled, reserved
    )
    return replace(row, reserved=reserved, outstanding=outstanding)


def _received(e: Invoice.Received) -> InvoiceRow:
    row = InvoiceRow(
        invoice_id=e.originator_id,
        object_id=e.object_id,
        supplier_invoice_number=e.supplier_invoice_number,
        buyer_b2b_id=e.buyer_b2b_id,
        supplier_b2b_id=e.supplier_b2b_id,
        status=str(e.status),
        object_version=e.object_version,
        allows_partial=e.allows_partial,
        total=e.total.amount,
        debit_notes=ZERO,
        credit_notes=ZERO,
        settled=ZERO,
        reserved=ZERO,
        outstanding=ZERO,
        reservations={},
        notes={},
        version=e.originator_version,
        updated_at=e.timestamp,
    )
    return _amounts(row)


def _edited(row: InvoiceRow, e: Invoice.Edited) -> InvoiceRow:
    edited = replace(
        row,
        supplier_invoice_number=e.supplier_invoice_number,
        total=e.total.amount,
        allows_partial=e.allows_partial,
        object_version=e.object_version,
        status=str(e.status),
    )
    return _amounts(edited)


def _reserved(row: InvoiceRow, e: Invoice.PaymentReserved) -> InvoiceRow:
    reservations = {**row.reservations, e.payment_id: str(e.amount.amount)}
    return _amounts(replace(row, reservations=reservations))


def _released(row: InvoiceRow, e: Invoice.ReservationReleased) -> InvoiceRow:
    reservations = {k: v for k, v in row.reservations.items() if k != e.payment_id}
    return _amounts(replace(row, reservations=reservations))


def _settled(row: InvoiceRow, e: Invoice.PaymentSettled) -> InvoiceRow:
    reservations = dict(row.reservations)
    settled = row.settled + Decimal(reservations.pop(e.payment_id))
    return _amounts(replace(row, reservations=reservations, settled=settled, status=str(e.status)))


def _note_received(row: InvoiceRow, e: Invoice.CdNoteReceived) -> InvoiceRow:
    note = {"note_type": str(e.note_type), "amount": str(e.amount.amount), "confirmed": False}
    return replace(row, notes={**row.notes, e.note_id: note})


def _note_confirmed(row: InvoiceRow, e: Invoice.CdNoteConfirmed) -> InvoiceRow:
    note = {**row.notes[e.note_id], "confirmed": True}
    notes = {**row.notes, e.note_id: note}
    kept = [CdNote(n["note_type"], Money(n["amount"]), n["confirmed"]) for n in notes.values()]
    confirmed = replace(
        row,
        notes=notes,
        status=str(e.status),
        debit_notes=confirmed_total(kept, NoteType.DEBIT).amount,
        credit_notes=confirmed_total(kept, NoteType.CREDIT).amount,
    )
    return _amounts(confirmed)


class InvoicesView(AggregateView[InvoiceRow]):
    """Invoices with their status, total, outstanding and reserved amounts."""

    name = "paycore.invoices"
    table = INVOICES
    aggregate = Invoice
    changes: ClassVar[Mapping[str, Handler]] = dict(
        [
            created(Invoice.Received, _received),
            change(Invoice.Responded, new_status),
            change(Invoice.Edited, _edited),
            change(Invoice.Cancelled, new_status),
            change(Invoice.PaymentReserved, _reserved),
            change(Invoice.ReservationReleased, _released),
            change(Invoice.PaymentSettled, _settled),
            change(Invoice.CdNoteReceived, _note_received),
            change(Invoice.CdNoteConfirmed, _note_confirmed),
        ]
    )

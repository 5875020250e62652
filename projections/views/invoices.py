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
    Fields,
    Handler,
    Recorded,
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


def _outstanding(row: InvoiceRow, **changes: Any) -> InvoiceRow:
    """The row with ``changes`` and its outstanding amount worked out again."""
    changed = replace(row, **changes)
    outstanding = outstanding_of(
        changed.total,
        changed.debit_notes,
        changed.credit_notes,
        changed.settled,
        changed.reserved,
    )
    return replace(changed, outstanding=outstanding)


def _received(recorded: Recorded) -> InvoiceRow:
    e = recorded.fields
    total = Decimal(e["total"])
    return InvoiceRow(
        invoice_id=recorded.aggregate_id,
        object_id=e["object_id"],
        supplier_invoice_number=e["supplier_invoice_number"],
        buyer_b2b_id=e["buyer_b2b_id"],
        supplier_b2b_id=e["supplier_b2b_id"],
        status=e["status"],
        object_version=e["object_version"],
        allows_partial=e["allows_partial"],
        total=total,
        debit_notes=ZERO,
        credit_notes=ZERO,
        settled=ZERO,
        reserved=ZERO,
        outstanding=total,
        reservations={},
        notes={},
        version=recorded.version,
        updated_at=recorded.timestamp,
    )


def _edited(row: InvoiceRow, e: Fields) -> InvoiceRow:
    return _outstanding(
        row,
        supplier_invoice_number=e["supplier_invoice_number"],
        total=Decimal(e["total"]),
        allows_partial=e["allows_partial"],
        object_version=e["object_version"],
        status=e["status"],
    )


# The reserved amount is kept as the reservations change, never summed again.


def _reserved(row: InvoiceRow, e: Fields) -> InvoiceRow:
    reservations = {**row.reservations, e["payment_id"]: e["amount"]}
    return _outstanding(
        row, reservations=reservations, reserved=row.reserved + Decimal(e["amount"])
    )


def _released(row: InvoiceRow, e: Fields) -> InvoiceRow:
    reservations = dict(row.reservations)
    held = Decimal(reservations.pop(e["payment_id"]))
    return _outstanding(row, reservations=reservations, reserved=row.reserved - held)


def _settled(row: InvoiceRow, e: Fields) -> InvoiceRow:
    reservations = dict(row.reservations)
    held = Decimal(reservations.pop(e["payment_id"]))
    return _outstanding(
        row,
        reservations=reservations,
        reserved=row.reserved - held,
        settled=row.settled + held,
        status=e["status"],
    )


def _note_received(row: InvoiceRow, e: Fields) -> InvoiceRow:
    note = {"note_type": e["note_type"], "amount": e["amount"], "confirmed": False}
    return replace(row, notes={**row.notes, e["note_id"]: note})


def _note_confirmed(row: InvoiceRow, e: Fields) -> InvoiceRow:
    note = {**row.notes[e["note_id"]], "confirmed": True}
    notes = {**row.notes, e["note_id"]: note}
    kept = [CdNote(n["note_type"], Money(n["amount"]), n["confirmed"]) for n in notes.values()]
    return _outstanding(
        row,
        notes=notes,
        status=e["status"],
        debit_notes=confirmed_total(kept, NoteType.DEBIT).amount,
        credit_notes=confirmed_total(kept, NoteType.CREDIT).amount,
    )


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

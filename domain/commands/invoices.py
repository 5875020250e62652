"""The commands of B2B invoices and their credit and debit notes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from paycore.domain.aggregate import MAX_OBJECT_VERSION
from paycore.domain.arguments import (
    check_b2b_id,
    check_choice,
    check_count,
    check_flag,
    check_id,
    check_object_version,
    check_uuid,
)
from paycore.domain.b2b import check_remarks
from paycore.domain.invoice import BuyerResponse, Invoice, NoteType
from paycore.domain.money import Money
from paycore.domain.runner import CommandRunner, Context, Key, Version


class InvoiceCommands(CommandRunner):
    def get_invoice(self, invoice_id: UUID, version: int | None = None) -> Invoice:
        return self._get(Invoice, invoice_id, version)

    @staticmethod
    def invoice_id(object_id: str) -> UUID:
        """The id paycore gives the invoice with this B2B objectId."""
        return Invoice.create_id(Invoice.check_object_id(object_id))

    def receive_invoice(
        self,
        object_id: str,
        supplier_invoice_number: str,
        total: Money | str,
        *,
        allows_partial: bool = True,
        buyer_b2b_id: str,
        supplier_b2b_id: str,
        object_version: int = 1,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> UUID:
        """Records an invoice a supplier raised; its id follows from its objectId."""
        args: dict[str, Any] = {
            "object_id": Invoice.check_object_id(object_id),
            "supplier_invoice_number": Invoice.check_number(supplier_invoice_number),
            "total": Money.positive(total, "total"),
            "allows_partial": check_flag(allows_partial, "allows_partial"),
            "buyer_b2b_id": check_b2b_id(buyer_b2b_id, "buyer_b2b_id"),
            "supplier_b2b_id": check_b2b_id(supplier_b2b_id, "supplier_b2b_id"),
            "object_version": check_count(
                object_version, "object_version", minimum=1, maximum=MAX_OBJECT_VERSION
            ),
        }
        return self._run(
            "receive_invoice",
            args,
            lambda unit: unit.create(Invoice(**args)).id,
            context,
            idempotency_key,
        )

    def respond_to_invoice(
        self,
        invoice_id: UUID,
        response: BuyerResponse | str,
        remarks: str,
        *,
        object_version: Version = None,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        """The buyer accepts, rejects or returns an invoice."""
        invoice_id = check_uuid(invoice_id, "invoice_id")
        answer = check_choice(BuyerResponse, response, "response")
        remarks = check_remarks(remarks)
        version = check_object_version(object_version)
        self._run(
            "respond_to_invoice",
            {"invoice_id": invoice_id, "response": answer, "remarks": remarks, "version": version},
            lambda unit: unit.get(Invoice, invoice_id).respond(answer, remarks, version),
            context,
            idempotency_key,
        )

    def edit_invoice(
        self,
        invoice_id: UUID,
        supplier_invoice_number: str,
        total: Money | str,
        *,
        allows_partial: bool = True,
        object_version: Version = None,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        invoice_id = check_uuid(invoice_id, "invoice_id")
        number = Invoice.check_number(supplier_invoice_number)
        amount = Money.positive(total, "total")
        partial = check_flag(allows_partial, "allows_partial")
        version = check_object_version(object_version)
        self._run(
            "edit_invoice",
            {
                "invoice_id": invoice_id,
                "number": number,
                "total": amount,
                "partial": partial,
                "version": version,
            },
            lambda unit: unit.get(Invoice, invoice_id).edit(number, amount, partial, version),
            context,
            idempotency_key,
        )

    def cancel_invoice(
        self,
        invoice_id: UUID,
        remarks: str,
        *,
        object_version: Version = None,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        invoice_id = check_uuid(invoice_id, "invoice_id")
        remarks = check_remarks(remarks)
        version = check_object_version(object_version)
        self._run(
            "cancel_invoice",
            {"invoice_id": invoice_id, "remarks": remarks, "version": version},
            lambda unit: unit.get(Invoice, invoice_id).cancel(remarks, version),
            context,
            idempotency_key,
        )

    def receive_cd_note(
        self,
        invoice_id: UUID,
        note_id: str,
        note_type: NoteType | str,
        amount: Money | str,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        """A credit or debit note against an invoice; it counts once confirmed."""
        invoice_id, note_id = check_uuid(invoice_id, "invoice_id"), check_id(note_id, "note_id")
        kind = check_choice(NoteType, note_type, "note_type")
        money = Money.positive(amount, "amount")
        self._run(
            "receive_cd_note",
            {"invoice_id": invoice_id, "note_id": note_id, "type": kind, "amount": money},
            lambda unit: unit.get(Invoice, invoice_id).receive_note(note_id, kind, money),
            context,
            idempotency_key,
        )

    def confirm_cd_note(
        self,
        invoice_id: UUID,
        note_id: str,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        invoice_id, note_id = check_uuid(invoice_id, "invoice_id"), check_id(note_id, "note_id")
        self._run(
            "confirm_cd_note",
            {"invoice_id": invoice_id, "note_id": note_id},
            lambda unit: unit.get(Invoice, invoice_id).confirm_note(note_id),
            context,
            idempotency_key,
        )

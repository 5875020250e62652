"""The commands of purchase orders a buyer raises."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from paycore.domain.aggregate import ObjectVersion
from paycore.domain.arguments import (
    PO_SUBJECT_LENGTH,
    check_b2b_id,
    check_b2b_text,
    check_choice,
    check_object_version,
    check_uuid,
)
from paycore.domain.b2b import check_remarks
from paycore.domain.money import Money
from paycore.domain.purchase_order import PurchaseOrder, SupplierResponse
from paycore.domain.runner import CommandRunner, Context, Key, Version, variant


class PurchaseOrderCommands(CommandRunner):
    def get_purchase_order(self, po_id: UUID, version: int | None = None) -> PurchaseOrder:
        return self._get(PurchaseOrder, po_id, version)

    @staticmethod
    def purchase_order_id(object_id: str) -> UUID:
        """The id paycore gives the purchase order with this B2B objectId."""
        return PurchaseOrder.create_id(PurchaseOrder.check_object_id(object_id))

    def draft_purchase_order(
        self,
        object_id: str,
        buyer_po_number: str,
        subject: str,
        total: Money | str,
        *,
        buyer_b2b_id: str,
        supplier_b2b_id: str,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> UUID:
        args: dict[str, Any] = {
            "object_id": PurchaseOrder.check_object_id(object_id),
            "buyer_po_number": PurchaseOrder.check_number(buyer_po_number),
            "subject": check_b2b_text(subject, "subject", PO_SUBJECT_LENGTH),
            "total": Money.positive(total, "total"),
            "buyer_b2b_id": check_b2b_id(buyer_b2b_id, "buyer_b2b_id"),
            "supplier_b2b_id": check_b2b_id(supplier_b2b_id, "supplier_b2b_id"),
        }
        return self._run(
            "draft_purchase_order",
            args,
            lambda unit: unit.create(PurchaseOrder(**args)).id,
            context,
            idempotency_key,
        )

    def _step(
        self,
        step: Callable[[PurchaseOrder, ObjectVersion | None], None],
        po_id: UUID,
        *,
        object_version: Version = None,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        po_id, version = check_uuid(po_id, "po_id"), check_object_version(object_version)
        self._run(
            f"{step.__name__}_purchase_order",  # the command: send_ or close_purchase_order
            {"po_id": po_id, "version": version},
            lambda unit: step(unit.get(PurchaseOrder, po_id), version),
            context,
            idempotency_key,
        )

    send_purchase_order = variant(
        _step, PurchaseOrder.send, "send_purchase_order", "Sends a draft order to the supplier."
    )
    close_purchase_order = variant(
        _step, PurchaseOrder.close, "close_purchase_order", "Closes a fulfilled order for good."
    )

    def edit_purchase_order(
        self,
        po_id: UUID,
        subject: str,
        total: Money | str,
        *,
        object_version: Version = None,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        """Edits a draft, sent or returned order; a sent or returned one is sent again."""
        po_id, version = check_uuid(po_id, "po_id"), check_object_version(object_version)
        subject = check_b2b_text(subject, "subject", PO_SUBJECT_LENGTH)
        amount = Money.positive(total, "total")
        self._run(
            "edit_purchase_order",
            {"po_id": po_id, "subject": subject, "total": amount, "version": version},
            lambda unit: unit.get(PurchaseOrder, po_id).edit(subject, amount, version),
            context,
            idempotency_key,
        )

    def record_po_response(
        self,
        po_id: UUID,
        response: SupplierResponse | str,
        remarks: str,
        *,
        object_version: Version = None,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        """The supplier accepts, rejects or returns a sent order."""
        po_id, version = check_uuid(po_id, "po_id"), check_object_version(object_version)
        answer = check_choice(SupplierResponse, response, "response")
        remarks = check_remarks(remarks)
        self._run(
            "record_po_response",
            {"po_id": po_id, "response": answer, "remarks": remarks, "version": version},
            lambda unit: unit.get(PurchaseOrder, po_id).record_response(answer, remarks, version),
            context,
            idempotency_key,
        )

    def record_po_fulfilment(
        self,
        po_id: UUID,
        value: Money | str,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        po_id, money = check_uuid(po_id, "po_id"), Money.positive(value, "value")
        self._run(
            "record_po_fulfilment",
            {"po_id": po_id, "value": money},
            lambda unit: unit.get(PurchaseOrder, po_id).record_fulfilment(money),
            context,
            idempotency_key,
        )

    def cancel_purchase_order(
        self,
        po_id: UUID,
        remarks: str,
        *,
        object_version: Version = None,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        po_id, version = check_uuid(po_id, "po_id"), check_object_version(object_version)
        remarks = check_remarks(remarks)
        self._run(
            "cancel_purchase_order",
            {"po_id": po_id, "remarks": remarks, "version": version},
            lambda unit: unit.get(PurchaseOrder, po_id).cancel(remarks, version),
            context,
            idempotency_key,
        )

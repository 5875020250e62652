"""The webhooks paycore receives: one route per path, each a body model and a command.

Paths and bodies follow the EnKash pages, whose examples are the fixtures of
``tests/contract/`` (each run through the inbox there). Where a page shows no path, the
naming pattern of the documented ones is followed (``req-create-invoice``,
``req-edit-invoice``), and the choice is listed in ``docs/remote-api.md``. The body
models are the ``Webhook*`` models of :mod:`paycore.adapters.enkash.models`. A route
either runs one PaymentsCore command (its :class:`WebhookCommand`) or only acknowledges a
response the domain keeps nothing of (``None``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from paycore.adapters.enkash import models as m
from paycore.domain import CommandContext, ObjectVersion, PaymentsCore
from paycore.domain.invoice import Invoice
from paycore.domain.money import Money
from paycore.domain.payment import payment_id_of
from paycore.domain.purchase_order import PurchaseOrder

#: runs the command: (core, audit context, idempotency key)
Run = Callable[[PaymentsCore, CommandContext, str], object]


@dataclass(frozen=True)
class Versioned:
    """The B2B object a message changes, and the objectVersion step it carries."""

    kind: type[Invoice] | type[PurchaseOrder]
    aggregate_id: UUID
    version: ObjectVersion

    @property
    def key(self) -> str:
        return f"{self.kind.__name__}:{self.aggregate_id}"


@dataclass(frozen=True)
class WebhookCommand:
    """The PaymentsCore command a webhook asks for, and the object version it moves."""

    run: Run
    versioned: Versioned | None = None


# -- payments ------------------------------------------------------------------------


#: the ``resp.result`` of a payment the network made; any other result is a failure
PAID = "SUCCESS"


def _payment_response(body: m.WebhookPaymentResponse) -> WebhookCommand:
    payment_id = payment_id_of(body.payment.objectId)
    if body.resp.result == PAID:
        utr = body.payment.utr
        return WebhookCommand(
            lambda core, context, key: core.record_payment_success(
                payment_id, utr, context=context, idempotency_key=key
            )
        )
    reason = f"the platform answered {body.resp.failure()}"
    return WebhookCommand(
        lambda core, context, key: core.record_payment_failure(
            payment_id, reason[:200], context=context, idempotency_key=key
        )
    )


def _payment_confirmation(body: m.WebhookPaymentConfirmationResponse) -> WebhookCommand | None:
    confirmation = body.paymentConfirmation
    if confirmation.supplierResponse == "ACCEPT":
        return None
    payment_id = payment_id_of(confirmation.objectId)
    reason = f"the supplier rejected the payment: {confirmation.supplierRemarks}"
    return WebhookCommand(
        lambda core, context, key: core.record_payment_failure(
            payment_id, reason[:200], context=context, idempotency_key=key
        )
    )


# -- purchase orders -------------------------------------------------------------------


def _order_response(
    object_id: str, response: str, remarks: str, object_version: m.ObjectVersion
) -> WebhookCommand:
    po_id = PaymentsCore.purchase_order_id(object_id)
    version = object_version.to_domain()
    return WebhookCommand(
        lambda core, context, key: core.record_po_response(
            po_id, response, remarks, object_version=version, context=context, idempotency_key=key
        ),
        Versioned(PurchaseOrder, po_id, version),
    )


def _po_confirmation(body: m.WebhookPoConfirmationRequest) -> WebhookCommand:
    c = body.poConfirmation
    return _order_response(c.objectId, c.supplierResponse, c.supplierRemarks, c.objectVersion)


def _po_status(body: m.WebhookPoStatusRequest) -> WebhookCommand:
    """The buyer's cancellation or closing of an order, made on the platform; paycore's
    own change comes back as the same version, and is recorded as stale."""
    s = body.poStatus
    po_id = PaymentsCore.purchase_order_id(s.objectId)
    version = s.objectVersion.to_domain()

    def cancel(core: PaymentsCore, context: CommandContext, key: str) -> None:
        core.cancel_purchase_order(
            po_id, s.buyerRemarks, object_version=version, context=context, idempotency_key=key
        )

    def close(core: PaymentsCore, context: CommandContext, key: str) -> None:
        core.close_purchase_order(po_id, object_version=version, context=context,
                                  idempotency_key=key)  # fmt: skip

    run = cancel if s.buyerAction == "CANCEL" else close
    return WebhookCommand(run, Versioned(PurchaseOrder, po_id, version))


# -- invoices and notes ----------------------------------------------------------------


def _invoice_created(body: m.WebhookInvoiceRequest) -> WebhookCommand:
    invoice, ids = body.invoice, body.b2bIds
    invoice_id = PaymentsCore.invoice_id(invoice.objectId)
    version = invoice.objectVersion.to_domain()
    return WebhookCommand(
        lambda core, context, key: core.receive_invoice(
            invoice.objectId,
            invoice.supplierInvoiceNumber,
            Money(invoice.invoiceAmount.totalAmount),
            allows_partial=invoice.partialPaymentAllowed,
            buyer_b2b_id=ids.buyerB2BId,
            supplier_b2b_id=ids.supplierB2BId,
            object_version=version.new,
            context=context,
            idempotency_key=key,
        ),
        Versioned(Invoice, invoice_id, version),
    )


def _invoice_edited(body: m.WebhookInvoiceRequest) -> WebhookCommand:
    invoice = body.invoice
    invoice_id = PaymentsCore.invoice_id(invoice.objectId)
    version = invoice.objectVersion.to_domain()
    return WebhookCommand(
        lambda core, context, key: core.edit_invoice(
            invoice_id,
            invoice.supplierInvoiceNumber,
            Money(invoice.invoiceAmount.totalAmount),
            allows_partial=invoice.partialPaymentAllowed,
            object_version=version,
            context=context,
            idempotency_key=key,
        ),
        Versioned(Invoice, invoice_id, version),
    )


def _invoice_cancelled(body: m.WebhookInvoiceStatusRequest) -> WebhookCommand:
    status = body.invoiceStatus
    invoice_id = PaymentsCore.invoice_id(status.objectId)
    version = status.objectVersion.to_domain()
    return WebhookCommand(
        lambda core, context, key: core.cancel_invoice(
            invoice_id,
            status.supplierRemarks,
            object_version=version,
            context=context,
            idempotency_key=key,
        ),
        Versioned(Invoice, invoice_id, version),
    )


def _note_received(body: m.WebhookCdNoteRequest) -> WebhookCommand:
    note = body.cdNote
    invoice_id = PaymentsCore.invoice_id(note.invoiceReferenceDetails.objectId)
    return WebhookCommand(
        lambda core, context, key: core.receive_cd_note(
            invoice_id,
            note.objectId,
            note.noteType,
            Money(note.cdNoteValueDetails.totalAmount),
            context=context,
            idempotency_key=key,
        )
    )


# -- the table -------------------------------------------------------------------------

M = TypeVar("M", bound=m.WireResponse)


@dataclass(frozen=True)
class Route:
    """A webhook path: its body model and the command it asks for (None: acknowledge only)."""

    model: type[m.WireResponse]
    command: Callable[[Any], WebhookCommand | None]

    def parse(self, document: object) -> WebhookCommand | None:
        """The command of a body; pydantic's ``ValidationError`` when it is malformed."""
        return self.command(self.model.model_validate(document))


def _route(model: type[M], command: Callable[[M], WebhookCommand | None]) -> Route:
    return Route(model, command)


def _acknowledge(body: m.WebhookResponse) -> None:
    return None


_ACK = _route(m.WebhookResponse, _acknowledge)

ROUTES: dict[str, Route] = {
    "api/v0/payment/resp-pay": _route(m.WebhookPaymentResponse, _payment_response),
    "api/v0/payment/resp-pay-confirmation": _route(
        m.WebhookPaymentConfirmationResponse, _payment_confirmation
    ),
    "api/v0/purchase-order/req-confirm": _route(m.WebhookPoConfirmationRequest, _po_confirmation),
    "api/v0/purchase-order/req-status-change": _route(m.WebhookPoStatusRequest, _po_status),
    "api/v0/purchase-order/resp-send": _ACK,
    "api/v0/purchase-order/resp-edit": _ACK,
    "api/v0/purchase-order/resp-confirm": _ACK,
    "api/v0/purchase-order/resp-status-change": _ACK,
    "api/v0/invoice/req-create-invoice": _route(m.WebhookInvoiceRequest, _invoice_created),
    "api/v0/invoice/req-edit-invoice": _route(m.WebhookInvoiceRequest, _invoice_edited),
    "api/v0/invoice/req-status-change-invoice": _route(
        m.WebhookInvoiceStatusRequest, _invoice_cancelled
    ),
    "api/v0/invoice/resp-confirm-invoice": _ACK,
    "api/v0/invoice/resp-status-change-invoice": _ACK,
    "api/v0/cd-note/req-send": _route(m.WebhookCdNoteRequest, _note_received),
    "api/v0/cd-note/resp-send": _ACK,
    "api/v0/cd-note/resp-confirm": _ACK,
    "api/v0/business-onboarding/respCheckEntity": _ACK,
    "api/v0/business-onboarding/respRegEntity": _ACK,
    "api/v0/business-onboarding/respSearchEntity": _ACK,
}

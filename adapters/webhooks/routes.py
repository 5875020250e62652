"""The webhooks paycore receives: one route per path, each a body model and an effect.

Paths and bodies follow the reference (ref §9.2); where a path is NOT FOUND there, the
naming pattern of the documented ones is followed (``req-create-invoice``,
``req-edit-invoice``, ``req-status-change-invoice``), and the choice is listed in
``docs/sync.md``. A route either runs one PaymentsCore command (its :class:`Effect`) or
only acknowledges a response the domain keeps nothing of (``Effect`` None).
"""

# ruff: noqa: N815  (wire names are mixedCase by the platform's choice)

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.invoice import Invoice
from paycore.domain.purchase_order import PurchaseOrder

#: runs the effect: (core, audit context, idempotency key)
Command = Callable[[PaymentsCore, CommandContext, str], object]


@dataclass(frozen=True)
class Versioned:
    """The B2B object a message changes, and the objectVersion step it carries."""

    kind: type[Invoice] | type[PurchaseOrder]
    aggregate_id: UUID
    current: int
    new: int

    @property
    def key(self) -> str:
        return f"{self.kind.__name__}:{self.aggregate_id}"


@dataclass(frozen=True)
class Effect:
    command: Command
    versioned: Versioned | None = None


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class _Version(_Body):
    currentVersion: int = Field(ge=0)
    newVersion: int = Field(ge=1)

    def pair(self) -> tuple[int, int]:
        return self.currentVersion, self.newVersion


class _Result(_Body):
    result: str = Field(min_length=1)
    errorReason: str | None = None


class _B2BIds(_Body):
    buyerB2BId: str
    supplierB2BId: str


class _Acknowledged(_Body):
    resp: _Result


# -- payments ------------------------------------------------------------------------


def _payment_id(object_id: str) -> UUID:
    """paycore's payment id from its ``PMT`` objectId (``PMT`` + the id's hex)."""
    return UUID(hex=object_id[3:])


PaymentObjectId = Field(pattern=r"^PMT[0-9a-f]{32}$")


class _Payment(_Body):
    objectId: str = PaymentObjectId
    utr: str | None = None


class _PaymentResponse(_Body):
    resp: _Result
    payment: _Payment


def _payment_response(body: _PaymentResponse) -> Effect:
    payment_id = _payment_id(body.payment.objectId)
    if body.resp.result == "SUCCESS" and body.payment.utr:
        utr = body.payment.utr
        return Effect(
            lambda core, context, key: core.record_payment_success(
                payment_id, utr, context=context, idempotency_key=key
            )
        )
    reason = f"the platform answered {body.resp.result}: {body.resp.errorReason or 'no reason'}"
    return Effect(
        lambda core, context, key: core.record_payment_failure(
            payment_id, reason[:200], context=context, idempotency_key=key
        )
    )


class _PaymentConfirmation(_Body):
    objectId: str = PaymentObjectId
    supplierResponse: Literal["ACCEPT", "REJECT"]
    supplierRemarks: str = Field(min_length=1, max_length=100)


class _PaymentConfirmationResponse(_Body):
    resp: _Result
    paymentConfirmation: _PaymentConfirmation


def _payment_confirmation(body: _PaymentConfirmationResponse) -> Effect | None:
    confirmation = body.paymentConfirmation
    if confirmation.supplierResponse == "ACCEPT":
        return None
    payment_id = _payment_id(confirmation.objectId)
    reason = f"the supplier rejected the payment: {confirmation.supplierRemarks}"
    return Effect(
        lambda core, context, key: core.record_payment_failure(
            payment_id, reason[:200], context=context, idempotency_key=key
        )
    )


# -- purchase orders -------------------------------------------------------------------


class _PoConfirmation(_Body):
    objectId: str
    supplierResponse: Literal["ACCEPT", "REJECT", "RETURN"]
    supplierRemarks: str
    objectVersion: _Version


class _PoConfirmationRequest(_Body):
    poConfirmation: _PoConfirmation


def _order_response(object_id: str, response: str, remarks: str, version: _Version) -> Effect:
    po_id = PaymentsCore.purchase_order_id(object_id)
    pair = version.pair()
    return Effect(
        lambda core, context, key: core.record_po_response(
            po_id, response, remarks, object_version=pair, context=context, idempotency_key=key
        ),
        Versioned(PurchaseOrder, po_id, *pair),
    )


def _po_confirmation(body: _PoConfirmationRequest) -> Effect:
    c = body.poConfirmation
    return _order_response(c.objectId, c.supplierResponse, c.supplierRemarks, c.objectVersion)


class _Transition(_Body):
    currentStatus: str
    newStatus: Literal["ACCEPTED", "REJECTED", "RETURNED"]


class _PoStatus(_Body):
    objectId: str
    objectVersion: _Version
    supplierRemarks: str
    poStatusTransition: _Transition


class _PoStatusRequest(_Body):
    poStatus: _PoStatus


_RESPONSE_OF = {"ACCEPTED": "ACCEPT", "REJECTED": "REJECT", "RETURNED": "RETURN"}


def _po_status(body: _PoStatusRequest) -> Effect:
    s = body.poStatus
    response = _RESPONSE_OF[s.poStatusTransition.newStatus]
    return _order_response(s.objectId, response, s.supplierRemarks, s.objectVersion)


# -- invoices and notes ----------------------------------------------------------------


class _InvoiceAmount(_Body):
    totalAmount: Decimal = Field(gt=0)


class _Invoice(_Body):
    objectId: str
    supplierInvoiceNumber: str
    objectVersion: _Version
    invoiceAmount: _InvoiceAmount
    partialPaymentAllowed: bool = True


class _InvoiceRequest(_Body):
    b2bIds: _B2BIds
    invoice: _Invoice


def _invoice_created(body: _InvoiceRequest) -> Effect:
    invoice, ids = body.invoice, body.b2bIds
    invoice_id = PaymentsCore.invoice_id(invoice.objectId)
    current, new = invoice.objectVersion.pair()
    return Effect(
        lambda core, context, key: core.receive_invoice(
            invoice.objectId,
            invoice.supplierInvoiceNumber,
            str(invoice.invoiceAmount.totalAmount),
            allows_partial=invoice.partialPaymentAllowed,
            buyer_b2b_id=ids.buyerB2BId,
            supplier_b2b_id=ids.supplierB2BId,
            object_version=new,
            context=context,
            idempotency_key=key,
        ),
        Versioned(Invoice, invoice_id, current, new),
    )


def _invoice_edited(body: _InvoiceRequest) -> Effect:
    invoice = body.invoice
    invoice_id = PaymentsCore.invoice_id(invoice.objectId)
    pair = invoice.objectVersion.pair()
    return Effect(
        lambda core, context, key: core.edit_invoice(
            invoice_id,
            invoice.supplierInvoiceNumber,
            str(invoice.invoiceAmount.totalAmount),
            allows_partial=invoice.partialPaymentAllowed,
            object_version=pair,
            context=context,
            idempotency_key=key,
        ),
        Versioned(Invoice, invoice_id, *pair),
    )


class _InvoiceStatus(_Body):
    objectId: str
    objectVersion: _Version
    supplierAction: Literal["CANCEL"]
    supplierRemarks: str


class _InvoiceStatusRequest(_Body):
    invoiceStatus: _InvoiceStatus


def _invoice_cancelled(body: _InvoiceStatusRequest) -> Effect:
    status = body.invoiceStatus
    invoice_id = PaymentsCore.invoice_id(status.objectId)
    pair = status.objectVersion.pair()
    return Effect(
        lambda core, context, key: core.cancel_invoice(
            invoice_id,
            status.supplierRemarks,
            object_version=pair,
            context=context,
            idempotency_key=key,
        ),
        Versioned(Invoice, invoice_id, *pair),
    )


class _InvoiceReference(_Body):
    objectId: str


class _NoteValue(_Body):
    totalAmount: Decimal = Field(gt=0)


class _CdNote(_Body):
    objectId: str
    noteType: Literal["CREDIT", "DEBIT"]
    invoiceReferenceDetails: _InvoiceReference
    cdNoteValueDetails: _NoteValue


class _CdNoteRequest(_Body):
    cdNote: _CdNote


def _note_received(body: _CdNoteRequest) -> Effect:
    note = body.cdNote
    invoice_id = PaymentsCore.invoice_id(note.invoiceReferenceDetails.objectId)
    return Effect(
        lambda core, context, key: core.receive_cd_note(
            invoice_id,
            note.objectId,
            note.noteType,
            str(note.cdNoteValueDetails.totalAmount),
            context=context,
            idempotency_key=key,
        )
    )


# -- the table -------------------------------------------------------------------------

M = TypeVar("M", bound=_Body)


@dataclass(frozen=True)
class Route:
    """A webhook path: its body model and what it does (None: acknowledge only)."""

    model: type[_Body]
    effect: Callable[[Any], Effect | None]

    def parse(self, document: object) -> Effect | None:
        """The effect of a body; pydantic's ``ValidationError`` when it is malformed."""
        return self.effect(self.model.model_validate(document))


def _route(model: type[M], effect: Callable[[M], Effect | None]) -> Route:
    return Route(model, effect)


def _acknowledge(body: _Acknowledged) -> None:
    return None


_ACK = _route(_Acknowledged, _acknowledge)

ROUTES: dict[str, Route] = {
    "api/v0/payment/resp-pay": _route(_PaymentResponse, _payment_response),
    "api/v0/payment/resp-pay-confirmation": _route(
        _PaymentConfirmationResponse, _payment_confirmation
    ),
    "api/v0/purchase-order/req-confirm": _route(_PoConfirmationRequest, _po_confirmation),
    "api/v0/purchase-order/req-status-change": _route(_PoStatusRequest, _po_status),
    "api/v0/purchase-order/resp-send": _ACK,
    "api/v0/purchase-order/resp-edit": _ACK,
    "api/v0/purchase-order/resp-confirm": _ACK,
    "api/v0/purchase-order/resp-status-change": _ACK,
    "api/v0/invoice/req-create-invoice": _route(_InvoiceRequest, _invoice_created),
    "api/v0/invoice/req-edit-invoice": _route(_InvoiceRequest, _invoice_edited),
    "api/v0/invoice/req-status-change-invoice": _route(_InvoiceStatusRequest, _invoice_cancelled),
    "api/v0/invoice/resp-confirm-invoice": _ACK,
    "api/v0/invoice/resp-status-change-invoice": _ACK,
    "api/v0/cd-note/req-send": _route(_CdNoteRequest, _note_received),
    "api/v0/cd-note/resp-send": _ACK,
    "api/v0/cd-note/resp-confirm": _ACK,
    "api/v0/business-onboarding/respCheckEntity": _ACK,
    "api/v0/business-onboarding/respRegEntity": _ACK,
    "api/v0/business-onboarding/respSearchEntity": _ACK,
}

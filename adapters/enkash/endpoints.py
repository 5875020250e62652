"""The table of EnKash endpoints that paycore calls: one row per endpoint.

The client and the sandbox both read this table, so a path, an area (which base URL,
whether the body is encrypted), a body model or an envelope variant is written once.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from paycore.adapters.enkash import models as m

Req = TypeVar("Req", bound=m.WireRequest)
Res = TypeVar("Res")


class Area(enum.Enum):
    """A product area: its own base URL; card bodies are encrypted both ways."""

    CARD = "card"
    B2B = "b2b"
    AP = "ap"

    @property
    def encrypted(self) -> bool:
        return self is Area.CARD


class Envelope(enum.Enum):
    """Answer shapes: A (response_code, response_message), B (code, message)."""

    A = ("response_code", "response_message")
    B = ("code", "message")


class Repeat(enum.Enum):
    """When the client may send a call again after an answer that says nothing.

    ``SAFE``: a read or a set-to-a-state; any number of repeats has one effect.
    ``BY_REFERENCE``: the body carries a client reference the platform dedupes by;
    a duplicate answer to a resend means the first attempt was applied.
    ``ONCE``: no reference (or no way to enquire by it): once the request may have
    reached the platform, the outcome is reported as unknown instead.
    """

    SAFE = "safe"
    BY_REFERENCE = "by_reference"
    ONCE = "once"


@dataclass(frozen=True)
class Reply:
    """A successful answer, envelope removed."""

    code: int
    message: str
    payload: Any


@dataclass(frozen=True)
class Endpoint(Generic[Req, Res]):
    name: str
    area: Area
    path: str
    request: type[Req]
    read: Callable[[Reply], Res]
    repeat: Repeat
    envelope: Envelope = Envelope.A
    reference: Callable[[Req], str] | None = None


def acknowledgement(reply: Reply) -> m.Acknowledgement:
    return m.Acknowledgement(code=reply.code, message=reply.message, payload=reply.payload)


W = TypeVar("W", bound=m.WireResponse)


def _one(model: type[W]) -> Callable[[Reply], W]:
    """An answer paycore needs a member of (the new account's or card's id)."""
    return lambda reply: model.model_validate(reply.payload)


def _whatever(model: type[W]) -> Callable[[Reply], W]:
    """An answer the pages do not show, whose code 0 is all paycore needs: an object is
    read for what it holds, anything else gives the model's empty value."""
    return lambda reply: model.model_validate(
        reply.payload if isinstance(reply.payload, dict) else {}
    )


def records(payload: Any) -> list[Any]:
    """The items of an answer that may list several.

    The pages disagree on the card search's answer: one card object (api-24480520) or
    a page ``{recordsCount, data: [...]}`` (api-24480521); a list is read as well.
    """
    if payload is None:
        return []
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict) and isinstance(payload.get("data"), list):
        return list(payload["data"])
    return [payload]


def _all(model: type[W]) -> Callable[[Reply], list[W]]:
    return lambda reply: [model.model_validate(item) for item in records(reply.payload)]


def _object_id(document: str) -> Callable[[Any], str]:
    return lambda request: str(getattr(request, document).objectId)


def _card(
    name: str,
    path: str,
    request: type[Req],
    read: Callable[[Reply], Res],
    repeat: Repeat,
    envelope: Envelope = Envelope.A,
    reference: Callable[[Req], str] | None = None,
) -> Endpoint[Req, Res]:
    return Endpoint(
        name, Area.CARD, "/api/v0/partner/enKashCard" + path, request, read, repeat,
        envelope, reference,
    )  # fmt: skip


ONCE, SAFE, BY_REFERENCE = Repeat.ONCE, Repeat.SAFE, Repeat.BY_REFERENCE

# name, path below /api/v0/partner/enKashCard, body, answer, repeat[, envelope]
CREATE_CARD_ACCOUNT = _card(
    "create_card_account", "/cardAccount/create",
    m.CreateCardAccountRequest, _one(m.CardAccount), ONCE,
)  # fmt: skip
GET_CARD_ACCOUNT = _card(
    "get_card_account", "/cardAccount/get", m.CardAccountQuery, _one(m.CardAccount), SAFE
)
CREATE_CARD = _card("create_card", "", m.CreateCardRequest, _one(m.Card), ONCE)
SET_PIN = _card("set_pin", "/setPin", m.SetPinRequest, acknowledgement, ONCE, Envelope.B)
LOAD_BALANCE = _card(
    "load_balance", "/balance",
    m.LoadBalanceRequest, _whatever(m.CardTransaction), BY_REFERENCE,
    reference=lambda request: request.uniqueReferenceNumber,
)  # fmt: skip
GENERATE_CARD_OTP = _card("generate_card_otp", "/otp", m.CardOtpRequest, _whatever(m.CardOtp), ONCE)
SET_USAGE_CONTROLS = _card(
    "set_usage_controls", "/velocity/rule",
    m.UsageControlsRequest, acknowledgement, SAFE, Envelope.B,
)  # fmt: skip
GET_USAGE_LIMITS = _card(
    "get_usage_limits", "/velocity/rule/get",
    m.CardRef, _one(m.UsageLimits), SAFE, Envelope.B,
)  # fmt: skip
REPLACE_CARD = _card("replace_card", "/replaceCard", m.ReplaceCardRequest, acknowledgement, ONCE)
BLOCK_CARD = _card("block_card", "/block", m.BlockCardRequest, acknowledgement, SAFE)
GET_CARD_DETAILS = _card("get_card_details", "/wallet-details", m.CardRef, _one(m.Card), SAFE)
SEARCH_CARDS = _card("search_cards", "/search", m.CardSearchRequest, _all(m.Card), SAFE)
FIND_TRANSACTION = _card(
    "find_transaction", "/transaction/all", m.TransactionQuery, _all(m.CardTransaction), SAFE
)


def _b2b(
    name: str, path: str, request: type[Req], document: str, repeat: Repeat
) -> Endpoint[Req, m.Acknowledgement]:
    return Endpoint(
        name, Area.B2B, path, request, acknowledgement, repeat,
        reference=_object_id(document),
    )  # fmt: skip


CONFIRM_INVOICE = _b2b(
    "confirm_invoice", "/api/v0/invoice/req-confirm-invoice",
    m.ConfirmInvoiceRequest, "invoiceConfirmation", BY_REFERENCE,
)  # fmt: skip
CHANGE_INVOICE_STATUS = _b2b(
    "change_invoice_status", "/api/v0/invoice/req-status-change-invoice",
    m.ChangeInvoiceStatusRequest, "invoiceStatus", BY_REFERENCE,
)  # fmt: skip
PAY_INVOICE = _b2b(
    "pay_invoice", "/api/v0/payment/req-pay",
    m.PayInvoiceRequest, "payment", ONCE,
)  # fmt: skip
SEND_PURCHASE_ORDER = _b2b(
    "send_purchase_order", "/api/v0/purchase-order/req-send",
    m.SendPurchaseOrderRequest, "purchaseOrder", BY_REFERENCE,
)  # fmt: skip
EDIT_PURCHASE_ORDER = _b2b(
    "edit_purchase_order", "/api/v0/purchase-order/req-edit",
    m.SendPurchaseOrderRequest, "purchaseOrder", BY_REFERENCE,
)  # fmt: skip
CONFIRM_PURCHASE_ORDER = _b2b(
    "confirm_purchase_order", "/api/v0/purchase-order/req-confirm",
    m.ConfirmPurchaseOrderRequest, "poConfirmation", BY_REFERENCE,
)  # fmt: skip
CHANGE_PURCHASE_ORDER_STATUS = _b2b(
    "change_purchase_order_status", "/api/v0/purchase-order/req-status-change",
    m.ChangePurchaseOrderStatusRequest, "poStatus", BY_REFERENCE,
)  # fmt: skip
SEND_CREDIT_DEBIT_NOTE = _b2b(
    "send_credit_debit_note", "/api/v0/cd-note/req-send",
    m.SendCreditDebitNoteRequest, "cdNote", BY_REFERENCE,
)  # fmt: skip
CONFIRM_CREDIT_DEBIT_NOTE = _b2b(
    "confirm_credit_debit_note", "/api/v0/cd-note/req-confirm",
    m.ConfirmCreditDebitNoteRequest, "cdNoteConfirmation", BY_REFERENCE,
)  # fmt: skip

MAKE_PAYMENT: Endpoint[m.PaymentRequest, m.Acknowledgement] = Endpoint(
    "make_payment", Area.AP, "/api/v0/payment", m.PaymentRequest, acknowledgement, ONCE,
    reference=lambda request: request.urn,
)  # fmt: skip
CONFIRM_PAYABLE_INVOICES = Endpoint(
    "confirm_payable_invoices", Area.AP, "/api/v0/payout/confirm-invoice",
    m.ConfirmPayableInvoicesRequest, acknowledgement, SAFE,
)  # fmt: skip

ENDPOINTS: tuple[Endpoint[Any, Any], ...] = (
    CREATE_CARD_ACCOUNT, GET_CARD_ACCOUNT, CREATE_CARD, SET_PIN, LOAD_BALANCE,
    GENERATE_CARD_OTP, SET_USAGE_CONTROLS, GET_USAGE_LIMITS, REPLACE_CARD, BLOCK_CARD,
    GET_CARD_DETAILS, SEARCH_CARDS, FIND_TRANSACTION,
    CONFIRM_INVOICE, CHANGE_INVOICE_STATUS, PAY_INVOICE, SEND_PURCHASE_ORDER,
    EDIT_PURCHASE_ORDER, CONFIRM_PURCHASE_ORDER, CHANGE_PURCHASE_ORDER_STATUS,
    SEND_CREDIT_DEBIT_NOTE, CONFIRM_CREDIT_DEBIT_NOTE,
    MAKE_PAYMENT, CONFIRM_PAYABLE_INVOICES,
)  # fmt: skip

BY_PATH: dict[str, Endpoint[Any, Any]] = {endpoint.path: endpoint for endpoint in ENDPOINTS}

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
    replayed: bool = False


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
    return m.Acknowledgement(
        code=reply.code,
        message=reply.message,
        payload=reply.payload,
        replayed=reply.replayed,
    )


def _one(model: type[m.WireResponse]) -> Callable[[Reply], Any]:
    return lambda reply: model.model_validate(reply.payload)


def _cards(reply: Reply) -> list[m.Card]:
    return [m.Card.model_validate(item) for item in reply.payload or []]


def _first_transaction(reply: Reply) -> m.CardTransaction | None:
    found = [m.CardTransaction.model_validate(item) for item in reply.payload or []]
    return found[0] if found else None


def _object_id(document: str) -> Callable[[Any], str]:
    return lambda request: str(getattr(request, document).objectId)


Ack = m.Acknowledgement
CARD_PATH = "/api/v0/partner/enKashCard"

CREATE_CARD_ACCOUNT: Endpoint[m.CreateCardAccountRequest, m.CardAccount] = Endpoint(
    "create_card_account", Area.CARD, CARD_PATH + "/cardAccount/create",
    m.CreateCardAccountRequest, _one(m.CardAccount), Repeat.ONCE,
)  # fmt: skip
GET_CARD_ACCOUNT: Endpoint[m.CardAccountQuery, m.CardAccount] = Endpoint(
    "get_card_account", Area.CARD, CARD_PATH + "/cardAccount/get",
    m.CardAccountQuery, _one(m.CardAccount), Repeat.SAFE,
)  # fmt: skip
CREATE_CARD: Endpoint[m.CreateCardRequest, m.Card] = Endpoint(
    "create_card", Area.CARD, CARD_PATH,
    m.CreateCardRequest, _one(m.Card), Repeat.ONCE,
)  # fmt: skip
SET_PIN: Endpoint[m.SetPinRequest, m.Acknowledgement] = Endpoint(
    "set_pin", Area.CARD, CARD_PATH + "/setPin",
    m.SetPinRequest, acknowledgement, Repeat.ONCE, Envelope.B,
)  # fmt: skip
LOAD_BALANCE: Endpoint[m.LoadBalanceRequest, m.CardTransaction] = Endpoint(
    "load_balance", Area.CARD, CARD_PATH + "/balance",
    m.LoadBalanceRequest, _one(m.CardTransaction), Repeat.BY_REFERENCE,
    reference=lambda request: request.uniqueReferenceNumber,
)  # fmt: skip
GENERATE_CARD_OTP: Endpoint[m.CardOtpRequest, m.CardOtp] = Endpoint(
    "generate_card_otp", Area.CARD, CARD_PATH + "/otp",
    m.CardOtpRequest, _one(m.CardOtp), Repeat.ONCE,
)  # fmt: skip
SET_USAGE_CONTROLS: Endpoint[m.UsageControlsRequest, m.Acknowledgement] = Endpoint(
    "set_usage_controls", Area.CARD, CARD_PATH + "/velocity/rule",
    m.UsageControlsRequest, acknowledgement, Repeat.SAFE, Envelope.B,
)  # fmt: skip
GET_USAGE_LIMITS: Endpoint[m.CardRef, m.UsageLimits] = Endpoint(
    "get_usage_limits", Area.CARD, CARD_PATH + "/velocity/rule/get",
    m.CardRef, _one(m.UsageLimits), Repeat.SAFE, Envelope.B,
)  # fmt: skip
REPLACE_CARD: Endpoint[m.ReplaceCardRequest, m.Acknowledgement] = Endpoint(
    "replace_card", Area.CARD, CARD_PATH + "/replaceCard",
    m.ReplaceCardRequest, acknowledgement, Repeat.ONCE,
)  # fmt: skip
BLOCK_CARD: Endpoint[m.BlockCardRequest, m.Acknowledgement] = Endpoint(
    "block_card", Area.CARD, CARD_PATH + "/block",
    m.BlockCardRequest, acknowledgement, Repeat.SAFE,
)  # fmt: skip
GET_CARD_DETAILS: Endpoint[m.CardRef, m.Card] = Endpoint(
    "get_card_details", Area.CARD, CARD_PATH + "/wallet-details",
    m.CardRef, _one(m.Card), Repeat.SAFE,
)  # fmt: skip
SEARCH_CARDS: Endpoint[m.CardSearchRequest, list[m.Card]] = Endpoint(
    "search_cards", Area.CARD, CARD_PATH + "/search",
    m.CardSearchRequest, _cards, Repeat.SAFE,
)  # fmt: skip
FIND_TRANSACTION: Endpoint[m.TransactionQuery, m.CardTransaction | None] = Endpoint(
    "find_transaction", Area.CARD, CARD_PATH + "/transaction/all",
    m.TransactionQuery, _first_transaction, Repeat.SAFE,
)  # fmt: skip


def _b2b(
    name: str, path: str, request: type[Req], document: str, repeat: Repeat
) -> Endpoint[Req, m.Acknowledgement]:
    return Endpoint(
        name, Area.B2B, path, request, acknowledgement, repeat,
        reference=_object_id(document),
    )  # fmt: skip


CONFIRM_INVOICE = _b2b(
    "confirm_invoice", "/api/v0/invoice/req-confirm-invoice",
    m.ConfirmInvoiceRequest, "invoiceConfirmation", Repeat.BY_REFERENCE,
)  # fmt: skip
CHANGE_INVOICE_STATUS = _b2b(
    "change_invoice_status", "/api/v0/invoice/req-status-change-invoice",
    m.ChangeInvoiceStatusRequest, "invoiceStatus", Repeat.BY_REFERENCE,
)  # fmt: skip
PAY_INVOICE = _b2b(
    "pay_invoice", "/api/v0/payment/req-pay",
    m.PayInvoiceRequest, "payment", Repeat.ONCE,
)  # fmt: skip
SEND_PURCHASE_ORDER = _b2b(
    "send_purchase_order", "/api/v0/purchase-order/req-send",
    m.SendPurchaseOrderRequest, "purchaseOrder", Repeat.BY_REFERENCE,
)  # fmt: skip
EDIT_PURCHASE_ORDER = _b2b(
    "edit_purchase_order", "/api/v0/purchase-order/req-edit",
    m.SendPurchaseOrderRequest, "purchaseOrder", Repeat.BY_REFERENCE,
)  # fmt: skip
CONFIRM_PURCHASE_ORDER = _b2b(
    "confirm_purchase_order", "/api/v0/purchase-order/req-confirm",
    m.ConfirmPurchaseOrderRequest, "poConfirmation", Repeat.BY_REFERENCE,
)  # fmt: skip
CHANGE_PURCHASE_ORDER_STATUS = _b2b(
    "change_purchase_order_status", "/api/v0/purchase-order/req-status-change",
    m.ChangePurchaseOrderStatusRequest, "poStatus", Repeat.BY_REFERENCE,
)  # fmt: skip
SEND_CREDIT_DEBIT_NOTE = _b2b(
    "send_credit_debit_note", "/api/v0/cd-note/req-send",
    m.SendCreditDebitNoteRequest, "cdNote", Repeat.BY_REFERENCE,
)  # fmt: skip
CONFIRM_CREDIT_DEBIT_NOTE = _b2b(
    "confirm_credit_debit_note", "/api/v0/cd-note/req-confirm",
    m.ConfirmCreditDebitNoteRequest, "cdNoteConfirmation", Repeat.BY_REFERENCE,
)  # fmt: skip

MAKE_PAYMENT: Endpoint[m.PaymentRequest, m.Acknowledgement] = Endpoint(
    "make_payment", Area.AP, "/api/v0/payment",
    m.PaymentRequest, acknowledgement, Repeat.ONCE,
    reference=lambda request: request.urn,
)  # fmt: skip
CONFIRM_PAYABLE_INVOICES: Endpoint[m.ConfirmPayableInvoicesRequest, Ack] = Endpoint(
    "confirm_payable_invoices", Area.AP, "/api/v0/payout/confirm-invoice",
    m.ConfirmPayableInvoicesRequest, acknowledgement, Repeat.SAFE,
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

"""Every :class:`~paycore.domain.errors.PaycoreError` as HTTP: a status and an RFC 9457
problem-details document, for a host service to answer with.

The domain knows no HTTP, so the table lives here, at the edge: one row per error code,
its HTTP status and its title (the same for every occurrence). :func:`problem` turns an
error into a :class:`Problem`::

    {"type": "urn:paycore:error:INVOICE_OVERPAYMENT", "title": "...", "status": 422,
     "detail": "<the error's message>", "code": "INVOICE_OVERPAYMENT",
     "details": {"invoice": "...", "outstanding": "680.00", ...}}

served as ``application/problem+json``. The statuses read:

- 400: an argument paycore cannot take (a type, a format, a bound);
- 404: no such object;
- 409: the object's state or history is against it (a transition, an existing object,
  a stale objectVersion, a reused key or reference, a concurrent writer): look again;
- 422: well-formed, and a business rule refuses it (an overpayment, a limit, an OTP);
- 500: paycore is configured wrongly; 502, 503, 504: the platform or the store failed.

A 5xx problem says only its title: the error's message and details are for the host's
own log, not for its callers. A 4xx problem carries the message and the details, which
name the caller's own arguments and the bounds they broke, never a secret (errors never
hold one). A code that has no row of its own (a subclass defined after this table) takes
the row of its nearest ancestor that has one; a test keeps every code of paycore in it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any

from paycore.domain.errors import PaycoreError
from paycore.domain.money import Money

MEDIA_TYPE = "application/problem+json"
#: ``type`` is this prefix and the code, unless the host passes its own prefix.
TYPE_PREFIX = "urn:paycore:error:"


@dataclass(frozen=True)
class ProblemType:
    status: int
    title: str


def _rows(status: int, **titles: str) -> dict[str, ProblemType]:
    return {code: ProblemType(status, title) for code, title in titles.items()}


#: Every error code paycore raises: its HTTP status and title.
PROBLEM_TYPES: Mapping[str, ProblemType] = {
    **_rows(
        400,
        INVALID_ARGUMENT="An argument is not valid",
        MONEY_INVALID="An amount is not valid",
        MONEY_PRECISION="An amount has more than two decimal places",
        MONEY_SIGN="An amount is zero or negative where it must be positive",
        MONEY_CURRENCY="An amount is not in INR",
        OTP_FORMAT="An OTP is six digits",
        PIN_FORMAT="A PIN is four digits",
        ACCOUNT_TYPE="Not an account type of the platform",
        INVOICE_ID_FORMAT="Not an invoice objectId",
        INVOICE_NUMBER_FORMAT="Not a supplier invoice number",
        REMARKS_FORMAT="Remarks the platform does not take",
        PAYMENT_TYPE="Not a payment type of the platform",
        PAYMENT_INVOICES="The invoices named cannot be paid together",
        PO_ID_FORMAT="Not a purchase order objectId",
        CONTROLS_CARD_COUNT="Usage controls apply to 1 to 100 cards",
    ),
    **_rows(
        404,
        NOT_FOUND="No such object",
        CARD_NOT_FOUND="No such card",
    ),
    **_rows(
        409,
        ALREADY_EXISTS="The object exists already",
        ALREADY_PROCESSED="That position of the log was processed already",
        IDEMPOTENCY_CONFLICT="The idempotency key was used with other arguments",
        CONCURRENCY_CONFLICT="Concurrent changes kept conflicting; try again",
        TRANSITION="The status does not allow that move",
        CARD_TRANSITION="The card's block code does not allow that move",
        INVOICE_TRANSITION="The invoice's status does not allow that move",
        PAYMENT_TRANSITION="The payment's status does not allow that move",
        PO_TRANSITION="The purchase order's status does not allow that move",
        OBJECT_VERSION="The objectVersion does not follow the one held",
        OBJECT_VERSION_STALE="The objectVersion is behind the one held",
        OBJECT_VERSION_GAP="The objectVersion skips a version",
        INVOICE_HAS_PAYMENTS="The invoice has payments",
        LOAD_REFERENCE_REUSED="The load reference was used for another load",
        SPEND_TRANSACTION_REUSED="The transaction id was recorded for another transaction",
        OBJECT_VERSION_LIMIT="The objectVersion would pass the largest one allowed",
        REMOTE_DUPLICATE="The platform has seen that reference before",
    ),
    **_rows(
        422,
        OTP_NOT_REQUESTED="No OTP was requested",
        OTP_EXPIRED="The OTP expired",
        OTP_MISMATCH="The OTP does not match",
        OTP_ATTEMPTS_EXHAUSTED="Too many wrong OTPs; request a new one",
        CARD_ACTIVATION="The card cannot be activated yet",
        CARD_BLOCKED="The card is blocked",
        CARD_NOT_USABLE="The card is not usable",
        HOLDER_FORGOTTEN="The holder was forgotten: their details are gone",
        LOAD_BELOW_MINIMUM="A load is at least 1.00",
        GIFT_CARD_RELOAD="A gift card is never reloaded",
        BALANCE_CAP="The balance would pass the account's cap",
        INSUFFICIENT_BALANCE="The balance is too low",
        CHANNEL_DISABLED="The card's usage controls switch that channel off",
        SPEND_LIMIT="A spend limit of the card would be passed",
        INVOICE_NOT_PAYABLE="The invoice is not payable",
        INVOICE_OVERPAYMENT="The amount is more than the invoice's outstanding",
        CD_NOTE="The credit or debit note cannot be applied",
        CD_NOTE_EXCEEDS_OUTSTANDING="The credit note is more than the outstanding",
        PARTIAL_PAYMENT_NOT_ALLOWED="The invoice does not allow part payment",
        PARTIAL_PAYMENT_AMOUNT="A part payment is from 1.00 to below the outstanding",
        PO_OVERFULFILMENT="The fulfilment is more than the purchase order's total",
        REMOTE_INVALID_REQUEST="The platform does not take a value of the request",
        REMOTE_BUSINESS_FAILURE="The platform declined the request",
    ),
    **_rows(
        500,
        PAYCORE_ERROR="paycore could not complete the request",
        CONFIGURATION="paycore is not configured for this",
        PIN_GATEWAY_MISSING="No PIN gateway is configured",
    ),
    **_rows(
        502,
        REMOTE_ERROR="The platform failed the request",
        AUTH_FAILED="The platform refused paycore's credentials",
        REMOTE_REJECTED="The platform refused the request",
        REMOTE_PROTOCOL="The platform's answer could not be read",
        REMOTE_PAYLOAD_CRYPTO="The platform's answer could not be decrypted",
    ),
    **_rows(
        503,
        STORE_UNAVAILABLE="The event store is unavailable; try again",
        REMOTE_UNAVAILABLE="The platform is unavailable; try again",
    ),
    **_rows(
        504,
        REMOTE_TIMEOUT="The platform did not answer in time",
    ),
}


@dataclass(frozen=True)
class Problem:
    """One error as an HTTP answer: ``status``, and ``document`` to send as JSON."""

    status: int
    document: Mapping[str, Any] = field(repr=False)
    media_type: str = MEDIA_TYPE

    def body(self) -> bytes:
        return json.dumps(self.document, ensure_ascii=False).encode()


def problem_type(error: type[PaycoreError]) -> ProblemType:
    """The row of ``error``'s code, or of its nearest ancestor's."""
    for cls in error.__mro__:
        code = getattr(cls, "code", None)
        if isinstance(code, str) and code in PROBLEM_TYPES:
            return PROBLEM_TYPES[code]
    return PROBLEM_TYPES[PaycoreError.code]


def problem(error: PaycoreError, *, type_prefix: str = TYPE_PREFIX) -> Problem:
    """The problem-details answer to ``error``."""
    row = problem_type(type(error))
    document: dict[str, Any] = {
        "type": f"{type_prefix}{error.code}",
        "title": row.title,
        "status": row.status,
        "detail": row.title,
        "code": error.code,
    }
    if row.status < 500:
        document["detail"] = error.message
        document["details"] = {name: _plain(value) for name, value in error.details.items()}
    return Problem(row.status, document)


def _plain(value: object) -> Any:
    """``value`` as JSON: amounts, ids, times and enums as their text."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence | set | frozenset) and not isinstance(value, str):
        return [_plain(v) for v in value]
    if isinstance(value, Money):
        value = value.amount
    elif isinstance(value, Enum):
        value = value.value
    elif isinstance(value, datetime | date):
        value = value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # a Decimal, a UUID: their text is the value

"""One error hierarchy for paycore, rooted at :class:`PaycoreError`.

Every error carries a stable machine ``code`` (what a host service switches on), a
message a person can act on, and the values involved (``details``). Secrets never go
into any of the three.
"""

from __future__ import annotations

from typing import Any, ClassVar


class PaycoreError(Exception):
    """Base of every error paycore raises on purpose."""

    code: ClassVar[str] = "PAYCORE_ERROR"
    _by_code: ClassVar[dict[str, type[PaycoreError]]] = {}
    #: True when the refusal itself is recorded as an event (a wrong OTP attempt
    #: counts towards the limit), so the application saves before re-raising.
    records_events: ClassVar[bool] = False

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        PaycoreError._by_code.setdefault(cls.code, cls)

    @classmethod
    def from_code(cls, code: str, message: str, details: dict[str, Any]) -> PaycoreError:
        """Rebuilds a recorded error (an idempotent retry returns the original one)."""
        error_class = PaycoreError._by_code.get(code, PaycoreError)
        return error_class(message, **details)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def shown(value: object, limit: int = 60) -> str:
    """How an error shows a value it refuses: its ``repr``, cut to ``limit`` characters.

    It never fails: an integer too long to print (Python prints none of more than 4,300
    digits) is shown by its size, and an object whose ``repr`` fails by its type.
    """
    if isinstance(value, int) and value.bit_length() > 3 * limit:
        return f"an int of {value.bit_length()} bits"
    try:
        text = repr(value)
    except Exception:  # any object may come in; the refusal must still go out
        return f"a {type(value).__name__}"
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


class InvalidArgument(PaycoreError):
    """An argument has the wrong type or shape; checked before anything is read or written."""

    code: ClassVar[str] = "INVALID_ARGUMENT"


class NotFound(PaycoreError):
    code: ClassVar[str] = "NOT_FOUND"


class AlreadyExists(PaycoreError):
    code: ClassVar[str] = "ALREADY_EXISTS"


class AlreadyProcessed(PaycoreError):
    """A consumer position (tracking) that a command already saved."""

    code: ClassVar[str] = "ALREADY_PROCESSED"


class IdempotencyConflict(PaycoreError):
    code: ClassVar[str] = "IDEMPOTENCY_CONFLICT"


class ConcurrencyConflict(PaycoreError):
    """Optimistic-concurrency conflicts persisted after the bounded retries."""

    code: ClassVar[str] = "CONCURRENCY_CONFLICT"


class ConfigurationError(PaycoreError):
    code: ClassVar[str] = "CONFIGURATION"


class TransitionError(PaycoreError):
    """A move that the lifecycle table does not allow from the current status."""

    code: ClassVar[str] = "TRANSITION"


class ObjectVersionError(PaycoreError):
    """A B2B message whose objectVersion does not follow the one we hold."""

    code: ClassVar[str] = "OBJECT_VERSION"


class StaleObjectVersion(ObjectVersionError):
    code: ClassVar[str] = "OBJECT_VERSION_STALE"


class ObjectVersionGap(ObjectVersionError):
    code: ClassVar[str] = "OBJECT_VERSION_GAP"


class ObjectVersionLimit(ObjectVersionError):
    """A change past the largest objectVersion paycore (and the platform) can hold."""

    code: ClassVar[str] = "OBJECT_VERSION_LIMIT"


# One-time passwords and PINs.


class OtpFormatError(PaycoreError):
    code: ClassVar[str] = "OTP_FORMAT"


class OtpNotRequested(PaycoreError):
    code: ClassVar[str] = "OTP_NOT_REQUESTED"


class OtpExpired(PaycoreError):
    code: ClassVar[str] = "OTP_EXPIRED"


class OtpMismatch(PaycoreError):
    code: ClassVar[str] = "OTP_MISMATCH"
    records_events: ClassVar[bool] = True


class OtpAttemptsExhausted(PaycoreError):
    code: ClassVar[str] = "OTP_ATTEMPTS_EXHAUSTED"
    records_events: ClassVar[bool] = True


class PinFormatError(PaycoreError):
    code: ClassVar[str] = "PIN_FORMAT"


# Cards.


class AccountTypeError(PaycoreError):
    code: ClassVar[str] = "ACCOUNT_TYPE"


class CardNotFound(NotFound):
    code: ClassVar[str] = "CARD_NOT_FOUND"


class CardTransitionError(TransitionError):
    code: ClassVar[str] = "CARD_TRANSITION"


class CardActivationError(PaycoreError):
    code: ClassVar[str] = "CARD_ACTIVATION"


class CardBlocked(PaycoreError):
    code: ClassVar[str] = "CARD_BLOCKED"


class CardNotUsable(PaycoreError):
    code: ClassVar[str] = "CARD_NOT_USABLE"


class LoadBelowMinimum(PaycoreError):
    code: ClassVar[str] = "LOAD_BELOW_MINIMUM"


class GiftCardReload(PaycoreError):
    code: ClassVar[str] = "GIFT_CARD_RELOAD"


class BalanceCapExceeded(PaycoreError):
    code: ClassVar[str] = "BALANCE_CAP"


class InsufficientBalance(PaycoreError):
    code: ClassVar[str] = "INSUFFICIENT_BALANCE"


class ChannelDisabled(PaycoreError):
    code: ClassVar[str] = "CHANNEL_DISABLED"


class SpendLimitExceeded(PaycoreError):
    code: ClassVar[str] = "SPEND_LIMIT"


class ControlsCardCount(PaycoreError):
    code: ClassVar[str] = "CONTROLS_CARD_COUNT"


class PinGatewayMissing(ConfigurationError):
    code: ClassVar[str] = "PIN_GATEWAY_MISSING"


# Invoices and credit/debit notes.


class InvoiceIdFormat(PaycoreError):
    code: ClassVar[str] = "INVOICE_ID_FORMAT"


class InvoiceNumberFormat(PaycoreError):
    code: ClassVar[str] = "INVOICE_NUMBER_FORMAT"


class RemarksFormat(PaycoreError):
    code: ClassVar[str] = "REMARKS_FORMAT"


class InvoiceTransitionError(TransitionError):
    code: ClassVar[str] = "INVOICE_TRANSITION"


class InvoiceNotPayable(PaycoreError):
    code: ClassVar[str] = "INVOICE_NOT_PAYABLE"


class InvoiceOverpayment(PaycoreError):
    code: ClassVar[str] = "INVOICE_OVERPAYMENT"


class InvoiceHasPayments(PaycoreError):
    code: ClassVar[str] = "INVOICE_HAS_PAYMENTS"


class CdNoteError(PaycoreError):
    code: ClassVar[str] = "CD_NOTE"


class CdNoteExceedsOutstanding(CdNoteError):
    code: ClassVar[str] = "CD_NOTE_EXCEEDS_OUTSTANDING"


# Payments.


class PaymentTypeError(PaycoreError):
    code: ClassVar[str] = "PAYMENT_TYPE"


class PaymentInvoicesError(PaycoreError):
    code: ClassVar[str] = "PAYMENT_INVOICES"


class PartialPaymentNotAllowed(PaycoreError):
    code: ClassVar[str] = "PARTIAL_PAYMENT_NOT_ALLOWED"


class PartialPaymentAmount(PaycoreError):
    code: ClassVar[str] = "PARTIAL_PAYMENT_AMOUNT"


class PaymentTransitionError(TransitionError):
    code: ClassVar[str] = "PAYMENT_TRANSITION"


# Purchase orders.


class PurchaseOrderIdFormat(PaycoreError):
    code: ClassVar[str] = "PO_ID_FORMAT"


class PurchaseOrderTransitionError(TransitionError):
    code: ClassVar[str] = "PO_TRANSITION"


class PurchaseOrderOverfulfilment(PaycoreError):
    code: ClassVar[str] = "PO_OVERFULFILMENT"


# The event store, and the references the platform applies once.


class StoreUnavailable(PaycoreError):
    """The event store failed a command: connection lost, server down, disk full, locked.

    ``details`` say what is known: ``outcome_known`` (False when the write may or may not
    have committed), ``committed`` (False, or None when unknown) and ``retry_safe``: whether
    sending the same command again cannot apply it twice. With an idempotency key it always
    is (the key's record commits with the change, so a repeat replays it); without one, only
    when nothing was written.
    """

    code: ClassVar[str] = "STORE_UNAVAILABLE"


class LoadReferenceReused(PaycoreError):
    """A load reference (``uniqueReferenceNumber``) already used for another load."""

    code: ClassVar[str] = "LOAD_REFERENCE_REUSED"


class SpendTransactionReused(PaycoreError):
    """A card transaction id already recorded for a different transaction."""

    code: ClassVar[str] = "SPEND_TRANSACTION_REUSED"


# Holders (issue 15).


class HolderForgotten(PaycoreError):
    """A forgotten holder's details are gone: they cannot be corrected, exported again
    with values, or given new cards."""

    code: ClassVar[str] = "HOLDER_FORGOTTEN"

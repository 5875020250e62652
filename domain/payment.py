"""Payment: an AP payment request against one or more accepted invoices.

A payment names its invoices and how much goes to each (its allocations). The amount is
reserved on the invoices when the payment is authorised, settled when it succeeds and
released when it fails; the functions at the end of this module do each of those moves
on the payment and its invoices together, and the application saves them atomically.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

import attrs
from eventsourcing.domain import event

from paycore.domain.aggregate import Lifecycle, PaycoreAggregate, Typed, table, upcast_adding
from paycore.domain.arguments import invalid
from paycore.domain.errors import (
    PartialPaymentAmount,
    PartialPaymentNotAllowed,
    PaymentInvoicesError,
    PaymentTransitionError,
    PaymentTypeError,
)
from paycore.domain.invoice import Invoice
from paycore.domain.money import Money, rupees, total
from paycore.domain.otp import OtpChallenge, require_challenge

MINIMUM_PARTIAL = Money("1.00")
MAX_INVOICES = 100
#: The objectId of a payment paycore made: ``PMT`` and the 32 hex digits of its id.
PAYMENT_OBJECT_ID = re.compile(r"PMT[0-9a-f]{32}")


class PaymentType(StrEnum):
    """The platform's ``paymentType`` enum."""

    INVOICE = "INVOICE"
    GST = "GST"
    UTILITY = "UTILITY"
    RENTAL = "RENTAL"
    CONSENT_TRANSACTION = "CONSENT_TRANSACTION"
    COLLECTION_INVOICE = "COLLECTION_INVOICE"
    ADVANCE_PAYMENT = "ADVANCE_PAYMENT"


class PaymentStatus(StrEnum):
    INITIATED = "INITIATED"
    OTP_SENT = "OTP_SENT"
    AUTHORISED = "AUTHORISED"
    SUBMITTED = "SUBMITTED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


_P = PaymentStatus
PAYMENT_LIFECYCLE = Lifecycle(
    name="payment",
    moves=table(
        {
            _P.INITIATED: {_P.OTP_SENT, _P.FAILED},
            _P.OTP_SENT: {_P.OTP_SENT, _P.AUTHORISED, _P.FAILED},
            _P.AUTHORISED: {_P.SUBMITTED, _P.FAILED},
            _P.SUBMITTED: {_P.SUCCEEDED, _P.FAILED},
        }
    ),
    error=PaymentTransitionError,
)
#: While in these statuses the payment's amount is reserved on its invoices.
HOLDS_RESERVATION = frozenset({_P.AUTHORISED, _P.SUBMITTED})


def payment_object_id(payment_id: UUID) -> str:
    """A payment's B2B objectId (``PAYMENT_OBJECT_ID``), its client reference."""
    return f"PMT{payment_id.hex}"


def payment_id_of(object_id: str) -> UUID:
    """The id of the payment with this objectId: the inverse of ``payment_object_id``."""
    if not isinstance(object_id, str) or not PAYMENT_OBJECT_ID.fullmatch(object_id):
        raise invalid("object_id", f"a payment objectId ({PAYMENT_OBJECT_ID.pattern})", object_id)
    return UUID(hex=object_id[3:])


def check_payment_type(payment_type: str) -> PaymentType:
    try:
        return PaymentType(payment_type)
    except ValueError:
        msg = f"{payment_type!r} is not a paymentType the platform knows"
        raise PaymentTypeError(
            msg, payment_type=payment_type, allowed=[t.value for t in PaymentType]
        ) from None


class Payment(PaycoreAggregate):
    TOPIC = "paycore.Payment"

    class Event(PaycoreAggregate.Event):
        TOPIC = "paycore.Payment.Event"

    class Created(Event, PaycoreAggregate.Created):
        TOPIC = "paycore.Payment.Created"

    OBJECT_KIND: ClassVar[str] = "payment"
    #: Enum-typed however the aggregate was restored (a snapshot stores strings).
    payment_type = Typed(PaymentType)
    status = Typed(PaymentStatus)

    @classmethod
    def initiate(
        cls,
        payment_id: UUID,
        payment_type: PaymentType,
        invoices: Sequence[Invoice],
        amount: Money | None,
        remarks: str,
    ) -> Payment:
        """A full payment (``amount`` None) pays the outstanding of every invoice named;
        a partial one pays ``amount`` on exactly one invoice that allows it."""
        if not 1 <= len(invoices) <= MAX_INVOICES:
            msg = f"a payment names 1-{MAX_INVOICES} invoices, not {len(invoices)}"
            raise PaymentInvoicesError(msg, count=len(invoices))
        if len({i.id for i in invoices}) != len(invoices):
            msg = "a payment names each invoice once"
            raise PaymentInvoicesError(msg, invoices=[i.object_id for i in invoices])
        for invoice in invoices:
            invoice.require_payable()
        if amount is None:
            allocations = {str(i.id): i.outstanding for i in invoices}
            for invoice in invoices:
                if not invoice.outstanding:
                    msg = f"invoice {invoice.object_id} has nothing outstanding to pay"
                    raise PartialPaymentAmount(msg, invoice=invoice.object_id)
        else:
            allocations = {str(invoices[0].id): _partial_amount(invoices, amount)}
        return cls.create_with_id(
            payment_id,
            "Initiated",
            payment_type=payment_type,
            allocations=allocations,
            partial=amount is not None,
            remarks=remarks,
        )

    class Initiated(Created):
        """A payment request; every payment starts INITIATED."""

        TOPIC = "paycore.Payment.Initiated"
        class_version = 2
        payment_type: str
        allocations: dict[str, Money]
        partial: bool
        remarks: str
        status: str = PaymentStatus.INITIATED
        upcast_v1_v2 = upcast_adding(status=_P.INITIATED)

        def apply(self, payment: Payment) -> None:
            payment.status = PaymentStatus(self.status)

    @event(Initiated)
    def __init__(
        self,
        payment_type: str,
        allocations: dict[str, Money],
        partial: bool,
        remarks: str,
    ) -> None:
        self.payment_type = PaymentType(payment_type)
        self.allocations = allocations
        self.partial = partial
        self.remarks = remarks
        self.otp: OtpChallenge | None = None
        self.reference: str | None = None
        self.utr: str | None = None
        self.failure_reason: str | None = None

    @property
    def amount(self) -> Money:
        return total(self.allocations.values())

    @property
    def invoice_ids(self) -> list[UUID]:
        return [UUID(i) for i in self.allocations]

    @property
    def object_id(self) -> str:
        """The payment's B2B objectId (``PMT`` + 32 alphanumerics), its client reference."""
        return payment_object_id(self.id)

    @property
    def holds_reservation(self) -> bool:
        return self.status in HOLDS_RESERVATION

    def _move(self, status: PaymentStatus) -> None:
        PAYMENT_LIFECYCLE.check(self.status, status, payment=str(self.id))

    def send_otp(self, challenge: OtpChallenge) -> None:
        self._move(_P.OTP_SENT)
        self._otp_sent(challenge=challenge, status=_P.OTP_SENT)

    class OtpSent(Event):
        TOPIC = "paycore.Payment.OtpSent"
        class_version = 2
        challenge: OtpChallenge
        status: str
        upcast_v1_v2 = upcast_adding(status=_P.OTP_SENT)

    @event(OtpSent)
    def _otp_sent(self, challenge: OtpChallenge, status: str) -> None:
        self.otp = challenge
        self.status = PaymentStatus(status)

    def authorise(self, digest: str, now: datetime) -> None:
        self._move(_P.AUTHORISED)
        challenge = require_challenge(self.otp, f"payment {self.id}")
        challenge.check(digest, now, self._otp_rejected)
        self._authorised(reference=challenge.reference, status=_P.AUTHORISED)

    class OtpRejected(Event):
        TOPIC = "paycore.Payment.OtpRejected"

    @event(OtpRejected)
    def _otp_rejected(self) -> None:
        assert self.otp is not None
        self.otp = attrs.evolve(self.otp, failed_attempts=self.otp.failed_attempts + 1)

    class Authorised(Event):
        TOPIC = "paycore.Payment.Authorised"
        class_version = 2
        reference: str
        status: str
        upcast_v1_v2 = upcast_adding(status=_P.AUTHORISED)

    @event(Authorised)
    def _authorised(self, reference: str, status: str) -> None:
        self.otp = None
        self.status = PaymentStatus(status)

    def submit(self) -> None:
        """Sent to the platform under its objectId, so a repeat is recognised there."""
        self._move(_P.SUBMITTED)
        self._submitted(reference=self.object_id, status=_P.SUBMITTED)

    class Submitted(Event):
        TOPIC = "paycore.Payment.Submitted"
        class_version = 2
        reference: str
        status: str
        upcast_v1_v2 = upcast_adding(status=_P.SUBMITTED)

    @event(Submitted)
    def _submitted(self, reference: str, status: str) -> None:
        self.reference = reference
        self.status = PaymentStatus(status)

    def succeed(self, utr: str) -> None:
        self._move(_P.SUCCEEDED)
        self._succeeded(utr=utr, status=_P.SUCCEEDED)

    class Succeeded(Event):
        TOPIC = "paycore.Payment.Succeeded"
        class_version = 2
        utr: str
        status: str
        upcast_v1_v2 = upcast_adding(status=_P.SUCCEEDED)

    @event(Succeeded)
    def _succeeded(self, utr: str, status: str) -> None:
        self.utr = utr
        self.status = PaymentStatus(status)

    def fail(self, reason: str) -> None:
        self._move(_P.FAILED)
        self._failed(reason=reason, status=_P.FAILED)

    class Failed(Event):
        TOPIC = "paycore.Payment.Failed"
        class_version = 2
        reason: str
        status: str
        upcast_v1_v2 = upcast_adding(status=_P.FAILED)

    @event(Failed)
    def _failed(self, reason: str, status: str) -> None:
        self.failure_reason = reason
        self.otp = None
        self.status = PaymentStatus(status)


def _partial_amount(invoices: Sequence[Invoice], amount: Money) -> Money:
    if len(invoices) != 1:
        msg = f"a partial payment names exactly one invoice, not {len(invoices)}"
        raise PaymentInvoicesError(msg, count=len(invoices))
    invoice = invoices[0]
    if not invoice.allows_partial:
        msg = f"invoice {invoice.object_id} does not allow partial payment"
        raise PartialPaymentNotAllowed(msg, invoice=invoice.object_id)
    if not MINIMUM_PARTIAL <= amount < invoice.outstanding:
        msg = (
            f"a partial payment is at least {rupees(MINIMUM_PARTIAL)} and less than the "
            f"{rupees(invoice.outstanding)} outstanding, not {rupees(amount)}"
        )
        raise PartialPaymentAmount(
            msg,
            invoice=invoice.object_id,
            amount=str(amount),
            outstanding=str(invoice.outstanding),
        )
    return amount


def _by_id(payment: Payment, invoices: Sequence[Invoice]) -> list[Invoice]:
    found = {i.id: i for i in invoices}
    return [found[invoice_id] for invoice_id in payment.invoice_ids]


def authorise(payment: Payment, invoices: Sequence[Invoice], digest: str, now: datetime) -> None:
    """Checks the OTP and reserves the payment's amount on each of its invoices."""
    payment.authorise(digest, now)
    for invoice in _by_id(payment, invoices):
        invoice.reserve(payment.id, payment.allocations[str(invoice.id)])


def succeed(payment: Payment, invoices: Sequence[Invoice], utr: str) -> None:
    """The platform paid: each reservation becomes a settled payment."""
    payment.succeed(utr)
    for invoice in _by_id(payment, invoices):
        invoice.settle(payment.id)


def fail(payment: Payment, invoices: Sequence[Invoice], reason: str) -> None:
    """The payment failed or was abandoned: any reservation is released."""
    payment.fail(reason)
    for invoice in _by_id(payment, invoices):
        invoice.release(payment.id)

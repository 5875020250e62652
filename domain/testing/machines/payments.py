"""The payment machine: invoices and the payments against them, full and partial, with
their OTPs and outcomes, against a model of each payment and the invoices it pays."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID, uuid4

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, invariant, multiple, precondition, rule

from paycore.domain import errors
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import PaycoreError
from paycore.domain.money import Money
from paycore.domain.otp import OTP_LIFETIME
from paycore.domain.testing import strategies
from paycore.domain.testing.machines.base import (
    INVOICE_TOTALS,
    OtpOutcome,
    Refusals,
    _failures,
    _otp_outcome,
    _refusals,
    _share,
)
from paycore.domain.testing.machines.invoices import InvoiceMachine, InvoiceModel


@dataclass
class PaymentModel:
    allocations: dict[UUID, Decimal]
    status: str = "INITIATED"
    otp: str | None = None
    otp_expires_at: datetime | None = None
    otp_failures: int = 0


PAYMENT_MOVES = {
    "INITIATED": {"OTP_SENT", "FAILED"},
    "OTP_SENT": {"OTP_SENT", "AUTHORISED", "FAILED"},
    "AUTHORISED": {"SUBMITTED", "FAILED"},
    "SUBMITTED": {"SUCCEEDED", "FAILED"},
    "SUCCEEDED": set(),
    "FAILED": set(),
}


class PaymentMachine(InvoiceMachine):
    """Invoices and the payments against them: full and partial, OTPs, outcomes, notes."""

    TERMINAL: ClassVar[frozenset[str]] = InvoiceMachine.TERMINAL | {"SUCCEEDED", "FAILED"}
    payments = Bundle("payments")

    def __init__(self, core: PaymentsCore | None = None) -> None:
        super().__init__(core)
        self.payment_model: dict[UUID, PaymentModel] = {}

    def statuses(self) -> dict[str, str]:
        payments = {f"payment {p}": str(self.live_state(p).status) for p in self.payment_model}
        return {**super().statuses(), **payments}

    @initialize(target=payments, total=INVOICE_TOTALS, share=st.integers(1, 100))
    def start_with_a_payment(self, total: Money, share: int) -> Any:
        """Every example starts with an accepted invoice and a payment against it."""
        invoice_id = self.receive_accepted_invoice(total, allows_partial=True)
        amount = Money(max(Decimal(1), _share(total.amount, share)))
        return self.initiate_partial_payment(invoice_id, amount)

    @rule(target=InvoiceMachine.invoices, total=INVOICE_TOTALS, allows_partial=st.booleans())
    def receive_accepted_invoice(self, total: Money, allows_partial: bool) -> UUID:
        invoice_id = self.receive(total, allows_partial)
        self.core.respond_to_invoice(invoice_id, "ACCEPT", "ok")
        self.invoice_model[invoice_id].status = "ACCEPTED"
        self.invoice_model[invoice_id].object_version += 1
        return invoice_id

    def _initiate(
        self,
        refusals: Refusals,
        invoice_ids: list[UUID],
        allocations: dict[UUID, Decimal],
        **kwargs: Any,
    ) -> Any:
        command = lambda: self.core.initiate_payment(invoice_ids, **kwargs)  # noqa: E731
        payment_id = self.run(refusals, command)
        if payment_id is None:
            return multiple()
        self.payment_model[payment_id] = PaymentModel(allocations)
        self.aggregates.append(payment_id)
        return payment_id

    @rule(
        target=payments,
        invoice_ids=st.lists(InvoiceMachine.invoices, min_size=1, max_size=3),
    )
    def initiate_full_payment(self, invoice_ids: list[UUID]) -> Any:
        """A full payment pays the outstanding of every invoice it names."""
        named = [self.invoice_model[i] for i in invoice_ids]
        refusals = _refusals(
            (len(set(invoice_ids)) != len(invoice_ids), errors.PaymentInvoicesError),
            (not all(i.payable for i in named), errors.InvoiceNotPayable),
            (any(i.outstanding <= 0 for i in named), errors.PartialPaymentAmount),
        )
        allocations = {i: self.invoice_model[i].outstanding for i in invoice_ids}
        return self._initiate(refusals, invoice_ids, allocations)

    def payable_invoices(self) -> list[UUID]:
        return [i for i, m in self.invoice_model.items() if m.payable and m.outstanding > 0]

    @precondition(lambda self: bool(self.payable_invoices()))
    @rule(target=payments, data=st.data())
    def pay_what_is_outstanding(self, data: st.DataObject) -> Any:
        """A full payment of an invoice that has something outstanding."""
        return self.initiate_full_payment([data.draw(st.sampled_from(self.payable_invoices()))])

    @precondition(lambda self: bool(self.payable_invoices()))
    @rule(target=payments, data=st.data())
    def a_retried_payment_is_made_once(self, data: st.DataObject) -> Any:
        """A payment retried with its idempotency key is the same payment; nothing is written."""
        invoice_id = data.draw(st.sampled_from(self.payable_invoices()))
        key = f"pay-{uuid4().hex}"
        outstanding = {invoice_id: self.invoice_model[invoice_id].outstanding}
        payment_id = self._initiate(set(), [invoice_id], outstanding, idempotency_key=key)
        before = self.written()
        again = self.core.initiate_payment([invoice_id], idempotency_key=key)
        assert (again, self.written()) == (payment_id, before)
        return payment_id

    @rule(target=payments, invoice_id=InvoiceMachine.invoices, amount=INVOICE_TOTALS)
    def initiate_partial_payment(self, invoice_id: UUID, amount: Money) -> Any:
        """A partial payment: one invoice that allows it, 1.00 <= amount < outstanding."""
        invoice = self.invoice_model[invoice_id]
        refusals = _refusals(
            (not invoice.payable, errors.InvoiceNotPayable),
            (not invoice.allows_partial, errors.PartialPaymentNotAllowed),
            (amount.amount >= invoice.outstanding, errors.PartialPaymentAmount),
        )
        allocations = {invoice_id: amount.amount}
        return self._initiate(refusals, [invoice_id], allocations, amount=amount)

    def _move(self, payment: PaymentModel, status: str) -> set[type[PaycoreError]]:
        return _refusals(
            (status not in PAYMENT_MOVES[payment.status], errors.PaymentTransitionError)
        )

    def stage(self, payment_id: UUID) -> int:
        """How far along its lifecycle a payment is."""
        return list(PAYMENT_MOVES).index(self.payment_model[payment_id].status)

    def open_payments(self) -> list[UUID]:
        return [p for p, m in self.payment_model.items() if m.status not in self.TERMINAL]

    @precondition(lambda self: bool(self.open_payments()))
    @rule()
    def move_a_payment_on(self) -> None:
        """Takes the furthest open payment one step on: OTP, authorised, submitted, succeeded."""
        payment_id = max(self.open_payments(), key=self.stage)
        status = self.payment_model[payment_id].status
        if status == "INITIATED":
            self.request_otp(payment_id)
        elif status == "OTP_SENT":
            self.authorise(payment_id, right=True, wrong="000000")
        elif status == "AUTHORISED":
            self.submit(payment_id)
        else:
            self.succeed(payment_id)

    @rule(payment_id=payments)
    def request_otp(self, payment_id: UUID) -> None:
        payment = self.payment_model[payment_id]
        refusals = self._move(payment, "OTP_SENT")
        before = self.now()
        issued = self.run(refusals, lambda: self.core.request_payment_otp(payment_id))
        if issued is not None:
            payment.status, payment.otp, payment.otp_failures = "OTP_SENT", issued.otp, 0
            payment.otp_expires_at = issued.expires_at
            assert before + OTP_LIFETIME <= issued.expires_at <= self.now() + OTP_LIFETIME

    @rule(payment_id=payments, right=st.booleans(), wrong=strategies.otps())
    def authorise(self, payment_id: UUID, right: bool, wrong: str) -> None:
        """The OTP must match; then the amount is reserved, never beyond the outstanding."""
        payment = self.payment_model[payment_id]
        otp = payment.otp if right and payment.otp else wrong
        refusals = self._move(payment, "AUTHORISED")
        outcome = OtpOutcome(set(), 0, consumed=False)
        if not refusals:
            outcome = _otp_outcome(
                payment.otp, payment.otp_expires_at, payment.otp_failures, otp, self.now()
            )
            refusals = outcome.refusals
        invoices = [self.invoice_model[i] for i in payment.allocations]
        if not refusals:
            refusals = _refusals(
                (not all(i.payable for i in invoices), errors.InvoiceNotPayable),
                (
                    any(payment.allocations[i] > m.outstanding for i, m in self._named(payment)),
                    errors.InvoiceOverpayment,
                ),
            )
        self.run(refusals, lambda: self.core.authorise_payment(payment_id, otp))
        payment.otp_failures += outcome.counts_failure
        if not refusals:
            payment.status, payment.otp = "AUTHORISED", None
            for invoice_id, invoice in self._named(payment):
                invoice.reservations[payment_id] = payment.allocations[invoice_id]

    def _named(self, payment: PaymentModel) -> Iterable[tuple[UUID, InvoiceModel]]:
        return [(i, self.invoice_model[i]) for i in payment.allocations]

    @rule(payment_id=payments)
    def submit(self, payment_id: UUID) -> None:
        payment = self.payment_model[payment_id]
        refusals = self._move(payment, "SUBMITTED")
        self.run(refusals, lambda: self.core.submit_payment(payment_id))
        if not refusals:
            payment.status = "SUBMITTED"

    @rule(payment_id=payments)
    def succeed(self, payment_id: UUID) -> None:
        """The reservations become settled payments; an invoice paid in full is PAID."""
        payment = self.payment_model[payment_id]
        refusals = self._move(payment, "SUCCEEDED")
        self.run(refusals, lambda: self.core.record_payment_success(payment_id, "UTR1"))
        if not refusals:
            payment.status = "SUCCEEDED"
            for _, invoice in self._named(payment):
                invoice.settled += invoice.reservations.pop(payment_id)
                invoice.status = invoice.status_after_payment()

    @rule(payment_id=payments)
    def fail(self, payment_id: UUID) -> None:
        """A failed payment releases its reservations."""
        payment = self.payment_model[payment_id]
        refusals = self._move(payment, "FAILED")
        self.run(refusals, lambda: self.core.record_payment_failure(payment_id, "declined"))
        if not refusals:
            payment.status, payment.otp = "FAILED", None
            for _, invoice in self._named(payment):
                invoice.reservations.pop(payment_id, None)

    @invariant()
    def payments_agree_with_the_model(self) -> None:
        """Each payment's status, amounts and wrong OTP attempts are those predicted."""
        for payment_id, model in self.payment_model.items():
            live = self.live_state(payment_id)
            allocations = {UUID(i): m.amount for i, m in live.allocations.items()}
            assert (str(live.status), allocations, _failures(live.otp)) == (
                model.status,
                model.allocations,
                model.otp_failures if model.otp else 0,
            ), f"payment {payment_id}"

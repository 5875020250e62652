"""The commands of payments against invoices.

A payment's rules span it and its invoices (reservations, settlement), so these commands
get both and call the functions of ``paycore.domain.payment`` that keep them in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from paycore.domain import payment as payments
from paycore.domain.arguments import (
    PAYMENT_TYPE_LENGTH,
    REASON_LENGTH,
    UTR_LENGTH,
    check_text,
    check_uuid,
)
from paycore.domain.b2b import check_remarks
from paycore.domain.errors import InvalidArgument
from paycore.domain.invoice import Invoice
from paycore.domain.money import Money
from paycore.domain.otp import IssuedOtp, OneTimePassword
from paycore.domain.payment import Payment, check_payment_type
from paycore.domain.runner import CommandRunner, Context, Key, Unit


def _invoices(unit: Unit, payment: Payment) -> list[Invoice]:
    return [unit.get(Invoice, i) for i in payment.invoice_ids]


class PaymentCommands(CommandRunner):
    def get_payment(self, payment_id: UUID, version: int | None = None) -> Payment:
        return self._get(Payment, payment_id, version)

    def initiate_payment(
        self,
        invoice_ids: Sequence[UUID],
        payment_type: str = "INVOICE",
        amount: Money | str | None = None,
        remarks: str = "",
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> UUID:
        """A full payment of the named invoices, or (``amount`` given) a partial one."""
        if isinstance(invoice_ids, (str, bytes)) or not isinstance(invoice_ids, Sequence):
            msg = "invoice_ids is a list of invoice ids"
            raise InvalidArgument(msg, argument="invoice_ids")
        ids = [check_uuid(i, "invoice_ids[]") for i in invoice_ids]
        kind = check_payment_type(check_text(payment_type, "payment_type", PAYMENT_TYPE_LENGTH))
        money = None if amount is None else Money.positive(amount, "amount")
        remarks = check_remarks(remarks, allow_empty=True)
        args = {"invoice_ids": ids, "type": kind, "amount": money, "remarks": remarks}
        payment_id = self.ids()

        def initiate(unit: Unit) -> UUID:
            invoices = [unit.get(Invoice, i) for i in ids]
            return unit.create(Payment.initiate(payment_id, kind, invoices, money, remarks)).id

        return self._run("initiate_payment", args, initiate, context, idempotency_key)

    def request_payment_otp(self, payment_id: UUID, *, context: Context = None) -> IssuedOtp:
        payment_id = check_uuid(payment_id, "payment_id")

        def request(unit: Unit) -> IssuedOtp:
            issued, challenge = self._issue_otp("PAYMENT")
            unit.get(Payment, payment_id).send_otp(challenge)
            return issued

        return self._run("request_payment_otp", {}, request, context)

    def authorise_payment(
        self,
        payment_id: UUID,
        otp: str,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        """Checks the OTP and reserves the amount on the invoices, atomically."""
        payment_id = check_uuid(payment_id, "payment_id")
        checked, key = OneTimePassword(otp), self.otp_key

        def authorise(unit: Unit) -> None:
            payment = unit.get(Payment, payment_id)
            digest = key.digest_for(payment.otp, checked) if payment.otp else ""
            payments.authorise(payment, _invoices(unit, payment), digest, self._now())

        args = {"payment_id": payment_id}  # never the OTP
        self._run("authorise_payment", args, authorise, context, idempotency_key)

    def submit_payment(
        self,
        payment_id: UUID,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> str:
        """Marks the payment as sent to the platform; returns its client reference."""
        payment_id = check_uuid(payment_id, "payment_id")

        def submit(unit: Unit) -> str:
            payment = unit.get(Payment, payment_id)
            payment.submit()
            return payment.object_id

        args = {"payment_id": payment_id}
        return self._run("submit_payment", args, submit, context, idempotency_key)

    def record_payment_success(
        self,
        payment_id: UUID,
        utr: str,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        """The platform paid: the reservations on the invoices become settled payments."""
        payment_id, utr = check_uuid(payment_id, "payment_id"), check_text(utr, "utr", UTR_LENGTH)

        def succeed(unit: Unit) -> None:
            payment = unit.get(Payment, payment_id)
            payments.succeed(payment, _invoices(unit, payment), utr)

        args = {"payment_id": payment_id, "utr": utr}
        self._run("record_payment_success", args, succeed, context, idempotency_key)

    def record_payment_failure(
        self,
        payment_id: UUID,
        reason: str,
        *,
        context: Context = None,
        idempotency_key: Key = None,
    ) -> None:
        """The payment failed or is abandoned; any reservation is released."""
        payment_id = check_uuid(payment_id, "payment_id")
        reason = check_text(reason, "reason", REASON_LENGTH)

        def fail(unit: Unit) -> None:
            payment = unit.get(Payment, payment_id)
            payments.fail(payment, _invoices(unit, payment), reason)

        args = {"payment_id": payment_id, "reason": reason}
        self._run("record_payment_failure", args, fail, context, idempotency_key)

"""The payments view: each payment's status, amount, invoices and outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Protocol
from uuid import UUID

from paycore.domain.money import total
from paycore.domain.payment import Payment, payment_object_id
from paycore.projections.tables import Table
from paycore.projections.views.base import AggregateView, Handler, change, created, replace


@dataclass(frozen=True)
class PaymentRow:
    payment_id: UUID
    object_id: str
    payment_type: str
    status: str
    amount: Decimal
    partial: bool
    invoice_ids: list[str]
    #: Invoice id -> amount paid on it (decimal text).
    allocations: dict[str, str]
    remarks: str
    reference: str | None
    utr: str | None
    failure_reason: str | None
    version: int
    initiated_at: datetime
    updated_at: datetime


PAYMENTS = Table("paycore_payments", PaymentRow, key=("payment_id",), group="payment_id")


def _initiated(e: Payment.Initiated) -> PaymentRow:
    allocations = {invoice: str(m.amount) for invoice, m in e.allocations.items()}
    return PaymentRow(
        payment_id=e.originator_id,
        object_id=payment_object_id(e.originator_id),
        payment_type=str(e.payment_type),
        status=str(e.status),
        amount=total(e.allocations.values()).amount,
        partial=e.partial,
        invoice_ids=list(allocations),
        allocations=allocations,
        remarks=e.remarks,
        reference=None,
        utr=None,
        failure_reason=None,
        version=e.originator_version,
        initiated_at=e.timestamp,
        updated_at=e.timestamp,
    )


class _Moved(Protocol):
    @property
    def status(self) -> str: ...


def _moved(row: PaymentRow, e: _Moved) -> PaymentRow:
    return replace(row, status=str(e.status))


def _submitted(row: PaymentRow, e: Payment.Submitted) -> PaymentRow:
    return replace(row, status=str(e.status), reference=e.reference)


def _succeeded(row: PaymentRow, e: Payment.Succeeded) -> PaymentRow:
    return replace(row, status=str(e.status), utr=e.utr)


def _failed(row: PaymentRow, e: Payment.Failed) -> PaymentRow:
    return replace(row, status=str(e.status), failure_reason=e.reason)


class PaymentsView(AggregateView[PaymentRow]):
    """Payments with their status, amounts and invoices."""

    name = "paycore.payments"
    table = PAYMENTS
    aggregate = Payment
    changes: ClassVar[Mapping[str, Handler]] = dict(
        [
            created(Payment.Initiated, _initiated),
            change(Payment.OtpSent, _moved),
            change(Payment.Authorised, _moved),
            change(Payment.Submitted, _submitted),
            change(Payment.Succeeded, _succeeded),
            change(Payment.Failed, _failed),
        ]
    )

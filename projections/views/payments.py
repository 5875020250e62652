"""The payments view: each payment's status, amount, invoices and outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from paycore.domain.payment import Payment, payment_object_id
from paycore.projections.tables import Table
from paycore.projections.views.base import (
    ZERO,
    AggregateView,
    Fields,
    Handler,
    Recorded,
    change,
    created,
    replace,
)


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


def _initiated(recorded: Recorded) -> PaymentRow:
    e = recorded.fields
    allocations: dict[str, str] = e["allocations"]
    return PaymentRow(
        payment_id=recorded.aggregate_id,
        object_id=payment_object_id(recorded.aggregate_id),
        payment_type=e["payment_type"],
        status=e["status"],
        amount=sum((Decimal(a) for a in allocations.values()), ZERO),
        partial=e["partial"],
        invoice_ids=list(allocations),
        allocations=allocations,
        remarks=e["remarks"],
        reference=None,
        utr=None,
        failure_reason=None,
        version=recorded.version,
        initiated_at=recorded.timestamp,
        updated_at=recorded.timestamp,
    )


def _moved(row: PaymentRow, e: Fields) -> PaymentRow:
    return replace(row, status=e["status"])


def _submitted(row: PaymentRow, e: Fields) -> PaymentRow:
    return replace(row, status=e["status"], reference=e["reference"])


def _succeeded(row: PaymentRow, e: Fields) -> PaymentRow:
    return replace(row, status=e["status"], utr=e["utr"])


def _failed(row: PaymentRow, e: Fields) -> PaymentRow:
    return replace(row, status=e["status"], failure_reason=e["reason"])


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

"""Accounts Payable: the payment request and the confirmation of payable invoices."""

# ruff: noqa: N815  (wire names are mixedCase by the platform's choice)

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from paycore.adapters.enkash.models.common import (
    Amount,
    BuyerResponse,
    Id,
    Otp,
    Reference,
    Remarks,
    WireRequest,
)

PaymentType = Literal[
    "INVOICE", "GST", "UTILITY", "RENTAL", "CONSENT_TRANSACTION",
    "COLLECTION_INVOICE", "ADVANCE_PAYMENT",
]  # fmt: skip


class PaymentRequest(WireRequest):
    """``POST /api/v0/payment``; paycore always sends a ``urn`` to reconcile by.

    Partial payment names exactly one invoice and an amount (inferred: the docs give
    no rule text).
    """

    paymentIds: Annotated[list[Id], Field(min_length=1)]
    paymentType: PaymentType
    urn: Reference
    accountNo: str | None = None
    seamlessBanking: bool | None = None
    frontendVersion: bool | None = None
    otpReferenceNumber: Id | None = None
    otp: Otp | None = None
    partialPayment: bool = False
    amount: Amount | None = None
    paymentRemarks: Remarks | None = None

    @model_validator(mode="after")
    def _partial_and_otp_consistent(self) -> Self:
        if self.partialPayment and (self.amount is None or len(self.paymentIds) != 1):
            raise ValueError("a partial payment names one invoice and an amount")
        if self.otp is not None and self.otpReferenceNumber is None:
            raise ValueError("otp needs the otpReferenceNumber it answers")
        return self


class ConfirmPayableInvoicesRequest(WireRequest):
    invoiceIds: Annotated[list[Id], Field(min_length=1)]
    remarks: Annotated[str, Field(min_length=1, max_length=255)]
    status: BuyerResponse

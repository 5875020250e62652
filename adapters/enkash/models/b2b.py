"""Bharat Connect B2B: invoices, payments, purchase orders and credit/debit notes.

Both directions of each object live together. A request paycore sends (``req-*``)
wraps its object in :class:`B2BMessage`. The ``Webhook*`` models are the bodies the
platform posts to paycore's inbox: the counterparty's requests and the network's
responses (``resp-*``). They read only what paycore acts on and ignore the rest. Both
directions carry the same :class:`ObjectVersion`, which converts to and from the
domain's value.
"""

# ruff: noqa: N815  (wire names are mixedCase by the platform's choice)

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import Field

from paycore import domain
from paycore.adapters.enkash.models.common import (
    Amount,
    BuyerResponse,
    Count,
    Email,
    Id,
    InvoiceNumber,
    Limit,
    Remarks,
    Text100,
    WireRequest,
    WireResponse,
    as_json_number,
)
from paycore.domain.payment import PAYMENT_OBJECT_ID

InvoiceId = Annotated[str, Field(pattern=r"^[INV]{3}[A-Za-z0-9]{32}$")]
PaymentId = Annotated[str, Field(pattern=r"^[PMT]{3}[A-Za-z0-9]{32}$")]
#: the objectId of a payment paycore made: ``PMT`` and the payment id's hex
PaycorePaymentId = Annotated[str, Field(pattern=f"^{PAYMENT_OBJECT_ID.pattern}$")]
#: a document shape the docs show only by its field count: passed through as given
Document = dict[str, Any]
PaymentMode = Literal[
    "INTERNET BANKING", "DEBIT CARD", "CREDIT CARD", "IMPS", "CASH", "UPI", "WALLET",
    "NEFT", "PREPAID CARD", "ACCOUNT TRANSFER", "CHEQUE",
]  # fmt: skip


# -- what every B2B message carries ------------------------------------------------------


class DeviceTag(WireRequest):
    name: Literal["GEOCODE"] = "GEOCODE"
    value: Id


class Device(WireRequest):
    tag: DeviceTag


class B2BIds(WireRequest):
    buyerB2BId: Text100
    supplierB2BId: Text100


class ObjectVersion(WireResponse):
    """``objectVersion``, in requests and webhooks alike: the version a message saw and
    the version it makes.

    Fields it does not know are ignored both ways, as in any payload paycore receives;
    both fields are required, so a misspelt one is refused either way.
    """

    currentVersion: Count
    #: a message always makes a version after the one it saw
    newVersion: Annotated[int, Field(ge=1)]

    @classmethod
    def of(cls, version: domain.ObjectVersion) -> Self:
        return cls(currentVersion=version.current, newVersion=version.new)

    def to_domain(self) -> domain.ObjectVersion:
        return domain.ObjectVersion(self.currentVersion, self.newVersion)


class StatusTransition(WireRequest):
    currentStatus: Id
    newStatus: Id


class AdditionalInfo(WireRequest):
    name: Id
    value: str


class B2BMessage(WireRequest):
    """What every partner-to-platform B2B request carries around its object."""

    device: Device
    b2bIds: B2BIds
    additionalInfos: list[AdditionalInfo] | None = None


class WebhookResult(WireResponse):
    """``resp``: the network's answer to the request a response webhook answers."""

    result: str = Field(min_length=1)
    errorReason: str | None = None


class WebhookB2BIds(WireResponse):
    buyerB2BId: str
    supplierB2BId: str


class WebhookResponse(WireResponse):
    """A response webhook paycore only acknowledges: its ``resp`` is all it reads."""

    resp: WebhookResult


# -- invoices ----------------------------------------------------------------------------


class InvoiceConfirmation(WireRequest):
    objectId: InvoiceId
    supplierInvoiceNumber: InvoiceNumber
    objectVersion: ObjectVersion
    buyerResponse: BuyerResponse
    buyerRemarks: Remarks
    statusTransition: StatusTransition


class ConfirmInvoiceRequest(B2BMessage):
    invoiceConfirmation: InvoiceConfirmation


class InvoiceStatusChange(WireRequest):
    objectId: InvoiceId
    supplierInvoiceNumber: InvoiceNumber
    objectVersion: ObjectVersion
    supplierAction: Text100
    supplierRemarks: Remarks
    statusTransition: StatusTransition


class ChangeInvoiceStatusRequest(B2BMessage):
    invoiceStatus: InvoiceStatusChange


class WebhookInvoiceAmount(WireResponse):
    totalAmount: Decimal = Field(gt=0)


class WebhookInvoice(WireResponse):
    objectId: str
    supplierInvoiceNumber: str
    objectVersion: ObjectVersion
    invoiceAmount: WebhookInvoiceAmount
    partialPaymentAllowed: bool = True


class WebhookInvoiceRequest(WireResponse):
    """A supplier raises or edits an invoice (``req-create-invoice``, ``req-edit-invoice``)."""

    b2bIds: WebhookB2BIds
    invoice: WebhookInvoice


class WebhookInvoiceStatus(WireResponse):
    objectId: str
    objectVersion: ObjectVersion
    supplierAction: Literal["CANCEL"]
    supplierRemarks: str


class WebhookInvoiceStatusRequest(WireResponse):
    """A supplier cancels an invoice (``req-status-change-invoice``)."""

    invoiceStatus: WebhookInvoiceStatus


# -- payments ----------------------------------------------------------------------------


class PaidAmount(WireRequest):
    netPaidAmount: Limit
    netAdjustmentAmount: Limit
    totalAmount: Amount
    currency: Literal["INR"] = "INR"


class InvoiceAmount(WireRequest):
    dueAmount: Limit
    totalAmount: Amount
    currency: Literal["INR"] = "INR"


class PaymentSplit(WireRequest):
    name: Id
    value: Limit
    refNo: str | None = None


class InvoicePaidAmount(PaidAmount):
    splits: list[PaymentSplit] | None = None


class SupplierBankAccount(WireRequest):
    maskedAccountNumber: Id
    ifsc: Annotated[str, Field(pattern=r"^[A-Za-z]{4}0[A-Z0-9a-z]{6}$")]
    beneficiaryName: Id
    businessVPA: str | None = None


class InvoicePayInfo(WireRequest):
    objectId: InvoiceId
    supplierInvoiceNumber: InvoiceNumber
    objectVersion: ObjectVersion
    statusTransition: StatusTransition
    invoiceAmount: InvoiceAmount
    invoicePaymentAmount: InvoicePaidAmount
    supplierBankAccountDetails: SupplierBankAccount


class B2BPayment(WireRequest):
    objectId: PaymentId
    ts: Id
    type: Literal["ONPLATFORM", "OFFPLATFORM"]
    mode: PaymentMode
    utr: Annotated[str, Field(min_length=1, max_length=50)]
    currency: Literal["INR"] = "INR"
    paymentAmount: PaidAmount
    invoicesPayInfos: Annotated[list[InvoicePayInfo], Field(min_length=1)]


class PayInvoiceRequest(B2BMessage):
    payment: B2BPayment


class WebhookPayment(WireResponse):
    objectId: PaycorePaymentId
    utr: str | None = None


class WebhookPaymentResponse(WireResponse):
    """The network's answer to a payment (``resp-pay``)."""

    resp: WebhookResult
    payment: WebhookPayment


class WebhookPaymentConfirmation(WireResponse):
    objectId: PaycorePaymentId
    supplierResponse: Literal["ACCEPT", "REJECT"]
    supplierRemarks: str = Field(min_length=1, max_length=100)


class WebhookPaymentConfirmationResponse(WireResponse):
    """The supplier's answer to a payment (``resp-pay-confirmation``)."""

    resp: WebhookResult
    paymentConfirmation: WebhookPaymentConfirmation


# -- parties and lines of orders and notes -------------------------------------------------


class Address(WireRequest):
    type: str | None = None
    addressLine1: Id
    addressLine2: str | None = None
    city: Id
    state: Id
    country: Id
    pincode: Id


class ContactNumber(WireRequest):
    type: str | None = None
    countryCode: Id
    phoneNumber: Id


class Party(WireRequest):
    b2bId: Text100
    gstin: Id
    legalName: Id
    tradeName: str | None = None
    stateCode: Id
    address: Address
    contactNumber: ContactNumber | None = None
    email: Email | None = None
    placeOfSupply: str | None = None


class LineItem(WireRequest):
    """One line of a purchase order or a note; the documented fields, then the rest."""

    serialno: Id
    productDescription: Id
    isService: Literal["Y", "N"]
    hsnCode: Id
    quantity: Annotated[Decimal, Field(gt=0), as_json_number]
    unit: Id
    unitPrice: Limit
    totalAmt: Limit
    gstRate: Limit | None = None
    totalItemValue: Limit
    barCode: str | None = None
    freeQuantity: Limit | None = None
    assessmentAmount: Limit | None = None
    orderLineReference: str | None = None
    originCountry: str | None = None
    productSerialNumber: str | None = None
    itemValueDetails: list[Document] | None = None
    rates: list[Document] | None = None
    batchDetails: Document | None = None


# -- purchase orders ---------------------------------------------------------------------


class PurchaseOrder(WireRequest):
    objectId: Text100
    buyerPONumber: Text100
    ts: Id
    orderDate: Id
    deliveryDate: Id
    subject: Text100
    objectVersion: ObjectVersion
    poStatusTransition: StatusTransition
    supplierDetails: Party
    buyerDetails: Party
    itemLists: Annotated[list[LineItem], Field(min_length=1)]
    addressDetails: list[Document] | None = None
    poValueDetails: Document | None = None
    poInfos: list[Document] | None = None
    contractReferenceDetails: list[Document] | None = None
    additionalDocumentDetails: list[Document] | None = None
    paymentMilestones: list[Document] | None = None
    shippingTermsDetails: Document | None = None


class SendPurchaseOrderRequest(B2BMessage):
    """Send, and (same body, ``objectVersion`` raised) edit, a purchase order."""

    purchaseOrder: PurchaseOrder


class PurchaseOrderConfirmation(WireRequest):
    objectId: Text100
    buyerPONumber: Text100
    supplierResponse: Text100
    supplierRemarks: Remarks
    objectVersion: ObjectVersion
    poStatusTransition: StatusTransition


class ConfirmPurchaseOrderRequest(B2BMessage):
    poConfirmation: PurchaseOrderConfirmation


class PurchaseOrderStatusChange(WireRequest):
    objectId: Text100
    buyerPONumber: Text100
    objectVersion: ObjectVersion
    buyerAction: Text100
    buyerRemarks: Remarks
    poStatusTransition: StatusTransition


class ChangePurchaseOrderStatusRequest(B2BMessage):
    poStatus: PurchaseOrderStatusChange


class WebhookPoConfirmation(WireResponse):
    objectId: str
    supplierResponse: Literal["ACCEPT", "REJECT", "RETURN"]
    supplierRemarks: str
    objectVersion: ObjectVersion


class WebhookPoConfirmationRequest(WireResponse):
    """A supplier answers a purchase order (``req-confirm``)."""

    poConfirmation: WebhookPoConfirmation


class WebhookStatusTransition(WireResponse):
    currentStatus: str
    newStatus: Literal["ACCEPTED", "REJECTED", "RETURNED"]


class WebhookPoStatus(WireResponse):
    objectId: str
    objectVersion: ObjectVersion
    supplierRemarks: str
    poStatusTransition: WebhookStatusTransition


class WebhookPoStatusRequest(WireResponse):
    """A supplier moves a purchase order to the status it answers with (``req-status-change``)."""

    poStatus: WebhookPoStatus


# -- credit and debit notes --------------------------------------------------------------


class CreditDebitNote(WireRequest):
    objectId: Text100
    noteType: Text100
    supplierCDNoteNumber: InvoiceNumber
    objectVersion: ObjectVersion
    ts: Id
    cdNoteStatusTransition: StatusTransition
    supplierDetails: Party
    buyerDetails: Party
    itemLists: Annotated[list[LineItem], Field(min_length=1)]
    invoiceReferenceDetails: Document | None = None
    cdNoteValueDetails: Document | None = None
    eInvoiceInfo: Document | None = None
    transactionDetails: Document | None = None
    dispatchDetails: Document | None = None
    shippingDetails: Document | None = None
    supplierBankAccountDetails: Document | None = None
    advancePaymentDetails: Document | None = None
    exportDetails: Document | None = None
    ewayBillDetail: Document | None = None
    recurringPayments: Document | None = None
    shippingTermsDetails: Document | None = None
    precedingInvoiceDetails: list[Document] | None = None
    poDetails: list[Document] | None = None
    contractReferenceDetails: list[Document] | None = None
    additionalDocumentDetails: list[Document] | None = None
    paymentMilestones: list[Document] | None = None


class SendCreditDebitNoteRequest(B2BMessage):
    cdNote: CreditDebitNote


class CreditDebitNoteConfirmation(WireRequest):
    objectId: Text100
    noteType: Text100
    supplierCDNoteNumber: InvoiceNumber
    objectVersion: ObjectVersion
    buyerResponse: Text100
    buyerRemarks: Remarks
    cdNoteStatusTransition: StatusTransition


class ConfirmCreditDebitNoteRequest(B2BMessage):
    cdNoteConfirmation: CreditDebitNoteConfirmation


class WebhookInvoiceReference(WireResponse):
    objectId: str


class WebhookNoteValue(WireResponse):
    totalAmount: Decimal = Field(gt=0)


class WebhookCdNote(WireResponse):
    objectId: str
    noteType: Literal["CREDIT", "DEBIT"]
    invoiceReferenceDetails: WebhookInvoiceReference
    cdNoteValueDetails: WebhookNoteValue


class WebhookCdNoteRequest(WireResponse):
    """A supplier sends a credit or debit note against an invoice (``req-send``)."""

    cdNote: WebhookCdNote

"""Bharat Connect B2B: invoices, payments, purchase orders and credit/debit notes.

Both directions of each object live together, held to the fixtures of
``tests/contract/`` (the EnKash pages, cited there). A request paycore sends
(``req-*``) wraps its object in :class:`B2BMessage`; every member a page marks required
is required here too, so a request that leaves one out is refused before it is sent.
The ``Webhook*`` models are the bodies the platform posts to paycore's inbox: the
counterparty's requests and the network's responses (``resp-*``). They require what
paycore acts on, read the other documented members when present and ignore the rest:
a webhook refused for a member paycore does not use would lose the news it brings.
Both directions carry the same :class:`ObjectVersion`, which converts to and from the
domain's value.
"""

# ruff: noqa: N815  (wire names are mixedCase by the platform's choice)

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

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
    Utr,
    WireRequest,
    WireResponse,
    as_json_number,
)
from paycore.domain.invoice import INVOICE_ID
from paycore.domain.payment import PAYMENT_OBJECT_ID

# The pages write these patterns as ``^[INV]{3}[A-Za-z0-9]{32,32}$`` and
# ``^[PMT]{3}...``: a character class, which also admits ``NIV...`` or ``TPM...``. The
# same page says "Format: INV<RandomNumber>", so paycore reads the prefix literally.
#: an invoice objectId: ``INV`` and 32 letters or digits
InvoiceId = Annotated[str, Field(pattern=f"^{INVOICE_ID.pattern}$")]
#: a payment objectId: ``PMT`` and 32 letters or digits
PaymentId = Annotated[str, Field(pattern=r"^PMT[A-Za-z0-9]{32}$")]
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
    """One ``{name, value}`` of ``additionalInfos``; both members are optional on the pages."""

    name: str | None = None
    value: str | None = None


class B2BMessage(WireRequest):
    """What every partner-to-platform B2B request carries around its object.

    ``additionalInfos`` is declared by each request: the invoice messages have none, the
    payment may carry it, and the orders and notes must.
    """

    device: Device
    b2bIds: B2BIds


class WebhookResult(WireResponse):
    """``resp``: the network's answer to the request a response webhook answers.

    ``reqMsgId`` and ``result`` are required on every page. The error members are
    required on most pages and optional on the payment-confirmation one; paycore reads
    them when present, since an answer that reports success has no error to give.
    """

    reqMsgId: str
    result: str = Field(min_length=1)
    errorCd: str | None = None
    errorDtl: str | None = None
    errorField: str | None = None

    def failure(self) -> str:
        """What the network answered, in one line: the result and its error members."""
        said = [self.result] + [
            part for part in (self.errorCd, self.errorDtl, self.errorField) if part
        ]
        return ": ".join(said)


class WebhookB2BIds(WireResponse):
    buyerB2BId: str
    supplierB2BId: str


class WebhookStatusTransition(WireResponse):
    currentStatus: str
    newStatus: str


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
    """The buyer's response to an invoice; the page's body has no ``additionalInfos``."""

    invoiceConfirmation: InvoiceConfirmation


class InvoiceStatusChange(WireRequest):
    objectId: InvoiceId
    supplierInvoiceNumber: InvoiceNumber
    objectVersion: ObjectVersion
    supplierAction: Text100
    supplierRemarks: Remarks
    statusTransition: StatusTransition


class ChangeInvoiceStatusRequest(B2BMessage):
    """The supplier's change of an invoice; the page's body has no ``additionalInfos``."""

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
    supplierInvoiceNumber: str | None = None
    objectVersion: ObjectVersion
    #: a free string on the page; the supplier's cancellation is the one paycore acts on
    supplierAction: Literal["CANCEL"]
    supplierRemarks: str
    statusTransition: WebhookStatusTransition | None = None


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


PaymentPlatform = Literal["ONPLATFORM", "OFFPLATFORM"]


class B2BPayment(WireRequest):
    objectId: PaymentId
    ts: Id
    type: PaymentPlatform
    mode: PaymentMode
    utr: Utr
    currency: Literal["INR"] = "INR"
    paymentAmount: PaidAmount
    invoicesPayInfos: Annotated[list[InvoicePayInfo], Field(min_length=1)]


class PayInvoiceRequest(B2BMessage):
    payment: B2BPayment
    additionalInfos: list[AdditionalInfo] | None = None


class WebhookPayment(WireResponse):
    objectId: PaycorePaymentId
    #: required by the page; empty when the payment failed and no transfer was made
    utr: str
    ts: str | None = None
    type: PaymentPlatform | None = None
    mode: PaymentMode | None = None
    currency: Literal["INR"] | None = None
    paymentAmount: Document | None = None
    invoicesPayInfos: list[Document] | None = None


class WebhookPaymentResponse(WireResponse):
    """The network's answer to a payment (``resp-pay``): paid, with its ``utr``, or failed
    with ``resp.errorCd`` and ``resp.errorDtl``."""

    resp: WebhookResult
    b2bIds: WebhookB2BIds | None = None
    payment: WebhookPayment
    additionalInfos: list[Document] | None = None


class WebhookPaymentConfirmation(WireResponse):
    objectId: PaycorePaymentId
    ts: str | None = None
    type: PaymentPlatform
    supplierResponse: Literal["ACCEPT", "REJECT"]
    supplierRemarks: Remarks
    invoiceInfos: list[Document] | None = None

    @model_validator(mode="after")
    def _reject_only_off_platform(self) -> Self:
        # The page's rule: "REJECT is only for offplatform payment".
        if self.supplierResponse == "REJECT" and self.type == "ONPLATFORM":
            raise ValueError("a supplier rejects only an off-platform payment")
        return self


class WebhookPaymentConfirmationResponse(WireResponse):
    """The supplier's answer to a payment (``resp-pay-confirmation``).

    This page alone spells the last member ``additionalInfo``. The supplier's answer is
    all paycore acts on; the network's ``resp`` is read when present.
    """

    resp: WebhookResult | None = None
    b2bIds: WebhookB2BIds | None = None
    paymentConfirmation: WebhookPaymentConfirmation
    additionalInfo: list[Document] | None = None


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


class AddressDetail(WireRequest):
    """One of a purchase order's ``addressDetails``."""

    addressType: Id
    address: Address


class TypedValue(WireRequest):
    """A ``{type, value}`` of a line's ``itemValueDetails`` or ``rates``."""

    type: Id
    value: Limit


class LineItem(WireRequest):
    """One line of a purchase order or a note; the documented fields, then the rest."""

    serialno: Id
    productDescription: Id
    #: a free string on the page (paycore sends ``Y`` or ``N``)
    isService: Id
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
    itemValueDetails: list[TypedValue] | None = None
    rates: list[TypedValue] | None = None
    batchDetails: Document | None = None


# -- purchase orders ---------------------------------------------------------------------


class PurchaseOrder(WireRequest):
    """The order; every member is required on the page, those shown only by their count
    of members (``poValueDetails``, ``poInfos``, ...) as documents."""

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
    addressDetails: list[AddressDetail]
    itemLists: Annotated[list[LineItem], Field(min_length=1)]
    poValueDetails: Document
    poInfos: list[Document]
    contractReferenceDetails: list[Document]
    additionalDocumentDetails: list[Document]
    paymentMilestones: list[Document]
    shippingTermsDetails: Document


class SendPurchaseOrderRequest(B2BMessage):
    """Send, and (same body, ``objectVersion`` raised) edit, a purchase order."""

    purchaseOrder: PurchaseOrder
    additionalInfos: list[AdditionalInfo]


class PurchaseOrderConfirmation(WireRequest):
    objectId: Text100
    buyerPONumber: Text100
    supplierResponse: Text100
    supplierRemarks: Remarks
    objectVersion: ObjectVersion
    poStatusTransition: StatusTransition


class ConfirmPurchaseOrderRequest(B2BMessage):
    poConfirmation: PurchaseOrderConfirmation
    additionalInfos: list[AdditionalInfo]


#: what a buyer does to its sent order, in ``buyerAction`` (a free string on the page):
#: the two moves of paycore's order lifecycle that are the buyer's alone
BuyerAction = Literal["CANCEL", "CLOSE"]


class PurchaseOrderStatusChange(WireRequest):
    objectId: Text100
    buyerPONumber: Text100
    objectVersion: ObjectVersion
    buyerAction: Text100
    buyerRemarks: Remarks
    poStatusTransition: StatusTransition


class ChangePurchaseOrderStatusRequest(B2BMessage):
    poStatus: PurchaseOrderStatusChange
    additionalInfos: list[AdditionalInfo]


class WebhookPoConfirmation(WireResponse):
    objectId: str
    buyerPONumber: str | None = None
    #: a free string on the page; paycore's order takes the invoice's three responses
    supplierResponse: Literal["ACCEPT", "REJECT", "RETURN"]
    supplierRemarks: str
    objectVersion: ObjectVersion
    poStatusTransition: WebhookStatusTransition | None = None


class WebhookPoConfirmationRequest(WireResponse):
    """A supplier answers a purchase order (``req-confirm``)."""

    poConfirmation: WebhookPoConfirmation


class WebhookPoStatus(WireResponse):
    objectId: str
    buyerPONumber: str | None = None
    objectVersion: ObjectVersion
    buyerAction: BuyerAction
    buyerRemarks: str
    poStatusTransition: WebhookStatusTransition | None = None


class WebhookPoStatusRequest(WireResponse):
    """The buyer's change of an order, made on the platform (its portal, or the echo of
    paycore's own ``req-status-change``): cancel or close (``req-status-change``)."""

    poStatus: WebhookPoStatus


# -- credit and debit notes --------------------------------------------------------------


class EInvoiceInfo(WireRequest):
    schemaVersion: str | None = None
    irnNumber: str | None = None
    irnTs: str | None = None


class TransactionDetails(WireRequest):
    taxScheme: str | None = None
    supplyType: str | None = None
    reverseChargeTax: str | None = None
    eCommerceGstin: str | None = None
    igstChargable: str | None = None


class CreditDebitNote(WireRequest):
    """The note; every member is required on the page, those shown only by their count
    of members as documents."""

    objectId: Text100
    noteType: Text100
    supplierCDNoteNumber: InvoiceNumber
    objectVersion: ObjectVersion
    ts: Id
    cdNoteStatusTransition: StatusTransition
    eInvoiceInfo: EInvoiceInfo
    transactionDetails: TransactionDetails
    supplierDetails: Party
    buyerDetails: Party
    dispatchDetails: Document
    shippingDetails: Document
    itemLists: Annotated[list[LineItem], Field(min_length=1)]
    cdNoteValueDetails: Document
    supplierBankAccountDetails: Document
    advancePaymentDetails: Document
    invoiceReferenceDetails: Document
    precedingInvoiceDetails: list[Document]
    poDetails: list[Document]
    contractReferenceDetails: list[Document]
    additionalDocumentDetails: list[Document]
    exportDetails: Document
    ewayBillDetail: Document
    recurringPayments: Document
    paymentMilestones: list[Document]
    shippingTermsDetails: Document


class SendCreditDebitNoteRequest(B2BMessage):
    cdNote: CreditDebitNote
    additionalInfos: list[AdditionalInfo]


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
    additionalInfos: list[AdditionalInfo]


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

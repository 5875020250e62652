"""Request and response shapes of the EnKash API, validated before anything is sent.

Field names are the platform's wire names, letter for letter: the casing differs from
one endpoint to the next (``enKashCardId`` here, ``enkashCardId`` there), and a model
that spells them exactly is the simplest proof that the JSON matches.

A request model refuses a value the remote documents as invalid with
:class:`RequestValidationError`, naming the field and never repeating the value.
Secrets (PIN, OTP, MFA code, card token) are ``SecretStr``: hidden in every repr and
revealed only when the body is serialised for the wire.
"""

# ruff: noqa: N815  (wire names are mixedCase by the platform's choice)

from __future__ import annotations

import re
from contextvars import ContextVar
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    ValidationError,
    model_validator,
)

from paycore.adapters.enkash.errors import RequestValidationError

# -- building blocks -----------------------------------------------------------------


def _reveal(secret: SecretStr) -> str:
    return secret.get_secret_value()


def _secret_matching(pattern: str, description: str) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(secret: SecretStr) -> SecretStr:
        if not compiled.fullmatch(secret.get_secret_value()):
            raise ValueError(f"must be {description}")
        return secret

    return AfterValidator(check)


_to_wire_secret = PlainSerializer(_reveal, return_type=str)

#: a secret string that the wire sees and no repr does
Secret = Annotated[SecretStr, _to_wire_secret]
#: a 6-digit one-time password (``^[0-9]{6}$``)
Otp = Annotated[SecretStr, _secret_matching(r"[0-9]{6}", "6 digits"), _to_wire_secret]
#: the card PIN: only a 4-digit example is documented
Pin = Annotated[SecretStr, _secret_matching(r"[0-9]{4}", "4 digits"), _to_wire_secret]

_as_json_number = PlainSerializer(float, return_type=float, when_used="json")
#: rupees with at most two decimals, sent as a JSON number
Amount = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=2), _as_json_number]
#: a limit of usage controls: zero allowed
Limit = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2), _as_json_number]
#: a load: the platform's prose says at least 1 rupee
LoadAmount = Annotated[
    Decimal, Field(ge=Decimal("1.00"), max_digits=15, decimal_places=2), _as_json_number
]

_NO_BACKSLASH_OR_QUOTE = r'^[^\\"]{1,%d}$'
#: B2B free text and ids: 1-100 characters, no backslash or double quote
Text100 = Annotated[str, Field(pattern=_NO_BACKSLASH_OR_QUOTE % 100)]
Remarks = Text100
InvoiceNumber = Annotated[str, Field(pattern=_NO_BACKSLASH_OR_QUOTE % 50)]
#: the client reference the platform dedupes by and echoes back
Reference = Text100
InvoiceId = Annotated[str, Field(pattern=r"^[INV]{3}[A-Za-z0-9]{32}$")]
PaymentId = Annotated[str, Field(pattern=r"^[PMT]{3}[A-Za-z0-9]{32}$")]
Id = Annotated[str, Field(min_length=1, max_length=100)]
Email = Annotated[str, Field(pattern=r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$")]
Mobile = Annotated[str, Field(pattern=r"^\d{10}$")]
Count = Annotated[int, Field(ge=0)]
#: a document shape the docs show only by its field count: passed through as given
Document = dict[str, Any]

AccountType = Literal[
    "RELOADABLE_GPR", "CORPORATE", "GIFT", "MEAL", "FUEL", "VIRTUAL_ACCOUNT",
    "INVOICE_DISCOUNTING", "EMPLOYEE_REWARDS", "CHANNEL_INCENTIVE", "ENKASH_COIN",
    "PETTY_CASH", "FREEDOM_REWARDS", "PAYOUT", "E_RUPI_VOUCHER",
]  # fmt: skip
BlockCode = Literal["AP", "UL", "L", "BL"]
OtpMedium = Literal["MOBILE", "MFA"]
BuyerResponse = Literal["ACCEPT", "REJECT", "RETURN"]
PaymentType = Literal[
    "INVOICE", "GST", "UTILITY", "RENTAL", "CONSENT_TRANSACTION",
    "COLLECTION_INVOICE", "ADVANCE_PAYMENT",
]  # fmt: skip
PaymentMode = Literal[
    "INTERNET BANKING", "DEBIT CARD", "CREDIT CARD", "IMPS", "CASH", "UPI", "WALLET",
    "NEFT", "PREPAID CARD", "ACCOUNT TRANSFER", "CHEQUE",
]  # fmt: skip


def invalid_request(model: str, exc: ValidationError) -> RequestValidationError:
    """The first complaint of ``exc`` as a :class:`RequestValidationError`.

    Only the location and pydantic's message are used: the input is never quoted.
    """
    first = exc.errors(include_url=False, include_input=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or model
    return RequestValidationError(f"{model}.{field}: {first['msg']}", field=field, model=model)


_nesting: ContextVar[int] = ContextVar("wire_request_nesting", default=0)


class WireRequest(BaseModel):
    """A body paycore sends: frozen, no unknown fields, checked at construction."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, **data: Any) -> None:
        # Only the outermost model converts: a nested one lets pydantic's error
        # through, so that pydantic prefixes the field's path.
        nesting = _nesting.set(_nesting.get() + 1)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            if _nesting.get() > 1:
                raise
            raise invalid_request(type(self).__name__, exc) from None
        finally:
            _nesting.reset(nesting)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object as the platform expects it (secrets revealed)."""
        return self.model_dump(mode="json", exclude_none=True)


class WireResponse(BaseModel):
    """A payload paycore receives: fields it does not know are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


# -- prepaid cards -------------------------------------------------------------------


class CreateCardAccountRequest(WireRequest):
    companyId: Id
    companyName: Id
    userId: Id | None = None
    planMasterId: Id
    email: Email
    mobile: Mobile
    accountTitle: Id
    accountType: AccountType


class CardAccountQuery(WireRequest):
    companyId: Id
    cardAccountId: Id


class IdentityDocument(WireRequest):
    docType: Id
    docNo: Secret


class CreateCardRequest(WireRequest):
    """Prepaid (reloadable) and gift cards share the path; the account decides."""

    companyId: Id
    cardAccountId: Id
    userId: Id | None = None
    email: Email | None = None
    mobile: Mobile | None = None
    title: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    gender: str | None = None
    address: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    pincode: str | None = None
    primaryEnKashCard: bool | None = None
    physicalCard: bool = False
    loadAmount: Amount | None = None
    remarks: str | None = None
    physicalDeliveryAddressFlag: bool | None = None
    deliveryAddress: str | None = None
    deliveryAddress2: str | None = None
    deliveryCity: str | None = None
    deliveryState: str | None = None
    deliveryCountry: str | None = None
    deliveryPincode: str | None = None
    documents: list[IdentityDocument] | None = None
    specialDate: str | None = None


class CardRef(WireRequest):
    """One card of one account: the body of several look-ups."""

    companyId: Id
    cardAccountId: Id
    enKashCardId: Id


class SetPinRequest(CardRef):
    pinBlock: Pin
    otpRequired: bool = False


class LoadBalanceRequest(CardRef):
    """A credit to a reloadable card, keyed by the caller's ``uniqueReferenceNumber``.

    paycore requires the card and the reference (the platform does not), because the
    transaction look-up that reconciles a timed-out load needs both.
    """

    amount: LoadAmount
    uniqueReferenceNumber: Reference
    transactionType: Literal["CR"] = "CR"
    type: str | None = None
    transactionCode: str | None = None
    description: str | None = None
    remarks: str | None = None
    createdBy: str | None = None

    def enquiry(self) -> TransactionQuery:
        return TransactionQuery(
            companyId=self.companyId,
            cardAccountId=self.cardAccountId,
            enKashCardId=self.enKashCardId,
            pgReferenceNumber=self.uniqueReferenceNumber,
        )


class TransactionQuery(CardRef):
    pgReferenceNumber: Reference


class CardOtpRequest(WireRequest):
    cardAccountId: Id
    enKashCardId: Id
    cardOtpAction: str = "TRANSACTION_OTP"


class UsageControlsRequest(WireRequest):
    companyId: Id
    cardAccountId: Id
    enKashCardIds: Annotated[list[Id], Field(min_length=1, max_length=100)]
    posAllowed: bool | None = None
    onlineAllowed: bool | None = None
    contactlessAllowed: bool | None = None
    internationalAllowed: bool | None = None
    atmAllowed: bool | None = None
    perTxnLimit: Limit | None = None
    dtd: Limit | None = None
    mtd: Limit | None = None
    ytd: Limit | None = None
    dtdCount: Count | None = None
    mtdCount: Count | None = None
    ytdCount: Count | None = None
    posDailyLimit: Limit | None = None
    posDailyLimitCount: Count | None = None
    ecomDailyLimit: Limit | None = None
    ecomDailyLimitCount: Count | None = None
    contactLessDailyLimit: Limit | None = None
    contactLessDailyLimitCount: Count | None = None
    adminUser: bool | None = None


class OtpConfirmed(WireRequest):
    """The second factor of a card action: an SMS OTP or an authenticator code."""

    otpMedium: OtpMedium
    otpRequired: bool = False
    otpRequestId: Id | None = None
    otp: Otp | None = None
    mfaCode: Secret | None = None

    @model_validator(mode="after")
    def _factor_present(self) -> Self:
        if self.otpRequired and self.otpMedium == "MOBILE" and self.otp is None:
            raise ValueError("otp is required when otpMedium is MOBILE")
        if self.otpRequired and self.otpMedium == "MFA" and self.mfaCode is None:
            raise ValueError("mfaCode is required when otpMedium is MFA")
        return self


class ReplaceCardRequest(OtpConfirmed):
    enKashCardId: Id
    cardAccountId: Id | None = None


class BlockCardRequest(OtpConfirmed, CardRef):
    blockCode: BlockCode
    reason: str | None = None
    createdBy: str | None = None


class CardSearchRequest(WireRequest):
    companyId: Id
    cardAccountId: Id
    enKashCardId: Id | None = None


class CardAccount(WireResponse):
    cardAccountId: str
    companyId: str
    companyName: str | None = None
    accountTitle: str | None = None
    accountType: str | None = None
    creditLimit: Decimal | None = None
    usedCreditLimit: Decimal | None = None
    availableBalance: Decimal | None = None
    availableCardBalance: Decimal | None = None


class Card(WireResponse):
    enKashCardId: str = Field(validation_alias=AliasChoices("enKashCardId", "enkashCardId"))
    cardAccountId: str | None = None
    userId: str | None = None
    maskedNumber: str | None = None
    blockCode: str | None = None
    kycStatus: str | None = None
    giftCard: bool | None = None
    balance: Decimal | None = None
    token: SecretStr | None = Field(default=None, repr=False)


class CardTransaction(WireResponse):
    enKashTransactionId: str = Field(
        validation_alias=AliasChoices(
            "enKashTransactionId", "enkashCardTxnId", "enkashCardTransactionId"
        )
    )
    enKashCardId: str = Field(validation_alias=AliasChoices("enKashCardId", "enkashCardId"))
    pgReferenceNumber: str
    amount: Decimal
    cardTransactionType: str
    status: str | None = None
    txnDate: str | None = None


class CardOtp(WireResponse):
    otpRequestId: str


class UsageLimits(WireResponse):
    enKashCardId: str | None = None
    posAllowed: bool | None = None
    onlineAllowed: bool | None = None
    contactlessAllowed: bool | None = None
    internationalAllowed: bool | None = None
    atmAllowed: bool | None = None
    perTxnLimit: Decimal | None = None
    dtd: Decimal | None = None
    mtd: Decimal | None = None
    ytd: Decimal | None = None
    dtdCount: int | None = None
    mtdCount: int | None = None
    ytdCount: int | None = None
    createdBy: str | None = None
    createdOn: str | None = None
    modifiedOn: str | None = None


# -- Bharat Connect B2B ----------------------------------------------------------------


class DeviceTag(WireRequest):
    name: Literal["GEOCODE"] = "GEOCODE"
    value: Id


class Device(WireRequest):
    tag: DeviceTag


class B2BIds(WireRequest):
    buyerB2BId: Text100
    supplierB2BId: Text100


class ObjectVersion(WireRequest):
    currentVersion: Count
    newVersion: Count


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
    quantity: Annotated[Decimal, Field(gt=0), _as_json_number]
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


# -- Accounts Payable ----------------------------------------------------------------


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


class Acknowledgement(WireResponse):
    """The platform's bare answer: code 0 and a message, the payload as given.

    ``replayed`` is true when the answer was a duplicate of a resend of ours: the
    first attempt had been applied.
    """

    code: int
    message: str
    payload: Any = None
    replayed: bool = False


class TokenGrant(WireResponse):
    """The OAuth2 answer of ``/oauth/token`` (snake_case, or the payout camelCase)."""

    access_token: SecretStr = Field(validation_alias=AliasChoices("access_token", "accessToken"))
    expires_in: int = Field(gt=0, validation_alias=AliasChoices("expires_in", "expiresIn"))
    token_type: str = Field(
        default="bearer", validation_alias=AliasChoices("token_type", "tokenType")
    )
    refresh_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("refresh_token", "refreshToken")
    )
    scope: str | None = None

"""Prepaid and gift cards: the requests paycore sends and the answers it reads.

Every card body is encrypted on the wire (:mod:`paycore.adapters.enkash.crypto`); these
models are the plain JSON inside.
"""

# ruff: noqa: N815  (wire names are mixedCase by the platform's choice)

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import AliasChoices, Field, SecretStr, model_validator

from paycore.adapters.enkash.models.common import (
    Amount,
    Count,
    Email,
    Id,
    Limit,
    Otp,
    Pin,
    Reference,
    Secret,
    WireRequest,
    WireResponse,
    as_json_number,
)

#: a load: the platform's prose says at least 1 rupee
LoadAmount = Annotated[
    Decimal, Field(ge=Decimal("1.00"), max_digits=15, decimal_places=2), as_json_number
]
Mobile = Annotated[str, Field(pattern=r"^\d{10}$")]
AccountType = Literal[
    "RELOADABLE_GPR", "CORPORATE", "GIFT", "MEAL", "FUEL", "VIRTUAL_ACCOUNT",
    "INVOICE_DISCOUNTING", "EMPLOYEE_REWARDS", "CHANNEL_INCENTIVE", "ENKASH_COIN",
    "PETTY_CASH", "FREEDOM_REWARDS", "PAYOUT", "E_RUPI_VOUCHER",
]  # fmt: skip
BlockCode = Literal["AP", "UL", "L", "BL"]
OtpMedium = Literal["MOBILE", "MFA"]


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


#: A holder's personal field: never in a repr (the request is built just in time, and
#: nothing shows it; see docs/privacy.md).
Personal = Field(default=None, repr=False)


class CreateCardRequest(WireRequest):
    """Prepaid (reloadable) and gift cards share the path; the account decides.

    The fields are those of Create Prepaid Card (https://docs.enkash.com/api-13438387)
    and Create Gift Card (https://docs.enkash.com/api-13012983). The holder's are
    personal data: the relay fills them just in time (``holder_fields``) and no repr
    shows them.
    """

    companyId: Id
    cardAccountId: Id
    userId: Id | None = None
    email: Email | None = Personal
    mobile: Mobile | None = Personal
    title: str | None = Personal
    firstName: str | None = Personal
    lastName: str | None = Personal
    gender: str | None = Personal
    address: str | None = Personal
    address2: str | None = Personal
    city: str | None = Personal
    state: str | None = Personal
    country: str | None = Personal
    pincode: str | None = Personal
    primaryEnKashCard: bool | None = None
    physicalCard: bool = False
    loadAmount: Amount | None = None
    remarks: str | None = None
    physicalDeliveryAddressFlag: bool | None = None
    deliveryAddress: str | None = Personal
    deliveryAddress2: str | None = Personal
    deliveryCity: str | None = Personal
    deliveryState: str | None = Personal
    deliveryCountry: str | None = Personal
    deliveryPincode: str | None = Personal
    documents: list[IdentityDocument] | None = None
    specialDate: str | None = Personal


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
    """The look-up of one transaction by ``pgReferenceNumber`` (the load's
    ``uniqueReferenceNumber``), with the page's other filters, all optional."""

    pgReferenceNumber: Reference
    companyName: str | None = None
    cardHolderName: str | None = None
    userId: str | None = None
    status: str | None = None
    enKashTransactionIds: list[Id] | None = None
    enKashTransactionId: Id | None = None
    cardTransactionType: Literal["DR", "CR"] | None = None
    amountFrom: Limit | None = None
    amountTo: Limit | None = None
    pgReferenceNumbers: list[Reference] | None = None
    #: ISO-8601 UTC, as in the page's example (``2025-01-24T08:47:01.505Z``)
    txnDateFrom: str | None = None
    txnDateTo: str | None = None


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
    """The account details (``cardAccount/get``); the creation answer is not shown on the
    pages and is read the same way, as paycore needs its ``cardAccountId``."""

    cardAccountId: str
    companyId: str
    companyName: str | None = None
    accountTitle: str | None = None
    accountType: str | None = None
    creditLimit: Decimal | None = None
    dynamicLimit: Decimal | None = None
    usedCreditLimit: Decimal | None = None
    availableBalance: Decimal | None = None
    availableCardBalance: Decimal | None = None


class Card(WireResponse):
    """A card as the search, the details and the creation answers show it. Holder details
    (name, e-mail, mobile) the search answers with are not read, so never kept."""

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
    """A card transaction: the answer of a load and of a transaction look-up.

    Neither answer is shown on the pages; the names are those of the look-up's filters
    and of the reward allocation's answer. Every member is optional: a load the platform
    answered with code 0 was applied, whatever else its answer holds.
    """

    enKashTransactionId: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "enKashTransactionId", "enkashCardTxnId", "enkashCardTransactionId"
        ),
    )
    enKashCardId: str | None = Field(
        default=None, validation_alias=AliasChoices("enKashCardId", "enkashCardId")
    )
    pgReferenceNumber: str | None = None
    amount: Decimal | None = None
    cardTransactionType: str | None = None
    status: str | None = None
    txnDate: str | None = None


class CardOtp(WireResponse):
    """The answer of ``otp``: not shown (the older page shows a bare string), so the
    ``otpRequestId`` is read when the answer carries one."""

    otpRequestId: str | None = None


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

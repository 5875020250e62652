"""The sandbox's platform: in-memory state and the remote rules paycore knows of.

Each endpoint of :mod:`paycore.adapters.enkash.endpoints` has one rule here that takes
a validated request and returns an :class:`Outcome` (the payload to answer with, the
effect applied and the webhook it triggers, if any), or raises :class:`Refusal` with
the status and code the platform would answer. Rules the docs state are enforced (no
loads to gift cards, block codes, duplicate client references); where the docs are
silent the sandbox takes the choice written in ``docs/remote-api.md``. Answers and
webhooks have the shapes of the fixtures in ``tests/contract/``, which hold the pages'
examples; the tests there compare them.
"""

# ruff: noqa: N815  (records keep the wire names they are answered with)

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from paycore.adapters.enkash import endpoints as ep
from paycore.adapters.enkash import models as m
from paycore.adapters.enkash.client import DUPLICATE_CODE

BUSINESS_FAILURE = 1
PAISE = Decimal("0.01")
#: the ``resp.result`` of a payment made and of one that failed (the pages show neither)
PAID, FAILED = "SUCCESS", "FAILURE"
#: block-code moves a partner may ask for; a card at ``BL`` never moves again
BLOCK_MOVES: dict[str, frozenset[str]] = {
    "AP": frozenset({"UL", "BL"}),
    "UL": frozenset({"L", "BL"}),
    "L": frozenset({"UL", "BL"}),
    "BL": frozenset(),
}


#: the fields of a card creation request that are about the card, not its holder
CARD_TERMS = frozenset(
    {"companyId", "cardAccountId", "userId", "primaryEnKashCard", "physicalCard", "loadAmount",
     "remarks"}
)  # fmt: skip


class Refusal(Exception):
    """The platform's "no": answered with ``http_status`` and ``code``."""

    def __init__(self, message: str, *, code: int = BUSINESS_FAILURE, http_status: int = 200):
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status


def _duplicate(what: str, reference: str) -> Refusal:
    return Refusal(f"Duplicate {what}: {reference}", code=DUPLICATE_CODE, http_status=409)


@dataclass(frozen=True)
class Effect:
    """One change the sandbox applied: what tests count."""

    endpoint: str
    reference: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    payload: Any
    effect: Effect | None = None
    #: (path suffix, body) of the response webhook this message triggers
    webhook: tuple[str, dict[str, Any]] | None = None


@dataclass
class CardAccountRecord:
    cardAccountId: str
    companyId: str
    companyName: str
    accountTitle: str
    accountType: str


@dataclass
class CardRecord:
    enKashCardId: str
    cardAccountId: str
    companyId: str
    userId: str | None
    giftCard: bool
    maskedNumber: str
    blockCode: str = "UL"
    balance: Decimal = Decimal("0.00")
    pinSet: bool = False
    kycStatus: str = "MIN_KYC"
    controls: dict[str, Any] = field(default_factory=dict)
    #: The holder's fields as the creation request gave them (wire names); no answer
    #: shows them, as the pages' card answers show none.
    holder: dict[str, Any] = field(default_factory=dict, repr=False)

    def view(self) -> dict[str, Any]:
        """The card as the search and the details answer with it."""
        shown = asdict(self)
        del shown["controls"], shown["pinSet"], shown["companyId"], shown["holder"]
        return shown


@dataclass(frozen=True)
class Decline:
    """A payment the network will fail: the ``resp`` error members it answers with."""

    errorCd: str
    errorDtl: str
    errorField: str = ""


@dataclass
class CardOtpSms:
    """A card OTP the platform texted to the holder, which the sandbox shows a test in
    place of the SMS. The OTPs paycore issues itself are ``paycore.domain.IssuedOtp``."""

    otpRequestId: str
    otp: str = field(repr=False)


class PlatformState:
    """Everything the sandbox platform holds; one lock makes each rule atomic."""

    def __init__(self, seed: int = 0, clock: Callable[[], datetime] | None = None) -> None:
        self._lock = threading.RLock()
        self._rng = random.Random(seed)  # noqa: S311  (sandbox OTPs, not real ones)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sequence = 0
        self.accounts: dict[str, CardAccountRecord] = {}
        self.cards: dict[str, CardRecord] = {}
        #: card transactions by their ``pgReferenceNumber``
        self.transactions: dict[str, dict[str, Any]] = {}
        self.otps: dict[str, CardOtpSms] = {}
        #: AP payments by ``urn``
        self.payments: dict[str, dict[str, Any]] = {}
        #: B2B messages by (endpoint, objectId, new version)
        self.messages: dict[tuple[str, str, int | None], dict[str, Any]] = {}
        #: the buyer's confirmation of each invoice it confirmed, by the invoice's objectId
        self.invoices: dict[str, dict[str, Any]] = {}
        self.payable_invoices: dict[str, str] = {}
        #: payments the network will fail, by their objectId (the AP ``urn``)
        self.declines: dict[str, Decline] = {}
        self._rules: dict[str, Callable[[Any], Outcome]] = {
            ep.CREATE_CARD_ACCOUNT.name: self._create_card_account,
            ep.GET_CARD_ACCOUNT.name: self._get_card_account,
            ep.CREATE_CARD.name: self._create_card,
            ep.SET_PIN.name: self._set_pin,
            ep.LOAD_BALANCE.name: self._load_balance,
            ep.FIND_TRANSACTION.name: self._find_transaction,
            ep.GENERATE_CARD_OTP.name: self._generate_card_otp,
            ep.SET_USAGE_CONTROLS.name: self._set_usage_controls,
            ep.GET_USAGE_LIMITS.name: self._get_usage_limits,
            ep.REPLACE_CARD.name: self._replace_card,
            ep.BLOCK_CARD.name: self._block_card,
            ep.GET_CARD_DETAILS.name: self._get_card_details,
            ep.SEARCH_CARDS.name: self._search_cards,
            ep.PAY_INVOICE.name: self._pay_invoice,
            ep.MAKE_PAYMENT.name: self._make_payment,
            ep.CONFIRM_PAYABLE_INVOICES.name: self._confirm_payable_invoices,
        }

    def apply(self, endpoint: ep.Endpoint[Any, Any], request: m.WireRequest) -> Outcome:
        with self._lock:
            rule = self._rules.get(endpoint.name)
            if rule is None:
                return self._b2b_message(endpoint, request)
            return rule(request)

    def decline_payment(
        self, object_id: str, error_cd: str, error_dtl: str, error_field: str = ""
    ) -> None:
        """The payment with this objectId fails when it comes: its payment-response
        webhook says so with these error members, and nothing is paid."""
        with self._lock:
            self.declines[object_id] = Decline(error_cd, error_dtl, error_field)

    def latest_otp(self, enkash_card_id: str) -> CardOtpSms:
        """The OTP last sent to a card's holder: the sandbox's stand-in for the SMS."""
        with self._lock:
            return self.otps[enkash_card_id]

    def _next_id(self, prefix: str) -> str:
        self._sequence += 1
        return f"{prefix}{self._sequence:010d}"

    # -- prepaid cards ---------------------------------------------------------------

    def _account(self, company_id: str, card_account_id: str) -> CardAccountRecord:
        account = self.accounts.get(card_account_id)
        if account is None or account.companyId != company_id:
            raise Refusal(f"Card account {card_account_id} not found for the company")
        return account

    def _card(self, card_account_id: str | None, enkash_card_id: str) -> CardRecord:
        card = self.cards.get(enkash_card_id)
        if card is None or card_account_id not in (None, card.cardAccountId):
            raise Refusal(f"Card {enkash_card_id} not found in the card account")
        return card

    def _create_card_account(self, request: m.CreateCardAccountRequest) -> Outcome:
        account = CardAccountRecord(
            cardAccountId=self._next_id("CA"),
            companyId=request.companyId,
            companyName=request.companyName,
            accountTitle=request.accountTitle,
            accountType=request.accountType,
        )
        self.accounts[account.cardAccountId] = account
        return Outcome(
            self._account_view(account),
            Effect(ep.CREATE_CARD_ACCOUNT.name, account.cardAccountId),
        )

    def _account_view(self, account: CardAccountRecord) -> dict[str, Any]:
        balance = sum(
            (c.balance for c in self.cards.values() if c.cardAccountId == account.cardAccountId),
            Decimal("0.00"),
        )
        return {**asdict(account), "availableBalance": balance, "availableCardBalance": balance}

    def _get_card_account(self, request: m.CardAccountQuery) -> Outcome:
        return Outcome(self._account_view(self._account(request.companyId, request.cardAccountId)))

    def _create_card(self, request: m.CreateCardRequest) -> Outcome:
        account = self._account(request.companyId, request.cardAccountId)
        gift = account.accountType == "GIFT"
        if gift and request.loadAmount is None:
            raise Refusal("A gift card is issued with its loadAmount")
        card_id = self._next_id("EKC")
        card = CardRecord(
            enKashCardId=card_id,
            cardAccountId=account.cardAccountId,
            companyId=account.companyId,
            userId=request.userId,
            giftCard=gift,
            maskedNumber=f"XXXX XXXX XXXX {card_id[-4:]}",
            holder={f: v for f, v in request.to_wire().items() if f not in CARD_TERMS},
        )
        self.cards[card_id] = card
        if request.loadAmount is not None:
            self._credit(card, request.loadAmount, f"ISSUE-{card_id}")
        return Outcome(card.view(), Effect(ep.CREATE_CARD.name, card_id, {"gift": gift}))

    def _set_pin(self, request: m.SetPinRequest) -> Outcome:
        card = self._usable(request.cardAccountId, request.enKashCardId)
        card.pinSet = True
        return Outcome("Success", Effect(ep.SET_PIN.name, card.enKashCardId))

    def _usable(self, card_account_id: str | None, enkash_card_id: str) -> CardRecord:
        card = self._card(card_account_id, enkash_card_id)
        if card.blockCode == "BL":
            raise Refusal(f"Card {enkash_card_id} is blocked")
        return card

    def _credit(self, card: CardRecord, amount: Decimal, reference: str) -> dict[str, Any]:
        amount = amount.quantize(PAISE)
        card.balance += amount
        transaction = {
            "enKashTransactionId": self._next_id("TXN"),
            "enKashCardId": card.enKashCardId,
            "pgReferenceNumber": reference,
            "amount": amount,
            "cardTransactionType": "CR",
            "status": "SUCCESS",
            "txnDate": self._clock().isoformat(timespec="milliseconds"),
        }
        self.transactions[reference] = transaction
        return transaction

    def _load_balance(self, request: m.LoadBalanceRequest) -> Outcome:
        reference = request.uniqueReferenceNumber
        if reference in self.transactions:
            raise _duplicate("uniqueReferenceNumber", reference)
        card = self._usable(request.cardAccountId, request.enKashCardId)
        if card.giftCard:
            raise Refusal("Load balance is not allowed on a gift card")
        transaction = self._credit(card, request.amount, reference)
        return Outcome(
            transaction,
            Effect(ep.LOAD_BALANCE.name, reference, {"amount": str(transaction["amount"])}),
        )

    def _find_transaction(self, request: m.TransactionQuery) -> Outcome:
        self._card(request.cardAccountId, request.enKashCardId)
        found = self.transactions.get(request.pgReferenceNumber)
        if found is None or found["enKashCardId"] != request.enKashCardId:
            return Outcome([])
        return Outcome([found])

    def _generate_card_otp(self, request: m.CardOtpRequest) -> Outcome:
        card = self._usable(request.cardAccountId, request.enKashCardId)
        issued = CardOtpSms(self._next_id("OTP"), f"{self._rng.randrange(10**6):06d}")
        self.otps[card.enKashCardId] = issued
        return Outcome(
            {"otpRequestId": issued.otpRequestId},
            Effect(ep.GENERATE_CARD_OTP.name, issued.otpRequestId),
        )

    def _check_second_factor(self, request: m.OtpConfirmed, card: CardRecord) -> None:
        if not request.otpRequired or request.otpMedium != "MOBILE":
            return
        issued = self.otps.pop(card.enKashCardId, None)
        if (
            issued is None
            or request.otp is None
            or request.otp.get_secret_value() != issued.otp
            or request.otpRequestId not in (None, issued.otpRequestId)
        ):
            raise Refusal("Invalid or expired OTP")

    def _set_usage_controls(self, request: m.UsageControlsRequest) -> Outcome:
        self._account(request.companyId, request.cardAccountId)
        unknown = [
            card_id
            for card_id in request.enKashCardIds
            if self.cards.get(card_id) is None
            or self.cards[card_id].cardAccountId != request.cardAccountId
        ]
        if unknown:
            raise Refusal(f"Cards not in the card account: {', '.join(unknown)}")
        controls = request.model_dump(
            exclude_none=True, exclude={"companyId", "cardAccountId", "enKashCardIds"}
        )
        stamp = _java_date(self._clock())
        for card_id in request.enKashCardIds:
            card = self.cards[card_id]
            created = card.controls.get("createdOn", stamp)
            card.controls.update(controls, createdOn=created, modifiedOn=stamp)
            card.controls.setdefault("createdBy", "partner")
        return Outcome(
            "Success",
            Effect(ep.SET_USAGE_CONTROLS.name, None, {"cards": len(request.enKashCardIds)}),
        )

    def _get_usage_limits(self, request: m.CardRef) -> Outcome:
        card = self._card(request.cardAccountId, request.enKashCardId)
        return Outcome({"enKashCardId": card.enKashCardId, **card.controls})

    def _replace_card(self, request: m.ReplaceCardRequest) -> Outcome:
        old = self._usable(request.cardAccountId, request.enKashCardId)
        self._check_second_factor(request, old)
        new_id = self._next_id("EKC")
        self.cards[new_id] = CardRecord(
            enKashCardId=new_id,
            cardAccountId=old.cardAccountId,
            companyId=old.companyId,
            userId=old.userId,
            giftCard=old.giftCard,
            maskedNumber=f"XXXX XXXX XXXX {new_id[-4:]}",
            balance=old.balance,
            controls=dict(old.controls),
        )
        old.balance = Decimal("0.00")
        old.blockCode = "BL"
        return Outcome(new_id, Effect(ep.REPLACE_CARD.name, old.enKashCardId, {"new_card": new_id}))

    def _block_card(self, request: m.BlockCardRequest) -> Outcome:
        card = self._card(request.cardAccountId, request.enKashCardId)
        if request.blockCode == card.blockCode:
            return Outcome("Success")
        if request.blockCode not in BLOCK_MOVES[card.blockCode]:
            raise Refusal(
                f"Card {card.enKashCardId} cannot move from {card.blockCode} to {request.blockCode}"
            )
        self._check_second_factor(request, card)
        before, card.blockCode = card.blockCode, request.blockCode
        return Outcome(
            "Success",
            Effect(
                ep.BLOCK_CARD.name,
                card.enKashCardId,
                {"from": before, "to": request.blockCode},
            ),
        )

    def _get_card_details(self, request: m.CardRef) -> Outcome:
        self._account(request.companyId, request.cardAccountId)
        return Outcome(self._card(request.cardAccountId, request.enKashCardId).view())

    def _search_cards(self, request: m.CardSearchRequest) -> Outcome:
        """One card object when the search names a card (api-24480520); the page of the
        account's cards otherwise, ``{recordsCount, data}`` (api-24480521)."""
        self._account(request.companyId, request.cardAccountId)
        if request.enKashCardId is not None:
            return Outcome(self._card(request.cardAccountId, request.enKashCardId).view())
        found = [c.view() for c in self.cards.values() if c.cardAccountId == request.cardAccountId]
        return Outcome({"recordsCount": len(found), "data": found})

    # -- Accounts Payable ------------------------------------------------------------

    def _make_payment(self, request: m.PaymentRequest) -> Outcome:
        """Pays the named invoices at once; the network's answer comes as the
        payment-response webhook, with the ``urn`` as the payment's objectId."""
        if request.urn in self.payments:
            raise _duplicate("urn", request.urn)
        self.payments[request.urn] = {
            "paymentIds": list(request.paymentIds),
            "amount": request.amount,
            "partialPayment": request.partialPayment,
        }
        confirmed = [self.invoices[i] for i in request.paymentIds if i in self.invoices]
        b2b_ids = confirmed[0]["b2bIds"] if confirmed else {"buyerB2BId": "", "supplierB2BId": ""}
        return Outcome(
            "Payment request accepted",
            Effect(
                ep.MAKE_PAYMENT.name,
                request.urn,
                {"amount": None if request.amount is None else f"{request.amount:.2f}"},
            ),
            self._payment_response(self._ap_payment(request), b2b_ids),
        )

    def _pay_invoice(self, request: m.PayInvoiceRequest) -> Outcome:
        """A Bharat Connect payment: recorded as any B2B message, answered by the
        payment-response webhook that carries the payment as sent."""
        body = request.to_wire()
        outcome = self._b2b_message(ep.PAY_INVOICE, request)
        return Outcome(
            outcome.payload, outcome.effect, self._payment_response(body["payment"], body["b2bIds"])
        )

    def _ap_payment(self, request: m.PaymentRequest) -> dict[str, Any]:
        """The ``payment`` of the payment-response webhook of an AP payment.

        The sandbox never sees an invoice raised, so it knows only what the buyer's
        confirmations named; the amount of a full payment is not in the request, and
        reads 0 (paycore reads neither).
        """
        amount = float(request.amount) if request.amount is not None else 0.0
        share = amount if len(request.paymentIds) == 1 else 0.0
        return {
            "objectId": request.urn,
            "ts": self._clock().isoformat(timespec="seconds"),
            "type": "ONPLATFORM",
            "mode": "ACCOUNT TRANSFER",
            "utr": "",
            "currency": "INR",
            "paymentAmount": _paid(amount),
            "invoicesPayInfos": [self._invoice_paid(i, share) for i in request.paymentIds],
        }

    def _invoice_paid(self, object_id: str, amount: float) -> dict[str, Any]:
        known = self.invoices.get(object_id, {}).get("invoiceConfirmation", {})
        return {
            "objectId": object_id,
            "supplierInvoiceNumber": known.get("supplierInvoiceNumber", object_id[-50:]),
            "objectVersion": known.get("objectVersion", {"currentVersion": 0, "newVersion": 0}),
            "statusTransition": {"currentStatus": "ACCEPTED", "newStatus": "PAID"},
            "invoiceAmount": {"dueAmount": 0, "totalAmount": 0, "currency": "INR"},
            "invoicePaymentAmount": {**_paid(amount), "splits": []},
            "supplierBankAccountDetails": {
                "maskedAccountNumber": "", "ifsc": "", "beneficiaryName": "", "businessVPA": ""
            },
        }  # fmt: skip

    def _payment_response(
        self, payment: dict[str, Any], b2b_ids: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        """The payment-response webhook: paid, with a UTR, unless it was to be declined."""
        decline = self.declines.pop(payment["objectId"], None)
        if decline is None:
            utr = payment["utr"] or self._next_id("UTR")
            resp = _resp(payment["objectId"], PAID)
        else:
            utr = ""
            resp = _resp(payment["objectId"], FAILED, **asdict(decline))
        body = {
            "resp": resp,
            "b2bIds": b2b_ids,
            "payment": {**payment, "utr": utr},
            "additionalInfos": [],
        }
        return "/api/v0/payment/resp-pay", body

    def _confirm_payable_invoices(self, request: m.ConfirmPayableInvoicesRequest) -> Outcome:
        for invoice_id in request.invoiceIds:
            self.payable_invoices[invoice_id] = request.status
        return Outcome(
            "SUCCESS",
            Effect(ep.CONFIRM_PAYABLE_INVOICES.name, None, {"status": request.status}),
        )

    # -- Bharat Connect B2B ----------------------------------------------------------

    def _b2b_message(self, endpoint: ep.Endpoint[Any, Any], request: m.WireRequest) -> Outcome:
        """Record one B2B request, once per (endpoint, objectId, new version).

        The platform relays it to the counterparty; the sandbox answers at once and
        posts the network's response webhook (``req-*`` path becomes ``resp-*``).
        """
        body = request.to_wire()
        document_key = next(
            key for key in body if key not in ("device", "b2bIds", "additionalInfos")
        )
        document = body[document_key]
        object_id = str(document["objectId"])
        version = document.get("objectVersion", {}).get("newVersion")
        key = (endpoint.name, object_id, version)
        if key in self.messages:
            raise _duplicate("objectId and version", f"{object_id} v{version}")
        self.messages[key] = body
        if endpoint is ep.CONFIRM_INVOICE:
            self.invoices[object_id] = body
        resp = _resp(object_id, PAID)
        # The C/N response carries the request's device (api-18788149); the others do not.
        device = {"device": body["device"]} if document_key == "cdNote" else {}
        webhook = {
            **device,
            "b2bIds": body["b2bIds"],
            "resp": resp,
            document_key: document,
            "additionalInfos": body.get("additionalInfos", []),
        }
        # The status change answers with what the network answered (api-18788119).
        payload: Any = "SUCCESS"
        if endpoint is ep.CHANGE_INVOICE_STATUS:
            payload = {k: v for k, v in webhook.items() if k != "device"}
        return Outcome(
            payload,
            Effect(endpoint.name, object_id, {"version": version}),
            (endpoint.path.replace("/req-", "/resp-"), webhook),
        )


def _resp(request_id: str, result: str, **errors: str) -> dict[str, str]:
    """A response webhook's ``resp``: every page lists the three error members; they are
    empty when the network reports no error."""
    return {
        "reqMsgId": request_id,
        "result": result,
        "errorCd": errors.get("errorCd", ""),
        "errorDtl": errors.get("errorDtl", ""),
        "errorField": errors.get("errorField", ""),
    }


def _paid(amount: float) -> dict[str, Any]:
    return {
        "netPaidAmount": amount,
        "netAdjustmentAmount": 0,
        "totalAmount": amount,
        "currency": "INR",
    }


def _java_date(moment: datetime) -> str:
    """``MMM d, yyyy h:mm:ss a``, the date format of the usage-limits payload."""
    hour = moment.hour % 12 or 12
    return (
        f"{moment:%b} {moment.day}, {moment.year} "
        f"{hour}:{moment:%M:%S} {'AM' if moment.hour < 12 else 'PM'}"
    )

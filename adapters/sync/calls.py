"""Which events need the platform, and the call each one becomes.

:func:`outbound_call` turns one stored event into an :class:`OutboundCall`: the client
reference the call carries, how to send it, how to ask the platform about it after an
unknown outcome, and the command that records the answer on the aggregate. Events the
platform itself told us about (``source`` webhook or sync) are never sent back.

Client references, all derived from the event so that a resend carries the same one:

- a load: its ``reference`` (the ``uniqueReferenceNumber``);
- a card: paycore's card id, sent as the card's ``userId`` and found again by a card search;
  a card issued to a holder carries the holder's documented fields, decrypted just in time
  (see :func:`holder_fields`);
- a payment: its ``PMT`` objectId (the ``urn``);
- a B2B message: the objectId and the new objectVersion;
- anything else: a hash of the aggregate id and the event's version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.utils import get_topic

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.enkash import models as m
from paycore.adapters.enkash.errors import Effect, RemoteError
from paycore.adapters.sync.profile import PartnerProfile
from paycore.domain.aggregate import PaycoreAggregate, Source
from paycore.domain.card_account import CardAccount, CardForm, CardKind, Channel, UsageControls
from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.errors import HolderForgotten, PaycoreError
from paycore.domain.invoice import RESPONSE_STATUS, Invoice, InvoiceStatus
from paycore.domain.money import Money
from paycore.domain.payment import Payment, PaymentStatus
from paycore.domain.personal_data import DELIVERY_FIELDS, Erased
from paycore.domain.purchase_order import PurchaseOrder

#: records what the platform answered, as a command: in the relay's transaction (and
#: then without a key), or under an idempotency key when an operator retries the item
Record = Callable[[PaymentsCore, CommandContext, "str | None"], None]


@dataclass(frozen=True)
class Answer:
    """The platform applied the call; ``record`` (if any) writes what it answered."""

    record: Record | None = None


@dataclass(frozen=True)
class OutboundCall:
    """One call to the platform for one event.

    ``enquire`` asks the platform whether an earlier attempt was applied (None: the
    platform offers no way to ask). ``resend_safe``: the platform dedupes the reference
    or the call sets a state, so sending it again cannot double its effect. A call with
    neither is never sent again automatically after an unknown outcome.
    ``refused`` turns a definitive refusal into an answer worth recording (a failed
    payment); without it a refusal goes to the dead-letter list.
    """

    kind: str
    reference: str
    send: Callable[[EnkashClient], Answer]
    enquire: Callable[[EnkashClient], Answer | None] | None = None
    resend_safe: bool = False
    refused: Callable[[PaycoreError], Answer] | None = None


W = TypeVar("W", bound=m.WireRequest)


def _wire(model: type[W], **fields: Any) -> W:
    """A request model from fields of mixed types (nested documents as dicts)."""
    return model(**fields)


class NotReady(Exception):
    """The call needs something not there yet (a remote id, a party in the profile)."""


E = TypeVar("E", bound=PaycoreAggregate.Event)
#: the call one event becomes (None: this one needs none)
Builder = Callable[[PaymentsCore, E, PartnerProfile], "OutboundCall | None"]
#: by the stored topic of the event class
_BUILDERS: dict[str, Builder[Any]] = {}


def _for(event_class: type[E]) -> Callable[[Builder[E]], Builder[E]]:
    def register(builder: Builder[E]) -> Builder[E]:
        _BUILDERS[get_topic(event_class)] = builder
        return builder

    return register


def relayed_topics() -> tuple[str, ...]:
    """The topics of the events the relay reads (the others never need the platform)."""
    return tuple(_BUILDERS)


def outbound_call(
    core: PaymentsCore, event: PaycoreAggregate.Event, profile: PartnerProfile
) -> OutboundCall | None:
    """The call ``event`` needs, or None when it needs none."""
    if event.source in (Source.WEBHOOK, Source.SYNC):
        return None
    builder = _BUILDERS.get(get_topic(type(event)))
    return builder(core, event, profile) if builder else None


def stable_reference(prefix: str, aggregate_id: UUID, version: int) -> str:
    digest = hashlib.sha256(f"{aggregate_id}:{version}".encode()).hexdigest()
    return f"{prefix}{digest[:29]}"


# -- prepaid cards ---------------------------------------------------------------------


def _remote_account(account: CardAccount) -> str:
    if account.remote_id is None:
        msg = f"card account {account.id} has no platform id yet"
        raise NotReady(msg)
    return account.remote_id


def _remote_card(account: CardAccount, card_id: str) -> str:
    remote = account.card(card_id).remote_id
    if remote is None:
        msg = f"card {card_id} has no platform id yet"
        raise NotReady(msg)
    return remote


def _card_ref(account: CardAccount, card_id: str) -> dict[str, str]:
    return {
        "companyId": account.company_id,
        "cardAccountId": _remote_account(account),
        "enKashCardId": _remote_card(account, card_id),
    }


@_for(CardAccount.Opened)
def _open_account(
    core: PaymentsCore, event: CardAccount.Opened, profile: PartnerProfile
) -> OutboundCall:
    account_id = event.originator_id
    request = _wire(
        m.CreateCardAccountRequest,
        companyId=event.company_id,
        companyName=event.company_name,
        planMasterId=profile.plan_master_id,
        email=profile.email,
        mobile=profile.mobile,
        accountTitle=event.account_title,
        accountType=event.account_type,
    )

    def send(client: EnkashClient) -> Answer:
        created = client.create_card_account(request)
        return Answer(
            lambda core, context, key: core.record_remote_card_account(
                account_id, created.cardAccountId, context=context, idempotency_key=key
            )
        )

    return OutboundCall(
        "create_card_account", stable_reference("ACC", account_id, event.originator_version), send
    )


def _card_recorder(account_id: UUID, card_id: str, card: m.Card) -> Answer:
    masked = card.maskedNumber or "XXXXXXXXXXXX"
    return Answer(
        lambda core, context, key: core.record_remote_card(
            account_id, card_id, card.enKashCardId, masked, context=context, idempotency_key=key
        )
    )


#: A holder's fields by their wire names in Create Prepaid Card
#: (https://docs.enkash.com/api-13438387) and Create Gift Card
#: (https://docs.enkash.com/api-13012983); the PAN goes among ``documents`` (``docType``
#: ``PAN``, ``docNo``), and a delivery address sets ``physicalDeliveryAddressFlag``.
HOLDER_WIRE_NAMES: dict[str, str] = {
    "title": "title",
    "first_name": "firstName",
    "last_name": "lastName",
    "gender": "gender",
    "email": "email",
    "mobile": "mobile",
    "address": "address",
    "address2": "address2",
    "city": "city",
    "state": "state",
    "country": "country",
    "pincode": "pincode",
    "delivery_address": "deliveryAddress",
    "delivery_address2": "deliveryAddress2",
    "delivery_city": "deliveryCity",
    "delivery_state": "deliveryState",
    "delivery_country": "deliveryCountry",
    "delivery_pincode": "deliveryPincode",
}


def holder_fields(core: PaymentsCore, holder_id: UUID) -> dict[str, Any]:
    """The holder's documented fields for one card request, opened now and held by
    nothing but that request; ``HOLDER_FORGOTTEN`` once the holder is forgotten (a
    forgetting that destroyed the key while this ran reads as erased: refused too)."""
    holder = core.get_holder(holder_id)
    attempted = "sending of their details to the platform"
    holder.refuse_if_forgotten(attempted)
    details = core.holder_details(holder)
    if any(isinstance(value, Erased) for value in details.values()):
        msg = f"holder {holder_id} was forgotten; their details are erased, so no {attempted}"
        raise HolderForgotten(msg, holder_id=str(holder_id), attempted=attempted)
    wire: dict[str, Any] = {
        HOLDER_WIRE_NAMES[f]: v for f, v in details.items() if f in HOLDER_WIRE_NAMES
    }
    if "pan" in details:
        wire["documents"] = [{"docType": "PAN", "docNo": details["pan"]}]
    if any(f in details for f in DELIVERY_FIELDS):
        wire["physicalDeliveryAddressFlag"] = True
    return wire


@_for(CardAccount.CardIssued)
def _issue_card(
    core: PaymentsCore, event: CardAccount.CardIssued, profile: PartnerProfile
) -> OutboundCall:
    account = core.get_card_account(event.originator_id)
    card_id: str = event.card_id
    initial: Money = event.initial_load
    holder_id = None if event.holder_id is None else UUID(event.holder_id)
    if holder_id is not None:
        # Refused before anything is sent (and again just before sending, in ``send``).
        core.get_holder(holder_id).refuse_if_forgotten("sending of their details to the platform")
    request = m.CreateCardRequest(
        companyId=account.company_id,
        cardAccountId=_remote_account(account),
        userId=card_id,
        physicalCard=CardForm(event.form) is CardForm.PHYSICAL,
        loadAmount=initial.amount if initial else None,
    )
    gift = CardKind(event.kind) is CardKind.GIFT

    def send(client: EnkashClient) -> Answer:
        # The clear details live in this request only, for the one call.
        sent = request
        if holder_id is not None:
            sent = m.CreateCardRequest(
                **request.model_dump(exclude_none=True), **holder_fields(core, holder_id)
            )
        card = client.create_gift_card(sent) if gift else client.create_prepaid_card(sent)
        return _card_recorder(account.id, card_id, card)

    def enquire(client: EnkashClient) -> Answer | None:
        search = m.CardSearchRequest(
            companyId=request.companyId, cardAccountId=request.cardAccountId
        )
        found = [c for c in client.search_cards(search) if c.userId == card_id]
        return _card_recorder(account.id, card_id, found[0]) if found else None

    return OutboundCall("create_card", card_id, send, enquire=enquire)


@_for(CardAccount.CardLoaded)
def _load_card(
    core: PaymentsCore, event: CardAccount.CardLoaded, profile: PartnerProfile
) -> OutboundCall:
    account = core.get_card_account(event.originator_id)
    request = _wire(
        m.LoadBalanceRequest,
        **_card_ref(account, event.card_id),
        amount=event.amount.amount,
        uniqueReferenceNumber=event.reference,
    )

    def send(client: EnkashClient) -> Answer:
        client.load_balance(request)
        return Answer()

    def enquire(client: EnkashClient) -> Answer | None:
        return Answer() if client.find_transaction(request.enquiry()) else None

    return OutboundCall("load_balance", event.reference, send, enquire, resend_safe=True)


def _channel_flags(controls: UsageControls) -> dict[str, bool]:
    flags = {
        Channel.POS: "posAllowed",
        Channel.ONLINE: "onlineAllowed",
        Channel.CONTACTLESS: "contactlessAllowed",
        Channel.ATM: "atmAllowed",
        Channel.INTERNATIONAL: "internationalAllowed",
    }
    return {flag: channel not in controls.disabled_channels for channel, flag in flags.items()}


def _amount(limit: Money | None) -> Decimal | None:
    return None if limit is None else limit.amount


@_for(CardAccount.UsageControlsSet)
def _usage_controls(
    core: PaymentsCore, event: CardAccount.UsageControlsSet, profile: PartnerProfile
) -> OutboundCall:
    account = core.get_card_account(event.originator_id)
    controls: UsageControls = event.controls
    request = _wire(
        m.UsageControlsRequest,
        companyId=account.company_id,
        cardAccountId=_remote_account(account),
        enKashCardIds=[_remote_card(account, card_id) for card_id in event.card_ids],
        perTxnLimit=_amount(controls.per_transaction),
        dtd=_amount(controls.daily_amount),
        dtdCount=controls.daily_count,
        mtd=_amount(controls.monthly_amount),
        mtdCount=controls.monthly_count,
        **_channel_flags(controls),
    )
    return _acknowledged(
        "set_usage_controls",
        stable_reference("UC", account.id, event.originator_version),
        lambda client: client.set_usage_controls(request),
    )


def _acknowledged(
    kind: str, reference: str, call: Callable[[EnkashClient], object], *, resend_safe: bool = True
) -> OutboundCall:
    """A call whose answer needs no recording: it sets a state or the platform dedupes it."""

    def send(client: EnkashClient) -> Answer:
        call(client)
        return Answer()

    return OutboundCall(kind, reference, send, resend_safe=resend_safe)


@_for(CardAccount.BlockCodeChanged)
def _block_code(
    core: PaymentsCore, event: CardAccount.BlockCodeChanged, profile: PartnerProfile
) -> OutboundCall:
    account = core.get_card_account(event.originator_id)
    request = _wire(
        m.BlockCardRequest,
        otpMedium="MOBILE",
        **_card_ref(account, event.card_id),
        blockCode=event.block_code,
        reason=event.reason or None,
    )
    return _acknowledged(
        "block_card",
        stable_reference("BLK", account.id, event.originator_version),
        lambda client: client.block_card(request),
    )


@_for(CardAccount.CardReplaced)
def _replace_card(
    core: PaymentsCore, event: CardAccount.CardReplaced, profile: PartnerProfile
) -> OutboundCall:
    account = core.get_card_account(event.originator_id)
    ref = _card_ref(account, event.card_id)
    request = _wire(
        m.ReplaceCardRequest,
        otpMedium="MOBILE",
        enKashCardId=ref["enKashCardId"],
        cardAccountId=ref["cardAccountId"],
    )
    new_card_id: str = event.new_card_id

    def send(client: EnkashClient) -> Answer:
        replaced = client.replace_card(request)
        try:
            new_card = client.get_card_details(
                m.CardRef(
                    companyId=ref["companyId"],
                    cardAccountId=ref["cardAccountId"],
                    enKashCardId=str(replaced.payload),
                )
            )
        except RemoteError as failure:
            if failure.effect is Effect.UNKNOWN or not failure.retryable:
                raise
            # The replacement is applied, only the new card's details are missing: to
            # the relay this item's outcome is unknown, or it would replace again.
            raise type(failure)(
                f"the card was replaced; its new card could not be read: {failure.message}",
                effect=Effect.UNKNOWN,
                retryable=False,
                **failure.details,
            ) from None
        return _card_recorder(account.id, new_card_id, new_card)

    return OutboundCall(
        "replace_card", stable_reference("RPL", account.id, event.originator_version), send
    )


# -- payments --------------------------------------------------------------------------


@_for(Payment.Submitted)
def _submit_payment(
    core: PaymentsCore, event: Payment.Submitted, profile: PartnerProfile
) -> OutboundCall | None:
    payment = core.get_payment(event.originator_id)
    if payment.status is not PaymentStatus.SUBMITTED:
        return None  # its outcome came already (the payment-response webhook): it was sent
    fields: dict[str, Any] = {
        "paymentIds": [core.get_invoice(i).object_id for i in payment.invoice_ids],
        "paymentType": payment.payment_type.value,
        "urn": payment.object_id,
        "partialPayment": payment.partial,
        "amount": payment.amount.amount if payment.partial else None,
        "paymentRemarks": payment.remarks or None,
    }

    def send(client: EnkashClient) -> Answer:
        # Built here, so that a request the platform would refuse fails the payment.
        # Accepted is not paid: the payment-response webhook brings the outcome.
        client.make_payment(m.PaymentRequest(**fields))
        return Answer()

    def refused(error: PaycoreError) -> Answer:
        reason = f"refused by the platform: {error.code}: {error.message}"[:200]
        return Answer(
            lambda core, context, key: core.record_payment_failure(
                payment.id, reason, context=context, idempotency_key=key
            )
        )

    return OutboundCall("make_payment", payment.object_id, send, refused=refused)


# -- Bharat Connect B2B ------------------------------------------------------------------


def _b2b_envelope(profile: PartnerProfile, buyer: str, supplier: str) -> dict[str, Any]:
    return {
        "device": {"tag": {"value": profile.geocode}},
        "b2bIds": {"buyerB2BId": buyer, "supplierB2BId": supplier},
    }


#: the documents' members the pages require that paycore holds nothing for: sent
#: empty (their members are shown only by their count), as the pages require them
_ORDER_UNKNOWN: dict[str, Any] = {
    "addressDetails": [], "poValueDetails": {}, "poInfos": [],
    "contractReferenceDetails": [], "additionalDocumentDetails": [],
    "paymentMilestones": [], "shippingTermsDetails": {},
}  # fmt: skip
_NOTE_UNKNOWN: dict[str, Any] = {
    "eInvoiceInfo": {}, "transactionDetails": {}, "dispatchDetails": {},
    "shippingDetails": {}, "supplierBankAccountDetails": {}, "advancePaymentDetails": {},
    "precedingInvoiceDetails": [], "poDetails": [], "contractReferenceDetails": [],
    "additionalDocumentDetails": [], "exportDetails": {}, "ewayBillDetail": {},
    "recurringPayments": {}, "paymentMilestones": [], "shippingTermsDetails": {},
}  # fmt: skip
#: the ``additionalInfos`` of an order or a note: required by their pages, none to give
_NO_INFOS: dict[str, Any] = {"additionalInfos": []}


def _version(new: int) -> dict[str, int]:
    return {"currentVersion": new - 1, "newVersion": new}


def _party(profile: PartnerProfile, b2b_id: str) -> m.Party:
    party = profile.parties.get(b2b_id)
    if party is None:
        msg = f"the partner profile has no party details for B2B id {b2b_id}"
        raise NotReady(msg)
    return party


def _one_line(profile: PartnerProfile, description: str, value: Money) -> list[m.LineItem]:
    return [
        m.LineItem(
            serialno="1",
            productDescription=description[:100],
            isService="Y",
            hsnCode=profile.hsn_code,
            quantity=Decimal(1),
            unit="NOS",
            unitPrice=value.amount,
            totalAmt=value.amount,
            totalItemValue=value.amount,
        )
    ]


def _b2b_call(
    kind: str, object_id: str, version: int, send: Callable[[EnkashClient], object]
) -> OutboundCall:
    # The platform dedupes (endpoint, objectId, newVersion): a resend is safe (A6).
    return _acknowledged(kind, f"{object_id}/v{version}", send)


#: the buyer's response that moves an invoice to a status: the domain's mapping, read back
_RESPONSE_OF_STATUS = {status: response for response, status in RESPONSE_STATUS.items()}


@_for(Invoice.Responded)
def _respond_to_invoice(
    core: PaymentsCore, event: Invoice.Responded, profile: PartnerProfile
) -> OutboundCall:
    before = core.get_invoice(event.originator_id, version=event.originator_version - 1)
    request = _wire(
        m.ConfirmInvoiceRequest,
        **_b2b_envelope(profile, before.buyer_b2b_id, before.supplier_b2b_id),
        invoiceConfirmation={
            "objectId": before.object_id,
            "supplierInvoiceNumber": before.supplier_invoice_number,
            "objectVersion": _version(event.object_version),
            "buyerResponse": _RESPONSE_OF_STATUS[InvoiceStatus(event.status)].value,
            "buyerRemarks": event.remarks,
            "statusTransition": {"currentStatus": before.status, "newStatus": event.status},
        },
    )
    return _b2b_call(
        "confirm_invoice", before.object_id, event.object_version,
        lambda client: client.confirm_invoice(request),
    )  # fmt: skip


def _purchase_order(
    core: PaymentsCore, event: PurchaseOrder.Event, profile: PartnerProfile
) -> tuple[PurchaseOrder, PurchaseOrder]:
    """The order before the event and after it."""
    po_id, version = event.originator_id, event.originator_version
    return core.get_purchase_order(po_id, version - 1), core.get_purchase_order(po_id, version)


def _order_document(
    profile: PartnerProfile, before: PurchaseOrder, after: PurchaseOrder, event: PurchaseOrder.Event
) -> m.PurchaseOrder:
    sent_at = event.timestamp
    return _wire(
        m.PurchaseOrder,
        objectId=after.object_id,
        buyerPONumber=after.buyer_po_number,
        ts=sent_at.isoformat(timespec="seconds"),
        orderDate=sent_at.date().isoformat(),
        deliveryDate=(sent_at + timedelta(days=profile.delivery_days)).date().isoformat(),
        subject=after.subject[:100],
        objectVersion=_version(after.object_version),
        poStatusTransition={"currentStatus": before.status, "newStatus": after.status},
        supplierDetails=_party(profile, after.supplier_b2b_id),
        buyerDetails=_party(profile, after.buyer_b2b_id),
        itemLists=_one_line(profile, after.subject, after.total),
        **_ORDER_UNKNOWN,
    )


_BUYER_ACTION = {"CANCELLED": "CANCEL", "CLOSED": "CLOSE"}


def _whole_order(
    send: Callable[[EnkashClient, m.SendPurchaseOrderRequest], object],
    core: PaymentsCore,
    event: PurchaseOrder.Event,
    profile: PartnerProfile,
) -> OutboundCall:
    """The order document, sent (``send_purchase_order``) or sent again after an edit."""
    before, after = _purchase_order(core, event, profile)
    request = _wire(
        m.SendPurchaseOrderRequest,
        **_b2b_envelope(profile, after.buyer_b2b_id, after.supplier_b2b_id),
        **_NO_INFOS,
        purchaseOrder=_order_document(profile, before, after, event),
    )
    return _b2b_call(
        send.__name__, after.object_id, after.object_version,
        lambda client: send(client, request),
    )  # fmt: skip


@_for(PurchaseOrder.StatusChanged)
def _order_status(
    core: PaymentsCore, event: PurchaseOrder.StatusChanged, profile: PartnerProfile
) -> OutboundCall | None:
    if event.status == "SENT":
        return _whole_order(EnkashClient.send_purchase_order, core, event, profile)
    if event.status not in _BUYER_ACTION:
        return None  # the supplier's responses come from the platform
    before, after = _purchase_order(core, event, profile)
    changed = _wire(
        m.ChangePurchaseOrderStatusRequest,
        **_b2b_envelope(profile, after.buyer_b2b_id, after.supplier_b2b_id),
        **_NO_INFOS,
        poStatus={
            "objectId": after.object_id,
            "buyerPONumber": after.buyer_po_number,
            "objectVersion": _version(after.object_version),
            "buyerAction": _BUYER_ACTION[event.status],
            "buyerRemarks": event.remarks or _BUYER_ACTION[event.status].title(),
            "poStatusTransition": {"currentStatus": before.status, "newStatus": after.status},
        },
    )
    return _b2b_call(
        "change_purchase_order_status", after.object_id, after.object_version,
        lambda client: client.change_purchase_order_status(changed),
    )  # fmt: skip


@_for(PurchaseOrder.Edited)
def _edit_order(
    core: PaymentsCore, event: PurchaseOrder.Edited, profile: PartnerProfile
) -> OutboundCall | None:
    if event.status != "SENT":
        return None  # a draft is edited locally; it goes out when it is sent
    return _whole_order(EnkashClient.edit_purchase_order, core, event, profile)


# Credit and debit notes have no objectVersion in paycore: a note is sent at version 1
# and confirmed at version 2.
NOTE_SENT, NOTE_CONFIRMED = 1, 2


def _invoice_of_note(
    core: PaymentsCore, event: Invoice.CdNoteReceived | Invoice.CdNoteConfirmed
) -> Invoice:
    return core.get_invoice(event.originator_id, version=event.originator_version)


@_for(Invoice.CdNoteReceived)
def _send_note(
    core: PaymentsCore, event: Invoice.CdNoteReceived, profile: PartnerProfile
) -> OutboundCall:
    invoice = _invoice_of_note(core, event)
    note = _wire(
        m.SendCreditDebitNoteRequest,
        **_b2b_envelope(profile, invoice.buyer_b2b_id, invoice.supplier_b2b_id),
        **_NO_INFOS,
        cdNote={
            "objectId": event.note_id,
            "noteType": event.note_type,
            "supplierCDNoteNumber": event.note_id[:50],
            "objectVersion": _version(NOTE_SENT),
            "ts": event.timestamp.isoformat(timespec="seconds"),
            "cdNoteStatusTransition": {"currentStatus": "DRAFT", "newStatus": "CREATED"},
            "supplierDetails": _party(profile, invoice.supplier_b2b_id),
            "buyerDetails": _party(profile, invoice.buyer_b2b_id),
            "itemLists": _one_line(profile, f"{event.note_type} note", event.amount),
            # Members of these two are not shown; the names are those paycore reads in
            # a note it receives (docs/remote-api.md, A9).
            "invoiceReferenceDetails": {"objectId": invoice.object_id},
            "cdNoteValueDetails": {"totalAmount": float(event.amount.amount)},
            **_NOTE_UNKNOWN,
        },
    )
    return _b2b_call(
        "send_credit_debit_note", event.note_id, NOTE_SENT,
        lambda client: client.send_credit_debit_note(note),
    )  # fmt: skip


@_for(Invoice.CdNoteConfirmed)
def _confirm_note(
    core: PaymentsCore, event: Invoice.CdNoteConfirmed, profile: PartnerProfile
) -> OutboundCall:
    invoice = _invoice_of_note(core, event)
    note = invoice.notes[event.note_id]
    confirmation = _wire(
        m.ConfirmCreditDebitNoteRequest,
        **_b2b_envelope(profile, invoice.buyer_b2b_id, invoice.supplier_b2b_id),
        **_NO_INFOS,
        cdNoteConfirmation={
            "objectId": event.note_id,
            "noteType": note.note_type,
            "supplierCDNoteNumber": event.note_id[:50],
            "objectVersion": _version(NOTE_CONFIRMED),
            "buyerResponse": "ACCEPT",
            "buyerRemarks": "Confirmed",
            "cdNoteStatusTransition": {"currentStatus": "CREATED", "newStatus": "ACCEPTED"},
        },
    )
    return _b2b_call(
        "confirm_credit_debit_note", event.note_id, NOTE_CONFIRMED,
        lambda client: client.confirm_credit_debit_note(confirmation),
    )  # fmt: skip

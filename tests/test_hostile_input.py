"""Whatever paycore accepts, every part downstream takes: drawn from the whole range the
argument checks accept (see ``paycore.domain.testing.strategies``), each value is stored,
projected into every view, chained and verified, and sent in the platform request its
event needs; a signed webhook is answered 2xx and then projected, or refused with a 4xx.
On memory, a SQLite file and PostgreSQL.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from paycore.adapters.enkash import EnkashClient, EnkashConfig, RemoteError, crypto
from paycore.adapters.enkash import models as m
from paycore.adapters.sync import PartnerProfile
from paycore.adapters.sync.calls import outbound_call
from paycore.adapters.webhooks import WebhookAuth, WebhookInbox
from paycore.domain.aggregate import MAX_OBJECT_VERSION, PaycoreAggregate
from paycore.domain.card_account import MAX_COUNT_LIMIT
from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.errors import ObjectVersionLimit, PaycoreError, StaleObjectVersion
from paycore.domain.money import MAX_AMOUNT, Money
from paycore.domain.testing import strategies as valid
from paycore.projections import INVOICES, PAYMENTS, PURCHASE_ORDERS, AuditTrail, Projector
from tests.adapters.webhooks.builders import (
    INVOICE_CREATE,
    INVOICE_STATUS,
    PO_CONFIRM,
    SECRET,
    signed,
)
from tests.conftest import PostgresSchema, require_postgres
from tests.domain.test_machines import STORES
from tests.projections.expected import assert_views_match

CLIENT_SECRET = "hostile-client-secret"
CONFIG = EnkashConfig(
    card_base_url="https://cards.test",
    b2b_base_url="https://b2b.test",
    ap_base_url="https://ap.test",
    token_url="https://auth.test/oauth/token",
    partner_id="CRHOSTILE",
    client_id="CEKHOSTILE",
    client_secret=SecretStr(CLIENT_SECRET),
    username="9000000000",
    password=SecretStr("hostile-password"),
)


class Platform:
    """Takes every request and refuses it (HTTP 400), keeping the JSON it was sent."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 300})
        body = json.loads(request.content)
        if request.url.host == "cards.test":
            body = json.loads(crypto.decrypt(CLIENT_SECRET, body["request"]))
        self.bodies.append(body)
        return httpx.Response(400, json={"response_code": 1, "response_message": "no"})


def party(b2b_id: str) -> m.Party:
    return m.Party(
        b2bId=b2b_id,
        gstin="29ABCDE1234F1Z5",
        legalName="Acme Pvt Ltd",
        stateCode="29",
        address=m.Address(
            addressLine1="1 MG Road", city="Bengaluru", state="KA", country="IN", pincode="560001"
        ),
    )


def strings_in(document: Any) -> Iterator[str]:
    """Every string a JSON document holds."""
    if isinstance(document, str):
        yield document
    elif isinstance(document, dict):
        for value in document.values():
            yield from strings_in(value)
    elif isinstance(document, list):
        for value in document:
            yield from strings_in(value)


@dataclass
class Store:
    core: PaymentsCore
    projector: Projector
    inbox: WebhookInbox
    #: The notification id up to which events were sent to the platform.
    relayed: int = 0


@contextmanager
def fresh_store(kind: str) -> Iterator[Store]:
    """A new core on an empty store of ``kind``, its views in the same database, and its
    webhook inbox: one for each example, so that no example sees another's writes."""
    with ExitStack() as stack:
        if kind == "memory":
            url = "memory://"
        elif kind == "sqlite":
            url = f"sqlite:///{Path(stack.enter_context(tempfile.TemporaryDirectory()))}/p.db"
        else:
            require_postgres()
            url = stack.enter_context(PostgresSchema()).url
        core = PaymentsCore(url, otp_key=b"hostile-input-otp-key-32-bytes!!")
        stack.callback(core.close)
        projector = Projector(core)
        stack.callback(projector.close)
        inbox = WebhookInbox(core, WebhookAuth(signing_secrets=(SECRET,)))
        stack.callback(inbox.close)
        yield Store(core, projector, inbox)


def attempt(command: Callable[[], Any]) -> Any:
    """Runs a command; a business rule may refuse it, with a PaycoreError and nothing else."""
    try:
        return command()
    except PaycoreError:
        return None


def share(data: st.DataObject, whole: Money, parts: int) -> Money:
    """An amount from 1.00 to ``whole / parts`` (at least 1.00)."""
    most = max(Decimal("1.00"), (whole.amount / parts).quantize(Decimal("0.01")))
    return data.draw(valid.money("1.00", Money(most)))


@dataclass
class Drawn:
    """What one example's commands took: the texts some platform request must carry, and
    the B2B ids the partner profile needs parties for."""

    data: st.DataObject
    context: CommandContext
    sent: set[str] = field(default_factory=set)
    parties: set[str] = field(default_factory=set)

    def __call__(self, strategy: st.SearchStrategy[Any]) -> Any:
        return self.data.draw(strategy)


def run_cards(core: PaymentsCore, draw: Drawn) -> None:
    """Every card command, with values from the whole accepted range."""
    ctx, cap = draw.context, draw(valid.money("3.00"))
    company_id, name, title = (draw(valid.texts(100)) for _ in range(3))
    account_id = core.open_card_account(
        company_id, name, title, draw(valid.account_types()), cap, context=ctx
    )
    core.record_remote_card_account(account_id, draw(valid.ids()), context=ctx)
    initial = share(draw.data, cap, 3)
    card_id = core.issue_card(account_id, "PREPAID", initial_load=initial, context=ctx)
    core.record_remote_card(
        account_id, card_id, draw(valid.ids()), draw(valid.masked_card_numbers()), context=ctx
    )
    core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True, context=ctx)
    reference, key = draw(valid.ids()), draw(st.none() | valid.texts(200))
    core.load_card(
        account_id, card_id, share(draw.data, cap, 3), reference, context=ctx, idempotency_key=key
    )
    controls = draw(valid.usage_controls(MAX_AMOUNT, MAX_COUNT_LIMIT))
    core.set_usage_controls(account_id, [card_id], controls, context=ctx)
    attempt(
        lambda: core.record_card_spend(
            account_id,
            card_id,
            draw(valid.amounts("0.01", "1.00")),
            draw(valid.channels()),
            draw(valid.ids()),
            draw(valid.aware_datetimes()),
            context=ctx,
        )
    )
    core.lock_card(account_id, card_id, draw(st.just("") | valid.texts(200)), context=ctx)
    core.unlock_card(account_id, card_id, context=ctx)
    new_card_id = core.replace_card(account_id, card_id, context=ctx)
    # What the relay records from the platform's answer to the replacement:
    core.record_remote_card(account_id, new_card_id, draw(valid.ids()), "XXXX", context=ctx)
    core.block_card(account_id, new_card_id, draw(valid.texts(200)), context=ctx)
    draw.sent |= {company_id, name, title, reference}


def run_invoices_and_payments(core: PaymentsCore, draw: Drawn) -> None:
    """An invoice with a note, accepted and paid three ways; another returned, edited and
    cancelled."""
    ctx, buyer, supplier = draw.context, draw(valid.b2b_ids()), draw(valid.b2b_ids())
    number, total = draw(valid.document_numbers()), draw(valid.money("8.00"))
    version = draw(valid.object_versions())
    invoice_id, returned = (
        attempt(
            partial(
                core.receive_invoice,
                draw(valid.invoice_object_ids()),
                number,
                total,
                buyer_b2b_id=buyer,
                supplier_b2b_id=supplier,
                object_version=at,
                context=ctx,
            )
        )
        for at in (version, 1)  # the second has versions to go through three changes
    )
    draw.parties |= {buyer, supplier}
    if returned is not None:
        remarks = draw(valid.remarks())
        core.respond_to_invoice(returned, "RETURN", remarks, object_version=None, context=ctx)
        core.edit_invoice(returned, draw(valid.document_numbers()), draw(valid.amounts()))
        core.cancel_invoice(returned, draw(valid.remarks()), context=ctx)
        draw.sent |= {buyer, supplier, number, remarks}
    if invoice_id is None:
        return
    note_id = draw(valid.ids())
    core.receive_cd_note(invoice_id, note_id, "DEBIT", draw(valid.amounts("0.01", "1.00")))
    attempt(lambda: core.confirm_cd_note(invoice_id, note_id, context=ctx))  # past the largest?
    draw.sent |= {note_id, note_id[:50]}
    given = draw(st.sampled_from([None, (version, min(version + 1, MAX_OBJECT_VERSION))]))
    try:
        core.respond_to_invoice(invoice_id, "ACCEPT", "Ok", object_version=given)
    except (ObjectVersionLimit, StaleObjectVersion):
        return  # received at the largest objectVersion, it can change no more
    payment_remarks = draw(st.just("") | valid.remarks())
    for outcome in ("submitted", "succeeded", "failed"):
        amount = share(draw.data, total, 4)
        payment_id = core.initiate_payment([invoice_id], amount=amount, remarks=payment_remarks)
        core.authorise_payment(payment_id, core.request_payment_otp(payment_id).otp)
        core.submit_payment(payment_id, context=ctx)
        if outcome == "succeeded":
            core.record_payment_success(payment_id, draw(valid.texts(50)), context=ctx)
        elif outcome == "failed":
            core.record_payment_failure(payment_id, draw(valid.texts(200)), context=ctx)
    draw.sent |= {payment_remarks} - {""}


def run_purchase_orders(core: PaymentsCore, draw: Drawn) -> None:
    """An order sent, edited, accepted, fulfilled and closed; another sent and cancelled."""
    ctx, buyer, supplier = draw.context, draw(valid.b2b_ids()), draw(valid.b2b_ids())
    number, subject, total = (
        draw(valid.document_numbers()),
        draw(valid.subjects()),
        draw(valid.money()),
    )
    first, second = (
        attempt(
            lambda: core.draft_purchase_order(
                draw(valid.purchase_order_object_ids()),
                number,
                subject,
                total,
                buyer_b2b_id=buyer,
                supplier_b2b_id=supplier,
                context=ctx,
            )
        )
        for _ in range(2)
    )
    draw.parties |= {buyer, supplier}
    if first is not None:
        edited = draw(valid.subjects())
        core.send_purchase_order(first, context=ctx)
        core.edit_purchase_order(first, edited, total, context=ctx)
        core.record_po_response(first, "ACCEPT", draw(valid.remarks()), context=ctx)
        core.record_po_fulfilment(first, total, context=ctx)
        core.close_purchase_order(first, context=ctx)
        draw.sent |= {buyer, supplier, number, subject[:100], edited[:100]}
    if second is not None:
        remarks = draw(valid.remarks())
        core.send_purchase_order(second, context=ctx)
        core.cancel_purchase_order(second, remarks, context=ctx)
        draw.sent |= {buyer, supplier, number, remarks}


def relay_the_new_events(store: Store, profile: PartnerProfile) -> list[Any]:
    """Builds and sends the platform request of every event stored since the last call
    (to a platform that refuses all): the JSON documents the platform was sent."""
    core, platform = store.core, Platform()
    with EnkashClient(CONFIG, transport=httpx.MockTransport(platform)) as client:
        for notification in core.recorder.select_notifications(
            store.relayed, 10_000, inclusive_of_start=False
        ):
            store.relayed = notification.id
            event = core.mapper.to_domain_event(notification)
            assert isinstance(event, PaycoreAggregate.Event)
            call = outbound_call(core, event, profile)
            if call is None:
                continue
            sent_before = len(platform.bodies)
            with pytest.raises(RemoteError):
                call.send(client)
            assert len(platform.bodies) == sent_before + 1, f"{call.kind} sent nothing"
    return platform.bodies


def assert_text_columns_match(store: Store) -> None:
    """The text columns of the views hold exactly what the aggregates hold."""
    core, views = store.core, store.projector.store
    for invoice_row in views.select(INVOICES):
        invoice, row = core.get_invoice(invoice_row.invoice_id), invoice_row
        assert (row.supplier_invoice_number, row.buyer_b2b_id, row.supplier_b2b_id) == (
            invoice.supplier_invoice_number,
            invoice.buyer_b2b_id,
            invoice.supplier_b2b_id,
        )
    for order_row in views.select(PURCHASE_ORDERS):
        order = core.get_purchase_order(order_row.po_id)
        assert (order_row.buyer_po_number, order_row.subject) == (
            order.buyer_po_number,
            order.subject,
        )
    for payment_row in views.select(PAYMENTS):
        payment = core.get_payment(payment_row.payment_id)
        assert (payment_row.remarks, payment_row.utr, payment_row.failure_reason) == (
            payment.remarks,
            payment.utr,
            payment.failure_reason,
        )


@pytest.mark.parametrize("kind", STORES)
@settings(max_examples=25)
@given(data=st.data())
def test_whatever_a_command_accepts_is_stored_projected_chained_and_sent(
    kind: str, data: st.DataObject
) -> None:
    with fresh_store(kind) as store:
        commands_relay_and_views(store, data)


def commands_relay_and_views(store: Store, data: st.DataObject) -> None:
    core = store.core
    # Events the platform told paycore about (webhook, sync) are never sent back to it.
    draw = Drawn(data, attrs.evolve(data.draw(valid.contexts()), source="api"))
    run_cards(core, draw)
    run_invoices_and_payments(core, draw)
    run_purchase_orders(core, draw)
    attempt(lambda: core.record_position(draw(valid.positions())))
    profile = PartnerProfile(
        plan_master_id="PLAN1",
        email="treasury@acme.example",
        mobile="9876543210",
        geocode="12.97,77.59",
        parties={b2b_id: party(b2b_id) for b2b_id in draw.parties},
    )
    sent = {text for body in relay_the_new_events(store, profile) for text in strings_in(body)}
    assert draw.sent <= sent, "a value a command took did not reach the platform as it was"
    assert_projected_and_chained(store)


def assert_projected_and_chained(store: Store) -> None:
    """The views catch up and equal the aggregates; the chain covers every event."""
    store.projector.update()
    assert_views_match(store.core, store.projector.store)
    assert_text_columns_match(store)
    verification = AuditTrail(store.core, store.projector.store).verify()
    assert verification.ok, verification.reason
    assert verification.checked_position == store.core.recorder.max_notification_id()


# Signed webhooks carrying the same values, and values no check takes.

CD_NOTE = "/api/v0/cd-note/req-send"
#: Stands in the body for a JSON number of 5,001 digits (which ``json.dumps`` cannot write).
HUGE_NUMBER = "<a number of 5001 digits>"


def hostile_texts(max_length: int) -> st.SearchStrategy[str]:
    """Text any check refuses: NUL and other control characters, blanks, the platform's
    forbidden quote and backslash, lone surrogates, over-long text."""
    return st.one_of(
        st.tuples(valid.texts(10), st.characters(categories=["Cc"]), valid.texts(10)).map("".join),
        st.sampled_from(["", " ", "\u3000", '"', "\\"]),
        valid.unencodable_texts(),
        st.text(valid.ALPHANUMERIC, min_size=max_length + 1, max_size=max_length + 5),
    )


def wire_texts(strategy: st.SearchStrategy[str], max_length: int) -> st.SearchStrategy[str]:
    return strategy | hostile_texts(max_length)


def wire_versions(held: int) -> st.SearchStrategy[dict[str, Any]]:
    """objectVersions: the step after ``held`` (so that the message applies), or any pair
    from the whole accepted range and past every store."""
    number = st.integers(0, MAX_OBJECT_VERSION) | st.sampled_from(
        [MAX_OBJECT_VERSION, MAX_OBJECT_VERSION + 1, 2**63 - 1, 2**63, 2**64, 10**30]
    )
    pair = st.tuples(number, number) | st.just((held, held + 1))
    return pair.map(lambda p: {"currentVersion": p[0], "newVersion": p[1]})


def wire_amounts() -> st.SearchStrategy[object]:
    """totalAmount as JSON carries it: a number or a string, accepted by paycore or not."""
    accepted = valid.money("0.01").map(lambda m: m.amount)
    return st.one_of(
        accepted.map(str),
        accepted.map(float),
        st.sampled_from(
            ["1e400", "10000000000000.00", "\uff11\uff10\uff10", "1_000", " 5.00", "-0"]
        ),
        st.just(HUGE_NUMBER),
    )


def deliver(store: Store, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """One signed delivery; its answer is 2xx or 4xx, whatever the body holds."""
    text = json.dumps(body).replace(json.dumps(HUGE_NUMBER), "1" + "0" * 5000)
    headers, raw = signed(text.encode())
    status, reply = store.inbox.handle(path, headers, raw)
    assert 200 <= status < 300 or 400 <= status < 500, (status, reply)
    return status, json.loads(reply)


@pytest.mark.parametrize("kind", STORES)
@settings(max_examples=25)
@given(data=st.data())
def test_a_signed_webhook_is_applied_and_projected_or_refused_with_a_4xx(
    kind: str, data: st.DataObject
) -> None:
    with fresh_store(kind) as store:
        webhooks_and_views(store, data)


def webhooks_and_views(store: Store, data: st.DataObject) -> None:
    draw = data.draw
    object_id = draw(valid.invoice_object_ids())
    ids = {
        "buyerB2BId": draw(wire_texts(valid.b2b_ids(), 100)),
        "supplierB2BId": draw(wire_texts(valid.b2b_ids(), 100)),
    }
    created = {
        "b2bIds": ids,
        "invoice": {
            "objectId": object_id,
            "supplierInvoiceNumber": draw(wire_texts(valid.document_numbers(), 50)),
            "objectVersion": draw(wire_versions(0)),
            "invoiceAmount": {"totalAmount": draw(wire_amounts())},
        },
    }
    deliver(store, INVOICE_CREATE, created)
    note = {
        "cdNote": {
            "objectId": draw(wire_texts(valid.ids(), 64)),
            "noteType": draw(st.sampled_from(["CREDIT", "DEBIT"])),
            "invoiceReferenceDetails": {"objectId": object_id},
            "cdNoteValueDetails": {"totalAmount": draw(wire_amounts())},
        }
    }
    deliver(store, CD_NOTE, note)
    cancelled = {
        "b2bIds": ids,
        "invoiceStatus": {
            "objectId": object_id,
            "objectVersion": draw(wire_versions(1)),
            "supplierAction": "CANCEL",
            "supplierRemarks": draw(wire_texts(valid.remarks(), 100)),
        },
    }
    deliver(store, INVOICE_STATUS, cancelled)
    po_object_id = draw(valid.purchase_order_object_ids())
    po_id = store.core.draft_purchase_order(
        po_object_id, "BPO-1", "Paper", "100.00", buyer_b2b_id="B", supplier_b2b_id="S"
    )
    store.core.send_purchase_order(po_id)
    confirmation = {
        "b2bIds": ids,
        "poConfirmation": {
            "objectId": po_object_id,
            "supplierResponse": draw(st.sampled_from(["ACCEPT", "REJECT", "RETURN"])),
            "supplierRemarks": draw(wire_texts(valid.remarks(), 100)),
            "objectVersion": draw(wire_versions(2)),
        },
    }
    deliver(store, PO_CONFIRM, confirmation)
    assert_projected_and_chained(store)

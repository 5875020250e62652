"""``paycore demo``: a day of business on the embedded store, against the local sandbox.

Everything is real: the sandbox is an HTTP server on a loopback port speaking the
platform's protocol, the relay sends paycore's changes to it, the webhook inbox receives
what the "platform" posts back (signed, duplicated, one forged), the views are built
from the events and the hash chain is verified. The SQLite file stays behind for the
other commands.
"""

from __future__ import annotations

import argparse
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4, uuid5

from paycore.adapters.cli.output import console, table
from paycore.adapters.cli.timeline import write_timeline
from paycore.adapters.cli.views import rendered
from paycore.adapters.enkash import EnkashClient
from paycore.adapters.enkash import models as m
from paycore.adapters.sandbox import SandboxSettings, WebhookTarget, deliver, run_sandbox
from paycore.adapters.sandbox.faults import WebhookFault
from paycore.adapters.sync import EnkashPinGateway, PartnerProfile, SyncRelay
from paycore.adapters.webhooks import WebhookAuth, WebhookInbox
from paycore.domain.card_account import UsageControls
from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.errors import ConfigurationError, PaycoreError
from paycore.domain.money import rupees
from paycore.domain.otp import OTP_KEY_VARIABLE
from paycore.domain.personal_data import MASTER_KEY_VARIABLE, MasterKey
from paycore.projections import HOLDERS, AuditTrail, Projector

BUYER, SUPPLIER = "ACMEBUYER01", "WIDGETSSUP01"
CLERK = CommandContext(actor="clerk@acme.example", source="api")
TREASURY = CommandContext(actor="treasury@acme.example", source="api")
PLATFORM = CommandContext(actor="enkash", source="sync")
DPO = CommandContext(actor="dpo@acme.example", source="api")
#: the cardholders of the day (made-up people; their details are sealed in the store)
ASHA = {
    "title": "Ms",
    "first_name": "Asha",
    "last_name": "Rao",
    "email": "asha.rao@example.com",
    "mobile": "9812345670",
    "pan": "ABCPR1234K",
}
RAVI = {
    "title": "Mr",
    "first_name": "Ravi",
    "last_name": "Kumar",
    "mobile": "9898989898",
    "delivery_address": "12 MG Road",
    "delivery_city": "Pune",
    "delivery_state": "Maharashtra",
    "delivery_pincode": "411001",
}
#: the picture of the first invoice's audit trail the demo leaves beside the store
TIMELINE = "paycore-timeline.html"


def add_commands(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = groups.add_parser(
        "demo",
        help="run a day of business against the local sandbox (the README's main job)",
        description="Run a day of business on the embedded store against the local "
        "sandbox. Everything is real: the sandbox is an HTTP server on a loopback port "
        "speaking the platform's protocol, the relay sends paycore's changes to it, the "
        "webhook inbox receives what the platform posts back (signed, duplicated, one "
        f"forged), the views are built from the events and the hash chain is verified. "
        f"The SQLite file and {TIMELINE} (one invoice's audit trail) stay behind.",
    )
    demo.add_argument(
        "--fresh", action="store_true", help="delete the SQLite file first if it exists"
    )
    demo.set_defaults(handler=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    url: str = args.db
    if args.fresh and url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
    webhook_secret = secrets.token_bytes(32)
    with (
        _platform(webhook_secret) as (settings, inbox_url, bind_inbox),
        run_sandbox(settings) as sandbox,
        EnkashClient(sandbox.client_config()) as client,
    ):
        # The store's OTP key is PAYCORE_OTP_KEY when it is set, so the host's own
        # instances can check what the demo issued; otherwise the demo is the store's only
        # instance and draws a key for its own run.
        own_key = None if os.environ.get(OTP_KEY_VARIABLE) else secrets.token_bytes(32)
        # Likewise the master key of holders' data keys (PAYCORE_MASTER_KEY): without it,
        # the holders' details open only during this run.
        own_master = (
            None if os.environ.get(MASTER_KEY_VARIABLE) else MasterKey(secrets.token_bytes(32))
        )
        core = PaymentsCore(
            url,
            pin_gateway=EnkashPinGateway(client),
            otp_key=own_key,
            key_provider=own_master,
        )
        try:
            if core.recorder.max_notification_id():
                msg = f"the store at {url} already has events; run with --fresh or --db"
                raise ConfigurationError(msg)
            inbox = bind_inbox(core)
            relay = SyncRelay(core, client, _profile())
            day = Day(core, relay, sandbox, WebhookTarget(inbox_url, webhook_secret))
            day.run()
            inbox.close()
            relay.close()
        finally:
            core.close()
    _next_steps(url, day.ids)
    return 0


@contextmanager
def _platform(
    secret: bytes,
) -> Iterator[tuple[SandboxSettings, str, Callable[[PaymentsCore], WebhookInbox]]]:
    """The inbox's HTTP server (bound to the core once it exists) and the sandbox's settings."""
    holder: dict[str, WebhookInbox] = {}

    class Deferred:
        def handle(self, path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, bytes]:
            return holder["inbox"].handle(path, headers, body)

    def bind(core: PaymentsCore) -> WebhookInbox:
        holder["inbox"] = WebhookInbox(core, WebhookAuth(signing_secrets=(secret,)))
        return holder["inbox"]

    from paycore.adapters.webhooks.server import serving  # noqa: PLC0415  (the server extra)

    with serving(Deferred()) as listening:
        inbox_url = listening.url
        yield SandboxSettings(seed=7, webhook=WebhookTarget(inbox_url, secret)), inbox_url, bind


def _profile() -> PartnerProfile:
    def party(b2b_id: str, name: str) -> m.Party:
        return m.Party(
            b2bId=b2b_id,
            gstin="29ABCDE1234F1Z5",
            legalName=name,
            stateCode="29",
            address=m.Address(
                addressLine1="1 MG Road",
                city="Bengaluru",
                state="KA",
                country="IN",
                pincode="560001",
            ),
        )

    return PartnerProfile(
        plan_master_id="PLAN-DEMO",
        email="treasury@acme.example",
        mobile="9876543210",
        geocode="12.97,77.59",
        parties={BUYER: party(BUYER, "Acme Pvt Ltd"), SUPPLIER: party(SUPPLIER, "Widgets Ltd")},
    )


class Day:
    """The scenes of the day, each printed as it happens."""

    def __init__(
        self, core: PaymentsCore, relay: SyncRelay, sandbox: Any, platform: WebhookTarget
    ) -> None:
        self.core, self.relay, self.sandbox, self.platform = core, relay, sandbox, platform
        self.ids: dict[str, UUID] = {}
        self.cards_of: dict[str, tuple[UUID, str]] = {}
        self.deliveries: list[int] = []

    def run(self) -> None:
        self.cards()
        self.invoices_and_payments()
        self.purchase_orders()
        self.sync()
        self.views_and_audit()
        self.erasure()

    # Narration.

    @staticmethod
    def say(text: str) -> None:
        print(f"  {text}", flush=True)

    def refused(self, what: str, command: Callable[[], object]) -> None:
        try:
            command()
        except PaycoreError as refusal:
            self.say(f"refused as it should be: {what} -> {refusal.code}")
        else:
            msg = f"the demo expected a refusal: {what}"
            raise AssertionError(msg)

    def sync(self) -> None:
        """Relays what needs the platform, then lets the platform's webhooks arrive."""
        self.relay.drain()
        self.sandbox.webhooks.drain()

    def post(self, path: str, body: dict[str, Any], *, forged: bool = False) -> int:
        """The platform posts a webhook (a forged one is signed with a wrong secret)."""
        target = (
            WebhookTarget(self.platform.url, secrets.token_bytes(32)) if forged else self.platform
        )
        status = deliver(target, path, body)
        self.deliveries.append(status)
        return status

    # Scenes.

    def cards(self) -> None:
        print("\n== Prepaid cards ==")
        core = self.core
        account = core.open_card_account(
            "ACME01",
            "Acme Pvt Ltd",
            "Travel and expenses",
            "CORPORATE",
            "100000.00",
            context=TREASURY,
            idempotency_key="open-travel-account",
        )
        holders = {
            name: core.register_holder(
                uuid5(account, name), details, context=TREASURY, idempotency_key=f"hold-{name}"
            )
            for name, details in (("asha", ASHA), ("ravi", RAVI))
        }
        self.refused(
            "a holder whose mobile has 9 digits",
            lambda: core.register_holder(uuid4(), {"first_name": "X", "mobile": "981234567"}),
        )
        asha = core.issue_card(
            account, "PREPAID", "VIRTUAL", holder_id=holders["asha"], context=TREASURY
        )
        ravi = core.issue_card(
            account, "PREPAID", "PHYSICAL", holder_id=holders["ravi"], context=TREASURY
        )
        gift = core.issue_card(account, "GIFT", "VIRTUAL", "2000.00", context=TREASURY)
        self.ids |= {"card account": account, "holder": holders["asha"]}
        self.cards_of = {"asha": (account, asha)}
        self.say("registered two cardholders, Asha and Ravi (their details sealed under a key")
        self.say("of each); opened the Travel card account; issued Asha's virtual card, Ravi's")
        self.say("physical card (to his delivery address) and a ₹2,000.00 gift card")
        for card in (asha, ravi, gift):
            core.activate_card(
                account, card, kyc_completed=True, terms_accepted=True, context=TREASURY
            )
        self.sync()
        self.say(f"relayed to the platform: remote ids {self._remote_ids(account)}; the")
        self.say("holders' details went with their cards, opened only for those two calls")
        core.set_card_pin(account, asha, "4826", context=CommandContext("asha@acme.example", "api"))
        self.say("Asha set her PIN (sent straight to the platform; paycore keeps only when)")
        core.load_card(account, asha, "10000.00", context=TREASURY, idempotency_key="load-asha-1")
        core.load_card(account, ravi, "5000.00", context=TREASURY, idempotency_key="load-ravi-1")
        core.load_card(account, asha, "10000.00", context=TREASURY, idempotency_key="load-asha-1")
        self.say("loaded ₹10,000.00 on Asha's card (sent twice with one key: applied once)")
        self.say("and ₹5,000.00 on Ravi's")
        self.refused("a load to the gift card", lambda: core.load_card(account, gift, "100.00"))
        controls = UsageControls(disabled_channels=("INTERNATIONAL",), daily_amount="3000.00")
        core.set_usage_controls(account, [asha, ravi], controls, context=TREASURY)
        self.say("usage controls: no international spends, ₹3,000.00 a day")
        today = datetime.now(UTC)
        core.record_card_spend(account, asha, "1250.00", "POS", "TXN-1001", today, context=PLATFORM)
        core.record_card_spend(
            account, asha, "499.99", "ONLINE", "TXN-1002", today, context=PLATFORM
        )
        self.say("Asha spent ₹1,250.00 at a shop and ₹499.99 online")
        self.refused(
            "₹1,500.00 more today",
            lambda: core.record_card_spend(account, asha, "1500.00", "POS", "TXN-1003", today),
        )
        self.refused(
            "an international spend",
            lambda: core.record_card_spend(
                account, asha, "10.00", "INTERNATIONAL", "TXN-1004", today
            ),
        )
        otp = core.request_card_otp(account, ravi, "REPLACE_CARD", context=TREASURY)
        self.refused("a wrong OTP", lambda: core.verify_card_otp(account, ravi, _other(otp.otp)))
        core.verify_card_otp(account, ravi, otp.otp, context=TREASURY)
        core.lock_card(account, ravi, "misplaced", context=TREASURY)
        core.unlock_card(account, ravi, "found it", context=TREASURY)
        new_ravi = core.replace_card(
            account, ravi, context=TREASURY, idempotency_key="replace-ravi"
        )
        self.say("Ravi's card: OTP checked, locked, unlocked, then replaced; its balance moved")
        self.say(f"to the new card {new_ravi[:8]}…")
        self.sync()

    def invoices_and_payments(self) -> None:
        print("\n== Invoices and payments (Bharat Connect B2B) ==")
        core = self.core
        objects = [f"INVWIDGETS2026{n:021d}" for n in (1, 2, 3)]
        for n, (object_id, total) in enumerate(
            zip(objects, ("11800.00", "2360.00", "5900.00"), strict=False), 1
        ):
            body = _invoice_request(object_id, f"WID/2026/{n:04d}", total)
            self.post("/api/v0/invoice/req-create-invoice", body)
            if n == 1:
                self.post("/api/v0/invoice/req-create-invoice", body)
        self.post(
            "/api/v0/invoice/req-create-invoice",
            _invoice_request(objects[0], "X", "1.00"),
            forged=True,
        )
        self.say(
            f"three invoices came by webhook, one twice, and a forged one: HTTP {self.deliveries}"
        )
        first, second, third = (core.invoice_id(o) for o in objects)
        self.ids |= {"invoice": first, "second invoice": second}
        for invoice in (first, second, third):
            core.respond_to_invoice(invoice, "ACCEPT", "Goods received in full", context=CLERK)
        self.say("the clerk accepted all three")

        self.sync()  # the clerk's answers reach the platform before any payment does
        partial = core.initiate_payment(
            [first], amount="5000.00", context=TREASURY, idempotency_key="pay-1"
        )
        otp = core.request_payment_otp(partial, context=TREASURY)
        self.refused(
            "a wrong payment OTP", lambda: core.authorise_payment(partial, _other(otp.otp))
        )
        core.authorise_payment(partial, otp.otp, context=TREASURY)
        core.submit_payment(partial, context=TREASURY)
        self.refused(
            "paying more than is outstanding",
            lambda: core.initiate_payment([first], amount="6800.00"),
        )
        full = core.initiate_payment([second], context=TREASURY, idempotency_key="pay-2")
        declined = core.initiate_payment([third], context=TREASURY, idempotency_key="pay-3")
        for payment in (full, declined):
            core.authorise_payment(payment, core.request_payment_otp(payment).otp, context=TREASURY)
            core.submit_payment(payment, context=TREASURY)
        self.ids["payment"] = partial
        # The platform answers each payment with its signed payment-response webhook; the
        # bank declines the third, and each answer is delivered twice.
        self.sandbox.state.decline_payment(
            core.get_payment(declined).object_id, "PAYMENT_DECLINED", "Declined by the bank"
        )
        self.sandbox.faults.force_webhook(WebhookFault.DUPLICATE, times=3)
        self.sync()
        self.say("a partial payment of ₹5,000.00 (OTP) and a full one of ₹2,360.00 went through")
        self.say("the relay; the platform's outcome webhooks came twice and counted once")
        reason = core.get_payment(declined).failure_reason
        self.say(f"the bank declined a third, of ₹5,900.00: {reason}")
        self.post(
            "/api/v0/cd-note/req-send", _credit_note("CNWIDGETS2026003", objects[2], "900.00")
        )
        core.confirm_cd_note(third, "CNWIDGETS2026003", context=CLERK)
        self.say("a ₹900.00 credit note on the third invoice, confirmed by the clerk")
        for invoice in (first, second, third):
            i = core.get_invoice(invoice)
            self.say(
                f"{i.supplier_invoice_number}: {i.status}, {rupees(i.outstanding)} outstanding"
            )

    def purchase_orders(self) -> None:
        print("\n== Purchase orders ==")
        core = self.core
        po = core.draft_purchase_order(
            "PO" + "ACME2026000001",
            "ACME/PO/0001",
            "40 laptops",
            "2400000.00",
            buyer_b2b_id=BUYER,
            supplier_b2b_id=SUPPLIER,
            context=CLERK,
        )
        self.ids["purchase order"] = po
        core.send_purchase_order(po, context=CLERK)
        self.sync()
        object_id = core.get_purchase_order(po).object_id
        self.post("/api/v0/purchase-order/req-confirm", _po_confirmation(object_id, "RETURN", 2, 3))
        self.say("sent; the supplier returned it (price changed)")
        core.edit_purchase_order(po, "40 laptops", "2360000.00", context=CLERK)
        self.sync()
        self.post("/api/v0/purchase-order/req-confirm", _po_confirmation(object_id, "ACCEPT", 4, 5))
        self.post("/api/v0/purchase-order/req-confirm", _po_confirmation(object_id, "RETURN", 2, 3))
        self.say("edited and sent again; the supplier accepted; a late copy of the return was")
        self.say("recognised as stale and ignored")
        core.record_po_fulfilment(po, "1180000.00", context=CLERK)
        core.record_po_fulfilment(po, "1180000.00", context=CLERK)
        core.close_purchase_order(po, context=CLERK)
        order = core.get_purchase_order(po)
        self.say(
            f"delivered in two halves and closed: {order.status}, version {order.object_version}"
        )

    def views_and_audit(self) -> None:
        print("\n== Views ==")
        out = console()
        with Projector(self.core) as projector:
            projector.update()
            store = projector.store
            for view in ("cards", "holders", "invoices", "payments", "purchase-orders"):
                print(f"\n{view}:")
                out.print(rendered(store, view))
            trail = AuditTrail(self.core, store)
            print("\n== Audit trail of the first invoice ==")
            events = trail.events_of(self.ids["invoice"])
            rows = [
                {
                    "position": e.position,
                    "event": e.event_type.rsplit(".", 1)[-1],
                    "actor": e.actor,
                    "source": e.source,
                    "at": e.recorded_at.strftime("%H:%M:%S"),
                }
                for e in events
            ]
            out.print(table(rows))
            write_timeline(events, Path(TIMELINE))
            print(f"(a picture of this trail: {TIMELINE}, open it in a browser)")
            before = trail.as_of(self.ids["invoice"], version=2)
            owed = rupees(before.outstanding)  # type: ignore[attr-defined]
            print(f"\nas of version 2 it was {before.status}, {owed} outstanding")  # type: ignore[attr-defined]
            result = trail.verify()
            verdict = "intact" if result.ok else result.reason
            print(f"\nhash chain over {result.checked_position} events: {verdict}")

    def erasure(self) -> None:
        """Asha asks to be forgotten: her key is destroyed, her money history stays."""
        print("\n== Forgetting a cardholder ==")
        core, holder_id = self.core, self.ids["holder"]
        account, card = self.cards_of["asha"]
        balance = core.get_card_account(account).card(card).balance
        core.export_holder(holder_id, "access request 1", context=DPO)
        self.say("Asha asked what paycore holds about her: exported in clear, recorded")
        core.forget_holder(holder_id, "erasure request 1", context=DPO)
        self.say("then asked to be erased: her data key is destroyed (the event says who")
        self.say("and why, nothing about her)")
        self.refused(
            "a new card for a forgotten holder",
            lambda: core.issue_card(account, "PREPAID", holder_id=holder_id),
        )
        with Projector(core) as projector:
            projector.update()
            (row,) = projector.store.select(HOLDERS, ("holder_id", "=", holder_id))
            details = ", ".join(f"{f} {v}" for f, v in row.details().items())
            self.say(f"her details now read: {details}")
            after = core.get_card_account(account).card(card).balance
            self.say(f"her card's balance: {rupees(balance)} before, {rupees(after)} after")
            result = AuditTrail(core, projector.store).verify()
            verdict = "intact" if result.ok else result.reason
            print(f"\nhash chain over {result.checked_position} events after forgetting: {verdict}")

    def _remote_ids(self, account: UUID) -> str:
        cards = self.core.get_card_account(account).cards.values()
        return ", ".join(c.masked_number or "?" for c in cards)


def _other(otp: str) -> str:
    return f"{(int(otp) + 1) % 1_000_000:06d}"


def _invoice_request(object_id: str, number: str, total: str) -> dict[str, Any]:
    return {
        "b2bIds": {"buyerB2BId": BUYER, "supplierB2BId": SUPPLIER},
        "invoice": {
            "objectId": object_id,
            "supplierInvoiceNumber": number,
            "objectVersion": {"currentVersion": 0, "newVersion": 1},
            "invoiceAmount": {"totalAmount": total},
            "partialPaymentAllowed": True,
        },
    }


def _credit_note(note_id: str, invoice_object_id: str, total: str) -> dict[str, Any]:
    return {
        "cdNote": {
            "objectId": note_id,
            "noteType": "CREDIT",
            "invoiceReferenceDetails": {"objectId": invoice_object_id},
            "cdNoteValueDetails": {"totalAmount": total},
        }
    }


def _po_confirmation(object_id: str, response: str, current: int, new: int) -> dict[str, Any]:
    return {
        "b2bIds": {"buyerB2BId": BUYER, "supplierB2BId": SUPPLIER},
        "poConfirmation": {
            "objectId": object_id,
            "buyerPONumber": "ACME/PO/0001",
            "supplierResponse": response,
            "supplierRemarks": "From Widgets Ltd",
            "objectVersion": {"currentVersion": current, "newVersion": new},
        },
    }


def _next_steps(url: str, ids: dict[str, UUID]) -> None:
    db = "" if url == "sqlite:///paycore.db" else f" --db {url}"
    print(
        f"""
The events, views and hash chain are in {url}. Next, try (from the repository, or
after 'source .venv/bin/activate' drop the '.venv/bin/'):
  .venv/bin/paycore{db} views show invoices
  .venv/bin/paycore{db} audit trail {ids["invoice"]} --html {TIMELINE}
  .venv/bin/paycore{db} audit as-of {ids["invoice"]} --version 2
  .venv/bin/paycore{db} audit events --actor clerk@acme.example
  .venv/bin/paycore{db} holders show {ids["holder"]}
  .venv/bin/paycore{db} views show holders
  .venv/bin/paycore{db} audit verify
  .venv/bin/paycore{db} sync dead-letters"""
    )

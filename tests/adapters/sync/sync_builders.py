"""Builders shared by the relay and inbox tests: a partner profile, a relay on a
sandbox, and the domain set-ups (an accepted invoice, a submitted payment, a sent order)
that give the relay something to send.

A module with its own name (not ``conftest``); the tests next to it import it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.enkash import models as m
from paycore.adapters.sandbox import Sandbox
from paycore.adapters.sync import PartnerProfile, RelaySettings, SyncRelay
from paycore.domain.core import PaymentsCore

BUYER, SUPPLIER = "BUYER01", "SUPPLIER01"
OTP_KEY = b"sync-test-otp-key"
FAST = RelaySettings(max_attempts=3, backoff_base=0.0, poll_interval=0.02)


def party(b2b_id: str) -> m.Party:
    return m.Party(
        b2bId=b2b_id,
        gstin="29ABCDE1234F1Z5",
        legalName=f"{b2b_id} Pvt Ltd",
        stateCode="29",
        address=m.Address(
            addressLine1="1 MG Road", city="Bengaluru", state="KA", country="IN", pincode="560001"
        ),
    )


def profile(*parties: str) -> PartnerProfile:
    return PartnerProfile(
        plan_master_id="PLAN1",
        email="treasury@acme.example",
        mobile="9876543210",
        geocode="12.97,77.59",
        parties={b2b_id: party(b2b_id) for b2b_id in parties or (BUYER, SUPPLIER)},
    )


def sandbox_client(sandbox: Sandbox, **overrides: Any) -> EnkashClient:
    settings: dict[str, Any] = {"read_timeout": 0.3, "backoff_base": 0.0} | overrides
    return EnkashClient(sandbox.client_config(**settings))


def relay(
    core: PaymentsCore,
    client: EnkashClient,
    partner: PartnerProfile | None = None,
    settings: RelaySettings = FAST,
) -> SyncRelay:
    return SyncRelay(core, client, partner or profile(), settings, rng=random.Random(1))


def object_id(prefix: str, rng: random.Random) -> str:
    return f"{prefix}{rng.getrandbits(128):032x}"


def accepted_invoice(core: PaymentsCore, rng: random.Random, total: str = "500.00") -> UUID:
    invoice_id = core.receive_invoice(
        object_id("INV", rng),
        f"SI/{rng.randrange(10**6)}",
        total,
        buyer_b2b_id=BUYER,
        supplier_b2b_id=SUPPLIER,
    )
    core.respond_to_invoice(invoice_id, "ACCEPT", "Goods received")
    return invoice_id


def submitted_payment(core: PaymentsCore, invoice_id: UUID, remarks: str = "") -> UUID:
    payment_id = core.initiate_payment([invoice_id], remarks=remarks)
    issued = core.request_payment_otp(payment_id)
    core.authorise_payment(payment_id, issued.otp)
    core.submit_payment(payment_id)
    return payment_id


def sent_order(core: PaymentsCore, rng: random.Random) -> UUID:
    po_id = core.draft_purchase_order(
        f"PO{rng.getrandbits(64):016x}",
        f"BPO{rng.randrange(10**6)}",
        "Printer paper",
        "2500.00",
        buyer_b2b_id=BUYER,
        supplier_b2b_id=SUPPLIER,
    )
    core.send_purchase_order(po_id)
    return po_id


@dataclass
class CardSetup:
    account_id: UUID
    card_id: str


def card_with_account(core: PaymentsCore, initial_load: str = "0") -> CardSetup:
    account_id = core.open_card_account("CMP1", "Acme Traders", "Staff cards", "CORPORATE")
    return CardSetup(account_id, core.issue_card(account_id, "PREPAID", initial_load=initial_load))

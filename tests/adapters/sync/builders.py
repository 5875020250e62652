"""Builders shared by the relay and inbox tests: a partner profile, a relay on a
sandbox, and the domain set-ups (an accepted invoice, a submitted payment, a sent order)
that give the relay something to send.

A module with its own name (not ``conftest``); the tests next to it import it.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.enkash import models as m
from paycore.adapters.enkash.retry import Backoff
from paycore.adapters.sandbox import Sandbox
from paycore.adapters.sync import CONSUMER, PartnerProfile, RelaySettings, SyncRelay
from paycore.domain.core import PaymentsCore
from tests.conftest import PostgresSchema, require_postgres

BUYER, SUPPLIER = "BUYER01", "SUPPLIER01"
OTP_KEY = b"sync-test-otp-key"
FAST = RelaySettings(max_attempts=3, backoff=Backoff(base=0.0), poll_interval=0.02)
#: what a worker logs once it holds the lease and sends
READY = "lease taken"
#: a worker that has not started by then has failed to
START_LIMIT = 30.0


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
    settings: dict[str, Any] = {"read_timeout": 0.3} | overrides
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


def start_worker(
    url: str, profile_file: Path, sandbox: Sandbox, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **sandbox.client_environ(read_timeout=0.25),
        "PAYCORE_SYNC_PROFILE": str(profile_file),
    }
    command = [sys.executable, "-m", "paycore.adapters.sync", "--db", url,
               "--poll-interval", "0.02", "--backoff-base", "0.01"]  # fmt: skip
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until_ready(worker: subprocess.Popen[bytes], log: Path) -> None:
    """Returns once the worker holds the lease (its log says so)."""
    deadline = time.monotonic() + START_LIMIT
    while READY not in log.read_text(errors="replace"):
        assert worker.poll() is None, log.read_text(errors="replace")[-2000:]
        assert time.monotonic() < deadline, "the worker did not start"
        time.sleep(0.01)


def wait_for_position(core: PaymentsCore, position: int) -> None:
    """Returns once the relay's position reached ``position`` (or a generous limit passed)."""
    deadline = time.monotonic() + START_LIMIT
    while core.max_tracked(CONSUMER) < position and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def core(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PaymentsCore]:
    """A PaymentsCore on each store (import it into a conftest)."""
    if request.param == "postgres":
        require_postgres()
        with PostgresSchema() as schema:
            app = PaymentsCore(schema.url, otp_key=OTP_KEY)
            yield app
            app.close()
        return
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'paycore.db'}"
    app = PaymentsCore(url, otp_key=OTP_KEY)
    yield app
    app.close()

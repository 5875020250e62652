"""Separate OS processes, each its own PaymentsCore on one SQLite file or PostgreSQL schema.

Several instances sending the same keyed command at the same instant all get the
winner's outcome (result or refusal) and the store holds its effect once; the same holds
for a load reference or a spend's transaction id sent without a key. An OTP issued by one
instance verifies in another.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from paycore.domain.card_account import CardAccount
from paycore.domain.core import PaymentsCore
from paycore.domain.idempotency import IdempotencyRecord
from paycore.domain.invoice import Invoice
from paycore.domain.payment import Payment
from paycore.domain.purchase_order import PurchaseOrder
from tests.conftest import PostgresSchema, require_postgres
from tests.domain.processes import (
    PROCESSES,
    Command,
    authorise_payment,
    in_process,
    issue_payment_otp,
    race,
)

SEED = 20260310
OTP, WRONG_OTP = "246810", "135791"
AT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store several processes can share."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
    else:
        require_postgres()
        with PostgresSchema() as schema:
            yield schema.url


def stored_events(core: PaymentsCore) -> list[Any]:
    notifications = core.recorder.select_notifications(start=1, limit=1_000_000)
    return [core.mapper.to_domain_event(n) for n in notifications]


class Setup:
    """What the commands act on, made by one core before the processes start."""

    def __init__(self, core: PaymentsCore) -> None:
        self.core = core
        self.account = core.open_card_account("CO1", "Acme Ltd", "Travel", "CORPORATE", "50000.00")
        self.card = core.issue_card(self.account, "PREPAID", initial_load="20000.00")
        core.activate_card(self.account, self.card, kyc_completed=True, terms_accepted=True)
        core.request_card_otp(self.account, self.card)
        self.invoice = self.accepted_invoice(1, "100000.00")
        self.paid_invoice = self.accepted_invoice(2, "100000.00")
        self.noted_invoice = self.accepted_invoice(3, "100000.00")
        self.po = core.draft_purchase_order(
            "PO1", "BPO-1", "Widgets", "10000.00", buyer_b2b_id="B", supplier_b2b_id="S"
        )
        core.send_purchase_order(self.po)
        core.record_po_response(self.po, "ACCEPT", "ok")
        self.notes = 0

    def accepted_invoice(self, number: int, total: str) -> UUID:
        invoice_id = self.core.receive_invoice(
            f"INV{number:032d}", f"SUP-{number}", total, buyer_b2b_id="B", supplier_b2b_id="S"
        )
        self.core.respond_to_invoice(invoice_id, "ACCEPT", "ok")
        return invoice_id

    def payment_awaiting_otp(self, amount: str) -> UUID:
        payment_id = self.core.initiate_payment([self.paid_invoice], amount=amount)
        self.core.request_payment_otp(payment_id)
        return payment_id

    def cd_note(self, amount: str) -> str:
        self.notes += 1
        note_id = f"NOTE-{self.notes}"
        self.core.receive_cd_note(self.noted_invoice, note_id, "DEBIT", amount)
        return note_id


def money(rng: random.Random, low: int, high: int) -> str:
    return f"{rng.randint(low, high)}.{rng.randint(0, 99):02d}"


def planned_commands(setup: Setup, rng: random.Random) -> list[Command]:
    """Keyed commands of every kind that creates or moves money, some meant to be refused
    (beyond the cap or the balance, a wrong OTP, an unknown note, a duplicate objectId,
    an overfulfilment), and loads and spends that name their reference without a key."""
    card = {"account_id": setup.account, "card_id": setup.card}
    plans: list[Callable[[], Command]] = [
        lambda: ("load_card", {**card, "amount": money(rng, 1, 40000)}),
        lambda: ("load_card", {**card, "amount": money(rng, 1, 500), "reference": uuid4().hex}),
        lambda: (
            "record_card_spend",
            {
                **card,
                "amount": money(rng, 1, 30000),
                "channel": rng.choice(["POS", "ONLINE"]),
                "transaction_id": uuid4().hex,
                "occurred_at": AT + timedelta(minutes=rng.randint(0, 10_000)),
            },
        ),
        lambda: ("issue_card", {"account_id": setup.account, "kind": "PREPAID"}),
        lambda: (
            "initiate_payment",
            {"invoice_ids": [setup.invoice], "amount": money(rng, 1, 150000)},
        ),
        lambda: (
            "authorise_payment",
            {
                "payment_id": setup.payment_awaiting_otp(money(rng, 1, 900)),
                "otp": rng.choice([OTP, WRONG_OTP]),
            },
        ),
        lambda: ("verify_card_otp", {**card, "otp": rng.choice([OTP, WRONG_OTP])}),
        lambda: (
            "confirm_cd_note",
            {
                "invoice_id": setup.noted_invoice,
                "note_id": rng.choice([setup.cd_note(money(rng, 1, 99)), "NOTE-UNKNOWN"]),
            },
        ),
        lambda: (
            "receive_invoice",
            {
                "object_id": f"INV{rng.randint(1, 12):032d}",
                "supplier_invoice_number": "SUP-X",
                "total": money(rng, 1, 999),
                "buyer_b2b_id": "B",
                "supplier_b2b_id": "S",
            },
        ),
        lambda: ("record_po_fulfilment", {"po_id": setup.po, "value": money(rng, 1, 4000)}),
    ]
    commands = []
    for plan in plans * 5:
        name, kwargs = plan()
        natural = "reference" in kwargs or name == "record_card_spend"
        if not natural or rng.random() < 0.5:
            kwargs["idempotency_key"] = uuid4().hex
        commands.append((name, kwargs))
    rng.shuffle(commands)
    return commands


#: The event each command's success records once (a wrong OTP records its attempt).
EFFECTS = {
    "load_card": CardAccount.CardLoaded,
    "record_card_spend": CardAccount.CardSpent,
    "issue_card": CardAccount.CardIssued,
    "initiate_payment": Payment.Initiated,
    "authorise_payment": Payment.Authorised,
    "verify_card_otp": CardAccount.CardOtpVerified,
    "confirm_cd_note": Invoice.CdNoteConfirmed,
    "receive_invoice": Invoice.Received,
    "record_po_fulfilment": PurchaseOrder.FulfilmentRecorded,
}
REJECTED_OTP = {
    "authorise_payment": Payment.OtpRejected,
    "verify_card_otp": CardAccount.CardOtpRejected,
}


def test_every_caller_of_one_keyed_command_gets_the_winners_outcome_and_one_effect(
    shared_url: str,
) -> None:
    setup_core = PaymentsCore(shared_url, otp_codes=lambda: OTP)
    setup = Setup(setup_core)
    commands = planned_commands(setup, random.Random(SEED))
    before = Counter(type(e) for e in stored_events(setup_core))

    outcomes = race(shared_url, commands)

    seen: Counter[str] = Counter()
    expected: Counter[type] = Counter()
    raised = [
        (name, a)
        for (name, _), answers in zip(commands, outcomes, strict=True)
        for a in answers
        if a[0] == "raised"
    ]
    split = [
        (name, answers)
        for (name, _), answers in zip(commands, outcomes, strict=True)
        if any(a != answers[0] for a in answers)
    ]
    assert (raised, split) == ([], []), f"{len(raised)} raised, {len(split)} split"
    for (name, kwargs), answers in zip(commands, outcomes, strict=True):
        answer = answers[0]
        seen[answer[1] if answer[0] == "refused" else f"{name}: done"] += 1
        if answer[0] == "result":
            expected[EFFECTS[name]] += 1
        elif answer[1] in ("OTP_MISMATCH", "OTP_ATTEMPTS_EXHAUSTED") and name in REJECTED_OTP:
            expected[REJECTED_OTP[name]] += 1
        if "idempotency_key" in kwargs:
            expected[IdempotencyRecord.Recorded] += 1
    after = Counter(type(e) for e in stored_events(setup_core))
    effects = {t: after[t] - before[t] for t in {*EFFECTS.values(), *REJECTED_OTP.values()}}
    effects[IdempotencyRecord.Recorded] = after[IdempotencyRecord.Recorded]
    assert effects == {t: expected[t] for t in effects}
    assert len(seen) > len(EFFECTS), f"the plan is meant to meet refusals too: {seen}"
    print(f"{PROCESSES} processes x {len(commands)} commands: {dict(seen)}")
    setup_core.close()


def accepted_invoice(core: PaymentsCore) -> UUID:
    invoice_id = core.receive_invoice(
        f"INV{1:032d}", "SUP-1", "100.00", buyer_b2b_id="B", supplier_b2b_id="S"
    )
    core.respond_to_invoice(invoice_id, "ACCEPT", "ok")
    return invoice_id


def test_an_otp_issued_by_one_process_is_accepted_by_another(shared_url: str) -> None:
    setup = PaymentsCore(shared_url)
    invoice_id = accepted_invoice(setup)
    payment_id, (answer, otp) = in_process(issue_payment_otp, shared_url, invoice_id)
    assert answer == "result"
    assert in_process(authorise_payment, shared_url, payment_id, otp) == ("result", None)
    assert setup.get_payment(payment_id).status == "AUTHORISED"
    setup.close()


def test_processes_without_the_otp_key_issue_no_otp_on_a_shared_store(
    shared_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each would draw a key of its own, and another could never check the OTP."""
    setup = PaymentsCore(shared_url)
    invoice_id = accepted_invoice(setup)
    monkeypatch.delenv("PAYCORE_OTP_KEY")  # the processes started from here inherit that
    payment_id, issued = in_process(issue_payment_otp, shared_url, invoice_id)
    assert issued[:2] == ("refused", "CONFIGURATION")
    assert issued[3] == {"setting": "PAYCORE_OTP_KEY"}
    payment = setup.get_payment(payment_id)
    assert (payment.status, payment.otp) == ("INITIATED", None)
    setup.close()

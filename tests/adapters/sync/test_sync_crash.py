"""Crash: a relay worker killed with SIGKILL at seeded random moments, over and over,
while 200 commands run, still applies every command's effect at the platform once."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from paycore.adapters.sandbox import FaultRates, SandboxSettings, run_sandbox
from paycore.adapters.sync.calls import relayed_topics
from paycore.adapters.sync.relay import OUTCOME_UNKNOWN
from paycore.domain.core import PaymentsCore
from tests.adapters.sync.builders import (
    OTP_KEY,
    accepted_invoice,
    profile,
    relay,
    sandbox_client,
    sent_order,
    start_worker,
    submitted_payment,
    wait_until_ready,
)

SEED = 20261124
COMMANDS = 200
MIN_KILLS = 30


@dataclass
class Workload:
    """Seeded commands; what each one must have caused at the platform."""

    core: PaymentsCore
    rng: random.Random
    commands: int = 0
    accounts: list[UUID] = field(default_factory=list)
    cards: list[tuple[UUID, str]] = field(default_factory=list)
    loads: list[str] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    invoices: list[str] = field(default_factory=list)
    payments: list[str] = field(default_factory=list)

    def open_accounts(self, count: int) -> None:
        for n in range(count):
            self.accounts.append(
                self.core.open_card_account(f"CMP{n}", "Acme", "Staff cards", "CORPORATE")
            )
            self.commands += 1

    def step(self) -> None:
        """One business action of 1 to 6 commands, chosen by the seed."""
        actions: list[Callable[[], int]] = [self._issue, self._load, self._load, self._order,
                                            self._payment]  # fmt: skip
        if not self.cards:
            actions = [self._issue]
        self.commands += self.rng.choice(actions)()

    def _issue(self) -> int:
        account_id = self.rng.choice(self.accounts)
        initial = self.rng.choice(["0", "0", "25.00"])
        card_id = self.core.issue_card(account_id, "PREPAID", initial_load=initial)
        self.cards.append((account_id, card_id))
        return 1

    def _load(self) -> int:
        account_id, card_id = self.rng.choice(self.cards)
        amount = f"{self.rng.randrange(1, 50)}.00"
        self.loads.append(self.core.load_card(account_id, card_id, amount))
        return 1

    def _order(self) -> int:
        po_id = sent_order(self.core, self.rng)
        self.orders.append(self.core.get_purchase_order(po_id).object_id)
        return 2

    def _payment(self) -> int:
        invoice_id = accepted_invoice(self.core, self.rng)
        payment_id = submitted_payment(self.core, invoice_id)
        self.invoices.append(self.core.get_invoice(invoice_id).object_id)
        self.payments.append(self.core.get_payment(payment_id).object_id)
        return 6


def test_killed_relay_applies_each_effect_exactly_once(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    url = f"sqlite:///{tmp_path / 'paycore.db'}"
    partner = profile()
    profile_file = tmp_path / "profile.json"
    profile_file.write_text(partner.model_dump_json())
    core = PaymentsCore(url, otp_key=OTP_KEY)
    workload = Workload(core, rng)
    with run_sandbox(SandboxSettings(seed=SEED, hang_seconds=0.4)) as sandbox:
        # Card accounts have no client reference and no enquiry (docs/sync.md): they are
        # opened and synced before the faults and the kills begin.
        workload.open_accounts(3)
        with sandbox_client(sandbox) as client:
            relay(core, client, partner).drain()
        sandbox.faults.rates = FaultRates(
            latency=0.3, latency_seconds=0.02, timeout_after_effect=0.03
        )
        kills = 0
        while kills < MIN_KILLS or workload.commands < COMMANDS:
            log = tmp_path / f"worker-{kills}.log"
            worker = start_worker(url, profile_file, sandbox, log)
            wait_until_ready(worker, log)
            for _ in range(rng.randrange(1, 6)):
                if workload.commands < COMMANDS:
                    workload.step()
            time.sleep(rng.uniform(0.0, 0.15))
            worker.kill()
            worker.wait()
            kills += 1

        sandbox.faults.rates = FaultRates()
        with sandbox_client(sandbox) as client:
            final = relay(core, client, partner)
            final.drain()
            unknown = final.dead_letters()
            # The operator's part: payments whose outcome was unknown are retried; the
            # platform answers a resend of an applied urn with "duplicate".
            assert {(d.kind, d.error_code) for d in unknown} <= {("make_payment", OUTCOME_UNKNOWN)}
            for item in unknown:
                final.retry(item.notification_id)
            final.drain()
            assert final.dead_letters() == []
            relayed = core.recorder.select_notifications(None, 10**6, topics=relayed_topics())
            assert final.position >= relayed[-1].id
            final.close()

        ledger = sandbox.ledger
        assert kills >= MIN_KILLS
        assert workload.commands >= COMMANDS
        for account_id, card_id in workload.cards:
            remote = core.get_card_account(account_id).card(card_id).remote_id
            created = [c for c in sandbox.state.cards.values() if c.userId == card_id]
            assert [c.enKashCardId for c in created] == [remote]
        for reference in workload.loads:
            assert ledger.count_applied("load_balance", reference) == 1
        for object_id in workload.orders:
            assert ledger.count_applied("send_purchase_order", object_id) == 1
        for object_id in workload.invoices:
            assert ledger.count_applied("confirm_invoice", object_id) == 1
        for urn in workload.payments:
            assert ledger.count_applied("make_payment", urn) == 1
        effects = sum(
            map(len, (workload.accounts, workload.cards, workload.loads, workload.orders,
                      workload.invoices, workload.payments))
        )  # fmt: skip
        assert ledger.count_applied() == effects
        enquiries = ledger.count_received("find_transaction") + ledger.count_received(
            "search_cards"
        )
        print(
            f"\ncrash: kills={kills} commands={workload.commands} effects={effects} "
            f"applied={ledger.count_applied()} requests={ledger.count_received() - enquiries} "
            f"enquiries={enquiries} "
            f"resends_refused_as_duplicate={sum(r.http_status == 409 for r in ledger.received)} "
            f"operator_retries={len(unknown)}"
        )
    core.close()

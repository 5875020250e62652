"""The adversarial soak run of issue 10: figures an outside tester can reproduce.

``python -m tests.soak.run --store sqlite|postgres --processes 6 --seconds 60 [--seed N]``

N separate OS processes (spawn; each its own ``PaymentsCore`` from the URL) race on a
few shared card accounts, invoices and purchase orders, each doing a random mix of:

- keyed rounds: all processes released by one barrier send the same command with the
  same idempotency key (load, spend, initiate, supplier response, open an account);
  every caller must get the winner's outcome;
- loads with reused references and spends with reused transaction ids (natural
  duplicates; now and then with another amount, which must be refused);
- partial payments of the shared invoices, racing to overpay them;
- hostile values: drawn from what the checks accept (``paycore.domain.testing``), and
  values they must refuse (control characters, NUL, 2**63 versions, full-width digits);
- webhooks through the real ASGI app: genuine ones sent by several processes (the
  duplicates), forgeries, malformed bodies and the hostile bodies of
  ``tests/test_hostile_input.py``;
- in process 0, a ``Projector`` update every few calls while the others write.

Every call is counted as ok, a refusal by ``PaycoreError.code``, or a raw exception (any
other exception; each is listed). At the end the parent checks, from a fresh core and a
fold of the log: balances = initial loads + loads - spends exactly; no invoice overpaid;
each idempotency key gave one outcome; each load reference and transaction id applied
once, and every load, spend, payment and webhook answered ok is in the log (nothing
lost); a rebuild of the views equals the views kept up to date while writing, and both
match the aggregates; ``audit verify`` passes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import queue
import random
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

import hypothesis
from hypothesis import strategies as st

from paycore.adapters.webhooks import WebhookApp, WebhookAuth, WebhookInbox
from paycore.domain.card_account import CardAccount
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import PaycoreError
from paycore.domain.invoice import Invoice
from paycore.domain.money import MAX_AMOUNT
from paycore.domain.testing import strategies as valid
from paycore.projections import AuditTrail, Projector
from tests.adapters.sync.builders import accepted_invoice, sent_order
from tests.adapters.webhooks.builders import INVOICE_CREATE, SECRET, invoice_created, signed
from tests.conftest import TEST_OTP_KEY, PostgresSchema, postgres_available
from tests.projections.expected import assert_views_match, notifications
from tests.test_hostile_input import HUGE_NUMBER, hostile_texts, wire_amounts, wire_versions

SPAWN = multiprocessing.get_context("spawn")
ACCOUNTS, CARDS_PER_ACCOUNT, INVOICES, ORDERS = 2, 2, 8, 6
#: how many load references and transaction ids the processes share (and so reuse)
REFERENCES = TRANSACTIONS = 40
#: webhook objects every process sends (duplicates) and objects only forgeries name
GENUINE_WEBHOOKS = FORGED_WEBHOOKS = 30
#: calls of its own a process makes between two keyed rounds
ROUND_CALLS = 12
PROJECTOR_EVERY = 10
SPENT_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

#: Contention: a command that lost every retry may say so, in any scenario.
CONTENTION = frozenset({"CONCURRENCY_CONFLICT"})
_MONEY = {"MONEY_INVALID", "MONEY_PRECISION", "MONEY_SIGN"}
_FORMAT = {*_MONEY, "INVALID_ARGUMENT", "OBJECT_VERSION", "OBJECT_VERSION_LIMIT", "REMARKS_FORMAT"}
_PAYING = {"INVOICE_OVERPAYMENT", "INVOICE_NOT_PAYABLE", "PARTIAL_PAYMENT_AMOUNT"}
_WEBHOOK_REFUSALS = {"WEBHOOK_MALFORMED", "WEBHOOK_UNAUTHENTICATED", *_FORMAT}
_WEBHOOK_REFUSALS |= {"INVOICE_ID_FORMAT", "INVOICE_NUMBER_FORMAT", "OBJECT_VERSION_GAP"}
#: The refusals each scenario can legitimately produce (besides CONTENTION).
EXPECTED: Mapping[str, frozenset[str]] = {
    name: frozenset(codes)
    for name, codes in {
        "load, reused reference": {"LOAD_REFERENCE_REUSED", "BALANCE_CAP"},
        "spend, reused transaction id": {"SPEND_TRANSACTION_REUSED", "INSUFFICIENT_BALANCE"},
        "keyed load": {"BALANCE_CAP"},
        "keyed spend": {"INSUFFICIENT_BALANCE"},
        "keyed initiate": _PAYING,
        "keyed supplier response": {"PO_TRANSITION"},
        "keyed open account": set(),
        "keyed invoice": set(),
        "keyed accept invoice": set(),
        "initiate partial payment": _PAYING,
        "request payment otp": set(),
        "authorise payment": _PAYING,
        "submit payment": set(),
        "record payment outcome": set(),
        "supplier response": {"PO_TRANSITION"},
        "edit order, accepted values": {"PO_TRANSITION"},
        "receive invoice, accepted values": set(),
        "respond to invoice, accepted values": {"OBJECT_VERSION_LIMIT"},
        "load, huge amount": {"BALANCE_CAP"},
        "receive invoice, refused number": {"INVOICE_NUMBER_FORMAT", *_FORMAT},
        "respond to invoice, refused remarks": {"REMARKS_FORMAT", *_FORMAT},
        "receive invoice, refused version": _FORMAT,
        "receive invoice, refused amount": _FORMAT,
        "load, full-width digits": _FORMAT,
        "projector update": set(),
        # A webhook's outcome: "<status> <outcome or code>".
        "webhook, genuine": set(),
        "webhook, forged": {"WEBHOOK_UNAUTHENTICATED"},
        "webhook, malformed": {"WEBHOOK_MALFORMED"},
        "webhook, hostile": _WEBHOOK_REFUSALS,
    }.items()
}


#: Refusals the run found that describe no state, shown in the table under "known
#: defects" and not counted as unexpected until fixed (none now: a load past the largest
#: amount, refused MONEY_INVALID, is BALANCE_CAP since it was found here).
KNOWN_DEFECTS: Mapping[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Plan:
    """What every process is given: the store and the shared aggregates."""

    url: str
    seed: int
    cards: tuple[tuple[UUID, str], ...]
    invoices: tuple[UUID, ...]
    orders: tuple[UUID, ...]


def reference(seed: int, number: int) -> str:
    return f"REF-{seed}-{number}"


def transaction(seed: int, number: int) -> str:
    return f"TXN-{seed}-{number}"


def webhook_object(seed: int, number: int, *, forged: bool = False) -> str:
    return f"INV{seed % 10**8:08d}{int(forged)}{number:023d}"


def prepare(url: str, seed: int) -> Plan:
    """Opens the shared card accounts (cards loaded ₹1,000.00), accepted invoices of
    ₹1,000.00 and sent orders."""
    rng = random.Random(seed)
    core = PaymentsCore(url)
    try:
        cards = []
        for n in range(ACCOUNTS):
            account_id = core.open_card_account(f"CMP{n}", "Acme Traders", "Soak", "CORPORATE")
            for _ in range(CARDS_PER_ACCOUNT):
                card_id = core.issue_card(account_id, "PREPAID", initial_load="1000.00")
                core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
                cards.append((account_id, card_id))
        invoices = [accepted_invoice(core, rng, total="1000.00") for _ in range(INVOICES)]
        orders = [sent_order(core, rng) for _ in range(ORDERS)]
    finally:
        core.close()
    return Plan(url, seed, tuple(cards), tuple(invoices), tuple(orders))


@cache
def _strategy(name: str) -> st.SearchStrategy[Any]:
    """One strategy object per name, so that ``example()`` draws from its cache."""
    object_ids = st.integers(0, 10**20).map(lambda n: f"INVH{n:031d}")
    strategies: dict[str, st.SearchStrategy[Any]] = {
        "number": valid.document_numbers(),
        "remarks": valid.remarks(),
        "subject": valid.subjects(),
        "b2b_id": valid.b2b_ids(),
        "version": valid.object_versions(),
        "total": valid.money("1.00"),
        "huge": valid.money(str(MAX_AMOUNT - 100), MAX_AMOUNT) | valid.money("1.00"),
        "refused number": hostile_texts(50),
        "refused remarks": hostile_texts(100) | valid.invalid_remarks(),
        "refused version": st.sampled_from([2**31, 2**63 - 1, 2**63, 2**64, 10**30, True, -1]),
        "refused amount": valid.invalid_positive_amounts(),
        "full-width": st.sampled_from(["\uff11\uff10\uff10.00", "\uff15", "1\uff10"]),
        "webhook": st.fixed_dictionaries(
            {
                "b2bIds": st.fixed_dictionaries(
                    {"buyerB2BId": valid.b2b_ids(), "supplierB2BId": valid.b2b_ids()}
                ),
                "invoice": st.fixed_dictionaries(
                    {
                        "objectId": object_ids,
                        "supplierInvoiceNumber": valid.document_numbers() | hostile_texts(50),
                        "objectVersion": wire_versions(0),
                        "invoiceAmount": st.fixed_dictionaries({"totalAmount": wire_amounts()}),
                    }
                ),
            }
        ),
    }
    return strategies[name]


STRATEGY_NAMES = (
    "number", "remarks", "subject", "b2b_id", "version", "total", "huge", "refused number",
    "refused remarks", "refused version", "refused amount", "full-width", "webhook",
)  # fmt: skip
#: values drawn per strategy when a process starts; its calls pick from them
POOL = 150


def pools(seed: int) -> dict[str, list[Any]]:
    """POOL values of each strategy, drawn by hypothesis from ``seed`` (so a run's seed
    gives its values again)."""
    drawn: dict[str, list[Any]] = {}
    for name in STRATEGY_NAMES:
        found: list[Any] = []

        @hypothesis.seed(seed)
        @hypothesis.settings(
            max_examples=POOL,
            database=None,
            phases=[hypothesis.Phase.generate],
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(_strategy(name))
        def collect(value: Any) -> None:
            found.append(value)  # noqa: B023

        collect()
        drawn[name] = found
    return drawn


@dataclass
class Tally:
    """What one process saw: outcomes by scenario, raw exceptions, and the effects it
    was told were applied (to be found in the log)."""

    process: int
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    raised: list[str] = field(default_factory=list)
    #: (account id, reference) of every load answered ok
    loads: list[tuple[str, str]] = field(default_factory=list)
    #: (account id, transaction id) of every spend answered ok
    spends: list[tuple[str, str]] = field(default_factory=list)
    #: idempotency key -> the outcomes its callers got
    keyed: list[tuple[str, str]] = field(default_factory=list)
    payments: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    webhooks_applied: list[str] = field(default_factory=list)
    #: the first refusal message of each (scenario, code), to read in the table
    examples: dict[tuple[str, str], str] = field(default_factory=dict)
    rounds: int = 0
    barrier_broken: bool = False

    def call(self, scenario: str, command: Callable[[], Any]) -> tuple[str, Any]:
        """Runs one call: ("ok", result), ("refused", code) or ("raised", type name)."""
        try:
            result = command()
        except PaycoreError as refusal:
            self.outcomes[scenario, refusal.code] += 1
            text = f"{refusal.message} {refusal.details}"
            self.examples.setdefault((scenario, refusal.code), text[:300])
            return "refused", refusal.code
        except Exception as error:  # what the run exists to count
            self.outcomes[scenario, "RAISED"] += 1
            self.raised.append(
                f"process {self.process}, {scenario}: {type(error).__name__}: {error}\n"
                + traceback.format_exc(limit=8)
            )
            return "raised", type(error).__name__
        self.outcomes[scenario, "ok"] += 1
        return "ok", result


class Worker:
    """One process's core, webhook app and random mix of calls."""

    def __init__(self, plan: Plan, number: int) -> None:
        self.plan, self.number = plan, number
        self.rng = random.Random(f"{plan.seed}-{number}")
        self.core = PaymentsCore(plan.url)
        self.inbox = WebhookInbox(self.core, WebhookAuth(signing_secrets=(SECRET,)))
        self.app = WebhookApp(self.inbox)
        self.projector = Projector(self.core) if number == 0 else None
        self.tally = Tally(number)
        self.calls = 0
        #: the invoices its payments race on: the shared ones, then those of keyed rounds
        self.payable = list(plan.invoices)
        self.pools = pools(plan.seed * 100 + number)

    def draw(self, name: str) -> Any:
        return self.rng.choice(self.pools[name])

    def close(self) -> None:
        if self.projector is not None:
            self.projector.close()
        self.inbox.close()
        self.core.close()

    def run(self, barrier: Any, stop: Any) -> Tally:
        scenarios = [
            (self.reused_reference, 4),
            (self.reused_transaction, 4),
            (self.partial_payment, 4),
            (self.supplier_response, 2),
            (self.accepted_values, 2),
            (self.refused_values, 2),
            (self.webhook, 4),
        ]
        actions, weights = zip(*scenarios, strict=True)
        while not stop.is_set():
            for _ in range(ROUND_CALLS):
                self.rng.choices(actions, weights)[0]()
                self.calls += 1
                if self.projector is not None and self.calls % PROJECTOR_EVERY == 0:
                    self.tally.call("projector update", self.projector.update)
            if stop.is_set():
                break
            try:
                barrier.wait(timeout=60)
            except threading.BrokenBarrierError:
                self.tally.barrier_broken = not stop.is_set()
                break
            self.keyed_round()
        return self.tally

    # -- keyed rounds: the same command and key from every process at once ----------

    def keyed_round(self) -> None:
        self.tally.rounds += 1
        number, seed = self.tally.rounds, self.plan.seed
        rng = random.Random(f"{seed}-round-{number}")  # the same in every process
        kinds = ["load", "spend", "initiate", "supplier response", "open account", "invoice"]
        kind = rng.choice(kinds)
        key = f"soak-{seed}-{number}-{kind}"
        account_id, card_id = rng.choice(self.plan.cards)
        core = self.core
        commands: dict[str, Callable[[], Any]] = {
            "load": lambda: core.load_card(account_id, card_id, "50.00", idempotency_key=key),
            "spend": lambda: core.record_card_spend(
                account_id, card_id, "5.00", "POS", f"K-{key}", SPENT_AT, idempotency_key=key
            ),
            "initiate": lambda: core.initiate_payment(
                [rng.choice(self.plan.invoices)], amount="100.00", idempotency_key=key
            ),
            "supplier response": lambda: core.record_po_response(
                rng.choice(self.plan.orders),
                rng.choice(["ACCEPT", "REJECT", "RETURN"]),
                "From the supplier",
                idempotency_key=key,
            ),
            "open account": lambda: core.open_card_account(
                f"CMPK{number}", "Keyed Traders", "Soak", "CORPORATE", idempotency_key=key
            ),
            "invoice": lambda: core.receive_invoice(
                f"INVK{seed % 10**6:06d}{number:025d}",
                f"SI/K{number}",
                "1000.00",
                buyer_b2b_id="BUYER01",
                supplier_b2b_id="SUPPLIER01",
                idempotency_key=key,
            ),
        }
        status, result = self.tally.call(f"keyed {kind}", commands[kind])
        self.tally.keyed.append((key, f"{status} {result}"))
        if status != "ok":
            return
        if kind == "load":
            self.tally.loads.append((str(account_id), str(result)))
        elif kind == "spend":
            self.tally.spends.append((str(account_id), f"K-{key}"))
        elif kind == "initiate":
            self.tally.payments.append(str(result))
        elif kind == "open account":
            self.tally.accounts.append(str(result))
        elif kind == "invoice":
            accept = f"{key}-accept"
            status, answer = self.tally.call(
                "keyed accept invoice",
                lambda: core.respond_to_invoice(result, "ACCEPT", "Ok", idempotency_key=accept),
            )
            self.tally.keyed.append((accept, f"{status} {answer}"))
            self.payable.append(result)  # paid by every process from now on

    # -- natural duplicates ------------------------------------------------------------

    def reused_reference(self) -> None:
        """A load under a reference other processes use too; now and then another amount."""
        number = self.rng.randrange(REFERENCES)
        account_id, card_id = self.plan.cards[number % len(self.plan.cards)]
        amount = Decimal(100 + number) + (1 if self.rng.random() < 0.2 else 0)
        ref = reference(self.plan.seed, number)
        status, _ = self.tally.call(
            "load, reused reference",
            lambda: self.core.load_card(account_id, card_id, str(amount), ref),
        )
        if status == "ok":
            self.tally.loads.append((str(account_id), ref))

    def reused_transaction(self) -> None:
        """A spend reported under a transaction id other processes report too."""
        number = self.rng.randrange(TRANSACTIONS)
        account_id, card_id = self.plan.cards[number % len(self.plan.cards)]
        amount = Decimal(10 + number % 7) + (1 if self.rng.random() < 0.2 else 0)
        txn = transaction(self.plan.seed, number)
        at = SPENT_AT + timedelta(minutes=number)
        status, _ = self.tally.call(
            "spend, reused transaction id",
            lambda: self.core.record_card_spend(account_id, card_id, str(amount), "POS", txn, at),
        )
        if status == "ok":
            self.tally.spends.append((str(account_id), txn))

    # -- payments racing to overpay -------------------------------------------------

    def partial_payment(self) -> None:
        core, call = self.core, self.tally.call
        invoice_id = self.rng.choice(self.payable[-4:])
        amount = str(self.rng.choice([100, 150, 250, 400]))
        status, payment_id = call(
            "initiate partial payment",
            lambda: core.initiate_payment([invoice_id], amount=amount),
        )
        if status != "ok":
            return
        self.tally.payments.append(str(payment_id))
        status, issued = call("request payment otp", lambda: core.request_payment_otp(payment_id))
        if status != "ok":
            return
        otp = issued.otp
        status, _ = call("authorise payment", lambda: core.authorise_payment(payment_id, otp))
        if status != "ok":
            return
        status, _ = call("submit payment", lambda: core.submit_payment(payment_id))
        if status != "ok":
            return
        utr = f"UTR{self.plan.seed}x{self.number}x{self.calls}"
        if self.rng.random() < 0.7:
            call("record payment outcome", lambda: core.record_payment_success(payment_id, utr))
        else:
            call("record payment outcome", lambda: core.record_payment_failure(payment_id, "No"))

    def supplier_response(self) -> None:
        po_id = self.rng.choice(self.plan.orders)
        answer = self.rng.choice(["ACCEPT", "REJECT", "RETURN"])
        self.tally.call(
            "supplier response",
            lambda: self.core.record_po_response(po_id, answer, "From the supplier"),
        )

    # -- hostile values ---------------------------------------------------------------

    def accepted_values(self) -> None:
        """Values from the whole range the checks accept: odd Unicode, the longest texts,
        the largest objectVersion, amounts just inside the maximum."""
        core, call = self.core, self.tally.call
        choice = self.rng.randrange(3)
        if choice == 0:
            object_id = f"INVS{self.plan.seed % 10**6:06d}{self.number:02d}{self.calls:023d}"
            status, invoice_id = call(
                "receive invoice, accepted values",
                lambda: core.receive_invoice(
                    object_id,
                    self.draw("number"),
                    self.draw("total"),
                    buyer_b2b_id=self.draw("b2b_id"),
                    supplier_b2b_id=self.draw("b2b_id"),
                    object_version=self.draw("version"),
                ),
            )
            if status == "ok":
                call(
                    "respond to invoice, accepted values",
                    lambda: core.respond_to_invoice(invoice_id, "ACCEPT", self.draw("remarks")),
                )
        elif choice == 1:
            po_id = self.rng.choice(self.plan.orders)
            call(
                "edit order, accepted values",
                lambda: core.edit_purchase_order(po_id, self.draw("subject"), self.draw("total")),
            )
        else:
            account_id, card_id = self.rng.choice(self.plan.cards)
            ref = f"HUGE-{self.plan.seed}-{self.number}-{self.calls}"
            status, _ = call(
                "load, huge amount",
                lambda: core.load_card(account_id, card_id, self.draw("huge"), ref),
            )
            if status == "ok":
                self.tally.loads.append((str(account_id), ref))

    def refused_values(self) -> None:
        """Values the checks must refuse, each with a typed error."""
        core, call = self.core, self.tally.call
        choice = self.rng.randrange(5)
        object_id = f"INVR{self.plan.seed % 10**6:06d}{self.number:02d}{self.calls:023d}"

        def receive(number: object, total: object = "10.00", version: object = 1) -> Any:
            return core.receive_invoice(
                object_id,
                number,  # type: ignore[arg-type]
                total,  # type: ignore[arg-type]
                buyer_b2b_id="BUYER01",
                supplier_b2b_id="SUPPLIER01",
                object_version=version,  # type: ignore[arg-type]
            )

        if choice == 0:
            call("receive invoice, refused number", lambda: receive(self.draw("refused number")))
        elif choice == 1:
            invoice_id = self.rng.choice(self.plan.invoices)
            call(
                "respond to invoice, refused remarks",
                lambda: core.respond_to_invoice(invoice_id, "ACCEPT", self.draw("refused remarks")),
            )
        elif choice == 2:
            version = self.draw("refused version")
            call("receive invoice, refused version", lambda: receive("SI/1", version=version))
        elif choice == 3:
            amount = self.draw("refused amount")
            call("receive invoice, refused amount", lambda: receive("SI/1", total=amount))
        else:
            account_id, card_id = self.rng.choice(self.plan.cards)
            call(
                "load, full-width digits",
                lambda: core.load_card(account_id, card_id, self.draw("full-width"), None),
            )

    # -- webhooks through the ASGI app ------------------------------------------------

    def webhook(self) -> None:
        choice = self.rng.randrange(10)
        if choice < 5:
            object_id = webhook_object(self.plan.seed, self.rng.randrange(GENUINE_WEBHOOKS))
            headers, body = signed(invoice_created(object_id))
            status, answer = self.deliver("webhook, genuine", headers, body)
            if status == 200 and answer.get("outcome") == "applied":
                self.tally.webhooks_applied.append(object_id)
        elif choice < 7:
            number = self.rng.randrange(FORGED_WEBHOOKS)
            object_id = webhook_object(self.plan.seed, number, forged=True)
            headers, body = signed(invoice_created(object_id), secret=b"not-the-secret")
            self.deliver("webhook, forged", headers, body)
        elif choice < 8:
            self.deliver("webhook, malformed", *signed(b'{"invoice": {"objectId": '))
        else:
            hostile = json.dumps(self.draw("webhook"))
            text = hostile.replace(json.dumps(HUGE_NUMBER), "1" + "0" * 5000)
            self.deliver("webhook, hostile", *signed(text.encode()))

    def deliver(
        self, scenario: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        """One POST through the ASGI app; its answer counted as "<status> <outcome or code>"
        (a 5xx counts as a raw exception: the inbox caught what it did not foresee)."""
        status, answer = asyncio.run(post(self.app, INVOICE_CREATE, headers, body))
        what = str(answer.get("outcome") or answer.get("code"))
        if status >= 500:
            self.tally.outcomes[scenario, "RAISED"] += 1
            self.tally.raised.append(f"process {self.number}, {scenario}: HTTP {status} {answer}")
        elif status < 300:
            self.tally.outcomes[scenario, "ok"] += 1
            self.tally.outcomes[f"{scenario} (answers)", f"{status} {what}"] += 1
        else:
            self.tally.outcomes[scenario, what] += 1
        return status, answer


async def post(
    app: WebhookApp, path: str, headers: Mapping[str, str], body: bytes
) -> tuple[int, dict[str, Any]]:
    sent: list[Mapping[str, Any]] = []
    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Mapping[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"]), json.loads(sent[1]["body"])


def work(plan: Plan, number: int, start: Any, barrier: Any, stop: Any, results: Any) -> None:
    """One process: once all are ready, its worker's calls until ``stop``; its tally."""
    logging.getLogger("paycore").setLevel(logging.ERROR)  # refusals are counted, not logged
    try:
        worker = Worker(plan, number)
        start.wait(timeout=300)
    except Exception:  # reported, so that the parent does not wait for nothing
        results.put((number, None, traceback.format_exc()))
        start.abort()
        barrier.abort()
        return
    try:
        tally = worker.run(barrier, stop)
    except Exception:  # a fault of the run itself: reported, never waited for
        results.put((number, None, traceback.format_exc()))
        barrier.abort()
        return
    finally:
        worker.close()
    results.put((number, tally, ""))


@dataclass
class Report:
    """The figures of one run."""

    store: str
    processes: int
    seconds: float
    seed: int
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    raised: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    #: idempotency keys whose callers got different outcomes
    diverging_keys: list[str] = field(default_factory=list)
    overpaid: list[str] = field(default_factory=list)
    examples: dict[tuple[str, str], str] = field(default_factory=dict)
    balance_mismatches: list[str] = field(default_factory=list)
    forgeries_accepted: list[str] = field(default_factory=list)
    view_faults: list[str] = field(default_factory=list)
    audit: str = ""
    rounds: int = 0
    barrier_broken: bool = False
    events: int = 0

    @property
    def calls(self) -> int:
        return sum(n for (s, _), n in self.outcomes.items() if not s.endswith("(answers)"))

    def count(self, label: str) -> int:
        return sum(
            n for (s, w), n in self.outcomes.items() if w == label and not s.endswith("(answers)")
        )

    def refusals(self) -> Counter[str]:
        return Counter(
            {
                w: self.count(w)
                for (s, w) in self.outcomes
                if w not in ("ok", "RAISED") and not s.endswith("(answers)")
            }
        )

    def unexpected_refusals(self) -> list[str]:
        return sorted(
            f"{scenario}: {code} x{n}: {self.examples.get((scenario, code), '')}"
            for (scenario, code), n in self.outcomes.items()
            if code not in ("ok", "RAISED")
            and scenario in EXPECTED
            and code not in EXPECTED[scenario] | CONTENTION
            and (scenario, code) not in KNOWN_DEFECTS
        )

    def known_defects(self) -> list[str]:
        return sorted(
            f"{scenario}: {code} x{n}: {KNOWN_DEFECTS[scenario, code]}"
            for (scenario, code), n in self.outcomes.items()
            if (scenario, code) in KNOWN_DEFECTS
        )

    def table(self) -> str:
        rows = [
            f"store {self.store}, {self.processes} processes, {self.seconds:g} s, "
            f"seed {self.seed}: {self.events} events, {self.rounds} keyed rounds",
            f"  calls                          {self.calls}",
            f"  ok                             {self.count('ok')}",
            "  refusals by code",
            *(f"    {code:<28} {n}" for code, n in sorted(self.refusals().items())),
            f"  raw exceptions                 {len(self.raised)}",
            *(f"    {line}" for text in self.raised for line in text.splitlines()),
            f"  lost effects                   {len(self.lost)}",
            *(f"    {text}" for text in self.lost[:20]),
            f"  duplicated effects             {len(self.duplicated)}",
            *(f"    {text}" for text in self.duplicated[:20]),
            f"  keys with diverging outcomes   {len(self.diverging_keys)}",
            *(f"    {text}" for text in self.diverging_keys[:20]),
            f"  overpaid invoices              {len(self.overpaid)}",
            f"  balance mismatches             {len(self.balance_mismatches)}",
            *(f"    {text}" for text in self.balance_mismatches[:20]),
            f"  forged webhooks applied        {len(self.forgeries_accepted)}",
            f"  view faults                    {len(self.view_faults)}",
            *(f"    {text}" for text in self.view_faults),
            f"  audit verify                   {self.audit}",
            f"  unexpected refusals            {len(self.unexpected_refusals())}",
            *(f"    {text}" for text in self.unexpected_refusals()),
            f"  known defects                  {len(self.known_defects())}",
            *(f"    {text}" for text in self.known_defects()),
            f"  keyed rounds cut short         {'yes' if self.barrier_broken else 'no'}",
            "  by scenario",
            *(
                f"    {scenario:<38} {what:<28} {n}"
                for (scenario, what), n in sorted(self.outcomes.items())
            ),
        ]
        return "\n".join(rows)


def soak(url: str, store: str, processes: int, seconds: float, seed: int) -> Report:
    """Prepares the shared aggregates, runs ``processes`` workers for ``seconds``, and
    checks what they left."""
    os.environ.setdefault("PAYCORE_OTP_KEY", TEST_OTP_KEY)  # one key for every process
    plan = prepare(url, seed)
    start, barrier = SPAWN.Barrier(processes + 1), SPAWN.Barrier(processes)
    stop, results = SPAWN.Event(), SPAWN.Queue()
    workers = [
        SPAWN.Process(target=work, args=(plan, n, start, barrier, stop, results))
        for n in range(processes)
    ]
    for worker in workers:
        worker.start()
    report = Report(store, processes, seconds, seed)
    try:
        start.wait(timeout=300)  # the clock starts once every process is ready
    except threading.BrokenBarrierError:
        report.raised.append("a process could not start")
    time.sleep(seconds)
    stop.set()
    barrier.abort()
    tallies: list[Tally] = []
    failures: list[str] = []
    while len(tallies) + len(failures) < processes:
        try:
            number, tally, failure = results.get(timeout=5)
        except queue.Empty:
            if any(worker.is_alive() for worker in workers):
                continue
            report.raised.append("a process ended without a tally")
            break
        if tally is None:
            failures.append(f"process {number} failed: {failure}")
        else:
            tallies.append(tally)
    report.raised += failures
    for worker in workers:
        worker.join(timeout=60)
        if worker.exitcode != 0:
            report.raised.append(f"a process ended with exit code {worker.exitcode}")
    for tally in tallies:
        report.outcomes += tally.outcomes
        report.examples = {**tally.examples, **report.examples}
        report.raised += tally.raised
        report.rounds = max(report.rounds, tally.rounds)
        report.barrier_broken |= tally.barrier_broken
    check(plan, tallies, report)
    return report


def check(plan: Plan, tallies: list[Tally], report: Report) -> None:
    """From a fresh core and a fold of the log: what the processes left."""
    core = PaymentsCore(plan.url)
    try:
        fold_the_log(core, tallies, report)
        check_views(core, report)
    finally:
        core.close()


def fold_the_log(core: PaymentsCore, tallies: list[Tally], report: Report) -> None:
    balances: dict[tuple[UUID, str], Decimal] = defaultdict(Decimal)
    loads: Counter[tuple[str, str]] = Counter()
    spends: Counter[tuple[str, str]] = Counter()
    aggregates: set[UUID] = set()
    for notification in notifications(core):
        report.events += 1
        event = core.mapper.to_domain_event(notification)
        account_id = event.originator_id
        aggregates.add(account_id)
        if isinstance(event, CardAccount.CardIssued):
            balances[account_id, event.card_id] += event.initial_load.amount
        elif isinstance(event, CardAccount.CardLoaded):
            balances[account_id, event.card_id] += event.amount.amount
            loads[str(account_id), event.reference] += 1
        elif isinstance(event, CardAccount.CardSpent):
            balances[account_id, event.card_id] -= event.amount.amount
            spends[str(account_id), event.transaction_id] += 1
    for aggregate_id in aggregates:
        aggregate: Any = core.repository.get(aggregate_id)
        if isinstance(aggregate, CardAccount):
            for card_id, card in aggregate.cards.items():
                folded = balances[aggregate_id, card_id]
                if card.balance.amount != folded:
                    report.balance_mismatches.append(
                        f"card {card_id}: {card.balance} held, {folded} from the log"
                    )
        elif isinstance(aggregate, Invoice) and aggregate.settled + aggregate.reserved > (
            aggregate.total
        ):
            report.overpaid.append(
                f"invoice {aggregate.object_id}: settled {aggregate.settled} + reserved "
                f"{aggregate.reserved} > total {aggregate.total}"
            )
    for (account, ref), n in loads.items():
        if n > 1:
            report.duplicated.append(f"load reference {ref} on account {account} applied {n}x")
    for (account, txn), n in spends.items():
        if n > 1:
            report.duplicated.append(f"transaction {txn} on account {account} applied {n}x")
    outcomes: dict[str, set[str]] = defaultdict(set)
    for tally in tallies:
        for account, ref in tally.loads:
            if not loads[account, ref]:
                report.lost.append(f"load {ref} on account {account} answered ok, not in the log")
        for account, txn in tally.spends:
            if not spends[account, txn]:
                report.lost.append(f"spend {txn} on account {account} answered ok, not in the log")
        for kind, ids in (
            ("payment", tally.payments),
            ("card account", tally.accounts),
            (
                "webhook invoice",
                [str(PaymentsCore.invoice_id(i)) for i in tally.webhooks_applied],
            ),
        ):
            for created in ids:
                if UUID(created) not in aggregates:
                    report.lost.append(f"{kind} {created} answered ok, not in the log")
        for key, outcome in tally.keyed:
            if not outcome.startswith("refused STORE_UNAVAILABLE"):
                outcomes[key].add(outcome)
    for key, seen in sorted(outcomes.items()):
        if len(seen) > 1:
            report.diverging_keys.append(f"{key}: {sorted(seen)}")
            if sum(o.startswith("ok") for o in seen) > 1:
                report.duplicated.append(f"key {key} applied with results {sorted(seen)}")
    for number in range(FORGED_WEBHOOKS):
        forged = PaymentsCore.invoice_id(webhook_object(report.seed, number, forged=True))
        if forged in aggregates:
            report.forgeries_accepted.append(str(forged))


def check_views(core: PaymentsCore, report: Report) -> None:
    """The views kept up while writing, caught up, equal a rebuild; both match the
    aggregates; the hash chain verifies."""
    with Projector(core) as projector:
        projector.update()
        kept = snapshot(projector)
        try:
            assert_views_match(core, projector.store)
        except AssertionError as mismatch:
            report.view_faults.append(f"views kept while writing: {mismatch!r}"[:2000])
        projector.rebuild()
        rebuilt = snapshot(projector)
        for table, rows in kept.items():
            if rebuilt[table] != rows:
                report.view_faults.append(f"{table}: the rebuild differs from the kept view")
        verification = AuditTrail(core, projector.store).verify()
        report.audit = (
            f"ok, chained up to position {verification.checked_position}"
            if verification.ok
            else f"FAILED at {verification.first_bad_position}: {verification.reason}"
        )


def snapshot(projector: Projector) -> dict[str, list[str]]:
    return {
        table.name: sorted(map(repr, projector.store.select(table))) for table in projector.tables
    }


@contextmanager
def store_url(store: str) -> Iterator[str]:
    if store == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/soak.db"
    else:
        reason = postgres_available()
        if reason is not None:
            sys.exit(reason)
        with PostgresSchema() as schema:
            yield schema.url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak.run", description=__doc__)
    parser.add_argument("--store", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--processes", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    with store_url(args.store) as url:
        report = soak(url, args.store, args.processes, args.seconds, seed)
    print(report.table())
    failed = (
        report.raised
        or report.lost
        or report.duplicated
        or report.diverging_keys
        or report.overpaid
        or report.balance_mismatches
        or report.forgeries_accepted
        or report.view_faults
        or not report.audit.startswith("ok")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

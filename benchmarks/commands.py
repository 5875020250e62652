"""paycore's commands beside the library's, on the same aggregates at the same history
lengths: a card load, a purchase-order transition (SENT -> SENT, objectVersion + 1), and
the authorisation of a partial payment (the payment and its invoice saved together).

Each contender gets, for each history length, ``aggregates`` aggregates of its own,
written straight through the domain to ``history`` events each (snapshots taken as
paycore takes them, every 100), and one warm-up command on each. Then the rounds: in
each, every contender runs the same number of commands at every history length, spread
over its aggregates, all interleaved. A round adds ``ops / aggregates`` events to each
aggregate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar, Protocol
from uuid import UUID, uuid4

from eventsourcing.application import Application

from benchmarks import baseline
from benchmarks.baseline import Baseline, LibraryAtItsBest, SingleWriterCeiling
from benchmarks.report import interleaved
from benchmarks.stores import Store
from paycore.domain import payment as payments
from paycore.domain.aggregate import Audit, PaycoreAggregate, Source, recording
from paycore.domain.card_account import CardAccount, CardForm, CardKind
from paycore.domain.core import PaymentsCore
from paycore.domain.invoice import BuyerResponse, Invoice
from paycore.domain.money import Money
from paycore.domain.otp import OneTimePassword, OtpChallenge, OtpKey
from paycore.domain.payment import Payment, PaymentType
from paycore.domain.purchase_order import PurchaseOrder

OTP = "123456"
OTP_KEY = b"paycore-benchmarks-otp-key"
CARD = "card"
ONE = Money("1.00")
#: Aggregates every contender's cache holds: all that one contender's rounds touch
#: (invoices, and the payments made for each round), so that no command here reads an
#: aggregate from its snapshot. With the default 1,000 the payments of a round push
#: the invoices out, and reading an invoice of 500 events from its snapshot (about
#: 500 reservations in flight) costs every contender alike.
CACHE_SIZE = int(baseline.CACHE_SIZE)
#: Events saved per transaction while aggregates are written to their history length.
FILL_BATCH = 5000


class BenchmarkCore(PaymentsCore):
    """paycore with a cache as large as the library's here (see ``CACHE_SIZE``)."""

    cache_size = CACHE_SIZE


def paycore_on(store: Store) -> PaymentsCore:
    return BenchmarkCore(store.url("paycore"), otp_key=OTP_KEY, otp_codes=lambda: OTP)


def per_second(count: int, run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return count / (time.perf_counter() - start)


def save_in_batches(app: Application[UUID], aggregates: Sequence[PaycoreAggregate]) -> None:
    """Saves new and changed aggregates, a few thousand events per transaction."""
    batch: list[PaycoreAggregate] = []
    for aggregate in aggregates:
        batch.append(aggregate)
        if sum(len(a.pending_events) for a in batch) >= FILL_BATCH:
            app.save(*batch)
            batch = []
    if batch:
        app.save(*batch)


def writing() -> Any:
    """The audit scope of writes made straight through the domain."""
    return recording(Audit("bench", Source.SYSTEM, "bench", "bench", datetime.now(UTC)))


class Workload(Protocol):
    """One command on one contender's aggregates: ``run(i)`` is the i-th command."""

    title: ClassVar[str]
    aggregates: int

    def prepare(self, ops: int) -> None: ...

    def run(self, i: int) -> None: ...


class CardLoads:
    title: ClassVar[str] = "card load"

    def __init__(self, app: Application[UUID], history: int, aggregates: int) -> None:
        self.app, self.aggregates = app, aggregates
        with writing():
            accounts = [self._account(n, history) for n in range(aggregates)]
        save_in_batches(app, accounts)
        self.ids = [a.id for a in accounts]

    @staticmethod
    def _account(n: int, history: int) -> CardAccount:
        account = CardAccount.create_with_id(
            uuid4(),
            "Opened",
            company_id=f"CO{n}",
            company_name="Bench Ltd",
            account_title="Bench",
            account_type="CORPORATE",
            balance_cap=Money("1000000000000.00"),
        )
        account.issue_card(CARD, CardKind.PREPAID, CardForm.VIRTUAL, Money.ZERO)
        while account.version < history:
            account.load(CARD, ONE, f"LD{uuid4().hex}")
        return account

    def prepare(self, ops: int) -> None:
        pass

    def run(self, i: int) -> None:
        account_id = self.ids[i % self.aggregates]
        if isinstance(self.app, PaymentsCore):
            self.app.load_card(account_id, CARD, "1.00")
            return
        with recording(Baseline.audit()):
            account: CardAccount = self.app.repository.get(account_id)
            account.load(CARD, ONE, f"LD{uuid4().hex}")
            self.app.save(account)


class PurchaseOrderTransitions:
    title: ClassVar[str] = "PO transition"

    def __init__(self, app: Application[UUID], history: int, aggregates: int) -> None:
        self.app, self.aggregates = app, aggregates
        with writing():
            orders = [self._order(n, history) for n in range(aggregates)]
        save_in_batches(app, orders)
        self.ids = [o.id for o in orders]

    @staticmethod
    def _order(n: int, history: int) -> PurchaseOrder:
        order = PurchaseOrder(
            object_id=f"PO{uuid4().hex[:10].upper()}",
            buyer_po_number=f"PO-{n}",
            subject="Bench",
            total=Money("100.00"),
            buyer_b2b_id="B",
            supplier_b2b_id="S",
        )
        order.send(None)
        while order.version < history:
            order.edit("Bench", Money(f"{100 + order.version}.00"), None)
        return order

    def prepare(self, ops: int) -> None:
        pass

    def run(self, i: int) -> None:
        po_id, total = self.ids[i % self.aggregates], f"{200 + i % 100}.00"
        if isinstance(self.app, PaymentsCore):
            self.app.edit_purchase_order(po_id, "Bench", total)
            return
        with recording(Baseline.audit()):
            order: PurchaseOrder = self.app.repository.get(po_id)
            order.edit("Bench", Money(total), None)
            self.app.save(order)


class PaymentAuthorisations:
    """Each round authorises payments made for it beforehand (initiated, OTP sent),
    ``ops / aggregates`` on each invoice; an invoice's history is its reservations."""

    title: ClassVar[str] = "partial-payment authorisation"

    def __init__(self, app: Application[UUID], history: int, aggregates: int) -> None:
        self.app, self.aggregates = app, aggregates
        self.key = OtpKey(OTP_KEY)
        with writing():
            invoices = [self._invoice(history) for _ in range(aggregates)]
        save_in_batches(app, invoices)
        self.invoices = invoices
        self.payments: list[UUID] = []

    @staticmethod
    def _invoice(history: int) -> Invoice:
        invoice = Invoice(
            object_id=f"INV{uuid4().hex}",
            supplier_invoice_number="B-1",
            total=Money("1000000000.00"),
            allows_partial=True,
            buyer_b2b_id="B",
            supplier_b2b_id="S",
            object_version=1,
        )
        invoice.respond(BuyerResponse.ACCEPT, "ok", None)
        while invoice.version < history:
            invoice.reserve(uuid4(), ONE)
        return invoice

    def prepare(self, ops: int) -> None:
        expires_at = datetime.now(UTC) + timedelta(hours=1)
        made = []
        with writing():
            for i in range(ops):
                payment = Payment.initiate(
                    uuid4(), PaymentType.INVOICE, [self.invoices[i % self.aggregates]], ONE, ""
                )
                reference = f"OTP{uuid4().hex}"
                digest = self.key.digest(reference, OneTimePassword(OTP))
                payment.send_otp(
                    OtpChallenge(reference, "PAYMENT", digest, expires_at, key_id=self.key.key_id)
                )
                made.append(payment)
        save_in_batches(self.app, made)
        self.payments = [p.id for p in made]

    def run(self, i: int) -> None:
        payment_id = self.payments[i]
        if isinstance(self.app, PaymentsCore):
            self.app.authorise_payment(payment_id, OTP)
            return
        with recording(Baseline.audit()) as audit:
            payment: Payment = self.app.repository.get(payment_id)
            invoice: Invoice = self.app.repository.get(payment.invoice_ids[0])
            assert payment.otp is not None
            digest = self.key.digest_for(payment.otp, OneTimePassword(OTP))
            payments.authorise(payment, [invoice], digest, audit.recorded_at)
            self.app.save(payment, invoice)


WORKLOADS: tuple[type[CardLoads | PurchaseOrderTransitions | PaymentAuthorisations], ...] = (
    CardLoads,
    PurchaseOrderTransitions,
    PaymentAuthorisations,
)
CONTENDERS = ("paycore", "library", "ceiling")


def contender_app(name: str, store: Store) -> Application[UUID]:
    if name == "paycore":
        return paycore_on(store)
    cls = LibraryAtItsBest if name == "library" else SingleWriterCeiling
    return cls(env=store.env(name))


def command_rates(
    store: Store,
    workload: type[Workload],
    histories: Sequence[int],
    aggregates: int,
    ops: int,
    rounds: int,
    limits: Mapping[str, Callable[[], float]] | None = None,
) -> dict[str, list[float]]:
    """Commands per second of each contender at each history length (``"paycore@5"``)
    in each round, all of them (and ``limits``, if given) interleaved in every round."""
    apps = {name: contender_app(name, store) for name in CONTENDERS}
    try:
        contenders: dict[str, Callable[[], float]] = {}
        for name, app in apps.items():
            for history in histories:
                work = workload(app, history, aggregates)  # type: ignore[call-arg]
                work.prepare(aggregates)
                _run_all(work, aggregates)  # warm: each aggregate read once
                contenders[f"{name}@{history}"] = partial(_round, work, ops)
        return interleaved({**contenders, **(limits or {})}, rounds)
    finally:
        for app in apps.values():
            app.close()


def _round(work: Workload, ops: int) -> float:
    work.prepare(ops)
    return per_second(ops, partial(_run_all, work, ops))


def _run_all(work: Workload, ops: int) -> None:
    for i in range(ops):
        work.run(i)


# Card loads from eight threads, each its own instance (PostgreSQL).


def card_loads_in_threads(
    make: Callable[[], Application[UUID]], threads: int, aggregates: int, ops_each: int
) -> float:
    """Card loads per second of ``threads`` instances at once, each on its own cards."""
    apps = [make() for _ in range(threads)]
    try:
        works = [CardLoads(app, 5, aggregates) for app in apps]
        for work in works:
            for i in range(aggregates):
                work.run(i)
        barrier = threading.Barrier(threads + 1)

        def load(work: CardLoads) -> None:
            barrier.wait()
            for i in range(ops_each):
                work.run(i)

        workers = [threading.Thread(target=load, args=(w,)) for w in works]
        for worker in workers:
            worker.start()
        barrier.wait()
        start = time.perf_counter()
        for worker in workers:
            worker.join()
        return threads * ops_each / (time.perf_counter() - start)
    finally:
        for app in apps:
            app.close()

"""paycore's commands beside the baseline's load-change-save, on each store.

(a) a card load, (b) a partial payment's authorisation (payment and invoice saved
atomically), (c) a purchase-order transition; card loads on PostgreSQL with 1 and 8
threads; (f) reading a card account with many events as of an old version.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from benchmarks.baseline import Counters
from benchmarks.report import Result, throughput
from benchmarks.stores import Store
from paycore.domain.aggregate import Audit, Source, recording
from paycore.domain.card_account import CardAccount, CardForm, CardKind
from paycore.domain.core import PaymentsCore
from paycore.domain.money import Money

AGGREGATES = 20
OTP = "123456"


def per_second(count: int, run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return count / (time.perf_counter() - start)


def core_on(store: Store) -> PaymentsCore:
    return PaymentsCore(store.url, otp_key=b"bench", otp_codes=lambda: OTP)


def baseline_ops(store: Store, ops: int, threads: int = 1) -> float:
    """Increments spread over the counters, each thread on counters of its own."""
    apps = [Counters(env=store.baseline_env()) for _ in range(threads)]
    try:
        counters = [[app.start() for _ in range(AGGREGATES)] for app in apps]
        return _in_threads(
            ops, [_incrementer(app, ids) for app, ids in zip(apps, counters, strict=True)]
        )
    finally:
        for app in apps:
            app.close()


def _incrementer(app: Counters, counters: list[UUID]) -> Callable[[int], object]:
    return lambda i: app.increment(counters[i % len(counters)])


def _in_threads(ops: int, workers: Sequence[Callable[[int], object]]) -> float:
    """Runs ``ops`` operations shared by the workers, one thread each; total ops/s."""
    share = ops // len(workers)

    def work(one: Callable[[int], object]) -> None:
        for i in range(share):
            one(i)

    if len(workers) == 1:
        return per_second(share, lambda: work(workers[0]))
    threads = [threading.Thread(target=work, args=(w,)) for w in workers]

    def run_all() -> None:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    return per_second(share * len(workers), run_all)


def _cards(core: PaymentsCore) -> list[tuple[UUID, str]]:
    cards = []
    for n in range(AGGREGATES):
        account_id = core.open_card_account(f"CO{n}", "Bench Ltd", "Bench", "CORPORATE", "1e9")
        card_id = core.issue_card(account_id, "PREPAID")
        core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
        cards.append((account_id, card_id))
    return cards


def _loader(core: PaymentsCore, cards: list[tuple[UUID, str]]) -> Callable[[int], object]:
    return lambda i: core.load_card(*cards[i % len(cards)], "1.00")


def card_loads(store: Store, ops: int, threads: int = 1) -> float:
    cores = [core_on(store) for _ in range(threads)]
    try:
        cards = [_cards(core) for core in cores]
        return _in_threads(
            ops, [_loader(core, mine) for core, mine in zip(cores, cards, strict=True)]
        )
    finally:
        for core in cores:
            core.close()


def payment_authorisations(store: Store, ops: int) -> float:
    core = core_on(store)
    try:
        invoices = []
        for n in range(AGGREGATES):
            invoice_id = core.receive_invoice(
                f"INV{n:032d}", f"B-{n}", "1000000000.00", buyer_b2b_id="b", supplier_b2b_id="s"
            )
            core.respond_to_invoice(invoice_id, "ACCEPT", "ok")
            invoices.append(invoice_id)
        payments = []
        for i in range(ops):
            payment_id = core.initiate_payment([invoices[i % AGGREGATES]], amount="1.00")
            core.request_payment_otp(payment_id)
            payments.append(payment_id)
        return _in_threads(ops, [lambda i: core.authorise_payment(payments[i], OTP)])
    finally:
        core.close()


def purchase_order_transitions(store: Store, ops: int) -> float:
    core = core_on(store)
    try:
        orders = []
        for n in range(AGGREGATES):
            po_id = core.draft_purchase_order(
                f"PO{n:010d}", f"PO-{n}", "Bench", "100.00", buyer_b2b_id="b", supplier_b2b_id="s"
            )
            core.send_purchase_order(po_id)
            orders.append(po_id)
        return _in_threads(
            ops,
            [lambda i: core.edit_purchase_order(orders[i % AGGREGATES], "Bench", f"{100 + i}.00")],
        )
    finally:
        core.close()


def command_results(store: Store, ops: int) -> list[Result]:
    baseline = baseline_ops(store, ops)
    results = [
        throughput("(a) card load", store.kind, 1, card_loads(store, ops), baseline),
        throughput(
            "(b) partial payment authorisation",
            store.kind,
            1,
            payment_authorisations(store, ops),
            baseline,
        ),
        throughput(
            "(c) purchase-order transition",
            store.kind,
            1,
            purchase_order_transitions(store, ops),
            baseline,
        ),
    ]
    if store.kind == "postgres":
        one = results[0].value
        eight = card_loads(store, ops, threads=8)
        results.append(
            throughput("(a) card load", store.kind, 8, eight, baseline_ops(store, ops, 8))
        )
        results.append(
            Result(
                "(a) card load speed-up, 8 threads / 1", store.kind, 8, round(eight / one, 2), "x"
            )
        )
    return results


def as_of_results(store: Store, events: int, samples: int) -> list[Result]:
    """(f) A card account with ``events`` events, read as of random old versions."""
    core = core_on(store)
    try:
        account_id = account_with_loads(core, events)
        rng = random.Random(6)
        versions = [rng.randint(2, events // 2) for _ in range(samples)]
        latencies = []
        for version in versions:
            start = time.perf_counter()
            core.get_card_account(account_id, version=version)
            latencies.append((time.perf_counter() - start) * 1000)
        p95 = statistics.quantiles(latencies, n=20)[18]
        assert core.snapshots is not None
        without = _replay_ms(core, account_id, events // 2)
        return [
            Result(
                f"(f) card as of old version, {events:,} events, p50",
                store.kind,
                1,
                round(statistics.median(latencies), 2),
                "ms",
            ),
            Result(
                f"(f) card as of old version, {events:,} events, p95",
                store.kind,
                1,
                round(p95, 2),
                "ms",
                round(without, 1),
                round(without / p95, 1),
                "baseline: the same read replaying every event, without snapshots",
            ),
        ]
    finally:
        core.close()


def account_with_loads(core: PaymentsCore, events: int) -> UUID:
    """Loads written straight through the aggregate in batches, snapshotted as they go."""
    audit = Audit("bench", Source.SYSTEM, "bench", "bench", datetime.now(UTC))
    with recording(audit):
        account = CardAccount.create_with_id(
            UUID(int=random.getrandbits(128)),
            "Opened",
            company_id="CO",
            company_name="Bench",
            account_title="Long",
            account_type="CORPORATE",
            balance_cap=Money("1e12"),
        )
        account.issue_card("card", CardKind.PREPAID, CardForm.VIRTUAL, Money.ZERO)
        while account.version < events:
            for _ in range(min(1000, events - account.version)):
                account.load("card", Money("1.00"), f"LD{account.version}")
            core.save(account)
    return account.id


def _replay_ms(core: PaymentsCore, account_id: UUID, version: int) -> float:
    start = time.perf_counter()
    aggregate = None
    for stored in core.events.get(account_id, lte=version):
        aggregate = stored.mutate(aggregate)  # type: ignore[attr-defined]
    return (time.perf_counter() - start) * 1000

"""Eight service instances paying three invoices at once never overpay any of them."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import ConcurrencyConflict, PaycoreError
from paycore.domain.money import Money
from tests.conftest import PostgresSchema

THREADS = 8
ATTEMPTS = 400
INVOICE_TOTAL = Decimal("5000.00")


def pay_part(core: PaymentsCore, invoice_id: UUID, amount: Decimal) -> UUID:
    """One partial payment from initiation to success; a refusal is a PaycoreError.

    Once authorised, a payment is driven to its outcome the way a host service would:
    retrying with an idempotency key until the command goes through.
    """
    payment_id = core.initiate_payment([invoice_id], amount=str(amount))
    try:
        core.authorise_payment(payment_id, core.request_payment_otp(payment_id).otp)
    except PaycoreError:
        until_done(lambda: core.record_payment_failure(payment_id, "not authorised"))
        raise
    until_done(lambda: core.submit_payment(payment_id, idempotency_key=f"submit-{payment_id}"))
    until_done(
        lambda: core.record_payment_success(
            payment_id, f"UTR{payment_id.hex[:12]}", idempotency_key=f"paid-{payment_id}"
        )
    )
    return payment_id


def until_done(command: Callable[[], object]) -> None:
    while True:
        try:
            command()
        except ConcurrencyConflict:
            continue
        return


def test_concurrent_partial_payments_never_overpay_an_invoice(
    postgres_schema: PostgresSchema,
) -> None:
    setup = PaymentsCore(postgres_schema.url, otp_key=b"s" * 32)
    invoice_ids = []
    for n in range(3):
        invoice_id = setup.receive_invoice(
            f"INV{n:032d}", f"SUP-{n}", str(INVOICE_TOTAL), buyer_b2b_id="B", supplier_b2b_id="S"
        )
        setup.respond_to_invoice(invoice_id, "ACCEPT", "ok")
        invoice_ids.append(invoice_id)

    succeeded: list[UUID] = []
    refusals: Counter[str] = Counter()
    unexpected: list[BaseException] = []
    lock = threading.Lock()
    seeds = random.Random(20261124)
    plans = [
        (seeds.choice(invoice_ids), Decimal(seeds.randint(1000, 10000)) / 100)
        for _ in range(ATTEMPTS)
    ]

    def worker(share: list[tuple[UUID, Decimal]]) -> None:
        core = PaymentsCore(postgres_schema.url, otp_key=b"s" * 32)
        try:
            for invoice_id, amount in share:
                try:
                    payment_id = pay_part(core, invoice_id, amount)
                except PaycoreError as refusal:
                    with lock:
                        refusals[refusal.code] += 1
                except BaseException as error:
                    with lock:
                        unexpected.append(error)
                else:
                    with lock:
                        succeeded.append(payment_id)
        finally:
            core.close()

    threads = [threading.Thread(target=worker, args=(plans[i::THREADS],)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert unexpected == []
    assert len(succeeded) + sum(refusals.values()) == ATTEMPTS
    assert set(refusals) <= {
        "INVOICE_OVERPAYMENT",
        "PARTIAL_PAYMENT_AMOUNT",
        "CONCURRENCY_CONFLICT",
    }
    paid: dict[UUID, Money] = dict.fromkeys(invoice_ids, Money.ZERO)
    for payment_id in succeeded:
        payment = setup.get_payment(payment_id)
        assert payment.status == "SUCCEEDED"
        paid[payment.invoice_ids[0]] += payment.amount
    for invoice_id in invoice_ids:
        invoice = setup.get_invoice(invoice_id)
        assert invoice.settled == paid[invoice_id]
        assert invoice.reservations == {}
        assert invoice.settled + invoice.outstanding == invoice.owed
        assert invoice.settled.amount <= INVOICE_TOTAL
    assert refusals["INVOICE_OVERPAYMENT"] + refusals["PARTIAL_PAYMENT_AMOUNT"], (
        "the workload is sized to run the invoices dry"
    )
    print(f"succeeded={len(succeeded)} refusals={dict(refusals)}")
    setup.close()

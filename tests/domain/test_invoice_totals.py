"""An invoice keeps its reserved and settled totals as it goes, so that a payment's cost
does not grow with the invoice's history.

Invariant: ``reserved`` is the sum of the reservations, and ``settled`` the sum of the
reservations that became payments, after any sequence of reserve, release and settle,
replayed from events or from a snapshot of either class version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

from hypothesis import given
from hypothesis import strategies as st

from paycore.domain.aggregate import Audit, Source, recording
from paycore.domain.invoice import BuyerResponse, Invoice
from paycore.domain.money import Money, total

AUDIT = Audit("test", Source.SYSTEM, "c", "c", datetime(2026, 1, 1, tzinfo=UTC))


def accepted(amount: str = "1000000.00") -> Invoice:
    invoice = Invoice(
        object_id="INV" + "0" * 32,
        supplier_invoice_number="S-1",
        total=Money(amount),
        allows_partial=True,
        buyer_b2b_id="B",
        supplier_b2b_id="S",
        object_version=1,
    )
    invoice.respond(BuyerResponse.ACCEPT, "ok", None)
    return invoice


def replayed(invoice: Invoice) -> Invoice:
    """The invoice rebuilt from its events."""
    rebuilt: object = None
    for event in invoice.collect_events():
        rebuilt = event.mutate(rebuilt)  # type: ignore[arg-type]
    assert isinstance(rebuilt, Invoice)
    return rebuilt


#: reserve(amount in paise), release(n-th reservation held), settle(n-th reservation held)
moves = st.lists(
    st.one_of(
        st.tuples(st.just("reserve"), st.integers(100, 10_000)),
        st.tuples(st.sampled_from(["release", "settle"]), st.integers(0, 50)),
    ),
    max_size=40,
)


@given(moves)
def test_reserved_and_settled_are_the_sums_of_what_the_reservations_became(
    steps: list[tuple[str, int]],
) -> None:
    with recording(AUDIT):
        invoice = accepted()
        settled = Decimal(0)
        for move, n in steps:
            if move == "reserve":
                invoice.reserve(uuid4(), Money(Decimal(n) / 100))
            elif invoice.reservations:
                payment_id = list(invoice.reservations)[n % len(invoice.reservations)]
                if move == "release":
                    invoice.release(UUID(payment_id))
                else:
                    settled += invoice.reservations[payment_id].amount
                    invoice.settle(UUID(payment_id))
    for state in (invoice, replayed(invoice)):
        assert state.reserved == total(state.reservations.values())
        assert state.settled.amount == settled
        assert state.outstanding == state.total - state.settled - state.reserved


def test_a_snapshot_taken_before_reserved_was_kept_reads_with_the_total() -> None:
    with recording(AUDIT):
        invoice = accepted()
        invoice.reserve(uuid4(), Money("10.00"))
        invoice.reserve(uuid4(), Money("2.50"))
    snapshot = Invoice.Snapshot.take(invoice)
    assert snapshot.state["class_version"] == 2
    before = {k: v for k, v in snapshot.state.items() if k not in ("reserved", "class_version")}
    old = Invoice.Snapshot(
        originator_id=snapshot.originator_id,
        originator_version=snapshot.originator_version,
        timestamp=snapshot.timestamp,
        topic=snapshot.topic,
        state=before,
    )
    restored = old.mutate(None)
    assert isinstance(restored, Invoice)
    assert restored.reserved == Money("12.50")
    assert restored.outstanding == Money("999987.50")

"""Payment rules: type, invoices, full and partial amounts, lifecycle, reservations, OTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

import pytest

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import (
    InvoiceOverpayment,
    OtpAttemptsExhausted,
    OtpExpired,
    OtpFormatError,
    OtpMismatch,
    PartialPaymentAmount,
    PartialPaymentNotAllowed,
    PaycoreError,
    PaymentInvoicesError,
    PaymentTransitionError,
    PaymentTypeError,
)
from paycore.domain.money import Money
from paycore.domain.payment import PaymentType
from tests.domain.interleaving import interleave
from tests.domain.rule_checks import (
    ManualClock,
    accepted_invoice,
    authorised_payment,
    named_in,
    refused,
    refused_moves,
    written,
)

OTP = "583920"
WRONG_OTP = "000000"
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def outstanding(core: PaymentsCore, invoice_id: UUID) -> Money:
    return core.get_invoice(invoice_id).outstanding


def payment_awaiting_otp(
    core: PaymentsCore, invoice_id: UUID, amount: str | None = None
) -> tuple[UUID, str]:
    """A payment whose OTP was sent; returns it and the OTP."""
    payment_id = core.initiate_payment([invoice_id], amount=amount)
    return payment_id, core.request_payment_otp(payment_id).otp


def payment_awaiting_otp_on(core: PaymentsCore, invoice_ids: list[UUID]) -> tuple[UUID, str]:
    payment_id = core.initiate_payment(invoice_ids)
    return payment_id, core.request_payment_otp(payment_id).otp


# What a payment names and how much it pays.


def test_payment_type_comes_from_the_platform_enum(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core)
    with refused(core, PaymentTypeError, "PAYMENT_TYPE") as refusal:
        core.initiate_payment([invoice_id], "CHEQUE")
    assert refusal.value.details["allowed"] == [t.value for t in PaymentType]
    payment_id = core.initiate_payment([invoice_id], "GST")
    assert core.get_payment(payment_id).payment_type is PaymentType.GST


def test_payment_names_at_least_one_invoice_and_each_once(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core)
    for invoice_ids in ([], [invoice_id, invoice_id]):
        with refused(core, PaymentInvoicesError, "PAYMENT_INVOICES"):
            core.initiate_payment(invoice_ids)


def test_full_payment_pays_the_outstanding_of_each_invoice(core: PaymentsCore) -> None:
    first = accepted_invoice(core, "1000.00", number=1)
    second = accepted_invoice(core, "250.50", number=2)
    authorised_payment(core, first, "100.00")

    payment = core.get_payment(core.initiate_payment([first, second]))

    assert payment.allocations == {str(first): Money("900.00"), str(second): Money("250.50")}
    assert payment.amount == Money("1150.50")
    assert not payment.partial


def test_partial_payment_names_exactly_one_invoice(core: PaymentsCore) -> None:
    invoice_ids = [accepted_invoice(core, number=n) for n in (1, 2)]
    with refused(core, PaymentInvoicesError, "PAYMENT_INVOICES") as refusal:
        core.initiate_payment(invoice_ids, amount="10.00")
    assert refusal.value.details["count"] == 2


def test_partial_payment_needs_an_invoice_that_allows_it(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core, allows_partial=False)
    with refused(core, PartialPaymentNotAllowed, "PARTIAL_PAYMENT_NOT_ALLOWED"):
        core.initiate_payment([invoice_id], amount="10.00")
    assert core.get_payment(core.initiate_payment([invoice_id])).amount == Money("1000.00")


def test_partial_payment_is_at_least_one_rupee_and_below_the_outstanding(
    core: PaymentsCore,
) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    for amount in ("0.99", "1000.00", "1000.01"):
        with refused(core, PartialPaymentAmount, "PARTIAL_PAYMENT_AMOUNT") as refusal:
            core.initiate_payment([invoice_id], amount=amount)
        assert refusal.value.details["outstanding"] == "1000.00"
    for amount in ("1.00", "999.99"):
        assert core.get_payment(core.initiate_payment([invoice_id], amount=amount)).partial


def test_partial_payment_never_exceeds_outstanding_left_by_payments_in_flight(
    core: PaymentsCore,
) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    authorised_payment(core, invoice_id, "600.00")
    with refused(core, PartialPaymentAmount, "PARTIAL_PAYMENT_AMOUNT") as refusal:
        core.initiate_payment([invoice_id], amount="400.00")
    assert refusal.value.details["outstanding"] == "400.00"


# The lifecycle.


def test_payment_moves_from_initiated_to_succeeded(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core)
    payment_id = core.initiate_payment([invoice_id])
    statuses = [core.get_payment(payment_id).status]
    otp = core.request_payment_otp(payment_id)
    statuses.append(core.get_payment(payment_id).status)
    core.authorise_payment(payment_id, otp.otp)
    statuses.append(core.get_payment(payment_id).status)
    reference = core.submit_payment(payment_id)
    statuses.append(core.get_payment(payment_id).status)
    core.record_payment_success(payment_id, "UTR123")

    payment = core.get_payment(payment_id)
    assert [*statuses, payment.status] == [
        "INITIATED",
        "OTP_SENT",
        "AUTHORISED",
        "SUBMITTED",
        "SUCCEEDED",
    ]
    assert (payment.reference, payment.utr) == (reference, "UTR123")
    assert reference == f"PMT{payment_id.hex}"


def payment_in(core: PaymentsCore, invoice_id: UUID, status: str) -> UUID:
    """A new ₹10 payment on the invoice, moved to ``status``."""
    payment_id = core.initiate_payment([invoice_id], amount="10.00")
    steps: list[tuple[str, Callable[[], object]]] = [
        ("OTP_SENT", lambda: core.request_payment_otp(payment_id)),
        ("AUTHORISED", lambda: core.authorise_payment(payment_id, OTP)),
        ("SUBMITTED", lambda: core.submit_payment(payment_id)),
        ("SUCCEEDED", lambda: core.record_payment_success(payment_id, "UTR1")),
    ]
    if status == "FAILED":
        core.record_payment_failure(payment_id, "abandoned")
    for reached, step in steps:
        if core.get_payment(payment_id).status == status:
            break
        step()
        assert core.get_payment(payment_id).status == reached
    return payment_id


def payment_moves(core: PaymentsCore, payment_id: UUID) -> dict[str, Callable[[], object]]:
    """Every command that moves a payment, by the status it asks for."""
    return {
        "OTP_SENT": lambda: core.request_payment_otp(payment_id),
        "AUTHORISED": lambda: core.authorise_payment(payment_id, OTP),
        "SUBMITTED": lambda: core.submit_payment(payment_id),
        "SUCCEEDED": lambda: core.record_payment_success(payment_id, "UTR2"),
        "FAILED": lambda: core.record_payment_failure(payment_id, "late"),
    }


#: The payment lifecycle: status -> the statuses a command may move it to.
PAYMENT_MOVES = {
    "INITIATED": ["FAILED", "OTP_SENT"],
    "OTP_SENT": ["AUTHORISED", "FAILED", "OTP_SENT"],
    "AUTHORISED": ["FAILED", "SUBMITTED"],
    "SUBMITTED": ["FAILED", "SUCCEEDED"],
    "SUCCEEDED": [],
    "FAILED": [],
}


def test_every_move_the_payment_lifecycle_disallows_is_refused(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core = make_core(otp_codes=lambda: OTP)
    invoice_id = accepted_invoice(core, "1000.00")
    for status, allowed in PAYMENT_MOVES.items():
        payment_id = payment_in(core, invoice_id, status)
        moves = {k: m for k, m in payment_moves(core, payment_id).items() if k not in allowed}
        refusals = refused_moves(core, PaymentTransitionError, "PAYMENT_TRANSITION", moves)
        assert named_in(refusals) == {a: (status, a, allowed) for a in moves}
        assert {details["payment"] for details in refusals.values()} == {str(payment_id)}
        assert core.get_payment(payment_id).status == status


def test_succeeded_and_failed_payments_are_final(make_core: Callable[..., PaymentsCore]) -> None:
    core = make_core(otp_codes=lambda: OTP)
    invoice_id = accepted_invoice(core, "1000.00")
    for status in ("SUCCEEDED", "FAILED"):
        payment_id = payment_in(core, invoice_id, status)
        version = core.get_payment(payment_id).version
        moves = payment_moves(core, payment_id)
        refusals = refused_moves(core, PaymentTransitionError, "PAYMENT_TRANSITION", moves)
        assert named_in(refusals) == {a: (status, a, []) for a in moves}
        assert core.get_payment(payment_id).version == version


def test_submitted_payment_is_never_submitted_twice(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core)
    payment_id = authorised_payment(core, invoice_id)
    reference = core.submit_payment(payment_id)
    with refused(core, PaymentTransitionError, "PAYMENT_TRANSITION"):
        core.submit_payment(payment_id)
    assert core.get_payment(payment_id).reference == reference


# Reservations on the invoices.


def test_amount_is_reserved_on_the_invoice_when_the_payment_is_authorised(
    core: PaymentsCore,
) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    payment_id, otp = payment_awaiting_otp(core, invoice_id, "300.00")
    assert outstanding(core, invoice_id) == Money("1000.00")

    core.authorise_payment(payment_id, otp)

    invoice = core.get_invoice(invoice_id)
    assert invoice.reservations == {str(payment_id): Money("300.00")}
    assert invoice.outstanding == Money("700.00")


def test_reservation_settles_when_the_payment_succeeds(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    for amount, status, left in (("300.00", "PARTIALLY_PAID", "700.00"), (None, "PAID", "0.00")):
        payment_id = authorised_payment(core, invoice_id, amount)
        core.submit_payment(payment_id)
        core.record_payment_success(payment_id, "UTR1")
        invoice = core.get_invoice(invoice_id)
        assert (invoice.status, invoice.outstanding, invoice.reservations) == (
            status,
            Money(left),
            {},
        )
    assert core.get_invoice(invoice_id).settled == Money("1000.00")


def test_reservation_is_released_when_the_payment_fails(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    payment_id = authorised_payment(core, invoice_id, "300.00")
    core.submit_payment(payment_id)

    core.record_payment_failure(payment_id, "declined by bank")

    invoice = core.get_invoice(invoice_id)
    assert (invoice.status, invoice.outstanding, invoice.reservations) == (
        "ACCEPTED",
        Money("1000.00"),
        {},
    )
    assert core.get_payment(payment_id).failure_reason == "declined by bank"


def test_two_payments_racing_for_the_same_outstanding_cannot_both_be_authorised(
    core: PaymentsCore,
) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    full_payment, full_otp = payment_awaiting_otp(core, invoice_id)
    partial_payment, partial_otp = payment_awaiting_otp(core, invoice_id, "600.00")
    core.authorise_payment(full_payment, full_otp)

    with refused(core, InvoiceOverpayment, "INVOICE_OVERPAYMENT") as refusal:
        core.authorise_payment(partial_payment, partial_otp)

    assert refusal.value.details["outstanding"] == "0.00"
    assert core.get_payment(partial_payment).status == "OTP_SENT"
    assert core.get_invoice(invoice_id).reservations == {str(full_payment): Money("1000.00")}


def test_authorisation_reserves_on_every_invoice_or_on_none(core: PaymentsCore) -> None:
    first = accepted_invoice(core, "1000.00", number=1)
    second = accepted_invoice(core, "500.00", number=2)
    both, otp = payment_awaiting_otp_on(core, [first, second])
    authorised_payment(core, second, "100.00")

    with refused(core, InvoiceOverpayment, "INVOICE_OVERPAYMENT"):
        core.authorise_payment(both, otp)

    assert core.get_invoice(first).reservations == {}
    assert outstanding(core, first) == Money("1000.00")
    assert core.get_payment(both).status == "OTP_SENT"


# The payment OTP.


def otp_payment(
    make_core: Callable[..., PaymentsCore],
) -> tuple[PaymentsCore, ManualClock, UUID, UUID]:
    """A core that always issues ``OTP``, on a clock the test moves; a ₹1000 payment with
    its OTP sent, and its invoice."""
    clock = ManualClock(NOW)
    core = make_core(clock=clock, otp_codes=lambda: OTP)
    invoice_id = accepted_invoice(core, "1000.00")
    payment_id, _ = payment_awaiting_otp(core, invoice_id)
    return core, clock, payment_id, invoice_id


def test_payment_otp_is_six_digits(make_core: Callable[..., PaymentsCore]) -> None:
    core, _, payment_id, invoice_id = otp_payment(make_core)
    for typed in ("58392", "5839201", "58392x", ""):
        with refused(core, OtpFormatError, "OTP_FORMAT"):
            core.authorise_payment(payment_id, typed)
    assert core.get_payment(payment_id).status == "OTP_SENT"
    assert outstanding(core, invoice_id) == Money("1000.00")


def test_payment_otp_expires_after_ten_minutes(make_core: Callable[..., PaymentsCore]) -> None:
    core, clock, payment_id, invoice_id = otp_payment(make_core)
    clock.advance(minutes=10)
    with refused(core, OtpExpired, "OTP_EXPIRED"):
        core.authorise_payment(payment_id, OTP)
    assert core.get_payment(payment_id).status == "OTP_SENT"
    assert outstanding(core, invoice_id) == Money("1000.00")

    core.request_payment_otp(payment_id)
    clock.advance(minutes=9, seconds=59)
    core.authorise_payment(payment_id, OTP)
    assert core.get_payment(payment_id).status == "AUTHORISED"


def test_payment_otp_is_void_after_three_wrong_attempts(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core, _, payment_id, invoice_id = otp_payment(make_core)
    wrong_attempts: list[tuple[int, type[PaycoreError], str]] = [
        (1, OtpMismatch, "OTP_MISMATCH"),
        (2, OtpMismatch, "OTP_MISMATCH"),
        (3, OtpAttemptsExhausted, "OTP_ATTEMPTS_EXHAUSTED"),
    ]
    for failed_attempts, error, code in wrong_attempts:
        version, before = core.get_payment(payment_id).version, written(core)
        with pytest.raises(error) as refusal:
            core.authorise_payment(payment_id, WRONG_OTP)
        assert refusal.value.code == code
        payment = core.get_payment(payment_id)
        assert (written(core), payment.version) == (before + 1, version + 1), "attempt recorded"
        assert payment.otp is not None
        assert payment.otp.failed_attempts == failed_attempts

    with refused(core, OtpAttemptsExhausted, "OTP_ATTEMPTS_EXHAUSTED"):
        core.authorise_payment(payment_id, OTP)
    assert core.get_payment(payment_id).status == "OTP_SENT"
    assert outstanding(core, invoice_id) == Money("1000.00")


# One consistent state behind every outcome.


def two_instances(
    store_url: str, make_core: Callable[..., PaymentsCore]
) -> tuple[PaymentsCore, PaymentsCore]:
    if store_url == "memory://":
        pytest.skip("two instances share a store only on SQLite and PostgreSQL")
    return make_core(otp_codes=lambda: OTP), make_core()


#: Commands that read a payment, then its invoice; each from the status it moves on.
READ_PAYMENT_THEN_INVOICE: dict[str, tuple[str, str, Callable[[PaymentsCore, UUID], None]]] = {
    "authorise_payment": (
        "OTP_SENT",
        "AUTHORISED",
        lambda core, p: core.authorise_payment(p, OTP, idempotency_key="once"),
    ),
    "record_payment_success": (
        "SUBMITTED",
        "SUCCEEDED",
        lambda core, p: core.record_payment_success(p, "UTR1", idempotency_key="once"),
    ),
    "record_payment_failure": (
        "SUBMITTED",
        "FAILED",
        lambda core, p: core.record_payment_failure(p, "late", idempotency_key="once"),
    ),
}


@pytest.mark.parametrize("command", READ_PAYMENT_THEN_INVOICE)
def test_a_refusal_describes_a_state_that_existed_though_another_instance_moved_between_reads(
    store_url: str, make_core: Callable[..., PaymentsCore], command: str
) -> None:
    """Between this command's read of the payment and of its invoice, another instance
    fails the payment and then cancels the invoice. No moment held the payment as first
    read beside a cancelled invoice: the refusal is about the payment, and a retry with
    the key replays that same refusal."""
    core, other = two_instances(store_url, make_core)
    invoice_id = accepted_invoice(core)
    status, attempted, run = READ_PAYMENT_THEN_INVOICE[command]
    payment_id = payment_in(core, invoice_id, status)

    def fail_the_payment_then_cancel_the_invoice() -> None:
        other.record_payment_failure(payment_id, "abandoned")
        other.cancel_invoice(invoice_id, "withdrawn")

    interleave(core, invoice_id, before=fail_the_payment_then_cancel_the_invoice)
    refusals = []
    for _ in range(2):
        with pytest.raises(PaymentTransitionError) as refusal:
            run(core, payment_id)
        refusals.append((refusal.value.code, refusal.value.details))
    assert (
        refusals
        == [
            (
                "PAYMENT_TRANSITION",
                {
                    "status": "FAILED",
                    "attempted": attempted,
                    "allowed": [],
                    "payment": str(payment_id),
                },
            )
        ]
        * 2
    )
    assert core.get_invoice(invoice_id).status == "CANCELLED"
    assert core.get_payment(payment_id).status == "FAILED"


def test_a_full_payment_pays_what_all_its_invoices_owed_at_one_moment(
    store_url: str, make_core: Callable[..., PaymentsCore]
) -> None:
    """Between this command's reads of the first and the second invoice, another instance
    confirms a debit note on each. The payment is for both outstandings after the notes,
    never the first one's before beside the second one's after."""
    core, other = two_instances(store_url, make_core)
    first = accepted_invoice(core, "1000.00", number=1)
    second = accepted_invoice(core, "250.50", number=2)

    def a_debit_note_on_each() -> None:
        for invoice_id, amount in ((first, "10.00"), (second, "20.00")):
            other.receive_cd_note(invoice_id, f"DN-{invoice_id.hex[:8]}", "DEBIT", amount)
            other.confirm_cd_note(invoice_id, f"DN-{invoice_id.hex[:8]}")

    interleave(core, second, before=a_debit_note_on_each)
    payment = core.get_payment(core.initiate_payment([first, second]))

    assert payment.allocations == {str(first): Money("1010.00"), str(second): Money("270.50")}

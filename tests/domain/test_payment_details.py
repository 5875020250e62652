"""A payment's refusals with their codes, details and messages, at the boundaries on both
sides, and what its events tell an audit reader (issue 16: the survivors of payment.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import (
    IdempotencyConflict,
    InvalidArgument,
    PartialPaymentAmount,
    PartialPaymentNotAllowed,
    PaycoreError,
    PaymentInvoicesError,
    PaymentTypeError,
)
from paycore.domain.idempotency import fingerprint
from paycore.domain.money import Money
from paycore.domain.payment import (
    MAX_INVOICES,
    MINIMUM_PARTIAL,
    PaymentStatus,
    PaymentType,
    payment_id_of,
    payment_object_id,
)
from tests.domain.rule_checks import accepted_invoice, object_id, refused, written

OTP = "583920"


def events_of(core: PaymentsCore, payment_id: UUID) -> list[tuple[str, dict[str, Any]]]:
    """The payment's events as an audit reader sees them: (kind, stored state)."""
    return [
        (e.topic.split(".")[2].split("#")[0], json.loads(e.state))
        for e in core.recorder.select_events(payment_id, limit=1000)
    ]


def test_the_limits_are_one_rupee_and_one_hundred_invoices() -> None:
    assert Money("1.00") == MINIMUM_PARTIAL
    assert MAX_INVOICES == 100


def test_an_unknown_payment_type_names_itself_and_the_allowed_ones(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core)
    with refused(core, PaymentTypeError, "PAYMENT_TYPE") as refusal:
        core.initiate_payment([invoice_id], "CHEQUE")
    assert refusal.value.details == {
        "payment_type": "CHEQUE",
        "allowed": [
            "INVOICE",
            "GST",
            "UTILITY",
            "RENTAL",
            "CONSENT_TRANSACTION",
            "COLLECTION_INVOICE",
            "ADVANCE_PAYMENT",
        ],
    }
    assert refusal.value.message == "'CHEQUE' is not a paymentType the platform knows"


@pytest.mark.parametrize("payment_type", [t.value for t in PaymentType])
def test_every_platform_payment_type_is_accepted(core: PaymentsCore, payment_type: str) -> None:
    invoice_id = accepted_invoice(core)
    payment = core.get_payment(core.initiate_payment([invoice_id], payment_type))
    assert payment.payment_type is PaymentType(payment_type)


def test_naming_an_invoice_twice_lists_the_invoices_named(core: PaymentsCore) -> None:
    first = accepted_invoice(core, number=1)
    second = accepted_invoice(core, number=2)
    with refused(core, PaymentInvoicesError, "PAYMENT_INVOICES") as refusal:
        core.initiate_payment([first, second, first])
    assert refusal.value.details == {"invoices": [object_id(1), object_id(2), object_id(1)]}
    assert refusal.value.message == "a payment names each invoice once"


def test_one_invoice_is_enough_for_a_payment(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core, "12.34")
    payment = core.get_payment(core.initiate_payment([invoice_id]))
    assert payment.allocations == {str(invoice_id): Money("12.34")}
    assert payment.invoice_ids == [invoice_id]


def test_a_full_payment_of_an_invoice_with_nothing_outstanding_is_refused(
    core: PaymentsCore,
) -> None:
    paid_down = accepted_invoice(core, "100.00", number=1)
    other = accepted_invoice(core, "50.00", number=2)
    payment_id = core.initiate_payment([paid_down], amount="99.00")
    core.authorise_payment(payment_id, core.request_payment_otp(payment_id).otp)
    reserve_rest = core.initiate_payment([paid_down])
    core.authorise_payment(reserve_rest, core.request_payment_otp(reserve_rest).otp)
    assert core.get_invoice(paid_down).outstanding == Money("0.00")
    with refused(core, PartialPaymentAmount, "PARTIAL_PAYMENT_AMOUNT") as refusal:
        core.initiate_payment([other, paid_down])
    assert refusal.value.details == {"invoice": object_id(1)}
    assert refusal.value.message == (f"invoice {object_id(1)} has nothing outstanding to pay")


def test_a_partial_payment_of_two_invoices_names_the_count(core: PaymentsCore) -> None:
    invoice_ids = [accepted_invoice(core, number=n) for n in (1, 2, 3)]
    with refused(core, PaymentInvoicesError, "PAYMENT_INVOICES") as refusal:
        core.initiate_payment(invoice_ids, amount="10.00")
    assert refusal.value.details == {"count": 3}
    assert refusal.value.message == "a partial payment names exactly one invoice, not 3"


def test_a_partial_payment_of_an_invoice_that_forbids_it_names_the_invoice(
    core: PaymentsCore,
) -> None:
    invoice_id = accepted_invoice(core, allows_partial=False)
    with refused(core, PartialPaymentNotAllowed, "PARTIAL_PAYMENT_NOT_ALLOWED") as refusal:
        core.initiate_payment([invoice_id], amount="10.00")
    assert refusal.value.details == {"invoice": object_id(1)}
    assert refusal.value.message == f"invoice {object_id(1)} does not allow partial payment"


@pytest.mark.parametrize(
    ("amount", "shown"),
    [("0.99", "₹0.99"), ("1000.00", "₹1,000.00"), ("1000.01", "₹1,000.01")],
)
def test_a_partial_amount_out_of_range_names_amount_and_outstanding(
    core: PaymentsCore, amount: str, shown: str
) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    with refused(core, PartialPaymentAmount, "PARTIAL_PAYMENT_AMOUNT") as refusal:
        core.initiate_payment([invoice_id], amount=amount)
    assert refusal.value.details == {
        "invoice": object_id(1),
        "amount": amount,
        "outstanding": "1000.00",
    }
    assert refusal.value.message == (
        f"a partial payment is at least ₹1.00 and less than the ₹1,000.00 outstanding, not {shown}"
    )


@pytest.mark.parametrize("amount", ["1.00", "999.99"])
def test_a_partial_amount_at_either_limit_is_allocated_to_its_invoice(
    core: PaymentsCore, amount: str
) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    payment = core.get_payment(core.initiate_payment([invoice_id], amount=amount))
    assert payment.allocations == {str(invoice_id): Money(amount)}
    assert payment.amount == Money(amount)
    assert payment.partial is True


def test_the_initiated_event_records_type_allocations_partial_and_remarks(
    core: PaymentsCore,
) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    payment_id = core.initiate_payment([invoice_id], "GST", "250.00", "first instalment")
    ((kind, state),) = events_of(core, payment_id)
    assert kind == "Initiated"
    assert state["payment_type"] == "GST"
    assert state["partial"] is True
    assert state["remarks"] == "first instalment"
    assert state["status"] == "INITIATED"
    payment = core.get_payment(payment_id)
    assert (payment.remarks, payment.partial, payment.status) == (
        "first instalment",
        True,
        PaymentStatus.INITIATED,
    )
    assert (payment.otp, payment.reference, payment.utr, payment.failure_reason) == (
        None,
        None,
        None,
        None,
    )
    full = core.get_payment(core.initiate_payment([invoice_id]))
    assert (full.partial, full.remarks) == (False, "")


def test_each_step_records_its_status_reference_utr_and_reason(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core = make_core(otp_codes=lambda: OTP)
    invoice_id = accepted_invoice(core, "1000.00")
    payment_id = core.initiate_payment([invoice_id], amount="10.00")
    core.request_payment_otp(payment_id)
    assert core.get_payment(payment_id).otp is not None
    core.authorise_payment(payment_id, OTP)
    assert core.get_payment(payment_id).otp is None
    reference = core.submit_payment(payment_id)
    core.record_payment_success(payment_id, "UTR77")
    kinds = [(kind, state.get("status")) for kind, state in events_of(core, payment_id)]
    assert kinds == [
        ("Initiated", "INITIATED"),
        ("OtpSent", "OTP_SENT"),
        ("Authorised", "AUTHORISED"),
        ("Submitted", "SUBMITTED"),
        ("Succeeded", "SUCCEEDED"),
    ]
    states = dict(events_of(core, payment_id))
    assert states["Submitted"]["reference"] == reference == payment_object_id(payment_id)
    assert states["Succeeded"]["utr"] == "UTR77"
    payment = core.get_payment(payment_id)
    assert (payment.reference, payment.utr, payment.failure_reason) == (reference, "UTR77", None)
    assert payment.holds_reservation is False

    failed_id = core.initiate_payment([invoice_id], amount="10.00")
    core.request_payment_otp(failed_id)
    core.record_payment_failure(failed_id, "beneficiary bank down")
    kind, state = events_of(core, failed_id)[-1]
    assert (kind, state["reason"], state["status"]) == ("Failed", "beneficiary bank down", "FAILED")
    failed = core.get_payment(failed_id)
    assert (failed.failure_reason, failed.otp, failed.status) == (
        "beneficiary bank down",
        None,
        PaymentStatus.FAILED,
    )


def test_a_wrong_otp_is_counted_on_the_challenge(make_core: Callable[..., PaymentsCore]) -> None:
    core = make_core(otp_codes=lambda: OTP)
    invoice_id = accepted_invoice(core, "1000.00")
    payment_id = core.initiate_payment([invoice_id])
    core.request_payment_otp(payment_id)
    for attempts in (1, 2):
        with pytest.raises(Exception):  # noqa: B017, PT011 - the OTP rules' own tests name it
            core.authorise_payment(payment_id, "000000")
        otp = core.get_payment(payment_id).otp
        assert otp is not None
        assert otp.failed_attempts == attempts
    assert [k for k, _ in events_of(core, payment_id)].count("OtpRejected") == 2


def test_a_reservation_is_held_only_while_authorised_or_submitted(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core = make_core(otp_codes=lambda: OTP)
    invoice_id = accepted_invoice(core, "1000.00")
    payment_id = core.initiate_payment([invoice_id], amount="10.00")
    held = [core.get_payment(payment_id).holds_reservation]
    core.request_payment_otp(payment_id)
    held.append(core.get_payment(payment_id).holds_reservation)
    core.authorise_payment(payment_id, OTP)
    held.append(core.get_payment(payment_id).holds_reservation)
    core.submit_payment(payment_id)
    held.append(core.get_payment(payment_id).holds_reservation)
    core.record_payment_failure(payment_id, "timeout")
    held.append(core.get_payment(payment_id).holds_reservation)
    assert held == [False, False, True, True, False]


def test_a_payment_object_id_is_pmt_and_its_hex_id_and_reads_back() -> None:
    payment_id = UUID("0123456789abcdef0123456789abcdef")
    assert payment_object_id(payment_id) == "PMT0123456789abcdef0123456789abcdef"
    assert payment_id_of("PMT0123456789abcdef0123456789abcdef") == payment_id


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("PMT0123456789ABCDEF0123456789ABCDEF", "'PMT0123456789ABCDEF0123456789ABCDEF'"),
        ("PMT0123456789abcdef0123456789abcde", "'PMT0123456789abcdef0123456789abcde'"),
        ("XPMT0123456789abcdef0123456789abcdef", "'XPMT0123456789abcdef0123456789abcdef'"),
        ("PMT0123456789abcdef0123456789abcdef0", "'PMT0123456789abcdef0123456789abcdef0'"),
        (7, "7"),
    ],
)
def test_anything_but_a_payment_object_id_is_refused_by_name(value: object, shown: str) -> None:
    with pytest.raises(InvalidArgument) as refusal:
        payment_id_of(value)  # type: ignore[arg-type]
    assert refusal.value.details == {"argument": "object_id", "value": shown}
    assert refusal.value.message == (
        f"object_id must be a payment objectId (PMT[0-9a-f]{{32}}), "
        f"not {type(value).__name__} {shown}"
    )


# The payment commands: the arguments they name, their defaults, what an idempotency key
# keeps (a retry after a deploy must match).


def kept_for(core: PaymentsCore, key: str) -> tuple[str, str]:
    """The command and the fingerprint of its arguments that ``key`` was recorded with."""
    record = core._idempotency_record(key)
    assert record is not None
    return record.command, record.fingerprint


def names(core: PaymentsCore, argument: str, call: Callable[[], object]) -> None:
    """``call`` is refused, writing nothing, with an error naming ``argument``."""
    before = written(core)
    with pytest.raises(PaycoreError) as refusal:
        call()
    assert refusal.value.details["argument"] == argument
    assert written(core) == before


def test_each_refused_payment_argument_is_named(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core)
    payment_id = core.initiate_payment([invoice_id], amount="10.00")
    cases: dict[str, Callable[[], object]] = {
        "invoice_ids": lambda: core.initiate_payment("x"),  # type: ignore[arg-type]
        "invoice_ids[]": lambda: core.initiate_payment(["x"]),  # type: ignore[list-item]
        "payment_type": lambda: core.initiate_payment([invoice_id], 7),  # type: ignore[arg-type]
        "amount": lambda: core.initiate_payment([invoice_id], amount="0"),
        "utr": lambda: core.record_payment_success(payment_id, 7),  # type: ignore[arg-type]
        "reason": lambda: core.record_payment_failure(payment_id, 7),  # type: ignore[arg-type]
    }
    for argument, call in cases.items():
        names(core, argument, call)
    for command in (
        lambda: core.request_payment_otp("x"),  # type: ignore[arg-type]
        lambda: core.authorise_payment("x", OTP),  # type: ignore[arg-type]
        lambda: core.submit_payment("x"),  # type: ignore[arg-type]
        lambda: core.record_payment_success("x", "UTR1"),  # type: ignore[arg-type]
        lambda: core.record_payment_failure("x", "late"),  # type: ignore[arg-type]
    ):
        names(core, "payment_id", command)
    with pytest.raises(InvalidArgument) as listed:
        core.initiate_payment(b"x")  # type: ignore[arg-type]
    assert listed.value.message == "invoice_ids is a list of invoice ids"
    with pytest.raises(InvalidArgument):
        core.initiate_payment(7)  # type: ignore[arg-type]
    assert core.get_payment(core.initiate_payment((invoice_id,), amount="1.00")).partial


def test_a_payment_is_an_invoice_payment_without_remarks_by_default(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core)
    payment = core.get_payment(core.initiate_payment([invoice_id]))
    assert (payment.payment_type, payment.remarks, payment.partial) == (
        PaymentType.INVOICE,
        "",
        False,
    )


def test_each_payment_command_keeps_its_name_and_its_checked_arguments(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core = make_core(otp_codes=lambda: OTP)
    invoice_id = accepted_invoice(core, "1000.00")
    payment_id = core.initiate_payment(
        [invoice_id], "GST", "10.00", "part", idempotency_key="k-initiate"
    )
    assert kept_for(core, "k-initiate") == (
        "initiate_payment",
        fingerprint(
            "initiate_payment",
            {
                "invoice_ids": [invoice_id],
                "type": PaymentType.GST,
                "amount": Money("10.00"),
                "remarks": "part",
            },
        ),
    )
    core.request_payment_otp(payment_id)
    core.authorise_payment(payment_id, OTP, idempotency_key="k-authorise")
    assert kept_for(core, "k-authorise") == (
        "authorise_payment",
        fingerprint("authorise_payment", {"payment_id": payment_id}),
    )
    reference = core.submit_payment(payment_id, idempotency_key="k-submit")
    assert reference == payment_object_id(payment_id)
    assert kept_for(core, "k-submit") == (
        "submit_payment",
        fingerprint("submit_payment", {"payment_id": payment_id}),
    )
    assert core.submit_payment(payment_id, idempotency_key="k-submit") == reference
    core.record_payment_success(payment_id, "UTR9", idempotency_key="k-succeed")
    assert kept_for(core, "k-succeed") == (
        "record_payment_success",
        fingerprint("record_payment_success", {"payment_id": payment_id, "utr": "UTR9"}),
    )

    failed_id = core.initiate_payment([invoice_id], amount="10.00")
    core.record_payment_failure(failed_id, "late", idempotency_key="k-fail")
    assert kept_for(core, "k-fail") == (
        "record_payment_failure",
        fingerprint("record_payment_failure", {"payment_id": failed_id, "reason": "late"}),
    )
    with refused(core, IdempotencyConflict, "IDEMPOTENCY_CONFLICT") as refusal:
        core.record_payment_failure(failed_id, "later", idempotency_key="k-fail")
    assert refusal.value.details == {"key": "k-fail", "original_command": "record_payment_failure"}


def test_a_payment_otp_is_issued_for_payments(make_core: Callable[..., PaymentsCore]) -> None:
    core = make_core(otp_codes=lambda: OTP)
    invoice_id = accepted_invoice(core)
    payment_id = core.initiate_payment([invoice_id])
    issued = core.request_payment_otp(payment_id)
    otp = core.get_payment(payment_id).otp
    assert otp is not None
    assert otp.purpose == "PAYMENT"
    assert issued.otp == OTP


def test_authorising_reserves_each_allocation_and_success_settles_them(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core = make_core(otp_codes=lambda: OTP)
    first = accepted_invoice(core, "100.00", number=1)
    second = accepted_invoice(core, "40.00", number=2)
    payment_id = core.initiate_payment([second, first])
    core.request_payment_otp(payment_id)
    core.authorise_payment(payment_id, OTP)
    assert core.get_invoice(first).outstanding == Money("0.00")
    assert core.get_invoice(second).outstanding == Money("0.00")
    core.submit_payment(payment_id)
    core.record_payment_success(payment_id, "UTR1")
    assert {core.get_invoice(i).status for i in (first, second)} == {"PAID"}


def test_a_payment_takes_the_id_the_application_drew(
    make_core: Callable[..., PaymentsCore],
) -> None:
    drawn: list[UUID] = []

    def ids() -> UUID:
        drawn.append(UUID(int=len(drawn) + 1))
        return drawn[-1]

    core = make_core(ids=ids)
    invoice_id = accepted_invoice(core)
    payment_id = core.initiate_payment([invoice_id])
    assert payment_id in drawn
    assert core.get_payment(payment_id).id == payment_id


def test_the_authorised_event_records_the_reference_of_the_otp_it_used(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core = make_core(otp_codes=lambda: OTP)
    invoice_id = accepted_invoice(core)
    payment_id = core.initiate_payment([invoice_id])
    core.request_payment_otp(payment_id)
    challenge = core.get_payment(payment_id).otp
    assert challenge is not None
    core.authorise_payment(payment_id, OTP)
    kind, state = events_of(core, payment_id)[-1]
    assert (kind, state["reference"]) == ("Authorised", challenge.reference)
    assert challenge.reference

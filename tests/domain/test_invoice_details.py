"""Invoice refusals with their codes, details and messages, each rule at its boundary on
both sides, and what the invoice's events record for an audit reader (issue 16: the
survivors of invoice.py changed messages, details, event fields and a few rules)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from paycore.domain.aggregate import Audit, ObjectVersion, Source, recording
from paycore.domain.errors import PaycoreError
from paycore.domain.invoice import BuyerResponse, Invoice, NoteType
from paycore.domain.money import Money

AUDIT = Audit("clerk", Source.SYSTEM, "c", "c", datetime(2026, 1, 1, tzinfo=UTC))
OBJECT_ID = "INV" + "0" * 31 + "7"
PAYMENT = UUID("00000000-0000-4000-8000-000000000001")
OTHER_PAYMENT = UUID("00000000-0000-4000-8000-000000000002")


@pytest.fixture(autouse=True)
def audited() -> Iterator[None]:
    with recording(AUDIT):
        yield


def received(amount: str = "1000.00", object_version: int = 1) -> Invoice:
    return Invoice(
        object_id=OBJECT_ID,
        supplier_invoice_number="SUP-7",
        total=Money(amount),
        allows_partial=True,
        buyer_b2b_id="BUYER",
        supplier_b2b_id="SUPPLIER",
        object_version=object_version,
    )


def accepted(amount: str = "1000.00") -> Invoice:
    invoice = received(amount)
    invoice.respond(BuyerResponse.ACCEPT, "ok", None)
    return invoice


def paid_in_part(settled: str, amount: str = "1000.00") -> Invoice:
    invoice = accepted(amount)
    invoice.reserve(PAYMENT, Money(settled))
    invoice.settle(PAYMENT)
    return invoice


def refusal(call: Any, *args: Any) -> PaycoreError:
    with pytest.raises(PaycoreError) as raised:
        call(*args)
    return raised.value


def last_event(invoice: Invoice) -> Any:
    return invoice.pending_events[-1]


# Identity and formats.


def test_an_invoice_id_follows_from_its_object_id_and_never_changes() -> None:
    assert Invoice.create_id("INV" + "0" * 31 + "1") == UUID("5efc6962-455d-57f1-a518-43aed95c90f3")


def test_a_bad_object_id_names_the_argument_the_value_and_the_pattern() -> None:
    error = refusal(Invoice.check_object_id, "INV1")
    assert error.code == "INVOICE_ID_FORMAT"
    assert error.details == {
        "argument": "object_id",
        "value": "'INV1'",
        "pattern": "INV[A-Za-z0-9]{32}",
    }
    assert error.message == "object_id 'INV1' does not match INV[A-Za-z0-9]{32}"


def test_a_supplier_invoice_number_is_at_most_50_characters() -> None:
    assert Invoice.check_number("N" * 50) == "N" * 50
    error = refusal(Invoice.check_number, "N" * 51)
    assert error.code == "INVOICE_NUMBER_FORMAT"
    assert error.details == {"argument": "supplier_invoice_number", "value": repr("N" * 51)}
    assert error.message.startswith("supplier_invoice_number must be 1-50 characters")


# What the events record.


def test_a_received_invoice_records_what_the_platform_sent() -> None:
    invoice = received("1000.00", object_version=3)
    (event,) = invoice.pending_events
    assert isinstance(event, Invoice.Received)
    assert (event.object_id, event.supplier_invoice_number, event.total) == (
        OBJECT_ID,
        "SUP-7",
        Money("1000.00"),
    )
    assert (event.allows_partial, event.buyer_b2b_id, event.supplier_b2b_id) == (
        True,
        "BUYER",
        "SUPPLIER",
    )
    assert (event.object_version, event.status) == (3, "CREATED")
    assert (invoice.status, invoice.settled, invoice.reserved) == (
        "CREATED",
        Money.ZERO,
        Money.ZERO,
    )
    assert (invoice.reservations, invoice.notes) == ({}, {})


def test_a_response_records_its_status_remarks_and_object_version() -> None:
    invoice = received()
    invoice.respond(BuyerResponse.RETURN, "wrong GSTIN", ObjectVersion(1, 2))
    event = last_event(invoice)
    assert isinstance(event, Invoice.Responded)
    assert (event.status, event.remarks, event.object_version) == ("RETURNED", "wrong GSTIN", 2)
    assert (invoice.status, invoice.object_version) == ("RETURNED", 2)


def test_an_edit_records_the_new_number_total_partial_flag_and_version() -> None:
    invoice = received()
    invoice.respond(BuyerResponse.RETURN, "wrong total", None)
    invoice.edit("SUP-7b", Money("900.00"), False, None)
    event = last_event(invoice)
    assert isinstance(event, Invoice.Edited)
    assert (event.supplier_invoice_number, event.total, event.allows_partial) == (
        "SUP-7b",
        Money("900.00"),
        False,
    )
    assert (event.object_version, event.status) == (3, "CREATED")
    assert (invoice.supplier_invoice_number, invoice.total, invoice.allows_partial) == (
        "SUP-7b",
        Money("900.00"),
        False,
    )


def test_a_cancellation_records_its_remarks_and_version() -> None:
    invoice = received()
    invoice.cancel("raised twice", ObjectVersion(1, 2))
    event = last_event(invoice)
    assert isinstance(event, Invoice.Cancelled)
    assert (event.remarks, event.object_version, event.status) == ("raised twice", 2, "CANCELLED")


def test_a_reservation_and_its_settlement_record_the_payment_and_amount() -> None:
    invoice = accepted()
    invoice.reserve(PAYMENT, Money("250.00"))
    reserved = last_event(invoice)
    assert isinstance(reserved, Invoice.PaymentReserved)
    assert (reserved.payment_id, reserved.amount) == (str(PAYMENT), Money("250.00"))
    invoice.settle(PAYMENT)
    settled = last_event(invoice)
    assert isinstance(settled, Invoice.PaymentSettled)
    assert (settled.payment_id, settled.status) == (str(PAYMENT), "PARTIALLY_PAID")
    assert (invoice.settled, invoice.reserved, invoice.reservations) == (
        Money("250.00"),
        Money.ZERO,
        {},
    )


def test_a_release_gives_back_only_that_payments_hold() -> None:
    invoice = accepted()
    invoice.reserve(PAYMENT, Money("250.00"))
    invoice.reserve(OTHER_PAYMENT, Money("100.00"))
    invoice.release(PAYMENT)
    released = last_event(invoice)
    assert isinstance(released, Invoice.ReservationReleased)
    assert released.payment_id == str(PAYMENT)
    assert (invoice.reserved, list(invoice.reservations)) == (
        Money("100.00"),
        [str(OTHER_PAYMENT)],
    )
    events = len(invoice.pending_events)
    invoice.release(PAYMENT)
    assert len(invoice.pending_events) == events


def test_notes_record_their_type_amount_and_the_status_they_leave() -> None:
    invoice = accepted()
    invoice.receive_note("DN-1", NoteType.DEBIT, Money("50.00"))
    note = last_event(invoice)
    assert isinstance(note, Invoice.CdNoteReceived)
    assert (note.note_id, note.note_type, note.amount) == ("DN-1", "DEBIT", Money("50.00"))
    invoice.confirm_note("DN-1")
    confirmed = last_event(invoice)
    assert isinstance(confirmed, Invoice.CdNoteConfirmed)
    assert (confirmed.note_id, confirmed.status) == ("DN-1", "ACCEPTED")
    assert invoice.notes["DN-1"].confirmed
    assert invoice.owed == Money("1050.00")


# The buyer's response and the supplier's changes.


def test_a_move_outside_the_table_names_the_invoice() -> None:
    invoice = accepted()
    error = refusal(invoice.respond, BuyerResponse.REJECT, "late", None)
    assert error.code == "INVOICE_TRANSITION"
    assert error.details == {
        "invoice": OBJECT_ID,
        "status": "ACCEPTED",
        "attempted": "REJECTED",
        "allowed": ["CANCELLED", "PAID", "PARTIALLY_PAID"],
    }
    error = refusal(invoice.edit, "SUP-8", Money("5.00"), True, None)
    assert error.details["invoice"] == OBJECT_ID
    assert (error.details["status"], error.details["attempted"]) == ("ACCEPTED", "CREATED")


def returned_with_credit(credit: str) -> Invoice:
    invoice = received()
    invoice.receive_note("CN-1", NoteType.CREDIT, Money(credit))
    invoice.confirm_note("CN-1")
    invoice.respond(BuyerResponse.RETURN, "wrong total", None)
    return invoice


def test_an_edit_may_take_the_total_down_to_the_confirmed_credit_notes_and_no_lower() -> None:
    invoice = returned_with_credit("800.00")
    error = refusal(invoice.edit, "SUP-7", Money("799.99"), True, None)
    assert error.code == "CD_NOTE_EXCEEDS_OUTSTANDING"
    assert error.details == {"invoice": OBJECT_ID, "total": "799.99"}
    assert error.message == (
        f"a total of ₹799.99 is less than the ₹800.00 of confirmed credit notes and "
        f"payments on invoice {OBJECT_ID}; the outstanding would be negative"
    )
    invoice.edit("SUP-7", Money("800.00"), True, None)
    assert (invoice.status, invoice.outstanding) == ("CREATED", Money.ZERO)


def test_an_edit_counts_confirmed_debit_notes_towards_the_total() -> None:
    invoice = received()
    invoice.receive_note("DN-1", NoteType.DEBIT, Money("100.00"))
    invoice.confirm_note("DN-1")
    invoice.receive_note("CN-1", NoteType.CREDIT, Money("300.00"))
    invoice.confirm_note("CN-1")
    invoice.respond(BuyerResponse.RETURN, "wrong total", None)
    error = refusal(invoice.edit, "SUP-7", Money("199.99"), True, None)
    assert error.details == {"invoice": OBJECT_ID, "total": "199.99"}
    invoice.edit("SUP-7", Money("200.00"), True, None)
    assert invoice.outstanding == Money.ZERO


def test_an_edit_that_changes_nothing_about_the_amount_keeps_the_outstanding() -> None:
    invoice = returned_with_credit("100.00")
    invoice.edit("SUP-7", Money("1000.00"), True, None)
    assert invoice.outstanding == Money("900.00")


def test_a_cancellation_with_a_payment_in_flight_names_what_is_held() -> None:
    invoice = accepted()
    invoice.reserve(PAYMENT, Money("300.00"))
    error = refusal(invoice.cancel, "too late", None)
    assert error.code == "INVOICE_HAS_PAYMENTS"
    assert error.details == {"invoice": OBJECT_ID}
    assert error.message == (
        f"invoice {OBJECT_ID} has payments settled (₹0.00) or in flight (₹300.00); "
        "it can no longer be cancelled"
    )
    invoice.release(PAYMENT)
    invoice.cancel("withdrawn", None)
    assert invoice.status == "CANCELLED"


# Payments.


@pytest.mark.parametrize("status", ["CREATED", "RETURNED", "REJECTED", "CANCELLED"])
def test_an_invoice_that_is_not_accepted_is_not_payable(status: str) -> None:
    invoice = received()
    if status == "CANCELLED":
        invoice.cancel("withdrawn", None)
    elif status != "CREATED":
        invoice.respond(BuyerResponse(status.removesuffix("ED").removesuffix("E")), "no", None)
    assert invoice.status == status
    assert not invoice.is_payable
    error = refusal(invoice.reserve, PAYMENT, Money("1.00"))
    assert error.code == "INVOICE_NOT_PAYABLE"
    assert error.details == {"invoice": OBJECT_ID, "status": status}
    assert error.message == (
        f"invoice {OBJECT_ID} is {status}; only accepted invoices "
        "(ACCEPTED, PARTIALLY_PAID) can be paid"
    )


def test_accepted_and_partially_paid_invoices_are_payable() -> None:
    invoice = accepted()
    assert invoice.is_payable
    invoice.require_payable()
    invoice.reserve(PAYMENT, Money("1.00"))
    invoice.settle(PAYMENT)
    assert invoice.status == "PARTIALLY_PAID"
    assert invoice.is_payable
    invoice.require_payable()


def test_a_reservation_may_hold_all_that_is_outstanding_and_not_a_paisa_more() -> None:
    invoice = accepted()
    invoice.reserve(OTHER_PAYMENT, Money("400.00"))
    error = refusal(invoice.reserve, PAYMENT, Money("600.01"))
    assert error.code == "INVOICE_OVERPAYMENT"
    assert error.details == {"invoice": OBJECT_ID, "amount": "600.01", "outstanding": "600.00"}
    assert error.message == f"₹600.01 is more than the ₹600.00 outstanding on invoice {OBJECT_ID}"
    invoice.reserve(PAYMENT, Money("600.00"))
    assert (invoice.reserved, invoice.outstanding) == (Money("1000.00"), Money.ZERO)


def test_settling_a_payment_that_holds_nothing_is_refused() -> None:
    invoice = accepted()
    invoice.reserve(OTHER_PAYMENT, Money("10.00"))
    error = refusal(invoice.settle, PAYMENT)
    assert error.code == "INVOICE_NOT_PAYABLE"
    assert error.details == {"invoice": OBJECT_ID, "payment_id": str(PAYMENT)}
    assert error.message == f"payment {PAYMENT} holds no reservation on invoice {OBJECT_ID}"


def test_the_payment_of_all_that_is_owed_marks_the_invoice_paid() -> None:
    invoice = accepted()
    invoice.reserve(PAYMENT, Money("1000.00"))
    invoice.settle(PAYMENT)
    assert (last_event(invoice).status, invoice.status) == ("PAID", "PAID")
    assert not invoice.is_payable


def test_a_payment_leaves_the_invoice_partially_paid_while_another_is_in_flight() -> None:
    invoice = accepted()
    invoice.reserve(PAYMENT, Money("600.00"))
    invoice.reserve(OTHER_PAYMENT, Money("400.00"))
    invoice.settle(PAYMENT)
    assert invoice.status == "PARTIALLY_PAID"
    invoice.settle(OTHER_PAYMENT)
    assert invoice.status == "PAID"


def test_a_payment_a_paisa_short_of_what_is_owed_leaves_the_invoice_partially_paid() -> None:
    invoice = accepted()
    invoice.reserve(PAYMENT, Money("999.99"))
    invoice.settle(PAYMENT)
    assert (invoice.status, invoice.outstanding) == ("PARTIALLY_PAID", Money("0.01"))


def test_what_is_owed_counts_confirmed_notes_when_a_payment_settles() -> None:
    invoice = accepted()
    invoice.receive_note("DN-1", NoteType.DEBIT, Money("100.00"))
    invoice.confirm_note("DN-1")
    invoice.receive_note("CN-1", NoteType.CREDIT, Money("300.00"))
    invoice.confirm_note("CN-1")
    invoice.reserve(PAYMENT, Money("800.00"))
    invoice.settle(PAYMENT)
    assert (invoice.status, invoice.settled) == ("PAID", Money("800.00"))


def test_a_payment_of_the_total_is_not_all_that_is_owed_after_a_debit_note() -> None:
    invoice = accepted()
    invoice.receive_note("DN-1", NoteType.DEBIT, Money("100.00"))
    invoice.confirm_note("DN-1")
    invoice.reserve(PAYMENT, Money("1000.00"))
    invoice.settle(PAYMENT)
    assert (invoice.status, invoice.outstanding) == ("PARTIALLY_PAID", Money("100.00"))


# Credit and debit notes.


def test_a_note_is_recorded_once() -> None:
    invoice = accepted()
    invoice.receive_note("CN-1", NoteType.CREDIT, Money("10.00"))
    error = refusal(invoice.receive_note, "CN-1", NoteType.DEBIT, Money("20.00"))
    assert error.code == "CD_NOTE"
    assert error.details == {"note_id": "CN-1"}
    assert error.message == f"note CN-1 is already recorded on invoice {OBJECT_ID}"
    assert invoice.notes["CN-1"].amount == Money("10.00")


def test_a_note_that_was_never_recorded_or_is_confirmed_cannot_be_confirmed() -> None:
    invoice = accepted()
    error = refusal(invoice.confirm_note, "CN-9")
    assert error.code == "CD_NOTE"
    assert error.details == {"note_id": "CN-9"}
    assert error.message == f"note CN-9 is not recorded on invoice {OBJECT_ID}"
    invoice.receive_note("CN-9", NoteType.CREDIT, Money("10.00"))
    invoice.confirm_note("CN-9")
    error = refusal(invoice.confirm_note, "CN-9")
    assert error.details == {"note_id": "CN-9"}
    assert error.message == f"note CN-9 is already confirmed on invoice {OBJECT_ID}"
    assert invoice.outstanding == Money("990.00")


def test_a_credit_note_may_take_the_outstanding_to_zero_and_not_a_paisa_below() -> None:
    invoice = accepted()
    invoice.reserve(PAYMENT, Money("600.00"))
    invoice.receive_note("CN-BIG", NoteType.CREDIT, Money("400.01"))
    invoice.receive_note("CN-ALL", NoteType.CREDIT, Money("400.00"))
    error = refusal(invoice.confirm_note, "CN-BIG")
    assert error.code == "CD_NOTE_EXCEEDS_OUTSTANDING"
    assert error.details == {"note_id": "CN-BIG", "amount": "400.01", "outstanding": "400.00"}
    assert error.message == (
        f"credit note CN-BIG of ₹400.01 exceeds the ₹400.00 outstanding on invoice {OBJECT_ID}"
    )
    invoice.confirm_note("CN-ALL")
    assert invoice.outstanding == Money.ZERO


def test_a_debit_note_larger_than_the_outstanding_is_confirmed() -> None:
    invoice = accepted("10.00")
    invoice.receive_note("DN-1", NoteType.DEBIT, Money("500.00"))
    invoice.confirm_note("DN-1")
    assert invoice.outstanding == Money("510.00")


def test_a_debit_note_on_a_partially_paid_invoice_leaves_it_partially_paid() -> None:
    invoice = paid_in_part("400.00")
    invoice.receive_note("DN-1", NoteType.DEBIT, Money("600.00"))
    invoice.confirm_note("DN-1")
    assert (invoice.status, invoice.outstanding) == ("PARTIALLY_PAID", Money("1200.00"))
    assert last_event(invoice).status == "PARTIALLY_PAID"


def test_a_credit_note_for_the_rest_records_the_invoice_paid() -> None:
    invoice = paid_in_part("400.00")
    invoice.receive_note("CN-1", NoteType.CREDIT, Money("600.00"))
    invoice.confirm_note("CN-1")
    assert (last_event(invoice).status, invoice.status) == ("PAID", "PAID")


def test_a_credit_note_a_paisa_short_of_the_rest_leaves_the_invoice_partially_paid() -> None:
    invoice = paid_in_part("400.00")
    invoice.receive_note("CN-1", NoteType.CREDIT, Money("599.99"))
    invoice.confirm_note("CN-1")
    assert (invoice.status, invoice.outstanding) == ("PARTIALLY_PAID", Money("0.01"))


@pytest.mark.parametrize("status", ["REJECTED", "CANCELLED", "PAID"])
def test_notes_no_longer_apply_to_a_final_invoice(status: str) -> None:
    invoice = received()
    invoice.receive_note("CN-1", NoteType.CREDIT, Money("1.00"))
    if status == "REJECTED":
        invoice.respond(BuyerResponse.REJECT, "no", None)
    elif status == "CANCELLED":
        invoice.cancel("withdrawn", None)
    else:
        invoice.respond(BuyerResponse.ACCEPT, "ok", None)
        invoice.reserve(PAYMENT, Money("1000.00"))
        invoice.settle(PAYMENT)
    message = f"invoice {OBJECT_ID} is {status}; notes no longer apply to it"
    for call, args in [
        (invoice.receive_note, ("CN-2", NoteType.CREDIT, Money("1.00"))),
        (invoice.confirm_note, ("CN-1",)),
    ]:
        error = refusal(call, *args)
        assert error.code == "CD_NOTE"
        assert error.details == {"invoice": OBJECT_ID, "status": status}
        assert error.message == message
    assert not invoice.notes["CN-1"].confirmed


@pytest.mark.parametrize("status", ["CREATED", "RETURNED", "ACCEPTED", "PARTIALLY_PAID"])
def test_notes_apply_to_an_open_invoice(status: str) -> None:
    invoice = received()
    if status == "RETURNED":
        invoice.respond(BuyerResponse.RETURN, "fix", None)
    elif status != "CREATED":
        invoice.respond(BuyerResponse.ACCEPT, "ok", None)
    if status == "PARTIALLY_PAID":
        invoice.reserve(PAYMENT, Money("1.00"))
        invoice.settle(PAYMENT)
    invoice.receive_note("CN-1", NoteType.CREDIT, Money("1.00"))
    invoice.confirm_note("CN-1")
    assert invoice.notes["CN-1"].confirmed
    assert invoice.status == status


def test_a_stale_cancellation_is_refused_and_the_invoice_stays_open() -> None:
    invoice = received()
    invoice.respond(BuyerResponse.ACCEPT, "ok", ObjectVersion(1, 2))
    error = refusal(invoice.cancel, "withdrawn", ObjectVersion(1, 2))
    assert error.code == "OBJECT_VERSION_STALE"
    assert error.details == {"held": 2, "current": 1, "new": 2}
    assert (invoice.status, invoice.object_version) == ("ACCEPTED", 2)
    invoice.cancel("withdrawn", ObjectVersion(2, 3))
    assert (invoice.status, invoice.object_version) == ("CANCELLED", 3)

"""Invoice rules: formats, the status table, objectVersion, credit/debit notes, outstanding."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest

from paycore.domain.aggregate import ObjectVersion
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import (
    AlreadyExists,
    CdNoteError,
    CdNoteExceedsOutstanding,
    InvoiceHasPayments,
    InvoiceIdFormat,
    InvoiceNotPayable,
    InvoiceNumberFormat,
    InvoiceTransitionError,
    ObjectVersionGap,
    RemarksFormat,
    StaleObjectVersion,
)
from paycore.domain.invoice import Invoice
from paycore.domain.money import Money
from tests.domain.rule_checks import (
    accepted_invoice,
    authorised_payment,
    named_in,
    object_id,
    received_invoice,
    refused,
    refused_moves,
    settle,
)

FIRST = "INV" + "0" * 31 + "1"


def invoice_in(core: PaymentsCore, status: str, number: int) -> UUID:
    """A new invoice of ₹1000 moved to ``status``."""
    invoice_id = received_invoice(core, "1000.00", number)
    response = {"ACCEPTED": "ACCEPT", "REJECTED": "REJECT", "RETURNED": "RETURN"}
    if status in response:
        core.respond_to_invoice(invoice_id, response[status], "answer")
    elif status == "CANCELLED":
        core.cancel_invoice(invoice_id, "raised in error")
    elif status in ("PARTIALLY_PAID", "PAID"):
        core.respond_to_invoice(invoice_id, "ACCEPT", "ok")
        settle(core, invoice_id, "400.00" if status == "PARTIALLY_PAID" else None)
    assert core.get_invoice(invoice_id).status == status
    return invoice_id


def outstanding(core: PaymentsCore, invoice_id: UUID) -> Money:
    return core.get_invoice(invoice_id).outstanding


# Formats.


@pytest.mark.parametrize(
    "bad_id",
    ["INV" + "A" * 31, "INV" + "A" * 33, "inv" + "A" * 32, "INV" + "A" * 31 + "-", "", None],
)
def test_invoice_object_id_is_inv_and_32_alphanumerics(bad_id: object) -> None:
    with pytest.raises(InvoiceIdFormat) as refusal:
        PaymentsCore.invoice_id(bad_id)  # type: ignore[arg-type]
    assert refusal.value.code == "INVOICE_ID_FORMAT"


def test_invoice_with_a_bad_object_id_is_not_received(core: PaymentsCore) -> None:
    with refused(core, InvoiceIdFormat, "INVOICE_ID_FORMAT"):
        core.receive_invoice(
            "INV-" + "A" * 31, "SUP-1", "10.00", buyer_b2b_id="b", supplier_b2b_id="s"
        )
    mixed = "INV" + "aZ09" * 8
    invoice_id = core.receive_invoice(
        mixed, "SUP-1", "10.00", buyer_b2b_id="b", supplier_b2b_id="s"
    )
    assert invoice_id == PaymentsCore.invoice_id(mixed)


def test_supplier_invoice_number_is_1_to_50_chars_without_backslash_or_quote(
    core: PaymentsCore,
) -> None:
    for number in ("", "N" * 51, "SUP\\1", 'SUP"1'):
        with refused(core, InvoiceNumberFormat, "INVOICE_NUMBER_FORMAT"):
            core.receive_invoice(FIRST, number, "10.00", buyer_b2b_id="b", supplier_b2b_id="s")
    invoice_id = core.receive_invoice(
        FIRST, "N/" * 25, "10.00", buyer_b2b_id="b", supplier_b2b_id="s"
    )
    assert core.get_invoice(invoice_id).supplier_invoice_number == "N/" * 25


def test_remarks_are_1_to_100_chars_without_backslash_or_quote(core: PaymentsCore) -> None:
    invoice_id = received_invoice(core)
    for remarks in ("", "r" * 101, "a\\b", 'say "no"'):
        with refused(core, RemarksFormat, "REMARKS_FORMAT"):
            core.respond_to_invoice(invoice_id, "REJECT", remarks)
        with refused(core, RemarksFormat, "REMARKS_FORMAT"):
            core.cancel_invoice(invoice_id, remarks)
    assert core.get_invoice(invoice_id).status == "CREATED"
    core.respond_to_invoice(invoice_id, "REJECT", "r" * 100)
    assert core.get_invoice(invoice_id).status == "REJECTED"


# The status table.


def test_buyer_may_accept_reject_or_return_a_created_invoice(core: PaymentsCore) -> None:
    for number, (response, status) in enumerate(
        [("ACCEPT", "ACCEPTED"), ("REJECT", "REJECTED"), ("RETURN", "RETURNED")]
    ):
        invoice_id = received_invoice(core, number=number)
        core.respond_to_invoice(invoice_id, response, "answer")
        invoice = core.get_invoice(invoice_id)
        assert (invoice.status, invoice.object_version) == (status, 2)


def test_supplier_may_cancel_before_payment(core: PaymentsCore) -> None:
    for number, status in enumerate(["CREATED", "RETURNED", "ACCEPTED"]):
        invoice_id = invoice_in(core, status, number)
        core.cancel_invoice(invoice_id, "raised in error")
        assert core.get_invoice(invoice_id).status == "CANCELLED"


def test_returned_invoice_edited_is_created_again_with_the_next_object_version(
    core: PaymentsCore,
) -> None:
    invoice_id = received_invoice(core, "1000.00")
    core.respond_to_invoice(invoice_id, "RETURN", "wrong amount", object_version=(1, 2))

    core.edit_invoice(invoice_id, "SUP-1a", "900.00", object_version=(2, 3))

    invoice = core.get_invoice(invoice_id)
    assert (invoice.status, invoice.object_version) == ("CREATED", 3)
    assert (invoice.supplier_invoice_number, invoice.total) == ("SUP-1a", Money("900.00"))
    core.respond_to_invoice(invoice_id, "ACCEPT", "ok", object_version=(3, 4))
    assert outstanding(core, invoice_id) == Money("900.00")


def test_only_a_returned_invoice_can_be_edited(core: PaymentsCore) -> None:
    for number, status in enumerate(["CREATED", "ACCEPTED"]):
        invoice_id = invoice_in(core, status, number)
        with refused(core, InvoiceTransitionError, "INVOICE_TRANSITION") as refusal:
            core.edit_invoice(invoice_id, "SUP-X", "5.00")
        assert (refusal.value.details["status"], refusal.value.details["attempted"]) == (
            status,
            "CREATED",
        )
        assert core.get_invoice(invoice_id).total == Money("1000.00")


def test_invoice_cannot_be_cancelled_once_a_payment_is_in_flight_or_made(
    core: PaymentsCore,
) -> None:
    invoice_id = accepted_invoice(core)
    payment_id = authorised_payment(core, invoice_id, "300.00")
    with refused(core, InvoiceHasPayments, "INVOICE_HAS_PAYMENTS"):
        core.cancel_invoice(invoice_id, "too late")
    core.record_payment_failure(payment_id, "declined")
    settle(core, invoice_id, "300.00")
    with refused(core, InvoiceTransitionError, "INVOICE_TRANSITION"):
        core.cancel_invoice(invoice_id, "too late")
    assert core.get_invoice(invoice_id).status == "PARTIALLY_PAID"


def test_only_accepted_or_partially_paid_invoices_are_payable(core: PaymentsCore) -> None:
    for number, status in enumerate(["CREATED", "RETURNED", "REJECTED", "CANCELLED", "PAID"]):
        invoice_id = invoice_in(core, status, number)
        with refused(core, InvoiceNotPayable, "INVOICE_NOT_PAYABLE") as refusal:
            core.initiate_payment([invoice_id])
        assert refusal.value.details["status"] == status
    for number, status in enumerate(["ACCEPTED", "PARTIALLY_PAID"], start=10):
        invoice_id = invoice_in(core, status, number)
        assert core.get_payment(core.initiate_payment([invoice_id])).amount == outstanding(
            core, invoice_id
        )


def moves_on(core: PaymentsCore, invoice_id: UUID) -> dict[str, Callable[[], None]]:
    """Every command that moves an invoice's status, by the status it asks for."""
    return {
        "ACCEPTED": lambda: core.respond_to_invoice(invoice_id, "ACCEPT", "late"),
        "REJECTED": lambda: core.respond_to_invoice(invoice_id, "REJECT", "late"),
        "RETURNED": lambda: core.respond_to_invoice(invoice_id, "RETURN", "late"),
        "CREATED": lambda: core.edit_invoice(invoice_id, "SUP-X", "5.00"),
        "CANCELLED": lambda: core.cancel_invoice(invoice_id, "late"),
    }


def test_paid_rejected_and_cancelled_invoices_are_final(core: PaymentsCore) -> None:
    for number, status in enumerate(["PAID", "REJECTED", "CANCELLED"]):
        invoice_id = invoice_in(core, status, number)
        version = core.get_invoice(invoice_id).version
        moves = moves_on(core, invoice_id)
        refusals = refused_moves(core, InvoiceTransitionError, "INVOICE_TRANSITION", moves)
        assert named_in(refusals) == {attempted: (status, attempted, []) for attempted in moves}
        assert {details["invoice"] for details in refusals.values()} == {object_id(number)}
        with refused(core, CdNoteError, "CD_NOTE"):
            core.receive_cd_note(invoice_id, "CN1", "CREDIT", "1.00")
        assert core.get_invoice(invoice_id).version == version


#: What the buyer's responses, the supplier's edit and cancel may do from each open status
#: (payments move an accepted invoice on; they are tested with payments).
RESPONSES_AND_EDITS = {
    "CREATED": {"ACCEPTED", "REJECTED", "RETURNED", "CANCELLED"},
    "RETURNED": {"CREATED", "CANCELLED"},
    "ACCEPTED": {"CANCELLED"},
    "PARTIALLY_PAID": set(),
}


def test_every_move_the_invoice_table_disallows_is_refused(core: PaymentsCore) -> None:
    for number, (status, allowed) in enumerate(RESPONSES_AND_EDITS.items()):
        invoice_id = invoice_in(core, status, number)
        moves = {k: m for k, m in moves_on(core, invoice_id).items() if k not in allowed}
        refusals = refused_moves(core, InvoiceTransitionError, "INVOICE_TRANSITION", moves)
        for attempted, details in refusals.items():
            assert (details["status"], details["attempted"]) == (status, attempted)
            assert allowed <= set(details["allowed"])
        assert core.get_invoice(invoice_id).status == status


def test_a_move_outside_the_invoice_table_names_the_status_and_the_allowed_moves(
    core: PaymentsCore,
) -> None:
    invoice_id = accepted_invoice(core)
    with refused(core, InvoiceTransitionError, "INVOICE_TRANSITION") as refusal:
        core.respond_to_invoice(invoice_id, "RETURN", "changed my mind")
    assert refusal.value.details["status"] == "ACCEPTED"
    assert refusal.value.details["attempted"] == "RETURNED"
    assert refusal.value.details["allowed"] == ["CANCELLED", "PAID", "PARTIALLY_PAID"]
    assert core.get_invoice(invoice_id).status == "ACCEPTED"


# objectVersion.


def test_stale_object_version_is_refused_and_not_applied(core: PaymentsCore) -> None:
    invoice_id = received_invoice(core)
    core.respond_to_invoice(invoice_id, "RETURN", "fix it", object_version=(1, 2))
    for stale in [(1, 2), (0, 1), (2, 2)]:
        with refused(core, StaleObjectVersion, "OBJECT_VERSION_STALE") as refusal:
            core.edit_invoice(invoice_id, "SUP-2", "10.00", object_version=stale)
        assert refusal.value.details == {"held": 2, "current": stale[0], "new": stale[1]}
    invoice = core.get_invoice(invoice_id)
    assert (invoice.status, invoice.object_version, invoice.total) == (
        "RETURNED",
        2,
        Money("1000.00"),
    )


def test_skipped_object_version_is_refused_and_not_applied(core: PaymentsCore) -> None:
    invoice_id = received_invoice(core)
    for skipping in [(2, 3), (1, 3), (5, 6)]:
        with refused(core, ObjectVersionGap, "OBJECT_VERSION_GAP") as refusal:
            core.respond_to_invoice(invoice_id, "ACCEPT", "ok", object_version=skipping)
        assert refusal.value.details == {"held": 1, "current": skipping[0], "new": skipping[1]}
    invoice = core.get_invoice(invoice_id)
    assert (invoice.status, invoice.object_version) == ("CREATED", 1)


def test_object_version_pairs_that_follow_the_held_version_are_applied(
    core: PaymentsCore,
) -> None:
    invoice_id = core.receive_invoice(
        FIRST, "SUP-1", "10.00", buyer_b2b_id="b", supplier_b2b_id="s", object_version=3
    )
    core.respond_to_invoice(invoice_id, "ACCEPT", "ok", object_version=(3, 4))
    core.cancel_invoice(invoice_id, "withdrawn", object_version=ObjectVersion(4, 5))
    invoice = core.get_invoice(invoice_id)
    assert (invoice.status, invoice.object_version) == ("CANCELLED", 5)


def test_redelivered_invoice_is_already_exists_under_the_same_id(core: PaymentsCore) -> None:
    invoice_id = received_invoice(core)
    with refused(core, AlreadyExists, "ALREADY_EXISTS") as refusal:
        received_invoice(core)
    assert refusal.value.details["id"] == str(invoice_id)
    assert invoice_id == Invoice.create_id(object_id(1)) == PaymentsCore.invoice_id(object_id(1))
    assert core.get_invoice(invoice_id).version == 1


# Credit and debit notes, and the outstanding.


def test_cd_notes_adjust_the_outstanding_only_once_confirmed(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    core.receive_cd_note(invoice_id, "CN1", "CREDIT", "100.00")
    core.receive_cd_note(invoice_id, "DN1", "DEBIT", "250.00")
    assert outstanding(core, invoice_id) == Money("1000.00")

    core.confirm_cd_note(invoice_id, "CN1")
    assert outstanding(core, invoice_id) == Money("900.00")
    core.confirm_cd_note(invoice_id, "DN1")
    assert outstanding(core, invoice_id) == Money("1150.00")


def test_credit_note_never_takes_the_outstanding_below_zero(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    authorised_payment(core, invoice_id, "600.00")
    core.receive_cd_note(invoice_id, "CN-BIG", "CREDIT", "400.01")
    core.receive_cd_note(invoice_id, "CN-ALL", "CREDIT", "400.00")

    with refused(core, CdNoteExceedsOutstanding, "CD_NOTE_EXCEEDS_OUTSTANDING") as refusal:
        core.confirm_cd_note(invoice_id, "CN-BIG")

    assert refusal.value.details["outstanding"] == "400.00"
    assert not core.get_invoice(invoice_id).notes["CN-BIG"].confirmed
    assert outstanding(core, invoice_id) == Money("400.00")
    core.confirm_cd_note(invoice_id, "CN-ALL")
    assert outstanding(core, invoice_id) == Money.ZERO


def test_edit_never_takes_the_total_below_the_confirmed_credit_notes(core: PaymentsCore) -> None:
    invoice_id = received_invoice(core, "1000.00")
    core.receive_cd_note(invoice_id, "CN1", "CREDIT", "800.00")
    core.confirm_cd_note(invoice_id, "CN1")
    core.respond_to_invoice(invoice_id, "RETURN", "wrong total")

    with refused(core, CdNoteExceedsOutstanding, "CD_NOTE_EXCEEDS_OUTSTANDING"):
        core.edit_invoice(invoice_id, "SUP-1", "500.00")

    assert outstanding(core, invoice_id) == Money("200.00")


def test_outstanding_is_total_plus_debits_minus_credits_settled_and_reserved(
    core: PaymentsCore,
) -> None:
    invoice_id = accepted_invoice(core, "1000.00")
    core.receive_cd_note(invoice_id, "DN1", "DEBIT", "200.00")
    core.confirm_cd_note(invoice_id, "DN1")
    core.receive_cd_note(invoice_id, "CN1", "CREDIT", "100.00")
    core.confirm_cd_note(invoice_id, "CN1")
    core.receive_cd_note(invoice_id, "CN2", "CREDIT", "70.00")
    settle(core, invoice_id, "300.00")
    authorised_payment(core, invoice_id, "250.00")

    invoice = core.get_invoice(invoice_id)
    assert (invoice.settled, invoice.reserved) == (Money("300.00"), Money("250.00"))
    assert invoice.outstanding == Money("550.00")  # 1000 + 200 - 100 - 300 - 250

"""The invoice commands: each argument refused by its own name, the defaults, the
objectVersion a received invoice may carry at both ends, and what a command records for
a retry (its name and fingerprint) and for an audit reader (who asked) (issue 16)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from paycore.domain.aggregate import MAX_OBJECT_VERSION, ObjectVersion
from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.errors import PaycoreError, StaleObjectVersion
from paycore.domain.idempotency import IdempotencyRecord, fingerprint
from paycore.domain.invoice import BuyerResponse, Invoice, NoteType
from paycore.domain.money import Money
from tests.domain.rule_checks import object_id, received_invoice, refused

CLERK = CommandContext(actor="clerk-9", correlation_id="corr-9")


def record_of(core: PaymentsCore, key: str) -> IdempotencyRecord:
    record = core.repository.get(IdempotencyRecord.create_id(key))
    assert isinstance(record, IdempotencyRecord)
    return record


def actors(core: PaymentsCore, aggregate_id: UUID) -> list[tuple[str, str, str]]:
    """(event kind, actor, correlation id) of each of the aggregate's stored events."""
    rows = []
    for stored in core.recorder.select_events(aggregate_id, limit=1000):
        state = json.loads(stored.state)
        kind = stored.topic.split(".")[2].split("#")[0]
        rows.append((kind, state["actor"], state["correlation_id"]))
    return rows


def test_receive_invoice_records_its_name_fingerprint_and_actor(core: PaymentsCore) -> None:
    invoice_id = core.receive_invoice(
        object_id(1),
        "SUP-1",
        "1000.00",
        allows_partial=False,
        buyer_b2b_id="buyer",
        supplier_b2b_id="supplier",
        object_version=4,
        context=CLERK,
        idempotency_key="k-receive",
    )
    assert invoice_id == PaymentsCore.invoice_id(object_id(1))
    record = record_of(core, "k-receive")
    assert record.command == "receive_invoice"
    assert record.fingerprint == fingerprint(
        "receive_invoice",
        {
            "object_id": object_id(1),
            "supplier_invoice_number": "SUP-1",
            "total": Money("1000.00"),
            "allows_partial": False,
            "buyer_b2b_id": "buyer",
            "supplier_b2b_id": "supplier",
            "object_version": 4,
        },
    )
    assert record.result == invoice_id
    invoice = core.get_invoice(invoice_id)
    assert (invoice.allows_partial, invoice.object_version) == (False, 4)
    assert (invoice.buyer_b2b_id, invoice.supplier_b2b_id) == ("buyer", "supplier")
    assert actors(core, invoice_id) == [("Received", "clerk-9", "corr-9")]
    again = core.receive_invoice(
        object_id(1),
        "SUP-1",
        "1000.00",
        allows_partial=False,
        buyer_b2b_id="buyer",
        supplier_b2b_id="supplier",
        object_version=4,
        idempotency_key="k-receive",
    )
    assert again == invoice_id


def test_a_received_invoice_allows_partial_payment_and_starts_at_version_one(
    core: PaymentsCore,
) -> None:
    invoice_id = core.receive_invoice(
        object_id(1), "SUP-1", "10.00", buyer_b2b_id="b", supplier_b2b_id="s"
    )
    invoice = core.get_invoice(invoice_id)
    assert (invoice.allows_partial, invoice.object_version) == (True, 1)
    assert invoice.total == Money("10.00")


def test_a_received_invoice_may_carry_any_object_version_from_1_to_the_largest(
    core: PaymentsCore,
) -> None:
    for number, version in enumerate([0, MAX_OBJECT_VERSION + 1]):
        with refused(core, PaycoreError, "INVALID_ARGUMENT") as refusal:
            core.receive_invoice(
                object_id(number),
                "SUP-1",
                "10.00",
                buyer_b2b_id="b",
                supplier_b2b_id="s",
                object_version=version,
            )
        assert refusal.value.details == {"argument": "object_version", "value": str(version)}
        assert f"from 1 to {MAX_OBJECT_VERSION}" in refusal.value.message
    for number, version in enumerate([1, MAX_OBJECT_VERSION], start=5):
        invoice_id = core.receive_invoice(
            object_id(number),
            "SUP-1",
            "10.00",
            buyer_b2b_id="b",
            supplier_b2b_id="s",
            object_version=version,
        )
        assert core.get_invoice(invoice_id).object_version == version


GOOD_RECEIPT: dict[str, Any] = {
    "object_id": object_id(1),
    "supplier_invoice_number": "SUP-1",
    "total": "10.00",
    "allows_partial": True,
    "buyer_b2b_id": "b",
    "supplier_b2b_id": "s",
    "object_version": 1,
}


@pytest.mark.parametrize(
    ("argument", "bad"),
    [
        ("object_id", "INV-1"),
        ("supplier_invoice_number", ""),
        ("total", "0"),
        ("allows_partial", 1),
        ("buyer_b2b_id", ""),
        ("supplier_b2b_id", 's"'),
        ("object_version", "1"),
    ],
)
def test_receive_invoice_names_the_argument_it_refuses(
    core: PaymentsCore, argument: str, bad: object
) -> None:
    arguments = {**GOOD_RECEIPT, argument: bad}
    positional = [arguments.pop(k) for k in ("object_id", "supplier_invoice_number", "total")]
    with pytest.raises(PaycoreError) as refusal:
        core.receive_invoice(*positional, **arguments)
    assert refusal.value.details["argument"] == argument
    assert refusal.value.message.startswith(argument)


def test_respond_records_its_name_fingerprint_and_actor(core: PaymentsCore) -> None:
    invoice_id = received_invoice(core)
    core.respond_to_invoice(
        invoice_id,
        "RETURN",
        "wrong GSTIN",
        object_version=(1, 2),
        context=CLERK,
        idempotency_key="k-respond",
    )
    record = record_of(core, "k-respond")
    assert record.command == "respond_to_invoice"
    assert record.fingerprint == fingerprint(
        "respond_to_invoice",
        {
            "invoice_id": invoice_id,
            "response": BuyerResponse.RETURN,
            "remarks": "wrong GSTIN",
            "version": ObjectVersion(1, 2),
        },
    )
    assert actors(core, invoice_id)[-1] == ("Responded", "clerk-9", "corr-9")
    invoice = core.get_invoice(invoice_id)
    assert (invoice.status, invoice.object_version) == ("RETURNED", 2)


def test_edit_records_its_name_fingerprint_and_actor(core: PaymentsCore) -> None:
    invoice_id = received_invoice(core)
    core.respond_to_invoice(invoice_id, "RETURN", "wrong total")
    core.edit_invoice(
        invoice_id,
        "SUP-1b",
        "900.00",
        allows_partial=False,
        object_version=(2, 3),
        context=CLERK,
        idempotency_key="k-edit",
    )
    record = record_of(core, "k-edit")
    assert record.command == "edit_invoice"
    assert record.fingerprint == fingerprint(
        "edit_invoice",
        {
            "invoice_id": invoice_id,
            "number": "SUP-1b",
            "total": Money("900.00"),
            "partial": False,
            "version": ObjectVersion(2, 3),
        },
    )
    assert actors(core, invoice_id)[-1] == ("Edited", "clerk-9", "corr-9")
    invoice = core.get_invoice(invoice_id)
    assert (invoice.supplier_invoice_number, invoice.total, invoice.allows_partial) == (
        "SUP-1b",
        Money("900.00"),
        False,
    )
    assert (invoice.status, invoice.object_version) == ("CREATED", 3)


def test_an_edit_allows_partial_payment_unless_told_otherwise(core: PaymentsCore) -> None:
    invoice_id = received_invoice(core, allows_partial=False)
    core.respond_to_invoice(invoice_id, "RETURN", "wrong total")
    core.edit_invoice(invoice_id, "SUP-1b", "900.00")
    assert core.get_invoice(invoice_id).allows_partial is True


def test_cancel_records_its_name_fingerprint_and_actor(core: PaymentsCore) -> None:
    invoice_id = received_invoice(core)
    core.cancel_invoice(
        invoice_id, "raised twice", object_version=(1, 2), context=CLERK, idempotency_key="k-cancel"
    )
    record = record_of(core, "k-cancel")
    assert record.command == "cancel_invoice"
    assert record.fingerprint == fingerprint(
        "cancel_invoice",
        {"invoice_id": invoice_id, "remarks": "raised twice", "version": ObjectVersion(1, 2)},
    )
    assert actors(core, invoice_id)[-1] == ("Cancelled", "clerk-9", "corr-9")
    invoice = core.get_invoice(invoice_id)
    assert (invoice.status, invoice.object_version) == ("CANCELLED", 2)


def test_notes_record_their_commands_fingerprints_and_actor(core: PaymentsCore) -> None:
    invoice_id = received_invoice(core)
    core.receive_cd_note(
        invoice_id, "DN-1", "DEBIT", "50.00", context=CLERK, idempotency_key="k-note"
    )
    core.confirm_cd_note(invoice_id, "DN-1", context=CLERK, idempotency_key="k-confirm")
    note = record_of(core, "k-note")
    assert note.command == "receive_cd_note"
    assert note.fingerprint == fingerprint(
        "receive_cd_note",
        {
            "invoice_id": invoice_id,
            "note_id": "DN-1",
            "type": NoteType.DEBIT,
            "amount": Money("50.00"),
        },
    )
    confirm = record_of(core, "k-confirm")
    assert confirm.command == "confirm_cd_note"
    assert confirm.fingerprint == fingerprint(
        "confirm_cd_note", {"invoice_id": invoice_id, "note_id": "DN-1"}
    )
    assert actors(core, invoice_id)[-2:] == [
        ("CdNoteReceived", "clerk-9", "corr-9"),
        ("CdNoteConfirmed", "clerk-9", "corr-9"),
    ]
    assert core.get_invoice(invoice_id).outstanding == Money("1050.00")


def test_a_key_used_for_one_invoice_command_is_refused_for_another(core: PaymentsCore) -> None:
    invoice_id = received_invoice(core)
    core.receive_cd_note(invoice_id, "CN-1", "CREDIT", "1.00", idempotency_key="k-once")
    with refused(core, PaycoreError, "IDEMPOTENCY_CONFLICT") as refusal:
        core.confirm_cd_note(invoice_id, "CN-1", idempotency_key="k-once")
    assert refusal.value.details == {"key": "k-once", "original_command": "receive_cd_note"}


def invoice_commands(core: PaymentsCore, invoice_id: UUID) -> dict[str, Callable[[Any], None]]:
    """Each command on an existing invoice, fed one bad value for the argument named."""
    return {
        "invoice_id": lambda bad: core.respond_to_invoice(bad, "ACCEPT", "ok"),
        "response": lambda bad: core.respond_to_invoice(invoice_id, bad, "ok"),
        "remarks": lambda bad: core.cancel_invoice(invoice_id, bad),
        "supplier_invoice_number": lambda bad: core.edit_invoice(invoice_id, bad, "1.00"),
        "total": lambda bad: core.edit_invoice(invoice_id, "SUP-1", bad),
        "allows_partial": lambda bad: core.edit_invoice(
            invoice_id, "SUP-1", "1.00", allows_partial=bad
        ),
        "note_id": lambda bad: core.receive_cd_note(invoice_id, bad, "CREDIT", "1.00"),
        "note_type": lambda bad: core.receive_cd_note(invoice_id, "CN-1", bad, "1.00"),
        "amount": lambda bad: core.receive_cd_note(invoice_id, "CN-1", "CREDIT", bad),
    }


BAD = {
    "invoice_id": "x",
    "response": "MAYBE",
    "remarks": "",
    "supplier_invoice_number": "",
    "total": "0",
    "allows_partial": 1,
    "note_id": "",
    "note_type": "REFUND",
    "amount": "-1",
}


def test_each_invoice_command_names_the_argument_it_refuses(core: PaymentsCore) -> None:
    invoice_id = received_invoice(core)
    for argument, command in invoice_commands(core, invoice_id).items():
        with pytest.raises(PaycoreError) as refusal:
            command(BAD[argument])
        assert refusal.value.details["argument"] == argument, argument
        assert refusal.value.message.startswith(argument), argument
    for command in (
        lambda: core.edit_invoice("x", "SUP-1", "1.00"),  # type: ignore[arg-type]
        lambda: core.cancel_invoice("x", "ok"),  # type: ignore[arg-type]
        lambda: core.receive_cd_note("x", "CN-1", "CREDIT", "1.00"),  # type: ignore[arg-type]
        lambda: core.confirm_cd_note("x", "CN-1"),  # type: ignore[arg-type]
    ):
        with pytest.raises(PaycoreError) as refusal:
            command()
        assert refusal.value.details == {"argument": "invoice_id", "value": "'x'"}
    with pytest.raises(PaycoreError) as refusal:
        core.confirm_cd_note(invoice_id, "")
    assert refusal.value.details == {"argument": "note_id", "value": "''"}
    for command in (
        lambda: core.respond_to_invoice(invoice_id, "ACCEPT", "ok", object_version=(1,)),
        lambda: core.edit_invoice(invoice_id, "SUP-1", "1.00", object_version=(1,)),
        lambda: core.cancel_invoice(invoice_id, "ok", object_version=(1,)),
    ):
        with pytest.raises(PaycoreError) as refusal:
            command()
        assert refusal.value.details["argument"] == "object_version"
    assert core.get_invoice(invoice_id).version == 1


def test_an_invoice_reads_back_at_an_earlier_version(core: PaymentsCore) -> None:
    invoice_id = received_invoice(core)
    core.respond_to_invoice(invoice_id, "ACCEPT", "ok")
    assert core.get_invoice(invoice_id).status == "ACCEPTED"
    first = core.get_invoice(invoice_id, 1)
    assert (first.status, first.version) == ("CREATED", 1)


def test_the_buyers_response_and_a_cancellation_keep_their_remarks(core: PaymentsCore) -> None:
    invoice_id = received_invoice(core)
    core.respond_to_invoice(invoice_id, "ACCEPT", "goods received")
    *_, responded = core.events.get(invoice_id)
    assert isinstance(responded, Invoice.Responded)
    assert (responded.status, responded.remarks) == ("ACCEPTED", "goods received")
    core.cancel_invoice(invoice_id, "raised twice")
    *_, cancelled = core.events.get(invoice_id)
    assert isinstance(cancelled, Invoice.Cancelled)
    assert (cancelled.status, cancelled.remarks) == ("CANCELLED", "raised twice")


def test_a_stale_cancellation_is_refused_by_the_command_and_writes_nothing(
    core: PaymentsCore,
) -> None:
    invoice_id = received_invoice(core)
    core.respond_to_invoice(invoice_id, "ACCEPT", "ok", object_version=(1, 2))
    with refused(core, StaleObjectVersion, "OBJECT_VERSION_STALE") as refusal:
        core.cancel_invoice(invoice_id, "withdrawn", object_version=(1, 2))
    assert refusal.value.details == {"held": 2, "current": 1, "new": 2}
    assert core.get_invoice(invoice_id).status == "ACCEPTED"
    core.cancel_invoice(invoice_id, "withdrawn", object_version=(2, 3))
    assert (core.get_invoice(invoice_id).status, core.get_invoice(invoice_id).object_version) == (
        "CANCELLED",
        3,
    )

"""The payment commands: who asked, on every event each one writes, and the command a
conflict names (issue 16: the survivors of domain/commands/payments.py)."""

from __future__ import annotations

import json
from uuid import UUID

import pytest

from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.errors import ConcurrencyConflict
from tests.domain.rule_checks import accepted_invoice
from tests.domain.test_core import InterferingReads


def audits(core: PaymentsCore, aggregate_id: UUID) -> list[tuple[str, str, str, str]]:
    """(event kind, actor, source, correlation id) of each of the aggregate's events."""
    rows = []
    for stored in core.recorder.select_events(aggregate_id, limit=1000):
        state = json.loads(stored.state)
        kind = stored.topic.split(".")[2].split("#")[0]
        rows.append((kind, state["actor"], state["source"], state["correlation_id"]))
    return rows


def asked(command: str) -> CommandContext:
    return CommandContext(actor="treasurer-3", source="api", correlation_id=f"corr-{command}")


def test_every_payment_command_records_who_asked_on_its_events(core: PaymentsCore) -> None:
    invoice_id = accepted_invoice(core)
    paid = core.initiate_payment([invoice_id], context=asked("initiate"))
    otp = core.request_payment_otp(paid, context=asked("otp")).otp
    core.authorise_payment(paid, otp, context=asked("authorise"))
    core.submit_payment(paid, context=asked("submit"))
    core.record_payment_success(paid, "UTR1", context=asked("success"))
    other_invoice = accepted_invoice(core, number=2)
    failed = core.initiate_payment([other_invoice], context=asked("initiate-2"))
    core.record_payment_failure(failed, "cancelled by the buyer", context=asked("failure"))
    who = ("treasurer-3", "api")
    assert audits(core, paid) == [
        ("Initiated", *who, "corr-initiate"),
        ("OtpSent", *who, "corr-otp"),
        ("Authorised", *who, "corr-authorise"),
        ("Submitted", *who, "corr-submit"),
        ("Succeeded", *who, "corr-success"),
    ]
    assert audits(core, failed) == [
        ("Initiated", *who, "corr-initiate-2"),
        ("Failed", *who, "corr-failure"),
    ]
    assert audits(core, invoice_id)[-2:] == [
        ("PaymentReserved", *who, "corr-authorise"),
        ("PaymentSettled", *who, "corr-success"),
    ]


def test_a_payment_otp_request_that_keeps_conflicting_names_its_command(
    core: PaymentsCore,
) -> None:
    invoice_id = accepted_invoice(core)
    payment_id = core.initiate_payment([invoice_id])
    reads = InterferingReads(core, payment_id, lambda: core.request_payment_otp(payment_id))
    reads.times = PaymentsCore.max_attempts
    with pytest.raises(ConcurrencyConflict) as conflict:
        core.request_payment_otp(payment_id)
    assert conflict.value.details == {"command": "request_payment_otp"}
    assert conflict.value.message == (
        f"request_payment_otp kept conflicting with concurrent writes after "
        f"{PaymentsCore.max_attempts} attempts; try again"
    )
    assert core.get_payment(payment_id).status == "OTP_SENT"

"""Audit metadata: every stored event says who asked, through which edge, as part of what,
and when it was recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from paycore.domain.core import CommandContext, PaymentsCore
from tests.domain.rule_checks import accepted_invoice

RECORDED_AT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def stored_events(core: PaymentsCore, start: int = 1) -> list[Any]:
    """The domain events as read back from the notification log."""
    notifications = core.recorder.select_notifications(start=start, limit=1000)
    return [core.mapper.to_domain_event(n) for n in notifications]


def audit_of(event: Any) -> tuple[str, str, str, str, datetime]:
    return (event.actor, event.source, event.correlation_id, event.causation_id, event.timestamp)


def test_every_event_carries_actor_source_correlation_causation_and_recorded_time(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core = make_core(clock=lambda: RECORDED_AT)
    context = CommandContext(actor="alice", source="api", correlation_id="c-1")

    account_id = core.open_card_account("CO1", "Acme", "Main", "CORPORATE", context=context)
    core.issue_card(account_id, "PREPAID", initial_load="10.00", context=context)
    invoice_id = core.receive_invoice(
        "INV" + "1" * 32, "S-1", "100.00", buyer_b2b_id="b", supplier_b2b_id="s", context=context
    )
    core.respond_to_invoice(invoice_id, "ACCEPT", "ok", context=context)
    core.initiate_payment([invoice_id], context=context)
    core.draft_purchase_order(
        "PO1", "B-1", "Paper", "50.00", buyer_b2b_id="b", supplier_b2b_id="s", context=context
    )

    events = stored_events(core)
    kinds = {type(e).__qualname__.split(".")[0] for e in events}
    assert kinds == {"CardAccount", "Invoice", "Payment", "PurchaseOrder"}
    assert {audit_of(e) for e in events} == {("alice", "api", "c-1", "c-1", RECORDED_AT)}


def test_causation_id_names_the_message_that_caused_the_command(core: PaymentsCore) -> None:
    context = CommandContext(
        actor="webhook-inbox", source="webhook", correlation_id="c-7", causation_id="msg-42"
    )
    invoice_id = accepted_invoice(core)
    before = core.recorder.max_notification_id() or 0

    core.receive_cd_note(invoice_id, "CN1", "CREDIT", "10.00", context=context)

    (event,) = stored_events(core, start=before + 1)
    assert audit_of(event)[:4] == ("webhook-inbox", "webhook", "c-7", "msg-42")


def test_a_command_without_context_is_recorded_as_the_system_under_its_own_correlation(
    core: PaymentsCore,
) -> None:
    core.open_card_account("CO1", "Acme", "Main", "CORPORATE")
    core.open_card_account("CO2", "Bharat Traders", "Main", "CORPORATE")

    first, second = stored_events(core)
    for event in (first, second):
        assert (event.actor, event.source) == ("system", "system")
        assert event.correlation_id
        assert event.causation_id == event.correlation_id
    assert first.correlation_id != second.correlation_id

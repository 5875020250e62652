"""The card commands: who asked (on every event each one writes), the ids the application
draws, the holder a card is issued to, and the command a conflict names (issue 16: the
survivors of domain/commands/cards.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from paycore.domain.card_account import Card, CardAccount, UsageControls
from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.errors import ConcurrencyConflict, PaycoreError
from paycore.domain.idempotency import fingerprint
from paycore.domain.money import Money
from paycore.domain.otp import Pin
from paycore.domain.personal_data import MasterKey
from tests.domain.rule_checks import written
from tests.domain.test_core import InterferingReads

MONDAY = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
OTP = "583920"


class Ids:
    """The application's id source, keeping every id it drew."""

    def __init__(self) -> None:
        self.drawn: list[UUID] = []

    def __call__(self) -> UUID:
        self.drawn.append(uuid4())
        return self.drawn[-1]


class RecordingPinGateway:
    def __init__(self) -> None:
        self.received: list[tuple[UUID, str, str]] = []

    def set_pin(self, account: CardAccount, card: Card, pin: Pin) -> None:
        self.received.append((account.id, card.card_id, pin.value))


def last_audit(core: PaymentsCore, account_id: UUID) -> tuple[str, str, str]:
    """(actor, source, correlation id) of the account's last stored event."""
    *_, stored = core.recorder.select_events(account_id, limit=1000)
    state = json.loads(stored.state)
    return state["actor"], state["source"], state["correlation_id"]


def test_every_card_command_records_who_asked_on_its_event(
    make_core: Callable[..., PaymentsCore],
) -> None:
    gateway = RecordingPinGateway()
    core = make_core(otp_codes=lambda: OTP, pin_gateway=gateway, clock=lambda: MONDAY)

    def asked(command: str) -> CommandContext:
        return CommandContext(actor="clerk-9", source="api", correlation_id=f"corr-{command}")

    account_id = core.open_card_account(
        "CO1", "Acme Ltd", "Travel", "CORPORATE", "10000.00", context=asked("open")
    )
    steps: dict[str, Callable[[CommandContext], object]] = {
        "activate": lambda c: core.activate_card(
            account_id, card_id, kyc_completed=True, terms_accepted=True, context=c
        ),
        "load": lambda c: core.load_card(account_id, card_id, "50.00", context=c),
        "spend": lambda c: core.record_card_spend(
            account_id, card_id, "1.00", "POS", "T1", MONDAY, context=c
        ),
        "controls": lambda c: core.set_usage_controls(
            account_id, [card_id], UsageControls(), context=c
        ),
        "pin": lambda c: core.set_card_pin(account_id, card_id, "7395", context=c),
        "request otp": lambda c: core.request_card_otp(account_id, card_id, context=c),
        "verify otp": lambda c: core.verify_card_otp(account_id, card_id, OTP, context=c),
        "lock": lambda c: core.lock_card(account_id, card_id, "lost?", context=c),
        "unlock": lambda c: core.unlock_card(account_id, card_id, "found", context=c),
        "remote account": lambda c: core.record_remote_card_account(account_id, "R1", context=c),
        "remote card": lambda c: core.record_remote_card(
            account_id, card_id, "RC1", "XXXX1234", context=c
        ),
    }
    assert last_audit(core, account_id) == ("clerk-9", "api", "corr-open")
    card_id = core.issue_card(account_id, "PREPAID", context=asked("issue"))
    assert last_audit(core, account_id) == ("clerk-9", "api", "corr-issue")
    for command, step in steps.items():
        step(asked(command))
        assert last_audit(core, account_id) == ("clerk-9", "api", f"corr-{command}"), command
    new_card_id = core.replace_card(account_id, card_id, context=asked("replace"))
    assert last_audit(core, account_id) == ("clerk-9", "api", "corr-replace")
    core.block_card(account_id, new_card_id, "fraud", context=asked("block"))
    assert last_audit(core, account_id) == ("clerk-9", "api", "corr-block")
    assert gateway.received == [(account_id, card_id, "7395")]


def test_the_account_and_a_replacement_card_get_ids_the_application_drew(
    make_core: Callable[..., PaymentsCore],
) -> None:
    ids = Ids()
    core = make_core(ids=ids)
    account_id = core.open_card_account("CO1", "Acme Ltd", "Travel", "CORPORATE")
    assert account_id == ids.drawn[0]
    assert core.get_card_account(account_id).id == account_id
    card_id = core.issue_card(account_id, "PREPAID")
    core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
    drawn_before = len(ids.drawn)
    new_card_id = core.replace_card(account_id, card_id)
    assert new_card_id == str(ids.drawn[drawn_before])
    assert list(core.get_card_account(account_id).cards) == [card_id, new_card_id]


def test_a_card_without_a_holder_records_none_and_a_bad_holder_id_is_named(
    core: PaymentsCore,
) -> None:
    account_id = core.open_card_account("CO1", "Acme Ltd", "Travel", "CORPORATE")
    card_id = core.issue_card(account_id, "PREPAID")
    account = core.get_card_account(account_id)
    assert account.card(card_id).holder_id is None
    *_, issued = core.events.get(account_id)
    assert isinstance(issued, CardAccount.CardIssued)
    assert issued.holder_id is None
    before = written(core)
    with pytest.raises(PaycoreError) as refusal:
        core.issue_card(account_id, "PREPAID", holder_id="not-a-uuid")  # type: ignore[arg-type]
    assert (refusal.value.code, refusal.value.details["argument"]) == (
        "INVALID_ARGUMENT",
        "holder_id",
    )
    assert written(core) == before


def test_a_card_issued_to_a_holder_keeps_the_holder_in_its_idempotency_fingerprint(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core = make_core(key_provider=MasterKey(bytes(range(32))))
    holder_id = core.register_holder(uuid4(), {"first_name": "Asha", "last_name": "Verma"})
    account_id = core.open_card_account("CO1", "Acme Ltd", "Travel", "CORPORATE")
    card_id = core.issue_card(account_id, "PREPAID", holder_id=holder_id, idempotency_key="k")
    record = core._idempotency_record("k")
    assert record is not None
    assert (record.command, record.fingerprint) == (
        "issue_card",
        fingerprint(
            "issue_card",
            {
                "account_id": account_id,
                "kind": "PREPAID",
                "form": "VIRTUAL",
                "load": Money(0),
                "holder_id": holder_id,
            },
        ),
    )
    assert core.issue_card(account_id, "PREPAID", holder_id=holder_id, idempotency_key="k") == (
        card_id
    )


def test_a_card_otp_request_that_keeps_conflicting_names_its_command(core: PaymentsCore) -> None:
    account_id = core.open_card_account("CO1", "Acme Ltd", "Travel", "CORPORATE")
    card_id = core.issue_card(account_id, "PREPAID")
    core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
    other: Any = core.issue_card
    reads = InterferingReads(core, account_id, lambda: other(account_id, "PREPAID"))
    reads.times = PaymentsCore.max_attempts
    with pytest.raises(ConcurrencyConflict) as conflict:
        core.request_card_otp(account_id, card_id)
    assert conflict.value.details == {"command": "request_card_otp"}
    assert conflict.value.message == (
        f"request_card_otp kept conflicting with concurrent writes after "
        f"{PaymentsCore.max_attempts} attempts; try again"
    )
    assert core.get_card_account(account_id).card(card_id).otp is None

"""The card commands: which argument each refusal names, their defaults, and the command
and arguments each one keeps for its idempotency key (issue 16: the survivors of
domain/commands/cards.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from paycore.domain.card_account import (
    BlockCode,
    CardForm,
    CardKind,
    Channel,
    UsageControls,
)
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import (
    IdempotencyConflict,
    InvalidArgument,
    PaycoreError,
    PinGatewayMissing,
)
from paycore.domain.idempotency import fingerprint
from paycore.domain.money import Money
from tests.domain.rule_checks import refused, written

MONDAY = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
OTP = "583920"
NOT_A_UUID = "not-a-uuid"


def open_account(core: PaymentsCore) -> UUID:
    return core.open_card_account("CO1", "Acme Ltd", "Travel", "CORPORATE", "10000.00")


def active_card(core: PaymentsCore, account_id: UUID, initial_load: str = "0") -> str:
    card_id = core.issue_card(account_id, "PREPAID", initial_load=initial_load)
    core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
    return card_id


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


def test_each_refused_argument_is_named(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id, "100.00")
    cases: dict[str, Callable[[], object]] = {
        "company_id": lambda: core.open_card_account(7, "A", "T", "CORPORATE"),  # type: ignore[arg-type]
        "company_name": lambda: core.open_card_account("C", 7, "T", "CORPORATE"),  # type: ignore[arg-type]
        "account_title": lambda: core.open_card_account("C", "A", 7, "CORPORATE"),  # type: ignore[arg-type]
        "account_type": lambda: core.open_card_account("C", "A", "T", 7),  # type: ignore[arg-type]
        "balance_cap": lambda: core.open_card_account("C", "A", "T", "CORPORATE", "0"),
        "kind": lambda: core.issue_card(account_id, "DEBIT"),
        "form": lambda: core.issue_card(account_id, "PREPAID", "PLASTIC"),
        "initial_load": lambda: core.issue_card(account_id, "PREPAID", "VIRTUAL", "x"),
        "kyc_completed": lambda: core.activate_card(
            account_id, card_id, kyc_completed=1, terms_accepted=True
        ),  # type: ignore[arg-type]
        "terms_accepted": lambda: core.activate_card(
            account_id, card_id, kyc_completed=True, terms_accepted=1
        ),  # type: ignore[arg-type]
        "amount": lambda: core.load_card(account_id, card_id, "0"),
        "reference": lambda: core.load_card(account_id, card_id, "1.00", 7),  # type: ignore[arg-type]
        "channel": lambda: core.record_card_spend(account_id, card_id, "1.00", "FAX", "T1", MONDAY),
        "transaction_id": lambda: core.record_card_spend(
            account_id, card_id, "1.00", "POS", 7, MONDAY
        ),  # type: ignore[arg-type]
        "occurred_at": lambda: core.record_card_spend(
            account_id, card_id, "1.00", "POS", "T1", datetime(2026, 3, 9)
        ),
        "card_ids": lambda: core.set_usage_controls(account_id, card_id, UsageControls()),
        "card_ids[]": lambda: core.set_usage_controls(account_id, [7], UsageControls()),  # type: ignore[list-item]
        "controls": lambda: core.set_usage_controls(account_id, [card_id], {}),  # type: ignore[arg-type]
        "purpose": lambda: core.request_card_otp(account_id, card_id, 7),  # type: ignore[arg-type]
        "reason": lambda: core.lock_card(account_id, card_id, 7),  # type: ignore[arg-type]
        "remote_id": lambda: core.record_remote_card_account(account_id, 7),  # type: ignore[arg-type]
        "masked_number": lambda: core.record_remote_card(account_id, card_id, "R1", 7),  # type: ignore[arg-type]
    }
    for argument, call in cases.items():
        names(core, argument, call)
    names(core, "remote_id", lambda: core.record_remote_card(account_id, card_id, 7, "XX"))  # type: ignore[arg-type]
    names(
        core,
        "amount",
        lambda: core.record_card_spend(account_id, card_id, "0", "POS", "T1", MONDAY),
    )


@pytest.mark.parametrize(
    "command",
    [
        lambda core, a, c: core.issue_card(a, "PREPAID"),
        lambda core, a, c: core.activate_card(a, c, kyc_completed=True, terms_accepted=True),
        lambda core, a, c: core.load_card(a, c, "1.00"),
        lambda core, a, c: core.record_card_spend(a, c, "1.00", "POS", "T1", MONDAY),
        lambda core, a, c: core.set_usage_controls(a, [c], UsageControls()),
        lambda core, a, c: core.set_card_pin(a, c, "7395"),
        lambda core, a, c: core.request_card_otp(a, c),
        lambda core, a, c: core.verify_card_otp(a, c, OTP),
        lambda core, a, c: core.lock_card(a, c),
        lambda core, a, c: core.unlock_card(a, c),
        lambda core, a, c: core.block_card(a, c),
        lambda core, a, c: core.replace_card(a, c),
        lambda core, a, c: core.record_remote_card_account(a, "R1"),
        lambda core, a, c: core.record_remote_card(a, c, "R1", "XXXX"),
    ],
)
def test_a_bad_account_id_is_named(core: PaymentsCore, command: Callable[..., object]) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    names(core, "account_id", lambda: command(core, NOT_A_UUID, card_id))


@pytest.mark.parametrize(
    "command",
    [
        lambda core, a, c: core.activate_card(a, c, kyc_completed=True, terms_accepted=True),
        lambda core, a, c: core.load_card(a, c, "1.00"),
        lambda core, a, c: core.record_card_spend(a, c, "1.00", "POS", "T1", MONDAY),
        lambda core, a, c: core.set_card_pin(a, c, "7395"),
        lambda core, a, c: core.request_card_otp(a, c),
        lambda core, a, c: core.verify_card_otp(a, c, OTP),
        lambda core, a, c: core.lock_card(a, c),
        lambda core, a, c: core.unlock_card(a, c),
        lambda core, a, c: core.block_card(a, c),
        lambda core, a, c: core.replace_card(a, c),
        lambda core, a, c: core.record_remote_card(a, c, "R1", "XXXX"),
    ],
)
def test_a_bad_card_id_is_named(core: PaymentsCore, command: Callable[..., object]) -> None:
    account_id = open_account(core)
    names(core, "card_id", lambda: command(core, account_id, 7))


def test_the_defaults_are_a_two_lakh_cap_a_virtual_card_with_nothing_loaded(
    core: PaymentsCore,
) -> None:
    account_id = core.open_card_account("CO1", "Acme Ltd", "Travel", "CORPORATE")
    account = core.get_card_account(account_id)
    assert account.balance_cap == Money("200000.00")
    assert (account.company_id, account.company_name, account.account_title) == (
        "CO1",
        "Acme Ltd",
        "Travel",
    )
    card_id = core.issue_card(account_id, "PREPAID")
    card = core.get_card_account(account_id).card(card_id)
    assert (card.kind, card.form, card.balance) == ("PREPAID", "VIRTUAL", Money.ZERO)
    physical = core.issue_card(account_id, "GIFT", "PHYSICAL", "5.00")
    card = core.get_card_account(account_id).card(physical)
    assert (card.kind, card.form, card.balance) == ("GIFT", "PHYSICAL", Money("5.00"))


def test_a_load_without_a_reference_gets_its_own_and_a_given_one_is_kept(
    core: PaymentsCore,
) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    made = core.load_card(account_id, card_id, "1.00")
    assert made.startswith("LD")
    assert len(made) == 34
    int(made[2:], 16)
    assert core.load_card(account_id, card_id, "1.00", "URN-1") == "URN-1"
    account = core.get_card_account(account_id)
    assert set(account.loads) == {made, "URN-1"}
    assert account.card(card_id).balance == Money("2.00")


def test_the_block_code_commands_lock_unlock_and_block_with_the_reason(
    core: PaymentsCore,
) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    for command, code in ((core.lock_card, "L"), (core.unlock_card, "UL"), (core.block_card, "BL")):
        command(account_id, card_id, f"to {code}")
        assert core.get_card_account(account_id).card(card_id).block_code == code
    assert core.lock_card.__name__ == "lock_card"
    assert core.unlock_card.__name__ == "unlock_card"
    assert core.block_card.__name__ == "block_card"
    assert "(block code L)" in (core.lock_card.__doc__ or "")
    assert "(UL)" in (core.unlock_card.__doc__ or "")
    assert "(BL)" in (core.block_card.__doc__ or "")
    other = active_card(core, account_id)
    core.lock_card(account_id, other)
    states = [e.state for e in core.recorder.select_events(account_id, limit=1000)]
    assert b'"reason":""' in states[-1] or b'"reason": ""' in states[-1]


def test_setting_a_pin_without_a_gateway_says_how_to_configure_one(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    with refused(core, PinGatewayMissing, "PIN_GATEWAY_MISSING") as refusal:
        core.set_card_pin(account_id, card_id, "7395")
    assert refusal.value.message == (
        "no PIN gateway is configured; PaymentsCore(pin_gateway=...) sends PINs"
    )


def test_a_card_otp_is_for_transactions_unless_said_otherwise(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core = make_core(otp_codes=lambda: OTP)
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    core.request_card_otp(account_id, card_id)
    assert core.verify_card_otp(account_id, card_id, OTP) == "TRANSACTION_OTP"


def test_controls_changed_after_they_were_made_are_checked_again(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    controls = UsageControls(daily_count=1)
    object.__setattr__(controls, "daily_count", -1)
    with refused(core, InvalidArgument, "INVALID_ARGUMENT") as refusal:
        core.set_usage_controls(account_id, [card_id], controls)
    assert refusal.value.details["argument"] == "daily_count"


def test_a_card_list_must_be_a_list_and_controls_a_usage_controls(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    with refused(core, InvalidArgument, "INVALID_ARGUMENT") as listed:
        core.set_usage_controls(account_id, 7, UsageControls())  # type: ignore[arg-type]
    assert listed.value.message == "card_ids is a list of card ids"
    with refused(core, InvalidArgument, "INVALID_ARGUMENT") as typed:
        core.set_usage_controls(account_id, [card_id], None)  # type: ignore[arg-type]
    assert typed.value.message == "controls must be a UsageControls"
    core.set_usage_controls(account_id, (card_id,), UsageControls(daily_count=2))
    assert core.get_card_account(account_id).card(card_id).controls.daily_count == 2


# What each command keeps for its idempotency key: a retry after a deploy must match.


def test_each_command_keeps_its_name_and_its_checked_arguments(core: PaymentsCore) -> None:
    account_id = core.open_card_account(
        "CO1", "Acme Ltd", "Travel", "CORPORATE", "10000.00", idempotency_key="k-open"
    )
    assert kept_for(core, "k-open") == (
        "open_card_account",
        fingerprint(
            "open_card_account",
            {
                "company_id": "CO1",
                "company_name": "Acme Ltd",
                "account_title": "Travel",
                "account_type": "CORPORATE",
                "balance_cap": Money("10000.00"),
            },
        ),
    )

    card_id = core.issue_card(
        account_id, "PREPAID", "PHYSICAL", "100.00", idempotency_key="k-issue"
    )
    assert kept_for(core, "k-issue") == (
        "issue_card",
        fingerprint(
            "issue_card",
            {
                "account_id": account_id,
                "kind": CardKind.PREPAID,
                "form": CardForm.PHYSICAL,
                "load": Money("100.00"),
            },
        ),
    )

    core.activate_card(
        account_id, card_id, kyc_completed=True, terms_accepted=True, idempotency_key="k-activate"
    )
    assert kept_for(core, "k-activate") == (
        "activate_card",
        fingerprint(
            "activate_card",
            {"account_id": account_id, "card_id": card_id, "kyc": True, "terms": True},
        ),
    )

    core.load_card(account_id, card_id, "5.00", "URN-1", idempotency_key="k-load")
    assert kept_for(core, "k-load") == (
        "load_card",
        fingerprint(
            "load_card",
            {"account_id": account_id, "card_id": card_id, "amount": Money("5.00"), "ref": "URN-1"},
        ),
    )

    core.record_card_spend(
        account_id, card_id, "1.00", "ATM", "TXN-1", MONDAY, idempotency_key="k-spend"
    )
    assert kept_for(core, "k-spend") == (
        "record_card_spend",
        fingerprint(
            "record_card_spend",
            {
                "account_id": account_id,
                "card_id": card_id,
                "amount": Money("1.00"),
                "channel": Channel.ATM,
                "transaction_id": "TXN-1",
                "occurred_at": MONDAY,
            },
        ),
    )

    controls = UsageControls(daily_count=3)
    core.set_usage_controls(account_id, [card_id], controls, idempotency_key="k-controls")
    assert kept_for(core, "k-controls") == (
        "set_usage_controls",
        fingerprint(
            "set_usage_controls",
            {"account_id": account_id, "card_ids": [card_id], "controls": controls},
        ),
    )

    core.lock_card(account_id, card_id, "lost", idempotency_key="k-lock")
    assert kept_for(core, "k-lock") == (
        "change_block_code",
        fingerprint(
            "change_block_code",
            {
                "account_id": account_id,
                "card_id": card_id,
                "code": BlockCode.LOCKED,
                "reason": "lost",
            },
        ),
    )

    core.record_remote_card_account(account_id, "ACC-1", idempotency_key="k-remote-account")
    assert kept_for(core, "k-remote-account") == (
        "record_remote_card_account",
        fingerprint("record_remote_card_account", {"account_id": account_id, "remote_id": "ACC-1"}),
    )

    core.record_remote_card(
        account_id, card_id, "CARD-1", "XXXX1234", idempotency_key="k-remote-card"
    )
    assert kept_for(core, "k-remote-card") == (
        "record_remote_card",
        fingerprint(
            "record_remote_card",
            {"account_id": account_id, "card_id": card_id, "remote_id": "CARD-1"},
        ),
    )

    new_id = core.replace_card(account_id, card_id, idempotency_key="k-replace")
    assert kept_for(core, "k-replace") == (
        "replace_card",
        fingerprint("replace_card", {"account_id": account_id, "card_id": card_id}),
    )
    assert core.replace_card(account_id, card_id, idempotency_key="k-replace") == new_id


def test_the_otp_and_pin_commands_keep_neither_secret(
    make_core: Callable[..., PaymentsCore],
) -> None:
    class Gateway:
        def set_pin(self, *_: Any) -> None:
            return None

    core = make_core(otp_codes=lambda: OTP, pin_gateway=Gateway())
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    core.set_card_pin(account_id, card_id, "7395", idempotency_key="k-pin")
    assert kept_for(core, "k-pin") == (
        "set_card_pin",
        fingerprint("set_card_pin", {"account_id": account_id, "card_id": card_id}),
    )
    core.request_card_otp(account_id, card_id, "PIN_RESET")
    assert core.verify_card_otp(account_id, card_id, OTP, idempotency_key="k-otp") == "PIN_RESET"
    assert kept_for(core, "k-otp") == (
        "verify_card_otp",
        fingerprint("verify_card_otp", {"account_id": account_id, "card_id": card_id}),
    )


def test_a_key_reused_for_another_command_names_the_first(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    core.load_card(account_id, card_id, "5.00", "URN-1", idempotency_key="k")
    with refused(core, IdempotencyConflict, "IDEMPOTENCY_CONFLICT") as refusal:
        core.load_card(account_id, card_id, "5.00", "URN-2", idempotency_key="k")
    assert refusal.value.details == {"key": "k", "original_command": "load_card"}

"""A card account's refusals with their codes, details and messages, at the boundaries on
both sides, and what its events tell an audit reader (issue 16: the survivors of
card_account.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from paycore.domain.aggregate import Audit, Source, recording
from paycore.domain.card_account import (
    MAX_CARDS_PER_CONTROLS,
    MAX_COUNT_LIMIT,
    MINIMUM_LOAD,
    CardAccount,
    SpendWindow,
    Tally,
    UsageControls,
    replacement_block_code,
)
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import (
    AccountTypeError,
    BalanceCapExceeded,
    CardActivationError,
    CardBlocked,
    CardNotFound,
    CardNotUsable,
    CardTransitionError,
    ChannelDisabled,
    ControlsCardCount,
    GiftCardReload,
    InsufficientBalance,
    InvalidArgument,
    LoadBelowMinimum,
    LoadReferenceReused,
    OtpNotRequested,
    PaycoreError,
    SpendLimitExceeded,
    SpendTransactionReused,
)
from paycore.domain.money import Money
from tests.domain.rule_checks import refused

CAP = "10000.00"
MONDAY = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
OTP = "583920"
AUDIT = Audit("tester", Source.API, "corr", "cause", MONDAY)


def account_with_card() -> CardAccount:
    """An account outside any store, holding card ``c1`` in activation (record inside
    ``recording(AUDIT)``)."""
    with recording(AUDIT):
        account = CardAccount.create_with_id(
            UUID(int=1),
            "Opened",
            company_id="CO1",
            company_name="Acme",
            account_title="T",
            account_type="CORPORATE",
            balance_cap=Money("100.00"),
        )
        account.issue_card("c1", "PREPAID", "VIRTUAL", Money.ZERO)  # type: ignore[arg-type]
    return account


def open_account(core: PaymentsCore, account_type: str = "CORPORATE", cap: str = CAP) -> UUID:
    return core.open_card_account("CO1", "Acme Ltd", "Travel", account_type, cap)


def active_card(core: PaymentsCore, account_id: UUID, initial_load: str = "0") -> str:
    card_id = core.issue_card(account_id, "PREPAID", initial_load=initial_load)
    core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
    return card_id


def events_of(core: PaymentsCore, account_id: UUID) -> list[tuple[str, dict[str, Any]]]:
    """The account's events as an audit reader sees them: (kind, stored state)."""
    return [
        (e.topic.split(".")[2].split("#")[0], json.loads(e.state))
        for e in core.recorder.select_events(account_id, limit=1000)
    ]


def last_event(core: PaymentsCore, account_id: UUID) -> tuple[str, dict[str, Any]]:
    return events_of(core, account_id)[-1]


def test_the_limits_are_one_rupee_one_hundred_cards_and_a_signed_int() -> None:
    assert Money("1.00") == MINIMUM_LOAD
    assert MAX_CARDS_PER_CONTROLS == 100
    assert MAX_COUNT_LIMIT == 2**31 - 1


def test_an_unknown_account_type_names_itself_and_the_allowed_ones(core: PaymentsCore) -> None:
    with refused(core, AccountTypeError, "ACCOUNT_TYPE") as refusal:
        open_account(core, account_type="SAVINGS")
    details = refusal.value.details
    assert (details["argument"], details["value"]) == ("account_type", "'SAVINGS'")
    assert details["allowed"][:2] == ["RELOADABLE_GPR", "CORPORATE"]
    assert len(details["allowed"]) == 14
    assert refusal.value.message == (
        "account_type 'SAVINGS' is not an accountType the platform knows"
    )


def test_the_opened_event_records_the_company_title_type_and_cap(core: PaymentsCore) -> None:
    account_id = core.open_card_account("CO9", "Acme Ltd", "Travel", "MEAL", "5000.00")
    ((kind, state),) = events_of(core, account_id)
    assert kind == "Opened"
    assert (state["company_id"], state["company_name"], state["account_title"]) == (
        "CO9",
        "Acme Ltd",
        "Travel",
    )
    assert state["account_type"] == "MEAL"
    account = core.get_card_account(account_id)
    assert (account.company_id, account.company_name, account.account_title) == (
        "CO9",
        "Acme Ltd",
        "Travel",
    )
    assert account.balance_cap == Money("5000.00")
    assert (account.remote_id, account.cards, account.loads, account.spends) == (None, {}, {}, {})
    assert account.total_balance == Money.ZERO


def test_a_card_not_on_the_account_names_card_and_account(core: PaymentsCore) -> None:
    account_id = open_account(core)
    with refused(core, CardNotFound, "CARD_NOT_FOUND") as refusal:
        core.load_card(account_id, "nope", "10.00")
    assert refusal.value.details == {"card_id": "nope", "account_id": str(account_id)}
    assert refusal.value.message == f"card nope is not on card account {account_id}"


def test_issuing_a_card_id_twice_is_refused_by_name(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = core.issue_card(account_id, "PREPAID")
    account = core.get_card_account(account_id)
    with pytest.raises(InvalidArgument) as refusal:
        account.issue_card(
            card_id, account.card(card_id).kind, account.card(card_id).form, Money.ZERO
        )
    assert refusal.value.details == {"card_id": card_id}
    assert refusal.value.message == f"card {card_id} is already on this account"


@pytest.mark.parametrize(
    ("kind", "load", "shown"),
    [("GIFT", "0", "₹0.00"), ("GIFT", "0.99", "₹0.99"), ("PREPAID", "0.99", "₹0.99")],
)
def test_an_initial_load_below_a_rupee_names_amount_and_minimum(
    core: PaymentsCore, kind: str, load: str, shown: str
) -> None:
    account_id = open_account(core)
    with refused(core, LoadBelowMinimum, "LOAD_BELOW_MINIMUM") as refusal:
        core.issue_card(account_id, kind, initial_load=load)
    assert refusal.value.details == {"amount": str(Money(load)), "minimum": "1.00"}
    assert refusal.value.message == (
        "an initial load is nothing or at least ₹1.00, and a gift card carries its value "
        f"from issue; not {shown}"
    )


@pytest.mark.parametrize(
    ("kind", "load"), [("GIFT", "1.00"), ("PREPAID", "1.00"), ("PREPAID", "0")]
)
def test_an_initial_load_of_nothing_or_a_rupee_is_issued_in_activation(
    core: PaymentsCore, kind: str, load: str
) -> None:
    account_id = open_account(core)
    card_id = core.issue_card(account_id, kind, "PHYSICAL", load)
    kind_seen, state = last_event(core, account_id)
    assert kind_seen == "CardIssued"
    assert (state["card_id"], state["kind"], state["form"], state["block_code"]) == (
        card_id,
        kind,
        "PHYSICAL",
        "AP",
    )
    card = core.get_card_account(account_id).card(card_id)
    assert (card.kind, card.form, card.block_code, card.activated) == (
        kind,
        "PHYSICAL",
        "AP",
        False,
    )
    assert card.balance == Money(load)


def test_an_initial_load_above_the_cap_names_balance_and_cap(core: PaymentsCore) -> None:
    account_id = open_account(core, cap="1000.00")
    with refused(core, BalanceCapExceeded, "BALANCE_CAP") as refusal:
        core.issue_card(account_id, "PREPAID", initial_load="1000.01")
    assert refusal.value.details == {"balance_after": "1000.01", "cap": "1000.00"}
    assert refusal.value.message == (
        "the card balance would be ₹1,000.01, above the account's cap of ₹1,000.00"
    )


@pytest.mark.parametrize(
    ("kyc", "terms", "missing", "said"),
    [
        (False, True, ["KYC"], "KYC"),
        (True, False, ["terms acceptance"], "terms acceptance"),
        (False, False, ["KYC", "terms acceptance"], "KYC and terms acceptance"),
    ],
)
def test_activation_names_what_is_missing(
    core: PaymentsCore, kyc: bool, terms: bool, missing: list[str], said: str
) -> None:
    account_id = open_account(core)
    card_id = core.issue_card(account_id, "PREPAID")
    with refused(core, CardActivationError, "CARD_ACTIVATION") as refusal:
        core.activate_card(account_id, card_id, kyc_completed=kyc, terms_accepted=terms)
    assert refusal.value.details == {"card_id": card_id, "missing": missing}
    assert refusal.value.message == f"card {card_id} cannot be activated before {said}"


def test_activation_records_the_unlocked_code_and_the_fact(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    kind, state = last_event(core, account_id)
    assert (kind, state["card_id"], state["block_code"]) == ("CardActivated", card_id, "UL")
    card = core.get_card_account(account_id).card(card_id)
    assert (card.block_code, card.activated) == ("UL", True)


@pytest.mark.parametrize(("code", "allowed"), [("UL", ["BL", "L"]), ("L", ["BL", "UL"])])
def test_activating_a_card_out_of_activation_names_its_code_and_moves(
    core: PaymentsCore, code: str, allowed: list[str]
) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    if code == "L":
        core.lock_card(account_id, card_id, "lost wallet")
    with refused(core, CardTransitionError, "CARD_TRANSITION") as refusal:
        core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
    assert refusal.value.details == {
        "card_id": card_id,
        "status": code,
        "attempted": "UL",
        "allowed": allowed,
    }
    assert refusal.value.message == (
        f"card {card_id} is {code}; only a card in activation (AP) can be activated"
    )


def test_unlocking_a_card_in_activation_points_to_activation(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = core.issue_card(account_id, "PREPAID")
    with refused(core, CardTransitionError, "CARD_TRANSITION") as refusal:
        core.unlock_card(account_id, card_id)
    assert refusal.value.details == {
        "card_id": card_id,
        "status": "AP",
        "attempted": "UL",
        "allowed": ["BL"],
    }
    assert refusal.value.message == (f"card {card_id} leaves activation only through activate_card")


def test_a_block_code_change_records_its_code_and_reason_and_voids_the_otp(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core = make_core(otp_codes=lambda: OTP)
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    core.request_card_otp(account_id, card_id)
    core.lock_card(account_id, card_id, "lost wallet")
    kind, state = last_event(core, account_id)
    assert (kind, state["card_id"], state["block_code"], state["reason"]) == (
        "BlockCodeChanged",
        card_id,
        "L",
        "lost wallet",
    )
    card = core.get_card_account(account_id).card(card_id)
    assert (card.block_code, card.otp) == ("L", None)
    core.unlock_card(account_id, card_id, "found it")
    assert last_event(core, account_id)[1]["reason"] == "found it"
    assert core.get_card_account(account_id).card(card_id).block_code == "UL"


def test_a_disallowed_block_code_move_names_the_card(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    with refused(core, CardTransitionError, "CARD_TRANSITION") as refusal:
        core.unlock_card(account_id, card_id)
    assert refusal.value.details == {
        "card_id": card_id,
        "status": "UL",
        "attempted": "UL",
        "allowed": ["BL", "L"],
    }


# Loads.


def test_a_load_below_a_rupee_names_amount_and_minimum(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    with refused(core, LoadBelowMinimum, "LOAD_BELOW_MINIMUM") as refusal:
        core.load_card(account_id, card_id, "0.99")
    assert refusal.value.details == {"amount": "0.99", "minimum": "1.00"}
    assert refusal.value.message == "a load must be at least ₹1.00, not ₹0.99"


def test_a_load_records_card_amount_and_reference(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    core.load_card(account_id, card_id, "1.00", "URN-1")
    kind, state = last_event(core, account_id)
    assert (kind, state["card_id"], state["reference"]) == ("CardLoaded", card_id, "URN-1")
    account = core.get_card_account(account_id)
    assert account.card(card_id).balance == Money("1.00")
    assert account.loads["URN-1"].card_id == card_id
    assert account.loads["URN-1"].amount == Money("1.00")


def test_a_gift_card_reload_and_a_blocked_card_load_name_the_card(core: PaymentsCore) -> None:
    account_id = open_account(core, "GIFT")
    gift_id = core.issue_card(account_id, "GIFT", initial_load="100.00")
    with refused(core, GiftCardReload, "GIFT_CARD_RELOAD") as refusal:
        core.load_card(account_id, gift_id, "10.00")
    assert refusal.value.details == {"card_id": gift_id}
    assert refusal.value.message == (
        f"card {gift_id} is a gift card; gift cards cannot be loaded after issue"
    )

    blocked_id = active_card(core, account_id)
    core.block_card(account_id, blocked_id, "stolen")
    with refused(core, CardBlocked, "CARD_BLOCKED") as blocked:
        core.load_card(account_id, blocked_id, "10.00")
    assert blocked.value.details == {"card_id": blocked_id}
    assert blocked.value.message == f"card {blocked_id} is blocked; a blocked card cannot be loaded"


@pytest.mark.parametrize("code", ["L", "AP"])
def test_a_locked_card_or_one_in_activation_can_be_loaded(core: PaymentsCore, code: str) -> None:
    account_id = open_account(core)
    if code == "AP":
        card_id = core.issue_card(account_id, "PREPAID")
    else:
        card_id = active_card(core, account_id)
        core.lock_card(account_id, card_id)
    core.load_card(account_id, card_id, "10.00")
    assert core.get_card_account(account_id).card(card_id).balance == Money("10.00")


def test_a_load_above_the_cap_names_the_card(core: PaymentsCore) -> None:
    account_id = open_account(core, cap="1000.00")
    card_id = active_card(core, account_id, "999.00")
    with refused(core, BalanceCapExceeded, "BALANCE_CAP") as refusal:
        core.load_card(account_id, card_id, "1.01")
    assert refusal.value.details == {
        "balance_after": "1000.01",
        "cap": "1000.00",
        "card_id": card_id,
    }
    assert refusal.value.message == (
        "the card balance would be ₹1,000.01, above the account's cap of ₹1,000.00"
    )
    core.load_card(account_id, card_id, "1.00")
    assert core.get_card_account(account_id).card(card_id).balance == Money("1000.00")


def test_a_reused_load_reference_names_both_loads(core: PaymentsCore) -> None:
    account_id = open_account(core)
    first = active_card(core, account_id)
    second = active_card(core, account_id)
    core.load_card(account_id, first, "100.00", "URN-7")
    core.load_card(account_id, first, "100.00", "URN-7")
    assert core.get_card_account(account_id).card(first).balance == Money("100.00")
    for card_id, amount in ((first, "100.01"), (second, "100.00")):
        with refused(core, LoadReferenceReused, "LOAD_REFERENCE_REUSED") as refusal:
            core.load_card(account_id, card_id, amount, "URN-7")
        assert refusal.value.details == {
            "reference": "URN-7",
            "card_id": card_id,
            "amount": amount,
            "earlier_card_id": first,
            "earlier_amount": "100.00",
        }
        assert refusal.value.message == (
            f"load reference URN-7 was used for ₹100.00 to card {first}; a different load "
            "needs a new reference"
        )


# Spends.


def test_a_spend_records_card_amount_channel_transaction_and_time(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id, "100.00")
    core.record_card_spend(account_id, card_id, "30.00", "ONLINE", "TXN-1", MONDAY)
    kind, state = last_event(core, account_id)
    assert (kind, state["card_id"], state["channel"], state["transaction_id"]) == (
        "CardSpent",
        card_id,
        "ONLINE",
        "TXN-1",
    )
    account = core.get_card_account(account_id)
    card = account.card(card_id)
    assert card.balance == Money("70.00")
    assert card.window.tallies(MONDAY) == (Tally(Money("30.00"), 1), Tally(Money("30.00"), 1))
    recalled = account.spends["TXN-1"]
    assert (recalled.card_id, recalled.amount, recalled.channel, recalled.occurred_at) == (
        card_id,
        Money("30.00"),
        "ONLINE",
        MONDAY,
    )


def test_a_reused_transaction_id_names_both_spends(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id, "100.00")
    core.record_card_spend(account_id, card_id, "30.00", "ONLINE", "TXN-1", MONDAY)
    later = MONDAY + timedelta(hours=1)
    with refused(core, SpendTransactionReused, "SPEND_TRANSACTION_REUSED") as refusal:
        core.record_card_spend(account_id, card_id, "30.00", "POS", "TXN-1", later)
    assert refusal.value.details == {
        "transaction_id": "TXN-1",
        "card_id": card_id,
        "amount": "30.00",
        "channel": "POS",
        "occurred_at": later.isoformat(),
        "earlier_card_id": card_id,
        "earlier_amount": "30.00",
        "earlier_channel": "ONLINE",
        "earlier_occurred_at": MONDAY.isoformat(),
    }
    assert refusal.value.message == (
        f"transaction TXN-1 was recorded as ₹30.00 by card {card_id} (ONLINE, "
        f"{MONDAY.isoformat()}); a different spend cannot reuse its id"
    )


@pytest.mark.parametrize(
    ("code", "name"), [("AP", "ACTIVATION_IN_PROGRESS"), ("L", "LOCKED"), ("BL", "BLOCKED")]
)
def test_a_card_that_cannot_spend_names_its_block_code(
    core: PaymentsCore, code: str, name: str
) -> None:
    account_id = open_account(core)
    card_id = core.issue_card(account_id, "PREPAID", initial_load="100.00")
    if code != "AP":
        core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
        (core.lock_card if code == "L" else core.block_card)(account_id, card_id)
    with refused(core, CardNotUsable, "CARD_NOT_USABLE") as refusal:
        core.record_card_spend(account_id, card_id, "1.00", "POS", "TXN-1", MONDAY)
    assert refusal.value.details == {"card_id": card_id, "block_code": code}
    assert refusal.value.message == (
        f"card {card_id} is {name} ({code}); only an unlocked card can spend"
    )


def test_a_disabled_channel_and_an_insufficient_balance_name_card_and_values(
    core: PaymentsCore,
) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id, "100.00")
    core.set_usage_controls(account_id, [card_id], UsageControls(disabled_channels=["ATM"]))
    with refused(core, ChannelDisabled, "CHANNEL_DISABLED") as refusal:
        core.record_card_spend(account_id, card_id, "1.00", "ATM", "TXN-1", MONDAY)
    assert refusal.value.details == {"card_id": card_id, "channel": "ATM"}
    assert refusal.value.message == f"the ATM channel is switched off for card {card_id}"
    with refused(core, InsufficientBalance, "INSUFFICIENT_BALANCE") as short:
        core.record_card_spend(account_id, card_id, "100.01", "POS", "TXN-2", MONDAY)
    assert short.value.details == {"card_id": card_id, "amount": "100.01", "balance": "100.00"}
    assert short.value.message == "₹100.01 is more than the available balance of ₹100.00"
    core.record_card_spend(account_id, card_id, "100.00", "POS", "TXN-3", MONDAY)
    assert core.get_card_account(account_id).card(card_id).balance == Money.ZERO


@pytest.mark.parametrize(
    ("limits", "name", "value", "maximum", "said"),
    [
        (
            {"per_transaction": "50.00"},
            "per-transaction amount",
            "50.01",
            "50.00",
            "the per-transaction amount limit of ₹50.00 would be exceeded (₹50.01)",
        ),
        (
            {"daily_amount": "50.00"},
            "daily amount",
            "50.01",
            "50.00",
            "the daily amount limit of ₹50.00 would be exceeded (₹50.01)",
        ),
        (
            {"monthly_amount": "50.00"},
            "monthly amount",
            "50.01",
            "50.00",
            "the monthly amount limit of ₹50.00 would be exceeded (₹50.01)",
        ),
        (
            {"daily_count": 0},
            "daily count",
            "1",
            "0",
            "the daily count limit of 0 would be exceeded (1)",
        ),
        (
            {"monthly_count": 0},
            "monthly count",
            "1",
            "0",
            "the monthly count limit of 0 would be exceeded (1)",
        ),
    ],
)
def test_each_spend_limit_names_itself_its_value_and_its_maximum(
    core: PaymentsCore, limits: dict[str, Any], name: str, value: str, maximum: str, said: str
) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id, "100.00")
    core.set_usage_controls(account_id, [card_id], UsageControls(**limits))
    with refused(core, SpendLimitExceeded, "SPEND_LIMIT") as refusal:
        core.record_card_spend(account_id, card_id, "50.01", "POS", "TXN-1", MONDAY)
    assert refusal.value.details == {"limit": name, "value": value, "maximum": maximum}
    assert refusal.value.message == said


@pytest.mark.parametrize(
    "limits",
    [
        {"per_transaction": "50.00"},
        {"daily_amount": "50.00"},
        {"monthly_amount": "50.00"},
        {"daily_count": 1},
        {"monthly_count": 1},
    ],
)
def test_a_spend_at_each_limit_is_recorded(core: PaymentsCore, limits: dict[str, Any]) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id, "100.00")
    core.set_usage_controls(account_id, [card_id], UsageControls(**limits))
    core.record_card_spend(account_id, card_id, "50.00", "POS", "TXN-1", MONDAY)
    assert core.get_card_account(account_id).card(card_id).balance == Money("50.00")


def test_the_windows_keep_62_days_and_13_months() -> None:
    window = SpendWindow()
    start = datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
    for day in range(63):
        window = window.plus(start + timedelta(days=day), Money("1.00"))
    assert len(window.days) == 62
    assert "2026-01-01" not in window.days
    assert "2026-01-02" in window.days
    for month in range(14):
        window = window.plus(
            datetime(2027 + month // 12, month % 12 + 1, 5, tzinfo=UTC), Money("1.00")
        )
    assert len(window.months) == 13
    assert "2027-01" not in window.months
    assert window.months["2028-01"] == Tally(Money("1.00"), 1)


def test_a_tally_adds_the_amount_and_counts_one() -> None:
    assert Tally().plus(Money("2.50")) == Tally(Money("2.50"), 1)
    assert Tally(Money("1.00"), 4).plus(Money("2.50")) == Tally(Money("3.50"), 5)


# Controls.


def test_controls_naming_a_card_twice_count_the_names(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = core.issue_card(account_id, "PREPAID")
    with refused(core, ControlsCardCount, "CONTROLS_CARD_COUNT") as refusal:
        core.set_usage_controls(account_id, [card_id, card_id], UsageControls())
    assert refusal.value.details == {"count": 2}
    assert refusal.value.message == "usage controls name each card once"


@pytest.mark.parametrize("count", [0, 101])
def test_controls_for_no_cards_or_too_many_name_the_count(core: PaymentsCore, count: int) -> None:
    account_id = open_account(core)
    card_ids = [str(n) for n in range(count)]
    with refused(core, ControlsCardCount, "CONTROLS_CARD_COUNT") as refusal:
        core.set_usage_controls(account_id, card_ids, UsageControls())
    assert refusal.value.details == {"count": count}
    assert refusal.value.message == f"usage controls apply to 1-100 cards at once, not {count}"


def test_controls_record_the_cards_sorted_and_the_controls(core: PaymentsCore) -> None:
    account_id = open_account(core)
    first, second = (core.issue_card(account_id, "PREPAID") for _ in range(2))
    controls = UsageControls(disabled_channels=["ATM", "POS"], daily_count=3)
    core.set_usage_controls(account_id, [max(first, second), min(first, second)], controls)
    kind, state = last_event(core, account_id)
    assert (kind, state["card_ids"]) == ("UsageControlsSet", sorted([first, second]))
    account = core.get_card_account(account_id)
    assert account.card(first).controls == account.card(second).controls == controls


def test_controls_of_a_blocked_card_cannot_change(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    core.block_card(account_id, card_id)
    with refused(core, CardBlocked, "CARD_BLOCKED") as refusal:
        core.set_usage_controls(account_id, [card_id], UsageControls())
    assert refusal.value.details == {"card_id": card_id}
    assert refusal.value.message == f"card {card_id} is blocked; its controls cannot change"


@pytest.mark.parametrize("field", ["daily_count", "monthly_count"])
@pytest.mark.parametrize(
    ("value", "shown"), [(-1, "-1"), (2**31, "2147483648"), (True, "True"), ("3", "'3'")]
)
def test_a_count_limit_out_of_range_names_its_field(field: str, value: object, shown: str) -> None:
    with pytest.raises(InvalidArgument) as refusal:
        UsageControls(**{field: value})  # type: ignore[arg-type]
    assert refusal.value.details == {"argument": field, "value": shown}
    assert refusal.value.message == (
        f"{field} must be a whole number from 0 to 2147483647, not {shown}"
    )


@pytest.mark.parametrize("field", ["daily_count", "monthly_count"])
def test_a_count_limit_may_be_zero_or_the_largest_int(field: str) -> None:
    for value in (0, 2**31 - 1, None):
        assert getattr(UsageControls(**{field: value}), field) == value  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["per_transaction", "daily_amount", "monthly_amount"])
def test_an_amount_limit_names_its_field(field: str) -> None:
    with pytest.raises(PaycoreError) as refusal:
        UsageControls(**{field: "x"})  # type: ignore[arg-type]
    assert refusal.value.details["argument"] == field
    assert getattr(UsageControls(**{field: "2.50"}), field) == Money("2.50")  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "shown"), [(["FAX"], "['FAX']"), (5, "5")])
def test_unknown_channels_are_refused_by_name(value: object, shown: str) -> None:
    with pytest.raises(InvalidArgument) as refusal:
        UsageControls(disabled_channels=value)  # type: ignore[arg-type]
    assert refusal.value.details == {"argument": "disabled_channels", "value": shown}
    assert refusal.value.message == (
        "disabled_channels must be drawn from ['POS', 'ONLINE', 'CONTACTLESS', 'ATM', "
        f"'INTERNATIONAL'], not {shown}"
    )


def test_channels_are_kept_once_each_in_order() -> None:
    controls = UsageControls(disabled_channels=["POS", "ATM", "POS"])  # type: ignore[arg-type]
    assert controls.disabled_channels == ("ATM", "POS")


# PIN, OTP and replacement.


def test_a_blocked_card_gets_neither_pin_nor_otp(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    core.block_card(account_id, card_id)
    account = core.get_card_account(account_id)
    with pytest.raises(CardBlocked) as pin:
        account.record_pin_set(card_id, MONDAY)
    assert (pin.value.details, pin.value.message) == (
        {"card_id": card_id},
        f"card {card_id} is blocked; its PIN cannot be set",
    )
    with refused(core, CardBlocked, "CARD_BLOCKED") as otp:
        core.request_card_otp(account_id, card_id)
    assert (otp.value.details, otp.value.message) == (
        {"card_id": card_id},
        f"card {card_id} is blocked; no OTP can be issued for it",
    )


def test_a_pin_set_records_its_time_on_a_card_that_is_not_blocked() -> None:
    account = account_with_card()
    with recording(AUDIT):
        account.record_pin_set("c1", MONDAY)
    assert account.card("c1").pin_set_at == MONDAY
    (pin_set,) = [e for e in account.collect_events() if type(e).__name__ == "PinSet"]
    assert (pin_set.card_id, pin_set.at) == ("c1", MONDAY)  # type: ignore[attr-defined]


def test_a_card_otp_records_its_purpose_rejections_and_use(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core = make_core(otp_codes=lambda: OTP)
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    with refused(core, OtpNotRequested, "OTP_NOT_REQUESTED") as refusal:
        core.verify_card_otp(account_id, card_id, OTP)
    assert refusal.value.message == (
        f"no OTP has been requested for card {card_id}, or it was already used"
    )
    core.request_card_otp(account_id, card_id, "PIN_RESET")
    assert last_event(core, account_id)[0] == "CardOtpIssued"
    with pytest.raises(PaycoreError):
        core.verify_card_otp(account_id, card_id, "000000")
    otp = core.get_card_account(account_id).card(card_id).otp
    assert otp is not None
    assert otp.failed_attempts == 1
    assert last_event(core, account_id)[0] == "CardOtpRejected"
    assert core.verify_card_otp(account_id, card_id, OTP) == "PIN_RESET"
    kind, state = last_event(core, account_id)
    assert (kind, state["card_id"], state["reference"]) == (
        "CardOtpVerified",
        card_id,
        otp.reference,
    )
    assert core.get_card_account(account_id).card(card_id).otp is None


def test_replacing_onto_a_card_id_on_the_account_is_refused_by_name(core: PaymentsCore) -> None:
    account_id = open_account(core)
    old_id, other_id = active_card(core, account_id), active_card(core, account_id)
    account = core.get_card_account(account_id)
    with pytest.raises(InvalidArgument) as refusal:
        account.replace(old_id, other_id)
    assert refusal.value.details == {"card_id": other_id}
    assert refusal.value.message == f"card {other_id} is already on this account"


def test_a_blocked_card_cannot_be_replaced(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    core.block_card(account_id, card_id)
    with refused(core, CardTransitionError, "CARD_TRANSITION") as refusal:
        core.replace_card(account_id, card_id)
    assert refusal.value.details == {
        "card_id": card_id,
        "status": "BL",
        "attempted": "BL",
        "allowed": [],
    }


def test_a_replacement_records_both_cards_and_starts_the_new_one_afresh(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core = make_core(otp_codes=lambda: OTP)
    account_id = open_account(core)
    old_id = active_card(core, account_id, "100.00")
    core.record_card_spend(account_id, old_id, "10.00", "POS", "TXN-1", MONDAY)
    core.record_remote_card(account_id, old_id, "R-1", "123456XXXXXX1234")
    core.request_card_otp(account_id, old_id)
    new_id = core.replace_card(account_id, old_id)
    kind, state = last_event(core, account_id)
    assert (kind, state["card_id"], state["new_card_id"], state["block_code"]) == (
        "CardReplaced",
        old_id,
        new_id,
        "BL",
    )
    account = core.get_card_account(account_id)
    old, new = account.card(old_id), account.card(new_id)
    assert (old.block_code, old.balance, old.otp, old.replaced_by) == (
        "BL",
        Money.ZERO,
        None,
        new_id,
    )
    assert (new.block_code, new.balance, new.activated) == ("UL", Money("90.00"), True)
    assert (new.otp, new.remote_id, new.masked_number, new.pin_set_at) == (None, None, None, None)
    assert new.window == SpendWindow()
    assert new.replaced_by is None


def test_a_replacement_of_a_card_in_activation_is_in_activation(core: PaymentsCore) -> None:
    account_id = open_account(core)
    old_id = core.issue_card(account_id, "PREPAID", initial_load="5.00")
    new_id = core.replace_card(account_id, old_id)
    new = core.get_card_account(account_id).card(new_id)
    assert (new.block_code, new.balance) == ("AP", Money("5.00"))
    assert replacement_block_code(activated=True) == "UL"
    assert replacement_block_code(activated=False) == "AP"


# The platform's identifiers.


def test_the_platform_identifiers_are_recorded(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = core.issue_card(account_id, "PREPAID")
    core.record_remote_card_account(account_id, "ACC-9")
    kind, state = last_event(core, account_id)
    assert (kind, state["remote_id"]) == ("RemoteAccountRegistered", "ACC-9")
    core.record_remote_card(account_id, card_id, "CARD-9", "411111XX XXXX 1111")
    kind, state = last_event(core, account_id)
    assert (kind, state["card_id"], state["remote_id"], state["masked_number"]) == (
        "RemoteCardRegistered",
        card_id,
        "CARD-9",
        "411111XX XXXX 1111",
    )
    account = core.get_card_account(account_id)
    assert account.remote_id == "ACC-9"
    card = account.card(card_id)
    assert (card.remote_id, card.masked_number) == ("CARD-9", "411111XX XXXX 1111")


@pytest.mark.parametrize(
    "masked", ["4111111111111111", "1234567XXXX1234", "123456XXXX12345", "", "XXXX-1234"]
)
def test_a_number_showing_more_than_6_and_4_digits_is_refused(masked: str) -> None:
    account = account_with_card()
    with pytest.raises(InvalidArgument) as refusal, recording(AUDIT):
        account.register_remote_card("c1", "R-1", masked)
    assert refusal.value.details == {"card_id": "c1"}
    assert refusal.value.message == (
        "a masked card number shows at most the first 6 and last 4 digits"
    )


@pytest.mark.parametrize("masked", ["123456XXXXXX1234", "XXXXXXXXXXXX1234", "123456******", "xxxx"])
def test_a_number_masked_within_6_and_4_digits_is_kept(masked: str) -> None:
    account = account_with_card()
    with recording(AUDIT):
        account.register_remote_card("c1", "R-1", masked)
    assert account.card("c1").masked_number == masked


def test_a_card_issued_to_a_holder_records_the_holder() -> None:
    account = account_with_card()
    with recording(AUDIT):
        account.issue_card("c2", "PREPAID", "VIRTUAL", Money.ZERO, "H-1")  # type: ignore[arg-type]
    assert account.card("c2").holder_id == "H-1"
    assert account.card("c1").holder_id is None
    issued = [e for e in account.collect_events() if type(e).__name__ == "CardIssued"]
    assert [e.holder_id for e in issued] == [None, "H-1"]  # type: ignore[attr-defined]

"""CardAccount rules: activation, block codes, replacement, loads, spends, controls, PIN, OTP."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import get_topic
from hypothesis import given
from hypothesis import strategies as st

from paycore.domain.card_account import AccountType, Card, CardAccount, UsageControls
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import (
    AccountTypeError,
    BalanceCapExceeded,
    CardActivationError,
    CardBlocked,
    CardNotUsable,
    CardTransitionError,
    ChannelDisabled,
    ControlsCardCount,
    GiftCardReload,
    InsufficientBalance,
    InvalidArgument,
    LoadBelowMinimum,
    LoadReferenceReused,
    OtpAttemptsExhausted,
    OtpExpired,
    OtpFormatError,
    OtpMismatch,
    OtpNotRequested,
    PinFormatError,
    PinGatewayMissing,
    SpendLimitExceeded,
    SpendTransactionReused,
)
from paycore.domain.money import Money, MoneySignError
from paycore.domain.otp import OneTimePassword, Pin
from tests.domain.rule_checks import ManualClock, refused, refused_moves, written

CAP = "10000.00"
MONDAY = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
PIN = "7395"
OTP = "583920"


def open_account(core: PaymentsCore, account_type: str = "CORPORATE", cap: str = CAP) -> UUID:
    return core.open_card_account("CO1", "Acme Ltd", "Travel", account_type, cap)


def active_card(core: PaymentsCore, account_id: UUID, initial_load: str = "0") -> str:
    card_id = core.issue_card(account_id, "PREPAID", initial_load=initial_load)
    core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
    return card_id


def card_of(core: PaymentsCore, account_id: UUID, card_id: str) -> Card:
    return core.get_card_account(account_id).card(card_id)


def spend(
    core: PaymentsCore,
    account_id: UUID,
    card_id: str,
    amount: str,
    at: datetime = MONDAY,
    channel: str = "POS",
) -> None:
    core.record_card_spend(account_id, card_id, amount, channel, uuid4().hex, at)


def card_with_controls(core: PaymentsCore, **limits: object) -> tuple[UUID, str]:
    """An unlocked card holding ₹5000, with ``limits`` as its usage controls."""
    account_id = open_account(core)
    card_id = active_card(core, account_id, initial_load="5000.00")
    core.set_usage_controls(account_id, [card_id], UsageControls(**limits))  # type: ignore[arg-type]
    return account_id, card_id


def refused_spend(
    core: PaymentsCore, account_id: UUID, card_id: str, amount: str, at: datetime = MONDAY
) -> dict[str, object]:
    """A spend refused for a limit; returns the refusal's details."""
    with refused(core, SpendLimitExceeded, "SPEND_LIMIT") as refusal:
        spend(core, account_id, card_id, amount, at)
    return refusal.value.details


# The account.


def test_account_type_comes_from_the_platform_enum(core: PaymentsCore) -> None:
    with refused(core, AccountTypeError, "ACCOUNT_TYPE") as refusal:
        open_account(core, account_type="SAVINGS")
    assert refusal.value.details["allowed"] == [t.value for t in AccountType]
    assert core.get_card_account(open_account(core, "MEAL")).account_type is AccountType.MEAL


# Activation and block codes.


def test_card_is_usable_only_after_activation(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = core.issue_card(account_id, "PREPAID", initial_load="100.00")
    assert card_of(core, account_id, card_id).block_code == "AP"
    with refused(core, CardNotUsable, "CARD_NOT_USABLE"):
        spend(core, account_id, card_id, "10.00")

    core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
    spend(core, account_id, card_id, "10.00")

    assert card_of(core, account_id, card_id).balance == Money("90.00")


@pytest.mark.parametrize(
    ("kyc", "terms", "missing"),
    [(False, True, ["KYC"]), (True, False, ["terms acceptance"])],
)
def test_card_activation_needs_both_kyc_and_terms(
    core: PaymentsCore, kyc: bool, terms: bool, missing: list[str]
) -> None:
    account_id = open_account(core)
    card_id = core.issue_card(account_id, "PREPAID")
    with refused(core, CardActivationError, "CARD_ACTIVATION") as refusal:
        core.activate_card(account_id, card_id, kyc_completed=kyc, terms_accepted=terms)
    assert refusal.value.details["missing"] == missing
    assert card_of(core, account_id, card_id).block_code == "AP"


def test_card_leaves_activation_only_by_activation_or_blocking(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = core.issue_card(account_id, "PREPAID")
    with refused(core, CardTransitionError, "CARD_TRANSITION") as refusal:
        core.unlock_card(account_id, card_id)
    assert refusal.value.details | {"card_id": ""} == {
        "card_id": "",
        "status": "AP",
        "attempted": "UL",
        "allowed": ["BL"],
    }
    core.block_card(account_id, card_id, "never collected")
    assert card_of(core, account_id, card_id).block_code == "BL"


def test_unlocked_and_locked_cards_move_both_ways(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    core.lock_card(account_id, card_id, "travelling")
    assert card_of(core, account_id, card_id).block_code == "L"
    core.unlock_card(account_id, card_id, "back home")
    assert card_of(core, account_id, card_id).block_code == "UL"


def card_in(core: PaymentsCore, account_id: UUID, block_code: str) -> str:
    """A new card on the account, moved to ``block_code``."""
    card_id = core.issue_card(account_id, "PREPAID")
    if block_code != "AP":
        core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
    if block_code == "L":
        core.lock_card(account_id, card_id)
    if block_code == "BL":
        core.block_card(account_id, card_id)
    return card_id


@pytest.mark.parametrize("block_code", ["AP", "UL", "L"])
def test_any_card_can_be_blocked(core: PaymentsCore, block_code: str) -> None:
    account_id = open_account(core)
    card_id = card_in(core, account_id, block_code)
    core.block_card(account_id, card_id, "fraud")
    assert card_of(core, account_id, card_id).block_code == "BL"


def moves_on(core: PaymentsCore, account_id: UUID) -> dict[str, Callable[[str], None]]:
    """Every way a command can change a card's block code, by the code it asks for."""
    return {
        "activate": lambda card_id: core.activate_card(
            account_id, card_id, kyc_completed=True, terms_accepted=True
        ),
        "UL": lambda card_id: core.unlock_card(account_id, card_id),
        "L": lambda card_id: core.lock_card(account_id, card_id),
        "BL": lambda card_id: core.block_card(account_id, card_id),
    }


#: (status, move, allowed) for every move the block-code table does not allow.
DISALLOWED_CARD_MOVES = [
    ("AP", "L", ["BL", "UL"]),
    ("UL", "activate", ["BL", "L"]),
    ("UL", "UL", ["BL", "L"]),
    ("L", "L", ["BL", "UL"]),
    ("BL", "activate", []),
    ("BL", "UL", []),
    ("BL", "L", []),
    ("BL", "BL", []),
]


def test_every_move_the_block_code_table_disallows_is_refused(core: PaymentsCore) -> None:
    account_id = open_account(core)
    commands = moves_on(core, account_id)
    for status, move, allowed in DISALLOWED_CARD_MOVES:
        card_id = card_in(core, account_id, status)
        with refused(core, CardTransitionError, "CARD_TRANSITION") as refusal:
            commands[move](card_id)
        attempted = "UL" if move == "activate" else move
        assert refusal.value.details == {
            "card_id": card_id,
            "status": status,
            "attempted": attempted,
            "allowed": allowed,
        }, (status, move)
        assert card_of(core, account_id, card_id).block_code == status


def test_only_a_card_in_activation_can_be_activated(core: PaymentsCore) -> None:
    """Activation is the move AP -> UL; a locked card is unlocked, never activated again."""
    account_id = open_account(core)
    card_id = card_in(core, account_id, "L")
    with refused(core, CardTransitionError, "CARD_TRANSITION") as refusal:
        moves_on(core, account_id)["activate"](card_id)
    assert refusal.value.details["status"] == "L"
    assert card_of(core, account_id, card_id).block_code == "L"


def test_blocked_card_is_final(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = card_in(core, account_id, "BL")
    moves: dict[str, Callable[[], object]] = {
        name: functools.partial(move, card_id) for name, move in moves_on(core, account_id).items()
    }
    moves["replace"] = lambda: core.replace_card(account_id, card_id)
    refusals = refused_moves(core, CardTransitionError, "CARD_TRANSITION", moves)
    assert {name: details["allowed"] for name, details in refusals.items()} == {
        name: [] for name in moves
    }
    assert card_of(core, account_id, card_id).block_code == "BL"


# Replacement.


def test_replacement_blocks_the_old_card_and_moves_its_balance_in_one_event(
    core: PaymentsCore,
) -> None:
    account_id = open_account(core)
    old_id = active_card(core, account_id, initial_load="500.00")
    before = core.get_card_account(account_id).version

    new_id = core.replace_card(account_id, old_id)

    account = core.get_card_account(account_id)
    assert account.version == before + 1
    replaced = list(core.events.get(account_id, gt=before))
    assert [type(e).__name__ for e in replaced] == ["CardReplaced"]
    old, new = account.card(old_id), account.card(new_id)
    assert (old.block_code, old.balance, old.replaced_by) == ("BL", Money.ZERO, new_id)
    assert (new.block_code, new.balance) == ("UL", Money("500.00"))
    assert account.total_balance == Money("500.00")


# Loads.


def test_load_is_at_least_one_rupee(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    with refused(core, LoadBelowMinimum, "LOAD_BELOW_MINIMUM"):
        core.load_card(account_id, card_id, "0.99")
    assert card_of(core, account_id, card_id).balance == Money.ZERO
    core.load_card(account_id, card_id, "1.00")
    assert card_of(core, account_id, card_id).balance == Money("1.00")


def test_gift_card_cannot_be_loaded_after_issue(core: PaymentsCore) -> None:
    account_id = open_account(core, "GIFT")
    card_id = core.issue_card(account_id, "GIFT", initial_load="100.00")
    assert card_of(core, account_id, card_id).balance == Money("100.00")
    with refused(core, GiftCardReload, "GIFT_CARD_RELOAD"):
        core.load_card(account_id, card_id, "10.00")
    assert card_of(core, account_id, card_id).balance == Money("100.00")


def test_blocked_card_cannot_be_loaded(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = card_in(core, account_id, "BL")
    with refused(core, CardBlocked, "CARD_BLOCKED"):
        core.load_card(account_id, card_id, "10.00")
    assert card_of(core, account_id, card_id).balance == Money.ZERO


def test_balance_after_a_load_stays_within_the_cap(core: PaymentsCore) -> None:
    account_id = open_account(core, cap="1000.00")
    card_id = active_card(core, account_id)
    core.load_card(account_id, card_id, "999.00")
    with refused(core, BalanceCapExceeded, "BALANCE_CAP") as refusal:
        core.load_card(account_id, card_id, "1.01")
    assert refusal.value.details["balance_after"] == "1000.01"
    core.load_card(account_id, card_id, "1.00")
    assert card_of(core, account_id, card_id).balance == Money("1000.00")


def test_initial_load_at_issue_stays_within_the_cap(core: PaymentsCore) -> None:
    account_id = open_account(core, cap="1000.00")
    with refused(core, BalanceCapExceeded, "BALANCE_CAP"):
        core.issue_card(account_id, "GIFT", initial_load="1000.01")
    assert core.get_card_account(account_id).cards == {}
    card_id = core.issue_card(account_id, "GIFT", initial_load="1000.00")
    assert card_of(core, account_id, card_id).balance == Money("1000.00")


def test_a_gift_card_carries_at_least_one_rupee_from_issue(core: PaymentsCore) -> None:
    account_id = open_account(core)
    for too_little in ("0", "0.99"):
        with refused(core, LoadBelowMinimum, "LOAD_BELOW_MINIMUM"):
            core.issue_card(account_id, "GIFT", initial_load=too_little)
    with refused(core, LoadBelowMinimum, "LOAD_BELOW_MINIMUM"):
        core.issue_card(account_id, "PREPAID", initial_load="0.50")
    assert core.get_card_account(account_id).cards == {}
    core.issue_card(account_id, "PREPAID", initial_load="0")
    core.issue_card(account_id, "GIFT", initial_load="1.00")


# Spends.


@pytest.mark.parametrize("block_code", ["L", "BL"])
def test_spends_only_on_unlocked_cards(core: PaymentsCore, block_code: str) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id, initial_load="100.00")
    commands = moves_on(core, account_id)
    commands[block_code](card_id)
    with refused(core, CardNotUsable, "CARD_NOT_USABLE"):
        spend(core, account_id, card_id, "10.00")


def test_spend_never_beyond_the_balance(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id, initial_load="100.00")
    with refused(core, InsufficientBalance, "INSUFFICIENT_BALANCE"):
        spend(core, account_id, card_id, "100.01")
    spend(core, account_id, card_id, "100.00")
    assert card_of(core, account_id, card_id).balance == Money.ZERO


def test_spend_never_on_a_disabled_channel(core: PaymentsCore) -> None:
    account_id, card_id = card_with_controls(core, disabled_channels=["ATM", "INTERNATIONAL"])
    with refused(core, ChannelDisabled, "CHANNEL_DISABLED"):
        spend(core, account_id, card_id, "10.00", channel="ATM")
    spend(core, account_id, card_id, "10.00", channel="ONLINE")
    assert card_of(core, account_id, card_id).balance == Money("4990.00")


def test_spend_never_beyond_the_per_transaction_limit(core: PaymentsCore) -> None:
    account_id, card_id = card_with_controls(core, per_transaction="500.00")
    details = refused_spend(core, account_id, card_id, "500.01")
    assert details["limit"] == "per-transaction amount"
    spend(core, account_id, card_id, "500.00")


def test_daily_amount_limit_holds_for_the_day_and_rolls_over_the_next(core: PaymentsCore) -> None:
    account_id, card_id = card_with_controls(core, daily_amount="100.00")
    spend(core, account_id, card_id, "60.00")
    spend(core, account_id, card_id, "40.00", MONDAY + timedelta(hours=8))
    details = refused_spend(core, account_id, card_id, "0.01", MONDAY + timedelta(hours=8))
    assert details["limit"] == "daily amount"
    spend(core, account_id, card_id, "100.00", MONDAY + timedelta(days=1))


def test_spend_limit_days_are_indian_calendar_days(core: PaymentsCore) -> None:
    """Monday 20:00 UTC is Tuesday 01:30 in India: it counts towards Tuesday."""
    account_id, card_id = card_with_controls(core, daily_count=1)
    spend(core, account_id, card_id, "1.00", MONDAY)
    spend(core, account_id, card_id, "1.00", MONDAY.replace(hour=20))
    details = refused_spend(core, account_id, card_id, "1.00", MONDAY + timedelta(days=1))
    assert details["limit"] == "daily count"


def test_daily_count_limit_holds_for_the_day_and_rolls_over_the_next(core: PaymentsCore) -> None:
    account_id, card_id = card_with_controls(core, daily_count=2)
    spend(core, account_id, card_id, "1.00")
    spend(core, account_id, card_id, "1.00")
    assert refused_spend(core, account_id, card_id, "1.00")["limit"] == "daily count"
    spend(core, account_id, card_id, "1.00", MONDAY + timedelta(days=1))


def test_monthly_amount_limit_holds_for_the_month_and_rolls_over_the_next(
    core: PaymentsCore,
) -> None:
    account_id, card_id = card_with_controls(core, monthly_amount="100.00")
    spend(core, account_id, card_id, "60.00", MONDAY)
    spend(core, account_id, card_id, "40.00", MONDAY + timedelta(days=1))
    details = refused_spend(core, account_id, card_id, "0.01", MONDAY + timedelta(days=2))
    assert details["limit"] == "monthly amount"
    spend(core, account_id, card_id, "100.00", datetime(2026, 4, 1, tzinfo=UTC))


def test_monthly_count_limit_holds_for_the_month_and_rolls_over_the_next(
    core: PaymentsCore,
) -> None:
    account_id, card_id = card_with_controls(core, monthly_count=2)
    spend(core, account_id, card_id, "1.00", MONDAY)
    spend(core, account_id, card_id, "1.00", MONDAY + timedelta(days=1))
    details = refused_spend(core, account_id, card_id, "1.00", MONDAY + timedelta(days=2))
    assert details["limit"] == "monthly count"
    spend(core, account_id, card_id, "1.00", datetime(2026, 4, 1, tzinfo=UTC))


def test_daily_count_limit_holds_when_an_earlier_day_is_reported_late(core: PaymentsCore) -> None:
    """The platform may report a transaction after later ones; the limits still hold."""
    account_id, card_id = card_with_controls(core, daily_count=2)
    tuesday = MONDAY + timedelta(days=1)
    spend(core, account_id, card_id, "1.00", tuesday)
    spend(core, account_id, card_id, "1.00", MONDAY)
    spend(core, account_id, card_id, "1.00", tuesday + timedelta(hours=1))
    details = refused_spend(core, account_id, card_id, "1.00", tuesday + timedelta(hours=2))
    assert details["limit"] == "daily count"


# Usage controls.


def test_usage_controls_apply_to_1_to_100_cards(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_ids = [core.issue_card(account_id, "PREPAID") for _ in range(100)]
    controls = UsageControls(daily_count=5)
    for too_many_or_few in ([], [*card_ids, "one-more"], [card_ids[0], card_ids[0]]):
        with refused(core, ControlsCardCount, "CONTROLS_CARD_COUNT") as refusal:
            core.set_usage_controls(account_id, too_many_or_few, controls)
        assert refusal.value.details["count"] == len(too_many_or_few)

    core.set_usage_controls(account_id, card_ids, controls)

    account = core.get_card_account(account_id)
    assert {account.card(c).controls for c in card_ids} == {controls}


def test_usage_control_limits_are_non_negative() -> None:
    for amount_limit in ("per_transaction", "daily_amount", "monthly_amount"):
        with pytest.raises(MoneySignError) as negative_amount:
            UsageControls(**{amount_limit: "-1.00"})  # type: ignore[arg-type]
        assert negative_amount.value.code == "MONEY_SIGN"
    for count_limit in ("daily_count", "monthly_count"):
        with pytest.raises(InvalidArgument) as negative_count:
            UsageControls(**{count_limit: -1})  # type: ignore[arg-type]
        assert negative_count.value.code == "INVALID_ARGUMENT"
    zero = UsageControls(per_transaction="0", daily_count=0)  # type: ignore[arg-type]
    assert (zero.per_transaction, zero.daily_count) == (Money.ZERO, 0)


# PIN.


class RecordingPinGateway:
    """Stands in for the platform: keeps the PINs it was given, or fails."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.received: list[tuple[str, str]] = []
        self.failure = failure

    def set_pin(self, account: CardAccount, card: Card, pin: Pin) -> None:
        if self.failure:
            raise self.failure
        self.received.append((card.card_id, pin.value))


def counted_ids() -> Callable[[], UUID]:
    counter = itertools.count(1)
    return lambda: UUID(int=next(counter))


def stored(core: PaymentsCore) -> list[tuple[str, bytes]]:
    """Every stored event as (topic, state), in the notification log's order."""
    return [(n.topic, n.state) for n in core.recorder.select_notifications(start=1, limit=1000)]


def test_set_pin_passes_the_pin_to_the_gateway_and_records_only_when(
    make_core: Callable[..., PaymentsCore],
) -> None:
    gateway = RecordingPinGateway()
    core = make_core(pin_gateway=gateway, clock=lambda: MONDAY, ids=counted_ids())
    account_id = open_account(core)
    card_id = active_card(core, account_id)

    core.set_card_pin(account_id, card_id, PIN)

    assert gateway.received == [(card_id, PIN)]
    assert card_of(core, account_id, card_id).pin_set_at == MONDAY
    events = stored(core)
    assert events[-1][0] == get_topic(CardAccount.PinSet)
    assert [topic for topic, state in events if PIN.encode() in state] == []


def test_set_pin_is_exactly_four_digits(make_core: Callable[..., PaymentsCore]) -> None:
    gateway = RecordingPinGateway()
    core = make_core(pin_gateway=gateway)
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    for pin in ("739", "73951", "73a5"):
        with refused(core, PinFormatError, "PIN_FORMAT"):
            core.set_card_pin(account_id, card_id, pin)
    assert gateway.received == []
    assert card_of(core, account_id, card_id).pin_set_at is None


def test_set_pin_needs_a_pin_gateway(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    with refused(core, PinGatewayMissing, "PIN_GATEWAY_MISSING"):
        core.set_card_pin(account_id, card_id, PIN)
    assert card_of(core, account_id, card_id).pin_set_at is None


class PlatformUnavailable(Exception):
    pass


def test_pin_gateway_failure_writes_nothing(make_core: Callable[..., PaymentsCore]) -> None:
    core = make_core(pin_gateway=RecordingPinGateway(PlatformUnavailable("timeout")))
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    before = written(core)
    with pytest.raises(PlatformUnavailable):
        core.set_card_pin(account_id, card_id, PIN)
    assert written(core) == before
    assert card_of(core, account_id, card_id).pin_set_at is None


def test_blocked_card_pin_cannot_be_set(make_core: Callable[..., PaymentsCore]) -> None:
    gateway = RecordingPinGateway()
    core = make_core(pin_gateway=gateway)
    account_id = open_account(core)
    card_id = card_in(core, account_id, "BL")
    with refused(core, CardBlocked, "CARD_BLOCKED"):
        core.set_card_pin(account_id, card_id, PIN)
    assert gateway.received == []


# Card OTP.


def otp_card(
    make_core: Callable[..., PaymentsCore],
) -> tuple[PaymentsCore, ManualClock, UUID, str]:
    """A core that always issues ``OTP``, on a clock the test moves, with an active card."""
    clock = ManualClock(MONDAY)
    core = make_core(clock=clock, otp_codes=lambda: OTP)
    account_id = open_account(core)
    return core, clock, account_id, active_card(core, account_id)


def test_card_otp_is_six_digits(make_core: Callable[..., PaymentsCore]) -> None:
    core, _, account_id, card_id = otp_card(make_core)
    issued = core.request_card_otp(account_id, card_id, "PIN_CHANGE")
    assert len(issued.otp) == 6
    assert issued.otp.isdigit()
    for typed in ("58392", "5839201", "58392a"):
        with refused(core, OtpFormatError, "OTP_FORMAT"):
            core.verify_card_otp(account_id, card_id, typed)
    assert card_of(core, account_id, card_id).otp is not None


def test_card_otp_is_single_use(make_core: Callable[..., PaymentsCore]) -> None:
    core, _, account_id, card_id = otp_card(make_core)
    core.request_card_otp(account_id, card_id, "PIN_CHANGE")
    assert core.verify_card_otp(account_id, card_id, OTP) == "PIN_CHANGE"
    with refused(core, OtpNotRequested, "OTP_NOT_REQUESTED"):
        core.verify_card_otp(account_id, card_id, OTP)


def test_card_otp_expires_after_ten_minutes(make_core: Callable[..., PaymentsCore]) -> None:
    core, clock, account_id, card_id = otp_card(make_core)
    issued = core.request_card_otp(account_id, card_id)
    assert issued.expires_at == MONDAY + timedelta(minutes=10)
    clock.advance(minutes=10)
    with refused(core, OtpExpired, "OTP_EXPIRED"):
        core.verify_card_otp(account_id, card_id, OTP)

    core.request_card_otp(account_id, card_id)
    clock.advance(minutes=9, seconds=59)
    assert core.verify_card_otp(account_id, card_id, OTP) == "TRANSACTION_OTP"


def test_card_otp_is_void_after_three_wrong_attempts(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core, _, account_id, card_id = otp_card(make_core)
    core.request_card_otp(account_id, card_id)
    for attempts_left in (2, 1):
        with pytest.raises(OtpMismatch) as mismatch:
            core.verify_card_otp(account_id, card_id, "000000")
        assert mismatch.value.code == "OTP_MISMATCH"
        assert mismatch.value.details["attempts_left"] == attempts_left
    with pytest.raises(OtpAttemptsExhausted) as third:
        core.verify_card_otp(account_id, card_id, "000000")
    assert third.value.code == "OTP_ATTEMPTS_EXHAUSTED"

    with refused(core, OtpAttemptsExhausted, "OTP_ATTEMPTS_EXHAUSTED"):
        core.verify_card_otp(account_id, card_id, OTP)


def test_wrong_card_otp_attempts_are_recorded_while_refused(
    make_core: Callable[..., PaymentsCore],
) -> None:
    core, _, account_id, card_id = otp_card(make_core)
    core.request_card_otp(account_id, card_id)
    for failed_attempts in (1, 2, 3):
        version, before = core.get_card_account(account_id).version, written(core)
        with pytest.raises((OtpMismatch, OtpAttemptsExhausted)):
            core.verify_card_otp(account_id, card_id, "000000")
        assert written(core) == before + 1
        account = core.get_card_account(account_id)
        assert account.version == version + 1
        otp = account.card(card_id).otp
        assert otp is not None
        assert otp.failed_attempts == failed_attempts


def test_card_otp_is_kept_only_as_a_keyed_hash(make_core: Callable[..., PaymentsCore]) -> None:
    core = make_core(clock=lambda: MONDAY, ids=counted_ids(), otp_codes=lambda: OTP)
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    core.request_card_otp(account_id, card_id)
    otp = card_of(core, account_id, card_id).otp
    assert otp is not None
    assert otp.digest == core.otp_key.digest(otp.reference, OneTimePassword(OTP))
    assert [topic for topic, state in stored(core) if OTP.encode() in state] == []


# References the platform applies once: a load's reference, a spend's transaction id.


def test_a_load_sent_again_with_its_reference_is_applied_once(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    assert core.load_card(account_id, card_id, "100.00", reference="REF-1") == "REF-1"
    before = written(core)
    assert core.load_card(account_id, card_id, "100.00", reference="REF-1") == "REF-1"
    assert written(core) == before
    assert card_of(core, account_id, card_id).balance == Money("100.00")


def test_a_load_reference_reused_for_another_load_is_refused_naming_the_first(
    core: PaymentsCore,
) -> None:
    account_id = open_account(core)
    card_id, other_card = active_card(core, account_id), active_card(core, account_id)
    core.load_card(account_id, card_id, "100.00", reference="REF-1")
    reuses = {
        "another amount": lambda: core.load_card(account_id, card_id, "100.01", reference="REF-1"),
        "another card": lambda: core.load_card(account_id, other_card, "100.00", reference="REF-1"),
    }
    details = refused_moves(core, LoadReferenceReused, "LOAD_REFERENCE_REUSED", reuses)
    first = {"reference": "REF-1", "earlier_card_id": card_id, "earlier_amount": "100.00"}
    assert details == {
        "another amount": {**first, "card_id": card_id, "amount": "100.01"},
        "another card": {**first, "card_id": other_card, "amount": "100.00"},
    }
    assert card_of(core, account_id, other_card).balance == Money.ZERO


def test_a_load_reference_is_unique_within_its_card_account(core: PaymentsCore) -> None:
    """The platform looks a load up by account, card and reference: another account's
    load under the same reference is its own."""
    first, second = open_account(core), open_account(core)
    first_card, second_card = active_card(core, first), active_card(core, second)
    core.load_card(first, first_card, "100.00", reference="REF-1")
    core.load_card(second, second_card, "250.00", reference="REF-1")
    assert card_of(core, second, second_card).balance == Money("250.00")


def test_a_load_reference_stays_taken_after_its_card_is_replaced(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    core.load_card(account_id, card_id, "100.00", reference="REF-1")
    new_card = core.replace_card(account_id, card_id)
    with refused(core, LoadReferenceReused, "LOAD_REFERENCE_REUSED"):
        core.load_card(account_id, new_card, "100.00", reference="REF-1")
    assert core.load_card(account_id, card_id, "100.00", reference="REF-1") == "REF-1"
    assert card_of(core, account_id, new_card).balance == Money("100.00")


#: The same instant may be reported in another zone.
IST_ZONE = timezone(timedelta(hours=5, minutes=30))


def test_a_spend_reported_again_is_recorded_once(core: PaymentsCore) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id, initial_load="500.00")
    core.record_card_spend(account_id, card_id, "120.00", "POS", "TXN-1", MONDAY)
    before = written(core)
    core.record_card_spend(account_id, card_id, "120.00", "POS", "TXN-1", MONDAY)
    core.record_card_spend(
        account_id, card_id, "120.00", "POS", "TXN-1", MONDAY.astimezone(IST_ZONE)
    )
    assert written(core) == before
    assert card_of(core, account_id, card_id).balance == Money("380.00")


def test_a_transaction_id_reused_for_another_spend_is_refused_naming_the_first(
    core: PaymentsCore,
) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id, initial_load="500.00")
    other_card = active_card(core, account_id, initial_load="500.00")
    core.record_card_spend(account_id, card_id, "120.00", "POS", "TXN-1", MONDAY)
    later = MONDAY + timedelta(seconds=1)
    reuses = {
        "amount": (card_id, "120.01", "POS", MONDAY),
        "channel": (card_id, "120.00", "ONLINE", MONDAY),
        "time": (card_id, "120.00", "POS", later),
        "card": (other_card, "120.00", "POS", MONDAY),
    }
    details = refused_moves(
        core,
        SpendTransactionReused,
        "SPEND_TRANSACTION_REUSED",
        {
            name: functools.partial(core.record_card_spend, account_id, c, a, ch, "TXN-1", at)
            for name, (c, a, ch, at) in reuses.items()
        },
    )
    first = {
        "transaction_id": "TXN-1",
        "earlier_card_id": card_id,
        "earlier_amount": "120.00",
        "earlier_channel": "POS",
        "earlier_occurred_at": MONDAY.isoformat(),
    }
    assert details == {
        name: {
            **first,
            "card_id": c,
            "amount": f"{a}",
            "channel": ch,
            "occurred_at": at.isoformat(),
        }
        for name, (c, a, ch, at) in reuses.items()
    }
    assert [card_of(core, account_id, c).balance for c in (card_id, other_card)] == [
        Money("380.00"),
        Money("500.00"),
    ]


#: A load or a spend under one of a few references, on one of two cards.
movements = st.lists(
    st.tuples(
        st.sampled_from(["load", "spend"]),
        st.sampled_from(["R1", "R2", "R3"]),
        st.integers(0, 1),
        st.sampled_from(["1.00", "2.50", "7.00"]),
        st.sampled_from(["POS", "ONLINE"]),
        st.integers(0, 2),
    ),
    max_size=25,
)


@given(movements)
def test_every_reference_and_transaction_id_counts_once(
    sent: list[tuple[str, str, int, str, str, int]],
) -> None:
    """Each card's balance is what the first use of each reference and transaction id
    moved; a later use is a no-op if it repeats the first exactly, else it is refused
    naming the first."""
    core = PaymentsCore("memory://")
    account_id = open_account(core, cap="1000000.00")
    cards = [active_card(core, account_id, initial_load="1000.00") for _ in range(2)]
    balances = [Money("1000.00")] * 2
    first: dict[tuple[str, str], tuple[object, ...]] = {}
    for kind, reference, card, amount, channel, minute in sent:
        at = MONDAY + timedelta(minutes=minute)
        send: Callable[[], object]
        if kind == "load":
            movement: tuple[object, ...] = (cards[card], amount)
            send = functools.partial(
                core.load_card, account_id, cards[card], amount, reference=reference
            )
        else:
            movement = (cards[card], amount, channel, at)
            send = functools.partial(
                core.record_card_spend, account_id, cards[card], amount, channel, reference, at
            )
        earlier = first.setdefault((kind, reference), movement)
        if earlier != movement:
            with pytest.raises((LoadReferenceReused, SpendTransactionReused)) as refusal:
                send()
            named = (
                refusal.value.details["earlier_card_id"],
                refusal.value.details["earlier_amount"],
            )
            assert named == (earlier[0], f"{earlier[1]}")
            continue
        before = written(core)
        send()
        if earlier is movement:
            moved = Money(amount)
            balances[card] = balances[card] + moved if kind == "load" else balances[card] - moved
        else:
            assert written(core) == before, "a repeat wrote events"
    account = core.get_card_account(account_id)
    assert [account.card(c).balance for c in cards] == balances
    core.close()


def test_a_snapshot_from_before_accounts_recalled_references_reads_with_none(
    core: PaymentsCore,
) -> None:
    account_id = open_account(core)
    card_id = active_card(core, account_id)
    core.load_card(account_id, card_id, "100.00", reference="REF-1")
    snapshot = CardAccount.Snapshot.take(core.get_card_account(account_id))
    old_state = {
        k: v for k, v in snapshot.state.items() if k not in ("loads", "spends", "class_version")
    }
    old = CardAccount.Snapshot(
        originator_id=snapshot.originator_id,
        originator_version=snapshot.originator_version,
        timestamp=snapshot.timestamp,
        topic=snapshot.topic,
        state=old_state,
    )
    account = old.mutate(None)
    assert isinstance(account, CardAccount)
    assert (account.loads, account.spends) == ({}, {})
    assert account.card(card_id).balance == Money("100.00")

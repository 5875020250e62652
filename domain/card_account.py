"""CardAccount: a company's prepaid card account and its cards.

Cards are entities inside the account, so a replacement (old card blocked, balance
moved to the new card) is one event in one transaction. Card status follows the
platform's block codes.

The account recalls every load by its reference (the ``uniqueReferenceNumber`` the
platform applies once) and every spend by the platform's transaction id, so neither
counts twice: the same one again is a no-op with the earlier outcome, and a reference or
transaction id reused for a different load or spend is refused.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

import attrs
from eventsourcing.domain import event

from paycore.domain.aggregate import Lifecycle, PaycoreAggregate, Typed, table, upcast_adding
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
    SpendLimitExceeded,
    SpendTransactionReused,
    shown,
)
from paycore.domain.money import Money, rupees
from paycore.domain.otp import OtpChallenge, require_challenge
from paycore.domain.values import Immutable


class AccountType(StrEnum):
    """The platform's ``accountType`` enum."""

    RELOADABLE_GPR = "RELOADABLE_GPR"
    CORPORATE = "CORPORATE"
    GIFT = "GIFT"
    MEAL = "MEAL"
    FUEL = "FUEL"
    VIRTUAL_ACCOUNT = "VIRTUAL_ACCOUNT"
    INVOICE_DISCOUNTING = "INVOICE_DISCOUNTING"
    EMPLOYEE_REWARDS = "EMPLOYEE_REWARDS"
    CHANNEL_INCENTIVE = "CHANNEL_INCENTIVE"
    ENKASH_COIN = "ENKASH_COIN"
    PETTY_CASH = "PETTY_CASH"
    FREEDOM_REWARDS = "FREEDOM_REWARDS"
    PAYOUT = "PAYOUT"
    E_RUPI_VOUCHER = "E_RUPI_VOUCHER"


class CardKind(StrEnum):
    PREPAID = "PREPAID"  # reloadable
    GIFT = "GIFT"  # non-reloadable


class CardForm(StrEnum):
    VIRTUAL = "VIRTUAL"
    PHYSICAL = "PHYSICAL"


class BlockCode(StrEnum):
    """The platform's block codes, which are the card's status."""

    ACTIVATION_IN_PROGRESS = "AP"
    UNLOCKED = "UL"
    LOCKED = "L"
    BLOCKED = "BL"


class Channel(StrEnum):
    POS = "POS"
    ONLINE = "ONLINE"
    CONTACTLESS = "CONTACTLESS"
    ATM = "ATM"
    INTERNATIONAL = "INTERNATIONAL"


AP, UL, L, BL = (
    BlockCode.ACTIVATION_IN_PROGRESS,
    BlockCode.UNLOCKED,
    BlockCode.LOCKED,
    BlockCode.BLOCKED,
)

#: AP leaves only by activation (to UL) or by blocking; BL is final.
CARD_LIFECYCLE = Lifecycle(
    name="card",
    moves=table({AP: {UL, BL}, UL: {L, BL}, L: {UL, BL}, BL: set()}),
    error=CardTransitionError,
)

MINIMUM_LOAD = Money("1.00")
MAX_CARDS_PER_CONTROLS = 100
#: The largest count limit: the platform's ``dtdCount`` and ``mtdCount`` are ints, taken
#: as signed 32-bit integers.
MAX_COUNT_LIMIT = 2**31 - 1
MASKED_NUMBER = re.compile(r"[0-9]{0,6}[X*x ]+[0-9]{0,4}")


def _amount_limit(value: object, name: str) -> Money | None:
    return None if value is None else Money.of(value, name)


def _count_limit(value: object, name: str) -> int | None:
    in_range = isinstance(value, int) and 0 <= value <= MAX_COUNT_LIMIT
    if value is None or (in_range and not isinstance(value, bool)):
        return value  # type: ignore[return-value]
    msg = f"{name} must be a whole number from 0 to {MAX_COUNT_LIMIT}, not {shown(value)}"
    raise InvalidArgument(msg, argument=name, value=shown(value))


# The converters of UsageControls' limits, one a field so that an error names its field.


def _per_transaction(value: object) -> Money | None:
    return _amount_limit(value, "per_transaction")


def _daily_amount(value: object) -> Money | None:
    return _amount_limit(value, "daily_amount")


def _monthly_amount(value: object) -> Money | None:
    return _amount_limit(value, "monthly_amount")


def _daily_count(value: object) -> int | None:
    return _count_limit(value, "daily_count")


def _monthly_count(value: object) -> int | None:
    return _count_limit(value, "monthly_count")


def _channels(value: object) -> tuple[Channel, ...]:
    try:
        return tuple(sorted({Channel(c) for c in value}))  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        allowed = [c.value for c in Channel]
        msg = f"disabled_channels must be drawn from {allowed}, not {shown(value)}"
        raise InvalidArgument(msg, argument="disabled_channels", value=shown(value)) from None


@attrs.frozen
class UsageControls(Immutable):
    """Channel switches and amount/count limits; ``None`` means no limit."""

    disabled_channels: tuple[Channel, ...] = attrs.field(default=(), converter=_channels)
    per_transaction: Money | None = attrs.field(default=None, converter=_per_transaction)
    daily_amount: Money | None = attrs.field(default=None, converter=_daily_amount)
    daily_count: int | None = attrs.field(default=None, converter=_daily_count)
    monthly_amount: Money | None = attrs.field(default=None, converter=_monthly_amount)
    monthly_count: int | None = attrs.field(default=None, converter=_monthly_count)


@attrs.frozen
class Tally(Immutable):
    """What a card spent in one day or one month."""

    total: Money = Money.ZERO
    count: int = 0

    def plus(self, amount: Money) -> Tally:
        return Tally(self.total + amount, self.count + 1)


#: India Standard Time: the platform's days and months (no daylight saving).
IST = timezone(timedelta(hours=5, minutes=30), "IST")
#: How far back the windows keep their tallies: late reports within this reach still
#: count towards their own day and month.
DAYS_KEPT, MONTHS_KEPT = 62, 13


@attrs.frozen
class SpendWindow(Immutable):
    """A card's recent daily and monthly tallies, keyed by the transaction's own date.

    A transaction the platform reports late counts towards the day and month it happened
    in, so it can neither escape the limits nor reset a later day's tally.
    """

    days: dict[str, Tally] = attrs.field(factory=dict)
    months: dict[str, Tally] = attrs.field(factory=dict)

    @staticmethod
    def keys(at: datetime) -> tuple[str, str]:
        """The Indian calendar day and month of ``at``, whatever zone it was given in."""
        local = at.astimezone(IST)
        return local.date().isoformat(), local.strftime("%Y-%m")

    def tallies(self, at: datetime) -> tuple[Tally, Tally]:
        """The day's and the month's tally as they would be with nothing more spent."""
        day, month = self.keys(at)
        return self.days.get(day, Tally()), self.months.get(month, Tally())

    def plus(self, at: datetime, amount: Money) -> SpendWindow:
        day, month = self.keys(at)
        day_tally, month_tally = self.tallies(at)
        return SpendWindow(
            days=_latest({**self.days, day: day_tally.plus(amount)}, DAYS_KEPT),
            months=_latest({**self.months, month: month_tally.plus(amount)}, MONTHS_KEPT),
        )


def _latest(tallies: dict[str, Tally], kept: int) -> dict[str, Tally]:
    return {key: tallies[key] for key in sorted(tallies)[-kept:]}


@attrs.frozen
class Card(Immutable):
    card_id: str
    kind: CardKind = attrs.field(converter=CardKind)
    form: CardForm = attrs.field(converter=CardForm)
    block_code: BlockCode = attrs.field(default=AP, converter=BlockCode)
    activated: bool = False
    balance: Money = Money.ZERO
    controls: UsageControls = UsageControls()
    window: SpendWindow = SpendWindow()
    otp: OtpChallenge | None = None
    remote_id: str | None = None
    masked_number: str | None = None
    pin_set_at: datetime | None = None
    replaced_by: str | None = None
    #: The holder the card was issued to (their id only, never their details).
    holder_id: str | None = None


@attrs.frozen
class CardLoad(Immutable):
    """A load as the account recalls it by its reference."""

    card_id: str
    amount: Money


@attrs.frozen
class CardSpend(Immutable):
    """A card transaction as the account recalls it by the platform's transaction id."""

    card_id: str
    amount: Money
    channel: Channel = attrs.field(converter=Channel)
    occurred_at: datetime


class CardAccount(PaycoreAggregate):
    TOPIC = "paycore.CardAccount"
    #: Version 2 recalls loads by reference and spends by transaction id.
    class_version = 2

    class Event(PaycoreAggregate.Event):
        TOPIC = "paycore.CardAccount.Event"

    class Created(Event, PaycoreAggregate.Created):
        TOPIC = "paycore.CardAccount.Created"

    OBJECT_KIND: ClassVar[str] = "card account"
    #: Enum-typed however the aggregate was restored (a snapshot stores strings).
    account_type = Typed(AccountType)

    class Opened(Created):
        TOPIC = "paycore.CardAccount.Opened"
        company_id: str
        company_name: str
        account_title: str
        account_type: str
        balance_cap: Money

    @event(Opened)
    def __init__(
        self,
        company_id: str,
        company_name: str,
        account_title: str,
        account_type: str,
        balance_cap: Money,
    ) -> None:
        self.company_id = company_id
        self.company_name = company_name
        self.account_title = account_title
        self.account_type = AccountType(account_type)
        self.balance_cap = balance_cap
        self.remote_id: str | None = None
        self.cards: dict[str, Card] = {}
        self.loads: dict[str, CardLoad] = {}
        self.spends: dict[str, CardSpend] = {}

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot taken before accounts recalled loads and spends recalls none of
        those before it; the events after it are recalled as they are replayed."""
        state.update(loads={}, spends={})

    @staticmethod
    def check_account_type(account_type: str) -> AccountType:
        try:
            return AccountType(account_type)
        except ValueError:
            msg = f"account_type {shown(account_type)} is not an accountType the platform knows"
            raise AccountTypeError(
                msg,
                argument="account_type",
                value=shown(account_type),
                allowed=[t.value for t in AccountType],
            ) from None

    # Queries.

    def card(self, card_id: str) -> Card:
        try:
            return self.cards[card_id]
        except KeyError:
            msg = f"card {card_id} is not on card account {self.id}"
            raise CardNotFound(msg, card_id=card_id, account_id=str(self.id)) from None

    @property
    def total_balance(self) -> Money:
        return sum((c.balance for c in self.cards.values()), Money.ZERO)

    # Issue and activate.

    def issue_card(
        self,
        card_id: str,
        kind: CardKind,
        form: CardForm,
        initial_load: Money,
        holder_id: str | None = None,
    ) -> None:
        if card_id in self.cards:
            msg = f"card {card_id} is already on this account"
            raise InvalidArgument(msg, card_id=card_id)
        if (initial_load or kind is CardKind.GIFT) and initial_load < MINIMUM_LOAD:
            msg = (
                f"an initial load is nothing or at least {rupees(MINIMUM_LOAD)}, and a gift card "
                f"carries its value from issue; not {rupees(initial_load)}"
            )
            raise LoadBelowMinimum(msg, amount=str(initial_load), minimum=str(MINIMUM_LOAD))
        self._check_cap(initial_load.amount)
        self._card_issued(
            card_id=card_id,
            kind=kind,
            form=form,
            initial_load=initial_load,
            block_code=AP,
            holder_id=holder_id,
        )

    class CardIssued(Event):
        """A new card is in activation (AP)."""

        TOPIC = "paycore.CardAccount.CardIssued"
        class_version = 3
        card_id: str
        kind: str
        form: str
        initial_load: Money
        block_code: str
        holder_id: str | None
        upcast_v1_v2 = upcast_adding(block_code=AP)

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """A card issued before cards had holders has none."""
            state["holder_id"] = None

    @event(CardIssued)
    def _card_issued(
        self,
        card_id: str,
        kind: str,
        form: str,
        initial_load: Money,
        block_code: str,
        holder_id: str | None,
    ) -> None:
        self.cards[card_id] = Card(
            card_id, kind, form, block_code, balance=initial_load, holder_id=holder_id
        )

    def activate_card(self, card_id: str, *, kyc_completed: bool, terms_accepted: bool) -> None:
        """A card is usable only once minimum KYC is met and the latest T&C accepted."""
        card = self.card(card_id)
        missing = [
            name
            for name, done in (("KYC", kyc_completed), ("terms acceptance", terms_accepted))
            if not done
        ]
        if missing:
            msg = f"card {card_id} cannot be activated before {' and '.join(missing)}"
            raise CardActivationError(msg, card_id=card_id, missing=missing)
        if card.block_code is not AP:
            msg = (
                f"card {card_id} is {card.block_code}; only a card in activation (AP) "
                "can be activated"
            )
            raise CardTransitionError(
                msg,
                card_id=card_id,
                status=str(card.block_code),
                attempted=str(UL),
                allowed=sorted(str(s) for s in CARD_LIFECYCLE.allowed(card.block_code)),
            )
        self._card_activated(card_id=card_id, block_code=UL)

    class CardActivated(Event):
        """An activated card is unlocked (UL)."""

        TOPIC = "paycore.CardAccount.CardActivated"
        class_version = 2
        card_id: str
        block_code: str
        upcast_v1_v2 = upcast_adding(block_code=UL)

    @event(CardActivated)
    def _card_activated(self, card_id: str, block_code: str) -> None:
        self._replace_card_state(card_id, block_code=BlockCode(block_code), activated=True)

    # Money in and out.

    def load(self, card_id: str, amount: Money, reference: str) -> None:
        """Credits a card, once per reference: the same load again changes nothing."""
        earlier = self.loads.get(reference)
        if earlier == CardLoad(card_id, amount):
            return
        if earlier is not None:
            msg = (
                f"load reference {reference} was used for {rupees(earlier.amount)} to card "
                f"{earlier.card_id}; a different load needs a new reference"
            )
            raise LoadReferenceReused(
                msg,
                reference=reference,
                card_id=card_id,
                amount=str(amount),
                earlier_card_id=earlier.card_id,
                earlier_amount=str(earlier.amount),
            )
        card = self.card(card_id)
        if amount < MINIMUM_LOAD:
            msg = f"a load must be at least {rupees(MINIMUM_LOAD)}, not {rupees(amount)}"
            raise LoadBelowMinimum(msg, amount=str(amount), minimum=str(MINIMUM_LOAD))
        if card.kind is CardKind.GIFT:
            msg = f"card {card_id} is a gift card; gift cards cannot be loaded after issue"
            raise GiftCardReload(msg, card_id=card_id)
        if card.block_code is BL:
            msg = f"card {card_id} is blocked; a blocked card cannot be loaded"
            raise CardBlocked(msg, card_id=card_id)
        # A Decimal sum: one above the largest Money is still only a cap exceeded.
        self._check_cap(card.balance.amount + amount.amount, card_id=card_id)
        self._card_loaded(card_id=card_id, amount=amount, reference=reference)

    class CardLoaded(Event):
        TOPIC = "paycore.CardAccount.CardLoaded"
        card_id: str
        amount: Money
        reference: str

    @event(CardLoaded)
    def _card_loaded(self, card_id: str, amount: Money, reference: str) -> None:
        card = self.cards[card_id]
        self._replace_card_state(card_id, balance=card.balance + amount)
        self.loads[reference] = CardLoad(card_id, amount)

    def _check_cap(self, balance_after: Decimal, **details: Any) -> None:
        if balance_after > self.balance_cap.amount:
            msg = (
                f"the card balance would be {rupees(balance_after)}, above the account's "
                f"cap of {rupees(self.balance_cap)}"
            )
            raise BalanceCapExceeded(
                msg, balance_after=str(balance_after), cap=str(self.balance_cap), **details
            )

    def spend(
        self,
        card_id: str,
        amount: Money,
        channel: Channel,
        transaction_id: str,
        occurred_at: datetime,
    ) -> None:
        """A card transaction reported by the platform, checked against every limit; the
        same transaction reported again changes nothing."""
        earlier = self.spends.get(transaction_id)
        if earlier == CardSpend(card_id, amount, channel, occurred_at):
            return
        if earlier is not None:
            msg = (
                f"transaction {transaction_id} was recorded as {rupees(earlier.amount)} by card "
                f"{earlier.card_id} ({earlier.channel}, {earlier.occurred_at.isoformat()}); "
                "a different spend cannot reuse its id"
            )
            raise SpendTransactionReused(
                msg,
                transaction_id=transaction_id,
                card_id=card_id,
                amount=str(amount),
                channel=str(channel),
                occurred_at=occurred_at.isoformat(),
                earlier_card_id=earlier.card_id,
                earlier_amount=str(earlier.amount),
                earlier_channel=str(earlier.channel),
                earlier_occurred_at=earlier.occurred_at.isoformat(),
            )
        card = self.card(card_id)
        if card.block_code is not UL:
            msg = (
                f"card {card_id} is {card.block_code.name} ({card.block_code}); "
                "only an unlocked card can spend"
            )
            raise CardNotUsable(msg, card_id=card_id, block_code=str(card.block_code))
        controls = card.controls
        if channel in controls.disabled_channels:
            msg = f"the {channel} channel is switched off for card {card_id}"
            raise ChannelDisabled(msg, card_id=card_id, channel=str(channel))
        if amount > card.balance:
            msg = f"{rupees(amount)} is more than the available balance of {rupees(card.balance)}"
            raise InsufficientBalance(
                msg, card_id=card_id, amount=str(amount), balance=str(card.balance)
            )
        day, month = (t.plus(amount) for t in card.window.tallies(occurred_at))
        _check_limit("per-transaction amount", amount, controls.per_transaction)
        _check_limit("daily amount", day.total, controls.daily_amount)
        _check_limit("daily count", day.count, controls.daily_count)
        _check_limit("monthly amount", month.total, controls.monthly_amount)
        _check_limit("monthly count", month.count, controls.monthly_count)
        self._card_spent(
            card_id=card_id,
            amount=amount,
            channel=channel,
            transaction_id=transaction_id,
            occurred_at=occurred_at,
        )

    class CardSpent(Event):
        TOPIC = "paycore.CardAccount.CardSpent"
        card_id: str
        amount: Money
        channel: str
        transaction_id: str
        occurred_at: datetime

    @event(CardSpent)
    def _card_spent(
        self,
        card_id: str,
        amount: Money,
        channel: str,
        transaction_id: str,
        occurred_at: datetime,
    ) -> None:
        card = self.cards[card_id]
        self._replace_card_state(
            card_id,
            balance=card.balance - amount,
            window=card.window.plus(occurred_at, amount),
        )
        self.spends[transaction_id] = CardSpend(card_id, amount, channel, occurred_at)

    # Controls.

    def set_usage_controls(self, card_ids: list[str], controls: UsageControls) -> None:
        if len(set(card_ids)) != len(card_ids):
            msg = "usage controls name each card once"
            raise ControlsCardCount(msg, count=len(card_ids))
        if not 1 <= len(card_ids) <= MAX_CARDS_PER_CONTROLS:
            msg = (
                f"usage controls apply to 1-{MAX_CARDS_PER_CONTROLS} cards at once, "
                f"not {len(card_ids)}"
            )
            raise ControlsCardCount(msg, count=len(card_ids))
        for card_id in card_ids:
            if self.card(card_id).block_code is BL:
                msg = f"card {card_id} is blocked; its controls cannot change"
                raise CardBlocked(msg, card_id=card_id)
        self._usage_controls_set(card_ids=sorted(card_ids), controls=controls)

    class UsageControlsSet(Event):
        TOPIC = "paycore.CardAccount.UsageControlsSet"
        card_ids: list[str]
        controls: UsageControls

    @event(UsageControlsSet)
    def _usage_controls_set(self, card_ids: list[str], controls: UsageControls) -> None:
        for card_id in card_ids:
            self._replace_card_state(card_id, controls=controls)

    # PIN and OTP.

    def record_pin_set(self, card_id: str, at: datetime) -> None:
        """The PIN went to the platform; only the fact and its time are kept."""
        if self.card(card_id).block_code is BL:
            msg = f"card {card_id} is blocked; its PIN cannot be set"
            raise CardBlocked(msg, card_id=card_id)
        self._pin_set(card_id=card_id, at=at)

    class PinSet(Event):
        TOPIC = "paycore.CardAccount.PinSet"
        card_id: str
        at: datetime

    @event(PinSet)
    def _pin_set(self, card_id: str, at: datetime) -> None:
        self._replace_card_state(card_id, pin_set_at=at)

    def issue_otp(self, card_id: str, challenge: OtpChallenge) -> None:
        if self.card(card_id).block_code is BL:
            msg = f"card {card_id} is blocked; no OTP can be issued for it"
            raise CardBlocked(msg, card_id=card_id)
        self._card_otp_issued(card_id=card_id, challenge=challenge)

    class CardOtpIssued(Event):
        TOPIC = "paycore.CardAccount.CardOtpIssued"
        card_id: str
        challenge: OtpChallenge

    @event(CardOtpIssued)
    def _card_otp_issued(self, card_id: str, challenge: OtpChallenge) -> None:
        self._replace_card_state(card_id, otp=challenge)

    def verify_otp(self, card_id: str, digest: str, now: datetime) -> str:
        """Single use: a matching OTP is consumed; returns what it was issued for."""
        challenge = require_challenge(self.card(card_id).otp, f"card {card_id}")
        challenge.check(digest, now, lambda: self._card_otp_rejected(card_id=card_id))
        self._card_otp_verified(card_id=card_id, reference=challenge.reference)
        return challenge.purpose

    class CardOtpRejected(Event):
        TOPIC = "paycore.CardAccount.CardOtpRejected"
        card_id: str

    @event(CardOtpRejected)
    def _card_otp_rejected(self, card_id: str) -> None:
        otp = self.cards[card_id].otp
        assert otp is not None
        failed = attrs.evolve(otp, failed_attempts=otp.failed_attempts + 1)
        self._replace_card_state(card_id, otp=failed)

    class CardOtpVerified(Event):
        TOPIC = "paycore.CardAccount.CardOtpVerified"
        card_id: str
        reference: str

    @event(CardOtpVerified)
    def _card_otp_verified(self, card_id: str, reference: str) -> None:
        self._replace_card_state(card_id, otp=None)

    # Block codes and replacement.

    def change_block_code(self, card_id: str, block_code: BlockCode, reason: str) -> None:
        card = self.card(card_id)
        if card.block_code is AP and block_code is UL:
            msg = f"card {card_id} leaves activation only through activate_card"
            raise CardTransitionError(
                msg, card_id=card_id, status=str(AP), attempted=str(UL), allowed=[str(BL)]
            )
        CARD_LIFECYCLE.check(card.block_code, block_code, card_id=card_id)
        self._block_code_changed(card_id=card_id, block_code=block_code, reason=reason)

    class BlockCodeChanged(Event):
        TOPIC = "paycore.CardAccount.BlockCodeChanged"
        card_id: str
        block_code: str
        reason: str

    @event(BlockCodeChanged)
    def _block_code_changed(self, card_id: str, block_code: str, reason: str) -> None:
        self._replace_card_state(card_id, block_code=BlockCode(block_code), otp=None)

    def replace(self, card_id: str, new_card_id: str) -> None:
        """The old card is blocked and its balance moves to a new card, atomically."""
        card = self.card(card_id)
        CARD_LIFECYCLE.check(card.block_code, BL, card_id=card_id)
        if new_card_id in self.cards:
            msg = f"card {new_card_id} is already on this account"
            raise InvalidArgument(msg, card_id=new_card_id)
        self._card_replaced(card_id=card_id, new_card_id=new_card_id, block_code=BL)

    class CardReplaced(Event):
        """The replaced card is blocked (BL); the new one's code follows from the old
        card's activation (:func:`replacement_block_code`)."""

        TOPIC = "paycore.CardAccount.CardReplaced"
        class_version = 2
        card_id: str
        new_card_id: str
        block_code: str
        upcast_v1_v2 = upcast_adding(block_code=BL)

    @event(CardReplaced)
    def _card_replaced(self, card_id: str, new_card_id: str, block_code: str) -> None:
        old = self.cards[card_id]
        self.cards[new_card_id] = attrs.evolve(
            old,
            card_id=new_card_id,
            block_code=replacement_block_code(activated=old.activated),
            window=SpendWindow(),
            otp=None,
            remote_id=None,
            masked_number=None,
            pin_set_at=None,
        )
        self._replace_card_state(
            card_id,
            block_code=BlockCode(block_code),
            balance=Money.ZERO,
            otp=None,
            replaced_by=new_card_id,
        )

    # Platform identifiers, recorded by the sync relay.

    def register_remote_account(self, remote_id: str) -> None:
        self._remote_account_registered(remote_id=remote_id)

    class RemoteAccountRegistered(Event):
        TOPIC = "paycore.CardAccount.RemoteAccountRegistered"
        remote_id: str

    @event(RemoteAccountRegistered)
    def _remote_account_registered(self, remote_id: str) -> None:
        self.remote_id = remote_id

    def register_remote_card(self, card_id: str, remote_id: str, masked_number: str) -> None:
        self.card(card_id)
        if not MASKED_NUMBER.fullmatch(masked_number):
            msg = "a masked card number shows at most the first 6 and last 4 digits"
            raise InvalidArgument(msg, card_id=card_id)
        self._remote_card_registered(
            card_id=card_id, remote_id=remote_id, masked_number=masked_number
        )

    class RemoteCardRegistered(Event):
        TOPIC = "paycore.CardAccount.RemoteCardRegistered"
        card_id: str
        remote_id: str
        masked_number: str

    @event(RemoteCardRegistered)
    def _remote_card_registered(self, card_id: str, remote_id: str, masked_number: str) -> None:
        self._replace_card_state(card_id, remote_id=remote_id, masked_number=masked_number)

    def _replace_card_state(self, card_id: str, **changes: Any) -> None:
        self.cards[card_id] = attrs.evolve(self.cards[card_id], **changes)


def replacement_block_code(*, activated: bool) -> BlockCode:
    """A replacement card is usable at once (UL) if the card it replaces was activated,
    else it starts in activation (AP)."""
    return UL if activated else AP


def _read(value: Money | int) -> str:
    return rupees(value) if isinstance(value, Money) else str(value)


def _check_limit(name: str, value: Money | int, limit: Money | int | None) -> None:
    if limit is not None and value > limit:  # type: ignore[operator]
        msg = f"the {name} limit of {_read(limit)} would be exceeded ({_read(value)})"
        raise SpendLimitExceeded(msg, limit=name, value=str(value), maximum=str(limit))

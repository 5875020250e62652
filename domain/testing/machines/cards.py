"""The card account machine: accounts and their cards, against a model of each card's
block code, balance, usage controls, spends and OTP; and the cards' holders, registered,
corrected and forgotten, against a model of their details and cards."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID, uuid4

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, invariant, multiple, precondition, rule

from paycore.domain import errors
from paycore.domain.card_account import CardAccount, CardForm, CardKind, Channel, UsageControls
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import ConfigurationError, PaycoreError
from paycore.domain.money import Money
from paycore.domain.personal_data import DELIVERY_REQUIRED, Erased
from paycore.domain.testing import strategies
from paycore.domain.testing.machines.base import (
    PaycoreMachine,
    _failures,
    _otp_outcome,
    _refusals,
    _share,
)


@dataclass
class CardModel:
    account_id: UUID
    kind: CardKind
    status: str = "AP"
    activated: bool = False
    balance: Decimal = Decimal(0)
    controls: UsageControls = field(default_factory=UsageControls)
    spends: list[tuple[datetime, Decimal]] = field(default_factory=list)
    otp: str | None = None
    otp_expires_at: datetime | None = None
    otp_failures: int = 0
    form: CardForm = CardForm.VIRTUAL
    holder_id: UUID | None = None

    def spent(self, same: Callable[[datetime], bool]) -> tuple[Decimal, int]:
        amounts = [amount for at, amount in self.spends if same(at)]
        return sum(amounts, Decimal(0)), len(amounts)


#: The events that move money on a card.
MONEY_EVENTS = (CardAccount.CardIssued, CardAccount.CardLoaded, CardAccount.CardSpent)


@dataclass
class HolderModel:
    details: dict[str, str]
    #: "account_id/card_id" of each card issued to the holder.
    cards: list[str] = field(default_factory=list)
    forgotten: bool = False


def keeps_holders(core: PaymentsCore) -> bool:
    """Whether ``core`` has a master key for holders' data keys (a host's core may not)."""
    try:
        core.holder_keys  # noqa: B018  (raises without a master key)
    except ConfigurationError:
        return False
    return True


#: The first day a machine's card transactions happen on; they spread over two months.
SPEND_DAYS_FROM = date(2026, 1, 20)
#: Spend limits count Indian calendar days and months.
INDIA = timezone(timedelta(hours=5, minutes=30))


class CardAccountMachine(PaycoreMachine):
    """Card accounts and their cards: issue, activate, load, spend, controls, OTPs, block
    codes; and holders (on a core with a master key): register, correct, cards issued to
    them, forget."""

    TERMINAL: ClassVar[frozenset[str]] = frozenset({"BL"})
    cards = Bundle("cards")
    holders = Bundle("holders")

    def __init__(self, core: PaymentsCore | None = None) -> None:
        super().__init__(core)
        self.caps: dict[UUID, Decimal] = {}
        self.model: dict[str, CardModel] = {}
        self.holders_model: dict[UUID, HolderModel] = {}
        self.keeps_holders = keeps_holders(self.core)

    def statuses(self) -> dict[str, str]:
        return {f"card {card_id}": str(self.card(card_id).block_code) for card_id in self.model}

    def card(self, card_id: str) -> Any:
        return self.live_state(self.model[card_id].account_id).card(card_id)

    @initialize(
        target=cards, cap=strategies.money("100.00", "5000.00"), kind=strategies.card_kinds()
    )
    def start_with_an_active_card(self, cap: Money, kind: CardKind) -> Any:
        """Every example starts with an account and an activated card carrying 1.00."""
        account_id = self.open(cap, "CORPORATE")
        card_id = self.issue(account_id, kind, CardForm.VIRTUAL, Money("1.00"))
        assert card_id is not None
        self.activate_card(card_id, kyc=True, terms=True)
        return card_id

    @rule(cap=strategies.money("100.00", "5000.00"), account_type=strategies.account_types())
    def open_account(self, cap: Money, account_type: str) -> None:
        self.open(cap, account_type)

    def open(self, cap: Money, account_type: str) -> UUID:
        account_id = self.core.open_card_account("C1", "Acme Ltd", "Travel", account_type, cap)
        self.caps[account_id] = cap.amount
        self.aggregates.append(account_id)
        return account_id

    @precondition(lambda self: bool(self.caps))
    @rule(
        target=cards,
        data=st.data(),
        kind=strategies.card_kinds(),
        form=strategies.card_forms(),
        load=strategies.money("0.00", "6000.00"),
    )
    def issue_card(self, data: st.DataObject, kind: CardKind, form: CardForm, load: Money) -> Any:
        card_id = self.issue(data.draw(st.sampled_from(list(self.caps))), kind, form, load)
        return multiple() if card_id is None else card_id

    def issue(
        self,
        account_id: UUID,
        kind: CardKind,
        form: CardForm,
        load: Money,
        holder_id: UUID | None = None,
    ) -> str | None:
        """Issues a card (to a holder if given), or expects the refusal the rules call
        for (then None)."""
        holder = None if holder_id is None else self.holders_model[holder_id]
        refusals = _refusals(
            (
                (load or kind is CardKind.GIFT) and load.amount < 1,
                errors.LoadBelowMinimum,
            ),
            (load.amount > self.caps[account_id], errors.BalanceCapExceeded),
            (holder is not None and holder.forgotten, errors.HolderForgotten),
            (
                holder is not None
                and not holder.forgotten
                and form is CardForm.PHYSICAL
                and not all(f in holder.details for f in DELIVERY_REQUIRED),
                errors.InvalidArgument,
            ),
        )
        card_id = self.run(
            refusals,
            lambda: self.core.issue_card(account_id, kind, form, load, holder_id=holder_id),
        )
        if card_id is not None:
            self.model[card_id] = CardModel(
                account_id, kind, balance=load.amount, form=form, holder_id=holder_id
            )
            if holder is not None:
                holder.cards.append(f"{account_id}/{card_id}")
        return card_id

    @precondition(lambda self: self.keeps_holders)
    @rule(target=holders, details=strategies.holder_details())
    def register_holder(self, details: dict[str, str]) -> UUID:
        holder_id = self.core.register_holder(uuid4(), details)
        self.holders_model[holder_id] = HolderModel(dict(details))
        self.aggregates.append(holder_id)
        return holder_id

    @precondition(lambda self: bool(self.caps))
    @rule(
        target=cards,
        data=st.data(),
        holder_id=holders,
        kind=strategies.card_kinds(),
        form=strategies.card_forms(),
        load=strategies.money("0.00", "6000.00"),
    )
    def issue_card_to_a_holder(
        self, data: st.DataObject, holder_id: UUID, kind: CardKind, form: CardForm, load: Money
    ) -> Any:
        """A forgotten holder gets no card; a physical card needs a delivery address."""
        account_id = data.draw(st.sampled_from(list(self.caps)))
        card_id = self.issue(account_id, kind, form, load, holder_id)
        return multiple() if card_id is None else card_id

    @rule(holder_id=holders, changes=strategies.holder_details(delivery=True))
    def correct_holder(self, holder_id: UUID, changes: dict[str, str]) -> None:
        holder = self.holders_model[holder_id]
        refusals = _refusals((holder.forgotten, errors.HolderForgotten))
        self.run(refusals, lambda: self.core.correct_holder(holder_id, changes))
        if not refusals:
            holder.details |= changes

    @rule(holder_id=holders)
    def forget_holder(self, holder_id: UUID) -> None:
        """Forgetting (again or for the first time) changes no money: every balance, load
        and spend is as it was."""
        money = self.money_history()
        self.core.forget_holder(holder_id, "erasure request")
        self.holders_model[holder_id].forgotten = True
        assert self.money_history() == money, f"forgetting {holder_id} changed money"

    def money_history(self) -> tuple[dict[str, Decimal], list[tuple[str, str, str]]]:
        """Every card's balance, and every issue, load and spend recorded on the accounts."""
        balances = {card_id: self.card(card_id).balance.amount for card_id in self.model}
        moves = [
            (type(e).__name__, e.card_id, str(getattr(e, "amount", getattr(e, "initial_load", ""))))
            for account_id in self.caps
            for e in self.core.events.get(account_id)
            if isinstance(e, MONEY_EVENTS)
        ]
        return balances, moves

    @rule(card_id=cards, kyc=st.booleans(), terms=st.booleans())
    def activate_card(self, card_id: str, kyc: bool, terms: bool) -> None:
        card = self.model[card_id]
        refusals = _refusals(
            (not (kyc and terms), errors.CardActivationError),
            (card.status != "AP", errors.CardTransitionError),
        )
        command = lambda: self.core.activate_card(  # noqa: E731
            card.account_id, card_id, kyc_completed=kyc, terms_accepted=terms
        )
        self.run(refusals, command)
        if not refusals:
            card.status, card.activated = "UL", True

    @precondition(lambda self: any(c.status != "BL" for c in self.model.values()))
    @rule(data=st.data(), share=st.integers(1, 100))
    def move_a_card_on(self, data: st.DataObject, share: int) -> None:
        """Takes a card on along the common path: activated, unlocked, then loaded."""
        card_id = data.draw(st.sampled_from([c for c, m in self.model.items() if m.status != "BL"]))
        card = self.model[card_id]
        if card.status == "AP":
            self.activate_card(card_id, kyc=True, terms=True)
        elif card.status == "L":
            self.change_block_code(card_id, "unlock")
        else:
            room = self.caps[card.account_id] - card.balance
            self.load_card(card_id, Money(max(Decimal(1), _share(room, share))))

    @rule(card_id=cards, amount=strategies.money("0.01", "3000.00"))
    def load_card(self, card_id: str, amount: Money) -> None:
        card = self.model[card_id]
        refusals = self.load_refusals(card, amount)
        self.run(refusals, lambda: self.core.load_card(card.account_id, card_id, amount))
        if not refusals:
            card.balance += amount.amount

    @rule(card_id=cards, amount=strategies.money("0.01", "3000.00"))
    def a_retried_load_counts_once(self, card_id: str, amount: Money) -> None:
        """A load retried with its idempotency key gets the first outcome and writes nothing."""
        card, key = self.model[card_id], f"load-{uuid4().hex}"
        refusals = self.load_refusals(card, amount)
        load = lambda: self.core.load_card(  # noqa: E731
            card.account_id, card_id, amount, idempotency_key=key
        )
        first = self.run(refusals, load, keyed=True)
        if not refusals:
            card.balance += amount.amount
        before = self.written()
        assert (self.run(refusals, load), self.written()) == (first, before)

    def load_refusals(self, card: CardModel, amount: Money) -> set[type[PaycoreError]]:
        return _refusals(
            (amount.amount < 1, errors.LoadBelowMinimum),
            (card.kind is CardKind.GIFT, errors.GiftCardReload),
            (card.status == "BL", errors.CardBlocked),
            (card.balance + amount.amount > self.caps[card.account_id], errors.BalanceCapExceeded),
        )

    @rule(
        card_id=cards,
        share=st.integers(1, 120),
        channel=strategies.channels(),
        day=st.integers(0, 20),
        hour=st.integers(0, 23),
    )
    def spend(self, card_id: str, share: int, channel: Channel, day: int, hour: int) -> None:
        """A card transaction (a share of the balance), reported in any order of days;
        limits count Indian days."""
        card = self.model[card_id]
        amount = Money(max(Decimal("0.01"), _share(card.balance, share)))
        at = datetime.combine(SPEND_DAYS_FROM, datetime.min.time(), UTC) + timedelta(
            days=day, hours=hour
        )
        on_day = _indian_day(at)
        day_total, day_count = card.spent(lambda t: _indian_day(t) == on_day)
        month_total, month_count = card.spent(lambda t: _indian_day(t)[:7] == on_day[:7])
        limits = card.controls
        value = amount.amount
        refusals = _refusals(
            (card.status != "UL", errors.CardNotUsable),
            (channel in limits.disabled_channels, errors.ChannelDisabled),
            (value > card.balance, errors.InsufficientBalance),
            (
                _over(value, limits.per_transaction)
                or _over(day_total + value, limits.daily_amount)
                or _over(day_count + 1, limits.daily_count)
                or _over(month_total + value, limits.monthly_amount)
                or _over(month_count + 1, limits.monthly_count),
                errors.SpendLimitExceeded,
            ),
        )
        command = lambda: self.core.record_card_spend(  # noqa: E731
            card.account_id, card_id, amount, channel, f"TX{uuid4().hex}", at
        )
        self.run(refusals, command)
        if not refusals:
            card.balance -= value
            card.spends.append((at, value))

    @rule(card_id=cards, others=st.integers(0, 2), controls=strategies.usage_controls())
    def set_usage_controls(self, card_id: str, others: int, controls: UsageControls) -> None:
        account_id = self.model[card_id].account_id
        same_account = [c for c, m in self.model.items() if m.account_id == account_id]
        card_ids = [card_id, *[c for c in same_account if c != card_id][:others]]
        blocked = any(self.model[c].status == "BL" for c in card_ids)
        command = lambda: self.core.set_usage_controls(account_id, card_ids, controls)  # noqa: E731
        self.run(_refusals((blocked, errors.CardBlocked)), command)
        if not blocked:
            for changed in card_ids:
                self.model[changed].controls = controls

    @rule(card_id=cards, move=st.sampled_from(["lock", "unlock", "block"]))
    def change_block_code(self, card_id: str, move: str) -> None:
        card = self.model[card_id]
        target = {"lock": "L", "unlock": "UL", "block": "BL"}[move]
        allowed = {"AP": {"BL"}, "UL": {"L", "BL"}, "L": {"UL", "BL"}, "BL": set()}
        refusals = _refusals((target not in allowed[card.status], errors.CardTransitionError))
        command = getattr(self.core, f"{move}_card")
        self.run(refusals, lambda: command(card.account_id, card_id))
        if not refusals:
            card.status, card.otp = target, None

    @rule(target=cards, card_id=cards)
    def replace_card(self, card_id: str) -> Any:
        """The old card is blocked and its balance moves to the new card, which is the
        same holder's; a forgotten holder's card is not replaced, and a physical one
        needs the holder's delivery address."""
        old = self.model[card_id]
        holder = None if old.holder_id is None else self.holders_model[old.holder_id]
        refusals = _refusals(
            (old.status == "BL", errors.CardTransitionError),
            (holder is not None and holder.forgotten, errors.HolderForgotten),
            (
                holder is not None
                and not holder.forgotten
                and old.form is CardForm.PHYSICAL
                and not all(f in holder.details for f in DELIVERY_REQUIRED),
                errors.InvalidArgument,
            ),
        )
        new_id = self.run(refusals, lambda: self.core.replace_card(old.account_id, card_id))
        if new_id is None:
            return multiple()
        self.model[new_id] = CardModel(
            old.account_id,
            old.kind,
            status="UL" if old.activated else "AP",
            activated=old.activated,
            balance=old.balance,
            controls=old.controls,
            form=old.form,
            holder_id=old.holder_id,
        )
        if holder is not None:
            holder.cards.append(f"{old.account_id}/{new_id}")
        old.status, old.balance, old.otp = "BL", Decimal(0), None
        return new_id

    @rule(card_id=cards)
    def request_card_otp(self, card_id: str) -> None:
        card = self.model[card_id]
        refusals = _refusals((card.status == "BL", errors.CardBlocked))
        issued = self.run(refusals, lambda: self.core.request_card_otp(card.account_id, card_id))
        if issued is not None:
            card.otp, card.otp_expires_at, card.otp_failures = issued.otp, issued.expires_at, 0

    @rule(card_id=cards, right=st.booleans(), wrong=strategies.otps())
    def verify_card_otp(self, card_id: str, right: bool, wrong: str) -> None:
        """A matching OTP is consumed; a wrong one counts towards the limit."""
        card = self.model[card_id]
        otp = card.otp if right and card.otp else wrong
        outcome = _otp_outcome(card.otp, card.otp_expires_at, card.otp_failures, otp, self.now())
        self.run(outcome.refusals, lambda: self.core.verify_card_otp(card.account_id, card_id, otp))
        card.otp_failures += outcome.counts_failure
        if outcome.consumed:
            card.otp = None

    @invariant()
    def holders_read_as_the_model_says(self) -> None:
        """A holder's details read back in clear until they are forgotten, then every field
        reads Erased; their cards are the ones issued to them."""
        for holder_id, model in self.holders_model.items():
            holder = self.core.get_holder(holder_id)
            expected = {f: Erased(f) for f in model.details} if model.forgotten else model.details
            assert self.core.holder_details(holder) == expected, f"holder {holder_id}"
            assert (holder.cards, holder.forgotten) == (model.cards, model.forgotten)

    @invariant()
    def card_balances_stay_between_zero_and_the_cap(self) -> None:
        """A card's balance is never below zero nor above its account's cap."""
        for card_id, card in self.model.items():
            balance = self.card(card_id).balance.amount
            assert 0 <= balance <= self.caps[card.account_id], f"card {card_id}: {balance}"

    @invariant()
    def cards_agree_with_the_model(self) -> None:
        """Each card's block code, balance and wrong OTP attempts are those predicted."""
        for card_id, card in self.model.items():
            live = self.card(card_id)
            assert (str(live.block_code), live.balance.amount, _failures(live.otp)) == (
                card.status,
                card.balance,
                card.otp_failures if card.otp else 0,
            ), f"card {card_id}"


def _over(value: Decimal | int, limit: Money | int | None) -> bool:
    if limit is None:
        return False
    return value > (limit.amount if isinstance(limit, Money) else limit)


def _indian_day(at: datetime) -> str:
    """``YYYY-MM-DD`` of the Indian calendar day ``at`` falls on."""
    return at.astimezone(INDIA).date().isoformat()

"""Stateful machines that drive :class:`~paycore.domain.core.PaymentsCore` against a
small reference model and check paycore's invariants after every step.

Each machine keeps plain records of what it expects (statuses, balances, reservations),
runs commands with valid arguments in any order, expects the precise typed refusal
whenever the model says a rule forbids a command (and that the refusal wrote nothing),
and checks after each step that:

- the core agrees with the model;
- amounts stay within their bounds (an invoice's outstanding never goes below zero,
  its reserved and settled payments never exceed what is owed, a card balance stays
  between zero and the account's cap, a purchase order is never over-fulfilled);
- a terminal status never changes;
- replaying an aggregate's stored events gives the state the command left it in, and
  rebuilding it from its latest snapshot gives the same state again.

Every example uses fresh aggregates (new uuid4 ids and objectIds), so one core, and one
store, can serve every example of a test. A host service runs the machines on its own
store, with its own wiring of ``PaymentsCore`` (pytest or unittest collect the class):

    >>> from hypothesis import settings
    >>> from paycore.domain.core import PaymentsCore
    >>> from paycore.domain.testing.machines import PurchaseOrderMachine, machine_for
    >>> core = PaymentsCore("memory://")
    >>> TestPurchaseOrders = machine_for(PurchaseOrderMachine, lambda: core)
    >>> TestPurchaseOrders.settings = settings(max_examples=5, stateful_step_count=10)
    >>> TestPurchaseOrders().runTest()

The machines set the core's ``clock`` (to a :class:`ManualClock`) and its
``snapshotting_intervals`` (to :data:`SNAPSHOT_INTERVAL`), and never close the core.
"""

from __future__ import annotations

import copy
import unittest
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import project_aggregate
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from paycore.domain import errors
from paycore.domain.aggregate import ObjectVersion, PaycoreAggregate
from paycore.domain.card_account import CardAccount, CardForm, CardKind, Channel, UsageControls
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import PaycoreError
from paycore.domain.invoice import Invoice, NoteType
from paycore.domain.money import Money, MoneyError
from paycore.domain.otp import OTP_LIFETIME, OTP_MAX_ATTEMPTS, OtpChallenge
from paycore.domain.payment import Payment
from paycore.domain.purchase_order import PurchaseOrder
from paycore.domain.testing import strategies

__all__ = [
    "SNAPSHOT_INTERVAL",
    "CardAccountMachine",
    "InvoiceMachine",
    "ManualClock",
    "PaycoreMachine",
    "PaymentMachine",
    "PurchaseOrderMachine",
    "bind",
    "machine_for",
]

#: Every this many events of an aggregate the core takes a snapshot while a machine runs.
SNAPSHOT_INTERVAL = 3
Refusals = Collection[type[PaycoreError]]
R = TypeVar("R")
M = TypeVar("M", bound="PaycoreMachine")


class ManualClock:
    """A clock the machine moves on by hand: OTPs expire when it says so."""

    def __init__(self, start: datetime = datetime(2026, 1, 1, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


class _LiveAggregates:
    """Stands in for ``core.save``: keeps a copy of each aggregate as its command left it."""

    def __init__(self, save: Callable[..., Any]) -> None:
        self.save = save
        self.latest: dict[UUID, PaycoreAggregate] = {}

    def __call__(self, *aggregates: PaycoreAggregate, **kwargs: Any) -> Any:
        recordings = self.save(*aggregates, **kwargs)
        for aggregate in aggregates:
            self.latest[aggregate.id] = copy.deepcopy(aggregate)
        return recordings


def _live_aggregates(core: PaymentsCore) -> _LiveAggregates:
    """The live aggregates of ``core``, observed from now on (once per core)."""
    save: Any = core.save
    if isinstance(save, _LiveAggregates):
        return save
    live = _LiveAggregates(save)
    core.save = live  # type: ignore[method-assign, assignment]
    return live


def _object_id(prefix: str) -> str:
    """A fresh B2B objectId, so examples sharing a store never meet."""
    return prefix + uuid4().hex


class PaycoreMachine(RuleBasedStateMachine):
    """What every machine shares: the core, refusals, terminal states, replay checks.

    Subclasses list the aggregates they created in ``self.aggregates`` and report the
    status of each thing with a lifecycle through :meth:`statuses`.
    """

    #: Builds (or hands out a shared) ``PaymentsCore`` for each example.
    core_factory: ClassVar[Callable[[], PaymentsCore] | None] = None
    #: Statuses from which nothing moves on.
    TERMINAL: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, core: PaymentsCore | None = None) -> None:
        super().__init__()
        factory = type(self).core_factory
        if core is None and factory is None:
            msg = f"{type(self).__name__} needs a core: machine_for(machine, core_factory)"
            raise TypeError(msg)
        self.core = core if core is not None else factory()  # type: ignore[misc]
        self.clock = ManualClock()
        self.core.clock = self.clock
        # eventsourcing reads the intervals through the instance when it saves.
        self.core.snapshotting_intervals = dict.fromkeys(  # type: ignore[misc]
            (CardAccount, Invoice, Payment, PurchaseOrder), SNAPSHOT_INTERVAL
        )
        self.live = _live_aggregates(self.core)
        self.aggregates: list[UUID] = []
        self.final: dict[str, str] = {}
        self.checked: dict[str, dict[UUID, int]] = {"replay": {}, "snapshot": {}}

    # Running commands.

    def written(self) -> int:
        """The position of the latest stored event."""
        return self.core.recorder.max_notification_id() or 0

    def run(self, refusals: Refusals, command: Callable[[], R], *, keyed: bool = False) -> R | None:
        """Runs ``command``; when ``refusals`` is not empty, expects one of them instead.

        A refusal writes nothing, but for the record of its outcome under the caller's
        idempotency key (``keyed``) and the events of refusals that record them.
        """
        if not refusals:
            return command()
        before = self.written()
        try:
            result = command()
        except PaycoreError as error:
            refusal = error
        else:
            msg = f"expected {_names(refusals)}, but the command was accepted: {result!r}"
            raise AssertionError(msg)
        assert isinstance(refusal, tuple(refusals)), (
            f"expected {_names(refusals)}, got {type(refusal).__name__}: {refusal}"
        )
        if not refusal.records_events:
            wrote = self.written() - before
            assert wrote == int(keyed), f"the refusal {refusal.code} wrote {wrote} events"
        return None

    def live_state(self, aggregate_id: UUID) -> Any:
        """The aggregate as the latest command that changed it left it."""
        return self.live.latest[aggregate_id]

    def statuses(self) -> dict[str, str]:
        """The current status of everything with a lifecycle, by a name for it."""
        return {}

    def changed_since(self, check: str) -> list[UUID]:
        """The aggregates that changed since ``check`` last looked (stored events never do)."""
        seen = self.checked[check]
        changed = [i for i in self.aggregates if seen.get(i) != self.live_state(i).version]
        seen.update((i, self.live_state(i).version) for i in changed)
        return changed

    # Rules every machine has.

    @rule(minutes=st.sampled_from([1, 5, 11]))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    @precondition(lambda self: bool(self.aggregates))
    @rule(data=st.data())
    def take_a_snapshot(self, data: st.DataObject) -> None:
        """Snapshots an aggregate at its current version, unless one is there already."""
        aggregate_id = data.draw(st.sampled_from(self.aggregates))
        assert self.core.snapshots is not None
        latest = list(self.core.snapshots.get(aggregate_id, desc=True, limit=1))
        if not latest or latest[0].originator_version < self.live_state(aggregate_id).version:
            self.core.take_snapshot(aggregate_id)
            self.checked["snapshot"].pop(aggregate_id, None)

    # Invariants every machine has.

    @invariant()
    def terminal_states_never_change(self) -> None:
        """Once terminal, a status never changes."""
        for name, status in self.statuses().items():
            if name in self.final:
                assert status == self.final[name], f"{name} left {self.final[name]} for {status}"
            elif status in self.TERMINAL:
                self.final[name] = status

    @invariant()
    def replaying_the_events_gives_the_live_state(self) -> None:
        """Replaying an aggregate's stored events gives the state its last command left."""
        for aggregate_id in self.changed_since("replay"):
            assert _replayed(self.core, aggregate_id) == self.live_state(aggregate_id)

    @invariant()
    def a_snapshot_rebuilds_the_state_the_events_give(self) -> None:
        """Rebuilding from the latest snapshot equals rebuilding from the events alone."""
        for aggregate_id in self.changed_since("snapshot"):
            from_snapshot = self.core.repository.get(aggregate_id)
            assert from_snapshot == _replayed(self.core, aggregate_id)


def _replayed(core: PaymentsCore, aggregate_id: UUID) -> Any:
    """The aggregate folded from its stored events alone, ignoring snapshots."""
    return project_aggregate(None, core.events.get(aggregate_id))


def _names(refusals: Refusals) -> str:
    return " or ".join(sorted(r.__name__ for r in refusals))


def bind(machine: type[M], core_factory: Callable[[], PaymentsCore]) -> type[M]:
    """``machine`` running on the cores ``core_factory`` gives."""
    return type(machine.__name__, (machine,), {"core_factory": staticmethod(core_factory)})


def machine_for(
    machine: type[M], core_factory: Callable[[], PaymentsCore]
) -> type[unittest.TestCase]:
    """A ``TestCase`` running ``machine`` on the cores ``core_factory`` gives."""
    test_case: type[unittest.TestCase] = bind(machine, core_factory).TestCase
    return test_case


def _refusals(*pairs: tuple[bool, type[PaycoreError]]) -> set[type[PaycoreError]]:
    """The refusals whose condition holds."""
    return {error for condition, error in pairs if condition}


# Cards.


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

    def spent(self, same: Callable[[datetime], bool]) -> tuple[Decimal, int]:
        amounts = [amount for at, amount in self.spends if same(at)]
        return sum(amounts, Decimal(0)), len(amounts)


def _share(amount: Decimal, percent: int) -> Decimal:
    """``percent`` % of ``amount``, in whole paise."""
    return (amount * percent / 100).quantize(Decimal("0.01"))


def _over(value: Decimal | int, limit: Money | int | None) -> bool:
    if limit is None:
        return False
    return value > (limit.amount if isinstance(limit, Money) else limit)


#: The first day a machine's card transactions happen on; they spread over two months.
SPEND_DAYS_FROM = date(2026, 1, 20)
#: Spend limits count Indian calendar days and months.
INDIA = timezone(timedelta(hours=5, minutes=30))


def _indian_day(at: datetime) -> str:
    """``YYYY-MM-DD`` of the Indian calendar day ``at`` falls on."""
    return at.astimezone(INDIA).date().isoformat()


class CardAccountMachine(PaycoreMachine):
    """Card accounts and their cards: issue, activate, load, spend, controls, OTPs, block codes."""

    TERMINAL: ClassVar[frozenset[str]] = frozenset({"BL"})
    cards = Bundle("cards")

    def __init__(self, core: PaymentsCore | None = None) -> None:
        super().__init__(core)
        self.caps: dict[UUID, Decimal] = {}
        self.model: dict[str, CardModel] = {}

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

    def issue(self, account_id: UUID, kind: CardKind, form: CardForm, load: Money) -> str | None:
        """Issues a card, or expects the refusal the rules call for (then None)."""
        refusals = _refusals(
            (
                (load or kind is CardKind.GIFT) and load.amount < 1,
                errors.LoadBelowMinimum,
            ),
            (load.amount > self.caps[account_id], errors.BalanceCapExceeded),
        )
        card_id = self.run(refusals, lambda: self.core.issue_card(account_id, kind, form, load))
        if card_id is not None:
            self.model[card_id] = CardModel(account_id, kind, balance=load.amount)
        return card_id

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
        """The old card is blocked and its balance moves to the new card."""
        old = self.model[card_id]
        refusals = _refusals((old.status == "BL", errors.CardTransitionError))
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
        )
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
        outcome = _otp_outcome(
            card.otp, card.otp_expires_at, card.otp_failures, otp, self.clock.now
        )
        self.run(outcome.refusals, lambda: self.core.verify_card_otp(card.account_id, card_id, otp))
        card.otp_failures += outcome.counts_failure
        if outcome.consumed:
            card.otp = None

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


def _failures(challenge: OtpChallenge | None) -> int:
    """Wrong attempts made at an OTP still held (none when no OTP is held)."""
    return challenge.failed_attempts if challenge else 0


@dataclass(frozen=True)
class OtpOutcome:
    refusals: set[type[PaycoreError]]
    counts_failure: int
    consumed: bool


def _otp_outcome(
    issued: str | None, expires_at: datetime | None, failures: int, given: str, now: datetime
) -> OtpOutcome:
    """What checking ``given`` against an issued OTP does, by the rules."""
    if issued is None or expires_at is None:
        return OtpOutcome({errors.OtpNotRequested}, 0, consumed=False)
    if now >= expires_at:
        return OtpOutcome({errors.OtpExpired}, 0, consumed=False)
    if failures >= OTP_MAX_ATTEMPTS:
        return OtpOutcome({errors.OtpAttemptsExhausted}, 0, consumed=False)
    if given != issued:
        last = failures + 1 >= OTP_MAX_ATTEMPTS
        refusal = errors.OtpAttemptsExhausted if last else errors.OtpMismatch
        return OtpOutcome({refusal}, 1, consumed=False)
    return OtpOutcome(set(), 0, consumed=True)


# Invoices.


@dataclass
class InvoiceModel:
    total: Decimal
    allows_partial: bool
    status: str = "CREATED"
    object_version: int = 1
    notes: dict[str, tuple[NoteType, Decimal]] = field(default_factory=dict)
    confirmed: set[str] = field(default_factory=set)
    settled: Decimal = Decimal(0)
    reservations: dict[UUID, Decimal] = field(default_factory=dict)

    def confirmed_notes(self, note_type: NoteType) -> Decimal:
        notes = (self.notes[n] for n in self.confirmed)
        return sum((amount for kind, amount in notes if kind is note_type), Decimal(0))

    @property
    def owed(self) -> Decimal:
        return (
            self.total
            + self.confirmed_notes(NoteType.DEBIT)
            - self.confirmed_notes(NoteType.CREDIT)
        )

    @property
    def reserved(self) -> Decimal:
        return sum(self.reservations.values(), Decimal(0))

    @property
    def outstanding(self) -> Decimal:
        return self.owed - self.settled - self.reserved

    @property
    def payable(self) -> bool:
        return self.status in {"ACCEPTED", "PARTIALLY_PAID"}

    def status_after_payment(self) -> str:
        paid = self.settled and not self.reservations and self.settled == self.owed
        return "PAID" if paid else ("PARTIALLY_PAID" if self.settled else self.status)


def _owed(invoice: Invoice) -> Decimal:
    """Total + confirmed debit notes - confirmed credit notes."""
    notes = [n for n in invoice.notes.values() if n.confirmed]
    debits = sum((n.amount.amount for n in notes if n.note_type is NoteType.DEBIT), Decimal(0))
    credits = sum((n.amount.amount for n in notes if n.note_type is NoteType.CREDIT), Decimal(0))
    return invoice.total.amount + debits - credits


def _reported_outstanding(invoice: Invoice) -> Decimal:
    """The outstanding the invoice itself reports (and decides by)."""
    try:
        return invoice.outstanding.amount
    except MoneyError:  # Money cannot hold a negative amount: the outstanding is below zero
        return _owed(invoice) - invoice.settled.amount - invoice.reserved.amount


INVOICE_TOTALS = strategies.money("1.00", "500.00")
#: How a B2B message's objectVersion relates to the one held.
VERSIONS = st.sampled_from(["none", "next", "stale", "skipped"])


def _message_version(held: int, kind: str) -> tuple[ObjectVersion | None, set[type[PaycoreError]]]:
    """The objectVersion a message of ``kind`` carries, and the refusal it calls for."""
    messages: dict[str, tuple[ObjectVersion | None, set[type[PaycoreError]]]] = {
        "none": (None, set()),
        "next": (ObjectVersion(held, held + 1), set()),
        "stale": (ObjectVersion(held - 1, held), {errors.StaleObjectVersion}),
        "skipped": (ObjectVersion(held + 1, held + 2), {errors.ObjectVersionGap}),
    }
    return messages[kind]


#: Statuses an invoice's supplier may still cancel from (before any payment).
CANCELLABLE = frozenset({"CREATED", "RETURNED", "ACCEPTED"})
NOTES_APPLY = frozenset({"CREATED", "RETURNED", "ACCEPTED", "PARTIALLY_PAID"})


class InvoiceMachine(PaycoreMachine):
    """Invoices: the buyer's response, supplier edits and cancellation, notes, objectVersions."""

    TERMINAL: ClassVar[frozenset[str]] = frozenset({"REJECTED", "CANCELLED", "PAID"})
    invoices = Bundle("invoices")

    def __init__(self, core: PaymentsCore | None = None) -> None:
        super().__init__(core)
        self.invoice_model: dict[UUID, InvoiceModel] = {}
        self.object_ids: dict[UUID, str] = {}
        self.notes = 0

    def statuses(self) -> dict[str, str]:
        return {f"invoice {i}": str(self.live_state(i).status) for i in self.invoice_model}

    @initialize(target=invoices, total=INVOICE_TOTALS, allows_partial=st.booleans())
    def start_with_an_invoice(self, total: Money, allows_partial: bool) -> UUID:
        return self.receive(total, allows_partial)

    @rule(target=invoices, total=INVOICE_TOTALS, allows_partial=st.booleans())
    def receive_invoice(self, total: Money, allows_partial: bool) -> UUID:
        return self.receive(total, allows_partial)

    def receive(self, total: Money, allows_partial: bool) -> UUID:
        object_id = _object_id("INV")
        invoice_id = self.deliver(object_id, total, allows_partial)
        self.invoice_model[invoice_id] = InvoiceModel(total.amount, allows_partial)
        self.object_ids[invoice_id] = object_id
        self.aggregates.append(invoice_id)
        return invoice_id

    def deliver(self, object_id: str, total: Money, allows_partial: bool) -> UUID:
        """The supplier's invoice message, as the webhook inbox would pass it on."""
        return self.core.receive_invoice(
            object_id,
            "SUP-1",
            total,
            allows_partial=allows_partial,
            buyer_b2b_id="BUYER",
            supplier_b2b_id="SUPPLIER",
        )

    @rule(invoice_id=invoices)
    def redelivered_invoice_is_not_a_duplicate(self, invoice_id: UUID) -> None:
        object_id = self.object_ids[invoice_id]
        self.run({errors.AlreadyExists}, lambda: self.deliver(object_id, Money("1.00"), True))

    @rule(
        invoice_id=invoices,
        response=strategies.buyer_responses(),
        version=VERSIONS,
    )
    def respond(self, invoice_id: UUID, response: str, version: str) -> None:
        invoice = self.invoice_model[invoice_id]
        given, refusals = _message_version(invoice.object_version, version)
        refusals |= _refusals((invoice.status != "CREATED", errors.InvoiceTransitionError))
        command = lambda: self.core.respond_to_invoice(  # noqa: E731
            invoice_id, response, "remarks", object_version=given
        )
        self.run(refusals, command)
        if not refusals:
            invoice.status = {"ACCEPT": "ACCEPTED", "REJECT": "REJECTED", "RETURN": "RETURNED"}[
                response
            ]
            invoice.object_version += 1

    @precondition(
        lambda self: any(m.status in {"CREATED", "RETURNED"} for m in self.invoice_model.values())
    )
    @rule(data=st.data(), response=st.sampled_from(["ACCEPT", "RETURN"]), total=INVOICE_TOTALS)
    def move_an_invoice_on(self, data: st.DataObject, response: str, total: Money) -> None:
        """The buyer accepts or returns a new invoice; the supplier edits a returned one."""
        invoice_id = data.draw(
            st.sampled_from(
                [i for i, m in self.invoice_model.items() if m.status in {"CREATED", "RETURNED"}]
            )
        )
        if self.invoice_model[invoice_id].status == "CREATED":
            self.respond(invoice_id, response, "next")
        else:
            self.edit(invoice_id, total, allows_partial=True)

    @rule(invoice_id=invoices, total=INVOICE_TOTALS, allows_partial=st.booleans())
    def edit(self, invoice_id: UUID, total: Money, allows_partial: bool) -> None:
        """A returned invoice, edited, is CREATED again; its notes still never overpay it."""
        invoice = self.invoice_model[invoice_id]
        owed_after = invoice.owed - invoice.total + total.amount
        refusals = _refusals(
            (invoice.status != "RETURNED", errors.InvoiceTransitionError),
            (owed_after < invoice.settled + invoice.reserved, errors.CdNoteExceedsOutstanding),
        )
        command = lambda: self.core.edit_invoice(  # noqa: E731
            invoice_id, "SUP-1-EDITED", total, allows_partial=allows_partial
        )
        self.run(refusals, command)
        if not refusals:
            invoice.total, invoice.allows_partial = total.amount, allows_partial
            invoice.status, invoice.object_version = "CREATED", invoice.object_version + 1

    @rule(invoice_id=invoices)
    def cancel(self, invoice_id: UUID) -> None:
        """The supplier may cancel before any payment is settled or in flight."""
        invoice = self.invoice_model[invoice_id]
        refusals = _refusals(
            (invoice.status not in CANCELLABLE, errors.InvoiceTransitionError),
            (bool(invoice.settled or invoice.reservations), errors.InvoiceHasPayments),
        )
        self.run(refusals, lambda: self.core.cancel_invoice(invoice_id, "withdrawn"))
        if not refusals:
            invoice.status, invoice.object_version = "CANCELLED", invoice.object_version + 1

    @rule(invoice_id=invoices, note_type=strategies.note_types(), amount=INVOICE_TOTALS)
    def receive_note(self, invoice_id: UUID, note_type: NoteType, amount: Money) -> None:
        invoice = self.invoice_model[invoice_id]
        self.notes += 1
        note_id = f"CDN{self.notes}"
        refusals = _refusals((invoice.status not in NOTES_APPLY, errors.CdNoteError))
        command = lambda: self.core.receive_cd_note(  # noqa: E731
            invoice_id, note_id, note_type, amount
        )
        self.run(refusals, command)
        if not refusals:
            invoice.notes[note_id] = (note_type, amount.amount)

    @precondition(lambda self: any(m.notes for m in self.invoice_model.values()))
    @rule(data=st.data())
    def confirm_note(self, data: st.DataObject) -> None:
        """A note counts once confirmed; a credit note never takes the outstanding below zero."""
        invoice_id, note_id = data.draw(
            st.sampled_from(
                [(i, n) for i, m in self.invoice_model.items() for n in sorted(m.notes)]
            )
        )
        invoice = self.invoice_model[invoice_id]
        note_type, amount = invoice.notes[note_id]
        refusals = _refusals(
            (invoice.status not in NOTES_APPLY or note_id in invoice.confirmed, errors.CdNoteError),
            (
                note_type is NoteType.CREDIT and amount > invoice.outstanding,
                errors.CdNoteExceedsOutstanding,
            ),
        )
        self.run(refusals, lambda: self.core.confirm_cd_note(invoice_id, note_id))
        if not refusals:
            invoice.confirmed.add(note_id)
            if invoice.settled:
                invoice.status = invoice.status_after_payment()

    @invariant()
    def outstanding_never_goes_below_zero(self) -> None:
        """An invoice's outstanding is never below zero."""
        for invoice_id in self.invoice_model:
            outstanding = _reported_outstanding(self.live_state(invoice_id))
            assert outstanding >= 0, f"invoice {invoice_id} has {outstanding} outstanding"

    @invariant()
    def reserved_and_settled_never_exceed_what_is_owed(self) -> None:
        """Reserved plus settled never exceed total + debit notes - credit notes."""
        for invoice_id in self.invoice_model:
            invoice = self.live_state(invoice_id)
            reserved = sum((m.amount for m in invoice.reservations.values()), Decimal(0))
            paid, owed = invoice.settled.amount + reserved, _owed(invoice)
            assert paid <= owed, f"invoice {invoice_id}: {paid} paid or in flight, {owed} owed"

    @invariant()
    def invoices_agree_with_the_model(self) -> None:
        """Each invoice's status, objectVersion, total and payments are those predicted."""
        for invoice_id, model in self.invoice_model.items():
            live = self.live_state(invoice_id)
            reservations = {UUID(p): m.amount for p, m in live.reservations.items()}
            assert (
                str(live.status),
                live.object_version,
                live.total.amount,
                live.settled.amount,
                reservations,
            ) == (
                model.status,
                model.object_version,
                model.total,
                model.settled,
                model.reservations,
            ), f"invoice {invoice_id}"


# Payments (with the invoices they pay).


@dataclass
class PaymentModel:
    allocations: dict[UUID, Decimal]
    status: str = "INITIATED"
    otp: str | None = None
    otp_expires_at: datetime | None = None
    otp_failures: int = 0


PAYMENT_MOVES = {
    "INITIATED": {"OTP_SENT", "FAILED"},
    "OTP_SENT": {"OTP_SENT", "AUTHORISED", "FAILED"},
    "AUTHORISED": {"SUBMITTED", "FAILED"},
    "SUBMITTED": {"SUCCEEDED", "FAILED"},
    "SUCCEEDED": set(),
    "FAILED": set(),
}


class PaymentMachine(InvoiceMachine):
    """Invoices and the payments against them: full and partial, OTPs, outcomes, notes."""

    TERMINAL: ClassVar[frozenset[str]] = InvoiceMachine.TERMINAL | {"SUCCEEDED", "FAILED"}
    payments = Bundle("payments")

    def __init__(self, core: PaymentsCore | None = None) -> None:
        super().__init__(core)
        self.payment_model: dict[UUID, PaymentModel] = {}

    def statuses(self) -> dict[str, str]:
        payments = {f"payment {p}": str(self.live_state(p).status) for p in self.payment_model}
        return {**super().statuses(), **payments}

    @initialize(target=payments, total=INVOICE_TOTALS, share=st.integers(1, 100))
    def start_with_a_payment(self, total: Money, share: int) -> Any:
        """Every example starts with an accepted invoice and a payment against it."""
        invoice_id = self.receive_accepted_invoice(total, allows_partial=True)
        amount = Money(max(Decimal(1), _share(total.amount, share)))
        return self.initiate_partial_payment(invoice_id, amount)

    @rule(target=InvoiceMachine.invoices, total=INVOICE_TOTALS, allows_partial=st.booleans())
    def receive_accepted_invoice(self, total: Money, allows_partial: bool) -> UUID:
        invoice_id = self.receive(total, allows_partial)
        self.core.respond_to_invoice(invoice_id, "ACCEPT", "ok")
        self.invoice_model[invoice_id].status = "ACCEPTED"
        self.invoice_model[invoice_id].object_version += 1
        return invoice_id

    def _initiate(
        self,
        refusals: Refusals,
        invoice_ids: list[UUID],
        allocations: dict[UUID, Decimal],
        **kwargs: Any,
    ) -> Any:
        command = lambda: self.core.initiate_payment(invoice_ids, **kwargs)  # noqa: E731
        payment_id = self.run(refusals, command)
        if payment_id is None:
            return multiple()
        self.payment_model[payment_id] = PaymentModel(allocations)
        self.aggregates.append(payment_id)
        return payment_id

    @rule(
        target=payments,
        invoice_ids=st.lists(InvoiceMachine.invoices, min_size=1, max_size=3),
    )
    def initiate_full_payment(self, invoice_ids: list[UUID]) -> Any:
        """A full payment pays the outstanding of every invoice it names."""
        named = [self.invoice_model[i] for i in invoice_ids]
        refusals = _refusals(
            (len(set(invoice_ids)) != len(invoice_ids), errors.PaymentInvoicesError),
            (not all(i.payable for i in named), errors.InvoiceNotPayable),
            (any(i.outstanding <= 0 for i in named), errors.PartialPaymentAmount),
        )
        allocations = {i: self.invoice_model[i].outstanding for i in invoice_ids}
        return self._initiate(refusals, invoice_ids, allocations)

    def payable_invoices(self) -> list[UUID]:
        return [i for i, m in self.invoice_model.items() if m.payable and m.outstanding > 0]

    @precondition(lambda self: bool(self.payable_invoices()))
    @rule(target=payments, data=st.data())
    def pay_what_is_outstanding(self, data: st.DataObject) -> Any:
        """A full payment of an invoice that has something outstanding."""
        return self.initiate_full_payment([data.draw(st.sampled_from(self.payable_invoices()))])

    @precondition(lambda self: bool(self.payable_invoices()))
    @rule(target=payments, data=st.data())
    def a_retried_payment_is_made_once(self, data: st.DataObject) -> Any:
        """A payment retried with its idempotency key is the same payment; nothing is written."""
        invoice_id = data.draw(st.sampled_from(self.payable_invoices()))
        key = f"pay-{uuid4().hex}"
        outstanding = {invoice_id: self.invoice_model[invoice_id].outstanding}
        payment_id = self._initiate(set(), [invoice_id], outstanding, idempotency_key=key)
        before = self.written()
        again = self.core.initiate_payment([invoice_id], idempotency_key=key)
        assert (again, self.written()) == (payment_id, before)
        return payment_id

    @rule(target=payments, invoice_id=InvoiceMachine.invoices, amount=INVOICE_TOTALS)
    def initiate_partial_payment(self, invoice_id: UUID, amount: Money) -> Any:
        """A partial payment: one invoice that allows it, 1.00 <= amount < outstanding."""
        invoice = self.invoice_model[invoice_id]
        refusals = _refusals(
            (not invoice.payable, errors.InvoiceNotPayable),
            (not invoice.allows_partial, errors.PartialPaymentNotAllowed),
            (amount.amount >= invoice.outstanding, errors.PartialPaymentAmount),
        )
        allocations = {invoice_id: amount.amount}
        return self._initiate(refusals, [invoice_id], allocations, amount=amount)

    def _move(self, payment: PaymentModel, status: str) -> set[type[PaycoreError]]:
        return _refusals(
            (status not in PAYMENT_MOVES[payment.status], errors.PaymentTransitionError)
        )

    def stage(self, payment_id: UUID) -> int:
        """How far along its lifecycle a payment is."""
        return list(PAYMENT_MOVES).index(self.payment_model[payment_id].status)

    def open_payments(self) -> list[UUID]:
        return [p for p, m in self.payment_model.items() if m.status not in self.TERMINAL]

    @precondition(lambda self: bool(self.open_payments()))
    @rule()
    def move_a_payment_on(self) -> None:
        """Takes the furthest open payment one step on: OTP, authorised, submitted, succeeded."""
        payment_id = max(self.open_payments(), key=self.stage)
        status = self.payment_model[payment_id].status
        if status == "INITIATED":
            self.request_otp(payment_id)
        elif status == "OTP_SENT":
            self.authorise(payment_id, right=True, wrong="000000")
        elif status == "AUTHORISED":
            self.submit(payment_id)
        else:
            self.succeed(payment_id)

    @rule(payment_id=payments)
    def request_otp(self, payment_id: UUID) -> None:
        payment = self.payment_model[payment_id]
        refusals = self._move(payment, "OTP_SENT")
        issued = self.run(refusals, lambda: self.core.request_payment_otp(payment_id))
        if issued is not None:
            payment.status, payment.otp, payment.otp_failures = "OTP_SENT", issued.otp, 0
            payment.otp_expires_at = issued.expires_at
            assert issued.expires_at == self.clock.now + OTP_LIFETIME

    @rule(payment_id=payments, right=st.booleans(), wrong=strategies.otps())
    def authorise(self, payment_id: UUID, right: bool, wrong: str) -> None:
        """The OTP must match; then the amount is reserved, never beyond the outstanding."""
        payment = self.payment_model[payment_id]
        otp = payment.otp if right and payment.otp else wrong
        refusals = self._move(payment, "AUTHORISED")
        outcome = OtpOutcome(set(), 0, consumed=False)
        if not refusals:
            outcome = _otp_outcome(
                payment.otp, payment.otp_expires_at, payment.otp_failures, otp, self.clock.now
            )
            refusals = outcome.refusals
        invoices = [self.invoice_model[i] for i in payment.allocations]
        if not refusals:
            refusals = _refusals(
                (not all(i.payable for i in invoices), errors.InvoiceNotPayable),
                (
                    any(payment.allocations[i] > m.outstanding for i, m in self._named(payment)),
                    errors.InvoiceOverpayment,
                ),
            )
        self.run(refusals, lambda: self.core.authorise_payment(payment_id, otp))
        payment.otp_failures += outcome.counts_failure
        if not refusals:
            payment.status, payment.otp = "AUTHORISED", None
            for invoice_id, invoice in self._named(payment):
                invoice.reservations[payment_id] = payment.allocations[invoice_id]

    def _named(self, payment: PaymentModel) -> Iterable[tuple[UUID, InvoiceModel]]:
        return [(i, self.invoice_model[i]) for i in payment.allocations]

    @rule(payment_id=payments)
    def submit(self, payment_id: UUID) -> None:
        payment = self.payment_model[payment_id]
        refusals = self._move(payment, "SUBMITTED")
        self.run(refusals, lambda: self.core.submit_payment(payment_id))
        if not refusals:
            payment.status = "SUBMITTED"

    @rule(payment_id=payments)
    def succeed(self, payment_id: UUID) -> None:
        """The reservations become settled payments; an invoice paid in full is PAID."""
        payment = self.payment_model[payment_id]
        refusals = self._move(payment, "SUCCEEDED")
        self.run(refusals, lambda: self.core.record_payment_success(payment_id, "UTR1"))
        if not refusals:
            payment.status = "SUCCEEDED"
            for _, invoice in self._named(payment):
                invoice.settled += invoice.reservations.pop(payment_id)
                invoice.status = invoice.status_after_payment()

    @rule(payment_id=payments)
    def fail(self, payment_id: UUID) -> None:
        """A failed payment releases its reservations."""
        payment = self.payment_model[payment_id]
        refusals = self._move(payment, "FAILED")
        self.run(refusals, lambda: self.core.record_payment_failure(payment_id, "declined"))
        if not refusals:
            payment.status, payment.otp = "FAILED", None
            for _, invoice in self._named(payment):
                invoice.reservations.pop(payment_id, None)

    @invariant()
    def payments_agree_with_the_model(self) -> None:
        """Each payment's status, amounts and wrong OTP attempts are those predicted."""
        for payment_id, model in self.payment_model.items():
            live = self.live_state(payment_id)
            allocations = {UUID(i): m.amount for i, m in live.allocations.items()}
            assert (str(live.status), allocations, _failures(live.otp)) == (
                model.status,
                model.allocations,
                model.otp_failures if model.otp else 0,
            ), f"payment {payment_id}"


# Purchase orders.


@dataclass
class PurchaseOrderModel:
    total: Decimal
    status: str = "DRAFT"
    object_version: int = 1
    fulfilled: Decimal = Decimal(0)


PO_MOVES = {
    "DRAFT": {"SENT", "CANCELLED"},
    "SENT": {"SENT", "ACCEPTED", "REJECTED", "RETURNED", "CANCELLED"},
    "RETURNED": {"SENT", "CANCELLED"},
    "ACCEPTED": {"PARTIALLY_FULFILLED", "FULFILLED", "CANCELLED"},
    "PARTIALLY_FULFILLED": {"PARTIALLY_FULFILLED", "FULFILLED"},
    "FULFILLED": {"CLOSED"},
    "REJECTED": set(),
    "CANCELLED": set(),
    "CLOSED": set(),
}
#: An edit keeps a draft a draft; an order that went out is sent again.
PO_EDITS = {"DRAFT": "DRAFT", "SENT": "SENT", "RETURNED": "SENT"}


class PurchaseOrderMachine(PaycoreMachine):
    """Purchase orders: draft, send, edit, the supplier's response, fulfilment, close, cancel."""

    TERMINAL: ClassVar[frozenset[str]] = frozenset({"REJECTED", "CANCELLED", "CLOSED"})
    orders = Bundle("orders")

    def __init__(self, core: PaymentsCore | None = None) -> None:
        super().__init__(core)
        self.model: dict[UUID, PurchaseOrderModel] = {}
        self.object_ids: dict[UUID, str] = {}

    def statuses(self) -> dict[str, str]:
        return {f"purchase order {p}": str(self.live_state(p).status) for p in self.model}

    @initialize(target=orders, total=INVOICE_TOTALS)
    def start_with_a_draft(self, total: Money) -> UUID:
        return self.draft_order(total)

    @rule(target=orders, total=INVOICE_TOTALS)
    def draft(self, total: Money) -> UUID:
        return self.draft_order(total)

    def draft_order(self, total: Money) -> UUID:
        object_id = _object_id("PO")
        po_id = self.send_draft(object_id, total)
        self.model[po_id] = PurchaseOrderModel(total.amount)
        self.object_ids[po_id] = object_id
        self.aggregates.append(po_id)
        return po_id

    def send_draft(self, object_id: str, total: Money) -> UUID:
        return self.core.draft_purchase_order(
            object_id, "PO-1", "Laptops", total, buyer_b2b_id="BUYER", supplier_b2b_id="SUPPLIER"
        )

    @rule(po_id=orders)
    def redelivered_draft_is_not_a_duplicate(self, po_id: UUID) -> None:
        object_id = self.object_ids[po_id]
        self.run({errors.AlreadyExists}, lambda: self.send_draft(object_id, Money("1.00")))

    def _change(
        self, po_id: UUID, after: str | None, version: str, command: Callable[..., None]
    ) -> bool:
        """Runs a change that leaves the order in ``after`` (None: not allowed at all)."""
        order = self.model[po_id]
        given, refusals = _message_version(order.object_version, version)
        if after is None:
            refusals.add(errors.PurchaseOrderTransitionError)
        self.run(refusals, lambda: command(po_id, object_version=given))
        if not refusals and after is not None:
            order.status, order.object_version = after, order.object_version + 1
        return not refusals

    def _move(self, po_id: UUID, status: str, version: str, command: Callable[..., None]) -> None:
        allowed = status in PO_MOVES[self.model[po_id].status]
        self._change(po_id, status if allowed else None, version, command)

    def open_orders(self) -> list[UUID]:
        return [p for p, m in self.model.items() if m.status not in self.TERMINAL]

    @precondition(lambda self: bool(self.open_orders()))
    @rule(data=st.data(), value=INVOICE_TOTALS, all_of_it=st.booleans())
    def move_an_order_on(self, data: st.DataObject, value: Money, all_of_it: bool) -> None:
        """Takes an order one step on: sent, accepted, fulfilled, closed."""
        po_id = data.draw(st.sampled_from(self.open_orders()))
        status = self.model[po_id].status
        if status in {"DRAFT", "RETURNED"}:
            self.send(po_id, "next")
        elif status == "SENT":
            self.respond(po_id, "ACCEPT", "next")
        elif status == "FULFILLED":
            self.close(po_id, "next")
        else:
            self.fulfil(po_id, value, all_of_it)

    @rule(po_id=orders, version=VERSIONS)
    def send(self, po_id: UUID, version: str) -> None:
        self._move(po_id, "SENT", version, self.core.send_purchase_order)

    @rule(po_id=orders, version=VERSIONS, total=INVOICE_TOTALS)
    def edit(self, po_id: UUID, version: str, total: Money) -> None:
        """A draft, sent or returned order may be edited; a sent or returned one is sent."""
        order = self.model[po_id]
        command = lambda po, object_version: self.core.edit_purchase_order(  # noqa: E731
            po, "Laptops, revised", total, object_version=object_version
        )
        if self._change(po_id, PO_EDITS.get(order.status), version, command):
            order.total = total.amount

    @rule(po_id=orders, response=strategies.supplier_responses(), version=VERSIONS)
    def respond(self, po_id: UUID, response: str, version: str) -> None:
        status = {"ACCEPT": "ACCEPTED", "REJECT": "REJECTED", "RETURN": "RETURNED"}[response]
        command = lambda po, object_version: self.core.record_po_response(  # noqa: E731
            po, response, "remarks", object_version=object_version
        )
        self._move(po_id, status, version, command)

    @rule(po_id=orders, version=VERSIONS)
    def close(self, po_id: UUID, version: str) -> None:
        self._move(po_id, "CLOSED", version, self.core.close_purchase_order)

    @rule(po_id=orders, version=VERSIONS)
    def cancel(self, po_id: UUID, version: str) -> None:
        command = lambda po, object_version: self.core.cancel_purchase_order(  # noqa: E731
            po, "not needed", object_version=object_version
        )
        self._move(po_id, "CANCELLED", version, command)

    @rule(po_id=orders, value=INVOICE_TOTALS, all_of_it=st.booleans())
    def fulfil(self, po_id: UUID, value: Money, all_of_it: bool) -> None:
        """Goods arrive; never more than was ordered."""
        order = self.model[po_id]
        unfulfilled = order.total - order.fulfilled
        if all_of_it and unfulfilled > 0:
            value = Money(unfulfilled)
        status = "FULFILLED" if value.amount == unfulfilled else "PARTIALLY_FULFILLED"
        refusals = _refusals(
            (value.amount > unfulfilled, errors.PurchaseOrderOverfulfilment),
            (status not in PO_MOVES[order.status], errors.PurchaseOrderTransitionError),
        )
        self.run(refusals, lambda: self.core.record_po_fulfilment(po_id, value))
        if not refusals:
            order.status, order.fulfilled = status, order.fulfilled + value.amount

    @invariant()
    def never_fulfilled_beyond_the_order(self) -> None:
        """A purchase order is never fulfilled beyond its total."""
        for po_id in self.model:
            live = self.live_state(po_id)
            assert 0 <= live.fulfilled.amount <= live.total.amount, f"purchase order {po_id}"

    @invariant()
    def orders_agree_with_the_model(self) -> None:
        """Each order's status, objectVersion and amounts are those predicted."""
        for po_id, model in self.model.items():
            live = self.live_state(po_id)
            assert (str(live.status), live.object_version, live.total.amount) == (
                model.status,
                model.object_version,
                model.total,
            ), f"purchase order {po_id}"
            assert live.fulfilled.amount == model.fulfilled

"""What every machine builds on: the base machine with the rules and invariants they all
have, the clock a host may build its core with, binding a machine to a host's core, and
the rules that more than one machine models (which refusals a command calls for, OTP checks, a B2B
message's objectVersion).
"""

from __future__ import annotations

import copy
import unittest
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import project_aggregate
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from paycore.domain import errors
from paycore.domain.aggregate import ObjectVersion, PaycoreAggregate
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import PaycoreError
from paycore.domain.otp import OTP_MAX_ATTEMPTS, OtpChallenge
from paycore.domain.testing import strategies

Refusals = Collection[type[PaycoreError]]
R = TypeVar("R")
M = TypeVar("M", bound="PaycoreMachine")


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
        self.live = _LiveAggregates(self.core)
        self.aggregates: list[UUID] = []
        self.final: dict[str, str] = {}
        self.checked: dict[str, dict[UUID, int]] = {"replay": {}, "snapshot": {}}

    def teardown(self) -> None:
        self.live.stop()

    def now(self) -> datetime:
        """The time by the core's own clock."""
        return self.core.clock()

    # Running commands.

    def written(self) -> int:
        """The position of the latest stored event (compare positions, never subtract
        them: on PostgreSQL they have gaps)."""
        return self.core.recorder.max_notification_id() or 0

    def written_since(self, position: int) -> int:
        """How many events were stored after ``position``."""
        after = self.core.recorder.select_notifications(position, 100, inclusive_of_start=False)
        return len(after)

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
            wrote = self.written_since(before)
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

    @precondition(lambda self: isinstance(self.core.clock, ManualClock))
    @rule(minutes=st.sampled_from([1, 5, 11]))
    def time_passes(self, minutes: int) -> None:
        """Only on a core built with a :class:`ManualClock`: OTPs expire when it says so."""
        clock = self.core.clock
        assert isinstance(clock, ManualClock)
        clock.advance(timedelta(minutes=minutes))

    @precondition(lambda self: bool(self.aggregates) and self.core.snapshots is not None)
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


class ManualClock:
    """A clock the machine moves on by hand: OTPs expire when it says so."""

    def __init__(self, start: datetime = datetime(2026, 1, 1, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


class _LiveAggregates:
    """Keeps a copy of each aggregate as its command left it. Every command hands what it
    saved to the core's ``latest.remember``; for the length of one example this stands in
    for that method, and :meth:`stop` gives the core its own back."""

    def __init__(self, core: PaymentsCore) -> None:
        self.saved = core.latest
        self.remember = core.latest.remember
        self.latest: dict[UUID, PaycoreAggregate] = {}
        core.latest.remember = self  # type: ignore[method-assign]

    def __call__(self, saved: Sequence[PaycoreAggregate]) -> None:
        self.remember(saved)
        for aggregate in saved:
            self.latest[aggregate.id] = copy.deepcopy(aggregate)

    def stop(self) -> None:
        del self.saved.remember


def _replayed(core: PaymentsCore, aggregate_id: UUID) -> Any:
    """The aggregate folded from its stored events alone, ignoring snapshots."""
    return project_aggregate(None, core.events.get(aggregate_id))


def _names(refusals: Refusals) -> str:
    return " or ".join(sorted(r.__name__ for r in refusals))


def bind(machine: type[M], core_factory: Callable[[], PaymentsCore]) -> type[M]:
    """``machine`` running on the cores ``core_factory`` gives."""
    # Living in ``machine``'s module, the subclass shows hypothesis the source it keys
    # (and, derandomized, seeds) the examples by.
    namespace = {"core_factory": staticmethod(core_factory), "__module__": machine.__module__}
    return type(machine.__name__, (machine,), namespace)


def machine_for(
    machine: type[M], core_factory: Callable[[], PaymentsCore]
) -> type[unittest.TestCase]:
    """A ``TestCase`` running ``machine`` on the cores ``core_factory`` gives."""
    test_case: type[unittest.TestCase] = bind(machine, core_factory).TestCase
    return test_case


# What more than one machine models.


def _refusals(*pairs: tuple[bool, type[PaycoreError]]) -> set[type[PaycoreError]]:
    """The refusals whose condition holds."""
    return {error for condition, error in pairs if condition}


def _object_id(prefix: str) -> str:
    """A fresh B2B objectId, so examples sharing a store never meet."""
    return prefix + uuid4().hex


def _share(amount: Decimal, percent: int) -> Decimal:
    """``percent`` % of ``amount``, in whole paise."""
    return (amount * percent / 100).quantize(Decimal("0.01"))


#: Totals of invoices and purchase orders, and amounts paid or fulfilled against them.
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


def _failures(challenge: OtpChallenge | None) -> int:
    """Wrong attempts made at an OTP still held (none when no OTP is held)."""
    return challenge.failed_attempts if challenge else 0


@dataclass(frozen=True)
class OtpOutcome:
    """What checking an OTP does: the refusal it calls for, whether it counts as a wrong
    attempt, and whether it uses the OTP up."""

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

"""The command runner: the plumbing every command of PaymentsCore shares.

A command checks its arguments (``paycore.domain.arguments``: typed errors, nothing read
or written yet), then hands :meth:`CommandRunner._run` an *action*: a function of a
:class:`Unit` that gets the aggregates and calls them. The runner owns the rest:

- the **unit of work**: what the action loads and creates is saved together, in one
  transaction, with the position of the log consumer that caused it (``tracking()``);
- **conflict retries**: a concurrent write to the same aggregates makes the whole action
  run again on fresh state, a bounded number of times;
- **consistent outcomes**: an action that reads several aggregates reads them one after
  the other. Before its outcome is final (a refusal, or a change saved beside aggregates
  it only read), the runner checks that none of them has moved since it was read: then
  each stayed as read until that check, so all of them were, at once, in the state the
  outcome describes. If one has moved, the attempt runs again, as on a conflict;
- **idempotency**: with a key, the outcome (result or refusal) is recorded in the same
  transaction and a repeat replays it. Concurrent first uses of one key all collide on
  the record's id in the store, so every loser runs again and replays the winner's
  outcome. A ``ConfigurationError`` is about the instance, not the request: never recorded;
- **store faults**: a database error leaves as ``StoreUnavailable``, saying whether the
  change was written. A write that failed is looked up first: if its events are stored
  as this attempt made them, it committed (its acknowledgement was lost), and the
  command returns its result instead of failing, or of running again on top of itself;
- **audit stamping**: every event records who asked, through which edge, as part of what,
  and one instant per attempt.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import random
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any, ClassVar, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import attrs
from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    IntegrityError,
    JSONTranscoder,
    PersistenceError,
    ProcessRecorder,
    Tracking,
    Transcoding,
)
from eventsourcing.persistence import InternalError as PersistenceInternalError
from eventsourcing.popo import POPOFactory
from eventsourcing.utils import resolve_topic

from paycore.domain.aggregate import (
    Audit,
    ObjectVersion,
    PaycoreAggregate,
    Source,
    current_audit,
    recording,
)
from paycore.domain.arguments import (
    CONTEXT_TEXT_LENGTH,
    IDEMPOTENCY_KEY_LENGTH,
    STORED_INT_MAX,
    check_count,
    check_optional_text,
    check_position,
    check_text,
    check_uuid,
    invalid,
)
from paycore.domain.card_account import Card, CardLoad, CardSpend, SpendWindow, Tally, UsageControls
from paycore.domain.errors import (
    AlreadyExists,
    AlreadyProcessed,
    ConcurrencyConflict,
    ConfigurationError,
    InvalidArgument,
    NotFound,
    PaycoreError,
    StoreUnavailable,
)
from paycore.domain.idempotency import IdempotencyRecord, fingerprint
from paycore.domain.invoice import CdNote
from paycore.domain.money import Money
from paycore.domain.otp import (
    OTP_KEY_VARIABLE,
    OTP_LIFETIME,
    IssuedOtp,
    OneTimePassword,
    OtpChallenge,
    OtpKey,
    PinGateway,
)

A = TypeVar("A", bound=PaycoreAggregate)
R = TypeVar("R")
S = TypeVar("S")
V = TypeVar("V")
P = ParamSpec("P")

#: The setting PaymentsCore reads its store URL from when none is passed.
URL_VARIABLE = "PAYCORE_DATABASE_URL"

#: Persistence modules whose store lives in this process or one file of this host.
_IN_PROCESS_FACTORIES = frozenset({"eventsourcing.popo", "eventsourcing.sqlite"})

_current_tracking: ContextVar[Tracking | None] = ContextVar("paycore_tracking", default=None)


def _source(value: Any) -> Source:
    try:
        return Source(value)
    except ValueError:
        raise invalid("source", f"one of {[s.value for s in Source]}", value) from None


def _context_text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None or attribute.name == "actor":
        check_text(value, attribute.name, CONTEXT_TEXT_LENGTH)


@attrs.frozen
class CommandContext:
    """Who asks, through which edge, and as part of what; every event records it."""

    actor: str = attrs.field(default="system", validator=_context_text)
    source: Source = attrs.field(default=Source.SYSTEM, converter=_source)
    correlation_id: str | None = attrs.field(default=None, validator=_context_text)
    causation_id: str | None = attrs.field(default=None, validator=_context_text)


#: The two keyword arguments every command takes.
Context = CommandContext | None
Key = str | None
#: The objectVersion a B2B command may name: checked against the object's, if given.
Version = ObjectVersion | tuple[int, int] | None


class Unit:
    """The aggregates one command reads, creates and changes; saved together."""

    def __init__(self, app: CommandRunner, *, fresh: bool) -> None:
        self.app = app
        #: Whether every aggregate is read as stored now (else the cache may answer).
        self.fresh = fresh
        self.aggregates: dict[UUID, PaycoreAggregate] = {}
        #: The version each id was read at (0: no aggregate had it).
        self.read: dict[UUID, int] = {}
        #: The ids read from the cache as this instance last saved them, which other
        #: instances may have changed since.
        self.cached: set[UUID] = set()

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        if aggregate_id not in self.read:
            try:
                aggregate: Any
                aggregate, cached = self.app.latest.get(aggregate_id, fresh=self.fresh)
            except AggregateNotFoundError:
                self.read[aggregate_id] = 0
                return None
            self.read[aggregate_id] = aggregate.version
            self.aggregates[aggregate_id] = aggregate
            if cached:
                self.cached.add(aggregate_id)
        found = self.aggregates.get(aggregate_id)
        return found if isinstance(found, cls) else None

    def get(self, cls: type[A], aggregate_id: UUID) -> A:
        aggregate = self.find(cls, aggregate_id)
        if aggregate is None:
            raise _not_found(cls, aggregate_id)
        return aggregate

    def create(self, aggregate: A) -> A:
        if aggregate.id in self.app.repository:
            kind = getattr(aggregate, "OBJECT_KIND", type(aggregate).__name__)
            msg = f"the {kind} {aggregate.id} already exists"
            raise AlreadyExists(msg, kind=type(aggregate).__name__, id=str(aggregate.id))
        self.aggregates[aggregate.id] = aggregate
        return aggregate

    def changed(self) -> list[PaycoreAggregate]:
        return [a for a in self.aggregates.values() if a.pending_events]

    def moved(self, saved: Sequence[PaycoreAggregate]) -> bool:
        """Whether an aggregate this unit read has changed since, or one it found absent
        now exists; those in ``saved`` are left out, as their save checks their versions.
        A single read from the store is a single moment: nothing to check; one from the
        cache is checked, as another instance may have moved it on."""
        saving = {a.id for a in saved}
        read = self.read if len(self.read) > 1 else self.cached
        return any(
            self.app.recorder.select_events(aggregate_id, gt=self.read[aggregate_id], limit=1)
            for aggregate_id in read
            if aggregate_id not in saving
        )


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """The library's ``project_aggregate`` without its runtime protocol check on every
    event (Python 3.11 recomputes those on each call); paycore's events all mutate."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class LatestSaved:
    """The last saved state of recently used aggregates, so that commands need not
    replay long-lived aggregates from their first event.

    An aggregate in here is never changed: a command gets a deep copy, and the aggregate
    it saves takes the entry's place. So no command sees another's half-made changes.
    The copy is the state this instance last saw, which other instances may have moved
    on: a command's first attempt decides on it as it is, with no read of the store,
    since whatever it could get wrong is caught before it counts. Its save fails on the
    aggregate's version, and a refusal or a change that leaves the aggregate unsaved is
    checked against the store (:meth:`Unit.moved`); either way the attempt runs again,
    on copies brought up to date with the events stored since (``fresh``).

    Why not the library's own cache (``AGGREGATE_CACHE_MAXSIZE``)? With fast-forward on
    (needed as soon as two instances write), it brings the *shared* cached object up to
    date under a per-aggregate lock and never takes in what a command saved, so every
    command replays its own previous writes and concurrent commands on one aggregate
    queue on that lock. With fast-forward off it takes in saved aggregates, but then
    misses other instances' writes. Here the copy is fast-forwarded outside any lock,
    saved aggregates replace their entry, and an older state never replaces a newer one.
    """

    def __init__(self, app: Application[UUID], maxsize: int) -> None:
        self.app, self.maxsize = app, maxsize
        self._lock = threading.Lock()
        self._entries: OrderedDict[UUID, PaycoreAggregate] = OrderedDict()

    def get(self, aggregate_id: UUID, *, fresh: bool) -> tuple[Any, bool]:
        """The aggregate, and whether it is the cached state unchecked: as stored now if
        ``fresh`` or not cached, else as this instance last saved it (see the class).
        AggregateNotFoundError if the store has none."""
        with self._lock:
            cached = self._entries.get(aggregate_id)
            if cached is not None:
                self._entries.move_to_end(aggregate_id)
        if cached is None:
            return self.app.repository.get(aggregate_id, projector_func=replay), False
        aggregate: Any = deepcopy(cached)
        if fresh:
            for event in self.app.events.get(aggregate_id, gt=aggregate.version):
                event.mutate(aggregate)  # type: ignore[attr-defined]
        return aggregate, not fresh

    def remember(self, saved: Sequence[PaycoreAggregate]) -> None:
        with self._lock:
            for aggregate in saved:
                known = self._entries.get(aggregate.id)
                if known is None or known.version < aggregate.version:
                    self._entries[aggregate.id] = aggregate
                    self._entries.move_to_end(aggregate.id)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)


class _AttrsTranscoding(Transcoding):
    """Stores an attrs value object as a dict of its fields."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = f"paycore.{cls.__name__}"

    def encode(self, obj: Any) -> dict[str, Any]:
        return attrs.asdict(obj, recurse=False)

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**data)


class _MoneyAsStr(Transcoding):
    type = Money
    name = "paycore.Money"

    def encode(self, obj: Money) -> str:
        return str(obj.amount)

    def decode(self, data: str) -> Money:
        return Money(data)


class CommandRunner(Application[UUID]):
    """The application's machinery; ``PaymentsCore`` adds the commands of each aggregate.

    ``clock``, ``ids`` and ``otp_codes`` are injectable so tests are deterministic;
    ``pin_gateway`` passes PINs to the platform (``set_card_pin``).

    ``otp_key`` (or ``PAYCORE_OTP_KEY``, as hex) is the key OTPs are hashed under, at
    least 16 bytes, the same for every instance of one store. On ``memory://`` an
    instance may draw its own, since no other instance can share that store. On a shared
    store (a SQLite file, PostgreSQL) an instance without one starts, but refuses every
    command that issues or checks an OTP with ``CONFIGURATION``, before anything is read
    or written: an OTP hashed under a key of its own would be refused by every other
    instance, and by this one once restarted, each time costing the person an attempt.
    Refusing those commands rather than the start keeps the key out of the processes
    that never need it (the sync relay, projection runners, the audit and view CLIs), and
    no key is ever kept at rest.
    """

    #: Which function turns a store URL into the library's settings. The domain names the
    #: wiring by topic, as the library names its persistence modules, and imports none.
    store_wiring: ClassVar[str] = "paycore.adapters.persistence.stores:store_env"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {}
    #: How many recently saved aggregates commands start from (see ``LatestSaved``).
    cache_size: ClassVar[int] = 1000
    #: Attempts of one command when concurrent writers keep conflicting with it.
    max_attempts: ClassVar[int] = 8

    def __init__(
        self,
        url: str | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        ids: Callable[[], UUID] = uuid4,
        otp_codes: Callable[[], str] | None = None,
        otp_key: bytes | None = None,
        pin_gateway: PinGateway | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        url = url or os.environ.get(URL_VARIABLE)
        if not url:
            msg = f"pass a database URL or set {URL_VARIABLE} (e.g. sqlite:///paycore.db)"
            raise ConfigurationError(msg)
        self.url = url
        self.clock = clock or (lambda: datetime.now(UTC))
        self.ids = ids
        self.otp_codes = otp_codes or (lambda: f"{secrets.randbelow(10**6):06d}")
        configured = os.environ.get(OTP_KEY_VARIABLE)
        key = OtpKey(otp_key) if otp_key is not None else None
        if key is None and configured:
            key = OtpKey.from_hex(configured, OTP_KEY_VARIABLE)
        self.pin_gateway = pin_gateway
        settings = self.store_settings(url)
        try:
            super().__init__(env={**settings, **(env or {})})
        except PersistenceError as fault:
            # Close what was opened (a connection pool and its threads) here, not in the
            # library's __del__, which may run in one of the pool's own threads.
            if hasattr(self, "factory"):
                with contextlib.suppress(Exception):
                    self.factory.close()
            raise _unavailable(
                f"opening the store {_shown(url)}", fault, committed=False, retry_safe=True
            ) from fault
        except OSError as error:  # how the library refuses a setting it cannot use
            raise ConfigurationError(str(error)) from None
        # The domain names no SQL backend (tests/test_imports.py): the factory's module says.
        self._store_in_process = type(self.factory).__module__ in _IN_PROCESS_FACTORIES
        if key is None and isinstance(self.factory, POPOFactory):
            key = OtpKey(secrets.token_bytes(32))
        self._otp_key = key
        self.latest = LatestSaved(self, self.cache_size)

    @property
    def otp_key(self) -> OtpKey:
        """The key OTPs are hashed under; ``CONFIGURATION`` on a shared store without one."""
        if self._otp_key is None:
            msg = (
                f"this store is shared, so OTPs need the key every instance holds: set "
                f"{OTP_KEY_VARIABLE} to at least 32 hex digits (or pass otp_key=), the "
                "same for every instance"
            )
            raise ConfigurationError(msg, setting=OTP_KEY_VARIABLE)
        return self._otp_key

    @classmethod
    def store_settings(cls, url: str) -> dict[str, str]:
        """The eventsourcing settings for the store at ``url`` (see ``store_wiring``)."""
        wiring: Callable[[str], dict[str, str]] = resolve_topic(cls.store_wiring)
        return wiring(url)

    def construct_recorder(self) -> ApplicationRecorder:
        # A process recorder can also store a consumer's position (tracking) in the
        # transaction of the events it causes: see ``tracking()``.
        return _creating_tables(self.factory.process_recorder)

    def construct_snapshot_store(self) -> EventStore[UUID]:
        return _creating_tables(super().construct_snapshot_store)

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshots the aggregates just saved whose versions crossed a multiple of
        their interval, from the objects in hand rather than by reading them again."""
        if self.snapshots is None:
            return
        for aggregate in processing_event.aggregates.values():
            assert isinstance(aggregate, PaycoreAggregate)
            interval = self.snapshotting_intervals.get(type(aggregate))
            first = min(
                (
                    e.originator_version
                    for e in processing_event.events
                    if e.originator_id == aggregate.id
                ),
                default=None,
            )
            if interval and first and aggregate.version // interval > (first - 1) // interval:
                # The change is committed: a snapshot the store fails to take now is only
                # a shortcut lost (reads replay from the one before), not a failed command.
                with suppress(PersistenceError):
                    self.snapshots.put([type(aggregate).Snapshot.take(aggregate)])

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(_MoneyAsStr())
        for value_class in (
            Card,
            CardLoad,
            CardSpend,
            UsageControls,
            SpendWindow,
            Tally,
            OtpChallenge,
            CdNote,
        ):
            transcoder.register(_AttrsTranscoding(value_class))

    # Consumers of the notification log.

    @contextmanager
    def tracking(self, position: Tracking) -> Iterator[None]:
        """Commands inside this block save ``position`` with their events, atomically.

        For consumers of the notification log (the sync relay, the webhook inbox) that
        turn what they read into commands: the effect and the consumer's progress are
        written together, or not at all. A position already recorded is refused.
        """
        token = _current_tracking.set(check_position(position))
        try:
            yield
        finally:
            _current_tracking.reset(token)

    def record_position(self, position: Tracking) -> None:
        """Saves a consumer's position alone, for an item that needed no command.

        Positions of one consumer only move forward: an earlier or equal one is
        ``ALREADY_PROCESSED``.
        """
        check_position(position)
        if not self.has_tracked(position):
            try:
                self.recorder.insert_events([], tracking=position)
            except IntegrityError:
                pass  # another instance saved it meanwhile
            except PersistenceError as fault:
                # Safe to repeat: a position that was saved after all is refused as processed.
                raise _unavailable(
                    "record_position", fault, committed=None, retry_safe=True
                ) from fault
            else:
                return
        msg = f"{position.application_name} is already past {position.notification_id}"
        raise AlreadyProcessed(
            msg, consumer=position.application_name, position=position.notification_id
        )

    def max_tracked(self, consumer: str) -> int:
        """The last position a consumer saved (0 before its first)."""
        recorder = self.recorder
        assert isinstance(recorder, ProcessRecorder)
        with _reading("max_tracked"):
            return recorder.max_tracking_id(consumer) or 0

    def has_tracked(self, position: Tracking) -> bool:
        """Whether a command already saved this consumer position."""
        recorder = self.recorder
        assert isinstance(recorder, ProcessRecorder)
        with _reading("has_tracked"):
            return recorder.has_tracking_id(position.application_name, position.notification_id)

    # Running a command.

    def _run(
        self,
        command: str,
        arguments: Mapping[str, object],
        action: Callable[[Unit], R],
        context: Context,
        idempotency_key: Key = None,
    ) -> R:
        """Runs ``action`` as the command ``command`` whose checked arguments (the
        idempotency fingerprint, never a secret) are ``arguments``."""
        key = check_optional_text(idempotency_key, "idempotency_key", IDEMPOTENCY_KEY_LENGTH)
        digest = fingerprint(command, arguments) if key else ""
        context = context or CommandContext()
        if not isinstance(context, CommandContext):
            msg = "context must be a CommandContext"
            raise InvalidArgument(msg)
        attrs.validate(context)
        correlation_id = context.correlation_id or str(self.ids())
        for attempt in range(1, self.max_attempts + 1):
            audit = Audit(
                actor=context.actor,
                source=context.source,
                correlation_id=correlation_id,
                causation_id=context.causation_id or correlation_id,
                recorded_at=self._read_clock(),
            )
            try:
                with recording(audit):
                    return self._attempt(command, digest, key, action, fresh=attempt > 1)
            except _Conflict:
                if attempt == self.max_attempts:
                    msg = (
                        f"{command} kept conflicting with concurrent writes after "
                        f"{attempt} attempts; try again"
                    )
                    raise ConcurrencyConflict(msg, command=command) from None
                time.sleep(random.uniform(0, 0.002 * 2**attempt))  # noqa: S311
            except _OutcomeUnknown as unknown:
                raise _unavailable(
                    command, unknown.fault, committed=None, retry_safe=key is not None
                ) from unknown.fault
            except PersistenceError as fault:
                raise _unavailable(command, fault, committed=False, retry_safe=True) from fault
        raise AssertionError  # pragma: no cover

    def _attempt(
        self,
        command: str,
        digest: str,
        key: str | None,
        action: Callable[[Unit], R],
        *,
        fresh: bool,
    ) -> R:
        position = _current_tracking.get()
        if position is not None and self.has_tracked(position):
            msg = (
                f"{position.application_name} position {position.notification_id} "
                "was already processed"
            )
            raise AlreadyProcessed(
                msg, consumer=position.application_name, position=position.notification_id
            )
        if key:
            record = self._idempotency_record(key)
            if record is not None:
                return record.replay(command, digest)  # type: ignore[no-any-return]
        unit = Unit(self, fresh=fresh)
        try:
            result = action(unit)
        except PaycoreError as error:
            kept = unit.changed() if error.records_events else []
            if unit.moved(kept):
                raise _Conflict from None
            if key and not isinstance(error, ConfigurationError):
                kept.append(IdempotencyRecord.of_outcome(key, command, digest, None, error))
            if kept:
                self._save(kept)
            raise
        changed = unit.changed()
        if unit.moved(changed):
            raise _Conflict
        if key:
            # Not through Unit.create: a record another caller saved meanwhile must collide
            # in the store (and this attempt run again to replay it), not be refused here.
            changed.append(IdempotencyRecord.of_outcome(key, command, digest, result, None))
        self._save(changed)
        return result

    def _idempotency_record(self, key: str) -> IdempotencyRecord | None:
        try:
            # A record never changes once saved: the cached one needs no check.
            record, _ = self.latest.get(IdempotencyRecord.create_id(key), fresh=False)
        except AggregateNotFoundError:
            return None
        return record if isinstance(record, IdempotencyRecord) else None

    def _save(self, aggregates: Sequence[PaycoreAggregate]) -> None:
        """Saves the aggregates' new events, and the consumer's position if any, in one
        transaction. A write that fails is looked up before it counts as failed."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent(tracking=_current_tracking.get())
        # What ProcessingEvent.collect_events does, without its two runtime protocol
        # checks per aggregate (Python 3.11 recomputes them on every call: about a tenth
        # of a command on the in-memory store); these are always aggregates.
        for aggregate in aggregates:
            processing_event.events.extend(aggregate.collect_events())
            processing_event.aggregates[aggregate.id] = aggregate
        try:
            recordings = self._record(processing_event)
        except PersistenceError as fault:
            stored = self._stored(processing_event.events)
            if stored:
                recordings = []  # only its acknowledgement was lost
            elif stored is False and isinstance(fault, IntegrityError):
                raise _Conflict from None
            elif stored is False and self._store_in_process:
                # A store in this process has rolled the write back before it raised; a
                # server may still be committing one whose connection broke.
                raise
            else:
                raise _OutcomeUnknown(fault) from fault
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.latest.remember(aggregates)

    def _stored(self, events: Sequence[Any]) -> bool | None:
        """Whether the first of ``events`` is stored as this attempt made it, so that its
        transaction committed; None when the store cannot be asked.

        The library tries a PostgreSQL insert again when the connection fails; if the
        first try had committed, the second meets its events as a conflict, and running
        the action again would apply the change a second time. An event is compared
        whole: its aggregate, version, time to the microsecond, audit and values.
        """
        if not events:
            return False
        first = events[0]
        version = first.originator_version
        try:
            stored = self.recorder.select_events(
                first.originator_id, gt=version - 1, lte=version, limit=1
            )
        except PersistenceError:
            return None
        return bool(stored) and self.mapper.to_domain_event(stored[0]) == first

    def _now(self) -> datetime:
        """One instant per command attempt: the time its events are recorded at."""
        audit = current_audit()
        return audit.recorded_at if audit is not None else self._read_clock()

    def _read_clock(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            msg = "the clock must return timezone-aware datetimes"
            raise ConfigurationError(msg)
        return now

    def _issue_otp(self, purpose: str) -> tuple[IssuedOtp, OtpChallenge]:
        """A new OTP for the person, and the challenge (its keyed hash) for the aggregate.
        An instance without an OTP key refuses here, before the action reads anything."""
        key = self.otp_key
        code = OneTimePassword(self.otp_codes())
        reference = f"OTP{self.ids().hex}"
        expires_at = self._now() + OTP_LIFETIME
        challenge = OtpChallenge(
            reference=reference,
            purpose=purpose,
            digest=key.digest(reference, code),
            expires_at=expires_at,
            key_id=key.key_id,
        )
        return IssuedOtp(reference, code.value, expires_at), challenge

    # Queries.

    def _get(self, cls: type[A], aggregate_id: UUID, version: int | None) -> A:
        """The aggregate as stored now, or at ``version``: never from a command's cache."""
        aggregate_id = check_uuid(aggregate_id, "id")
        if version is not None:
            version = check_count(version, "version", minimum=1, maximum=STORED_INT_MAX)
        aggregate: Any
        try:
            with _reading(f"get {cls.__name__}"):
                aggregate = self.repository.get(
                    aggregate_id, version=version, projector_func=replay
                )
        except AggregateNotFoundError:
            aggregate = None
        if not isinstance(aggregate, cls) or (version and aggregate.version != version):
            raise _not_found(cls, aggregate_id, version)
        return aggregate


def variant(
    change: Callable[Concatenate[S, V, P], R], value: V, name: str, doc: str
) -> Callable[Concatenate[S, P], R]:
    """The command ``change`` with its first argument fixed to ``value``: ``lock_card``,
    ``unlock_card`` and ``block_card`` are one body with three block codes. Hosts and
    mypy see the remaining parameters, by name."""

    def command(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return change(self, value, *args, **kwargs)

    signature = inspect.signature(change)
    own, _, *rest = signature.parameters.values()
    command.__signature__ = signature.replace(parameters=[own, *rest])  # type: ignore[attr-defined]
    command.__name__ = command.__qualname__ = name
    command.__doc__ = doc
    return command


def _not_found(cls: type[Any], aggregate_id: UUID, version: int | None = None) -> NotFound:
    kind = getattr(cls, "OBJECT_KIND", cls.__name__)
    at = f" at version {version}" if version else ""
    msg = f"no {kind} with id {aggregate_id}{at}"
    return NotFound(msg, kind=cls.__name__, id=str(aggregate_id))


def _creating_tables(construct: Callable[[], R]) -> R:
    """Several instances starting at once race to create the same tables. PostgreSQL
    then fails all but one with "tuple concurrently updated"; SQLite with an
    IntegrityError on the library's table-migration record (each saw no tracking table
    and inserts that record), or "database is locked" from switching a new file to WAL
    (which the library lets out unwrapped, as the driver's own error). Trying again
    settles it: the tables and the journal mode are there then."""
    for attempt in range(1, 11):
        try:
            return construct()
        except Exception as error:
            if attempt == 10 or not _lost_a_creation_race(error):
                raise
            time.sleep(random.uniform(0.01, 0.05 * attempt))  # noqa: S311
    raise AssertionError  # pragma: no cover


def _lost_a_creation_race(error: Exception) -> bool:
    if isinstance(error, (PersistenceInternalError, IntegrityError)):
        return True
    # The driver's OperationalError, named by its module: the domain imports no backend.
    return type(error).__module__ == "sqlite3" and "database is locked" in str(error)


class _Conflict(Exception):
    """A concurrent write got in the way of an attempt: it runs again on fresh state."""


class _OutcomeUnknown(Exception):
    """A write failed and the store could not say whether it had committed."""

    def __init__(self, fault: PersistenceError) -> None:
        super().__init__(str(fault))
        self.fault = fault


def _shown(url: str) -> str:
    """A store URL fit for an error message: its scheme, host, port and path, never a
    password or the query."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def _unavailable(
    operation: str, fault: PersistenceError, *, committed: bool | None, retry_safe: bool
) -> StoreUnavailable:
    """The typed error for a store fault during ``operation``: ``committed`` is False when
    nothing was written, None when the write may or may not have committed."""
    lines = str(fault).strip().splitlines()
    cause = f"{type(fault).__name__}: {lines[0] if lines else 'no message'}"[:200]
    if committed is False:
        outcome = "nothing was written; sending it again is safe"
    elif retry_safe:
        outcome = "it may or may not have been saved; sending it again unchanged is safe"
    else:
        outcome = (
            "it may or may not have been saved and, without an idempotency key, sending "
            "it again could apply it twice: look the state up first"
        )
    msg = f"the event store failed during {operation} ({cause}); {outcome}"
    return StoreUnavailable(
        msg,
        operation=operation,
        cause=type(fault).__name__,
        outcome_known=committed is not None,
        committed=committed,
        retry_safe=retry_safe,
    )


@contextmanager
def _reading(operation: str) -> Iterator[None]:
    """A store fault while reading: nothing was written."""
    try:
        yield
    except PersistenceError as fault:
        raise _unavailable(operation, fault, committed=False, retry_safe=True) from fault

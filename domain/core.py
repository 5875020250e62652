"""PaymentsCore: the one application that holds the four aggregates and runs every command.

Each command validates its arguments (typed errors, nothing read or written yet), then
runs in a *unit*: the aggregates it loads and creates are saved together in one
transaction, with an idempotency record when the caller gave a key. A conflicting
concurrent write makes the whole command run again, a bounded number of times.
"""

from __future__ import annotations

import os
import random
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, TypeVar
from uuid import UUID, uuid4

import attrs
from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import (
    ApplicationRecorder,
    EventStore,
    IntegrityError,
    JSONTranscoder,
    ProcessRecorder,
    Tracking,
    Transcoding,
)
from eventsourcing.persistence import InternalError as PersistenceInternalError

from paycore.domain import payment as payments
from paycore.domain.aggregate import (
    Audit,
    ObjectVersion,
    PaycoreAggregate,
    Source,
    current_audit,
    recording,
)
from paycore.domain.b2b import check_remarks
from paycore.domain.card_account import (
    BL,
    UL,
    BlockCode,
    Card,
    CardAccount,
    CardForm,
    CardKind,
    Channel,
    L,
    SpendWindow,
    Tally,
    UsageControls,
)
from paycore.domain.errors import (
    AlreadyExists,
    AlreadyProcessed,
    ConcurrencyConflict,
    ConfigurationError,
    InvalidArgument,
    NotFound,
    PaycoreError,
    PinGatewayMissing,
)
from paycore.domain.idempotency import IdempotencyRecord, fingerprint
from paycore.domain.invoice import BuyerResponse, CdNote, Invoice, NoteType
from paycore.domain.money import Money
from paycore.domain.otp import OTP_LIFETIME, OneTimePassword, OtpChallenge, OtpKey, Pin
from paycore.domain.payment import Payment, check_payment_type
from paycore.domain.purchase_order import PurchaseOrder, SupplierResponse
from paycore.domain.store import URL_VARIABLE, store_env

A = TypeVar("A", bound=PaycoreAggregate)
R = TypeVar("R")

OTP_KEY_VARIABLE = "PAYCORE_OTP_KEY"

_current_tracking: ContextVar[Tracking | None] = ContextVar("paycore_tracking", default=None)


def _source(value: Any) -> Source:
    try:
        return Source(value)
    except ValueError:
        raise _invalid("source", f"one of {[s.value for s in Source]}", value) from None


def _context_text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None or attribute.name == "actor":
        _text(value, attribute.name, 200)


@attrs.frozen
class CommandContext:
    """Who asks, through which edge, and as part of what; every event records it."""

    actor: str = attrs.field(default="system", validator=_context_text)
    source: Source = attrs.field(default=Source.SYSTEM, converter=_source)
    correlation_id: str | None = attrs.field(default=None, validator=_context_text)
    causation_id: str | None = attrs.field(default=None, validator=_context_text)


@attrs.frozen(repr=False)
class IssuedOtp:
    """An OTP to hand to the person (by SMS, say). paycore keeps only its keyed hash."""

    reference: str
    otp: str
    expires_at: datetime

    def __repr__(self) -> str:
        return (
            f"IssuedOtp(reference={self.reference!r}, otp='******', expires_at={self.expires_at!r})"
        )


class PinGateway(Protocol):
    """Passes a PIN straight to the platform; paycore records only that it was set."""

    def set_pin(self, account: CardAccount, card: Card, pin: Pin) -> None: ...


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


class _LatestSaved:
    """The last saved state of recently used aggregates, so that commands need not
    replay long-lived aggregates from their first event.

    An aggregate in here is never changed: a command gets a deep copy, brought up to
    date with the events stored since (by other instances, say), and the aggregate it
    saves takes the entry's place. So no command sees another's half-made changes.
    """

    def __init__(self, app: PaymentsCore, maxsize: int) -> None:
        self.app, self.maxsize = app, maxsize
        self._lock = threading.Lock()
        self._entries: OrderedDict[UUID, PaycoreAggregate] = OrderedDict()

    def get(self, aggregate_id: UUID) -> Any:
        """The aggregate as stored now; AggregateNotFoundError if there is none."""
        with self._lock:
            cached = self._entries.get(aggregate_id)
            if cached is not None:
                self._entries.move_to_end(aggregate_id)
        if cached is None:
            return self.app.repository.get(aggregate_id)
        aggregate: Any = deepcopy(cached)
        for event in self.app.events.get(aggregate_id, gt=aggregate.version):
            event.mutate(aggregate)  # type: ignore[attr-defined]
        return aggregate

    def remember(self, saved: Sequence[PaycoreAggregate]) -> None:
        with self._lock:
            for aggregate in saved:
                known = self._entries.get(aggregate.id)
                if known is None or known.version < aggregate.version:
                    self._entries[aggregate.id] = aggregate
                    self._entries.move_to_end(aggregate.id)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)


class _Unit:
    """The aggregates one command reads, creates and changes; saved together."""

    def __init__(self, app: PaymentsCore) -> None:
        self.app = app
        self.aggregates: dict[UUID, PaycoreAggregate] = {}

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        if aggregate_id not in self.aggregates:
            try:
                aggregate: Any = self.app.latest.get(aggregate_id)
            except AggregateNotFoundError:
                return None
            if not isinstance(aggregate, cls):
                return None
            self.aggregates[aggregate_id] = aggregate
        found = self.aggregates[aggregate_id]
        return found if isinstance(found, cls) else None

    def get(self, cls: type[A], aggregate_id: UUID) -> A:
        aggregate = self.find(cls, aggregate_id)
        if aggregate is None:
            kind = getattr(cls, "OBJECT_KIND", cls.__name__)
            msg = f"no {kind} with id {aggregate_id}"
            raise NotFound(msg, kind=cls.__name__, id=str(aggregate_id))
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


class PaymentsCore(Application[UUID]):
    """Cards, invoices, payments and purchase orders in one event store.

    ``PaymentsCore("sqlite:///paycore.db")``; without a URL, ``PAYCORE_DATABASE_URL``.
    ``clock``, ``ids`` and ``otp_codes`` are injectable so tests are deterministic.
    """

    name = "PaymentsCore"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        CardAccount: 100,
        Invoice: 100,
        Payment: 100,
        PurchaseOrder: 100,
    }
    #: How many recently saved aggregates commands start from (see ``_LatestSaved``).
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
        key = otp_key or bytes.fromhex(os.environ.get(OTP_KEY_VARIABLE, "")) or None
        # Without a configured key, OTPs verify only in the instance that issued them.
        self.otp_key = OtpKey(key or secrets.token_bytes(32))
        self.pin_gateway = pin_gateway
        super().__init__(env={**store_env(url), **(env or {})})
        self.latest = _LatestSaved(self, self.cache_size)

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
                self.snapshots.put([type(aggregate).Snapshot.take(aggregate)])

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(_MoneyAsStr())
        for value_class in (Card, UsageControls, SpendWindow, Tally, OtpChallenge, CdNote):
            transcoder.register(_AttrsTranscoding(value_class))

    @contextmanager
    def tracking(self, position: Tracking) -> Iterator[None]:
        """Commands inside this block save ``position`` with their events, atomically.

        For consumers of the notification log (the sync relay, the webhook inbox) that
        turn what they read into commands: the effect and the consumer's progress are
        written together, or not at all. A position already recorded is refused.
        """
        token = _current_tracking.set(_position(position))
        try:
            yield
        finally:
            _current_tracking.reset(token)

    def record_position(self, position: Tracking) -> None:
        """Saves a consumer's position alone, for an item that needed no command.

        Positions of one consumer only move forward: an earlier or equal one is
        ``ALREADY_PROCESSED``.
        """
        _position(position)
        if self.has_tracked(position):
            msg = f"{position.application_name} is already past {position.notification_id}"
            raise AlreadyProcessed(
                msg, consumer=position.application_name, position=position.notification_id
            )
        self.recorder.insert_events([], tracking=position)

    def max_tracked(self, consumer: str) -> int:
        """The last position a consumer saved (0 before its first)."""
        recorder = self.recorder
        assert isinstance(recorder, ProcessRecorder)
        return recorder.max_tracking_id(consumer) or 0

    def has_tracked(self, position: Tracking) -> bool:
        """Whether a command already saved this consumer position."""
        recorder = self.recorder
        assert isinstance(recorder, ProcessRecorder)
        return recorder.has_tracking_id(position.application_name, position.notification_id)

    # The command runner.

    def _run(
        self,
        command: str,
        arguments: Mapping[str, object],
        action: Callable[[_Unit], R],
        context: CommandContext | None,
        idempotency_key: str | None = None,
    ) -> R:
        key = _optional_text(idempotency_key, "idempotency_key", 200)
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
                    return self._attempt(command, digest, key, action)
            except IntegrityError:
                if attempt == self.max_attempts:
                    msg = (
                        f"{command} kept conflicting with concurrent writes after "
                        f"{attempt} attempts; try again"
                    )
                    raise ConcurrencyConflict(msg, command=command) from None
                time.sleep(random.uniform(0, 0.002 * 2**attempt))  # noqa: S311
        raise AssertionError  # pragma: no cover

    def _attempt(
        self, command: str, digest: str, key: str | None, action: Callable[[_Unit], R]
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
        unit = _Unit(self)
        record_id = IdempotencyRecord.create_id(key) if key else None
        if key and record_id:
            record = unit.find(IdempotencyRecord, record_id)
            if record is not None:
                return record.replay(command, digest)  # type: ignore[no-any-return]
        try:
            result = action(unit)
        except PaycoreError as error:
            kept = unit.changed() if error.records_events else []
            if key:
                kept.append(IdempotencyRecord.of_outcome(key, command, digest, None, error))
            if kept:
                self._save(kept)
            raise
        if key:
            unit.create(IdempotencyRecord.of_outcome(key, command, digest, result, None))
        self._save(unit.changed())
        return result

    def _save(self, aggregates: Sequence[PaycoreAggregate]) -> None:
        position = _current_tracking.get()
        if position is None:
            self.save(*aggregates)
        else:
            processing_event: ProcessingEvent[UUID] = ProcessingEvent(tracking=position)
            processing_event.collect_events(*aggregates)
            recordings = self._record(processing_event)
            self._take_snapshots(processing_event)
            self._notify(recordings)
        self.latest.remember(aggregates)

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

    # Queries.

    def _get(self, cls: type[A], aggregate_id: UUID, version: int | None) -> A:
        aggregate_id = _uuid(aggregate_id, "id")
        if version is not None and (not isinstance(version, int) or version < 1):
            msg = f"a version is a whole number from 1, not {version!r}"
            raise InvalidArgument(msg, version=repr(version))
        aggregate: Any
        try:
            aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            aggregate = None
        if not isinstance(aggregate, cls) or (version and aggregate.version != version):
            kind = getattr(cls, "OBJECT_KIND", cls.__name__)
            msg = f"no {kind} with id {aggregate_id}" + (
                f" at version {version}" if version else ""
            )
            raise NotFound(msg, kind=cls.__name__, id=str(aggregate_id))
        return aggregate

    def get_card_account(self, account_id: UUID, version: int | None = None) -> CardAccount:
        return self._get(CardAccount, account_id, version)

    def get_invoice(self, invoice_id: UUID, version: int | None = None) -> Invoice:
        return self._get(Invoice, invoice_id, version)

    def get_payment(self, payment_id: UUID, version: int | None = None) -> Payment:
        return self._get(Payment, payment_id, version)

    def get_purchase_order(self, po_id: UUID, version: int | None = None) -> PurchaseOrder:
        return self._get(PurchaseOrder, po_id, version)

    @staticmethod
    def invoice_id(object_id: str) -> UUID:
        """The id paycore gives the invoice with this B2B objectId."""
        return Invoice.create_id(Invoice.check_object_id(object_id))

    @staticmethod
    def purchase_order_id(object_id: str) -> UUID:
        return PurchaseOrder.create_id(PurchaseOrder.check_object_id(object_id))

    # Card accounts and cards.

    def open_card_account(
        self,
        company_id: str,
        company_name: str,
        account_title: str,
        account_type: str,
        balance_cap: Money | str = "200000.00",
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> UUID:
        args: dict[str, Any] = {
            "company_id": _text(company_id, "company_id", 100),
            "company_name": _text(company_name, "company_name", 256),
            "account_title": _text(account_title, "account_title", 256),
            "account_type": CardAccount.check_account_type(_text(account_type, "account_type", 40)),
            "balance_cap": Money.positive(balance_cap),
        }
        account_id = self.ids()

        def action(unit: _Unit) -> UUID:
            return unit.create(CardAccount.create_with_id(account_id, "Opened", **args)).id

        return self._run("open_card_account", args, action, context, idempotency_key)

    def issue_card(
        self,
        account_id: UUID,
        kind: CardKind | str,
        form: CardForm | str = CardForm.VIRTUAL,
        initial_load: Money | str = "0",
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        account_id = _uuid(account_id, "account_id")
        card_kind, card_form = _choice(CardKind, kind, "kind"), _choice(CardForm, form, "form")
        load = Money.of(initial_load)
        args = {"account_id": account_id, "kind": card_kind, "form": card_form, "load": load}
        card_id = str(self.ids())

        def action(unit: _Unit) -> str:
            unit.get(CardAccount, account_id).issue_card(card_id, card_kind, card_form, load)
            return card_id

        return self._run("issue_card", args, action, context, idempotency_key)

    def activate_card(
        self,
        account_id: UUID,
        card_id: str,
        *,
        kyc_completed: bool,
        terms_accepted: bool,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        account_id, card_id = _uuid(account_id, "account_id"), _text(card_id, "card_id", 64)
        kyc, terms = _flag(kyc_completed, "kyc_completed"), _flag(terms_accepted, "terms_accepted")

        def action(unit: _Unit) -> None:
            unit.get(CardAccount, account_id).activate_card(
                card_id, kyc_completed=kyc, terms_accepted=terms
            )

        self._run(
            "activate_card",
            {"account_id": account_id, "card_id": card_id, "kyc": kyc, "terms": terms},
            action,
            context,
            idempotency_key,
        )

    def load_card(
        self,
        account_id: UUID,
        card_id: str,
        amount: Money | str,
        reference: str | None = None,
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Credits a card; returns the load's client reference (uniqueReferenceNumber)."""
        account_id, card_id = _uuid(account_id, "account_id"), _text(card_id, "card_id", 64)
        money = Money.positive(amount)
        given = _optional_text(reference, "reference", 64)
        args = {"account_id": account_id, "card_id": card_id, "amount": money, "ref": given}
        client_reference = given or f"LD{self.ids().hex}"

        def action(unit: _Unit) -> str:
            unit.get(CardAccount, account_id).load(card_id, money, client_reference)
            return client_reference

        return self._run("load_card", args, action, context, idempotency_key)

    def record_card_spend(
        self,
        account_id: UUID,
        card_id: str,
        amount: Money | str,
        channel: Channel | str,
        transaction_id: str,
        occurred_at: datetime,
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """A card transaction the platform reports; refused beyond balance, channel or limits."""
        account_id, card_id = _uuid(account_id, "account_id"), _text(card_id, "card_id", 64)
        money, via = Money.positive(amount), _choice(Channel, channel, "channel")
        transaction_id = _text(transaction_id, "transaction_id", 64)
        at = _aware(occurred_at, "occurred_at")
        args = {
            "account_id": account_id,
            "card_id": card_id,
            "amount": money,
            "channel": via,
            "transaction_id": transaction_id,
            "occurred_at": at,
        }

        def action(unit: _Unit) -> None:
            unit.get(CardAccount, account_id).spend(card_id, money, via, transaction_id, at)

        self._run("record_card_spend", args, action, context, idempotency_key)

    def set_usage_controls(
        self,
        account_id: UUID,
        card_ids: Sequence[str],
        controls: UsageControls,
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        account_id = _uuid(account_id, "account_id")
        if isinstance(card_ids, str) or not isinstance(card_ids, Sequence):
            msg = "card_ids is a list of card ids"
            raise InvalidArgument(msg, argument="card_ids")
        ids = [_text(c, "card_ids[]", 64) for c in card_ids]
        if not isinstance(controls, UsageControls):
            msg = "controls must be a UsageControls"
            raise InvalidArgument(msg, argument="controls")

        def action(unit: _Unit) -> None:
            unit.get(CardAccount, account_id).set_usage_controls(ids, controls)

        args = {"account_id": account_id, "card_ids": ids, "controls": controls}
        self._run("set_usage_controls", args, action, context, idempotency_key)

    def set_card_pin(
        self,
        account_id: UUID,
        card_id: str,
        pin: str,
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """Passes the PIN to the platform through the PIN gateway; records only when."""
        account_id, card_id = _uuid(account_id, "account_id"), _text(card_id, "card_id", 64)
        checked_pin = Pin(pin)
        gateway = self.pin_gateway
        if gateway is None:
            msg = "no PIN gateway is configured; PaymentsCore(pin_gateway=...) sends PINs"
            raise PinGatewayMissing(msg)

        def action(unit: _Unit) -> None:
            account = unit.get(CardAccount, account_id)
            account.record_pin_set(card_id, self._now())
            gateway.set_pin(account, account.card(card_id), checked_pin)

        args = {"account_id": account_id, "card_id": card_id}  # never the PIN, not even hashed
        self._run("set_card_pin", args, action, context, idempotency_key)

    def request_card_otp(
        self,
        account_id: UUID,
        card_id: str,
        purpose: str = "TRANSACTION_OTP",
        *,
        context: CommandContext | None = None,
    ) -> IssuedOtp:
        account_id, card_id = _uuid(account_id, "account_id"), _text(card_id, "card_id", 64)
        purpose = _text(purpose, "purpose", 40)

        def action(unit: _Unit) -> IssuedOtp:
            issued, challenge = self._issue_otp(purpose)
            unit.get(CardAccount, account_id).issue_otp(card_id, challenge)
            return issued

        return self._run("request_card_otp", {}, action, context)

    def verify_card_otp(
        self,
        account_id: UUID,
        card_id: str,
        otp: str,
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Consumes a matching OTP and returns what it was issued for."""
        account_id, card_id = _uuid(account_id, "account_id"), _text(card_id, "card_id", 64)
        checked = OneTimePassword(otp)

        def action(unit: _Unit) -> str:
            account = unit.get(CardAccount, account_id)
            challenge = account.card(card_id).otp
            digest = self.otp_key.digest(challenge.reference, checked) if challenge else ""
            return account.verify_otp(card_id, digest, self._now())

        args = {"account_id": account_id, "card_id": card_id}  # never the OTP
        return self._run("verify_card_otp", args, action, context, idempotency_key)

    def lock_card(
        self,
        account_id: UUID,
        card_id: str,
        reason: str = "",
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        self._change_block_code(account_id, card_id, L, reason, context, idempotency_key)

    def unlock_card(
        self,
        account_id: UUID,
        card_id: str,
        reason: str = "",
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        self._change_block_code(account_id, card_id, UL, reason, context, idempotency_key)

    def block_card(
        self,
        account_id: UUID,
        card_id: str,
        reason: str = "",
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """Blocks a card for good (block code BL)."""
        self._change_block_code(account_id, card_id, BL, reason, context, idempotency_key)

    def _change_block_code(
        self,
        account_id: UUID,
        card_id: str,
        code: BlockCode,
        reason: str,
        context: CommandContext | None,
        idempotency_key: str | None,
    ) -> None:
        account_id, card_id = _uuid(account_id, "account_id"), _text(card_id, "card_id", 64)
        reason = _text(reason, "reason", 200, allow_empty=True)

        def action(unit: _Unit) -> None:
            unit.get(CardAccount, account_id).change_block_code(card_id, code, reason)

        args = {"account_id": account_id, "card_id": card_id, "code": code, "reason": reason}
        self._run("change_block_code", args, action, context, idempotency_key)

    def replace_card(
        self,
        account_id: UUID,
        card_id: str,
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Blocks the card and moves its balance to a new card; returns the new card's id."""
        account_id, card_id = _uuid(account_id, "account_id"), _text(card_id, "card_id", 64)
        args = {"account_id": account_id, "card_id": card_id}
        new_card_id = str(self.ids())

        def action(unit: _Unit) -> str:
            unit.get(CardAccount, account_id).replace(card_id, new_card_id)
            return new_card_id

        return self._run("replace_card", args, action, context, idempotency_key)

    def record_remote_card_account(
        self,
        account_id: UUID,
        remote_id: str,
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """The platform's ``cardAccountId`` for this account (recorded by the sync)."""
        account_id, remote_id = _uuid(account_id, "account_id"), _text(remote_id, "remote_id", 64)
        self._run(
            "record_remote_card_account",
            {"account_id": account_id, "remote_id": remote_id},
            lambda unit: unit.get(CardAccount, account_id).register_remote_account(remote_id),
            context,
            idempotency_key,
        )

    def record_remote_card(
        self,
        account_id: UUID,
        card_id: str,
        remote_id: str,
        masked_number: str,
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """The platform's ``enKashCardId`` and masked number for a card (from the sync)."""
        account_id, card_id = _uuid(account_id, "account_id"), _text(card_id, "card_id", 64)
        remote_id = _text(remote_id, "remote_id", 64)
        masked = _text(masked_number, "masked_number", 32)
        self._run(
            "record_remote_card",
            {"account_id": account_id, "card_id": card_id, "remote_id": remote_id},
            lambda unit: unit.get(CardAccount, account_id).register_remote_card(
                card_id, remote_id, masked
            ),
            context,
            idempotency_key,
        )

    # Invoices and notes.

    def receive_invoice(
        self,
        object_id: str,
        supplier_invoice_number: str,
        total: Money | str,
        *,
        allows_partial: bool = True,
        buyer_b2b_id: str,
        supplier_b2b_id: str,
        object_version: int = 1,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> UUID:
        """Records an invoice a supplier raised; its id follows from its objectId."""
        args: dict[str, Any] = {
            "object_id": Invoice.check_object_id(object_id),
            "supplier_invoice_number": Invoice.check_number(supplier_invoice_number),
            "total": Money.positive(total),
            "allows_partial": _flag(allows_partial, "allows_partial"),
            "buyer_b2b_id": _b2b_id(buyer_b2b_id, "buyer_b2b_id"),
            "supplier_b2b_id": _b2b_id(supplier_b2b_id, "supplier_b2b_id"),
            "object_version": _count(object_version, "object_version", minimum=1),
        }

        def action(unit: _Unit) -> UUID:
            return unit.create(Invoice(**args)).id

        return self._run("receive_invoice", args, action, context, idempotency_key)

    def respond_to_invoice(
        self,
        invoice_id: UUID,
        response: BuyerResponse | str,
        remarks: str,
        *,
        object_version: ObjectVersion | tuple[int, int] | None = None,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """The buyer accepts, rejects or returns an invoice."""
        invoice_id = _uuid(invoice_id, "invoice_id")
        answer = _choice(BuyerResponse, response, "response")
        remarks = check_remarks(remarks)
        version = _object_version(object_version)

        def action(unit: _Unit) -> None:
            unit.get(Invoice, invoice_id).respond(answer, remarks, version)

        args = {
            "invoice_id": invoice_id,
            "response": answer,
            "remarks": remarks,
            "version": version,
        }
        self._run("respond_to_invoice", args, action, context, idempotency_key)

    def edit_invoice(
        self,
        invoice_id: UUID,
        supplier_invoice_number: str,
        total: Money | str,
        *,
        allows_partial: bool = True,
        object_version: ObjectVersion | tuple[int, int] | None = None,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        invoice_id = _uuid(invoice_id, "invoice_id")
        number = Invoice.check_number(supplier_invoice_number)
        amount = Money.positive(total)
        partial = _flag(allows_partial, "allows_partial")
        version = _object_version(object_version)

        def action(unit: _Unit) -> None:
            unit.get(Invoice, invoice_id).edit(number, amount, partial, version)

        args = {
            "invoice_id": invoice_id,
            "number": number,
            "total": amount,
            "partial": partial,
            "version": version,
        }
        self._run("edit_invoice", args, action, context, idempotency_key)

    def cancel_invoice(
        self,
        invoice_id: UUID,
        remarks: str,
        *,
        object_version: ObjectVersion | tuple[int, int] | None = None,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        invoice_id = _uuid(invoice_id, "invoice_id")
        remarks = check_remarks(remarks)
        version = _object_version(object_version)

        def action(unit: _Unit) -> None:
            unit.get(Invoice, invoice_id).cancel(remarks, version)

        args = {"invoice_id": invoice_id, "remarks": remarks, "version": version}
        self._run("cancel_invoice", args, action, context, idempotency_key)

    def receive_cd_note(
        self,
        invoice_id: UUID,
        note_id: str,
        note_type: NoteType | str,
        amount: Money | str,
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """A credit or debit note against an invoice; it counts once confirmed."""
        invoice_id, note_id = _uuid(invoice_id, "invoice_id"), _text(note_id, "note_id", 64)
        kind, money = _choice(NoteType, note_type, "note_type"), Money.positive(amount)
        args = {"invoice_id": invoice_id, "note_id": note_id, "type": kind, "amount": money}

        def action(unit: _Unit) -> None:
            unit.get(Invoice, invoice_id).receive_note(note_id, kind, money)

        self._run("receive_cd_note", args, action, context, idempotency_key)

    def confirm_cd_note(
        self,
        invoice_id: UUID,
        note_id: str,
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        invoice_id, note_id = _uuid(invoice_id, "invoice_id"), _text(note_id, "note_id", 64)
        args = {"invoice_id": invoice_id, "note_id": note_id}

        def action(unit: _Unit) -> None:
            unit.get(Invoice, invoice_id).confirm_note(note_id)

        self._run("confirm_cd_note", args, action, context, idempotency_key)

    # Payments.

    def initiate_payment(
        self,
        invoice_ids: Sequence[UUID],
        payment_type: str = "INVOICE",
        amount: Money | str | None = None,
        remarks: str = "",
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> UUID:
        """A full payment of the named invoices, or (``amount`` given) a partial one."""
        if isinstance(invoice_ids, (str, bytes)) or not isinstance(invoice_ids, Sequence):
            msg = "invoice_ids is a list of invoice ids"
            raise InvalidArgument(msg, argument="invoice_ids")
        ids = [_uuid(i, "invoice_ids[]") for i in invoice_ids]
        kind = check_payment_type(_text(payment_type, "payment_type", 40))
        money = None if amount is None else Money.positive(amount)
        remarks = _text(remarks, "remarks", 100, allow_empty=True)
        args = {"invoice_ids": ids, "type": kind, "amount": money, "remarks": remarks}
        payment_id = self.ids()

        def action(unit: _Unit) -> UUID:
            invoices = [unit.get(Invoice, i) for i in ids]
            payment = Payment.initiate(payment_id, kind, invoices, money, remarks)
            return unit.create(payment).id

        return self._run("initiate_payment", args, action, context, idempotency_key)

    def request_payment_otp(
        self, payment_id: UUID, *, context: CommandContext | None = None
    ) -> IssuedOtp:
        payment_id = _uuid(payment_id, "payment_id")

        def action(unit: _Unit) -> IssuedOtp:
            issued, challenge = self._issue_otp("PAYMENT")
            unit.get(Payment, payment_id).send_otp(challenge)
            return issued

        return self._run("request_payment_otp", {}, action, context)

    def authorise_payment(
        self,
        payment_id: UUID,
        otp: str,
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """Checks the OTP and reserves the amount on the invoices, atomically."""
        payment_id = _uuid(payment_id, "payment_id")
        checked = OneTimePassword(otp)

        def action(unit: _Unit) -> None:
            payment = unit.get(Payment, payment_id)
            invoices = [unit.get(Invoice, i) for i in payment.invoice_ids]
            digest = self.otp_key.digest(payment.otp.reference, checked) if payment.otp else ""
            payments.authorise(payment, invoices, digest, self._now())

        args = {"payment_id": payment_id}  # never the OTP
        self._run("authorise_payment", args, action, context, idempotency_key)

    def submit_payment(
        self,
        payment_id: UUID,
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Marks the payment as sent to the platform; returns its client reference."""
        payment_id = _uuid(payment_id, "payment_id")
        args = {"payment_id": payment_id}

        def action(unit: _Unit) -> str:
            payment = unit.get(Payment, payment_id)
            payment.submit()
            return payment.object_id

        return self._run("submit_payment", args, action, context, idempotency_key)

    def record_payment_success(
        self,
        payment_id: UUID,
        utr: str,
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """The platform paid: the reservations on the invoices become settled payments."""
        payment_id, utr = _uuid(payment_id, "payment_id"), _text(utr, "utr", 50)
        args = {"payment_id": payment_id, "utr": utr}

        def action(unit: _Unit) -> None:
            payment = unit.get(Payment, payment_id)
            payments.succeed(payment, [unit.get(Invoice, i) for i in payment.invoice_ids], utr)

        self._run("record_payment_success", args, action, context, idempotency_key)

    def record_payment_failure(
        self,
        payment_id: UUID,
        reason: str,
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """The payment failed or is abandoned; any reservation is released."""
        payment_id, reason = _uuid(payment_id, "payment_id"), _text(reason, "reason", 200)
        args = {"payment_id": payment_id, "reason": reason}

        def action(unit: _Unit) -> None:
            payment = unit.get(Payment, payment_id)
            payments.fail(payment, [unit.get(Invoice, i) for i in payment.invoice_ids], reason)

        self._run("record_payment_failure", args, action, context, idempotency_key)

    def _issue_otp(self, purpose: str) -> tuple[IssuedOtp, OtpChallenge]:
        code = OneTimePassword(self.otp_codes())
        reference = f"OTP{self.ids().hex}"
        expires_at = self._now() + OTP_LIFETIME
        challenge = OtpChallenge(
            reference=reference,
            purpose=purpose,
            digest=self.otp_key.digest(reference, code),
            expires_at=expires_at,
        )
        return IssuedOtp(reference, code.value, expires_at), challenge

    # Purchase orders.

    def draft_purchase_order(
        self,
        object_id: str,
        buyer_po_number: str,
        subject: str,
        total: Money | str,
        *,
        buyer_b2b_id: str,
        supplier_b2b_id: str,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> UUID:
        args: dict[str, Any] = {
            "object_id": PurchaseOrder.check_object_id(object_id),
            "buyer_po_number": PurchaseOrder.check_number(buyer_po_number),
            "subject": _text(subject, "subject", 200),
            "total": Money.positive(total),
            "buyer_b2b_id": _b2b_id(buyer_b2b_id, "buyer_b2b_id"),
            "supplier_b2b_id": _b2b_id(supplier_b2b_id, "supplier_b2b_id"),
        }

        def action(unit: _Unit) -> UUID:
            return unit.create(PurchaseOrder(**args)).id

        return self._run("draft_purchase_order", args, action, context, idempotency_key)

    def send_purchase_order(
        self,
        po_id: UUID,
        *,
        object_version: ObjectVersion | tuple[int, int] | None = None,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        po_id, version = _uuid(po_id, "po_id"), _object_version(object_version)
        self._run(
            "send_purchase_order",
            {"po_id": po_id, "version": version},
            lambda unit: unit.get(PurchaseOrder, po_id).send(version),
            context,
            idempotency_key,
        )

    def edit_purchase_order(
        self,
        po_id: UUID,
        subject: str,
        total: Money | str,
        *,
        object_version: ObjectVersion | tuple[int, int] | None = None,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """Edits a draft, sent or returned order; a sent or returned one is sent again."""
        po_id, version = _uuid(po_id, "po_id"), _object_version(object_version)
        subject, amount = _text(subject, "subject", 200), Money.positive(total)
        self._run(
            "edit_purchase_order",
            {"po_id": po_id, "subject": subject, "total": amount, "version": version},
            lambda unit: unit.get(PurchaseOrder, po_id).edit(subject, amount, version),
            context,
            idempotency_key,
        )

    def record_po_response(
        self,
        po_id: UUID,
        response: SupplierResponse | str,
        remarks: str,
        *,
        object_version: ObjectVersion | tuple[int, int] | None = None,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        """The supplier accepts, rejects or returns a sent order."""
        po_id, version = _uuid(po_id, "po_id"), _object_version(object_version)
        answer = _choice(SupplierResponse, response, "response")
        remarks = check_remarks(remarks)
        self._run(
            "record_po_response",
            {"po_id": po_id, "response": answer, "remarks": remarks, "version": version},
            lambda unit: unit.get(PurchaseOrder, po_id).record_response(answer, remarks, version),
            context,
            idempotency_key,
        )

    def record_po_fulfilment(
        self,
        po_id: UUID,
        value: Money | str,
        *,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        po_id, money = _uuid(po_id, "po_id"), Money.positive(value)
        self._run(
            "record_po_fulfilment",
            {"po_id": po_id, "value": money},
            lambda unit: unit.get(PurchaseOrder, po_id).record_fulfilment(money),
            context,
            idempotency_key,
        )

    def close_purchase_order(
        self,
        po_id: UUID,
        *,
        object_version: ObjectVersion | tuple[int, int] | None = None,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        po_id, version = _uuid(po_id, "po_id"), _object_version(object_version)
        self._run(
            "close_purchase_order",
            {"po_id": po_id, "version": version},
            lambda unit: unit.get(PurchaseOrder, po_id).close(version),
            context,
            idempotency_key,
        )

    def cancel_purchase_order(
        self,
        po_id: UUID,
        remarks: str,
        *,
        object_version: ObjectVersion | tuple[int, int] | None = None,
        context: CommandContext | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        po_id, version = _uuid(po_id, "po_id"), _object_version(object_version)
        remarks = check_remarks(remarks)
        self._run(
            "cancel_purchase_order",
            {"po_id": po_id, "remarks": remarks, "version": version},
            lambda unit: unit.get(PurchaseOrder, po_id).cancel(remarks, version),
            context,
            idempotency_key,
        )


def _creating_tables(construct: Callable[[], R]) -> R:
    """Several instances starting at once race to create the same tables; PostgreSQL
    then fails all but one with "tuple concurrently updated". Trying again settles it."""
    for attempt in range(1, 6):
        try:
            return construct()
        except PersistenceInternalError:
            if attempt == 5:
                raise
            time.sleep(random.uniform(0.01, 0.05 * attempt))  # noqa: S311
    raise AssertionError  # pragma: no cover


# Argument checks: typed errors before anything is read or written.


def _invalid(argument: str, expected: str, value: object) -> InvalidArgument:
    msg = f"{argument} must be {expected}, not {type(value).__name__} {value!r:.60}"
    return InvalidArgument(msg, argument=argument)


def _uuid(value: object, argument: str) -> UUID:
    if not isinstance(value, UUID):
        raise _invalid(argument, "a UUID", value)
    return value


def _text(value: object, argument: str, max_length: int, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise _invalid(argument, "a string", value)
    if (not allow_empty and not value.strip()) or len(value) > max_length:
        raise _invalid(argument, f"1-{max_length} characters, not blank", value)
    if any(ord(c) < 32 for c in value):
        raise _invalid(argument, "text without control characters", value)
    try:
        value.encode()
    except UnicodeEncodeError:
        raise _invalid(argument, "text that is valid Unicode", value) from None
    return value


def _position(position: object) -> Tracking:
    if not isinstance(position, Tracking):
        raise _invalid("position", "an eventsourcing Tracking", position)
    _text(position.application_name, "position.application_name", 100)
    _count(position.notification_id, "position.notification_id", minimum=1)
    return position


def _optional_text(value: object, argument: str, max_length: int) -> str | None:
    return None if value is None else _text(value, argument, max_length)


def _b2b_id(value: object, argument: str) -> str:
    text = _text(value, argument, 100)
    if "\\" in text or '"' in text:
        raise _invalid(argument, "a B2B id without backslash or double quote", value)
    return text


def _flag(value: object, argument: str) -> bool:
    if not isinstance(value, bool):
        raise _invalid(argument, "True or False", value)
    return value


def _count(value: object, argument: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _invalid(argument, f"a whole number from {minimum}", value)
    return value


def _aware(value: object, argument: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise _invalid(argument, "a timezone-aware datetime", value)
    return value


E = TypeVar("E")


def _choice(enum: Callable[[Any], E], value: object, argument: str) -> E:
    try:
        return enum(value)
    except (ValueError, TypeError):
        allowed = [m.value for m in enum]  # type: ignore[attr-defined]
        raise _invalid(argument, f"one of {allowed}", value) from None


def _object_version(value: object) -> ObjectVersion | None:
    if value is None:
        return None
    if isinstance(value, ObjectVersion):
        attrs.validate(value)
        return value
    if isinstance(value, tuple) and len(value) == 2:
        current = _count(value[0], "object_version.current")
        new = _count(value[1], "object_version.new")
        return ObjectVersion(current, new)
    raise _invalid("object_version", "an ObjectVersion or a (current, new) pair", value)

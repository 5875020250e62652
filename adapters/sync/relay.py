"""The sync relay: follows paycore's notification log and calls the platform.

One item per stored event that needs the platform (see :mod:`.calls`), strictly in the
log's order, resumed from the last notification id processed (PostgreSQL ids have gaps,
so never from a count). For each item:

1. a row in the item table says an attempt is about to be made (so a crash or an
   unknown outcome is known to have possibly reached the platform);
2. if an earlier attempt may have reached it, the relay asks the platform by the
   client reference first; a call it cannot ask about and that is not safe to resend
   (card-account creation, card replacement, a payment) goes to the dead-letter list
   as ``REMOTE_OUTCOME_UNKNOWN`` instead of being sent again;
3. the call, with its stable client reference. The client makes one attempt and
   classifies a failure (``effect``, ``retryable``); the relay alone decides whether to
   try again, waiting ``RelaySettings.backoff``, up to ``max_attempts`` attempts in all:
   a failure known not to have applied the call is tried again if it is retryable; one
   whose effect is unknown only if the call has an enquiry or is safe to resend, and
   otherwise it is dead-lettered at once;
4. the answer is recorded as a command on the aggregate in the same transaction as the
   relay's position (``PaymentsCore.tracking``); an item with nothing to record moves
   the position alone.

An item that fails for good is written to the dead-letter list first, then the position
moves past it, so it never blocks the items after it. ``retry()`` marks it, and the
active worker sends it again at its next pass.

Only the holder of the relay's lease sends (see :class:`~.tables.Lease`): any number of
workers may run against one database; the others wait and take over when it stops.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import Notification, Tracking

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.enkash.errors import (
    Effect,
    RemoteBusinessError,
    RemoteDuplicateError,
    RemoteError,
    RemoteRejectedError,
    RequestValidationError,
)
from paycore.adapters.enkash.retry import Backoff
from paycore.adapters.persistence.tables import Lease, SideTables
from paycore.adapters.sync.calls import (
    Answer,
    NotReady,
    OutboundCall,
    outbound_call,
    relayed_topics,
)
from paycore.adapters.sync.items import DEAD, RETRY, DeadLetter, RelayItems
from paycore.adapters.sync.profile import PartnerProfile
from paycore.adapters.telemetry import fields, span
from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.errors import AlreadyProcessed, ConcurrencyConflict, PaycoreError
from paycore.projections.runner import FollowerMetrics, lag
from paycore.projections.store import store_faults

log = logging.getLogger("paycore.adapters.sync")

CONSUMER = "sync-relay"
OUTCOME_UNKNOWN = "REMOTE_OUTCOME_UNKNOWN"
NOT_READY = "REMOTE_SYNC_NOT_READY"

_REFUSED = (RemoteRejectedError, RemoteBusinessError, RequestValidationError)


@dataclass(frozen=True)
class RelaySettings:
    #: attempts of one item (the first included) before it is dead-lettered; the
    #: client makes one attempt per call, so these are all the attempts there are
    max_attempts: int = 5
    #: the wait before each attempt after the first
    backoff: Backoff = field(default_factory=Backoff)
    #: how long an idle worker waits before it reads the log again
    poll_interval: float = 0.5
    batch_size: int = 50


class RelayBusy(ConcurrencyConflict):
    """Another worker holds the relay's lease (code ``CONCURRENCY_CONFLICT``, a PaycoreError)."""


class _Stopped(Exception):
    pass


class _Dead(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SyncRelay:
    """``SyncRelay(core, client, profile)``; ``start()``/``stop()`` for a thread of the
    host, ``run(stop_event)`` for a worker process, ``drain()`` for one pass."""

    def __init__(
        self,
        core: PaymentsCore,
        client: EnkashClient,
        profile: PartnerProfile,
        settings: RelaySettings | None = None,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.core = core
        self.client = client
        self.profile = profile
        self.settings = settings or RelaySettings()
        with store_faults("opening the sync relay's tables", written=True):
            self._tables = SideTables(core)
            self._items = RelayItems(self._tables)
            self._lease: Lease = self._tables.lease(CONSUMER)
        self._topics = relayed_topics()
        self._rng = rng or random.Random()  # noqa: S311  (jitter, not secrecy)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._attempts = 0
        self._last_success: float | None = None

    # -- running -------------------------------------------------------------------

    def start(self) -> None:
        """Runs the relay in a daemon thread of the host until :meth:`stop`."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name=CONSUMER, daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        # Waits for the worker's pass to end (its remote calls have timeouts), so that
        # the lease is released and the tables are not closed under a running pass.
        self.stop(timeout=None)
        self._tables.close()

    def run(self, stop: threading.Event | None = None) -> None:
        """Waits for the lease, then relays until ``stop`` (or :meth:`stop`) is set."""
        stop = stop or self._stop
        self._stop = stop
        with store_faults("the sync relay's pass", written=True):
            self._run(stop)

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if not self._lease.try_acquire():
                stop.wait(self.settings.poll_interval)
                continue
            log.info(
                "sync relay: lease taken, resuming after %d", self.position,
                extra=fields(consumer=CONSUMER, position=self.position),
            )  # fmt: skip
            try:
                while not stop.is_set():
                    if not self._lease.held():
                        # The server ended the lease's session: another worker may hold
                        # it now, so this one sends nothing more until it takes it again.
                        log.warning("sync relay: lease lost", extra=fields(consumer=CONSUMER))
                        break
                    if not self._pass():
                        stop.wait(self.settings.poll_interval)
            except _Stopped:
                pass
            except Exception:
                # Refused credentials, a database gone: stop here, position intact.
                log.exception("sync relay stopped", extra=fields(consumer=CONSUMER))
                raise
            finally:
                self._lease.release()

    def drain(self) -> None:
        """One worker's pass until nothing is left: operator retries, then the log."""
        with store_faults("the sync relay's pass", written=True):
            self._drain()

    def _drain(self) -> None:
        if not self._lease.try_acquire():
            raise RelayBusy("another sync relay worker holds the lease", consumer=CONSUMER)
        try:
            while self._pass():
                pass
        finally:
            self._lease.release()

    @property
    def position(self) -> int:
        """The last notification id the relay has processed."""
        with store_faults("reading the sync relay's position", written=False):
            return self.core.max_tracked(CONSUMER)

    def metrics(self) -> FollowerMetrics:
        """Where the relay stands (position, lag and dead letters read from the store)."""
        position = self.position
        events, seconds = lag(self.core, position, self._topics)
        dead = len(self.dead_letters())
        return FollowerMetrics(
            CONSUMER, position, events, seconds, self._attempts, dead, self._last_success
        )

    # -- the dead-letter list ------------------------------------------------------

    def dead_letters(self) -> list[DeadLetter]:
        """Items given up on (and those an operator asked to retry, not yet retried)."""
        with store_faults("reading the dead-letter list", written=False):
            return self._items.listed(DEAD, RETRY)

    def retry(self, notification_id: int) -> bool:
        """Asks the active worker to send a dead-lettered item again; False if no such item."""
        with store_faults("marking a dead letter for retry", written=True):
            return self._items.request_retry(notification_id)

    # -- one pass ------------------------------------------------------------------

    def _pass(self) -> bool:
        """Handles the items asked to be retried and one batch of the log; whether any."""
        # An item dead-lettered just before a crash is retried once the position has
        # passed it, never ahead of the log.
        position = self.position
        with span("paycore.sync.pass", consumer=CONSUMER, position=position):
            retried = 0
            for item in self._items.listed(RETRY):
                found = self.core.recorder.select_notifications(item.notification_id, 1)
                if (
                    item.notification_id <= position
                    and found[:1]
                    and found[0].id == item.notification_id
                ):
                    self._process(found[0], retried=True)
                    retried += 1
            batch = self.core.recorder.select_notifications(
                self.position,
                self.settings.batch_size,
                topics=self._topics,
                inclusive_of_start=False,
            )
            for notification in batch:
                self._process(notification, retried=False)
        self._last_success = time.time()
        return bool(retried or batch)

    def _process(self, notification: Notification, *, retried: bool) -> None:
        nid = notification.id
        tracking = Tracking(CONSUMER, nid)
        if not retried and self._items.state(nid) == DEAD:
            # Dead-lettered just before a crash: only the position is left to move.
            self._move_past(tracking)
            return
        event: Any = self.core.mapper.to_domain_event(notification)
        context = CommandContext(
            actor=CONSUMER,
            source="sync",
            correlation_id=event.correlation_id,
            causation_id=f"notification:{nid}",
        )
        call: OutboundCall | None = None
        with span("paycore.sync.item", position=nid, correlation_id=event.correlation_id):
            try:
                call = outbound_call(self.core, event, self.profile)
                answer = self._deliver(call, nid, retried=retried) if call else Answer()
                self._record(answer, tracking, context, retried=retried)
            except AlreadyProcessed:
                log.info(
                    "sync relay: %d was processed by another worker", nid,
                    extra=fields(consumer=CONSUMER, position=nid,
                                 correlation_id=event.correlation_id),
                )  # fmt: skip
            except (NotReady, _Dead, PaycoreError) as failure:
                # Given up on, or never sendable (a value the platform would refuse).
                code, message = _reason(failure)
                self._bury(
                    tracking, call or event, code, message,
                    retried=retried, correlation_id=event.correlation_id,
                )  # fmt: skip
                return
        if call is not None or retried:
            self._items.forget(nid)

    def _record(
        self, answer: Answer, tracking: Tracking, context: CommandContext, *, retried: bool
    ) -> None:
        try:
            if retried:
                # The position is past this item already: the key makes it once.
                key = f"{CONSUMER}:{tracking.notification_id}"
                if answer.record is not None:
                    answer.record(self.core, context, key)
                return
            with self.core.tracking(tracking):
                if answer.record is not None:
                    answer.record(self.core, context, None)
                    return
            self.core.record_position(tracking)
        except AlreadyProcessed:
            raise
        except PaycoreError as error:
            raise _Dead(
                error.code, f"the platform's answer could not be recorded: {error}"
            ) from None

    def _move_past(self, tracking: Tracking) -> None:
        try:
            self.core.record_position(tracking)
        except AlreadyProcessed:
            nid = tracking.notification_id
            log.info(
                "sync relay: %d was processed by another worker", nid,
                extra=fields(consumer=CONSUMER, position=nid),
            )  # fmt: skip

    def _bury(
        self,
        tracking: Tracking,
        item: OutboundCall | Any,
        code: str,
        message: str,
        *,
        retried: bool,
        correlation_id: str | None,
    ) -> None:
        """Dead-letters an item (a call, or the event no call could be built for)."""
        nid = tracking.notification_id
        if isinstance(item, OutboundCall):
            kind, reference = item.kind, item.reference
        else:
            kind, reference = item.TOPIC, f"{item.originator_id}/{item.originator_version}"
        log.warning(
            "sync relay: %d %s %s dead-lettered: %s", nid, kind, reference, code,
            extra=fields(consumer=CONSUMER, position=nid, call=kind, reference=reference,
                         code=code, correlation_id=correlation_id),
        )  # fmt: skip
        self._items.bury(nid, kind, reference, code, message)
        if not retried:
            self._move_past(tracking)

    # -- one call ------------------------------------------------------------------

    def _deliver(self, call: OutboundCall, nid: int, *, retried: bool) -> Answer:
        last: RemoteError | None = None
        # Whether an earlier attempt may have reached the platform: any of an earlier
        # pass (cut short by a crash or a takeover) may have; of this pass, one whose
        # effect is unknown. One that never left (refused connection) has not.
        earlier = False
        for attempt in range(1, self.settings.max_attempts + 1):
            if attempt > 1:
                self._pause(attempt)
            before = self._items.start_attempt(nid, call.kind, call.reference)
            self._attempts += 1
            earlier = earlier or (attempt == 1 and before > 0)
            try:
                return self._attempt(call, earlier=earlier, forced=retried)
            except RemoteDuplicateError as duplicate:
                if earlier:
                    log.info(
                        "sync relay: %s %s applied by an earlier attempt", call.kind,
                        call.reference,
                        extra=fields(consumer=CONSUMER, position=nid, call=call.kind,
                                     reference=call.reference),
                    )  # fmt: skip
                    return Answer()
                raise _Dead(duplicate.code, duplicate.message) from None
            except _REFUSED as refusal:
                if call.refused is not None:
                    return call.refused(refusal)
                raise _Dead(refusal.code, refusal.message) from None
            except RemoteError as failure:
                if failure.effect is Effect.UNKNOWN:
                    # The item knows more than the one request: an enquiry, or a
                    # reference the platform dedupes, makes the next attempt safe.
                    if not (call.enquire or call.resend_safe):
                        raise _Dead(OUTCOME_UNKNOWN, _unknown(call, failure)) from None
                    earlier = True
                elif not failure.retryable:
                    raise
                last = failure
        assert last is not None
        raise _Dead(
            last.code,
            f"gave up after {self.settings.max_attempts} attempts: {last}" + _answered(last),
        )

    def _attempt(self, call: OutboundCall, *, earlier: bool, forced: bool) -> Answer:
        if earlier:
            if call.enquire is not None:
                found = call.enquire(self.client)
                if found is not None:
                    log.info(
                        "sync relay: %s %s found by enquiry", call.kind, call.reference,
                        extra=fields(consumer=CONSUMER, call=call.kind, reference=call.reference),
                    )  # fmt: skip
                    return found
            elif not call.resend_safe and not forced:
                raise _Dead(OUTCOME_UNKNOWN, _unknown(call, None))
        return call.send(self.client)

    def _pause(self, attempt: int) -> None:
        if self._stop.wait(self.settings.backoff.delay(attempt, self._rng)):
            raise _Stopped


def _reason(failure: Exception) -> tuple[str, str]:
    if isinstance(failure, NotReady):
        return NOT_READY, str(failure)
    if isinstance(failure, (_Dead, PaycoreError)):
        return failure.code, failure.message
    raise AssertionError(failure)  # pragma: no cover


def _unknown(call: OutboundCall, failure: RemoteError | None) -> str:
    """The dead letter's message: why the outcome is unknown, and what the platform
    answered when it answered something paycore could not read (redacted by the client),
    so that whoever checks with the platform has it."""
    why = f"{failure.code}: {failure.message}" if failure else "an earlier attempt was cut short"
    return (
        f"{call.kind} {call.reference}: the platform may have applied it ({why}) and offers "
        "no enquiry; not sent again. Check with the platform, then retry or leave it."
        + _answered(failure)
    )


def _answered(failure: RemoteError | None) -> str:
    """What the platform answered, when paycore could not read it (redacted by the
    client); last, so that a dead letter's limit cuts only the answer."""
    answer = failure.details.get("answer") if failure else None
    return f" It answered: {answer}" if answer else ""

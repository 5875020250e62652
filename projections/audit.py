"""Audit-trail queries, past states of aggregates, and the hash chain's digest and check.

The event queries read the audit-trail view, so they see what the projector has
processed (call ``Projector.update()`` or ``wait()`` first for read-your-writes). The
past states and the verification read the event store itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from paycore.domain.aggregate import PaycoreAggregate
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import InvalidArgument, NotFound
from paycore.projections import chain
from paycore.projections.chain import Digest, SigningKey, Verification, VerifyingKey
from paycore.projections.store import Condition, ViewStore, store_faults
from paycore.projections.views import AUDIT_TRAIL, AuditEvent

#: The most events one query returns unless told otherwise.
DEFAULT_LIMIT = 1000


class AuditTrail:
    """Who did what, when, to which aggregate; and whether the record is intact."""

    def __init__(self, core: PaymentsCore, store: ViewStore) -> None:
        self.core = core
        self.store = store

    def events_of(self, aggregate_id: UUID) -> list[AuditEvent]:
        """Every event of one aggregate, oldest first."""
        return self.store.select(
            AUDIT_TRAIL, ("aggregate_id", "=", aggregate_id), order_by="version"
        )

    def events(
        self,
        *,
        actor: str | None = None,
        correlation_id: str | None = None,
        event_type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = DEFAULT_LIMIT,
    ) -> list[AuditEvent]:
        """Events that match every criterion given, in log order.

        ``event_type`` is the topic an event class is stored under, such as
        ``get_topic(Invoice.PaymentReserved)``; ``since`` is inclusive and ``until``
        exclusive, both timezone-aware.
        """
        conditions: list[Condition] = []
        for column, value in (
            ("actor", actor),
            ("correlation_id", correlation_id),
            ("event_type", event_type),
        ):
            if value is not None:
                conditions.append((column, "=", value))
        for operator, moment in ((">=", since), ("<", until)):
            if moment is not None:
                conditions.append(("recorded_at", operator, _aware(moment)))
        return self.store.select(AUDIT_TRAIL, *conditions, order_by="position", limit=limit)

    def as_of(
        self, aggregate_id: UUID, *, version: int | None = None, at: datetime | None = None
    ) -> PaycoreAggregate:
        """The aggregate as it was at ``version``, or as it stood at the moment ``at``:
        with the events recorded up to the first one recorded after ``at``."""
        if (version is None) == (at is None):
            msg = "as_of takes a version or a moment (at=), one of the two"
            raise InvalidArgument(msg)
        if at is not None:
            version = self._version_at(aggregate_id, _aware(at))
        try:
            with store_faults("reading a past state", written=False):
                aggregate: Any = self.core.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            aggregate = None
        if not isinstance(aggregate, PaycoreAggregate) or aggregate.version != version:
            msg = f"no aggregate {aggregate_id} at version {version}"
            raise NotFound(msg, id=str(aggregate_id), version=version)
        return aggregate

    def _version_at(self, aggregate_id: UUID, at: datetime) -> int:
        version = 0
        event: Any
        with store_faults("reading a past state", written=False):
            for event in self.core.events.get(aggregate_id):
                if event.timestamp > at:
                    break
                version = event.originator_version
        if not version:
            msg = f"no aggregate {aggregate_id} existed at {at.isoformat()}"
            raise NotFound(msg, id=str(aggregate_id), at=at.isoformat())
        return version

    def digest(self, key: SigningKey) -> Digest:
        """The recorded chain's head, signed with an HMAC key (bytes) or an Ed25519
        private key. Extend the chain first (``Projector.update()``)."""
        last = chain.head(self.store)
        if last is None:
            return Digest.sign(0, chain.GENESIS, key)
        return Digest.sign(last.position, last.digest, key)

    def verify(self, digest: Digest | None = None, key: VerifyingKey | None = None) -> Verification:
        """Recomputes the chain from the stored events; see :func:`chain.verify`."""
        with store_faults("verifying the hash chain", written=False):
            return chain.verify(self.core.recorder, self.store, digest, key)


def _aware(moment: datetime) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        msg = f"a moment must be a timezone-aware datetime, not {moment!r}"
        raise InvalidArgument(msg)
    return moment

"""The audit trail: every stored event, flattened with its metadata."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import attrs

from paycore.domain.money import Money
from paycore.projections.store import Rows
from paycore.projections.tables import Table
from paycore.projections.views.base import Recorded, View


@dataclass(frozen=True)
class AuditEvent:
    """One stored event, flattened: where it stands, what it is, who caused it, and its
    own fields as JSON-native values (amounts as decimal text, times as ISO 8601)."""

    position: int
    aggregate_id: UUID
    aggregate_type: str
    version: int
    event_type: str
    recorded_at: datetime
    actor: str
    source: str
    correlation_id: str
    causation_id: str
    fields: dict[str, Any]


AUDIT_TRAIL = Table(
    "paycore_audit_trail",
    AuditEvent,
    key=("position",),
    indexes=(
        ("aggregate_id", "version"),
        ("actor", "position"),
        ("correlation_id", "position"),
        ("event_type", "position"),
        ("recorded_at",),
    ),
)

#: Attributes of every event that have columns of their own in the audit trail.
_METADATA = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "actor",
        "source",
        "correlation_id",
        "causation_id",
    }
)


_JSON_NATIVE = frozenset({str, int, bool, float, type(None)})


def plain(value: Any) -> Any:
    """A value of an event as JSON-native data: amounts and ids as text, times as ISO
    8601, value objects as dicts of their fields."""
    if isinstance(value, Money):
        return str(value.amount)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    if attrs.has(type(value)):
        return plain(attrs.asdict(value, recurse=False))
    return _plain_scalar(value)


def _plain_scalar(value: Any) -> Any:
    if isinstance(value, Enum):
        value = value.value
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (str, Decimal, UUID)):
        return str(value)
    msg = f"an event field of type {type(value).__name__} has no audit form"
    raise TypeError(msg)


def audit_event(recorded: Recorded) -> AuditEvent:
    """The audit-trail row of one recorded event."""
    e = recorded.event
    return AuditEvent(
        position=recorded.position,
        aggregate_id=e.originator_id,
        aggregate_type=recorded.topic.split(".")[1],
        version=e.originator_version,
        event_type=recorded.topic,
        recorded_at=e.timestamp,
        actor=e.actor,
        source=e.source,
        correlation_id=e.correlation_id,
        causation_id=e.causation_id,
        fields={
            k: v if type(v) in _JSON_NATIVE else plain(v)
            for k, v in vars(e).items()
            if k not in _METADATA
        },
    )


class AuditTrailView(View):
    """Every event, flattened with its metadata: it takes every class, so it folds
    each recorded event without a table of handlers."""

    name = "paycore.audit_trail"
    tables = (AUDIT_TRAIL,)

    def project(self, batch: Sequence[Recorded], rows: Rows) -> None:
        for recorded in batch:
            rows.put(AUDIT_TRAIL, audit_event(recorded))

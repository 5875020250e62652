"""The audit trail: every stored event, flattened with its metadata."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from paycore.projections.store import Rows
from paycore.projections.tables import JSONText, Table
from paycore.projections.views.base import Recorded, View, new_row, replace, stored_fields


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


#: Fields of every event that have columns of their own in the audit trail.
_METADATA = ("timestamp", "actor", "source", "correlation_id", "causation_id", "originator_topic")


def _event_fields(row: AuditEvent) -> AuditEvent:
    """An audit row as the store gives it back, with the event's own fields.

    The projector writes the event's stored state as it is (its JSON text), so that
    projecting an event encodes nothing again; here it is made JSON-native, upcast, and
    stripped of what has columns of its own. Rows written before 2026-12-04 hold the
    fields already so (they have no timestamp among them) and are given as they are.
    """
    fields = row.fields
    if "timestamp" not in fields:
        return row
    fields = stored_fields(row.event_type, fields)
    for name in _METADATA:
        fields.pop(name, None)
    return replace(row, fields=fields)


AUDIT_TRAIL = Table(
    "paycore_audit_trail",
    AuditEvent,
    key=("position",),
    # One aggregate's events (an index lookup, however large the trail), and one
    # operation's (a correlation id matches a few events, so without an index every
    # query would read the whole trail). Events by actor, type or time read the trail
    # in log order, stopping at the limit: each index costs every event recorded more
    # than those rarer queries gain (docs/performance.md).
    indexes=(("aggregate_id", "version"), ("correlation_id", "position")),
    loaded=_event_fields,
)


def audit_event(recorded: Recorded) -> AuditEvent:
    """The audit-trail row of one recorded event, as the projector writes it: its
    ``fields`` are the stored state's JSON text (see :func:`_event_fields`)."""
    stored = recorded.fields
    return new_row(
        AuditEvent,
        position=recorded.position,
        aggregate_id=recorded.aggregate_id,
        aggregate_type=recorded.topic.split(".")[1],
        version=recorded.version,
        event_type=recorded.topic,
        recorded_at=recorded.timestamp,
        actor=stored["actor"],
        source=stored["source"],
        correlation_id=stored["correlation_id"],
        causation_id=stored["causation_id"],
        fields=JSONText(recorded.state),
    )


class AuditTrailView(View):
    """Every event, flattened with its metadata: it takes every class, so it folds
    each recorded event without a table of handlers."""

    name = "paycore.audit_trail"
    tables = (AUDIT_TRAIL,)

    def project(self, batch: Sequence[Recorded], rows: Rows) -> None:
        for recorded in batch:
            rows.put(AUDIT_TRAIL, audit_event(recorded))

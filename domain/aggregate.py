"""What every paycore aggregate shares: audit metadata on each event, lifecycle tables,
and B2B objectVersion checks.

Audit metadata does not come through each command's arguments: the application opens a
:func:`recording` scope around a command, and every event triggered inside it carries
the scope's actor, source, correlation id, causation id and recorded time. An event
triggered outside any scope is a programming error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Generic, Self, TypeVar
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate, ProgrammingError

from paycore.domain.errors import (
    InvalidArgument,
    ObjectVersionGap,
    ObjectVersionLimit,
    StaleObjectVersion,
    TransitionError,
    shown,
)


class Source(StrEnum):
    """Where a command came from."""

    API = "api"
    WEBHOOK = "webhook"
    SYNC = "sync"
    SYSTEM = "system"


@attrs.frozen
class Audit:
    """Who asked for a change, through which edge, as part of what, and when it was recorded."""

    actor: str
    source: Source
    correlation_id: str
    causation_id: str
    recorded_at: datetime


_current_audit: ContextVar[Audit | None] = ContextVar("paycore_audit", default=None)


@contextmanager
def recording(audit: Audit) -> Iterator[Audit]:
    """Events triggered inside this block carry ``audit``."""
    token = _current_audit.set(audit)
    try:
        yield audit
    finally:
        _current_audit.reset(token)


def current_audit() -> Audit | None:
    """The audit of the command being recorded, if any."""
    return _current_audit.get()


def _audit_fields() -> dict[str, Any]:
    audit = _current_audit.get()
    if audit is None:
        msg = "an event was triggered outside paycore.domain.aggregate.recording()"
        raise ProgrammingError(msg)
    return {
        "timestamp": audit.recorded_at,
        "actor": audit.actor,
        "source": str(audit.source),
        "correlation_id": audit.correlation_id,
        "causation_id": audit.causation_id,
    }


E = TypeVar("E", bound=StrEnum)


class Typed(Generic[E]):
    """An aggregate attribute that always reads as its enum, however it was restored.

    A snapshot stores an aggregate's ``__dict__`` as JSON, where a ``StrEnum`` is a plain
    string, and restores that dict as it is: without this, an aggregate rebuilt from a
    snapshot would hold ``"PAID"`` where one rebuilt from its events holds
    ``InvoiceStatus.PAID`` (equal, but without ``.value`` or the enum's type). A data
    descriptor is read before the instance's dict, so the value is typed on first read.
    """

    def __init__(self, enum: type[E]) -> None:
        self.enum = enum

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type[Any] | None = None) -> E:
        if instance is None:
            return self  # type: ignore[return-value]
        value = instance.__dict__[self.name]
        if type(value) is not self.enum:
            value = instance.__dict__[self.name] = self.enum(value)
        return value

    def __set__(self, instance: Any, value: E | str) -> None:
        instance.__dict__[self.name] = self.enum(value)


class PaycoreAggregate(Aggregate):
    """Base of the four aggregates: every event carries the audit metadata."""

    TOPIC = "paycore.Aggregate"

    class Event(Aggregate.Event):
        TOPIC = "paycore.Aggregate.Event"
        actor: str
        source: str
        correlation_id: str
        causation_id: str

    class Created(Event, Aggregate.Created):
        TOPIC = "paycore.Aggregate.Created"

    @classmethod
    def create_with_id(cls, aggregate_id: UUID, created_event: str, **kwargs: Any) -> Self:
        """Creates an aggregate under an id the application chose (its injectable id source)."""
        return cls._create(getattr(cls, created_event), id=aggregate_id, **kwargs)  # type: ignore[no-any-return]

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        super().trigger_event(event_class, **_audit_fields(), **kwargs)

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        """A copy that shares the immutable values and copies the containers holding
        them: an aggregate's attributes are values (``Immutable``, str, int, enums,
        datetimes, UUIDs) or flat dicts and lists of values, never deeper."""
        copy = object.__new__(type(self))
        copy.__dict__.update(
            {
                name: value.copy() if isinstance(value, (dict, list)) else value
                for name, value in self.__dict__.items()
            }
        )
        return copy

    @classmethod
    def _create(cls, event_class: Any, **kwargs: Any) -> Any:
        return super()._create(event_class, **_audit_fields(), **kwargs)


def upcast_adding(**fields: str | int) -> staticmethod[[dict[str, Any]], None]:
    """The ``upcast_vN_vN+1`` of an event class that gained ``fields``, for events
    stored before it did: each of them had these values (the one status such an event
    always moves to, say)."""
    values = {name: str(v) if isinstance(v, str) else v for name, v in fields.items()}

    def upcast(state: dict[str, Any]) -> None:
        state.update(values)

    return staticmethod(upcast)


S = TypeVar("S", bound=StrEnum)


@attrs.frozen
class Lifecycle(Generic[S]):
    """A state machine as a table: status -> the statuses it may move to.

    The code and docs/domain-rules.md both read the same table.
    """

    name: str
    moves: Mapping[S, frozenset[S]]
    error: type[TransitionError]

    def allowed(self, current: S) -> frozenset[S]:
        return self.moves.get(current, frozenset())

    def mermaid(self) -> str:
        """The table as a Mermaid state diagram (docs/lifecycles.md prints these).

        Statuses with no way out end at ``[*]``; a move that stays in its status (a
        partial payment after another) is drawn as a loop.
        """
        lines = ["stateDiagram-v2"]
        for current, targets in self.moves.items():
            lines += [f"    {current} --> {target}" for target in sorted(targets)]
            if not targets:
                lines.append(f"    {current} --> [*]")
        finals = {t for ts in self.moves.values() for t in ts} - set(self.moves)
        lines += [f"    {final} --> [*]" for final in sorted(finals)]
        return "\n".join(lines)

    def check(self, current: S, target: S, **details: Any) -> None:
        allowed = self.allowed(current)
        if target not in allowed:
            names = ", ".join(sorted(allowed)) or "none, it is final"
            msg = (
                f"a {self.name} in {current} cannot move to {target}; "
                f"allowed from {current}: {names}"
            )
            raise self.error(
                msg,
                status=str(current),
                attempted=str(target),
                allowed=sorted(str(s) for s in allowed),
                **details,
            )


def table(moves: Mapping[S, Any]) -> dict[S, frozenset[S]]:
    return {status: frozenset(targets) for status, targets in moves.items()}


#: The largest objectVersion: the platform's ``int`` (``currentVersion``/``newVersion``,
#: https://docs.enkash.com/api-10664764) taken as a signed 32-bit integer, so that every
#: version paycore holds can be sent back and kept in any store.
MAX_OBJECT_VERSION = 2**31 - 1


def _version_number(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    in_range = isinstance(value, int) and 0 <= value <= MAX_OBJECT_VERSION
    if isinstance(value, bool) or not in_range:
        argument, shown_value = f"object_version.{attribute.name}", shown(value)
        msg = (
            f"{argument} is a whole number from 0 to {MAX_OBJECT_VERSION}, "
            f"not {type(value).__name__} {shown_value}"
        )
        raise InvalidArgument(msg, argument=argument, value=shown_value)


@attrs.frozen
class ObjectVersion:
    """The ``objectVersion`` a B2B message carries: the version it saw and the one it makes,
    each from 0 to MAX_OBJECT_VERSION."""

    current: int = attrs.field(validator=_version_number)
    new: int = attrs.field(validator=_version_number)


class VersionedObject:
    """Mixin for B2B objects: every change moves objectVersion on by exactly one."""

    object_version: int
    OBJECT_KIND: ClassVar[str]

    def next_object_version(self, given: ObjectVersion | None) -> int:
        """The version after this change; a stale or skipped message is refused."""
        if given is None:
            if self.object_version >= MAX_OBJECT_VERSION:
                msg = (
                    f"{self.OBJECT_KIND} is at objectVersion {self.object_version}, the "
                    "largest there is; it cannot change again"
                )
                raise ObjectVersionLimit(msg, held=self.object_version)
            return self.object_version + 1
        if given.current < self.object_version or (
            given.current == self.object_version and given.new <= given.current
        ):
            msg = (
                f"{self.OBJECT_KIND} message for objectVersion {given.current}->{given.new}"
                f" is stale: we hold version {self.object_version}"
            )
            raise StaleObjectVersion(
                msg, held=self.object_version, current=given.current, new=given.new
            )
        if given.current > self.object_version or given.new != given.current + 1:
            msg = (
                f"{self.OBJECT_KIND} message for objectVersion {given.current}->{given.new}"
                f" skips a version: we hold version {self.object_version} and expect "
                f"{self.object_version}->{self.object_version + 1}"
            )
            raise ObjectVersionGap(
                msg, held=self.object_version, current=given.current, new=given.new
            )
        return given.new

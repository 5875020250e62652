"""What every view shares: the recorded events it folds, and the one way a view says
which events it takes.

A view is a fold: :meth:`View.project` takes a batch of recorded events in log order and
reads and changes rows through :class:`~paycore.projections.store.Rows`. It never reads
the clock or the aggregates: every value comes from the events, so replaying the log
from zero gives the same rows.

A view reads an event's :attr:`Recorded.fields`: the state as stored, decoded once and
left in its JSON-native form (amounts as decimal text, times as ISO 8601 text, ids as
text, value objects as dicts of their fields). Replaying the log so builds no domain
event, validates no ``Money`` again and makes no value a view does not read; the
amounts were checked when the events were recorded.

A view that takes events of some classes (:class:`EventView`) names each class with
the handler for it, ``on(CardAccount.CardLoaded, _loaded)``. The table is keyed by the
topic each class is stored under, so an event of a class the view does not take is
skipped without being decoded. The view tests hold every fold to the aggregates, so a
field a handler reads that its class no longer has fails there.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, ClassVar, Generic, TypeVar, cast
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Mapper, Notification
from eventsourcing.utils import get_topic, resolve_topic

from paycore.domain.aggregate import PaycoreAggregate
from paycore.projections.store import Rows
from paycore.projections.tables import Table

R = TypeVar("R")
V = TypeVar("V", bound="View")

ZERO = Decimal("0.00")

#: An event's fields in their JSON-native form (see the module).
Fields = dict[str, Any]


def _json_native(value: dict[str, Any]) -> Any:
    """A value the library's JSON transcoder wrapped, as JSON-native data: its stored
    form (a UUID with its dashes, as ``str`` gives it)."""
    if len(value) == 2 and "_type_" in value and "_data_" in value:
        data = value["_data_"]
        return str(UUID(hex=data)) if value["_type_"] == "uuid_hex" else data
    return value


_DECODER = json.JSONDecoder(object_hook=_json_native)


def _unwrapped(value: Any) -> Any:
    """:func:`_json_native` applied to stored state another decoder read."""
    if isinstance(value, dict):
        return _json_native({k: _unwrapped(v) for k, v in value.items()})
    if isinstance(value, list):
        return [_unwrapped(v) for v in value]
    return value


@cache
def _upcasts(topic: str) -> tuple[int, tuple[Callable[[Fields], None], ...]]:
    """The class version of events of ``topic`` and its upcasters, from version 1 on."""
    cls = resolve_topic(topic)
    version = getattr(cls, "class_version", 1)
    return version, tuple(getattr(cls, f"upcast_v{v}_v{v + 1}") for v in range(1, version))


def upcast(topic: str, fields: Fields) -> Fields:
    """An event's JSON-native stored state, upcast to its class's version."""
    version, upcasts = _upcasts(topic)
    for step in upcasts[fields.pop("class_version", 1) - 1 : version - 1]:
        step(fields)
    return fields


def stored_fields(topic: str, state: Fields) -> Fields:
    """What :attr:`Recorded.fields` gives, from the stored state as a JSON decoder other
    than the views' own read it (a view store's, say)."""
    return upcast(topic, _unwrapped(state))


class _Once(Generic[R]):
    """``functools.cached_property`` without the lock it takes on Python 3.11: computed
    at the first read, then a plain attribute of the instance."""

    def __init__(self, compute: Callable[[Any], R]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __get__(self, instance: Any, owner: type | None = None) -> R:
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


class Recorded:
    """A notification of the event log, and what views read of it, decoded when first
    asked for (the hash chain never asks: it covers the stored bytes)."""

    def __init__(self, notification: Notification, mapper: Mapper[UUID]) -> None:
        self.notification = notification
        self.position = notification.id
        self.topic = notification.topic
        self.aggregate_id: UUID = notification.originator_id  # type: ignore[assignment]
        self.version = notification.originator_version
        self._mapper = mapper

    @_Once
    def state(self) -> str:
        """The event's state as its JSON text, decrypted and decompressed."""
        mapper, state = self._mapper, self.notification.state
        if not isinstance(mapper.transcoder, JSONTranscoder):
            msg = "views read events stored by the library's JSON transcoder"
            raise TypeError(msg)
        if mapper.cipher:
            state = mapper.cipher.decrypt(state)
        if mapper.compressor:
            state = mapper.compressor.decompress(state)
        return state.decode("utf8")

    @_Once
    def fields(self) -> Fields:
        """The event's state, JSON-native and upcast to its class's version."""
        return upcast(self.topic, _DECODER.decode(self.state))

    @_Once
    def timestamp(self) -> datetime:
        """When the event was recorded, read once for every row that shows it."""
        return datetime.fromisoformat(self.fields["timestamp"])

    @_Once
    def event(self) -> PaycoreAggregate.Event:
        """The domain event, for a view of a host that wants it (paycore's do not)."""
        return cast(PaycoreAggregate.Event, self._mapper.to_domain_event(self.notification))


def new_row(row_type: type[R], **values: Any) -> R:
    """A row of ``row_type`` without its dataclass ``__init__`` (rows validate nothing,
    and a frozen dataclass sets each field through ``object.__setattr__``): for the rows
    made for nearly every event. Every field must be given."""
    row = object.__new__(row_type)
    row.__dict__.update(values)
    return row


def replace(row: R, **changes: Any) -> R:
    """``dataclasses.replace`` for rows, without re-running ``__init__`` field by field
    (rows validate nothing): the folds call it for most events, so it is hot."""
    copy = object.__new__(type(row))
    copy.__dict__.update(row.__dict__, **changes)
    return copy


class View(ABC):
    """A read model: the tables it owns and the fold that fills them.

    ``name`` keys the view's row in the positions table, distinct from any consumer
    of PaymentsCore's own tracking table (such as the sync relay).
    """

    name: ClassVar[str]
    tables: ClassVar[tuple[Table[Any], ...]]
    #: Whether a rebuild drops the tables and replays the log (not so the hash chain).
    rebuildable: ClassVar[bool] = True

    @abstractmethod
    def project(self, batch: Sequence[Recorded], rows: Rows) -> None:
        """Folds the batch's events, in order, into rows."""


#: A handler: the view, the recorded event, the rows of the batch.
Handler = Callable[[Any, Recorded, Rows], None]


def on(
    event_class: type[PaycoreAggregate.Event], handler: Callable[[V, Recorded, Rows], None]
) -> tuple[str, Handler]:
    """An entry of a view's handlers: ``handler`` takes the events of ``event_class``,
    found by the topic they are stored under."""
    return get_topic(event_class), handler


class EventView(View):
    """A view that takes the events of the classes its ``handlers`` name, and skips
    every other event before it is decoded."""

    handlers: ClassVar[Mapping[str, Handler]]

    def project(self, batch: Sequence[Recorded], rows: Rows) -> None:
        handlers = self.handlers
        for recorded in batch:
            handler = handlers.get(recorded.topic)
            if handler is not None:
                handler(self, recorded, rows)


def event_classes(aggregate: type[PaycoreAggregate]) -> Iterator[type[PaycoreAggregate.Event]]:
    """The classes of the events ``aggregate`` records (not its base classes)."""
    bases = (aggregate.Event, aggregate.Created)
    for value in vars(aggregate).values():
        if isinstance(value, type) and issubclass(value, aggregate.Event) and value not in bases:
            yield value


class AggregateView(EventView, Generic[R]):
    """A view with one row per aggregate, keyed by the aggregate's id.

    Its ``changes`` are made with :func:`created` (the row from the created event) and
    :func:`change` (the new row from the row and the event's fields). Every event of
    ``aggregate``, changing the row or not, moves the row's ``version`` and
    ``updated_at``.
    """

    table: ClassVar[Table[Any]]
    aggregate: ClassVar[type[PaycoreAggregate]]
    changes: ClassVar[Mapping[str, Handler]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.tables = (cls.table,)
        touched = dict(on(c, AggregateView.touch) for c in event_classes(cls.aggregate))
        cls.handlers = {**touched, **cls.changes}

    def touch(self, recorded: Recorded, rows: Rows) -> None:
        """An event that changes nothing else on the row."""
        self.put(rows, self.row(rows, recorded), recorded)

    def row(self, rows: Rows, recorded: Recorded) -> Any:
        row = rows.get(self.table, (recorded.aggregate_id,))
        assert row is not None, f"{recorded.topic} at {recorded.position} before creation"
        return row

    def put(self, rows: Rows, row: Any, recorded: Recorded) -> None:
        touched = replace(row, version=recorded.version, updated_at=recorded.timestamp)
        rows.put(self.table, touched)


def created(
    event_class: type[PaycoreAggregate.Event], make: Callable[[Recorded], R]
) -> tuple[str, Handler]:
    """An entry of an aggregate view's changes: the row ``make`` builds from the
    aggregate's created event."""

    def handler(view: AggregateView[R], recorded: Recorded, rows: Rows) -> None:
        view.put(rows, make(recorded), recorded)

    return on(event_class, handler)


def change(
    event_class: type[PaycoreAggregate.Event], moved: Callable[[R, Fields], R]
) -> tuple[str, Handler]:
    """An entry of an aggregate view's changes: the row ``moved`` makes of the row
    before and the fields of an event of ``event_class``."""

    def handler(view: AggregateView[R], recorded: Recorded, rows: Rows) -> None:
        view.put(rows, moved(view.row(rows, recorded), recorded.fields), recorded)

    return on(event_class, handler)


def new_status(row: R, fields: Fields) -> R:
    """A response, cancellation or status change with its objectVersion."""
    return replace(row, status=fields["status"], object_version=fields["object_version"])


def amount_or_none(text: str | None) -> Decimal | None:
    """A stored amount that may be absent (a limit, say), as a view's rows keep it."""
    return None if text is None else Decimal(text)

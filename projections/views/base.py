"""What every view shares: the recorded events it folds, and the one way a view says
which events it takes.

A view is a fold: :meth:`View.project` takes a batch of recorded events in log order and
reads and changes rows through :class:`~paycore.projections.store.Rows`. It never reads
the clock or the aggregates: every value comes from the events, so replaying the log
from zero gives the same rows.

A view that takes events of some classes (:class:`EventView`) names each class with
the handler for it, ``on(CardAccount.CardLoaded, _loaded)``; the handler is typed with
that class. The table is keyed by the topic each class is stored under, so an event of
a class the view does not take is skipped without being decoded.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from functools import cached_property
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast
from uuid import UUID

from eventsourcing.persistence import Mapper, Notification
from eventsourcing.utils import get_topic

from paycore.domain.aggregate import PaycoreAggregate
from paycore.projections.store import Rows
from paycore.projections.tables import Table

R = TypeVar("R")
V = TypeVar("V", bound="View")
E = TypeVar("E", bound=PaycoreAggregate.Event)

ZERO = Decimal("0.00")


class Recorded:
    """A notification of the event log, and its domain event, decoded when first asked
    for (the hash chain never asks: it covers the stored bytes)."""

    def __init__(self, notification: Notification, mapper: Mapper[UUID]) -> None:
        self.notification = notification
        self.position = notification.id
        self.topic = notification.topic
        self._mapper = mapper

    @cached_property
    def event(self) -> PaycoreAggregate.Event:
        return cast(PaycoreAggregate.Event, self._mapper.to_domain_event(self.notification))


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


#: A handler as the table keeps it; :func:`on` checked it against its event class.
Handler = Callable[[Any, Any, Recorded, Rows], None]


def on(
    event_class: type[E], handler: Callable[[V, E, Recorded, Rows], None]
) -> tuple[str, Handler]:
    """An entry of a view's handlers: ``handler`` takes the events of ``event_class``,
    found by the topic they are stored under."""
    return get_topic(event_class), handler


class EventView(View):
    """A view that takes the events of the classes its ``handlers`` name, and skips
    every other event before it is decoded."""

    handlers: ClassVar[Mapping[str, Handler]]

    def project(self, batch: Sequence[Recorded], rows: Rows) -> None:
        for recorded in batch:
            handler = self.handlers.get(recorded.topic)
            if handler is not None:
                handler(self, recorded.event, recorded, rows)


def event_classes(aggregate: type[PaycoreAggregate]) -> Iterator[type[PaycoreAggregate.Event]]:
    """The classes of the events ``aggregate`` records (not its base classes)."""
    bases = (aggregate.Event, aggregate.Created)
    for value in vars(aggregate).values():
        if isinstance(value, type) and issubclass(value, aggregate.Event) and value not in bases:
            yield value


class AggregateView(EventView, Generic[R]):
    """A view with one row per aggregate, keyed by the aggregate's id.

    Its ``changes`` are made with :func:`created` (the row from the created event) and
    :func:`change` (the new row from the row and the event). Every event of
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

    def touch(self, event: PaycoreAggregate.Event, recorded: Recorded, rows: Rows) -> None:
        """An event that changes nothing else on the row."""
        self.put(rows, self.row(rows, event, recorded), event)

    def row(self, rows: Rows, event: PaycoreAggregate.Event, recorded: Recorded) -> Any:
        row = rows.get(self.table, (event.originator_id,))
        assert row is not None, f"{recorded.topic} at {recorded.position} before creation"
        return row

    def put(self, rows: Rows, row: Any, event: PaycoreAggregate.Event) -> None:
        touched = replace(row, version=event.originator_version, updated_at=event.timestamp)
        rows.put(self.table, touched)


def created(event_class: type[E], make: Callable[[E], R]) -> tuple[str, Handler]:
    """An entry of an aggregate view's changes: the row ``make`` builds from the
    aggregate's created event."""

    def handler(view: AggregateView[R], event: E, recorded: Recorded, rows: Rows) -> None:
        view.put(rows, make(event), event)

    return on(event_class, handler)


def change(event_class: type[E], moved: Callable[[R, E], R]) -> tuple[str, Handler]:
    """An entry of an aggregate view's changes: the row ``moved`` makes of the row
    before and an event of ``event_class``."""

    def handler(view: AggregateView[R], event: E, recorded: Recorded, rows: Rows) -> None:
        view.put(rows, moved(view.row(rows, event, recorded), event), event)

    return on(event_class, handler)


class StatusMove(Protocol):
    """An event that moves a B2B object to a status at a new objectVersion."""

    @property
    def status(self) -> str: ...

    @property
    def object_version(self) -> int: ...


def new_status(row: R, event: StatusMove) -> R:
    """A response, cancellation or status change with its objectVersion."""
    return replace(row, status=str(event.status), object_version=event.object_version)

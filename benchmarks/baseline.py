"""The baseline: a plain eventsourcing application with a trivial two-event aggregate."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Counter(Aggregate):
    @event("Started")
    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self) -> None:
        self.count += 1


class Counters(Application[UUID]):
    """Load, change, save: the least an event-sourced command can do."""

    def start(self) -> UUID:
        counter = Counter()
        self.save(counter)
        return counter.id

    def increment(self, counter_id: UUID) -> None:
        counter: Counter = self.repository.get(counter_id)
        counter.increment()
        self.save(counter)

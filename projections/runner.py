"""The projector: reads PaymentsCore's event log in batches and keeps the views current.

Each batch is decoded once; then, in one transaction, every view folds the events past
its own position into rows and records the batch's last notification id as its new
position. A crash between batches loses nothing and repeats nothing.

Several projectors may write one store at once (followers, updates, rebuilds, in threads
or processes). Each batch is read outside any lock, after the views' position, and
projected under the store's writers' lock, where each view's position is read again:
another projector may have moved it on, or a rebuild may have reset it to zero. A view
takes the batch's events past its position only if its position is not below the one
the batch was read after; otherwise the events in between are not in the batch, and the
view skips it (the next read starts from its position). So a follower running during a
rebuild never lays a batch read before the reset over the emptied tables: it helps the
rebuild along instead. Two rebuilds take turns (:meth:`ViewStore.rebuilding`).

Positions are the id of the last notification processed, never a count: PostgreSQL's
ids have gaps (paycore's recorder makes them from transaction ids). Reading ``id > last``
is safe across those gaps because that recorder's reads stop below the oldest
transaction still running, so once a reader sees id ``n``, no transaction can later
commit an id below ``n``, and a gap it passes is a gap for good
(``paycore.adapters.persistence.postgres``). SQLite has one writer at a time and uses
the rowid, so the same holds there. Following is therefore a plain polling loop; lag is
counted in notifications (:func:`lag`), never as a difference of positions.
"""

from __future__ import annotations

import logging
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import Notification

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import InvalidArgument
from paycore.projections.chain import HashChainView
from paycore.projections.sqlite import SQLiteViewStore
from paycore.projections.store import Rows, ViewStore, store_faults
from paycore.projections.tables import Table
from paycore.projections.views import Recorded, View, read_models

log = logging.getLogger("paycore.projections")

#: Called during a rebuild with the position reached and the position to reach.
Progress = Callable[[int, int], None]
#: the consumer name of the views in logs and metrics
VIEWS = "views"
#: notifications counted by a lag: a lag of this many means at least this many
LAG_LIMIT = 1000


@dataclass(frozen=True)
class FollowerMetrics:
    """Where a follower of the event log (the projector, the sync relay) stands."""

    consumer: str
    #: the last notification id processed
    position: int
    #: notifications still to process (counted up to :data:`LAG_LIMIT`)
    lag_events: int
    #: seconds since the oldest of them was recorded (0.0 when there is none)
    lag_seconds: float
    #: relay: remote calls sent; projector: batches projected (since this object started)
    attempts: int
    #: relay: items in the dead-letter list; projector: None (it has none)
    dead_letters: int | None
    #: unix time of the last pass that ran to its end (None before the first)
    last_success: float | None


def lag(core: PaymentsCore, position: int, topics: Sequence[str] = ()) -> tuple[int, float]:
    """How many notifications (of ``topics``, all if empty) are past ``position``, and
    how many seconds ago the first of them was recorded."""
    with store_faults("reading the event log", written=False):
        pending = core.recorder.select_notifications(
            position, LAG_LIMIT, topics=topics, inclusive_of_start=False
        )
    if not pending:
        return 0, 0.0
    recorded_at = Recorded(pending[0], core.mapper).timestamp
    return len(pending), max(0.0, time.time() - recorded_at.timestamp())


def open_views(url: str) -> ViewStore:
    """The view store at a database URL: a SQLite file, a PostgreSQL schema, or (for
    ``memory://``) an in-memory SQLite database private to this process."""
    if url == "memory://":
        return SQLiteViewStore(f"file:paycore-views-{uuid4().hex}?mode=memory&cache=shared")
    env = PaymentsCore.store_settings(url)
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        return SQLiteViewStore(env["SQLITE_DBNAME"])
    from paycore.projections.postgres import PostgresViewStore  # noqa: PLC0415  (psycopg: the postgres extra)

    return PostgresViewStore.from_env(env)


def default_views(core: PaymentsCore | None = None) -> list[View]:
    """The read models and the hash chain; with ``core``, the holders view masks holders'
    details under its data keys (else it records them as sealed)."""
    keys = None if core is None else (lambda: core.holder_keys)
    return [*read_models(keys), HashChainView()]


class Projector:
    """Keeps ``views`` in ``store`` up to date with ``core``'s event log.

    Without a store, the views live in the event store's database (same SQLite file,
    same PostgreSQL schema), in tables of their own. Only :meth:`update`, :meth:`follow`
    and :meth:`rebuild` create those tables: reading views never built is ``NotFound``.
    """

    def __init__(
        self,
        core: PaymentsCore,
        store: ViewStore | None = None,
        *,
        views: Sequence[View] | None = None,
        batch_size: int = 1000,
    ) -> None:
        if batch_size < 1:
            msg = f"batch_size is a whole number from 1, not {batch_size!r}"
            raise InvalidArgument(msg, argument="batch_size", expected="a whole number from 1")
        if views is not None and not views:
            # With no view, follow/wait would never reach a position: refuse it here.
            msg = "a Projector needs at least one view, not an empty list"
            raise InvalidArgument(msg, argument="views", expected="at least one view")
        self.core = core
        self._owns_store = store is None
        self.store = store if store is not None else open_views(core.url)
        self.views = list(views) if views is not None else default_views(core)
        self.batch_size = batch_size
        self._tables_made = False
        self._batches = 0
        self._last_success: float | None = None

    @property
    def tables(self) -> list[Table[Any]]:
        return [table for view in self.views for table in view.tables]

    def position(self) -> int:
        """The id of the last notification every view has processed (0 for none)."""
        positions = self.store.positions(v.name for v in self.views)
        return min(positions.values(), default=0)

    def update(self) -> int:
        """Catches up with the event log; returns how many notifications it projected."""
        self._make_tables()
        count = self._catch_up()
        self._last_success = time.time()
        return count

    def refresh(self) -> int:
        """Catches up views built already, as :meth:`update` does; views never built in
        this store are ``NotFound`` (a reader creates nothing: ``rebuild`` builds them)."""
        if not self._tables_made and not self.store.built(self.tables):
            raise self.store.not_built()
        self._tables_made = True
        return self.update()

    def metrics(self) -> FollowerMetrics:
        """Where the views stand (read from the store, so any process can ask)."""
        position = self.position()
        events, seconds = lag(self.core, position)
        return FollowerMetrics(
            VIEWS, position, events, seconds, self._batches, None, self._last_success
        )

    def follow(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Catches up, then polls every ``interval`` seconds, until ``stop`` is set."""
        while not stop.is_set():
            self.update()
            stop.wait(interval)

    def rebuild(self, progress: Progress | None = None) -> int:
        """Empties the views' tables and replays the whole log into them; returns how
        many notifications it projected.

        The hash chain is kept. ``progress(position, target)`` is called after each
        batch, ``target`` being the last notification id when the replay began. A
        rebuild of the same store that is running already is waited for first.
        """
        rebuilt = [view for view in self.views if view.rebuildable]
        self._make_tables()
        with ExitStack() as held:
            with store_faults("taking the rebuild lock", written=False):
                held.enter_context(self.store.rebuilding())
            self.store.reset(
                [table for view in rebuilt for table in view.tables], [v.name for v in rebuilt]
            )
            with store_faults("reading the event log", written=False):
                target = self.core.recorder.max_notification_id() or 0
            return self._catch_up(progress, target)

    def wait(self, position: int, timeout: float = 10.0, interval: float = 0.05) -> None:
        """Returns once every view has processed ``position`` (read-your-writes, with
        ``core.recorder.max_notification_id()`` taken after a command); raises
        TimeoutError after ``timeout`` seconds. Something else must be following."""
        deadline = time.monotonic() + timeout
        while (reached := self.position()) < position:
            if time.monotonic() >= deadline:
                msg = f"the views reached position {reached}, not {position}, in {timeout}s"
                raise TimeoutError(msg)
            time.sleep(interval)

    def _catch_up(self, progress: Progress | None = None, target: int = 0) -> int:
        count = 0
        while True:
            start = self.position()
            with store_faults("reading the event log", written=False):
                batch = self.core.recorder.select_notifications(
                    start, self.batch_size, inclusive_of_start=False
                )
            if not batch:
                return count
            count += self._project(start, batch)
            self._batches += 1
            log.debug(
                "views: projected up to %d", batch[-1].id,
                extra={"paycore.consumer": VIEWS, "paycore.position": batch[-1].id},
            )  # fmt: skip
            if progress is not None:
                progress(min(batch[-1].id, target), target)

    def _project(self, start: int, notifications: Sequence[Notification]) -> int:
        """Folds a batch read after position ``start`` into the views that can take it
        (see the module's docstring); returns how many of its notifications they took."""
        recorded = [Recorded(n, self.core.mapper) for n in notifications]
        ids = [n.id for n in notifications]
        groups = list({n.originator_id for n in notifications})
        taken_after = ids[-1]
        with self.store.writing() as cursor:
            positions = self.store._positions(cursor, [v.name for v in self.views])
            rows = Rows(self.store, cursor, groups)
            for view in self.views:
                position = positions[view.name]
                batch = recorded[bisect_right(ids, position) :]
                if position >= start and batch:
                    view.project(batch, rows)
                    self.store._set_position(cursor, view.name, batch[-1].position)
                    taken_after = min(taken_after, position)
            rows.flush()
        return len(ids) - bisect_right(ids, taken_after)

    def _make_tables(self) -> None:
        if not self._tables_made:
            self.store.create_tables(self.tables)
            self._tables_made = True

    def close(self) -> None:
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> Projector:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

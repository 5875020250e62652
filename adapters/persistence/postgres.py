"""PostgreSQL recorders whose writers commit together (group commit), while followers
of the log still never skip or reorder a committed event.

The eventsourcing library keeps its notification ids in commit order by taking an
EXCLUSIVE lock on the events table in every insert and holding it until the commit;
each insert also sends a NOTIFY, which holds a server-wide lock through the commit as
well. So writers commit one at a time, each paying a flush of the WAL of its own.
Here writers take neither lock:

- **A row's id is made from its transaction's id**: ``pg_current_xact_id() * 2**16``
  plus the row's place in the insert (1, 2, ...). The ids of one transaction are
  consecutive, and a transaction that started writing later has higher ids.
- **Readers stop below the oldest transaction still running**:
  ``pg_snapshot_xmin(pg_current_snapshot()) * 2**16``. Every transaction with an id
  below that has ended, and any that writes from now on has a higher id, so the rows
  below the bound are final: no row can still commit among them. A follower that
  reads ``id > position`` up to the bound never passes a row that commits later.

So the notification id is still one whole number per event, in one total order:
tracking records, view positions, the relay and the hash chain keep using it as
before, and the existing unique index on it serves the bound. Ids are sparse (the
transaction id is in the high bits), which the library already allows (Postgres ids
have gaps; consumers keep "the last id processed", never a count).

What a reader may see later than before: rows committed while an older transaction
(anywhere on the server: transaction ids are cluster-wide) is still running. A read
that finds such rows waits for that transaction up to ``horizon_wait`` seconds, so a
read that starts after a commit sees it unless an older transaction stays open longer;
a long-open writing transaction holds followers back for as long as it stays open.

Events saved without a tracking record (every command) go in one prepared statement
that the server runs as a transaction of its own: one round trip, where the library's
pipeline sends BEGIN, the insert, a sync and the COMMIT in two. Events saved with a
tracking record (a process application's) keep the library's pipeline, which writes
the tracking row in the same transaction.

Without NOTIFY, :meth:`~PostgresApplicationRecorder.subscribe` polls.

Tables made by the library's recorder keep working: on start, the id column loses the
sequence default (so a writer still running the library's recorder fails loudly
instead of writing ids that readers would pass), after checking that every id in the
table is below the ids this recorder will give.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from threading import Thread
from typing import Any

from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    ListenNotifySubscription,
    Notification,
    OperationalError,
    ProgrammingError,
    StoredEvent,
    Subscription,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder as LibraryAggregateRecorder,
)
from eventsourcing.postgres import (
    PostgresApplicationRecorder as LibraryApplicationRecorder,
)
from eventsourcing.postgres import PostgresDatastore, PostgresFactory, PostgresRecorder
from eventsourcing.postgres import (
    PostgresProcessRecorder as LibraryProcessRecorder,
)
from eventsourcing.utils import retry
from psycopg import Connection, Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

#: Bits of a notification id below its transaction's id: the row's place in its insert.
ROW_BITS = 16
#: The most events one transaction may insert.
MAX_EVENTS_PER_TRANSACTION = 2**ROW_BITS - 1

#: The oldest transaction still running, as the first id it could give.
_HORIZON = SQL("(pg_snapshot_xmin(pg_current_snapshot())::text::bigint << {})").format(ROW_BITS)


#: Taken by a transaction that creates tables, so that creators go one at a time. Run at
#: once by processes opening a new schema, two ``CREATE TABLE IF NOT EXISTS`` can both
#: find no table and the second fail on the catalog ("duplicate key value violates unique
#: constraint pg_type_typname_nsp_index", or "type ... already exists"); under the lock,
#: the later creator finds the table made.
_ONE_CREATOR = "SELECT pg_advisory_xact_lock(hashtext('paycore.creating-tables'))"


def create_tables(db: Connection[Any], *statements: str | Composed) -> None:
    """Runs ``CREATE ... IF NOT EXISTS`` statements, one creator at a time."""
    with db.transaction():
        db.execute(_ONE_CREATOR)
        for statement in statements:
            db.execute(statement)


def _columns(stored_events: Sequence[StoredEvent]) -> tuple[list[Any], ...]:
    """The stored events as four arrays, one per column, for ``unnest``."""
    return (
        [e.originator_id for e in stored_events],
        [e.originator_version for e in stored_events],
        [e.topic for e in stored_events],
        [e.state for e in stored_events],
    )


class _CreatingInTurn(PostgresRecorder):
    """A recorder whose tables are made by one creator at a time (see ``_ONE_CREATOR``)."""

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        curs.execute(_ONE_CREATOR)
        super()._create_table(curs)


class PostgresAggregateRecorder(_CreatingInTurn, LibraryAggregateRecorder):
    """The library's recorder of snapshots, its rows sent as four binary arrays instead
    of composites in text (a snapshot's state is large: in text, each byte is escaped)."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        # Rendered once (psycopg renders a composed statement again at each execute).
        self._insert = (
            SQL(
                "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(%b::{originator_id_type}[], %b::bigint[], %b::text[], "
                "%b::bytea[])"
            )
            .format(
                schema=Identifier(datastore.schema),
                table=Identifier(events_table_name),
                originator_id_type=Identifier(datastore.originator_id_type),
            )
            .as_string()
        )

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any
    ) -> None:
        curs.execute(self._insert, _columns(stored_events), prepare=True)


class PostgresApplicationRecorder(_CreatingInTurn, LibraryApplicationRecorder):
    """The library's recorder without the table lock and NOTIFY: see the module."""

    #: Seconds a read waits for older transactions that hold back rows committed since.
    horizon_wait = 1.0
    #: Seconds between the polls of a subscription.
    poll_interval = 0.1

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        **kwargs: Any,
    ):
        if datastore.enable_db_functions:
            msg = (
                "POSTGRES_ENABLE_DB_FUNCTIONS does not apply to paycore's PostgreSQL "
                "recorder: its inserts take no lock, so there is no lock to shorten"
            )
            raise ProgrammingError(msg)
        super().__init__(datastore, events_table_name=events_table_name, **kwargs)
        table = SQL("{}.{}").format(Identifier(datastore.schema), Identifier(events_table_name))
        self._table = table
        self.sql_create_statements[self.create_table_statement_index] = SQL(
            "CREATE TABLE IF NOT EXISTS {table} ("
            "originator_id {originator_id_type} NOT NULL, "
            "originator_version bigint NOT NULL, "
            "topic text, "
            "state bytea, "
            "notification_id bigint NOT NULL, "
            "PRIMARY KEY (originator_id, originator_version))"
        ).format(table=table, originator_id_type=Identifier(datastore.originator_id_type))
        # The library's insert function locks the table; it is not created.
        del self.sql_create_statements[self.create_insert_function_statement_index]
        self.insert_events_statement = SQL(
            "INSERT INTO {table} "
            "(originator_id, originator_version, topic, state, notification_id) "
            "SELECT e.originator_id, e.originator_version, e.topic, e.state, "
            "(pg_current_xact_id()::text::bigint << {bits}) + e.row "
            "FROM unnest(%s::{schema}.{stored_event}[]) WITH ORDINALITY "
            "AS e(originator_id, originator_version, topic, state, row) "
            "ORDER BY e.row "
            "RETURNING notification_id"
        ).format(
            table=table,
            bits=ROW_BITS,
            schema=Identifier(datastore.schema),
            stored_event=Identifier(self.stored_event_type_name),
        )
        # No table lock. The lock timeout is the session's (see Factory), so the
        # library's pipelined insert, used with a tracking record, sets none.
        self.lock_table_statements = []
        # Events saved without a tracking record: one statement, which the server runs
        # as a transaction of its own (one round trip, where the library's pipeline
        # makes two), prepared once per connection, the columns sent as binary arrays;
        # rendered once (psycopg renders a composed statement again at each execute).
        self._insert_in_one_round_trip = (
            SQL(
                "INSERT INTO {table} "
                "(originator_id, originator_version, topic, state, notification_id) "
                "SELECT e.originator_id, e.originator_version, e.topic, e.state, "
                "(pg_current_xact_id()::text::bigint << {bits}) + e.row "
                "FROM unnest(%b::{originator_id_type}[], %b::bigint[], %b::text[], %b::bytea[]) "
                "WITH ORDINALITY AS e(originator_id, originator_version, topic, state, row) "
                "ORDER BY e.row "
                "RETURNING notification_id"
            )
            .format(
                table=table,
                bits=ROW_BITS,
                originator_id_type=Identifier(datastore.originator_id_type),
            )
            .as_string()
        )

    def create_table(self) -> None:
        super().create_table()
        self._drop_sequence_default()

    def _drop_sequence_default(self) -> None:
        """Adopts a table that the library's recorder created (see the module)."""
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                "SELECT column_default FROM information_schema.columns "
                "WHERE table_schema = %s AND table_name = %s AND column_name = 'notification_id'",
                (self.datastore.schema, self.events_table_name),
            )
            row = curs.fetchone()
            if row is None or row["column_default"] is None:
                return
            # Waits for writers of the library's recorder still inside a transaction.
            curs.execute(SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(self._table))
            curs.execute(
                SQL(
                    "SELECT coalesce(max(notification_id), 0) AS highest, "
                    "{horizon} AS first_new FROM {table}"
                ).format(horizon=_HORIZON, table=self._table)
            )
            ids = curs.fetchone()
            assert ids is not None
            if ids["highest"] >= ids["first_new"]:
                msg = (
                    f"{self.events_table_name} holds notification id {ids['highest']}, not "
                    f"below {ids['first_new']}, the first id paycore's recorder would give "
                    "now; see docs/performance.md (PostgreSQL writers) for the migration"
                )
                raise OperationalError(msg)
            curs.execute(
                SQL("ALTER TABLE {} ALTER COLUMN notification_id DROP DEFAULT").format(self._table)
            )

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if kwargs.get("tracking") is not None or not stored_events:
            pipelined: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return pipelined
        _check_size(stored_events)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._insert_in_one_round_trip, _columns(stored_events), prepare=True)
            ids: list[int] = [row["notification_id"] for row in curs.fetchall()]
        return ids

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        _check_size(stored_events)
        super()._insert_stored_events(curs, stored_events, **kwargs)

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        """No NOTIFY: it would make committing transactions take turns (see the module)."""

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        """The notifications from ``start`` (up to ``stop``, of ``topics``), at most
        ``limit``, all below the horizon: no transaction can still commit among them."""
        conditions: list[Composed | SQL] = []
        params: list[Any] = []
        if start is not None:
            operator = ">=" if inclusive_of_start else ">"
            conditions.append(SQL(f"notification_id {operator} %s"))
            params.append(start)
        if stop is not None:
            conditions.append(SQL("notification_id <= %s"))
            params.append(stop)
        if topics:
            conditions.append(SQL("topic = ANY(%s)"))
            params.append(list(topics))
        where = SQL(" WHERE ") + SQL(" AND ").join(conditions) if conditions else SQL("")
        # One row more than asked: it shows whether rows wait behind the horizon.
        statement = (
            SQL("SELECT *, {} AS horizon FROM {}").format(_HORIZON, self._table)
            + where
            + SQL(" ORDER BY notification_id LIMIT %s")
        )
        params.append(limit + 1)
        deadline = time.monotonic() + self.horizon_wait
        pause = 0.001
        while True:
            with self.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(statement, params, prepare=True)
                rows = curs.fetchall()
            final = [row for row in rows[:limit] if row["notification_id"] < row["horizon"]]
            held_back = len(final) < min(len(rows), limit)
            if not held_back or time.monotonic() + pause > deadline:
                break
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        return [
            Notification(
                id=row["notification_id"],
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in final
        ]

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return PollingSubscription(self, gt=gt, topics=topics)


def _check_size(stored_events: Sequence[StoredEvent]) -> None:
    if len(stored_events) > MAX_EVENTS_PER_TRANSACTION:
        msg = (
            f"one transaction inserts at most {MAX_EVENTS_PER_TRANSACTION} events, "
            f"not {len(stored_events)}"
        )
        raise ProgrammingError(msg)


class PollingSubscription(ListenNotifySubscription[PostgresApplicationRecorder]):
    """The library's subscription, woken every ``poll_interval`` instead of by NOTIFY."""

    def __init__(
        self, recorder: PostgresApplicationRecorder, gt: int | None, topics: Sequence[str]
    ) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._poll_thread = Thread(target=self._poll, daemon=True)
        self._poll_thread.start()

    def _poll(self) -> None:
        while not self._has_been_stopped:
            time.sleep(self._recorder.poll_interval)
            self._has_been_notified.set()

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._poll_thread.join()


class PostgresProcessRecorder(PostgresApplicationRecorder, LibraryProcessRecorder):
    """Events and the position of the consumer that caused them, in one transaction."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking",
    ):
        super().__init__(
            datastore,
            events_table_name=events_table_name,
            tracking_table_name=tracking_table_name,
        )


class Factory(PostgresFactory):
    """``PERSISTENCE_MODULE=paycore.adapters.persistence.postgres:Factory``

    Each connection of the pool waits at most ``POSTGRES_LOCK_TIMEOUT`` seconds for a
    lock (a session setting, where the library sets it in each insert's transaction),
    so that a statement that meets a lock held by another session (a migration, say)
    fails instead of waiting for good; 0 waits without limit."""

    aggregate_recorder_class = PostgresAggregateRecorder
    application_recorder_class = PostgresApplicationRecorder
    process_recorder_class = PostgresProcessRecorder

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        pool_kwargs = self.datastore.pool.kwargs
        assert isinstance(pool_kwargs, dict)  # the library's pool: opened on first use
        pool_kwargs["options"] = f"-c lock_timeout={int(self.datastore.lock_timeout)}s"

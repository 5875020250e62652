"""Where views keep their rows and their positions in the event log.

:class:`ViewStore` is the interface the projector and the queries use. The SQL is the
same for both backends but for a few details (placeholders, column types, how values are
encoded, how the writer is locked), which :mod:`paycore.projections.sqlite` and
:mod:`paycore.projections.postgres` supply. Public methods open a transaction; their
private twins take a cursor, so that one batch writes rows of several views and their
positions in a single transaction.

How writers of views exclude each other (the projector relies on all three):

- each batch and each reset takes the writers' lock first (:meth:`ViewStore.writing`),
  so they run one at a time and read the positions they act on under that lock;
- a reset drops and creates a view's tables and forgets its position in one such
  transaction, so no writer ever finds a table missing;
- :meth:`ViewStore.rebuilding` is held for a whole rebuild (many transactions): a second
  rebuild waits for the first to end. It is a lock of the operating system or of the
  server (an ``flock``, a PostgreSQL advisory lock), so it goes with a process that dies.

SQL is composed from table and column names that the code defines (a condition's column
is checked against its table); values always travel as parameters, hence the S608
exemptions.
"""

from __future__ import annotations

import logging
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar, Protocol, TypeVar

from eventsourcing.persistence import PersistenceError

from paycore.domain.errors import NotFound, StoreUnavailable
from paycore.projections.tables import Column, Kind, Table

try:
    from psycopg import Error as _PostgresError
except ImportError:  # psycopg: the postgres extra

    class _PostgresError(Exception):  # type: ignore[no-redef]
        """Never raised without psycopg."""


R = TypeVar("R")

#: The table of view positions: the id of the last notification each view processed.
POSITIONS = "paycore_view_positions"
OPERATORS = frozenset({"=", "<", "<=", ">", ">="})
#: Values per ``IN`` list; SQLite allows a few thousand parameters per statement.
CHUNK = 500

log = logging.getLogger("paycore.projections")

#: ``(column, operator, value)``, e.g. ``("actor", "=", "ops@acme.example")``.
Condition = tuple[str, str, object]


#: What a database fault can leave a driver, the library or the OS as.
FAULTS = (PersistenceError, sqlite3.Error, _PostgresError, OSError)


def unavailable(operation: str, fault: BaseException, *, written: bool) -> StoreUnavailable:
    """The typed error for a store fault during ``operation``, naming the fault's kind
    and its first line (a driver's first line holds no SQL and no password).
    ``written``: whether the operation writes (then it may or may not have committed;
    every write of views and of the relay's position is safe to repeat)."""
    lines = str(fault).strip().splitlines()
    cause = f"{type(fault).__name__}: {lines[0] if lines else 'no message'}"[:200]
    outcome = (
        "it may or may not have been saved; running it again is safe"
        if written
        else "nothing was written; running it again is safe"
    )
    return StoreUnavailable(
        f"the store failed during {operation} ({cause}); {outcome}",
        operation=operation,
        cause=type(fault).__name__,
        outcome_known=not written,
        committed=None if written else False,
        retry_safe=True,
    )


@contextmanager
def store_faults(operation: str, *, written: bool) -> Iterator[None]:
    """Turns a database fault inside the block into :class:`StoreUnavailable`."""
    try:
        yield
    except FAULTS as fault:
        raise unavailable(operation, fault, written=written) from fault


class Cursor(Protocol):
    """The part of a DB-API cursor the stores use (sqlite3 and psycopg both fit)."""

    def execute(self, query: Any, params: Any = ..., /) -> Any: ...

    def executemany(self, query: Any, params_seq: Any, /) -> Any: ...

    def fetchall(self) -> Any: ...

    def fetchone(self) -> Any: ...


class ViewStore(ABC):
    """Tables of rows, and the position of each view, in one SQL database."""

    #: The parameter marker of the driver.
    placeholder: ClassVar[str]
    #: The SQL type of each column kind.
    sql_types: ClassVar[Mapping[Kind, str]]
    #: How values of a kind are written and read, where the driver does not do it alone.
    encoders: ClassVar[Mapping[Kind, Callable[[Any], Any]]]
    decoders: ClassVar[Mapping[Kind, Callable[[Any], Any]]]

    # What each backend supplies.

    @abstractmethod
    def transaction(self, *, commit: bool) -> AbstractContextManager[Cursor]:
        """A transaction, committed at the end if ``commit``, else rolled back."""

    @abstractmethod
    def qualified(self, table: str) -> str:
        """The table's name as SQL refers to it."""

    @abstractmethod
    def _lock(self, cursor: Cursor) -> None:
        """Makes writers of views take turns (reads go on)."""

    @abstractmethod
    def _lock_definitions(self, cursor: Cursor) -> None:
        """Makes instances that create the same tables at the same moment take turns."""

    @abstractmethod
    def rebuilding(self) -> AbstractContextManager[None]:
        """Holds this store's rebuild lock while a rebuild runs: one rebuild at a time,
        across threads and processes. A second one calls :func:`waiting_for_rebuild`,
        then waits for the first to end. Writers of views do not take this lock."""

    @abstractmethod
    def _in(self, column: str, count: int) -> str:
        """A condition that ``column`` is one of ``count`` values (see :meth:`_in_values`)."""

    def _in_values(self, values: Sequence[Any]) -> list[Any]:
        return list(values)

    @abstractmethod
    def _exists(self, cursor: Cursor, table: str) -> bool:
        """Whether the table is in the database."""

    @property
    @abstractmethod
    def name(self) -> str:
        """The store as an error message names it (never a password)."""

    @abstractmethod
    def close(self) -> None: ...

    def built(self, tables: Iterable[Table[Any]]) -> bool:
        """Whether the positions table and every one of ``tables`` exist (creates nothing)."""
        with (
            store_faults("looking for the views' tables", written=False),
            self.transaction(commit=False) as cursor,
        ):
            return all(
                self._exists(cursor, name) for name in [POSITIONS, *(t.name for t in tables)]
            )

    def not_built(self) -> NotFound:
        """The error for reading views never built in this store."""
        msg = f"no views in {self.name}: run 'paycore views rebuild' to build them"
        return NotFound(msg, store=self.name)

    @contextmanager
    def _reading(self, operation: str, table: str) -> Iterator[None]:
        """A read of ``table``: a fault is :class:`StoreUnavailable`, or :class:`NotFound`
        when the views were never built here (reading creates nothing)."""
        try:
            yield
        except FAULTS as fault:
            with store_faults(operation, written=False), self.transaction(commit=False) as cursor:
                built = self._exists(cursor, POSITIONS) and self._exists(cursor, table)
            if not built:
                missing = self.not_built()
                missing.details["table"] = table
                raise missing from fault
            raise unavailable(operation, fault, written=False) from fault

    # Tables and positions.

    def create_tables(self, tables: Iterable[Table[Any]]) -> None:
        with store_faults("creating the views' tables", written=True):
            self._create_tables(tables)

    def _create_tables(self, tables: Iterable[Table[Any]]) -> None:
        with self.transaction(commit=True) as cursor:
            self._lock_definitions(cursor)
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.qualified(POSITIONS)} ("
                f"name {self.sql_types[Kind.TEXT]} PRIMARY KEY, "
                f"position {self.sql_types[Kind.INTEGER]} NOT NULL)"
            )
            for table in tables:
                self._create_table(cursor, table)

    def _create_table(self, cursor: Cursor, table: Table[Any]) -> None:
        columns = ", ".join(self._column_sql(c) for c in table.columns)
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {self.qualified(table.name)} "
            f"({columns}, PRIMARY KEY ({', '.join(table.key)}))"
        )
        indexes = list(table.indexes)
        if table.group and table.group != table.key[0]:
            indexes.append((table.group,))
        for names in indexes:
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {table.name}_{'_'.join(names)} "
                f"ON {self.qualified(table.name)} ({', '.join(names)})"
            )

    def _column_sql(self, column: Column) -> str:
        null = "" if column.nullable else " NOT NULL"
        return f"{column.name} {self.sql_types[column.kind]}{null}"

    def reset(self, tables: Sequence[Table[Any]], positions: Sequence[str]) -> None:
        """Empties the tables and forgets the positions: those views start again from zero.

        The tables are dropped and created again (so a changed definition takes effect)
        in one transaction under the writers' lock: any other writer of views sees them
        as they were or empty, never missing.
        """
        with store_faults("emptying the views", written=True):
            self._reset(tables, positions)

    def _reset(self, tables: Sequence[Table[Any]], positions: Sequence[str]) -> None:
        with self.transaction(commit=True) as cursor:
            self._lock_definitions(cursor)
            self._lock(cursor)
            for table in tables:
                cursor.execute(f"DROP TABLE IF EXISTS {self.qualified(table.name)}")
                self._create_table(cursor, table)
            if positions:
                cursor.execute(
                    f"DELETE FROM {self.qualified(POSITIONS)} "  # noqa: S608
                    f"WHERE {self._in('name', len(positions))}",
                    self._in_values(positions),
                )

    def positions(self, names: Iterable[str]) -> dict[str, int]:
        """The position of each named view; 0 for a view that has processed nothing
        (views never built included: asking creates nothing)."""
        names = list(names)
        try:
            with (
                self._reading("reading the views' positions", POSITIONS),
                self.transaction(commit=False) as cursor,
            ):
                return self._positions(cursor, names)
        except NotFound:
            return dict.fromkeys(names, 0)

    def _positions(self, cursor: Cursor, names: Iterable[str]) -> dict[str, int]:
        cursor.execute(f"SELECT name, position FROM {self.qualified(POSITIONS)}")  # noqa: S608
        recorded = {row["name"]: row["position"] for row in cursor.fetchall()}
        return {name: recorded.get(name, 0) for name in names}

    def _set_position(self, cursor: Cursor, name: str, position: int) -> None:
        p = self.placeholder
        cursor.execute(
            f"INSERT INTO {self.qualified(POSITIONS)} (name, position) VALUES ({p}, {p}) "  # noqa: S608
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            (name, position),
        )

    @contextmanager
    def writing(self) -> Iterator[Cursor]:
        """A write transaction that one writer of views at a time holds."""
        with (
            store_faults("writing the views", written=True),
            self.transaction(commit=True) as cursor,
        ):
            self._lock(cursor)
            yield cursor

    # Rows.

    def _upsert(self, cursor: Cursor, table: Table[R], rows: Iterable[R]) -> None:
        names = [c.name for c in table.columns]
        updates = [n for n in names if n not in table.key] or names[:1]
        statement = (
            f"INSERT INTO {self.qualified(table.name)} ({', '.join(names)}) "  # noqa: S608
            f"VALUES ({', '.join(self.placeholder for _ in names)}) "
            f"ON CONFLICT ({', '.join(table.key)}) DO UPDATE SET "
            + ", ".join(f"{n} = excluded.{n}" for n in updates)
        )
        cursor.executemany(statement, self._encoded_rows(table, rows))

    def encode(self, kind: Kind, value: Any) -> Any:
        encoder = self.encoders.get(kind)
        return value if value is None or encoder is None else encoder(value)

    def _encoded_rows(self, table: Table[R], rows: Iterable[R]) -> list[list[Any]]:
        encoders = [
            (i, encoder)
            for i, column in enumerate(table.columns)
            if (encoder := self.encoders.get(column.kind)) is not None
        ]
        encoded = []
        for row in rows:
            values = list(table.values_of(row))
            for i, encoder in encoders:
                if values[i] is not None:
                    values[i] = encoder(values[i])
            encoded.append(values)
        return encoded

    def _decoded_rows(self, table: Table[R], records: Iterable[Any]) -> list[R]:
        columns = [(c.name, self.decoders.get(c.kind)) for c in table.columns]
        rows = [
            table.row_type(
                **{n: v if (v := r[n]) is None or d is None else d(v) for n, d in columns}
            )
            for r in records
        ]
        return rows if table.loaded is None else [table.loaded(row) for row in rows]

    def _select_group(self, cursor: Cursor, table: Table[R], groups: Sequence[Any]) -> list[R]:
        """The rows of the aggregates ``groups`` (ids in the table's group column)."""
        assert table.group is not None
        kind = table.column(table.group).kind
        found: list[R] = []
        for start in range(0, len(groups), CHUNK):
            chunk = [self.encode(kind, g) for g in groups[start : start + CHUNK]]
            cursor.execute(
                f"SELECT * FROM {self.qualified(table.name)} "  # noqa: S608
                f"WHERE {self._in(table.group, len(chunk))}",
                self._in_values(chunk),
            )
            found.extend(self._decoded_rows(table, cursor.fetchall()))
        return found

    def select(
        self,
        table: Table[R],
        *conditions: Condition,
        order_by: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> list[R]:
        """Rows that meet every condition, in the order of ``order_by`` (default: the key)."""
        with (
            self._reading(f"reading the view {table.name}", table.name),
            self.transaction(commit=False) as cursor,
        ):
            return self._select(cursor, table, conditions, order_by, descending, limit)

    def _select(
        self,
        cursor: Cursor,
        table: Table[R],
        conditions: Sequence[Condition],
        order_by: str | None = None,
        descending: bool = False,
        limit: int | None = None,
    ) -> list[R]:
        clauses, params = [], []
        for name, operator, value in conditions:
            column = table.column(name)
            if operator not in OPERATORS:
                msg = f"unknown operator {operator!r}; use one of {sorted(OPERATORS)}"
                raise ValueError(msg)
            clauses.append(f"{column.name} {operator} {self.placeholder}")
            params.append(self.encode(column.kind, value))
        order = [table.column(order_by).name] if order_by else list(table.key)
        direction = " DESC" if descending else ""
        statement = (
            f"SELECT * FROM {self.qualified(table.name)}"  # noqa: S608
            + (f" WHERE {' AND '.join(clauses)}" if clauses else "")
            + f" ORDER BY {', '.join(o + direction for o in order)}"
        )
        if limit is not None:
            statement += f" LIMIT {self.placeholder}"
            params.append(limit)
        cursor.execute(statement, params)
        return self._decoded_rows(table, cursor.fetchall())


def waiting_for_rebuild() -> None:
    log.warning("another rebuild of these views is running: waiting for it to end")


class Rows:
    """The rows one batch of events reads and changes, written back in its transaction.

    Rows of a table with a group column are loaded for all the batch's aggregates at
    the first :meth:`get`; changed rows are kept here and upserted by :meth:`flush`.
    """

    def __init__(self, store: ViewStore, cursor: Cursor, groups: Sequence[Any]) -> None:
        self._store, self._cursor, self._groups = store, cursor, groups
        self._loaded: dict[str, dict[tuple[object, ...], Any]] = {}
        self._changed: dict[str, tuple[Table[Any], dict[tuple[object, ...], Any]]] = {}

    def get(self, table: Table[R], key: tuple[object, ...]) -> R | None:
        found: R | None = self._rows(table).get(key)
        return found

    def put(self, table: Table[R], row: R) -> None:
        key = table.key_of(row)
        if table.group is not None:
            self._rows(table)[key] = row
        self._changed.setdefault(table.name, (table, {}))[1][key] = row

    def last(self, table: Table[R]) -> R | None:
        """The last row put in this batch, else the stored row with the highest key
        (for append-only tables, such as the hash chain, both are the latest)."""
        changed = self._changed.get(table.name)
        if changed is not None:
            row: R = list(changed[1].values())[-1]
            return row
        stored = self._store._select(self._cursor, table, (), descending=True, limit=1)
        return stored[0] if stored else None

    def flush(self) -> None:
        for table, rows in self._changed.values():
            self._store._upsert(self._cursor, table, rows.values())
        self._changed.clear()

    def _rows(self, table: Table[R]) -> dict[tuple[object, ...], Any]:
        rows = self._loaded.get(table.name)
        if rows is None:
            selected = self._store._select_group(self._cursor, table, self._groups)
            rows = self._loaded[table.name] = {table.key_of(r): r for r in selected}
        return rows

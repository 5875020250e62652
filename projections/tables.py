"""What a view table holds, read from the frozen dataclass of its rows.

One row class describes one table: its fields are the columns, their annotations the
column kinds, and each backend maps a kind to its own SQL type and value codec. So the
SQLite and PostgreSQL stores share every table definition and differ only in that mapping.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import Enum
from operator import attrgetter
from typing import Any, Generic, TypeVar, Union, get_args, get_origin, get_type_hints
from uuid import UUID

R = TypeVar("R")


class JSONText(str):
    """JSON already encoded, for a JSON column: written to the store as it is."""


class Kind(Enum):
    """How a column's values are stored; each backend has a SQL type for each kind."""

    TEXT = "text"
    INTEGER = "integer"
    AMOUNT = "amount"  # Decimal rupees, exact
    TIME = "time"  # timezone-aware datetime
    UUID = "uuid"
    FLAG = "flag"  # bool
    JSON = "json"  # JSON-native dicts and lists
    BYTES = "bytes"


_KINDS: Mapping[object, Kind] = {
    str: Kind.TEXT,
    int: Kind.INTEGER,
    Decimal: Kind.AMOUNT,
    datetime: Kind.TIME,
    UUID: Kind.UUID,
    bool: Kind.FLAG,
    bytes: Kind.BYTES,
    dict: Kind.JSON,
    list: Kind.JSON,
}


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    nullable: bool


def _column(name: str, annotation: Any) -> Column:
    nullable = False
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        nullable, annotation = True, members[0]
    kind = _KINDS.get(get_origin(annotation) or annotation)
    if kind is None:
        msg = f"column {name!r} has a type no view table can store: {annotation!r}"
        raise TypeError(msg)
    return Column(name, kind, nullable)


@dataclasses.dataclass(frozen=True)
class Table(Generic[R]):
    """A view table: its name, the dataclass of its rows, its key and its indexes.

    ``group`` names the column holding the id of the aggregate a row belongs to: a
    projector loads the rows of every aggregate in a batch with one query per table.
    ``loaded`` makes what readers get of a row as the store gives it back, for a table
    whose rows are written in another form than they are read.
    """

    name: str
    row_type: type[R]
    key: tuple[str, ...]
    group: str | None = None
    indexes: tuple[tuple[str, ...], ...] = ()
    loaded: Callable[[R], R] | None = dataclasses.field(default=None, repr=False)
    columns: tuple[Column, ...] = dataclasses.field(init=False)
    values_of: Callable[[R], tuple[Any, ...]] = dataclasses.field(init=False, repr=False)
    _key_of: Callable[[R], Any] = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        hints = get_type_hints(self.row_type)
        fields = dataclasses.fields(self.row_type)  # type: ignore[arg-type]
        columns = tuple(_column(f.name, hints[f.name]) for f in fields)
        object.__setattr__(self, "columns", columns)
        object.__setattr__(self, "values_of", attrgetter(*(c.name for c in columns)))
        object.__setattr__(self, "_key_of", attrgetter(*self.key))
        names = {c.name for c in columns}
        groups = (self.group,) if self.group else ()
        for name in (*self.key, *groups, *(c for i in self.indexes for c in i)):
            if name not in names:
                msg = f"table {self.name} has no column {name!r}"
                raise TypeError(msg)

    def key_of(self, row: R) -> tuple[object, ...]:
        key = self._key_of(row)
        return key if len(self.key) > 1 else (key,)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        msg = f"table {self.name} has no column {name!r}"
        raise ValueError(msg)

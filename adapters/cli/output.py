"""What the command line prints: tables for people, JSON for scripts, progress on stderr.

A person reads amounts the Indian way (``₹23,60,000.00``, :func:`rupees`), booleans as
yes/no, numbers right-aligned and card block codes with their meaning (``UL (unlocked)``);
JSON keeps amounts as plain decimal strings, so no float ever appears. Colour follows
rich's rules: none when ``NO_COLOR`` is set or the stream is not a terminal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from paycore.domain.card_account import BlockCode
from paycore.domain.money import Money, rupees

Row = Mapping[str, Any]
#: Wide enough that a table piped to a file or a pager is never wrapped.
PIPE_WIDTH = 10_000


def plain(value: Any) -> Any:
    """A value as JSON would carry it (amounts as strings, so no float ever appears)."""
    if isinstance(value, Money):
        value = value.amount
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return value


def shown(value: Any) -> str:
    """A value as a person reads it in a table or a sentence."""
    if isinstance(value, (Money, Decimal)):
        return rupees(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return ""
    value = plain(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def block_code(code: str) -> str:
    """A card's block code with its meaning: ``UL (unlocked)``."""
    return f"{code} ({BlockCode(code).name.lower().replace('_', ' ')})"


def console(*, stderr: bool = False) -> Console:
    out = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not out.is_terminal:
        out = Console(stderr=stderr, highlight=False, width=PIPE_WIDTH, color_system=None)
    return out


def table(rows: Sequence[Row], columns: Sequence[str] | None = None) -> Table | Text:
    """Rows as a table; numbers and amounts right-aligned, the rest left."""
    if not rows:
        return Text("(none)")
    names = list(columns or rows[0].keys())
    grid = Table(box=box.SIMPLE_HEAD, pad_edge=False, header_style="bold")
    for name in names:
        numeric = any(_is_number(row.get(name)) for row in rows)
        grid.add_column(name.upper(), justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        grid.add_row(*(shown(row.get(name)) for name in names))
    return grid


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal, Money)) and not isinstance(value, bool)


def emit(rows: Sequence[Row] | Row, *, as_json: bool, columns: Sequence[str] | None = None) -> None:
    """Prints rows (or one record) as JSON or as a table."""
    if as_json:
        print(json.dumps(plain(rows), indent=2, ensure_ascii=False), flush=True)
    elif isinstance(rows, Mapping):
        console().print(table([{"field": k, "value": v} for k, v in rows.items()]))
    else:
        console().print(table(rows, columns))


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f} events/s" if task.speed else "")


@contextmanager
def progress_bar(label: str) -> Iterator[Any]:
    """A ``(done, total)`` callback drawing a bar with rate and ETA on stderr when it is a
    terminal; silent otherwise."""
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        disable=not console(stderr=True).is_terminal,
    )
    task = bar.add_task(label, total=None)

    def advance(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield advance

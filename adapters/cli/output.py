"""What the command line prints: tables for people, JSON for scripts, progress on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO
from uuid import UUID

from paycore.domain.money import Money

Row = Mapping[str, Any]


def plain(value: Any) -> Any:
    """A value as JSON would carry it (amounts as strings, so no float ever appears)."""
    if isinstance(value, Money):
        value = value.amount
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, (datetime, Enum)):
        return value.isoformat() if isinstance(value, datetime) else value.value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v) for v in value]
    return value


def cell(value: Any) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def table(rows: Sequence[Row], columns: Sequence[str] | None = None, width: int = 48) -> str:
    """Rows as an aligned text table; long cells are cut to ``width`` characters."""
    if not rows:
        return "(none)"
    names = list(columns or rows[0].keys())
    cells = [[_cut(cell(row.get(name)), width) for name in names] for row in rows]
    widths = [max(len(name), *(len(r[i]) for r in cells)) for i, name in enumerate(names)]
    lines = [
        "  ".join(name.upper().ljust(w) for name, w in zip(names, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(line.rstrip() for line in lines)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def emit(rows: Sequence[Row] | Row, *, as_json: bool, columns: Sequence[str] | None = None) -> None:
    """Prints rows (or one record) as JSON or as a table."""
    if as_json:
        print(json.dumps(plain(rows), indent=2, ensure_ascii=False))
    elif isinstance(rows, Mapping):
        print(table([{"field": k, "value": v} for k, v in rows.items()], width=100))
    else:
        print(table(rows, columns))


class Progress:
    """A progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.shown = self.stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if not self.shown:
            return
        share = done / total if total else 1.0
        bar = "#" * int(share * 30)
        self.stream.write(f"\r{self.label} [{bar:<30}] {done}/{total}")
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")

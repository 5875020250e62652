"""One aggregate's audit trail as a picture: a self-contained HTML page holding an SVG
timeline (no external asset, no script), every value escaped.

Each event is a dot on a vertical line with its time (UTC), its name, who caused it and
through what, and its fields; amounts read the Indian way (``₹11,800.00``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from paycore.domain.money import rupees
from paycore.projections.views.audit_trail import AuditEvent

#: fields that carry an amount (as decimal text in the trail)
_AMOUNT_FIELDS = re.compile(r"(^|_)(amount|total|balance|settled|reserved|outstanding)$")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
ROW_HEIGHT = 64
WIDTH = 960
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24}"
    "h1{font-size:1.3rem}text{font-family:system-ui,sans-serif;font-size:13px}"
    ".name{font-weight:600;font-size:14px}.meta{fill:#57606a}.fields{fill:#24292f}"
)


def _field(name: str, value: Any) -> str:
    if isinstance(value, str) and _AMOUNT_FIELDS.search(name) and _DECIMAL.fullmatch(value):
        value = rupees(Decimal(value))
    elif isinstance(value, bool):
        value = "yes" if value else "no"
    return f"{name}: {value}"


def _row(index: int, event: AuditEvent) -> str:
    y = 40 + index * ROW_HEIGHT
    when = event.recorded_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    name = event.event_type.rsplit(".", 1)[-1]
    fields = ", ".join(_field(k, v) for k, v in event.fields.items())
    meta = f"v{event.version} · {event.actor} via {event.source} · position {event.position}"
    return (
        f'<circle cx="200" cy="{y}" r="7" fill="#0969da"/>'
        f'<text x="185" y="{y + 5}" text-anchor="end" class="meta">{escape(when)}</text>'
        f'<text x="220" y="{y - 8}" class="name">{escape(name)}</text>'
        f'<text x="220" y="{y + 10}" class="meta">{escape(meta)}</text>'
        f'<text x="220" y="{y + 27}" class="fields">{escape(fields)}</text>'
    )


def timeline_html(events: Sequence[AuditEvent]) -> str:
    """The page for one aggregate's events, oldest first."""
    first = events[0]
    title = f"{first.aggregate_type} {first.aggregate_id}: audit trail"
    height = 40 + len(events) * ROW_HEIGHT
    longest = max(len(", ".join(_field(k, v) for k, v in e.fields.items())) for e in events)
    width = max(WIDTH, 240 + 8 * longest)
    rows = "".join(_row(i, e) for i, e in enumerate(events))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">'
        f'<line x1="200" y1="30" x2="200" y2="{height - 20}" stroke="#d0d7de" stroke-width="2"/>'
        f"{rows}</svg></body></html>\n"
    )


def write_timeline(events: Sequence[AuditEvent], path: Path) -> None:
    path.write_text(timeline_html(events), encoding="utf-8")

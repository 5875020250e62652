"""paycore's telemetry: structured log fields and the followers' metrics as text.

Every log call of paycore names its facts as fields, under stable keys (``fields``
makes them): ``log.info("...", extra=fields(consumer=..., position=...))`` gives the
record the attributes ``paycore.consumer`` and ``paycore.position``. A field holds an
id, a reference, a code, a count or a name: never a PIN, OTP, token, client secret or
card number. :class:`JsonLogFormatter` writes a record and its ``paycore.*`` fields as
one JSON line, for a host that ships logs to a collector.

The relay and the projector each answer ``metrics()`` with a
:class:`~paycore.projections.runner.FollowerMetrics`; :func:`prometheus_text` renders
any number of them in the Prometheus text format (version 0.0.4).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from paycore.projections.runner import FollowerMetrics

#: the prefix of every field paycore puts on a log record
PREFIX = "paycore."


def fields(**values: object) -> dict[str, object]:
    """``extra=`` for a log call: each keyword as ``paycore.<keyword>``; None is left out."""
    return {PREFIX + name: value for name, value in values.items() if value is not None}


class JsonLogFormatter(logging.Formatter):
    """One JSON object per record: ``time`` (UTC, ISO 8601), ``level``, ``logger``,
    ``message``, the record's ``paycore.*`` fields, and ``exception`` (the formatted
    traceback) when there is one. Other attributes of the record are left out."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= {k: v for k, v in vars(record).items() if k.startswith(PREFIX)}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class Follower(Protocol):
    """A follower of the event log: the sync relay or the projector."""

    def metrics(self) -> FollowerMetrics: ...


#: name, type, help, and the FollowerMetrics attribute it shows
_SERIES = (
    ("paycore_follower_position", "gauge", "last notification id processed", "position"),
    ("paycore_follower_lag_events", "gauge", "notifications still to process", "lag_events"),
    ("paycore_follower_lag_seconds", "gauge", "age of the oldest one still to process",
     "lag_seconds"),
    ("paycore_follower_attempts_total", "counter", "relay: remote calls sent; views: batches "
     "projected", "attempts"),
    ("paycore_follower_dead_letters", "gauge", "items in the dead-letter list", "dead_letters"),
    ("paycore_follower_last_success_timestamp_seconds", "gauge",
     "unix time of the last pass that ran to its end", "last_success"),
)  # fmt: skip


def prometheus_text(followers: Iterable[Follower]) -> str:
    """The followers' metrics in the Prometheus text format, labelled by consumer."""
    snapshots = [follower.metrics() for follower in followers]
    lines: list[str] = []
    for name, kind, description, attribute in _SERIES:
        lines += [f"# HELP {name} {description}", f"# TYPE {name} {kind}"]
        for snapshot in snapshots:
            value = getattr(snapshot, attribute)
            if value is not None:
                lines.append(f'{name}{{consumer="{snapshot.consumer}"}} {value}')
    return "\n".join(lines) + "\n"

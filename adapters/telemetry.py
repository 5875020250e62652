"""paycore's telemetry: structured log fields and the followers' metrics as text.

Every log call of paycore names its facts as fields, under stable keys (``fields``
makes them): ``log.info("...", extra=fields(consumer=..., position=...))`` gives the
record the attributes ``paycore.consumer`` and ``paycore.position``. A field holds an
id, a reference, a code, a count or a name: never a PIN, OTP, token, client secret or
card number. :class:`JsonLogFormatter` writes a record and its ``paycore.*`` fields as
one JSON line, for a host that ships logs to a collector; :func:`log_json` sends all
records through it (what ``--log-json`` of the long-running commands does).

The relay and the projector each answer ``metrics()`` with a
:class:`~paycore.projections.runner.FollowerMetrics`; :func:`prometheus_text` renders
any number of them in the Prometheus text format (version 0.0.4), and
:func:`metrics_endpoint` serves that text on a loopback port. With the ``telemetry``
extra (OpenTelemetry), :func:`observe` reports the same values as OpenTelemetry metrics.

Tracing (the extra): the client, the relay and the webhook app open spans through
:func:`span`, which does nothing when OpenTelemetry is not installed;
:func:`instrument` adds a span around every command of a ``PaymentsCore``. A span's
attributes are :func:`fields`, so the same rule holds: never a secret. An exception
sets the span's status and its ``paycore.code``, never its message.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import ConfigurationError
from paycore.projections.runner import FollowerMetrics

if TYPE_CHECKING:
    from opentelemetry.metrics import CallbackOptions, Observation
    from opentelemetry.trace import Tracer

try:
    from opentelemetry import metrics as _otel_metrics
    from opentelemetry import trace as _otel_trace
except ImportError:
    _tracer: Tracer | None = None
else:
    _tracer = _otel_trace.get_tracer("paycore")

EXTRA = "OpenTelemetry is not installed: pip install 'paycore[telemetry]'"

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


def log_json(stream: TextIO | None = None) -> None:
    """Sends every record to ``stream`` (stderr) as one :class:`JsonLogFormatter` line,
    in place of any handler there was: paycore's own records from INFO, other
    libraries' (httpx, uvicorn) from WARNING, so their request lines stay out."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLogFormatter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.getLogger("paycore").setLevel(logging.INFO)


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


@dataclass(frozen=True)
class MetricsEndpoint:
    url: str
    port: int


@contextlib.contextmanager
def metrics_endpoint(
    followers: Sequence[Follower], port: int = 0, host: str = "127.0.0.1"
) -> Iterator[MetricsEndpoint]:
    """Serves :func:`prometheus_text` at ``GET /metrics`` from a thread until the block
    ends (port 0 takes a free one). Loopback by default: the text names positions and
    counts only, but a host decides who may scrape it."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/metrics":
                self.send_error(404)
                return
            body = prometheus_text(followers).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Scrapes are not logged."""

    server = ThreadingHTTPServer((host, port), Handler)
    thread = threading.Thread(target=server.serve_forever, name="paycore-metrics", daemon=True)
    thread.start()
    try:
        bound = server.server_address[1]
        yield MetricsEndpoint(f"http://{host}:{bound}/metrics", bound)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def observe(followers: Sequence[Follower]) -> None:
    """Reports the followers' metrics as OpenTelemetry observable instruments of the
    meter ``paycore`` (the host's MeterProvider exports them), attribute ``paycore.consumer``."""
    try:
        from opentelemetry.metrics import Observation  # noqa: PLC0415
    except ImportError:
        raise ConfigurationError(EXTRA, missing="opentelemetry") from None
    meter = _otel_metrics.get_meter("paycore")

    def reading(attribute: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def callback(options: CallbackOptions) -> Iterable[Observation]:
            for follower in followers:
                snapshot = follower.metrics()
                value = getattr(snapshot, attribute)
                if value is not None:
                    yield Observation(value, {PREFIX + "consumer": snapshot.consumer})

        return callback

    for name, unit, attribute in _INSTRUMENTS:
        if attribute == "attempts":
            meter.create_observable_counter(name, [reading(attribute)], unit=unit)
        else:
            meter.create_observable_gauge(name, [reading(attribute)], unit=unit)


#: OpenTelemetry name, unit, and the FollowerMetrics attribute it reports
_INSTRUMENTS = (
    ("paycore.follower.position", "1", "position"),
    ("paycore.follower.lag.events", "{notification}", "lag_events"),
    ("paycore.follower.lag", "s", "lag_seconds"),
    ("paycore.follower.attempts", "{attempt}", "attempts"),
    ("paycore.follower.dead_letters", "{item}", "dead_letters"),
    ("paycore.follower.last_success", "s", "last_success"),
)


@contextlib.contextmanager
def span(name: str, **attributes: object) -> Iterator[None]:
    """A span named ``name`` with :func:`fields` ``attributes``, current inside the
    block; nothing without OpenTelemetry. An exception sets the status ERROR (with its
    type) and ``paycore.code`` (a PaycoreError's or RemoteError's code)."""
    if _tracer is None:
        yield
        return
    with _tracer.start_as_current_span(
        name,
        attributes=fields(**attributes),  # type: ignore[arg-type]
        record_exception=False,
        set_status_on_exception=False,
    ) as current:
        try:
            yield
        except Exception as error:
            code = getattr(error, "code", None)
            if isinstance(code, str):
                current.set_attribute(PREFIX + "code", code)
            current.set_status(
                _otel_trace.Status(_otel_trace.StatusCode.ERROR, type(error).__name__)
            )
            raise


def instrument(core: PaymentsCore) -> PaymentsCore:
    """Wraps ``core``'s command runner so that every command runs in a span
    ``paycore.command`` with ``paycore.command``, ``paycore.source`` and
    ``paycore.correlation_id`` (when the caller gave one); never the arguments."""
    if _tracer is None:
        raise ConfigurationError(EXTRA, missing="opentelemetry")
    run = core._run

    @functools.wraps(run)
    def traced(command: str, arguments: Any, action: Any, context: Any, *rest: Any) -> Any:
        with span(
            "paycore.command",
            command=command,
            source=getattr(context, "source", None),
            correlation_id=getattr(context, "correlation_id", None),
        ):
            return run(command, arguments, action, context, *rest)

    core._run = traced  # type: ignore[method-assign,assignment]
    return core

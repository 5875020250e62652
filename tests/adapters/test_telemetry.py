"""paycore's log records carry their facts as fields, the relay and the projector say
where they stand, and no secret reaches either."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from paycore.adapters.sandbox import Sandbox
from paycore.adapters.sync import CONSUMER, EnkashPinGateway
from paycore.adapters.telemetry import (
    JsonLogFormatter,
    fields,
    instrument,
    log_json,
    metrics_endpoint,
    observe,
    prometheus_text,
)
from paycore.adapters.webhooks import WebhookAuth, WebhookInbox
from paycore.adapters.webhooks.asgi import WebhookApp
from paycore.domain.core import CommandContext, PaymentsCore
from paycore.domain.errors import PaycoreError
from paycore.projections.runner import VIEWS, Projector
from tests.adapters.sync.builders import (
    OTP_KEY,
    card_with_account,
    profile,
    relay,
    sandbox_client,
    sent_order,
)

try:
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
except ImportError:
    HAS_SDK = False
else:
    HAS_SDK = True

PIN = "4821"


@pytest.fixture
def core() -> Iterator[PaymentsCore]:
    app = PaymentsCore("memory://", otp_key=OTP_KEY)
    yield app
    app.close()


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Every paycore record at DEBUG, written by the JSON formatter."""
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger("paycore")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield written
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_fields_are_named_under_paycore_and_none_is_left_out() -> None:
    assert fields(consumer="sync-relay", position=7, code=None) == {
        "paycore.consumer": "sync-relay",
        "paycore.position": 7,
    }


def test_log_lines_are_json_with_the_fields_and_never_a_secret(
    core: PaymentsCore, sandbox: Sandbox, json_log: io.StringIO
) -> None:
    context = CommandContext(actor="ops", source="api", correlation_id="ticket-42")
    rng = random.Random(3)
    with sandbox_client(sandbox) as client:
        setup = card_with_account(core)
        sent_order(core, rng)
        core.load_card(setup.account_id, setup.card_id, "25.00", "LOAD-1", context=context)
        relay(core, client, profile("BUYER01")).drain()  # the order: dead-lettered
        core.pin_gateway = EnkashPinGateway(client)
        core.set_card_pin(setup.account_id, setup.card_id, PIN)
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    calls = {line.get("paycore.call") for line in lines}
    assert {"token", "create_card_account", "load_balance", "set_pin"} <= calls
    loaded = next(line for line in lines if line.get("paycore.reference") == "LOAD-1")
    assert loaded["paycore.http_status"] == 200
    [dead] = [line for line in lines if "dead-lettered" in line["message"]]
    assert dead["level"] == "WARNING"
    assert dead["paycore.consumer"] == CONSUMER
    assert dead["paycore.code"] == "REMOTE_SYNC_NOT_READY"
    assert isinstance(dead["paycore.position"], int)
    assert dead["paycore.correlation_id"]
    config = sandbox.client_config()
    secrets = [
        PIN,
        config.client_secret.get_secret_value(),
        config.password.get_secret_value(),
        *sandbox.issued_tokens(),
    ]
    assert sandbox.issued_tokens()
    for secret in secrets:
        assert f'"{secret}' not in json_log.getvalue()
        assert secret not in " ".join(str(value) for line in lines for value in line.values())


def test_log_json_writes_paycore_from_info_and_other_libraries_from_warning() -> None:
    root, paycore_logger = logging.getLogger(), logging.getLogger("paycore")
    saved = (root.handlers[:], root.level, paycore_logger.level)
    written = io.StringIO()
    try:
        log_json(written)
        paycore_logger.getChild("adapters.sync").info(
            "sync relay at %d", 7, extra=fields(consumer=CONSUMER, position=7)
        )
        paycore_logger.getChild("adapters.sync").debug("not shown")
        logging.getLogger("httpx").info("HTTP Request: POST https://example.test/token")
        logging.getLogger("httpx").warning("a library's warning")
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        paycore_logger.setLevel(saved[2])
    lines = [json.loads(line) for line in written.getvalue().splitlines()]
    assert [(line["logger"], line["level"], line["message"]) for line in lines] == [
        ("paycore.adapters.sync", "INFO", "sync relay at 7"),
        ("httpx", "WARNING", "a library's warning"),
    ]
    assert (lines[0]["paycore.consumer"], lines[0]["paycore.position"]) == (CONSUMER, 7)


def test_relay_metrics_show_lag_attempts_dead_letters_and_last_success(
    core: PaymentsCore, sandbox: Sandbox
) -> None:
    with sandbox_client(sandbox) as client:
        sync = relay(core, client, profile("BUYER01"))
        setup = card_with_account(core)
        sent_order(core, random.Random(4))
        before = sync.metrics()
        assert (before.consumer, before.position, before.attempts) == (CONSUMER, 0, 0)
        assert before.lag_events == 3  # account, card, order
        assert before.lag_seconds >= 0.0
        assert (before.dead_letters, before.last_success) == (0, None)
        sync.drain()
        after = sync.metrics()
    assert after.position == sync.position > 0
    assert (after.lag_events, after.lag_seconds) == (0, 0.0)
    assert after.attempts == 2  # the order was never sendable: no attempt
    assert after.dead_letters == 1
    assert after.last_success is not None
    assert core.get_card_account(setup.account_id).remote_id is not None


def test_projector_metrics_show_its_lag_and_batches(core: PaymentsCore) -> None:
    card_with_account(core)
    with Projector(core) as projector:
        before = projector.metrics()
        assert (before.consumer, before.position, before.lag_events) == (VIEWS, 0, 2)
        assert (before.attempts, before.dead_letters, before.last_success) == (0, None, None)
        projector.update()
        after = projector.metrics()
    assert after.position == core.recorder.max_notification_id()
    assert (after.lag_events, after.lag_seconds, after.attempts) == (0, 0.0, 1)
    assert after.last_success is not None


def test_prometheus_text_has_one_series_per_follower(core: PaymentsCore, sandbox: Sandbox) -> None:
    card_with_account(core)
    with sandbox_client(sandbox) as client, Projector(core) as projector:
        text = prometheus_text([relay(core, client), projector])
    assert "# TYPE paycore_follower_lag_events gauge" in text
    assert 'paycore_follower_lag_events{consumer="sync-relay"} 2\n' in text
    assert 'paycore_follower_lag_events{consumer="views"} 2\n' in text
    assert 'paycore_follower_dead_letters{consumer="sync-relay"} 0\n' in text
    assert 'paycore_follower_dead_letters{consumer="views"}' not in text
    assert "paycore_follower_last_success_timestamp_seconds{" not in text  # no pass yet


def test_the_metrics_endpoint_serves_the_text_on_loopback(core: PaymentsCore) -> None:
    card_with_account(core)
    with Projector(core) as projector, metrics_endpoint([projector]) as endpoint:
        projector.update()
        scraped = httpx.get(endpoint.url)
        missing = httpx.get(endpoint.url.replace("/metrics", "/other"))
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert 'paycore_follower_lag_events{consumer="views"} 0\n' in scraped.text
    assert missing.status_code == 404


def test_paycore_runs_without_opentelemetry(tmp_path: Path) -> None:
    """Without the extra: spans do nothing, the metrics still answer, and asking for
    tracing or OpenTelemetry metrics names the extra."""
    script = """
import sys
sys.modules["opentelemetry"] = None  # as if not installed
from paycore.adapters import telemetry
from paycore.domain.errors import ConfigurationError
from paycore.domain.core import PaymentsCore
from paycore.projections.runner import Projector
core = PaymentsCore("memory://")
core.open_card_account("CMP1", "Acme", "Staff", "CORPORATE")
with telemetry.span("paycore.test", code="X"):
    pass
with Projector(core) as projector:
    projector.update()
    assert projector.metrics().lag_events == 0
    for call in (lambda: telemetry.instrument(core), lambda: telemetry.observe([projector])):
        try:
            call()
        except ConfigurationError as missing:
            assert missing.message == telemetry.EXTRA
            assert missing.details == {"missing": "opentelemetry"}
        else:
            raise AssertionError("no error")
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.stdout.strip() == "ok", done.stderr


@pytest.fixture(scope="module")
def otel() -> tuple[Any, Any]:
    """The OpenTelemetry SDK with an in-memory span exporter and metric reader (set
    once per process, as OpenTelemetry allows). Required in CI."""
    if not HAS_SDK:
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs the telemetry tests: install paycore[telemetry] and the SDK")
        pytest.skip("needs opentelemetry-sdk (the telemetry extra and the dev group)")
    spans = InMemorySpanExporter()
    tracing = TracerProvider()
    tracing.add_span_processor(SimpleSpanProcessor(spans))
    trace.set_tracer_provider(tracing)
    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    return spans, reader


def test_spans_cover_commands_calls_passes_and_webhooks_and_never_a_secret(
    otel: tuple[Any, Any], core: PaymentsCore, sandbox: Sandbox
) -> None:
    spans, _ = otel
    spans.clear()
    instrument(core)
    context = CommandContext(actor="ops", source="api", correlation_id="ticket-42")
    with sandbox_client(sandbox) as client:
        setup = card_with_account(core)
        core.load_card(setup.account_id, setup.card_id, "25.00", "LOAD-1", context=context)
        relay(core, client).drain()
        core.pin_gateway = EnkashPinGateway(client)
        core.set_card_pin(setup.account_id, setup.card_id, PIN)
    app = WebhookApp(WebhookInbox(core, WebhookAuth(signing_secrets=(b"a-secret",))))
    status, _ = asyncio.run(
        app.deliver("/api/v0/payment/resp-pay", {"x-message-id": "msg-7"}, b"{}")
    )
    assert status == 401
    finished = spans.get_finished_spans()
    names = {s.name for s in finished}
    assert {"paycore.command", "paycore.remote", "paycore.sync.pass", "paycore.sync.item",
            "paycore.webhook"} <= names  # fmt: skip
    load = next(s for s in finished if s.attributes.get("paycore.command") == "load_card")
    assert load.attributes["paycore.correlation_id"] == "ticket-42"
    sent = next(s for s in finished if s.attributes.get("paycore.reference") == "LOAD-1")
    item = next(s for s in finished if s.context.span_id == sent.parent.span_id)
    assert item.name == "paycore.sync.item"
    assert item.attributes["paycore.correlation_id"] == "ticket-42"
    webhook = next(s for s in finished if s.name == "paycore.webhook")
    assert webhook.attributes["paycore.correlation_id"] == "msg-7"
    config = sandbox.client_config()
    secrets = [PIN, config.client_secret.get_secret_value(), config.password.get_secret_value(),
               *sandbox.issued_tokens(), "a-secret"]  # fmt: skip
    shown = " ".join(
        f"{s.name} {dict(s.attributes or {})} {s.status.description} {s.events}" for s in finished
    )
    for secret in secrets:
        assert secret not in shown


def test_a_refused_command_span_has_its_code_and_an_error_status(
    otel: tuple[Any, Any], core: PaymentsCore
) -> None:
    spans, _ = otel
    spans.clear()
    instrument(core)
    account_id = core.open_card_account("CO-1", "Acme", "Travel", "CORPORATE")
    card_id = core.issue_card(account_id, "GIFT", initial_load="500.00")
    with pytest.raises(PaycoreError):
        core.load_card(account_id, card_id, "100.00")
    [refused] = [s for s in spans.get_finished_spans() if s.attributes["paycore.command"]
                 == "load_card"]  # fmt: skip
    assert refused.attributes["paycore.code"] == "GIFT_CARD_RELOAD"
    assert refused.status.description == "GiftCardReload"


def test_follower_metrics_reach_opentelemetry(
    otel: tuple[Any, Any], core: PaymentsCore, sandbox: Sandbox
) -> None:
    _, reader = otel
    card_with_account(core)
    with sandbox_client(sandbox) as client, Projector(core) as projector:
        observe([relay(core, client), projector])
        data = reader.get_metrics_data()
    points = {
        (metric.name, point.attributes["paycore.consumer"]): point.value
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        for point in metric.data.data_points
    }
    assert points[("paycore.follower.lag.events", "sync-relay")] == 2
    assert points[("paycore.follower.lag.events", "views")] == 2
    assert points[("paycore.follower.dead_letters", "sync-relay")] == 0
    assert ("paycore.follower.dead_letters", "views") not in points
    assert points[("paycore.follower.attempts", "views")] == 0

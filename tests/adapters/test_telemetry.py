"""paycore's log records carry their facts as fields, the relay and the projector say
where they stand, and no secret reaches either."""

from __future__ import annotations

import io
import json
import logging
import random
from collections.abc import Iterator

import pytest

from paycore.adapters.sandbox import Sandbox
from paycore.adapters.sync import CONSUMER, EnkashPinGateway
from paycore.adapters.telemetry import JsonLogFormatter, fields, prometheus_text
from paycore.domain.core import CommandContext, PaymentsCore
from paycore.projections.runner import VIEWS, Projector
from tests.adapters.sync.builders import (
    OTP_KEY,
    card_with_account,
    profile,
    relay,
    sandbox_client,
    sent_order,
)

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

"""Fixtures for the adapter tests: a sandbox on loopback, a client of it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.sandbox import Sandbox, SandboxSettings, run_sandbox
from tests.adapters.enkash.builders import HANG, READ_TIMEOUT, WebhookReceiver


@pytest.fixture
def sandbox_settings() -> SandboxSettings:
    return SandboxSettings(hang_seconds=HANG)


@pytest.fixture
def sandbox(sandbox_settings: SandboxSettings) -> Iterator[Sandbox]:
    with run_sandbox(sandbox_settings) as running:
        yield running


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[EnkashClient]:
    config = sandbox.client_config(read_timeout=READ_TIMEOUT)
    with EnkashClient(config) as enkash:
        yield enkash


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()

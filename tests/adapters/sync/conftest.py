"""Fixtures of the relay tests: a core on memory or SQLite, a client of the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_builders import OTP_KEY, sandbox_client

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.sandbox import Sandbox
from paycore.domain.core import PaymentsCore


@pytest.fixture(params=["memory", "sqlite"])
def core(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PaymentsCore]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'paycore.db'}"
    app = PaymentsCore(url, otp_key=OTP_KEY)
    yield app
    app.close()


@pytest.fixture
def sync_client(sandbox: Sandbox) -> Iterator[EnkashClient]:
    with sandbox_client(sandbox) as client:
        yield client

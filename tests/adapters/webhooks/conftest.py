"""Fixtures of the inbox tests: a core on memory or SQLite and its inbox."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from webhook_builders import SECRET

from paycore.adapters.webhooks import WebhookAuth, WebhookInbox
from paycore.domain.core import PaymentsCore

# the relay tests' builders (an accepted invoice, a submitted payment, a sent order)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "sync"))

OTP_KEY = b"webhook-test-otp-key"


@pytest.fixture(params=["memory", "sqlite"])
def core(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PaymentsCore]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'paycore.db'}"
    app = PaymentsCore(url, otp_key=OTP_KEY)
    yield app
    app.close()


@pytest.fixture
def inbox(core: PaymentsCore) -> Iterator[WebhookInbox]:
    receiving = WebhookInbox(core, WebhookAuth(signing_secrets=(SECRET,)))
    yield receiving
    receiving.close()

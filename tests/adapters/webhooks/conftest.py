"""Fixtures of the inbox tests: a core on memory or SQLite and its inbox."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from paycore.adapters.webhooks import WebhookAuth, WebhookInbox
from paycore.domain.core import PaymentsCore
from tests.adapters.webhooks.builders import SECRET

# the relay tests' builders (an accepted invoice, a submitted payment, a sent order)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "sync"))

from tests.adapters.sync.builders import core

__all__ = ["core"]


@pytest.fixture
def inbox(core: PaymentsCore) -> Iterator[WebhookInbox]:
    receiving = WebhookInbox(core, WebhookAuth(signing_secrets=(SECRET,)))
    yield receiving
    receiving.close()

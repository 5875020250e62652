"""Fixtures of the inbox tests: a core on memory or SQLite and its inbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paycore.adapters.webhooks import WebhookAuth, WebhookInbox
from paycore.domain import PaymentsCore
from tests.adapters.sync.builders import core
from tests.adapters.webhooks.builders import SECRET

__all__ = ["core"]


@pytest.fixture
def inbox(core: PaymentsCore) -> Iterator[WebhookInbox]:
    receiving = WebhookInbox(core, WebhookAuth(signing_secrets=(SECRET,)))
    yield receiving
    receiving.close()

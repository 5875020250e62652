"""Fixtures of the relay tests: a core on memory or SQLite, a client of the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paycore.adapters.enkash import EnkashClient
from paycore.adapters.sandbox import Sandbox
from tests.adapters.sync.builders import core, sandbox_client

__all__ = ["core"]


@pytest.fixture
def sync_client(sandbox: Sandbox) -> Iterator[EnkashClient]:
    with sandbox_client(sandbox) as client:
        yield client

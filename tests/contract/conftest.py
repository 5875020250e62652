"""The contract tests reuse the adapter tests' sandbox, client and webhook receiver."""

from __future__ import annotations

from tests.adapters.conftest import client, sandbox, sandbox_settings, webhook_receiver

__all__ = ["client", "sandbox", "sandbox_settings", "webhook_receiver"]

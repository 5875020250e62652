"""Imports every command group so that each registers its sub-commands."""

from paycore.adapters.cli import audit, demo, sandbox, sync, views, webhooks  # noqa: F401

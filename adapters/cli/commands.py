"""Imports every command group so that each registers its sub-commands."""

from paycore.adapters.cli import sandbox  # noqa: F401

"""The ``paycore`` command line: the demo, the sandbox, sync, webhooks, views and audit."""

from paycore.adapters.cli.main import main

__all__ = ["main"]

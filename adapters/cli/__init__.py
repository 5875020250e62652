"""The ``paycore`` command line: the demo, the sandbox, sync, webhooks, views and audit."""

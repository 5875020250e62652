"""Edges of paycore: remote API client, sandbox, sync relay, webhook inbox, CLI."""

"""What several commands open: the core on ``--db``, and the views beside it."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager

from paycore.adapters.cli.main import database_url
from paycore.domain.core import PaymentsCore
from paycore.projections import Projector


@contextmanager
def opened_core(args: argparse.Namespace) -> Iterator[PaymentsCore]:
    core = PaymentsCore(database_url(args))
    try:
        yield core
    finally:
        core.close()


@contextmanager
def opened_projector(args: argparse.Namespace) -> Iterator[tuple[PaymentsCore, Projector]]:
    with opened_core(args) as core, Projector(core) as projector:
        yield core, projector


def secret_bytes(value: str | None, variable: str) -> bytes:
    """A key given on the command line or in ``variable`` (hex if it reads as hex)."""
    text = value or os.environ.get(variable, "")
    if not text:
        msg = f"give a key with --key or set {variable}"
        raise ValueError(msg)
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode()

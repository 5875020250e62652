"""What several commands open: the core on ``--db``, and the views beside it."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from paycore.domain.core import PaymentsCore
from paycore.projections import Projector


@contextmanager
def opened_core(args: argparse.Namespace) -> Iterator[PaymentsCore]:
    core = PaymentsCore(args.db)
    try:
        yield core
    finally:
        core.close()


@contextmanager
def opened_projector(args: argparse.Namespace) -> Iterator[tuple[PaymentsCore, Projector]]:
    with opened_core(args) as core, Projector(core) as projector:
        yield core, projector

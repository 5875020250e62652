"""Instances of separate processes that open one new store at the same instant all
start, with the edges' tables (the relay's items, the webhook inbox): none loses the
race to create its tables (issue 10, defect class 1)."""

from __future__ import annotations

import multiprocessing
import traceback
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PostgresSchema, require_postgres

ROUNDS = 12


def start(url: str, barrier: Any, outcomes: Any) -> None:
    barrier.wait()
    try:
        # in the child
        from paycore.adapters.persistence.tables import SideTables  # noqa: PLC0415
        from paycore.adapters.sync.items import RelayItems  # noqa: PLC0415
        from paycore.adapters.webhooks.auth import WebhookAuth  # noqa: PLC0415
        from paycore.adapters.webhooks.inbox import WebhookInbox  # noqa: PLC0415
        from paycore.domain.core import PaymentsCore  # noqa: PLC0415

        core = PaymentsCore(url)
        barrier.wait(timeout=60)  # the edges' tables, also at one instant
        WebhookInbox(core, WebhookAuth(signing_secrets=(b"s" * 32,))).close()
        tables = SideTables(core)
        RelayItems(tables)
        tables.close()
        core.close()
        outcomes.put("started")
    except BaseException as error:
        outcomes.put("".join(traceback.format_exception(error))[-2000:])


def started_together(url: str, processes: int = 2) -> list[str]:
    context = multiprocessing.get_context("spawn")
    barrier, outcomes = context.Barrier(processes), context.Queue()
    children = [
        context.Process(target=start, args=(url, barrier, outcomes)) for _ in range(processes)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    return [outcomes.get(timeout=5) for _ in children]


def test_two_processes_opening_one_new_sqlite_file_both_start(tmp_path: Path) -> None:
    for n in range(ROUNDS):
        url = f"sqlite:///{tmp_path / f'new-{n}.db'}"
        assert started_together(url) == ["started", "started"], f"round {n}"


@pytest.mark.parametrize("round_", range(3))
def test_two_processes_opening_one_new_postgresql_schema_both_start(round_: int) -> None:
    require_postgres()
    with PostgresSchema() as schema:
        assert started_together(schema.url) == ["started", "started"]

"""Two relay workers on one PostgreSQL database: one sends, the other stands by and
takes over when the first dies; no item is ever sent twice."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from paycore.adapters.sandbox import Sandbox
from paycore.adapters.sync.calls import relayed_topics
from paycore.domain.core import PaymentsCore
from tests.adapters.sync.builders import (
    OTP_KEY,
    READY,
    card_with_account,
    profile,
    sent_order,
    start_worker,
    wait_for_position,
    wait_until_ready,
)
from tests.conftest import PostgresSchema


def last_relayed(core: PaymentsCore) -> int:
    return core.recorder.select_notifications(None, 10**6, topics=relayed_topics())[-1].id


def workload(core: PaymentsCore, rng: random.Random, cards: int) -> None:
    setup = card_with_account(core)
    for n in range(cards):
        card_id = core.issue_card(setup.account_id, "PREPAID")
        core.load_card(setup.account_id, card_id, "10.00", f"LOAD-{rng.random()}-{n}")
        sent_order(core, rng)


@pytest.mark.postgres
def test_two_workers_never_send_the_same_item_twice(
    postgres_schema: PostgresSchema, sandbox: Sandbox, tmp_path: Path
) -> None:
    rng = random.Random(11)
    profile_file = tmp_path / "profile.json"
    profile_file.write_text(profile().model_dump_json())
    core = PaymentsCore(postgres_schema.url, otp_key=OTP_KEY)
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    first = start_worker(postgres_schema.url, profile_file, sandbox, logs[0])
    wait_until_ready(first, logs[0])
    second = start_worker(postgres_schema.url, profile_file, sandbox, logs[1])
    try:
        workload(core, rng, cards=8)
        wait_for_position(core, last_relayed(core))
        assert READY not in logs[1].read_text()  # the second one stood by all along
        first.kill()
        first.wait()
        wait_until_ready(second, logs[1])
        workload(core, rng, cards=8)
        wait_for_position(core, last_relayed(core))
    finally:
        for worker in (first, second):
            worker.kill()
            worker.wait()
        core.close()
    ledger = sandbox.ledger
    # every request the platform received was applied: nothing was sent twice
    assert len(ledger.received) == ledger.count_applied() == 2 * (2 + 3 * 8)
    referenced = [(r.endpoint, r.reference) for r in ledger.received if r.reference]
    assert len(referenced) == len(set(referenced))
    holders = [card.userId for card in sandbox.state.cards.values()]
    assert len(holders) == len(set(holders))

"""A short soak run (tests/soak/run.py) on SQLite and on PostgreSQL: separate processes
racing on shared aggregates leave no raw exception, no lost or duplicated effect, one
outcome per idempotency key, exact balances, no overpaid invoice, views that rebuild to
what was kept, a chain that verifies, and only the refusals each scenario can produce."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.conftest import PostgresSchema
from tests.soak.run import Report, Tally, check, prepare, soak

SECONDS, PROCESSES = 10, 3


def assert_clean(report: Report) -> None:
    table = report.table()
    assert report.calls > 100, table
    assert report.count("ok") > 0, table
    assert report.rounds > 0, table
    assert report.raised == [], table
    assert report.lost == [], table
    assert report.duplicated == [], table
    assert report.diverging_keys == [], table
    assert report.overpaid == [], table
    assert report.balance_mismatches == [], table
    assert report.forgeries_accepted == [], table
    assert report.view_faults == [], table
    assert report.audit.startswith("ok"), table
    assert report.unexpected_refusals() == [], table
    # The scenarios reached the states they exist for:
    assert report.outcomes["load, reused reference", "LOAD_REFERENCE_REUSED"] > 0, table
    assert report.outcomes["spend, reused transaction id", "SPEND_TRANSACTION_REUSED"] > 0, table
    assert report.outcomes["webhook, forged", "WEBHOOK_UNAUTHENTICATED"] > 0, table
    assert report.outcomes["webhook, genuine (answers)", "200 duplicate"] > 0, table


def test_a_short_soak_on_sqlite_leaves_every_effect_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'soak.db'}"
    assert_clean(soak(url, "sqlite", PROCESSES, SECONDS, random.randrange(10**6)))


@pytest.mark.postgres
def test_a_short_soak_on_postgres_leaves_every_effect_once(
    postgres_schema: PostgresSchema,
) -> None:
    seed = random.randrange(10**6)
    assert_clean(soak(postgres_schema.url, "postgres", PROCESSES, SECONDS, seed))


def test_the_check_counts_an_effect_answered_ok_but_missing_and_a_key_with_two_outcomes(
    tmp_path: Path,
) -> None:
    plan = prepare(f"sqlite:///{tmp_path / 'soak.db'}", seed=5)
    account_id = str(plan.cards[0][0])
    tally = Tally(0, loads=[(account_id, "REF-NEVER-SENT")])
    tally.keyed = [("soak-5-1-load", "ok LD1"), ("soak-5-1-load", "ok LD2")]
    report = Report("sqlite", 1, 0, 5)
    check(plan, [tally], report)
    missing = f"load REF-NEVER-SENT on account {account_id} answered ok, not in the log"
    assert report.lost == [missing]
    assert report.diverging_keys == ["soak-5-1-load: ['ok LD1', 'ok LD2']"]
    assert report.duplicated == ["key soak-5-1-load applied with results ['ok LD1', 'ok LD2']"]
    assert report.balance_mismatches == report.overpaid == report.view_faults == []
    assert report.audit.startswith("ok"), report.audit

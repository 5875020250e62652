"""The projector beside what any follower of the log must do, on a store of many events.

In each round, on the same log: a **decoded read** (every notification read in batches
of 5,000 and decoded by the application's mapper, nothing written), the **minimal
hand-written projection** (the same, plus one audit row per event into a table with
only its primary key, one transaction per batch), and ``Projector.update()`` from zero
into a view store of its own (every view and the hash chain), and the same with the
audit trail alone (the rows the hand-written projection writes). Then, on a log of
``big`` events: the peak memory of a process rebuilding the views beside one that
only opens the store, and the audit-trail queries.

The log: card accounts of 100 events each (opened, a card issued, loads), each account
written under an actor (ten of them) and a correlation id of its own; the last account
under an actor of its own, whose query must read the whole trail.
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import psycopg
from psycopg.types.json import Jsonb

from benchmarks.commands import CARD, ONE, paycore_on
from benchmarks.report import Result, compared, interleaved
from benchmarks.stores import POSTGRES_DSN, Store
from paycore.domain.aggregate import Audit, Source, recording
from paycore.domain.card_account import CardAccount, CardForm, CardKind
from paycore.domain.core import PaymentsCore
from paycore.domain.money import Money
from paycore.projections import AuditTrail, Projector, ViewStore, open_views
from paycore.projections.postgres import PostgresViewStore
from paycore.projections.sqlite import SQLiteViewStore
from paycore.projections.views.audit_trail import AuditTrailView

EVENTS_PER_ACCOUNT = 100
BATCH = 5000
#: A batch size the rebuild's memory is measured at besides the projector's default
#: (1,000): the default it had until 2026-12-03.
LARGE_BATCH = 5000
RARE_ACTOR = "auditor@bench"
#: What the hand-written projection leaves out of an event's fields.
_METADATA = frozenset({"timestamp", "actor", "source", "correlation_id", "causation_id"})


def fill(core: PaymentsCore, accounts: range) -> list[UUID]:
    """The accounts numbered ``accounts``, saved 50 at a time (see the module)."""
    ids: list[UUID] = []
    batch: list[CardAccount] = []
    for n in accounts:
        actor = RARE_ACTOR if n == accounts.stop - 1 else f"ops{n % 10}@bench"
        with recording(Audit(actor, Source.API, f"op-{n}", f"op-{n}", datetime.now(UTC))):
            account = CardAccount.create_with_id(
                uuid4(),
                "Opened",
                company_id=f"CO{n}",
                company_name="Bench",
                account_title="Log",
                account_type="CORPORATE",
                balance_cap=Money("1000000000000.00"),
            )
            account.issue_card(CARD, CardKind.PREPAID, CardForm.VIRTUAL, Money.ZERO)
            while account.version < EVENTS_PER_ACCOUNT:
                account.load(CARD, ONE, f"LD{account.version}")
        batch.append(account)
        ids.append(account.id)
        if len(batch) == 50:
            core.save(*batch)
            batch = []
    if batch:
        core.save(*batch)
    return ids


def _batches(core: PaymentsCore) -> Iterator[Any]:
    position = 0
    while batch := core.recorder.select_notifications(position, BATCH, inclusive_of_start=False):
        yield batch
        position = batch[-1].id


def decoded_read(core: PaymentsCore, _: Store) -> int:
    count = 0
    for batch in _batches(core):
        for notification in batch:
            core.mapper.to_domain_event(notification)
        count += len(batch)
    return count


def _audit_row(core: PaymentsCore, notification: Any) -> tuple[Any, ...]:
    event = core.mapper.to_domain_event(notification)
    state = vars(event)
    fields = {k: v for k, v in state.items() if k not in _METADATA and not k.startswith("orig")}
    return (
        notification.id,
        notification.originator_id,
        notification.originator_version,
        notification.topic,
        state["timestamp"],
        state["actor"],
        json.dumps(fields, default=str),
    )


def hand_written(core: PaymentsCore, store: Store) -> int:
    """The minimal hand-written projection (see the module)."""
    count = 0
    if store.kind == "sqlite":
        connection = sqlite3.connect(store.folder / f"hand-{uuid4().hex}.db")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")  # as the view store has it
        connection.execute(
            "CREATE TABLE audit (position INTEGER PRIMARY KEY, aggregate_id TEXT, "
            "version INTEGER, event_type TEXT, recorded_at TEXT, actor TEXT, fields TEXT)"
        )
        for batch in _batches(core):
            rows = []
            for notification in batch:
                position, aggregate, version, topic, at, actor, fields = _audit_row(
                    core, notification
                )
                rows.append(
                    (position, str(aggregate), version, topic, at.isoformat(), actor, fields)
                )
            connection.executemany("INSERT INTO audit VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            connection.commit()
            count += len(rows)
        connection.close()
        return count
    table = f'"{store.schema}".hand_audit_{uuid4().hex[:8]}'
    with psycopg.connect(POSTGRES_DSN) as conn:
        conn.execute(
            f"CREATE TABLE {table} (position bigint PRIMARY KEY, aggregate_id uuid, "
            "version bigint, event_type text, recorded_at timestamptz, actor text, fields jsonb)"
        )
        conn.commit()
        for batch in _batches(core):
            rows = [_audit_row(core, n) for n in batch]
            with conn.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {table} VALUES (%s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
                    [(*row[:6], Jsonb(row[6], dumps=str)) for row in rows],
                )
            conn.commit()
            count += len(rows)
        conn.execute(f"DROP TABLE {table}")
        conn.commit()
    return count


@contextmanager
def fresh_views(store: Store) -> Iterator[ViewStore]:
    """A view store of its own: another SQLite file, another PostgreSQL schema."""
    if store.kind == "sqlite":
        sqlite_views = SQLiteViewStore(str(store.folder / f"views-{uuid4().hex}.db"))
        try:
            yield sqlite_views
        finally:
            sqlite_views.close()
        return
    with store.new_schema() as schema:
        postgres_views = PostgresViewStore.from_env(
            {**store.env("views"), "POSTGRES_SCHEMA": schema}
        )
        try:
            yield postgres_views
        finally:
            postgres_views.close()


def projector(core: PaymentsCore, store: Store) -> int:
    with fresh_views(store) as views, Projector(core, views) as running:
        return running.update()


def audit_trail_only(core: PaymentsCore, store: Store) -> int:
    """The projector writing what the hand-written projection writes: one audit row per
    event (and its position), no other view, no hash chain."""
    with fresh_views(store) as views, Projector(core, views, views=[AuditTrailView()]) as running:
        return running.update()


FOLLOWERS: dict[str, Callable[[PaymentsCore, Store], int]] = {
    "projector": projector,
    "audit trail only": audit_trail_only,
    "hand-written": hand_written,
    "decoded read": decoded_read,
}


def _rate(
    follow: Callable[[PaymentsCore, Store], int], core: PaymentsCore, log: Store, events: int
) -> float:
    start = time.perf_counter()
    count = follow(core, log)
    assert count == events, (follow.__name__, count, events)
    return count / (time.perf_counter() - start)


def projection_results(store: Store, events: int, big: int, rounds: int) -> list[Result]:
    """On a log of its own (another SQLite file, another schema): see the module."""
    with store.new_schema() if store.kind == "postgres" else nullcontext(store.schema) as schema:
        folder = store.folder / "log"
        folder.mkdir()
        log = Store(store.kind, folder, schema)
        core = paycore_on(log)
        try:
            accounts = fill(core, range(events // EVENTS_PER_ACCOUNT))
            rates = interleaved(
                {
                    name: partial(_rate, follow, core, log, events)
                    for name, follow in FOLLOWERS.items()
                },
                rounds,
            )
            accounts += fill(core, range(events // EVENTS_PER_ACCOUNT, big // EVENTS_PER_ACCOUNT))
            rss, rss_large, bare = rebuild_peak_rss(log)
            queries = audit_queries(core, log, accounts)
        finally:
            core.close()
    name = f"projector catch-up, {events:,} events"
    return [
        compared(
            name, store.kind, "events/s", rates["projector"], "hand-written", rates["hand-written"]
        ),
        compared(
            name, store.kind, "events/s", rates["projector"], "decoded read", rates["decoded read"]
        ),
        compared(
            f"projector, audit trail only, {events:,} events",
            store.kind,
            "events/s",
            rates["audit trail only"],
            "hand-written",
            rates["hand-written"],
        ),
        compared(
            f"hand-written projection, {events:,} events",
            store.kind,
            "events/s",
            rates["hand-written"],
            "decoded read",
            rates["decoded read"],
        ),
        compared(
            f"view rebuild peak RSS, {big:,} events",
            store.kind,
            "MB",
            [rss],
            "opening the store",
            [bare],
            higher_is_better=False,
        ),
        compared(
            f"view rebuild peak RSS, {big:,} events, batches of {LARGE_BATCH:,}",
            store.kind,
            "MB",
            [rss_large],
            "opening the store",
            [bare],
            higher_is_better=False,
        ),
        *queries,
    ]


def audit_queries(core: PaymentsCore, store: Store, accounts: list[UUID]) -> list[Result]:
    """Latencies (ms) of the audit trail's queries, on the views the rebuild left."""
    rng = random.Random(5)
    views = open_views(core.url)
    trail = AuditTrail(core, views)
    try:
        one = [_ms(partial(trail.events_of, rng.choice(accounts))) for _ in range(100)]
        operations = [f"op-{rng.randrange(len(accounts))}" for _ in range(50)]
        correlated = [_ms(partial(trail.events, correlation_id=op)) for op in operations]
        rare = [_ms(lambda: trail.events(actor=RARE_ACTOR)) for _ in range(5)]
    finally:
        views.close()
    title = f"audit trail of {len(accounts) * EVENTS_PER_ACCOUNT:,} events:"
    kind = store.kind
    return [
        compared(f"{title} one aggregate (100 events), p50", kind, "ms", [statistics.median(one)]),
        compared(f"{title} one aggregate, p95", kind, "ms", [statistics.quantiles(one, n=20)[18]]),
        compared(f"{title} one correlation id, p50", kind, "ms", [statistics.median(correlated)]),
        compared(f"{title} a rare actor (no index), p50", kind, "ms", [statistics.median(rare)]),
    ]


def _ms(query: Callable[[], object]) -> float:
    start = time.perf_counter()
    query()
    return (time.perf_counter() - start) * 1000


# VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork and exec, so a child would
# report at least the size its (large) parent had.
_CHILD = """
import sys
from paycore.domain.core import PaymentsCore
from paycore.projections import Projector
core = PaymentsCore(sys.argv[1])
if sys.argv[2] == "rebuild":
    batch = {"batch_size": int(sys.argv[3])} if len(sys.argv) > 3 else {}
    with Projector(core, **batch) as projector:
        projector.rebuild()
core.close()
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def rebuild_peak_rss(store: Store) -> tuple[float, float, float]:
    """Peak RSS in MB of a process rebuilding every view (in batches of the default
    size, then of ``LARGE_BATCH``), and of one that only opens the store."""

    def peak(*what: str) -> float:
        out = subprocess.run(  # noqa: S603 - this interpreter, our own code
            [
                sys.executable,
                "-c",
                _CHILD,
                store.url("paycore"),
                *what,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return round(int(out.stdout.split()[-1]) / 1024, 1)  # VmHWM is in kB

    return peak("rebuild"), peak("rebuild", str(LARGE_BATCH)), peak("open")

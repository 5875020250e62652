"""(d) projection catch-up beside a raw read of the log, (e) audit-trail query latency,
(g) peak memory of a view rebuild, on a store holding many events."""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time
from uuid import UUID

from benchmarks.commands import account_with_loads
from benchmarks.report import Result
from benchmarks.stores import Store
from paycore.domain.core import PaymentsCore
from paycore.projections import AuditTrail, Projector

#: events per card account, so queries for one aggregate return this many rows
EVENTS_PER_ACCOUNT = 100


def fill(core: PaymentsCore, events: int) -> list[UUID]:
    """Card accounts of ``EVENTS_PER_ACCOUNT`` events each, ``events`` in all."""
    return [
        account_with_loads(core, EVENTS_PER_ACCOUNT) for _ in range(0, events, EVENTS_PER_ACCOUNT)
    ]


def raw_read(core: PaymentsCore) -> float:
    """Events per second of reading the notification log, undecoded, in batches."""
    start, count, position = time.perf_counter(), 0, 0
    while batch := core.recorder.select_notifications(position, 5000, inclusive_of_start=False):
        count += len(batch)
        position = batch[-1].id
    return count / (time.perf_counter() - start)


def projection_results(store: Store, events: int, samples: int) -> list[Result]:
    core = PaymentsCore(store.url, otp_key=b"bench")
    try:
        accounts = fill(core, events)
        total = core.recorder.max_notification_id() or 0
        baseline = raw_read(core)
        with Projector(core) as projector:
            start = time.perf_counter()
            projector.update()
            rate = total / (time.perf_counter() - start)
            trail = AuditTrail(core, projector.store)
            rng = random.Random(5)
            latencies = []
            for _ in range(samples):
                aggregate = rng.choice(accounts)
                began = time.perf_counter()
                trail.events_of(aggregate)
                latencies.append((time.perf_counter() - began) * 1000)
        rss, bare = rebuild_peak_rss(store.url)
    finally:
        core.close()
    p95 = statistics.quantiles(latencies, n=20)[18]
    return [
        Result(
            f"(d) projection catch-up, {total:,} events",
            store.kind,
            1,
            round(rate),
            "events/s",
            round(baseline),
            round(rate / baseline, 3),
            "baseline: a raw read of the notification log",
        ),
        Result(
            f"(e) audit trail of one aggregate, {total:,} events, p50",
            store.kind,
            1,
            round(statistics.median(latencies), 2),
            "ms",
        ),
        Result(
            f"(e) audit trail of one aggregate, {total:,} events, p95",
            store.kind,
            1,
            round(p95, 2),
            "ms",
            note=f"{EVENTS_PER_ACCOUNT} events returned",
        ),
        Result(
            f"(g) view rebuild peak RSS, {total:,} events",
            store.kind,
            1,
            rss,
            "MB",
            bare,
            round(bare / rss, 3),
            "baseline: a process that only opens the store",
        ),
    ]


# VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork and exec, so a child would
# report at least the size its (large) parent had.
_CHILD = """
import sys
from paycore.domain.core import PaymentsCore
from paycore.projections import Projector
core = PaymentsCore(sys.argv[1])
if sys.argv[2] == "rebuild":
    with Projector(core) as projector:
        projector.rebuild()
core.close()
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))
"""


def rebuild_peak_rss(url: str) -> tuple[float, float]:
    """Peak RSS in MB of a process rebuilding every view, and of one that only opens."""

    def peak(what: str) -> float:
        out = subprocess.run(  # noqa: S603 - this interpreter, our own code
            [sys.executable, "-c", _CHILD, url, what], capture_output=True, text=True, check=True
        )
        return round(int(out.stdout.split()[-1]) / 1024, 1)  # VmHWM is in kB

    return peak("rebuild"), peak("open")

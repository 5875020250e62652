"""Runs every benchmark and prints the table; ``--json PATH`` also writes the figures.

Every figure is a median over interleaved rounds, beside the strongest baseline measured
in the same rounds (see benchmarks/commands.py, limits.py and projections.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from uuid import UUID

from eventsourcing.application import Application

from benchmarks import limits
from benchmarks.baseline import LibraryAtItsBest
from benchmarks.commands import (
    OTP,
    OTP_KEY,
    WORKLOADS,
    CardLoads,
    PaymentAuthorisations,
    card_loads_in_threads,
    command_rates,
    paycore_on,
)
from benchmarks.projections import projection_results
from benchmarks.report import Result, compared, interleaved, machine, table
from benchmarks.stores import LIBRARY_POSTGRES, Store, open_store, postgres_reachable
from paycore.domain.core import PaymentsCore

LIBRARY, CEILING = "library at its best", "single-writer ceiling"
#: The commands part measures SQLite's limits in its card-load rounds; "limits" is
#: PostgreSQL's INSERT+COMMIT and the card loads of eight instances at once.
PARTS = ("commands", "limits", "projections")


@dataclass(frozen=True)
class Sizes:
    rounds: int
    histories: tuple[int, ...]
    #: Commands per round and contender, by store.
    ops: dict[str, int]
    aggregates: int
    #: Card loads per thread and round, 8 threads (PostgreSQL).
    thread_ops: int
    #: Commits per round of the physical limits, by store.
    commits: dict[str, int]
    #: Events of the log the followers read in rounds, and of the larger one.
    log_events: int
    big_log_events: int
    threads: int = 8
    kinds: tuple[str, ...] = field(default=("memory", "sqlite", "postgres"))


SIZES = {
    "quick": Sizes(
        rounds=3,
        histories=(5, 50),
        ops={"memory": 40, "sqlite": 20, "postgres": 20},
        aggregates=10,
        thread_ops=10,
        commits={"sqlite": 50, "postgres": 50},
        log_events=5_000,
        big_log_events=10_000,
    ),
    "full": Sizes(
        rounds=5,
        histories=(5, 50, 500),
        ops={"memory": 1000, "sqlite": 300, "postgres": 300},
        # 5 rounds: the machine is shared, so any one round may be disturbed.
        aggregates=100,
        thread_ops=100,
        commits={"sqlite": 300, "postgres": 500},
        log_events=250_000,
        big_log_events=1_000_000,
    ),
}


def command_results(store: Store, size: Sizes) -> list[Result]:
    results = []
    shortest, longest = min(size.histories), max(size.histories)
    for workload in WORKLOADS:
        physical = {}
        if workload is CardLoads and store.kind == "sqlite":
            physical = sqlite_limits(store, size.commits["sqlite"])
        rates = command_rates(
            store,
            workload,
            size.histories,
            size.aggregates,
            size.ops[store.kind],
            size.rounds,
            physical,
        )
        for history in size.histories:
            name = f"{workload.title}, history {history}"
            paycore = rates[f"paycore@{history}"]
            for baseline, label in (("library", LIBRARY), ("ceiling", CEILING)):
                results.append(
                    compared(
                        name, store.kind, "ops/s", paycore, label, rates[f"{baseline}@{history}"]
                    )
                )
        if workload is PaymentAuthorisations:
            results.append(
                compared(
                    f"authorisation at history {longest} / at {shortest}",
                    store.kind,
                    "ops/s",
                    rates[f"paycore@{longest}"],
                    f"paycore at history {shortest}",
                    rates[f"paycore@{shortest}"],
                )
            )
        if physical:
            full, normal = rates["FULL"], rates["NORMAL"]
            results += [
                compared("SQLite INSERT+COMMIT, synchronous=FULL", "sqlite", "commits/s", full),
                compared("SQLite INSERT+COMMIT, synchronous=NORMAL", "sqlite", "commits/s", normal),
                compared(
                    f"card load, history {shortest}",
                    "sqlite",
                    "ops/s",
                    rates[f"paycore@{shortest}"],
                    "INSERT+COMMIT, FULL",
                    full,
                ),
            ]
    return results


def sqlite_limits(store: Store, commits: int) -> dict[str, Callable[[], float]]:
    """The commit rates of a SQLite file, as contenders of the card-load rounds."""
    return {
        mode: partial(
            limits.sqlite_commits, store.folder / f"limit-{mode}.db", mode, commits * factor
        )
        for mode, factor in (("FULL", 1), ("NORMAL", 10))
    }


def postgres_limit_results(store: Store, size: Sizes) -> list[Result]:
    """Raw INSERT+COMMIT at 1 and 8 connections, and card loads from 8 instances."""
    threads, ops = size.threads, size.thread_ops
    with store.new_schema() as locked_schema:
        locked = Store("postgres", store.folder, locked_schema)

        def paycore_locking() -> Application[UUID]:
            """paycore on the library's recorder (a table lock per insert)."""
            return PaymentsCore(
                locked.url("paycore"), env=LIBRARY_POSTGRES, otp_key=OTP_KEY, otp_codes=lambda: OTP
            )

        contenders: dict[str, Callable[[], float]] = {
            "raw 1": lambda: limits.postgres_commits(store.schema, 1, size.commits["postgres"]),
            "raw 8": lambda: limits.postgres_commits(
                store.schema, threads, size.commits["postgres"] // threads
            ),
            "paycore": lambda: card_loads_in_threads(
                lambda: paycore_on(store), threads, size.aggregates, ops
            ),
            "paycore, library recorder": lambda: card_loads_in_threads(
                paycore_locking, threads, size.aggregates, ops
            ),
            "library": lambda: card_loads_in_threads(
                lambda: LibraryAtItsBest(env=store.env("library")), threads, size.aggregates, ops
            ),
        }
        rates = interleaved(contenders, size.rounds)
    eight = f"card load, {threads} instances at once"
    return [
        compared("PostgreSQL INSERT+COMMIT, 1 connection", "postgres", "commits/s", rates["raw 1"]),
        compared(
            f"PostgreSQL INSERT+COMMIT, {threads} connections",
            "postgres",
            "commits/s",
            rates["raw 8"],
            threads=threads,
        ),
        compared(
            eight,
            "postgres",
            "ops/s",
            rates["paycore"],
            f"INSERT+COMMIT, {threads} conn.",
            rates["raw 8"],
            threads=threads,
        ),
        compared(
            eight, "postgres", "ops/s", rates["paycore"], LIBRARY, rates["library"], threads=threads
        ),
        compared(
            f"{eight}, paycore on the library's recorder",
            "postgres",
            "ops/s",
            rates["paycore, library recorder"],
            f"INSERT+COMMIT, {threads} conn.",
            rates["raw 8"],
            threads=threads,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--json", metavar="PATH", type=Path, help="write the results as JSON")
    parser.add_argument(
        "--store", action="append", choices=SIZES["full"].kinds, help="only this store (repeatable)"
    )
    parser.add_argument(
        "--part", action="append", choices=PARTS, help="only this part (repeatable)"
    )
    args = parser.parse_args(argv)
    size = SIZES["quick" if args.quick else "full"]
    kinds = args.store or list(size.kinds)
    parts = args.part or list(PARTS)
    if "postgres" in kinds and not postgres_reachable():
        kinds.remove("postgres")
        print("PostgreSQL is unreachable: its figures are missing", file=sys.stderr)
    started = time.monotonic()
    results: list[Result] = []
    for kind in kinds:
        print(f"measuring on {kind} ...", file=sys.stderr, flush=True)
        with open_store(kind) as store:
            if "commands" in parts:
                results += command_results(store, size)
            if "limits" in parts and kind == "postgres":
                results += postgres_limit_results(store, size)
            # The views of a memory store are a private SQLite database.
            if "projections" in parts and kind != "memory":
                results += projection_results(
                    store, size.log_events, size.big_log_events, size.rounds
                )
    report = {
        "machine": machine(),
        "minutes": round((time.monotonic() - started) / 60, 1),
        "results": [r.as_json() for r in results],
    }
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

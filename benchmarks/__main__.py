"""Runs every benchmark and prints the table; ``--json PATH`` also writes the figures."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.commands import as_of_results, command_results
from benchmarks.projections import projection_results
from benchmarks.report import Result, machine, table
from benchmarks.stores import open_store, postgres_reachable

SIZES = {
    # ops per command benchmark, events of the long-lived card, as-of samples
    "quick": {"ops": 300, "card_events": 20_000, "samples": 50, "log_events": 100_000},
    "full": {"ops": 3000, "card_events": 100_000, "samples": 200, "log_events": 1_000_000},
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (< 3 minutes)")
    parser.add_argument("--json", metavar="PATH", type=Path, help="write the results as JSON")
    args = parser.parse_args(argv)
    size = SIZES["quick" if args.quick else "full"]
    kinds = ["memory", "sqlite"] + (["postgres"] if postgres_reachable() else [])
    results: list[Result] = []
    for kind in kinds:
        print(f"measuring on {kind} ...", file=sys.stderr, flush=True)
        with open_store(kind) as store:
            results += command_results(store, size["ops"])
        with open_store(kind) as store:
            results += as_of_results(store, size["card_events"], size["samples"])
        if kind != "memory":  # the views of a memory store are a private SQLite database
            with open_store(kind) as store:
                results += projection_results(store, size["log_events"], size["samples"])
    report = {"machine": machine(), "results": [r.as_json() for r in results]}
    print(table(results))
    if "postgres" not in kinds:
        print("PostgreSQL was unreachable: its figures are missing", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

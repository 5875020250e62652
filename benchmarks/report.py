"""Results, the machine they were measured on, and the table printed at the end."""

from __future__ import annotations

import os
import platform
from dataclasses import asdict, dataclass
from importlib.metadata import version
from typing import Any

import psycopg

from benchmarks.stores import POSTGRES_DSN


@dataclass(frozen=True)
class Result:
    name: str
    store: str
    threads: int
    value: float
    unit: str
    baseline: float | None = None
    #: higher is better for throughputs (ops/s, events/s); for times, baseline / value
    ratio: float | None = None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def throughput(name: str, store: str, threads: int, value: float, baseline: float | None) -> Result:
    ratio = value / baseline if baseline else None
    return Result(
        name, store, threads, round(value, 1), "ops/s", _round(baseline), _round(ratio, 3)
    )


def _round(value: float | None, places: int = 1) -> float | None:
    return None if value is None else round(value, places)


def machine() -> dict[str, Any]:
    def postgres_version() -> str:
        try:
            with psycopg.connect(POSTGRES_DSN, connect_timeout=3) as conn:
                row = conn.execute("SHOW server_version").fetchone()
        except psycopg.Error:
            return "unreachable"
        return str(row[0]) if row else "unknown"

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if "model name" in line), cpu
            )
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "eventsourcing": version("eventsourcing"),
        "paycore": version("paycore"),
        "postgres": postgres_version(),
    }


def table(results: list[Result]) -> str:
    header = (
        f"{'benchmark':<48} {'store':<9} {'thr':>3} {'value':>12} {'unit':<7} "
        f"{'baseline':>10} {'ratio':>7}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        baseline = "" if r.baseline is None else f"{r.baseline:,.1f}"
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}"
        lines.append(
            f"{r.name:<48} {r.store:<9} {r.threads:>3} {r.value:>12,.1f} {r.unit:<7} "
            f"{baseline:>10} {ratio:>7}"
        )
    return "\n".join(lines)

"""Results, the rounds they summarise, the machine they ran on, and the printed table."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from typing import Any

import psycopg

from benchmarks.stores import POSTGRES_DSN


@dataclass(frozen=True)
class Result:
    """One figure: paycore's median over the rounds, and beside it (if any) a baseline
    measured in the same rounds, with the median, lowest and highest of the ratios of
    each round. For throughputs the ratio is paycore / baseline, for times and sizes
    baseline / paycore: above 1 paycore is ahead."""

    name: str
    store: str
    threads: int
    value: float
    unit: str
    baseline: str = ""
    baseline_value: float | None = None
    ratio: float | None = None
    ratio_min: float | None = None
    ratio_max: float | None = None
    rounds: int = 1
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def interleaved(
    contenders: Mapping[str, Callable[[], float]], rounds: int
) -> dict[str, list[float]]:
    """Each contender's figure in each round; every round runs them all, in an order
    that turns from round to round, so that a change in the machine's load falls on
    all of them alike."""
    figures: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for number in range(rounds):
        turn = number % len(names)
        for name in names[turn:] + names[:turn]:
            figures[name].append(contenders[name]())
    return figures


def compared(
    name: str,
    store: str,
    unit: str,
    paycore: Sequence[float],
    baseline: str = "",
    against: Sequence[float] = (),
    *,
    threads: int = 1,
    higher_is_better: bool = True,
    note: str = "",
) -> Result:
    """A result from the figures of each round (paired with the baseline's, if any)."""
    value = statistics.median(paycore)
    if not against:
        return Result(name, store, threads, _round(value), unit, rounds=len(paycore), note=note)
    ratio: Callable[[float, float], float] = (
        (lambda p, b: p / b) if higher_is_better else (lambda p, b: b / p)
    )
    ratios = [ratio(p, b) for p, b in zip(paycore, against, strict=True)]
    return Result(
        name,
        store,
        threads,
        _round(value),
        unit,
        baseline,
        _round(statistics.median(against)),
        round(statistics.median(ratios), 3),
        round(min(ratios), 3),
        round(max(ratios), 3),
        len(paycore),
        note,
    )


def _round(value: float) -> float:
    return round(value, 2 if abs(value) < 100 else 1)


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
        "load_average": os.getloadavg(),
        "eventsourcing": version("eventsourcing"),
        "paycore": version("paycore"),
        "postgres": postgres_version(),
    }


def table(results: Sequence[Result]) -> str:
    """The results as a Markdown table, the form docs/performance.md shows."""
    lines = [
        "| benchmark | store | thr | paycore | unit | baseline | baseline value "
        "| ratio (min-max) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        base = "" if r.baseline_value is None else f"{r.baseline_value:,}"
        spread = "" if r.ratio is None else f"{r.ratio:.2f} ({r.ratio_min:.2f}-{r.ratio_max:.2f})"
        lines.append(
            f"| {r.name} | {r.store} | {r.threads} | {r.value:,} | {r.unit} | {r.baseline} "
            f"| {base} | {spread} |"
        )
    return "\n".join(lines)

"""docs/embedding.md keeps every environment variable paycore reads in its one table, and
every field of the EnKash connection."""

from __future__ import annotations

import re
from pathlib import Path

from paycore.adapters.enkash.config import ENV_PREFIX, EnkashConfig

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "embedding.md").read_text()
TABLE = PAGE.split("## Configuration", 1)[1].split("\n## ", 1)[0]


def variables_read() -> set[str]:
    """Every ``PAYCORE_*`` name in the code (the error code ``PAYCORE_ERROR`` aside)."""
    names: set[str] = set()
    for folder in ("domain", "adapters", "projections", "benchmarks", "examples", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            names.update(re.findall(r"\"(PAYCORE_[A-Z_]+)\"", path.read_text()))
    return names - {"PAYCORE_ERROR"}


def test_every_environment_variable_is_in_the_table() -> None:
    listed = set(re.findall(r"^\| `(PAYCORE_[A-Z_<>]+)`", TABLE, re.MULTILINE))
    fields = {name for name in variables_read() if name.startswith(ENV_PREFIX)}
    read = variables_read() - fields | {f"{ENV_PREFIX}<FIELD>"}
    assert len(read) >= 8
    assert sorted(read - listed) == []


def test_every_enkash_field_is_named() -> None:
    row = next(line for line in TABLE.splitlines() if line.startswith(f"| `{ENV_PREFIX}"))
    assert sorted(f for f in EnkashConfig.model_fields if f"`{f.upper()}`" not in row) == []

"""The index of commands in ``paycore.domain.commands`` is the code's: one hop to any command."""

from __future__ import annotations

import importlib
import re

import paycore.domain.commands as commands
from paycore.domain.runner import CommandRunner
from paycore.domain.testing.strategies import public_commands


def indexed() -> dict[str, set[str]]:
    """Module name -> the commands its row of the index lists."""
    rows: dict[str, set[str]] = {}
    module = ""
    for line in (commands.__doc__ or "").splitlines():
        names = line
        if match := re.match(r"``(\w+)``\s+(.*)", line):
            module, names = match.groups()
        elif not line.startswith(" ") or not module:
            continue
        rows.setdefault(module, set()).update(re.findall(r"\w+", names))
    return rows


def defined(module: str) -> set[str]:
    """The public commands the module's mixin defines (queries are not commands)."""
    names = vars(importlib.import_module(f"paycore.domain.commands.{module}"))
    mixins = [c for c in names.values() if isinstance(c, type) and issubclass(c, CommandRunner)]
    return {n for c in mixins if c is not CommandRunner for n in vars(c)} & set(public_commands())


def test_the_index_lists_each_command_in_the_module_that_defines_it() -> None:
    rows = indexed()
    assert set(rows) == {"cards", "holders", "invoices", "payments", "purchase_orders"}
    for module, listed in rows.items():
        assert listed == defined(module), module


def test_every_command_but_the_log_consumers_own_is_in_the_index() -> None:
    listed = set().union(*indexed().values())
    assert set(public_commands()) - listed == {"record_position"}

"""The EnKash pages as fixtures: one JSON file per documented endpoint or webhook.

Each file holds what one page (or several pages of one message) shows: the address and
the date read, the documented example of the request and of the answer (verbatim, or
``null`` where the page shows none), the members the page marks required or optional,
its enums and patterns, and an ``example``: the documented example with its
placeholders (``"string"``, ``0``) filled with values that satisfy the page, and no
member the page does not show. ``paycore`` lists where paycore departs from the page on
purpose (``requires``, ``enums``, ``patterns``), what it ``receives`` (the members its
inbox acts on) and what it ``assumed`` (members it sends or reads that the page does not
show); ``notes`` say why, and where pages disagree.

A path names a member: ``payment.objectId``, ``payment.invoicesPayInfos[].objectId`` for
the members of a list's items (the first item, where one is taken).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).parent
READ_ON = "2026-12-02"
PAGES = "https://docs.enkash.com/"


@dataclass(frozen=True)
class Fixture:
    name: str
    data: dict[str, Any]

    def __repr__(self) -> str:
        return self.name

    @property
    def call(self) -> str | None:
        """The client method that sends this message, if paycore sends it."""
        value = self.data["call"]
        return None if value is None else str(value)

    @property
    def webhook(self) -> str | None:
        """The inbox path that takes this message, if paycore receives it."""
        value = self.data["webhook"]
        return None if value is None else str(value)

    @property
    def request(self) -> dict[str, Any]:
        section: dict[str, Any] = self.data["request"]
        return section

    @property
    def answer(self) -> dict[str, Any]:
        section: dict[str, Any] = self.data["answer"]
        return section

    @property
    def paycore(self) -> dict[str, Any]:
        section: dict[str, Any] = self.data["paycore"]
        return section

    def example(self) -> dict[str, Any]:
        """A fresh copy of the filled request (or webhook body)."""
        body: dict[str, Any] = copy.deepcopy(self.request["example"])
        return body

    def answered(self) -> dict[str, Any] | None:
        """A fresh copy of the filled answer, or None where the page shows none."""
        answer = self.answer["example"]
        return None if answer is None else dict(copy.deepcopy(answer))

    def list(self, key: str) -> list[str]:
        """One of the ``paycore`` lists (``requires``, ``receives``, ``assumed``)."""
        return list(self.paycore.get(key, []))


@cache
def all_fixtures() -> tuple[Fixture, ...]:
    return tuple(
        Fixture(path.stem, json.loads(path.read_text())) for path in sorted(FOLDER.glob("*.json"))
    )


def fixture(name: str) -> Fixture:
    return next(f for f in all_fixtures() if f.name == name)


def calls() -> list[Fixture]:
    """The messages paycore sends through an endpoint of the client (not the token)."""
    return [f for f in all_fixtures() if f.call not in (None, "token")]


def received() -> list[Fixture]:
    """The messages paycore's inbox takes."""
    return [f for f in all_fixtures() if f.webhook is not None]


# -- paths -------------------------------------------------------------------------------


def paths(document: Any, prefix: str = "") -> set[str]:
    """Every member's path in a document (list items merged under ``[]``)."""
    found: set[str] = set()
    if isinstance(document, dict):
        for key, value in document.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            found |= {path} | paths(value, path)
    elif isinstance(document, list):
        for item in document:
            found |= paths(item, prefix + "[]")
    return found


def outside_lists(document: Any) -> set[str]:
    """The paths not inside a list's items: present whatever a list holds."""
    return {path for path in paths(document) if "[]" not in path}


def _steps(path: str) -> list[str | int]:
    steps: list[str | int] = []
    for part in path.split("."):
        if part.endswith("[]"):
            steps += [part[:-2], 0]
        else:
            steps.append(part)
    return steps


def get(document: Any, path: str) -> Any:
    for step in _steps(path):
        document = document[step]
    return document


def has(document: Any, path: str) -> bool:
    try:
        get(document, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


def with_value(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    *parents, last = _steps(path)
    get_parent: Any = changed
    for step in parents:
        get_parent = get_parent[step]
    get_parent[last] = value
    return changed


def without(document: dict[str, Any], path: str) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    *parents, last = _steps(path)
    parent: Any = changed
    for step in parents:
        parent = parent[step]
    del parent[last]
    return changed


def field(path: str) -> str:
    """The path as paycore's errors name it (``payment.invoicesPayInfos.0.objectId``)."""
    return ".".join(str(step) for step in _steps(path))


def pick(document: dict[str, Any], kept: list[str]) -> dict[str, Any]:
    """Only the members at ``kept`` (and the objects that hold them)."""
    picked: dict[str, Any] = {}
    for path in kept:
        source: Any = document
        target = picked
        *parents, last = path.split(".")
        for step in parents:
            source = source[step]
            target = target.setdefault(step, {})
        target[last] = copy.deepcopy(source[last])
    return picked

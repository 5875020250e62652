"""What the domain rule tests share: refusals that write nothing, and a clock to advance."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import PaycoreError


def written(core: PaymentsCore) -> int:
    """How many events the store holds (the position of the last notification)."""
    return core.recorder.max_notification_id() or 0


@contextmanager
def refused(
    core: PaymentsCore, error: type[PaycoreError], code: str
) -> Iterator[pytest.ExceptionInfo[PaycoreError]]:
    """The command run inside is refused with ``error`` and ``code``, and writes nothing."""
    before = written(core)
    with pytest.raises(error) as refusal:
        yield refusal
    assert refusal.value.code == code
    assert written(core) == before, "a refused command wrote events"


class ManualClock:
    """The core's clock, moved on by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

"""Fixtures: a PaymentsCore with a still clock and a known OTP, and a projector on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from paycore.domain.core import PaymentsCore
from paycore.projections import Projector
from tests.projections.expected import OTP, Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def core(make_core: Callable[..., PaymentsCore], clock: Clock) -> PaymentsCore:
    return make_core(clock=clock, otp_codes=lambda: OTP)


@pytest.fixture
def projector(core: PaymentsCore) -> Iterator[Projector]:
    with Projector(core) as projector:
        yield projector

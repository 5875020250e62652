"""A Projector with no view is refused, not left to loop forever in follow/wait."""

from __future__ import annotations

import pytest

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import InvalidArgument
from paycore.projections import Projector, open_views


def test_a_projector_without_views_is_refused(core: PaymentsCore) -> None:
    with pytest.raises(InvalidArgument, match="at least one view") as refusal:
        Projector(core, open_views("memory://"), views=[])
    assert refusal.value.details == {"argument": "views", "expected": "at least one view"}


@pytest.mark.parametrize("size", [0, -1])
def test_a_batch_size_below_one_is_an_invalid_argument(core: PaymentsCore, size: int) -> None:
    with pytest.raises(InvalidArgument) as refusal:
        Projector(core, open_views("memory://"), batch_size=size)
    assert refusal.value.details == {"argument": "batch_size", "expected": "a whole number from 1"}


def test_a_batch_size_of_one_is_taken(core: PaymentsCore) -> None:
    with Projector(core, open_views("memory://"), batch_size=1) as projector:
        assert projector.update() == 0

"""A Projector with no view is refused, not left to loop forever in follow/wait."""

from __future__ import annotations

import pytest

from paycore.domain.core import PaymentsCore
from paycore.projections import Projector, open_views


def test_a_projector_without_views_is_refused(core: PaymentsCore) -> None:
    with pytest.raises(ValueError, match="at least one view"):
        Projector(core, open_views("memory://"), views=[])

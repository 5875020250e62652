"""Something that happens between two reads of one command, at a chosen point.

``interleave(core, aggregate_id, before=..., after=...)`` runs ``before`` just before the
core's command next reads the aggregate and ``after`` just after, once each: a concurrent
change by another instance, or a store going down mid-command.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from paycore.domain.core import PaymentsCore
from paycore.domain.runner import LatestSaved


class _Interleaved(LatestSaved):
    def __init__(
        self,
        core: PaymentsCore,
        aggregate_id: UUID,
        before: Callable[[], object] | None,
        after: Callable[[], object] | None,
    ) -> None:
        super().__init__(core, core.cache_size)
        self.aggregate_id = aggregate_id
        self.before, self.after = before, after

    def get(self, aggregate_id: UUID, *, fresh: bool) -> tuple[Any, bool]:
        if aggregate_id != self.aggregate_id:
            return super().get(aggregate_id, fresh=fresh)
        before, self.before = self.before, None
        if before is not None:
            before()
        aggregate = super().get(aggregate_id, fresh=fresh)
        after, self.after = self.after, None
        if after is not None:
            after()
        return aggregate


def interleave(
    core: PaymentsCore,
    aggregate_id: UUID,
    *,
    before: Callable[[], object] | None = None,
    after: Callable[[], object] | None = None,
) -> None:
    core.latest = _Interleaved(core, aggregate_id, before, after)

"""The baselines: paycore's own aggregates in a plain eventsourcing application.

The same aggregates, events, transcodings and snapshot interval as ``PaymentsCore``; a
command is get, call the aggregate, save, as the library's examples write it. Two
configurations of the library's aggregate cache:

- **the library at its best** (:class:`LibraryAtItsBest`): the cache with fast-forward
  (the default), so an instance sees what other instances wrote, and deep copies out of
  it (the default), so a command that fails leaves nothing half-changed in the cache;
- **the single-writer ceiling** (:class:`SingleWriterCeiling`): the cache without
  fast-forward or copies. The cached object is changed in place and taken back after
  each save, so a command does no more than the aggregate's own work. Correct only
  when one instance writes and no command fails halfway: the least an event-sourced
  command can cost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder

from paycore.domain.aggregate import Audit, Source
from paycore.domain.core import PaymentsCore

#: The size of every contender's cache (paycore's too, in benchmarks/commands.py).
CACHE_SIZE = "10000"

_paycore_transcoder = PaymentsCore("memory://").mapper.transcoder


class Baseline(Application[UUID]):
    """paycore's aggregates without paycore: no argument checks, idempotency, retries,
    tracking or cache of its own; the audit metadata every event needs is one fixed
    value per command."""

    name = "Baseline"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = PaymentsCore.snapshotting_intervals

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """paycore's transcodings, so that both store the same bytes."""
        assert isinstance(_paycore_transcoder, JSONTranscoder)
        for transcoding in _paycore_transcoder.names.values():
            transcoder.register(transcoding)

    @staticmethod
    def audit() -> Audit:
        return Audit("bench", Source.SYSTEM, "bench", "bench", datetime.now(UTC))


class LibraryAtItsBest(Baseline):
    name = "LibraryAtItsBest"
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": CACHE_SIZE}


class SingleWriterCeiling(Baseline):
    name = "SingleWriterCeiling"
    env: ClassVar[dict[str, str]] = {
        "AGGREGATE_CACHE_MAXSIZE": CACHE_SIZE,
        "AGGREGATE_CACHE_FASTFORWARD": "n",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
    }

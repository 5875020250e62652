"""``python -m paycore.adapters.sync --db URL [--profile FILE]``: one relay worker.

The EnKash settings come from ``PAYCORE_ENKASH_*`` (see ``docs/remote-api.md``), the
partner profile from ``--profile`` or ``PAYCORE_SYNC_PROFILE``. Runs until SIGTERM or
SIGINT; any number of workers may run against one PostgreSQL database (one sends,
the others stand by).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from paycore.adapters.enkash import EnkashClient, EnkashConfig
from paycore.adapters.enkash.retry import Backoff
from paycore.adapters.sync.profile import PartnerProfile
from paycore.adapters.sync.relay import RelaySettings, SyncRelay
from paycore.domain.core import PaymentsCore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paycore.adapters.sync")
    parser.add_argument("--db", help="database URL (default: $PAYCORE_DATABASE_URL)")
    parser.add_argument("--profile", help="partner profile JSON (default: $PAYCORE_SYNC_PROFILE)")
    parser.add_argument("--max-attempts", type=int, default=RelaySettings.max_attempts)
    parser.add_argument("--poll-interval", type=float, default=RelaySettings.poll_interval)
    parser.add_argument("--backoff-base", type=float, default=Backoff.base)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = RelaySettings(
        max_attempts=args.max_attempts,
        poll_interval=args.poll_interval,
        backoff=Backoff(base=args.backoff_base),
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    core = PaymentsCore(args.db)
    with EnkashClient(EnkashConfig.from_env()) as client:
        relay = SyncRelay(core, client, PartnerProfile.from_file(args.profile), settings)
        try:
            relay.run(stop)
        finally:
            relay.close()
            core.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

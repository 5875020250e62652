"""What the separate OS processes of the domain tests run: each builds its own
PaymentsCore from a URL, runs commands and hands back their outcomes.

Processes are started with the spawn method, so each imports only this module and what
it imports: never ``tests.conftest``, whose settings (the test-wide OTP key) a process
must be able to do without. It inherits the environment of the test that starts it.
"""

from __future__ import annotations

import functools
import itertools
import multiprocessing
import queue
import resource
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import PaycoreError

PROCESSES = 5
SPAWN = multiprocessing.get_context("spawn")

#: A command as every process sends it: the method's name and its keyword arguments.
Command = tuple[str, dict[str, Any]]
#: What one caller got: ("result", value), ("refused", code, message, details) or
#: ("raised", type, text) for anything that is not a PaycoreError.
Outcome = tuple[Any, ...]


def outcome_of(call: Callable[[], object]) -> Outcome:
    try:
        return ("result", call())
    except PaycoreError as refusal:
        return ("refused", refusal.code, refusal.message, refusal.details)
    except Exception as error:  # any other exception is what the test counts
        return ("raised", type(error).__name__, str(error))


def send_together(url: str, barrier: Any, commands: list[Command], results: Any) -> None:
    """One process: its own core; each command released by the barrier with the others."""
    core = PaymentsCore(url)
    try:
        for number, (name, kwargs) in enumerate(commands):
            barrier.wait(timeout=120)
            results.put((number, outcome_of(lambda: getattr(core, name)(**kwargs))))  # noqa: B023
    finally:
        core.close()


def race(url: str, commands: list[Command]) -> list[list[Outcome]]:
    """Every command sent by PROCESSES processes at once; each command's outcomes."""
    barrier, results = SPAWN.Barrier(PROCESSES), SPAWN.Queue()
    workers = [
        SPAWN.Process(target=send_together, args=(url, barrier, commands, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes: list[list[Outcome]] = [[] for _ in commands]
    try:
        for _ in range(PROCESSES * len(commands)):
            number, outcome = results.get(timeout=300)
            outcomes[number].append(outcome)
    except queue.Empty:
        pytest.fail(f"the processes stopped answering: {outcomes}")
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    return outcomes


def issue_payment_otp(url: str, invoice_id: UUID, results: Any) -> None:
    core = PaymentsCore(url)
    try:
        payment_id = core.initiate_payment([invoice_id], amount="10.00")
        results.put((payment_id, outcome_of(lambda: core.request_payment_otp(payment_id).otp)))
    finally:
        core.close()


def authorise_payment(url: str, payment_id: UUID, otp: str, results: Any) -> None:
    core = PaymentsCore(url)
    try:
        results.put(outcome_of(lambda: core.authorise_payment(payment_id, otp)))
    finally:
        core.close()


def in_process(target: Callable[..., None], *args: object) -> Any:
    results = SPAWN.Queue()
    process = SPAWN.Process(target=target, args=(*args, results))
    process.start()
    answer = results.get(timeout=120)
    process.join(timeout=60)
    assert process.exitcode == 0
    return answer


def load_while_files_are_capped(
    url: str, account_id: UUID, card_id: str, margins: list[int], results: Any
) -> None:
    """For each margin: cap the size of the process's files (RLIMIT_FSIZE) at the store's
    size plus the margin, so that the OS refuses the writes past it as a full disk would,
    and load until one is refused; then lift the cap and send that load again, unchanged.
    Hands back (outcome while capped, outcome after) per margin; even loads carry a key."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a refused write fails; it kills nothing
    store = Path(url.removeprefix("sqlite:///"))
    core = PaymentsCore(url)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    numbers = itertools.count(1)
    try:
        for margin in margins:
            size = max(f.stat().st_size for f in store.parent.glob(f"{store.name}*"))
            resource.setrlimit(resource.RLIMIT_FSIZE, (size + margin, hard))
            load = functools.partial(numbered_load, core, account_id, card_id)
            number = next(numbers)
            while (capped := outcome_of(lambda: load(number)))[0] == "result":  # noqa: B023
                number = next(numbers)
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            results.put((capped, outcome_of(lambda: load(number))))  # noqa: B023
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        core.close()
    results.put(None)


def numbered_load(core: PaymentsCore, account_id: UUID, card_id: str, number: int) -> str:
    """Load number ``number``: ₹1.00 under reference REF-n, with a key when n is even."""
    key = f"load-{number}" if number % 2 == 0 else None
    return core.load_card(account_id, card_id, "1.00", f"REF-{number}", idempotency_key=key)

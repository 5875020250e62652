"""Trying a call again: the one backoff schedule, and an opt-in helper for hosts.

:class:`~paycore.adapters.enkash.EnkashClient` makes one attempt per call and says what
it did on the error it raises (``effect``, ``retryable``; see
:mod:`paycore.adapters.enkash.errors`). Whoever calls it decides whether to try again:

- the sync relay (:mod:`paycore.adapters.sync.relay`) for the calls it sends, with its
  ``RelaySettings.backoff``;
- a host that calls the client directly, with :func:`with_retries`.

Both wait by the same :class:`Backoff`, so one refused connection costs at most the
attempts of the one owner.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from paycore.adapters.enkash.errors import Effect, RemoteDuplicateError, RemoteError
from paycore.domain.errors import InvalidArgument

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter.

    The wait before attempt *n* (the first retry is attempt 2) is drawn from
    ``[ceiling / 2, ceiling]``, with ``ceiling = min(cap, base · 2^(n-2))``: half of it
    fixed, half random, so that workers that failed together do not come back together.
    """

    base: float = 0.5
    cap: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        ceiling = min(self.cap, self.base * 2.0 ** (attempt - 2))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


def with_retries(
    call: Callable[[], T],
    *,
    attempts: int,
    backoff: Backoff = Backoff(),
    enquire: Callable[[], T | None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """``call()``, tried up to ``attempts`` times (the first included) while it fails
    with a ``retryable`` error, waiting ``backoff`` before each new attempt.

    >>> with_retries(lambda: client.get_card_account(query), attempts=3)  # doctest: +SKIP

    A failure that is not retryable is raised at once; after the last attempt, the last
    failure is raised. ``enquire`` asks the platform whether an attempt whose effect is
    unknown was applied (for a load: ``lambda: client.find_transaction(request.enquiry())``):

    - before each resend after an unknown effect it is asked first, and what it finds
      is returned instead of sending again; so with it even a call whose endpoint is not
      safe to resend is tried again;
    - a duplicate answer to such a resend means the earlier attempt was applied: what it
      finds is returned. Without ``enquire``, that :class:`RemoteDuplicateError` is raised.

    If the enquiry itself fails, the unknown outcome is raised with the reference, and
    nothing is sent again.

    ``sleep`` and ``rng`` make the waits controllable in tests.
    """
    if attempts < 1:
        msg = f"attempts counts the first one too: at least 1, not {attempts}"
        raise InvalidArgument(msg, attempts=attempts)
    rng = rng or random.Random()  # noqa: S311  (jitter, not secrecy)
    unknown: RemoteError | None = None  # the last failure whose effect is unknown
    attempt = 1
    while True:
        try:
            return call()
        except RemoteDuplicateError:
            found = _ask(enquire, unknown) if unknown is not None and enquire else None
            if found is None:
                raise
            return found
        except RemoteError as failure:
            if failure.effect is Effect.UNKNOWN:
                unknown = failure
            # an enquiry before the resend makes even an unsafe resend safe
            may_ask = failure is unknown and enquire is not None
            if attempt == attempts or not (failure.retryable or may_ask):
                raise
        attempt += 1
        sleep(backoff.delay(attempt, rng))
        if unknown is not None and enquire is not None:
            found = _ask(enquire, unknown)
            if found is not None:
                return found


def _ask(enquire: Callable[[], T | None], unknown: RemoteError) -> T | None:
    try:
        return enquire()
    except RemoteError as failure:
        raise type(unknown)(
            f"{unknown.message}; the enquiry by reference failed too ({failure.code}), "
            "outcome unknown",
            effect=Effect.UNKNOWN,
            retryable=False,
            **unknown.details,
        ) from None

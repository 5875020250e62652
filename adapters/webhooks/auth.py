"""Who may post webhooks: the platform's static shared-secret header, or a signature.

The platform documents static headers chosen by the partner (BBPS, ref §9.1); paycore's
own scheme signs ``f"{timestamp}.{body}"`` with HMAC-SHA256 (the sandbox sends it). Both
may be configured; a delivery passes if either checks out. Several signing secrets may
be active at once, so a secret is rotated without refusing deliveries in between.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from paycore.domain.errors import ConfigurationError

TIMESTAMP_HEADER = "X-Paycore-Timestamp"
SIGNATURE_HEADER = "X-Paycore-Signature"
#: a signed delivery older or newer than this (seconds) is refused as a replay
TOLERANCE = 300.0
#: seconds since the epoch in ASCII digits; a longer or other number is never current
_TIMESTAMP = re.compile("[0-9]{1,12}")


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 over ``timestamp + "." + body``."""
    return hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebhookAuth:
    """``signing_secrets``: the HMAC secrets now active. ``static_header`` and
    ``static_values``: a header the platform sends as configured, and its accepted
    values (several during a rotation)."""

    signing_secrets: tuple[bytes, ...] = field(default=(), repr=False)
    static_header: str | None = None
    static_values: tuple[str, ...] = field(default=(), repr=False)
    tolerance: float = TOLERANCE
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        if not self.signing_secrets and not (self.static_header and self.static_values):
            msg = "configure signing secrets or a static header with its values"
            raise ConfigurationError(msg)

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether the delivery comes from the platform (``headers`` with lower-case names)."""
        return self._signed(headers, body) or self._static(headers)

    def _signed(self, headers: Mapping[str, str], body: bytes) -> bool:
        timestamp = headers.get(TIMESTAMP_HEADER.lower(), "")
        signature = headers.get(SIGNATURE_HEADER.lower(), "")
        if not (self.signing_secrets and _TIMESTAMP.fullmatch(timestamp) and signature):
            return False
        if abs(self.clock() - int(timestamp)) > self.tolerance:
            return False
        return any(
            _same(sign(secret, timestamp, body), signature) for secret in self.signing_secrets
        )

    def _static(self, headers: Mapping[str, str]) -> bool:
        if not self.static_header:
            return False
        given = headers.get(self.static_header.lower(), "")
        return any(_same(given, value) for value in self.static_values)


def _same(expected: str, given: str) -> bool:
    """A constant-time comparison of any two texts (``compare_digest`` refuses non-ASCII
    ``str``; a lone surrogate still encodes with ``surrogatepass``)."""
    return hmac.compare_digest(
        expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass")
    )

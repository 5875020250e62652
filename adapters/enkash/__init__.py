"""The EnKash remote API: configuration, payload encryption, models and the client.

Start at :class:`EnkashClient` and :class:`EnkashConfig`; the request models live in
:mod:`paycore.adapters.enkash.models`, the errors in
:mod:`paycore.adapters.enkash.errors`. The client makes one attempt per call;
:func:`with_retries` (:mod:`paycore.adapters.enkash.retry`) tries again for a host that
wants it. ``docs/remote-api.md`` says what each call maps to on the platform and which
assumptions were taken.
"""

from paycore.adapters.enkash.client import EnkashClient
from paycore.adapters.enkash.config import EnkashConfig
from paycore.adapters.enkash.errors import (
    AuthError,
    Effect,
    PayloadCryptoError,
    RemoteBusinessError,
    RemoteDuplicateError,
    RemoteError,
    RemoteProtocolError,
    RemoteRejectedError,
    RemoteTimeoutError,
    RemoteUnavailableError,
    RequestValidationError,
)
from paycore.adapters.enkash.retry import Backoff, with_retries

__all__ = [
    "AuthError",
    "Backoff",
    "Effect",
    "EnkashClient",
    "EnkashConfig",
    "PayloadCryptoError",
    "RemoteBusinessError",
    "RemoteDuplicateError",
    "RemoteError",
    "RemoteProtocolError",
    "RemoteRejectedError",
    "RemoteTimeoutError",
    "RemoteUnavailableError",
    "RequestValidationError",
    "with_retries",
]

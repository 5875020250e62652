"""The EnKash remote API: configuration, payload encryption, models and the client.

Start at :class:`EnkashClient` and :class:`EnkashConfig`; the request models live in
:mod:`paycore.adapters.enkash.models`, the errors in
:mod:`paycore.adapters.enkash.errors`. ``docs/remote-api.md`` says what each call
maps to on the platform and which assumptions were taken.
"""

from paycore.adapters.enkash.client import EnkashClient
from paycore.adapters.enkash.config import EnkashConfig
from paycore.adapters.enkash.errors import (
    AuthError,
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

__all__ = [
    "AuthError",
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
]

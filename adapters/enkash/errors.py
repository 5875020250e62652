"""Errors of the EnKash adapter, all under :class:`paycore.domain.errors.PaycoreError`.

A remote failure keeps what the platform said (``remote_code``, ``remote_message``) and
the HTTP status, so a host service can switch on ``code`` and a person can read the
rest. Secrets never go into a message or a detail: the client builds every message
itself and never copies a request body into one.
"""

from __future__ import annotations

from typing import Any, ClassVar

from paycore.domain.errors import PaycoreError


class RequestValidationError(PaycoreError):
    """A request broke a rule the remote documents; nothing was sent.

    ``field`` names the offending field (dotted for nested ones); the value itself is
    never repeated, as it may be a PIN or an OTP.
    """

    #: under the REMOTE_ prefix that marks the codes of the remote adapter
    code: ClassVar[str] = "REMOTE_INVALID_REQUEST"

    def __init__(self, message: str, *, field: str, **details: Any) -> None:
        super().__init__(message, field=field, **details)
        self.field = field


class RemoteError(PaycoreError):
    """The remote platform (or the way to it) failed a call."""

    code: ClassVar[str] = "REMOTE_ERROR"

    def __init__(
        self,
        message: str,
        *,
        remote_code: int | None = None,
        remote_message: str | None = None,
        http_status: int | None = None,
        **details: Any,
    ) -> None:
        super().__init__(
            message,
            remote_code=remote_code,
            remote_message=remote_message,
            http_status=http_status,
            **details,
        )
        self.remote_code = remote_code
        self.remote_message = remote_message
        self.http_status = http_status


class AuthError(RemoteError):
    """The credentials or the token were refused.

    Not retried: three failed token requests lock the account on the platform.
    """

    code: ClassVar[str] = "AUTH_FAILED"


class RemoteRejectedError(RemoteError):
    """HTTP 4xx: the platform refused the request as malformed or not allowed.

    Fix the request before sending it again.
    """

    code: ClassVar[str] = "REMOTE_REJECTED"


class RemoteBusinessError(RemoteError):
    """HTTP 200 with a non-zero code: the platform understood and declined.

    Example: code 1, "Insufficient balance in card account".
    """

    code: ClassVar[str] = "REMOTE_BUSINESS_FAILURE"


class RemoteDuplicateError(RemoteError):
    """HTTP 409 or code 38: the client reference was used before.

    When the reference is one of ours, the earlier request was applied.
    """

    code: ClassVar[str] = "REMOTE_DUPLICATE"


class RemoteUnavailableError(RemoteError):
    """HTTP 5xx or a refused connection, after the retries the call allowed."""

    code: ClassVar[str] = "REMOTE_UNAVAILABLE"


class RemoteTimeoutError(RemoteError):
    """No answer in time: the outcome is unknown.

    ``reference`` is the client reference to reconcile by, when the call had one.
    """

    code: ClassVar[str] = "REMOTE_TIMEOUT"


class RemoteProtocolError(RemoteError):
    """The answer could not be read: not JSON, not decryptable, or an unknown shape."""

    code: ClassVar[str] = "REMOTE_PROTOCOL"


class PayloadCryptoError(RemoteProtocolError):
    """A payload could not be decrypted with the configured secret."""

    code: ClassVar[str] = "REMOTE_PAYLOAD_CRYPTO"

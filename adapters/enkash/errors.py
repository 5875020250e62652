"""Errors of the EnKash adapter, all under :class:`paycore.domain.errors.PaycoreError`.

A remote failure keeps what the platform said (``remote_code``, ``remote_message``) and
the HTTP status, so a host service can switch on ``code`` and a person can read the
rest. Secrets never go into a message or a detail: the client builds every message
itself and never copies a request body into one.

Every error also says what its one attempt did, for whoever decides to try again (the
sync relay, or :func:`~paycore.adapters.enkash.retry.with_retries`):

- ``effect``: ``NOT_APPLIED`` when the platform is known not to have applied it (the
  request never left: its model refused it, the connection was refused, the connect or
  pool timed out, there was no token; or the platform refused it: a 4xx, a business
  refusal, a duplicate, a refused token); ``UNKNOWN`` when it may have (a read timeout,
  a dropped connection, a 5xx, an answer that cannot be read);
- ``retryable``: the same request, sent again, may succeed and cannot apply its effect
  twice. A request that never left is retryable; one whose effect is unknown only if
  its endpoint is safe to repeat (:class:`~paycore.adapters.enkash.endpoints.Repeat`);
  a refusal never.
"""

from __future__ import annotations

import enum
import json
from typing import Any, ClassVar

from paycore.domain.errors import PaycoreError


class Effect(enum.Enum):
    """What a failed attempt did at the platform, as far as the client can tell."""

    #: known not to have happened: never sent, or refused before it was applied
    NOT_APPLIED = "not_applied"
    #: sent, and the answer said nothing: the platform may have applied it
    UNKNOWN = "unknown"


class RequestValidationError(PaycoreError):
    """A request broke a rule the remote documents; nothing was sent.

    ``field`` names the offending field (dotted for nested ones); the value itself is
    never repeated, as it may be a PIN or an OTP.
    """

    #: under the REMOTE_ prefix that marks the codes of the remote adapter
    code: ClassVar[str] = "REMOTE_INVALID_REQUEST"
    #: nothing was sent, and the same request would be refused again
    effect: ClassVar[Effect] = Effect.NOT_APPLIED
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, field: str, **details: Any) -> None:
        super().__init__(message, field=field, **details)
        self.field = field


class RemoteError(PaycoreError):
    """The remote platform (or the way to it) failed a call.

    ``effect`` and ``retryable`` default to the kind's usual meaning; the client passes
    them where one kind covers several cases (a 5xx, but also a token endpoint that is
    down before the call was sent).
    """

    code: ClassVar[str] = "REMOTE_ERROR"
    #: what the attempt did at the platform (see :class:`Effect`)
    effect: Effect = Effect.UNKNOWN
    #: sending the same request again may succeed and cannot apply its effect twice
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        remote_code: int | None = None,
        remote_message: str | None = None,
        http_status: int | None = None,
        effect: Effect | None = None,
        retryable: bool | None = None,
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
        if effect is not None:
            self.effect = effect
        if retryable is not None:
            self.retryable = retryable


class AuthError(RemoteError):
    """The credentials or the token were refused.

    Not retryable: three failed token requests lock the account on the platform.
    """

    code: ClassVar[str] = "AUTH_FAILED"
    effect = Effect.NOT_APPLIED


class RemoteRejectedError(RemoteError):
    """HTTP 4xx: the platform refused the request as malformed or not allowed.

    Fix the request before sending it again.
    """

    code: ClassVar[str] = "REMOTE_REJECTED"
    effect = Effect.NOT_APPLIED


class RemoteBusinessError(RemoteError):
    """HTTP 200 with a non-zero code: the platform understood and declined.

    Example: code 1, "Insufficient balance in card account".
    """

    code: ClassVar[str] = "REMOTE_BUSINESS_FAILURE"
    effect = Effect.NOT_APPLIED


class RemoteDuplicateError(RemoteError):
    """HTTP 409 or code 38: the client reference was used before.

    This request was not applied. When the reference is one of ours (a resend after an
    unknown effect), the earlier request was.
    """

    code: ClassVar[str] = "REMOTE_DUPLICATE"
    effect = Effect.NOT_APPLIED


class RemoteUnavailableError(RemoteError):
    """HTTP 5xx (effect unknown) or a refused connection (not applied)."""

    code: ClassVar[str] = "REMOTE_UNAVAILABLE"


class RemoteTimeoutError(RemoteError):
    """No answer in time: the outcome is unknown (unless the call never left).

    ``reference`` is the client reference to reconcile by, when the call had one.
    """

    code: ClassVar[str] = "REMOTE_TIMEOUT"


class RemoteProtocolError(RemoteError):
    """The answer could not be read: not JSON, not decryptable, or an unknown shape.

    It came after the request was sent, so the effect is unknown; ``details["answer"]``
    keeps what came back, as :func:`redacted` shows it, for whoever reconciles.
    """

    code: ClassVar[str] = "REMOTE_PROTOCOL"


class PayloadCryptoError(RemoteProtocolError):
    """A payload could not be decrypted with the configured secret."""

    code: ClassVar[str] = "REMOTE_PAYLOAD_CRYPTO"


#: answer members whose values are shown in an error: ids, references, codes, statuses
#: and messages; every other string (a token, a holder's name, e-mail or mobile, a
#: document number) is shown only by its length
SHOWN_MEMBERS = frozenset(
    {
        "response_code", "response_message", "code", "message", "payload", "result",
        "reqMsgId", "errorCd", "errorDtl", "errorField", "status", "blockCode",
        "companyId", "cardAccountId", "enKashCardId", "enkashCardId", "userId",
        "enKashTransactionId", "enkashCardTxnId", "pgReferenceNumber",
        "uniqueReferenceNumber", "otpRequestId", "objectId", "urn", "utr",
        "cardTransactionType", "txnDate", "maskedNumber", "recordsCount",
    }
)  # fmt: skip
#: the longest rendering of an answer kept in an error
ANSWER_LIMIT = 240


def redacted(answer: Any) -> str:
    """An answer as an error may show it: its structure, numbers and the values of
    :data:`SHOWN_MEMBERS`; other strings become ``<n chars>``. Cut at
    :data:`ANSWER_LIMIT` characters."""

    def shown(value: Any, member: str | None) -> Any:
        if isinstance(value, dict):
            return {str(key): shown(item, str(key)) for key, item in value.items()}
        if isinstance(value, list):
            return [shown(item, member) for item in value]
        if isinstance(value, str) and member not in SHOWN_MEMBERS:
            return f"<{len(value)} chars>"
        return value

    text = json.dumps(shown(answer, "payload"), separators=(",", ":"), default=str)
    return text if len(text) <= ANSWER_LIMIT else text[: ANSWER_LIMIT - 3] + "..."

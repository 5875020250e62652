"""What every EnKash wire model shares: the base classes, the value types, the answers.

Field names are the platform's wire names, letter for letter: the casing differs from
one endpoint to the next (``enKashCardId`` here, ``enkashCardId`` there), and a model
that spells them exactly is the simplest proof that the JSON matches.

A request model refuses a value the remote documents as invalid with
:class:`RequestValidationError`, naming the field and never repeating the value.
Secrets (PIN, OTP, MFA code, card token) are ``SecretStr``: hidden in every repr and
revealed only when the body is serialised for the wire.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    ValidationError,
)

from paycore.adapters.enkash.errors import RequestValidationError

# -- building blocks -----------------------------------------------------------------


def _reveal(secret: SecretStr) -> str:
    return secret.get_secret_value()


def _secret_matching(pattern: str, description: str) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(secret: SecretStr) -> SecretStr:
        if not compiled.fullmatch(secret.get_secret_value()):
            raise ValueError(f"must be {description}")
        return secret

    return AfterValidator(check)


_to_wire_secret = PlainSerializer(_reveal, return_type=str)

#: a secret string that the wire sees and no repr does
Secret = Annotated[SecretStr, _to_wire_secret]
#: a 6-digit one-time password (``^[0-9]{6}$``)
Otp = Annotated[SecretStr, _secret_matching(r"[0-9]{6}", "6 digits"), _to_wire_secret]
#: the card PIN: only a 4-digit example is documented
Pin = Annotated[SecretStr, _secret_matching(r"[0-9]{4}", "4 digits"), _to_wire_secret]

#: a Decimal sent as a JSON number
as_json_number = PlainSerializer(float, return_type=float, when_used="json")
#: rupees with at most two decimals, sent as a JSON number
Amount = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=2), as_json_number]
#: a limit of usage controls: zero allowed
Limit = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2), as_json_number]

_NO_BACKSLASH_OR_QUOTE = r'^[^\\"]{1,%d}$'
#: B2B free text and ids: 1-100 characters, no backslash or double quote
Text100 = Annotated[str, Field(pattern=_NO_BACKSLASH_OR_QUOTE % 100)]
Remarks = Text100
InvoiceNumber = Annotated[str, Field(pattern=_NO_BACKSLASH_OR_QUOTE % 50)]
#: a payment's unique transaction reference: the same 1-50 characters as an invoice number
Utr = InvoiceNumber
#: the client reference the platform dedupes by and echoes back
Reference = Text100
Id = Annotated[str, Field(min_length=1, max_length=100)]
Email = Annotated[str, Field(pattern=r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$")]
Count = Annotated[int, Field(ge=0)]
BuyerResponse = Literal["ACCEPT", "REJECT", "RETURN"]


def invalid_request(model: str, exc: ValidationError) -> RequestValidationError:
    """The first complaint of ``exc`` as a :class:`RequestValidationError`.

    Only the location and pydantic's message are used: the input is never quoted.
    """
    first = exc.errors(include_url=False, include_input=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or model
    return RequestValidationError(f"{model}.{field}: {first['msg']}", field=field, model=model)


_nesting: ContextVar[int] = ContextVar("wire_request_nesting", default=0)


class WireRequest(BaseModel):
    """A body paycore sends: frozen, no unknown fields, checked at construction."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, **data: Any) -> None:
        # Only the outermost model converts: a nested one lets pydantic's error
        # through, so that pydantic prefixes the field's path.
        nesting = _nesting.set(_nesting.get() + 1)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            if _nesting.get() > 1:
                raise
            raise invalid_request(type(self).__name__, exc) from None
        finally:
            _nesting.reset(nesting)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object as the platform expects it (secrets revealed)."""
        return self.model_dump(mode="json", exclude_none=True)


class WireResponse(BaseModel):
    """A payload paycore receives: fields it does not know are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Acknowledgement(WireResponse):
    """The platform's bare answer: code 0 and a message, the payload as given."""

    code: int
    message: str
    payload: Any = None


class TokenGrant(WireResponse):
    """The OAuth2 answer of ``/oauth/token`` (snake_case, or the payout camelCase)."""

    access_token: SecretStr = Field(validation_alias=AliasChoices("access_token", "accessToken"))
    expires_in: int = Field(gt=0, validation_alias=AliasChoices("expires_in", "expiresIn"))
    token_type: str = Field(
        default="bearer", validation_alias=AliasChoices("token_type", "tokenType")
    )
    refresh_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("refresh_token", "refreshToken")
    )
    scope: str | None = None

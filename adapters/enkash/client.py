"""``EnkashClient``: every EnKash endpoint paycore uses, over one httpx connection pool.

One private path (:meth:`EnkashClient._call`) serves every endpoint: validate (done by
the request model), serialise, encrypt where the area wants it, attach the bearer
token, send once, read either envelope, and turn a failure into a typed
:class:`~paycore.adapters.enkash.errors.RemoteError`.

The client makes one attempt per call and never tries again on its own. It classifies
the failure instead: ``effect`` says whether the platform may have applied the call
(``NOT_APPLIED`` when the request never left, ``UNKNOWN`` after a timeout, a dropped
connection, a 5xx or an unreadable answer), and ``retryable`` whether sending the same
request again may succeed without doubling its effect. An unknown effect is retryable
only when the endpoint's rule allows a resend
(:class:`~paycore.adapters.enkash.endpoints.Repeat` ``SAFE`` or ``BY_REFERENCE``).
The caller decides: the sync relay for the calls it sends, or
:func:`paycore.adapters.enkash.retry.with_retries` for a host that calls the client
directly.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import httpx
from pydantic import SecretStr, ValidationError

from paycore.adapters.enkash import crypto
from paycore.adapters.enkash import endpoints as ep
from paycore.adapters.enkash import models as m
from paycore.adapters.enkash.config import EnkashConfig
from paycore.adapters.enkash.errors import (
    AuthError,
    Effect,
    PayloadCryptoError,
    RemoteBusinessError,
    RemoteDuplicateError,
    RemoteProtocolError,
    RemoteRejectedError,
    RemoteTimeoutError,
    RemoteUnavailableError,
    RequestValidationError,
    redacted,
)
from paycore.adapters.telemetry import fields, span

log = logging.getLogger("paycore.adapters.enkash")

DUPLICATE_CODE = 38
_HTTP_CONFLICT = 409
_HTTP_UNAUTHORIZED = 401
#: a failure before the call left: nothing was applied, and sending again may work
_NOT_SENT: dict[str, Any] = {"effect": Effect.NOT_APPLIED, "retryable": True}


class _TokenSource:
    """The partner token: fetched once, shared, renewed before it runs out.

    One lock serialises renewal, so when many threads find the token stale at the
    same moment, one of them asks and the others get its answer. A refusal of the
    credentials is remembered: the platform locks the account after three failed
    attempts, so this client never asks again (build a new one with fixed
    credentials).

    Without a token the call is never sent: every failure here is ``NOT_APPLIED``, and
    all but a refusal of the credentials are retryable.
    """

    def __init__(
        self, http: httpx.Client, config: EnkashConfig, clock: Callable[[], float]
    ) -> None:
        self._http = http
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._token: SecretStr | None = None
        self._renew_at = 0.0
        self._refusal: AuthError | None = None

    def current(self) -> SecretStr:
        with self._lock:
            if self._refusal is not None:
                raise AuthError(
                    "credentials were refused earlier; not asking again, as three "
                    "failures lock the account",
                    remote_code=self._refusal.remote_code,
                    remote_message=self._refusal.remote_message,
                    http_status=self._refusal.http_status,
                )
            if self._token is None or self._clock() >= self._renew_at:
                self._token = self._request()
            return self._token

    def invalidate(self, stale: SecretStr) -> None:
        """Forget ``stale`` (the platform refused it) unless already renewed."""
        with self._lock:
            if self._token is stale:
                self._token = None

    def _request(self) -> SecretStr:
        config = self._config
        form = {
            "grant_type": "password",
            "username": config.username,
            "password": config.password.get_secret_value(),
            "clientId": config.client_id,
        }
        log.debug("token request to %s", config.token_url, extra=fields(call="token"))
        try:
            response = self._http.post(
                config.token_url,
                data=form,
                auth=(config.client_id, config.client_secret.get_secret_value()),
            )
        except httpx.TimeoutException:
            raise RemoteTimeoutError("token request timed out", **_NOT_SENT) from None
        except httpx.TransportError as exc:
            raise RemoteUnavailableError(
                f"token endpoint unreachable: {type(exc).__name__}", **_NOT_SENT
            ) from None
        if response.status_code >= 500:
            raise RemoteUnavailableError(
                "token endpoint failed", http_status=response.status_code, **_NOT_SENT
            )
        if response.status_code != 200:
            body = _json_or_none(response)
            reason = body.get("error_description") if isinstance(body, dict) else None
            self._refusal = AuthError(
                "the platform refused the credentials",
                remote_message=str(reason) if reason else None,
                http_status=response.status_code,
            )
            raise self._refusal
        try:
            grant = m.TokenGrant.model_validate(response.json())
        except (ValueError, ValidationError):
            raise RemoteProtocolError(
                "token response is not an OAuth2 token", http_status=200, **_NOT_SENT
            ) from None
        lifetime = grant.expires_in
        self._renew_at = self._clock() + max(lifetime - config.token_refresh_margin, lifetime / 2)
        log.debug("token granted, valid for %d s", lifetime, extra=fields(call="token"))
        return grant.access_token


def _unknown(endpoint: ep.Endpoint[Any, Any]) -> dict[str, Any]:
    """A failure after the call left: it may have been applied; sending it again is
    safe only where the endpoint's rule says so."""
    return {"effect": Effect.UNKNOWN, "retryable": endpoint.repeat is not ep.Repeat.ONCE}


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _reply(document: Any, envelope: ep.Envelope | None = None) -> ep.Reply | None:
    """Either envelope variant as a :class:`Reply`; ``None`` if neither fits."""
    if not isinstance(document, dict):
        return None
    for variant in (envelope,) if envelope else tuple(ep.Envelope):
        code_key, message_key = variant.value
        if isinstance(document.get(code_key), int):
            return ep.Reply(
                code=document[code_key],
                message=str(document.get(message_key, "")),
                payload=document.get("payload"),
            )
    return None


class EnkashClient:
    """A synchronous client of the EnKash API for one partner.

    >>> client = EnkashClient(EnkashConfig.from_env())  # doctest: +SKIP
    >>> client.get_card_account(CardAccountQuery(companyId=..., cardAccountId=...))

    Each call is one attempt: a failure raises a typed error that says whether the
    platform may have applied it (``effect``) and whether the same request may be sent
    again (``retryable``). The client never sends it again itself; a host that wants
    that wraps the call: ``with_retries(lambda: client.get_card_account(query),
    attempts=3)`` (:mod:`paycore.adapters.enkash.retry`), and the sync relay has its
    own ``RelaySettings``. One exception: a token the platform refuses (HTTP 401) is
    renewed and the request sent once more with the new one, as a 401 means the
    platform turned the request away before acting on it. That is authentication,
    not a retry of the effect.

    ``transport`` swaps the network (``httpx.MockTransport`` in tests); ``clock`` makes
    token expiry controllable. Close it (or use it as a context manager) to release
    the connection pool.
    """

    def __init__(
        self,
        config: EnkashConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._http = httpx.Client(
            timeout=config.timeout(),
            transport=transport,
            headers={"partnerId": config.partner_id},
        )
        self._tokens = _TokenSource(self._http, config, clock)
        self._base_urls = {
            ep.Area.CARD: config.card_base_url.rstrip("/"),
            ep.Area.B2B: config.b2b_base_url.rstrip("/"),
            ep.Area.AP: config.ap_base_url.rstrip("/"),
        }

    def __repr__(self) -> str:
        return (
            f"EnkashClient(card_base_url={self._config.card_base_url!r}, "
            f"partner_id={self._config.partner_id!r})"
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- prepaid cards ---------------------------------------------------------------

    def create_card_account(self, request: m.CreateCardAccountRequest) -> m.CardAccount:
        return self._call(ep.CREATE_CARD_ACCOUNT, request)

    def get_card_account(self, request: m.CardAccountQuery) -> m.CardAccount:
        return self._call(ep.GET_CARD_ACCOUNT, request)

    def create_prepaid_card(self, request: m.CreateCardRequest) -> m.Card:
        """A reloadable card on a reloadable account."""
        return self._call(ep.CREATE_CARD, request)

    def create_gift_card(self, request: m.CreateCardRequest) -> m.Card:
        """A gift card on a ``GIFT`` account: its value is the ``loadAmount`` at issue,
        as it can never be loaded afterwards."""
        if request.loadAmount is None:
            raise RequestValidationError(
                "CreateCardRequest.loadAmount: a gift card is loaded at issue or never",
                field="loadAmount",
                model="CreateCardRequest",
            )
        return self._call(ep.CREATE_CARD, request)

    def set_pin(self, request: m.SetPinRequest) -> m.Acknowledgement:
        return self._call(ep.SET_PIN, request)

    def load_balance(self, request: m.LoadBalanceRequest) -> m.CardTransaction:
        """Credit a card, at most once per ``uniqueReferenceNumber``.

        After an answer that says nothing (effect ``UNKNOWN``), look the load up by its
        reference (:meth:`find_transaction` with ``request.enquiry()``) before sending
        it again; :func:`~paycore.adapters.enkash.retry.with_retries` does that when
        given it as ``enquire``.
        """
        return self._call(ep.LOAD_BALANCE, request)

    def find_transaction(self, request: m.TransactionQuery) -> m.CardTransaction | None:
        """The card transaction whose ``pgReferenceNumber`` is the given reference, or
        None. Only an answer naming that reference counts: an enquiry that finds
        something else has not found the load."""
        found = self._call(ep.FIND_TRANSACTION, request)
        wanted = request.pgReferenceNumber
        return next((t for t in found if t.pgReferenceNumber == wanted), None)

    def generate_card_otp(self, request: m.CardOtpRequest) -> m.CardOtp:
        return self._call(ep.GENERATE_CARD_OTP, request)

    def set_usage_controls(self, request: m.UsageControlsRequest) -> m.Acknowledgement:
        return self._call(ep.SET_USAGE_CONTROLS, request)

    def get_usage_limits(self, request: m.CardRef) -> m.UsageLimits:
        return self._call(ep.GET_USAGE_LIMITS, request)

    def replace_card(self, request: m.ReplaceCardRequest) -> m.Acknowledgement:
        return self._call(ep.REPLACE_CARD, request)

    def block_card(self, request: m.BlockCardRequest) -> m.Acknowledgement:
        return self._call(ep.BLOCK_CARD, request)

    def get_card_details(self, request: m.CardRef) -> m.Card:
        return self._call(ep.GET_CARD_DETAILS, request)

    def search_cards(self, request: m.CardSearchRequest) -> list[m.Card]:
        """The cards the search answers with: one card or a page of them (the pages
        disagree, :func:`~paycore.adapters.enkash.endpoints.records` reads both)."""
        return self._call(ep.SEARCH_CARDS, request)

    # -- Bharat Connect B2B ----------------------------------------------------------

    def confirm_invoice(self, request: m.ConfirmInvoiceRequest) -> m.Acknowledgement:
        return self._call(ep.CONFIRM_INVOICE, request)

    def change_invoice_status(self, request: m.ChangeInvoiceStatusRequest) -> m.Acknowledgement:
        return self._call(ep.CHANGE_INVOICE_STATUS, request)

    def pay_invoice(self, request: m.PayInvoiceRequest) -> m.Acknowledgement:
        return self._call(ep.PAY_INVOICE, request)

    def send_purchase_order(self, request: m.SendPurchaseOrderRequest) -> m.Acknowledgement:
        return self._call(ep.SEND_PURCHASE_ORDER, request)

    def edit_purchase_order(self, request: m.SendPurchaseOrderRequest) -> m.Acknowledgement:
        return self._call(ep.EDIT_PURCHASE_ORDER, request)

    def confirm_purchase_order(self, request: m.ConfirmPurchaseOrderRequest) -> m.Acknowledgement:
        return self._call(ep.CONFIRM_PURCHASE_ORDER, request)

    def change_purchase_order_status(
        self, request: m.ChangePurchaseOrderStatusRequest
    ) -> m.Acknowledgement:
        return self._call(ep.CHANGE_PURCHASE_ORDER_STATUS, request)

    def send_credit_debit_note(self, request: m.SendCreditDebitNoteRequest) -> m.Acknowledgement:
        return self._call(ep.SEND_CREDIT_DEBIT_NOTE, request)

    def confirm_credit_debit_note(
        self, request: m.ConfirmCreditDebitNoteRequest
    ) -> m.Acknowledgement:
        return self._call(ep.CONFIRM_CREDIT_DEBIT_NOTE, request)

    # -- Accounts Payable ------------------------------------------------------------

    def make_payment(self, request: m.PaymentRequest) -> m.Acknowledgement:
        """``POST /api/v0/payment``. No enquiry by ``urn`` is documented, so a timeout
        is a :class:`RemoteTimeoutError` that is not retryable: reconcile it by the
        ``urn``, never resend it blindly."""
        return self._call(ep.MAKE_PAYMENT, request)

    def confirm_payable_invoices(
        self, request: m.ConfirmPayableInvoicesRequest
    ) -> m.Acknowledgement:
        return self._call(ep.CONFIRM_PAYABLE_INVOICES, request)

    # -- the one path ----------------------------------------------------------------

    def _call(self, endpoint: ep.Endpoint[ep.Req, ep.Res], request: ep.Req) -> ep.Res:
        """One attempt: the answer read, or a classified :class:`RemoteError`."""
        body = self._encode(endpoint, request)
        reference = endpoint.reference(request) if endpoint.reference else None
        with span("paycore.remote", call=endpoint.name, reference=reference):
            return self._read(endpoint, self._attempt(endpoint, body, reference), reference)

    def _encode(self, endpoint: ep.Endpoint[Any, Any], request: m.WireRequest) -> str:
        if not isinstance(request, endpoint.request):
            raise RequestValidationError(
                f"{endpoint.name} takes a {endpoint.request.__name__}, "
                f"not a {type(request).__name__}",
                field="request",
            )
        text = json.dumps(request.to_wire(), separators=(",", ":"))
        if endpoint.area.encrypted:
            secret = self._config.client_secret.get_secret_value()
            text = json.dumps({"request": crypto.encrypt(secret, text)})
        return text

    def _attempt(
        self, endpoint: ep.Endpoint[Any, Any], body: str, reference: str | None
    ) -> ep.Reply:
        """One send; a :class:`Reply` or a raise.

        A 401 refused the token, not the request: the platform did not act on it, so
        it goes once more with a renewed token. A second 401 is an :class:`AuthError`.
        """
        token = self._tokens.current()
        response = self._send(endpoint, body, token, reference)
        if response.status_code == _HTTP_UNAUTHORIZED:
            self._tokens.invalidate(token)
            response = self._send(endpoint, body, self._tokens.current(), reference)
        log.debug(
            "%s reference %s: HTTP %d", endpoint.name, reference, response.status_code,
            extra=fields(call=endpoint.name, reference=reference, http_status=response.status_code),
        )  # fmt: skip
        return self._answer(endpoint, response, reference)

    def _send(
        self,
        endpoint: ep.Endpoint[Any, Any],
        body: str,
        token: SecretStr,
        reference: str | None,
    ) -> httpx.Response:
        url = self._base_urls[endpoint.area] + endpoint.path
        headers = {
            "Authorization": f"Bearer {token.get_secret_value()}",
            "Content-Type": "application/json",
        }
        try:
            return self._http.post(url, content=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise RemoteUnavailableError(
                f"{endpoint.name}: platform unreachable ({type(exc).__name__})",
                endpoint=endpoint.name,
                reference=reference,
                **_NOT_SENT,
            ) from None
        except httpx.TransportError as exc:
            raise RemoteTimeoutError(
                f"{endpoint.name}: no answer ({type(exc).__name__}); the outcome "
                "is unknown, reconcile by the reference",
                endpoint=endpoint.name,
                reference=reference,
                **_unknown(endpoint),
            ) from None

    def _answer(
        self,
        endpoint: ep.Endpoint[Any, Any],
        response: httpx.Response,
        reference: str | None,
    ) -> ep.Reply:
        status = response.status_code
        document = self._document(endpoint, response)
        reply = _reply(document)
        facts: dict[str, Any] = {
            "remote_code": reply.code if reply else None,
            "remote_message": reply.message if reply else None,
            "http_status": status,
            "endpoint": endpoint.name,
            "reference": reference,
        }
        said = f"HTTP {status}, code {facts['remote_code']}: {facts['remote_message']}"
        if status >= 500:
            raise RemoteUnavailableError(f"{endpoint.name}: {said}", **facts, **_unknown(endpoint))
        if status == _HTTP_CONFLICT or (reply and reply.code == DUPLICATE_CODE):
            raise RemoteDuplicateError(
                f"{endpoint.name}: reference {reference} was used before ({said})",
                **facts,
            )
        if status == _HTTP_UNAUTHORIZED:
            raise AuthError(f"{endpoint.name}: token refused ({said})", **facts)
        if status >= 400:
            raise RemoteRejectedError(f"{endpoint.name}: refused ({said})", **facts)
        if reply is None:
            raise RemoteProtocolError(
                f"{endpoint.name}: answer has neither envelope",
                answer=redacted(document)
                if document is not None
                else f"<{len(response.content)} bytes, not JSON>",
                **facts,
                **_unknown(endpoint),
            )
        if reply.code != 0:
            raise RemoteBusinessError(f"{endpoint.name}: declined ({said})", **facts)
        return reply

    def _document(self, endpoint: ep.Endpoint[Any, Any], response: httpx.Response) -> Any:
        """The answer as JSON, decrypted when the area encrypts it."""
        document = _json_or_none(response)
        wrapped = document.get("request") if isinstance(document, dict) else None
        if endpoint.area.encrypted and isinstance(wrapped, str) and len(document) == 1:
            secret = self._config.client_secret.get_secret_value()
            try:
                return json.loads(crypto.decrypt(secret, wrapped))
            except (PayloadCryptoError, ValueError):
                raise RemoteProtocolError(
                    f"{endpoint.name}: encrypted answer could not be read",
                    http_status=response.status_code,
                    endpoint=endpoint.name,
                    answer=f"<{len(wrapped)} chars that do not decrypt>",
                    **_unknown(endpoint),
                ) from None
        return document

    def _read(
        self, endpoint: ep.Endpoint[Any, ep.Res], reply: ep.Reply, reference: str | None
    ) -> ep.Res:
        """The typed answer. One that does not have the expected shape came after the
        platform said code 0, so it may have acted: the effect is unknown, and what came
        back travels with the error (redacted) to whoever reconciles."""
        try:
            return endpoint.read(reply)
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            raise RemoteProtocolError(
                f"{endpoint.name}: payload does not have the expected shape "
                f"({'.'.join(map(str, first['loc']))}: {first['msg']})",
                remote_code=reply.code,
                remote_message=reply.message,
                http_status=200,
                endpoint=endpoint.name,
                reference=reference,
                answer=redacted(reply.payload),
                **_unknown(endpoint),
            ) from None

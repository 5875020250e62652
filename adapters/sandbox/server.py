"""The sandbox as a real HTTP server on a loopback port.

It speaks the platform's wire protocol: ``POST /oauth/token`` (password grant, Basic
client credentials, lock-out after three failures), Bearer tokens and the
``partnerId`` header, encrypted card bodies (``{"request": "<Base64>"}`` both ways),
both envelopes, and every path of :mod:`paycore.adapters.enkash.endpoints`.

>>> with run_sandbox() as sandbox:  # doctest: +SKIP
...     client = EnkashClient(sandbox.client_config())
...     sandbox.ledger.count_applied("load_balance")

``GET /_sandbox/effects`` answers the ledger as JSON, for a test whose client runs in
another process.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from pydantic import SecretStr, ValidationError

from paycore.adapters.enkash import crypto
from paycore.adapters.enkash import endpoints as ep
from paycore.adapters.enkash.config import ENV_PREFIX, EnkashConfig
from paycore.adapters.enkash.errors import PayloadCryptoError, RequestValidationError
from paycore.adapters.enkash.models import invalid_request
from paycore.adapters.sandbox.faults import Fault, FaultPlan, FaultRates
from paycore.adapters.sandbox.ledger import Ledger, Received
from paycore.adapters.sandbox.state import PlatformState, Refusal
from paycore.adapters.sandbox.webhooks import WebhookDispatcher, WebhookTarget

log = logging.getLogger("paycore.adapters.sandbox")

TOKEN_PATH = "/oauth/token"  # noqa: S105  (a path, not a password)
EFFECTS_PATH = "/_sandbox/effects"
#: failed token requests in a row that lock the account, as the platform documents
LOCK_AFTER_FAILURES = 3
#: the answer of an UNREADABLE_AFTER_EFFECT: JSON, but neither envelope
UNREADABLE: dict[str, str] = {"status": "OK"}


@dataclass(frozen=True)
class SandboxSettings:
    """The credentials the sandbox accepts, its token lifetime, faults and webhooks."""

    client_id: str = "CEKSANDBOX1"
    client_secret: str = field(default="sandbox-client-secret", repr=False)
    username: str = "9999999999"
    password: str = field(default="sandbox-password", repr=False)
    partner_id: str = "CRSANDBOX1"
    token_lifetime: int = 300
    seed: int = 0
    faults: FaultRates = field(default_factory=FaultRates)
    #: how long a TIMEOUT_AFTER_EFFECT holds the answer before dropping the connection
    hang_seconds: float = 1.0
    webhook: WebhookTarget | None = None
    #: the loopback port to listen on; 0 takes a free one
    port: int = 0


class Sandbox:
    """A running sandbox: its URL, its state, its ledger and its fault plan."""

    def __init__(self, settings: SandboxSettings | None = None) -> None:
        self.settings = settings or SandboxSettings()
        self.state = PlatformState(seed=self.settings.seed)
        self.ledger = Ledger()
        self.faults = FaultPlan(self.settings.seed, self.settings.faults)
        self.webhooks = WebhookDispatcher(
            self.settings.webhook, self.faults, self.ledger.record_delivery
        )
        self._stopping = threading.Event()
        self._auth_lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self._failed_logins = 0
        self._server = _Server(("127.0.0.1", self.settings.port), _Handler)
        self._server.sandbox = self
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="sandbox-http",
            daemon=True,
        )

    def __repr__(self) -> str:
        return f"Sandbox(url={self.url!r})"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self.webhooks.close()

    def client_config(self, **overrides: Any) -> EnkashConfig:
        """An :class:`EnkashConfig` pointing every area of the client here."""
        settings = self.settings
        values: dict[str, Any] = {
            "card_base_url": self.url,
            "b2b_base_url": self.url,
            "ap_base_url": self.url,
            "token_url": self.url + TOKEN_PATH,
            "partner_id": settings.partner_id,
            "client_id": settings.client_id,
            "client_secret": settings.client_secret,
            "username": settings.username,
            "password": settings.password,
        }
        return EnkashConfig(**(values | overrides))

    def client_environ(self, **overrides: Any) -> dict[str, str]:
        """The same settings as environment variables, for a client in a subprocess
        (read there by ``EnkashConfig.from_env()``)."""
        config = self.client_config(**overrides)
        return {
            ENV_PREFIX + name.upper(): _plain(getattr(config, name))
            for name in type(config).model_fields
        }

    def expire_tokens(self) -> None:
        """Make every issued token stale, as if its lifetime had passed."""
        with self._auth_lock:
            self._tokens.clear()

    def issued_tokens(self) -> list[str]:
        """The tokens currently valid: for tests that check that none leaks."""
        with self._auth_lock:
            return list(self._tokens)

    @property
    def locked_out(self) -> bool:
        with self._auth_lock:
            return self._failed_logins >= LOCK_AFTER_FAILURES

    # -- the wire --------------------------------------------------------------------

    def grant_token(self, authorization: str, form: dict[str, str]) -> tuple[int, Any]:
        self.ledger.record_token_request()
        settings = self.settings
        with self._auth_lock:
            if self._failed_logins >= LOCK_AFTER_FAILURES:
                return 401, _oauth_error("User account is locked")
            if _basic(authorization) != (settings.client_id, settings.client_secret):
                self._failed_logins += 1
                return 401, _oauth_error("Bad client credentials")
            expected = {
                "grant_type": "password",
                "username": settings.username,
                "password": settings.password,
                "clientId": settings.client_id,
            }
            if any(form.get(key) != value for key, value in expected.items()):
                self._failed_logins += 1
                return 400, _oauth_error("Bad credentials")
            self._failed_logins = 0
            token = secrets.token_hex(16)
            self._tokens[token] = time.monotonic() + settings.token_lifetime
        return 200, {
            "access_token": token,
            "token_type": "bearer",
            "refresh_token": secrets.token_hex(16),
            "expires_in": settings.token_lifetime,
            "scope": "read write trust",
        }

    def token_valid(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        with self._auth_lock:
            expiry = self._tokens.get(token)
        return scheme.lower() == "bearer" and expiry is not None and time.monotonic() < expiry

    def answer(self, endpoint: ep.Endpoint[Any, Any], document: Any) -> tuple[int, Any]:
        """Validate the body, then apply it; the HTTP status and the envelope."""
        try:
            request = endpoint.request.model_validate(document)
        except ValidationError as exc:
            refusal = invalid_request(endpoint.request.__name__, exc)
        except RequestValidationError as exc:
            refusal = exc
        else:
            return self._apply(endpoint, request)
        self._record(endpoint, None, Fault.NONE, 400)
        return 400, _envelope(endpoint, 1, f"Invalid parameter {refusal.message}")

    def _apply(self, endpoint: ep.Endpoint[Any, Any], request: Any) -> tuple[int, Any]:
        """Draw a fault and apply the rule; :class:`_DropConnectionError` for a
        timeout after the effect."""
        reference = endpoint.reference(request) if endpoint.reference else None
        fault = self.faults.draw(endpoint.path)
        if fault is Fault.LATENCY:
            self._stopping.wait(self.faults.rates.latency_seconds)
        if fault is Fault.SERVER_ERROR:
            self._record(endpoint, reference, fault, 503)
            return 503, _envelope(endpoint, 1, "Service unavailable")
        try:
            outcome = self.state.apply(endpoint, request)
        except Refusal as refusal:
            self._record(endpoint, reference, fault, refusal.http_status)
            return refusal.http_status, _envelope(endpoint, refusal.code, refusal.message)
        if outcome.effect is not None:
            self.ledger.record_applied(outcome.effect)
        if outcome.webhook is not None:
            self.webhooks.enqueue(*outcome.webhook)
        if fault is Fault.TIMEOUT_AFTER_EFFECT:
            self._record(endpoint, reference, fault, 0)
            self._stopping.wait(self.settings.hang_seconds)
            raise _DropConnectionError
        self._record(endpoint, reference, fault, 200)
        if fault is Fault.UNREADABLE_AFTER_EFFECT:
            return 200, UNREADABLE
        return 200, _envelope(endpoint, 0, "SUCCESS", outcome.payload)

    def _record(
        self, endpoint: ep.Endpoint[Any, Any], reference: str | None, fault: Fault, status: int
    ) -> None:
        self.ledger.record_received(Received(endpoint.name, reference, fault.value, status))


class _DropConnectionError(Exception):
    """Close the connection without an answer."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    sandbox: Sandbox

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that went away mid-request (a killed worker) is no server error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            log.debug("sandbox: client %s went away", client_address)
            return
        super().handle_error(request, client_address)


def _plain(value: object) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


def _oauth_error(description: str) -> dict[str, str]:
    return {"error": "invalid_grant", "error_description": description}


def _basic(authorization: str) -> tuple[str, str] | None:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, secret


def _envelope(
    endpoint: ep.Endpoint[Any, Any], code: int, message: str, payload: Any = None
) -> dict[str, Any]:
    code_key, message_key = endpoint.envelope.value
    return {code_key: code, message_key: message, "payload": payload}


def _json_default(value: object) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    #: buffer the answer so headers and body leave in one segment (no Nagle stall)
    wbufsize = 1 << 16

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox: " + format, *args)

    def do_GET(self) -> None:
        if self.path.split("?")[0] == EFFECTS_PATH:
            self._reply(200, self.server.sandbox.ledger.snapshot())
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self) -> None:
        sandbox = self.server.sandbox
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        authorization = self.headers.get("Authorization", "")
        if self.path == TOKEN_PATH:
            form = {k: v[0] for k, v in parse_qs(raw.decode(errors="replace")).items()}
            self._reply(*sandbox.grant_token(authorization, form))
            return
        endpoint = ep.BY_PATH.get(self.path)
        if endpoint is None:
            self._reply(404, {"response_code": 1, "response_message": "No such API"})
            return
        if not sandbox.token_valid(authorization):
            self._reply(401, _envelope(endpoint, 1, "Invalid or expired token"))
            return
        if self.headers.get("partnerId") != sandbox.settings.partner_id:
            self._reply(403, _envelope(endpoint, 403, "APIs not enabled for partner"))
            return
        secret = sandbox.settings.client_secret
        try:
            document = json.loads(raw, parse_float=Decimal)
            if endpoint.area.encrypted:
                document = json.loads(
                    crypto.decrypt(secret, document["request"]), parse_float=Decimal
                )
        except (ValueError, KeyError, TypeError, PayloadCryptoError):
            unreadable = "encrypted request" if endpoint.area.encrypted else "request format"
            self._reply(422, _envelope(endpoint, 422, f"Invalid {unreadable}"))
            return
        try:
            status, answer = sandbox.answer(endpoint, document)
        except _DropConnectionError:
            self.close_connection = True
            return
        if endpoint.area.encrypted:
            plain = json.dumps(answer, default=_json_default)
            answer = {"request": crypto.encrypt(secret, plain)}
        self._reply(status, answer)

    def _reply(self, status: int, document: Any) -> None:
        body = json.dumps(document, default=_json_default).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def run_sandbox(settings: SandboxSettings | None = None) -> Iterator[Sandbox]:
    """Start a sandbox on 127.0.0.1 (a free port) in a thread; stop it on exit."""
    sandbox = Sandbox(settings)
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()

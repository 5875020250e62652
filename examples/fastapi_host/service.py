"""A host service embedding paycore: FastAPI under uvicorn, several worker processes, one
SQLite file (or PostgreSQL schema) between them.

Run it (from the repository, with the dev group installed)::

    PAYCORE_DATABASE_URL=sqlite:///host.db PAYCORE_OTP_KEY=$(openssl rand -hex 32) \\
    PAYCORE_WEBHOOK_SECRETS=whsec-1 SMS_OUTBOX=./sms \\
    uvicorn service:app --app-dir examples/fastapi_host --workers 2

Each worker builds its own ``PaymentsCore`` in the lifespan (never at import), wraps it
in an ``AsyncPaymentsCore`` so the endpoints are ``async``, binds the webhook inbox to
the app mounted at ``/enkash``, and answers every refusal as RFC 9457 problem details.
The workers share the store and the OTP key, so an OTP one of them issues is verified by
any other. ``X-Worker`` on every answer names the process that gave it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from paycore.adapters.problems import problem
from paycore.adapters.webhooks import WebhookApp, WebhookAuth, WebhookInbox
from paycore.domain import AsyncPaymentsCore, CommandContext, IssuedOtp, PaycoreError, PaymentsCore

webhooks = WebhookApp()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # PaymentsCore reads PAYCORE_DATABASE_URL and PAYCORE_OTP_KEY.
    workers = int(os.environ.get("PAYCORE_WORKERS", "4"))
    async with AsyncPaymentsCore(PaymentsCore(), workers=workers) as core:
        secrets = os.environ["PAYCORE_WEBHOOK_SECRETS"].split(",")
        auth = WebhookAuth(signing_secrets=tuple(s.encode() for s in secrets))
        inbox = await core.to_thread(WebhookInbox, core.core, auth)
        webhooks.bind(inbox, offload=core.to_thread)
        app.state.core = core
        yield
        webhooks.unbind()
        inbox.close()


app = FastAPI(title="Acme payables", lifespan=lifespan)
app.mount("/enkash", webhooks)


@app.exception_handler(PaycoreError)
async def refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, PaycoreError)
    answer = problem(error)
    return JSONResponse(answer.document, status_code=answer.status, media_type=answer.media_type)


@app.middleware("http")
async def name_the_worker(request: Request, call_next: Any) -> Response:
    response: Response = await call_next(request)
    response.headers["X-Worker"] = str(os.getpid())
    return response


def core_of(request: Request) -> AsyncPaymentsCore:
    core: AsyncPaymentsCore = request.app.state.core
    return core


def context_of(request: Request, actor: str) -> CommandContext:
    return CommandContext(
        actor=actor, source="api", correlation_id=request.headers.get("X-Request-Id")
    )


def send_sms(issued: IssuedOtp) -> None:
    """Stands in for the SMS gateway: one file per OTP in ``SMS_OUTBOX``."""
    outbox = Path(os.environ["SMS_OUTBOX"])
    path = outbox / issued.reference
    path.touch(mode=0o600)
    path.write_text(issued.otp)


Actor = Annotated[str, Header(alias="X-Actor")]


class Decision(BaseModel):
    remarks: str


class PaymentRequest(BaseModel):
    invoices: list[str]  # objectIds
    amount: str | None = None


class Authorisation(BaseModel):
    otp: str


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/invoices/{object_id}")
async def invoice(object_id: str, request: Request) -> dict[str, Any]:
    found = await core_of(request).get_invoice(PaymentsCore.invoice_id(object_id))
    return {"status": found.status, "outstanding": str(found.outstanding.amount)}


@app.post("/invoices/{object_id}/accept", status_code=204)
async def accept(object_id: str, decision: Decision, request: Request, actor: Actor) -> None:
    await core_of(request).respond_to_invoice(
        PaymentsCore.invoice_id(object_id),
        "ACCEPT",
        decision.remarks,
        context=context_of(request, actor),
    )


@app.post("/payments", status_code=201)
async def initiate(
    order: PaymentRequest,
    request: Request,
    actor: Actor,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key")],
) -> dict[str, str]:
    payment_id = await core_of(request).initiate_payment(
        [PaymentsCore.invoice_id(i) for i in order.invoices],
        amount=order.amount,
        context=context_of(request, actor),
        idempotency_key=idempotency_key,
    )
    return {"payment_id": str(payment_id)}


@app.post("/payments/{payment_id}/otp", status_code=201)
async def request_otp(payment_id: UUID, request: Request, actor: Actor) -> dict[str, str]:
    core = core_of(request)
    issued = await core.request_payment_otp(payment_id, context=context_of(request, actor))
    await core.to_thread(send_sms, issued)
    return {"reference": issued.reference, "expires_at": issued.expires_at.isoformat()}


@app.post("/payments/{payment_id}/authorise")
async def authorise(
    payment_id: UUID, authorisation: Authorisation, request: Request, actor: Actor
) -> dict[str, str]:
    core = core_of(request)
    await core.authorise_payment(payment_id, authorisation.otp, context=context_of(request, actor))
    return {"status": (await core.get_payment(payment_id)).status}

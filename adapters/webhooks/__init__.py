"""The webhook inbox: what the platform posts becomes PaymentsCore commands, once.

:class:`WebhookInbox` (``handle(path, headers, body) -> (status, body)``),
:class:`WebhookApp` (the same as an ASGI application), :class:`WebhookAuth` (static
header and HMAC signatures). ``docs/sync.md`` states the guarantees.
"""

from paycore.adapters.webhooks.asgi import WebhookApp
from paycore.adapters.webhooks.auth import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookAuth, sign
from paycore.adapters.webhooks.inbox import MESSAGE_ID_HEADER, Parked, WebhookInbox
from paycore.adapters.webhooks.routes import ROUTES

__all__ = [
    "MESSAGE_ID_HEADER",
    "ROUTES",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Parked",
    "WebhookApp",
    "WebhookAuth",
    "WebhookInbox",
    "sign",
]

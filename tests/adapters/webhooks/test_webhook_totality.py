"""The inbox answers every request: any path, headers and body get a JSON 2xx/4xx answer
(5xx only when the store fails), never an exception, and a refusal records nothing."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import sqlite3
import string
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from paycore.adapters.webhooks import (
    MESSAGE_ID_HEADER,
    ROUTES,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookApp,
    WebhookAuth,
    WebhookInbox,
    sign,
)
from paycore.adapters.webhooks.inbox import MESSAGE_ID_LENGTH
from paycore.domain import PaymentsCore
from paycore.domain.aggregate import MAX_OBJECT_VERSION
from paycore.domain.idempotency import IdempotencyRecord
from tests.adapters.webhooks.builders import (
    INVOICE_CREATE,
    INVOICE_STATUS,
    OTP_KEY,
    PAYMENT_RESPONSE,
    PO_CONFIRM,
    SECRET,
    invoice_cancelled,
    invoice_created,
    payment_response,
    po_confirmation,
    signed,
)
from tests.conftest import POSTGRES_DSN, PostgresSchema, require_postgres

STATIC_HEADER, STATIC_VALUE = "X-Enkash-Key", "static-secret"
#: what a healthy store answers; 5xx is for a store that fails
ANSWERS = {200, 202, 400, 401, 404}
ACK_PATH = "/api/v0/purchase-order/resp-send"
ACK_BODY = json.dumps({"resp": {"reqMsgId": "REQ1", "result": "SUCCESS"}}).encode()


def stored(core: PaymentsCore) -> int:
    return core.recorder.max_notification_id() or 0


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PaymentsCore, WebhookInbox]]:
    """One core on a SQLite file for every example: the state they leave adds up."""
    path = tmp_path_factory.mktemp("totality") / "paycore.db"
    core = PaymentsCore(f"sqlite:///{path}", otp_key=OTP_KEY)
    auth = WebhookAuth(
        signing_secrets=(SECRET,), static_header=STATIC_HEADER, static_values=(STATIC_VALUE,)
    )
    inbox = WebhookInbox(core, auth)
    yield core, inbox
    inbox.close()
    core.close()


def answered(status: int, answer: bytes) -> dict[str, Any]:
    """The JSON object of an answer, checked to say what happened."""
    document = json.loads(answer)
    assert isinstance(document, dict)
    assert ("outcome" in document) if status < 300 else ("code" in document)
    return document


# -- the defects found, one by one -------------------------------------------------------


def timestamped(timestamp: str, body: bytes = b"{}") -> dict[str, str]:
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(SECRET, timestamp, body)}


@pytest.mark.parametrize(
    "headers",
    [
        timestamped("¹²³"),  # superscript digits: isdigit() but not int()
        timestamped("١٧٠٠٠٠٠٠٠٠"),  # noqa: RUF001  (Arabic-Indic digits: int() takes them)
        timestamped("9" * 400),  # too large for a float
        timestamped(str(int(time.time())) + "0"),  # 11 digits, far in the future
        {**timestamped(str(int(time.time()))), SIGNATURE_HEADER: "é" * 64},  # non-ASCII
        {STATIC_HEADER: "é\ud800"},  # compare_digest refuses non-ASCII text
        {TIMESTAMP_HEADER.lower(): "1", TIMESTAMP_HEADER.upper(): "2"},  # one name, twice
    ],
    ids=[
        "superscript",
        "arabic-indic",
        "400-digits",
        "11-digits",
        "non-ascii-signature",
        "non-ascii-static",
        "case-duplicates",
    ],
)
def test_an_odd_timestamp_or_signature_is_unauthenticated(
    shared: tuple[PaymentsCore, WebhookInbox], headers: dict[str, str]
) -> None:
    core, inbox = shared
    before = stored(core)
    status, answer = inbox.handle(PAYMENT_RESPONSE, headers, b"{}")
    assert (status, answered(status, answer)["code"]) == (401, "WEBHOOK_UNAUTHENTICATED")
    assert stored(core) == before


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b"9" * 5_000,
        b'{"payment": {"objectId": ' + b"1" * 5_000 + b"}}",
        b"1e999999",
    ],
    ids=["deep-list", "deep-object", "5000-digit-number", "5000-digit-field", "huge-exponent"],
)
def test_deep_or_huge_json_is_malformed(
    shared: tuple[PaymentsCore, WebhookInbox], body: bytes
) -> None:
    core, inbox = shared
    before = stored(core)
    status, answer = inbox.handle(PAYMENT_RESPONSE, *signed(body))
    assert (status, answered(status, answer)["code"]) == (400, "WEBHOOK_MALFORMED")
    assert stored(core) == before


@pytest.mark.parametrize(
    "message_id",
    [
        "a\x00b",
        "line\nbreak",
        "tab\there",
        "two words",
        "\ud800",
        "é",
        "",
        "M" * (MESSAGE_ID_LENGTH + 1),
        "M" * 100_000,
    ],
    ids=[
        "nul",
        "newline",
        "tab",
        "space",
        "surrogate",
        "non-ascii",
        "empty",
        "one-too-long",
        "100k",
    ],
)
@pytest.mark.parametrize("path", [ACK_PATH, INVOICE_CREATE])
def test_a_message_id_that_cannot_be_a_key_is_malformed(
    shared: tuple[PaymentsCore, WebhookInbox], message_id: str, path: str
) -> None:
    core, inbox = shared
    body = ACK_BODY if path == ACK_PATH else json.dumps(invoice_created("INV" + "7" * 32)).encode()
    headers, raw = signed(body)
    before = stored(core)
    status, answer = inbox.handle(path, {**headers, MESSAGE_ID_HEADER: message_id}, raw)
    document = answered(status, answer)
    assert (status, document["code"], document["field"]) == (
        400,
        "WEBHOOK_MALFORMED",
        MESSAGE_ID_HEADER,
    )
    assert stored(core) == before


def test_a_message_id_at_the_longest_is_the_key_of_its_command(
    shared: tuple[PaymentsCore, WebhookInbox],
) -> None:
    core, inbox = shared
    message_id = "~" + "M" * (MESSAGE_ID_LENGTH - 1)
    headers, raw = signed(invoice_created("INV" + "8" * 32))
    status, answer = inbox.handle(INVOICE_CREATE, {**headers, MESSAGE_ID_HEADER: message_id}, raw)
    assert (status, answered(status, answer)["outcome"]) == (200, "applied")
    record = core.repository.get(IdempotencyRecord.create_id(f"webhook:{message_id}"))
    assert record.command == "receive_invoice"


# -- any request at all ----------------------------------------------------------------


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


ODD_TEXT = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(codec="latin-1"), max_size=30),
    st.sampled_from(["¹²³", "٣٤٥", "9" * 400, "-1", " 1 ", "1e9", "\x00", "\ud800", "é", ""]),
)
ODD_VALUE: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63 - 1, 2**63, 10**30, -1, 0, 10**4000]),
    st.floats(),
    st.sampled_from(["1e999999", "0.001", "1" * 30 + ".001", "-0", "NaN", "1_000", "１２３"]),  # noqa: RUF001
    ODD_TEXT,
    st.integers(min_value=1, max_value=500).map(nested),
)
VERSIONS = st.one_of(
    st.integers(0, 3), st.sampled_from([2**31 - 1, 2**31, 2**63 - 1, 2**63]), st.integers(0, 2**64)
)
DOCUMENT_IDS = st.text(string.ascii_uppercase + string.digits, min_size=32, max_size=32)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, bytes]:
    """A documented webhook and its path, often with one value replaced by an odd one."""
    suffix = draw(DOCUMENT_IDS)
    path, document = draw(
        st.sampled_from(
            [
                (INVOICE_CREATE, invoice_created("INV" + suffix)),
                (INVOICE_STATUS, invoice_cancelled("INV" + suffix, draw(VERSIONS))),
                (PO_CONFIRM, po_confirmation("PO" + suffix, "ACCEPT", 2, 3)),
                (PAYMENT_RESPONSE, payment_response("PMT" + suffix, "UTR" + suffix[:10])),
            ]
        )
    )
    if draw(st.booleans()):
        document = copy.deepcopy(document)  # the builders share B2B_IDS
        node: Any = document
        while isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
            if not isinstance(node[key], dict) or draw(st.booleans()):
                node[key] = draw(ODD_VALUE)
                break
            node = node[key]
    return path, json.dumps(document).encode()


BODIES = st.one_of(
    st.binary(max_size=200),
    st.integers(1, 200_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(1, 200_000).map(lambda depth: b'{"a":' * depth + b"0" + b"}" * depth),
    st.integers(1, 10_000).map(lambda digits: b"9" * digits),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    ).map(lambda value: json.dumps(value).encode()),
)
PATHS = st.one_of(
    st.sampled_from(sorted(ROUTES)).map(lambda path: "/" + path),
    st.sampled_from([INVOICE_CREATE, INVOICE_STATUS, PAYMENT_RESPONSE]).map(lambda p: p + "/"),
    st.text(max_size=60),
)
AUTH_NAMES = st.sampled_from([TIMESTAMP_HEADER, SIGNATURE_HEADER, STATIC_HEADER]).flatmap(
    lambda name: st.sampled_from([name, name.lower(), name.upper()])
)
OTHER_NAMES = st.one_of(
    st.sampled_from(["Content-Type", "Content-Length", "Transfer-Encoding", "Host"]),
    st.text(max_size=20),
)
MESSAGE_IDS = st.one_of(
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=30),
    st.text(string.printable, max_size=250),
    st.text(max_size=30),
)


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]], bytes]:
    """A path, headers as given (a name may come twice, in any case) and a body; most
    often signed, sometimes twice, stale, or with odd authentication headers."""
    path, body = draw(st.one_of(documents(), st.tuples(PATHS, BODIES)))
    headers = draw(st.lists(st.tuples(OTHER_NAMES, ODD_TEXT), max_size=4))
    signing = draw(st.sampled_from(["signed", "signed", "static", "twice", "stale", "odd", "none"]))
    if signing in ("signed", "twice", "stale"):
        at = time.time() - (1000 if signing == "stale" else 0)
        headers += list(signed(body, at=at)[0].items())
    if signing == "twice":
        headers += list(signed(body)[0].items())
    if signing == "static":
        headers.append((STATIC_HEADER, STATIC_VALUE))
    if signing == "odd":
        headers += draw(st.lists(st.tuples(AUTH_NAMES, ODD_TEXT), min_size=1, max_size=4))
    if draw(st.booleans()):
        headers.append((MESSAGE_ID_HEADER, draw(MESSAGE_IDS)))
    return path, draw(st.permutations(headers)), body


def recorded_nothing(core: PaymentsCore, inbox: WebhookInbox, before: tuple[int, int]) -> bool:
    return (stored(core), len(inbox.parked())) == before


@given(delivery=deliveries())
def test_every_delivery_is_answered_and_a_refusal_records_nothing(
    shared: tuple[PaymentsCore, WebhookInbox], delivery: tuple[str, list[tuple[str, str]], bytes]
) -> None:
    """Any path, headers and body: a JSON 2xx/4xx answer; a 4xx writes nothing."""
    core, inbox = shared
    path, headers, body = delivery
    before = (stored(core), len(inbox.parked()))
    status, answer = inbox.handle(path, dict(headers), body)
    assert status in ANSWERS, answer
    document = answered(status, answer)
    event(f"{status} {document.get('outcome') or document['code']}")
    if status >= 400:
        assert recorded_nothing(core, inbox, before)


METHODS = st.one_of(
    st.just("POST"),
    st.just("POST"),
    st.just("POST"),
    st.sampled_from(["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "post"]),
    st.text(string.ascii_uppercase, min_size=1, max_size=10),
)
#: the Content-Length headers of a request: none, the body's ("exact"), or odd ones
LENGTHS = (
    st.just(["exact"])
    | st.just([])
    | st.lists(
        st.one_of(
            st.sampled_from(["abc", "-1", "+5", " 5", "1e3", "0x10", "", "5, 5", "9" * 30, "١٢"]),
            st.integers(0, 2 << 20).map(str),
        ),
        max_size=3,
    )
)


@given(
    delivery=deliveries(),
    method=METHODS,
    lengths=LENGTHS,
    chunked=st.sampled_from([False, False, True]),
    cuts=st.lists(st.integers(0, 300), max_size=4),
)
def test_the_asgi_app_answers_every_request_once(
    shared: tuple[PaymentsCore, WebhookInbox],
    delivery: tuple[str, list[tuple[str, str]], bytes],
    method: str,
    lengths: list[str],
    chunked: bool,
    cuts: list[int],
) -> None:
    """Any method, framing and body, in any chunks: one JSON answer, one Content-Length."""
    core, inbox = shared
    path, headers, body = delivery
    raw_headers = [
        (name.lower().encode("utf-8", "surrogatepass"), value.encode("utf-8", "surrogatepass"))
        for name, value in headers
    ]
    raw_headers += [
        (b"content-length", str(len(body)).encode() if length == "exact" else length.encode())
        for length in lengths
    ]
    if chunked:
        raw_headers.append((b"transfer-encoding", b"chunked"))
    edges = sorted({0, len(body), *(min(cut, len(body)) for cut in cuts)})
    chunks = [
        {"type": "http.request", "body": body[a:b], "more_body": b < len(body)}
        for a, b in itertools.pairwise(edges)
    ] or [{"type": "http.request", "body": b"", "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": raw_headers}
    before = (stored(core), len(inbox.parked()))
    asyncio.run(WebhookApp(inbox, max_body=1 << 16)(scope, receive, send))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    status, answer = sent[0]["status"], sent[1]["body"]
    assert status in ANSWERS | {405, 413}, answer
    document = answered(status, answer)
    event(f"{status} {document.get('outcome') or document['code']}")
    assert (b"content-length", str(len(answer)).encode()) in sent[0]["headers"]
    if method != "POST":
        assert (status, (b"allow", b"POST")) == (405, sent[0]["headers"][-1])
    if status >= 400:
        assert recorded_nothing(core, inbox, before)


# -- a store that fails ------------------------------------------------------------------


#: the event table of each store, and the inbox's own
TABLES = {
    "sqlite": {"events": "stored_events", "parked": "paycore_webhook_parked"},
    "postgres": {"events": "paymentscore_events", "parked": "paycore_webhook_parked"},
}


@pytest.fixture(params=["sqlite", "postgres"])
def breakable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A store URL and a function that drops one of its tables, as an outside fault would."""
    tables = TABLES[request.param]
    if request.param == "sqlite":
        path = tmp_path / "paycore.db"

        def drop_sqlite(table: str) -> None:
            with sqlite3.connect(path) as db:
                db.execute(f"DROP TABLE {tables[table]}")

        yield f"sqlite:///{path}", drop_sqlite
        return
    require_postgres()
    with PostgresSchema() as schema:

        def drop_postgres(table: str) -> None:
            with psycopg.connect(POSTGRES_DSN, autocommit=True) as db:
                db.execute(f'DROP TABLE "{schema.name}".{tables[table]}')

        yield schema.url, drop_postgres


@pytest.mark.parametrize(
    ("table", "path", "body"),
    [
        ("events", INVOICE_CREATE, invoice_created("INV" + "1" * 32)),
        ("parked", INVOICE_STATUS, invoice_cancelled("INV" + "2" * 32)),
    ],
    ids=["event-store", "parked-table"],
)
def test_a_store_fault_is_a_503_the_sender_may_retry(
    breakable: tuple[str, Any], table: str, path: str, body: dict[str, Any]
) -> None:
    url, drop = breakable
    core = PaymentsCore(url, otp_key=OTP_KEY)
    inbox = WebhookInbox(core, WebhookAuth(signing_secrets=(SECRET,)))
    try:
        drop(table)
        status, answer = inbox.handle(path, *signed(body))
        assert (status, answered(status, answer)["code"]) == (503, "WEBHOOK_STORE_UNAVAILABLE")
    finally:
        inbox.close()
        core.close()


def test_a_delivery_refused_by_a_locked_store_is_a_503_and_applies_when_sent_again() -> None:
    """The write times out (another session holds the event table) while reads still
    work: the answer is still 503, never a 400 that tells the sender to give up."""
    require_postgres()
    with PostgresSchema() as schema:
        core = PaymentsCore(f"{schema.url}&lock_timeout=1", otp_key=OTP_KEY)
        inbox = WebhookInbox(core, WebhookAuth(signing_secrets=(SECRET,)))
        headers, body = signed(invoice_created("INV" + "3" * 32))
        try:
            with psycopg.connect(POSTGRES_DSN) as holder:
                holder.execute(
                    f'LOCK TABLE "{schema.name}".{TABLES["postgres"]["events"]} IN EXCLUSIVE MODE'
                )
                locked = inbox.handle(INVOICE_CREATE, headers, body)
            again = inbox.handle(INVOICE_CREATE, headers, body)
        finally:
            inbox.close()
            core.close()
    assert (locked[0], answered(*locked)["code"]) == (503, "WEBHOOK_STORE_UNAVAILABLE")
    assert (again[0], answered(*again)["outcome"]) == (200, "applied")


@pytest.mark.parametrize(
    ("current", "field"),
    [
        (MAX_OBJECT_VERSION, "object_version.new"),
        (2**63, "object_version.current"),
        (2**64, "object_version.current"),
    ],
)
def test_an_object_version_past_the_largest_is_malformed_and_never_parked(
    shared: tuple[PaymentsCore, WebhookInbox], current: int, field: str
) -> None:
    core, inbox = shared
    before = (stored(core), len(inbox.parked()))
    body = invoice_cancelled("INV" + "9" * 32, current)
    status, answer = inbox.handle(INVOICE_STATUS, *signed(body))
    document = answered(status, answer)
    assert (status, document["code"], document["field"]) == (400, "INVALID_ARGUMENT", field)
    assert recorded_nothing(core, inbox, before)


def test_an_object_version_at_the_largest_waits_for_its_gap(
    shared: tuple[PaymentsCore, WebhookInbox],
) -> None:
    _, inbox = shared
    body = invoice_cancelled("INV" + "A" * 32, MAX_OBJECT_VERSION - 1)
    status, answer = inbox.handle(INVOICE_STATUS, *signed(body))
    assert (status, answered(status, answer)["outcome"]) == (202, "parked")
    assert MAX_OBJECT_VERSION - 1 in [parked.current_version for parked in inbox.parked()]

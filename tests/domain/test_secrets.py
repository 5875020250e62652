"""No PIN or OTP reaches the store: every byte of the SQLite file and every PostgreSQL row."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import psycopg
from psycopg import sql

from paycore.domain.card_account import Card, CardAccount
from paycore.domain.core import PaymentsCore
from paycore.domain.errors import OtpMismatch
from paycore.domain.otp import Pin
from tests.conftest import POSTGRES_DSN, PostgresSchema

PIN = "7391"
OTP = "582914"
WRONG_OTP = "640275"


class PlatformPins:
    def __init__(self) -> None:
        self.received: list[str] = []

    def set_pin(self, account: CardAccount, card: Card, pin: Pin) -> None:
        self.received.append(pin.value)


def business_with_secrets(url: str) -> PlatformPins:
    """Commands that carry the known PIN and OTPs, on a fixed clock and counted ids."""
    counter = itertools.count(1)
    pins = PlatformPins()
    core = PaymentsCore(
        url,
        clock=lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        ids=lambda: UUID(int=next(counter)),
        otp_codes=lambda: OTP,
        otp_key=b"secret-otp-key-of-32-bytes-long!",
        pin_gateway=pins,
    )
    try:
        account_id = core.open_card_account("CO1", "Acme", "Main", "CORPORATE")
        card_id = core.issue_card(account_id, "PREPAID")
        core.set_card_pin(account_id, card_id, PIN)
        core.request_card_otp(account_id, card_id)
        with_wrong_otp(lambda: core.verify_card_otp(account_id, card_id, WRONG_OTP))
        core.verify_card_otp(account_id, card_id, OTP)
        invoice_id = core.receive_invoice(
            "INV" + "7" * 32, "S-1", "500.00", buyer_b2b_id="B", supplier_b2b_id="S"
        )
        core.respond_to_invoice(invoice_id, "ACCEPT", "ok")
        payment_id = core.initiate_payment([invoice_id])
        core.request_payment_otp(payment_id)
        with_wrong_otp(lambda: core.authorise_payment(payment_id, WRONG_OTP))
        core.authorise_payment(payment_id, OTP)
        for aggregate_id in (account_id, invoice_id, payment_id):
            core.take_snapshot(aggregate_id)
    finally:
        core.close()
    return pins


def with_wrong_otp(command: Callable[[], object]) -> None:
    try:
        command()
    except OtpMismatch:
        return
    raise AssertionError("the wrong OTP was accepted")


def assert_no_secret(data: bytes, where: str) -> None:
    for secret in (PIN, OTP, WRONG_OTP):
        assert secret.encode() not in data, f"{secret} found in {where}"


def test_no_pin_or_otp_in_any_byte_of_the_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "paycore.db"
    pins = business_with_secrets(f"sqlite:///{database}")

    assert pins.received == [PIN], "the PIN went to the platform"
    files = list(tmp_path.iterdir())
    assert database in files
    assert b"Acme" in b"".join(p.read_bytes() for p in files), "the scan reads plain content"
    for path in files:
        assert_no_secret(path.read_bytes(), path.name)


def test_no_pin_or_otp_in_any_postgres_row(postgres_schema: PostgresSchema) -> None:
    business_with_secrets(postgres_schema.url)

    with psycopg.connect(POSTGRES_DSN) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (postgres_schema.name,),
        ).fetchall()
        assert len(tables) >= 2, "events and snapshots"
        for (table,) in tables:
            rows = conn.execute(
                sql.SQL("SELECT * FROM {}.{}").format(
                    sql.Identifier(postgres_schema.name), sql.Identifier(table)
                )
            ).fetchall()
            assert rows, f"{table} has rows"
            if table.endswith("_events"):
                assert b"Acme" in repr(rows).encode(), "the scan reads plain content"
            assert_no_secret(repr(rows).encode(), table)
            for row in rows:
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        assert_no_secret(bytes(value), table)


def test_secret_values_never_show_in_reprs() -> None:
    assert PIN not in repr(Pin(PIN))
    issued_text = repr(PaymentsCore("memory://")._issue_otp("TEST")[0])
    assert "******" in issued_text

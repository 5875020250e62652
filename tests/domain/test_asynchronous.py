"""AsyncPaymentsCore: every command and query of PaymentsCore, awaitable on a bounded pool,
with the same parameters and the same typed errors."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paycore.domain import AsyncPaymentsCore, CommandContext, PaycoreError, PaymentsCore
from paycore.domain.asynchronous import Awaited
from paycore.domain.errors import ConfigurationError, GiftCardReload

OPS = CommandContext(actor="ops@acme.example", source="api")


def commands_and_queries() -> dict[str, object]:
    """Every public method of PaymentsCore's command modules, by name (``close``, which a
    module extends to close what it opened, is the application's, not a command)."""
    return {
        name: member
        for cls in PaymentsCore.__mro__
        if cls.__module__.startswith("paycore.domain.commands.")
        for name, member in vars(cls).items()
        if not name.startswith("_") and name != "close" and callable(getattr(PaymentsCore, name))
    }


def test_every_command_and_query_has_an_awaitable_twin_of_the_same_signature() -> None:
    methods = commands_and_queries()
    assert len(methods) >= 40
    core = AsyncPaymentsCore(PaymentsCore("memory://"))
    for name, member in methods.items():
        original = getattr(PaymentsCore, name)
        twin = vars(AsyncPaymentsCore)[name]
        if isinstance(member, staticmethod):
            assert getattr(AsyncPaymentsCore, name) is original, name
            continue
        assert isinstance(twin, Awaited), name
        assert twin.method is original, name
        awaited = getattr(core, name)
        assert inspect.iscoroutinefunction(awaited), name
        own, *parameters = inspect.signature(original).parameters.values()
        assert own.name == "self"
        assert inspect.signature(awaited) == inspect.signature(original).replace(
            parameters=parameters
        ), name
    asyncio.run(core.aclose())


def test_the_async_core_has_nothing_the_core_does_not() -> None:
    twins = {name for name, value in vars(AsyncPaymentsCore).items() if isinstance(value, Awaited)}
    statics = {"invoice_id", "purchase_order_id"}
    assert twins | statics == commands_and_queries().keys()


def test_commands_run_on_the_workers_never_on_the_event_loop(tmp_path: Path) -> None:
    threads: set[str] = set()

    def clock() -> datetime:
        threads.add(threading.current_thread().name)
        return datetime.now(UTC)

    async def open_accounts() -> list[object]:
        async with AsyncPaymentsCore(
            PaymentsCore(f"sqlite:///{tmp_path / 'p.db'}", clock=clock), workers=2
        ) as core:
            opened = [
                core.open_card_account(f"CO-{n}", "Acme", "Travel", "CORPORATE", context=OPS)
                for n in range(12)
            ]
            ids = await asyncio.gather(*opened)
            return [(await core.get_card_account(i)).company_id for i in ids]

    assert asyncio.run(open_accounts()) == [f"CO-{n}" for n in range(12)]
    assert threading.main_thread().name not in threads
    assert 1 <= len(threads) <= 2
    assert all(name.startswith("paycore") for name in threads)


def test_at_most_workers_calls_run_at_once() -> None:
    running, peak = 0, 0
    lock = threading.Lock()
    both_running = threading.Barrier(2, timeout=10)

    def call() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        both_running.wait()
        with lock:
            running -= 1

    async def burst() -> None:
        async with AsyncPaymentsCore(PaymentsCore("memory://"), workers=2) as core:
            await asyncio.gather(*(core.to_thread(call) for _ in range(10)))

    asyncio.run(burst())
    assert peak == 2


def test_a_refusal_is_the_same_typed_error() -> None:
    async def reload_a_gift_card() -> tuple[str, str]:
        async with AsyncPaymentsCore(PaymentsCore("memory://")) as core:
            account = await core.open_card_account("CO-1", "Acme", "Travel", "CORPORATE")
            card = await core.issue_card(account, "GIFT", initial_load="500.00", context=OPS)
            with pytest.raises(GiftCardReload) as refused:
                await core.load_card(account, card, "100.00", context=OPS)
            assert refused.value.details == {"card_id": card}
            balance = (await core.get_card_account(account)).card(card).balance
            return refused.value.code, str(balance)

    assert asyncio.run(reload_a_gift_card()) == ("GIFT_CARD_RELOAD", "500.00")


def test_concurrent_awaited_payments_never_overpay_an_invoice(tmp_path: Path) -> None:
    """Eight part payments of 300.00 against 1,000.00, at once: three are authorised."""

    async def pay(core: AsyncPaymentsCore, invoice_id: object, n: int) -> str:
        try:
            payment = await core.initiate_payment([invoice_id], amount="300.00")
            otp = await core.request_payment_otp(payment)
            await core.authorise_payment(payment, otp.otp, idempotency_key=f"pay-{n}")
        except PaycoreError as refusal:
            return refusal.code
        return "AUTHORISED"

    async def race() -> tuple[list[str], str]:
        url = f"sqlite:///{tmp_path / 'race.db'}"
        async with AsyncPaymentsCore(PaymentsCore(url), workers=4) as core:
            object_id = "INV" + "0" * 31 + "9"
            invoice_id = await core.receive_invoice(
                object_id, "SI/9", "1000.00", allows_partial=True,
                buyer_b2b_id="B", supplier_b2b_id="S",
            )  # fmt: skip
            await core.respond_to_invoice(invoice_id, "ACCEPT", "ok", context=OPS)
            outcomes = await asyncio.gather(*(pay(core, invoice_id, n) for n in range(8)))
            return list(outcomes), str((await core.get_invoice(invoice_id)).outstanding)

    outcomes, outstanding = asyncio.run(race())
    assert outcomes.count("AUTHORISED") == 3
    assert set(outcomes) - {"AUTHORISED"} <= {"INVOICE_OVERPAYMENT", "PARTIAL_PAYMENT_AMOUNT"}
    assert outstanding == "100.00"


def test_a_closed_async_core_takes_no_call_and_closes_its_core() -> None:
    closed: list[bool] = []

    class Watched(PaymentsCore):
        def close(self) -> None:
            closed.append(True)
            super().close()

    async def after_closing() -> None:
        core = AsyncPaymentsCore(Watched("memory://"))
        await core.aclose()
        with pytest.raises(ConfigurationError, match="closed"):
            await core.get_invoice(PaymentsCore.invoice_id("INV" + "0" * 32))

    asyncio.run(after_closing())
    assert closed == [True]


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "4"])
def test_workers_is_a_whole_number_from_one(workers: object) -> None:
    core = PaymentsCore("memory://")
    with pytest.raises(ConfigurationError) as refused:
        AsyncPaymentsCore(core, workers=workers)  # type: ignore[arg-type]
    assert refused.value.details == {"workers": repr(workers)}
    core.close()


def test_one_worker_is_enough() -> None:
    async def one() -> str:
        async with AsyncPaymentsCore(PaymentsCore("memory://"), workers=1) as core:
            account = await core.open_card_account("CO-1", "Acme", "Travel", "CORPORATE")
            return (await core.get_card_account(account)).company_id

    assert asyncio.run(one()) == "CO-1"


def test_call_context_variables_reach_the_worker() -> None:
    import contextvars  # noqa: PLC0415

    request: contextvars.ContextVar[str] = contextvars.ContextVar("request", default="none")

    async def seen() -> str:
        request.set("req-7")
        async with AsyncPaymentsCore(PaymentsCore("memory://"), workers=1) as core:
            reader: Callable[[], str] = request.get
            return await core.to_thread(reader)

    assert asyncio.run(seen()) == "req-7"

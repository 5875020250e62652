"""AsyncPaymentsCore: every command and query of PaymentsCore, awaitable.

paycore's stores are synchronous (the eventsourcing library's recorders, psycopg's
pool, sqlite3), so an event loop must not call a command itself: it would stop every
other request while the command waits for its transaction. ``AsyncPaymentsCore`` runs
each call on a pool of worker threads whose size the host chooses, and awaits it::

    core = AsyncPaymentsCore(PaymentsCore("sqlite:///paycore.db"), workers=4)
    payment_id = await core.initiate_payment([invoice_id], amount="400.00")
    await core.aclose()  # or: async with AsyncPaymentsCore(...) as core

Each method has the signature of the ``PaymentsCore`` method of the same name (it is
made from it, and mypy sees the same parameters), and raises the same typed errors.
At most ``workers`` calls run at once; more wait for a free worker, so a burst of
requests queues instead of opening threads and store connections without bound. On
PostgreSQL, give the store's pool (``pool_size`` + ``max_overflow`` of the URL) at least
as many connections as there are workers.

A call that is cancelled (its request went away) still runs to its end in its worker:
a command is never cut off inside its transaction. Whether it was applied is then
unknown to the caller, so commands that create things or move money take an
``idempotency_key``: sending the same call again returns the first outcome.

``core`` is the ``PaymentsCore`` itself, for what stays synchronous: a ``WebhookInbox``,
a ``Projector``, the log consumers' ``tracking()``. :meth:`to_thread` runs any such
synchronous call on the same workers.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Concatenate, Generic, ParamSpec, TypeVar, overload

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import ConfigurationError

P = ParamSpec("P")
Q = ParamSpec("Q")
R = TypeVar("R")
T = TypeVar("T")

#: Worker threads when the host does not say.
DEFAULT_WORKERS = 4


class Awaited(Generic[P, R]):
    """The ``PaymentsCore`` method ``method``, as an awaitable method of
    ``AsyncPaymentsCore``: same parameters, same result, run on its workers."""

    def __init__(self, method: Callable[Concatenate[PaymentsCore, P], R]) -> None:
        self.method = method
        _, *parameters = inspect.signature(method).parameters.values()
        self.signature = inspect.signature(method).replace(parameters=parameters)

    @overload
    def __get__(self, core: None, owner: type[AsyncPaymentsCore]) -> Awaited[P, R]: ...

    @overload
    def __get__(
        self, core: AsyncPaymentsCore, owner: type[AsyncPaymentsCore]
    ) -> Callable[P, Awaitable[R]]: ...

    def __get__(
        self, core: AsyncPaymentsCore | None, owner: type[AsyncPaymentsCore]
    ) -> Awaited[P, R] | Callable[P, Awaitable[R]]:
        if core is None:
            return self
        method = self.method

        @functools.wraps(method)
        async def awaited(*args: P.args, **kwargs: P.kwargs) -> R:
            return await core.to_thread(method, core.core, *args, **kwargs)

        awaited.__signature__ = self.signature  # type: ignore[attr-defined]
        return awaited


class AsyncPaymentsCore:
    """``PaymentsCore``'s commands and queries as coroutines, on at most ``workers``
    threads. It owns ``core``: :meth:`aclose` closes both."""

    def __init__(self, core: PaymentsCore, *, workers: int = DEFAULT_WORKERS) -> None:
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            msg = f"workers is a whole number from 1, not {workers!r}"
            raise ConfigurationError(msg, workers=repr(workers))
        self.core = core
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="paycore")

    async def to_thread(self, call: Callable[Q, T], /, *args: Q.args, **kwargs: Q.kwargs) -> T:
        """``call(*args, **kwargs)`` on one of the workers (with the caller's context
        variables, as ``asyncio.to_thread``), awaited."""
        context = contextvars.copy_context()
        bound = functools.partial(context.run, call, *args, **kwargs)
        try:
            future = asyncio.get_running_loop().run_in_executor(self._pool, bound)
        except RuntimeError:  # the pool is shut down: no call is taken any more
            msg = "this AsyncPaymentsCore is closed; build a new one"
            raise ConfigurationError(msg) from None
        return await future

    async def aclose(self) -> None:
        """Lets the calls in progress finish, then closes the pool and the core."""
        await asyncio.to_thread(self._close)

    def _close(self) -> None:
        self._pool.shutdown(wait=True)
        self.core.close()

    async def __aenter__(self) -> AsyncPaymentsCore:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # Ids from objectIds: pure functions, nothing to wait for.
    invoice_id = staticmethod(PaymentsCore.invoice_id)
    purchase_order_id = staticmethod(PaymentsCore.purchase_order_id)

    # Cards (paycore.domain.commands.cards).
    get_card_account = Awaited(PaymentsCore.get_card_account)
    open_card_account = Awaited(PaymentsCore.open_card_account)
    issue_card = Awaited(PaymentsCore.issue_card)
    activate_card = Awaited(PaymentsCore.activate_card)
    load_card = Awaited(PaymentsCore.load_card)
    record_card_spend = Awaited(PaymentsCore.record_card_spend)
    set_usage_controls = Awaited(PaymentsCore.set_usage_controls)
    set_card_pin = Awaited(PaymentsCore.set_card_pin)
    request_card_otp = Awaited(PaymentsCore.request_card_otp)
    verify_card_otp = Awaited(PaymentsCore.verify_card_otp)
    lock_card = Awaited(PaymentsCore.lock_card)
    unlock_card = Awaited(PaymentsCore.unlock_card)
    block_card = Awaited(PaymentsCore.block_card)
    replace_card = Awaited(PaymentsCore.replace_card)
    record_remote_card_account = Awaited(PaymentsCore.record_remote_card_account)
    record_remote_card = Awaited(PaymentsCore.record_remote_card)

    # Holders (paycore.domain.commands.holders).
    get_holder = Awaited(PaymentsCore.get_holder)
    holder_details = Awaited(PaymentsCore.holder_details)
    register_holder = Awaited(PaymentsCore.register_holder)
    correct_holder = Awaited(PaymentsCore.correct_holder)
    export_holder = Awaited(PaymentsCore.export_holder)
    forget_holder = Awaited(PaymentsCore.forget_holder)

    # Invoices (paycore.domain.commands.invoices).
    get_invoice = Awaited(PaymentsCore.get_invoice)
    receive_invoice = Awaited(PaymentsCore.receive_invoice)
    respond_to_invoice = Awaited(PaymentsCore.respond_to_invoice)
    edit_invoice = Awaited(PaymentsCore.edit_invoice)
    cancel_invoice = Awaited(PaymentsCore.cancel_invoice)
    receive_cd_note = Awaited(PaymentsCore.receive_cd_note)
    confirm_cd_note = Awaited(PaymentsCore.confirm_cd_note)

    # Payments (paycore.domain.commands.payments).
    get_payment = Awaited(PaymentsCore.get_payment)
    initiate_payment = Awaited(PaymentsCore.initiate_payment)
    request_payment_otp = Awaited(PaymentsCore.request_payment_otp)
    authorise_payment = Awaited(PaymentsCore.authorise_payment)
    submit_payment = Awaited(PaymentsCore.submit_payment)
    record_payment_success = Awaited(PaymentsCore.record_payment_success)
    record_payment_failure = Awaited(PaymentsCore.record_payment_failure)

    # Purchase orders (paycore.domain.commands.purchase_orders).
    get_purchase_order = Awaited(PaymentsCore.get_purchase_order)
    draft_purchase_order = Awaited(PaymentsCore.draft_purchase_order)
    send_purchase_order = Awaited(PaymentsCore.send_purchase_order)
    edit_purchase_order = Awaited(PaymentsCore.edit_purchase_order)
    record_po_response = Awaited(PaymentsCore.record_po_response)
    record_po_fulfilment = Awaited(PaymentsCore.record_po_fulfilment)
    close_purchase_order = Awaited(PaymentsCore.close_purchase_order)
    cancel_purchase_order = Awaited(PaymentsCore.cancel_purchase_order)

"""Rebuilds, followers and updates at once, in threads and in separate processes, on every
store: every view ends equal to a fold of the whole log, nothing crashes, and two
rebuilds take turns.

The tests compare every table of every view with a fresh projection of the log into a
new store, so a lost, extra or changed row in any view fails them.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from functools import partial
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import pytest

from paycore.domain.core import PaymentsCore
from paycore.domain.errors import StoreUnavailable
from paycore.projections import CARDS, Projector, ViewStore, open_views, sqlite
from paycore.projections.chain import verify
from paycore.projections.views import read_models
from tests.conftest import PostgresSchema, require_postgres, stored_positions
from tests.projections.expected import Clock, assert_views_match, exercise, object_id

#: What a rebuild logs when another one holds the store's rebuild lock.
WAITING = "another rebuild of these views is running: waiting for it to end"
#: Seconds a test waits for something another thread or process must do soon.
PATIENCE = 60


def differences_from_a_fresh_fold(core: PaymentsCore, store: ViewStore) -> dict[str, str]:
    """For each view table whose rows are not those of a projection of the whole log
    into a new store: how many rows are missing, extra and changed."""
    fresh = open_views("memory://")
    try:
        with Projector(core, fresh, views=read_models()) as folded:
            folded.update()
        found = {}
        for table in (table for view in read_models() for table in view.tables):
            want = {table.key_of(row): row for row in fresh.select(table)}
            have = {table.key_of(row): row for row in store.select(table)}
            changed = sum(1 for key in want.keys() & have.keys() if want[key] != have[key])
            missing, extra = len(want.keys() - have.keys()), len(have.keys() - want.keys())
            if missing or extra or changed:
                found[table.name] = f"{missing} missing, {extra} extra, {changed} changed"
        return found
    finally:
        fresh.close()


def assert_views_are_a_fold_of_the_log(core: PaymentsCore, store: ViewStore) -> None:
    assert differences_from_a_fresh_fold(core, store) == {}
    chain = verify(core.recorder, store)
    assert chain.ok, chain.reason
    assert chain.checked_position == core.recorder.max_notification_id()


def business(url: str, tag: int, count: int) -> None:
    """What a host service does meanwhile: accounts, cards, loads, invoices."""
    core = PaymentsCore(url)
    try:
        for n in range(count):
            account_id = core.open_card_account(f"CO-{tag}-{n}", "Acme", "Fuel", "CORPORATE")
            card_id = core.issue_card(account_id, "PREPAID", initial_load="100.00")
            core.activate_card(account_id, card_id, kyc_completed=True, terms_accepted=True)
            core.load_card(account_id, card_id, "5.00")
            invoice_id = core.receive_invoice(
                object_id("INV", tag * 1000 + n),
                f"SUP-{tag}-{n}",
                "50.00",
                buyer_b2b_id="b",
                supplier_b2b_id="s",
            )
            core.respond_to_invoice(invoice_id, "ACCEPT", "ok")
    finally:
        core.close()


class Seen(logging.Handler):
    """Sets ``event`` when a record with ``text`` is logged, from any thread."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


@pytest.fixture
def rebuild_waits() -> Iterator[threading.Event]:
    """Set once a rebuild logs that it waits for another one."""
    seen = Seen(WAITING)
    logger = logging.getLogger("paycore.projections")
    logger.addHandler(seen)
    yield seen.event
    logger.removeHandler(seen)


class Threads:
    """Threads whose exceptions the test sees."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []

    def start(self, target: Callable[[], object], name: str | None = None) -> None:
        def run() -> None:
            try:
                target()
            except BaseException as error:
                self.errors.append(error)
                raise

        thread = threading.Thread(target=run, name=name)
        self.threads.append(thread)
        thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(PATIENCE)
            assert not thread.is_alive()
        assert self.errors == []


# In one process: the interleavings, made to happen.


def test_a_batch_read_before_a_rebuild_reset_the_views_is_never_laid_over_them(
    core: PaymentsCore, projector: Projector, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A follower reads a batch; a rebuild empties the views and replays one event; the
    follower then projects its batch. Laid over the emptied views, the batch would skip
    every event between the first and the follower's position, for good."""
    exercise(core, clock)
    projector.update()
    account_id = core.open_card_account("CO-2", "Acme", "Fuel", "CORPORATE")
    core.issue_card(account_id, "PREPAID", initial_load="50.00")
    follower = Projector(core, projector.store)
    rebuilder = Projector(core, projector.store, batch_size=1)
    read, reset, followed = threading.Event(), threading.Event(), threading.Event()
    select_notifications = core.recorder.select_notifications

    def read_then_pause(*args: Any, **kwargs: Any) -> Any:
        batch = select_notifications(*args, **kwargs)
        if threading.current_thread().name == "follower" and not read.is_set():
            read.set()
            assert reset.wait(PATIENCE)
        return batch

    def after_the_first_event(done: int, target: int) -> None:
        if not reset.is_set():
            reset.set()
            assert followed.wait(PATIENCE)

    def follow_once() -> None:
        try:
            follower.update()
        finally:
            followed.set()

    monkeypatch.setattr(core.recorder, "select_notifications", read_then_pause)
    threads = Threads()
    threads.start(follow_once, name="follower")
    assert read.wait(PATIENCE)
    threads.start(lambda: rebuilder.rebuild(progress=after_the_first_event))
    threads.join()
    assert_views_are_a_fold_of_the_log(core, projector.store)
    assert_views_match(core, projector.store)
    assert projector.position() == core.recorder.max_notification_id()


def test_a_second_rebuild_waits_for_the_first_to_end_then_rebuilds_from_zero(
    core: PaymentsCore, projector: Projector, clock: Clock, rebuild_waits: threading.Event
) -> None:
    exercise(core, clock)
    projector.update()
    at = stored_positions(core)
    first = Projector(core, projector.store, batch_size=5)
    second = Projector(core, projector.store, batch_size=5)
    seen: list[tuple[str, int]] = []
    threads = Threads()

    def first_progress(done: int, target: int) -> None:
        seen.append(("first", done))
        if not threads.threads:
            threads.start(lambda: second.rebuild(lambda d, _: seen.append(("second", d))))
            assert rebuild_waits.wait(PATIENCE)

    assert first.rebuild(progress=first_progress) == len(at)
    threads.join()
    # after each batch of 5 events, the position of its last one; then the last of all
    batch_ends = [*at[4 : len(at) - 1 : 5], at[-1]]
    began = seen.index(("second", at[4]))
    assert seen[:began] == [("first", done) for done in batch_ends]
    assert seen[began:] == [("second", done) for done in batch_ends]
    assert_views_are_a_fold_of_the_log(core, projector.store)


def test_a_rebuild_that_stops_half_way_frees_the_lock_and_the_next_update_completes_it(
    core: PaymentsCore, projector: Projector, clock: Clock, rebuild_waits: threading.Event
) -> None:
    exercise(core, clock)
    projector.update()
    at = stored_positions(core)

    def ctrl_c(done: int, target: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Projector(core, projector.store, batch_size=3).rebuild(progress=ctrl_c)
    assert projector.position() == at[2]
    assert projector.update() == len(at) - 3
    assert_views_are_a_fold_of_the_log(core, projector.store)
    projector.rebuild()
    assert not rebuild_waits.is_set()
    assert_views_are_a_fold_of_the_log(core, projector.store)


def test_a_sqlite_writer_of_views_waits_for_the_write_lock_then_is_store_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite, "LOCK_TIMEOUT", 1)
    path = tmp_path / "views.db"
    store = sqlite.SQLiteViewStore(str(path))
    store.create_tables([CARDS])
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreUnavailable, match="database is locked") as refusal:
            store.reset([CARDS], [])
        assert refusal.value.details["operation"] == "emptying the views"
    finally:
        other.rollback()
        other.close()
    store.reset([CARDS], [])
    store.close()


def rebuild(projector: Projector, times: int) -> None:
    for _ in range(times):
        projector.rebuild()


def test_followers_updates_and_rebuilds_in_threads_end_equal_to_a_fold(
    core: PaymentsCore, projector: Projector, clock: Clock
) -> None:
    exercise(core, clock)
    store = projector.store
    stop = threading.Event()
    threads = Threads()
    threads.start(partial(Projector(core, store, batch_size=4).follow, stop, 0.001))
    for _ in range(2):
        threads.start(partial(rebuild, Projector(core, store, batch_size=3), 3))
    updater = Projector(core, store, batch_size=2)
    for n in range(5):
        account_id = core.open_card_account(f"CO-T{n}", "Acme", "Fuel", "CORPORATE")
        core.issue_card(account_id, "PREPAID", initial_load="10.00")
        updater.update()
    for rebuilder in threads.threads[1:]:
        rebuilder.join(PATIENCE)
    stop.set()
    threads.join()
    projector.update()
    assert_views_are_a_fold_of_the_log(core, store)
    assert_views_match(core, store)


# In separate processes, each with its own PaymentsCore, on a SQLite file and PostgreSQL.


@pytest.fixture(params=["sqlite", "postgres"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store that several processes open."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'paycore.db'}"
        return
    require_postgres()
    with PostgresSchema() as schema:
        yield schema.url


def paycore(url: str, *args: str, **options: Any) -> subprocess.Popen[str]:
    """The command line, in a process of its own."""
    command = "from paycore.adapters.cli.main import run; run()"
    return subprocess.Popen(
        [sys.executable, "-c", command, "--db", url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **options,
    )


def finished(process: subprocess.Popen[str]) -> tuple[int, str]:
    """The exit code and the standard error of a process left to end."""
    _, errors = process.communicate(timeout=PATIENCE)
    return process.returncode, errors


def only_waits(errors: str) -> bool:
    """Nothing on standard error but the notice that a rebuild waits for another."""
    return all(WAITING in line for line in errors.splitlines())


#: A process that holds the rebuild lock of the views at ``sys.argv[1]`` until killed.
HOLD_THE_REBUILD_LOCK = """
import sys
from paycore.projections import open_views
lock = open_views(sys.argv[1]).rebuilding()
lock.__enter__()
print("held", flush=True)
sys.stdin.read()
"""


def test_a_rebuild_waits_for_one_in_another_process_whose_lock_dies_with_it(
    shared_url: str,
) -> None:
    business(shared_url, 1, 2)
    core = PaymentsCore(shared_url)
    with Projector(core) as projector:
        projector.update()
        reached = projector.position()
        with projector.store.writing() as cursor:
            cursor.execute(f"DELETE FROM {projector.store.qualified(CARDS.name)}")
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD_THE_REBUILD_LOCK, shared_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline() == "held\n"
            rebuilding = paycore(shared_url, "views", "rebuild")
            assert rebuilding.stderr is not None
            assert WAITING in rebuilding.stderr.readline()
            # It waits before touching anything: the rows deleted above are still gone,
            # and no position was reset.
            assert projector.store.select(CARDS) == []
            assert projector.position() == reached
        finally:
            holder.kill()
            holder.communicate()
        code, errors = finished(rebuilding)
        assert code == 0, errors
        assert only_waits(errors), errors
        assert len(projector.store.select(CARDS)) == 2
        assert_views_are_a_fold_of_the_log(core, projector.store)
    core.close()


def test_views_follow_two_rebuilds_and_writers_in_separate_processes_end_equal_to_a_fold(
    shared_url: str,
) -> None:
    business(shared_url, 0, 3)
    follower = paycore(shared_url, "views", "follow", "--interval", "0.02")
    spawn = multiprocessing.get_context("spawn")
    writers = [spawn.Process(target=business, args=(shared_url, tag, 6)) for tag in (1, 2)]
    for writer in writers:
        writer.start()
    rebuilds: list[tuple[int, str]] = []

    def rebuild_twice() -> None:
        for _ in range(2):
            rebuilds.append(finished(paycore(shared_url, "views", "rebuild")))

    threads = Threads()
    threads.start(rebuild_twice)
    threads.start(rebuild_twice)
    for writer in writers:
        writer.join(PATIENCE)
    threads.join()
    follower.send_signal(signal.SIGINT)
    code, errors = finished(follower)
    assert (code, errors) == (130, "")
    assert [writer.exitcode for writer in writers] == [0, 0]
    assert [code for code, _ in rebuilds] == [0, 0, 0, 0], rebuilds
    assert all(only_waits(errors) for _, errors in rebuilds), rebuilds
    core = PaymentsCore(shared_url)
    with Projector(core) as projector:
        projector.update()
        assert_views_are_a_fold_of_the_log(core, projector.store)
    core.close()


def project_meanwhile(url: str, role: str, stop: EventType) -> None:
    """A follower, or a rebuilder that rebuilds three times, reading 4 events a batch
    so that the other processes cut in often; anything raised ends it non-zero."""
    core = PaymentsCore(url)
    try:
        with Projector(core, batch_size=4) as projector:
            if role == "follow":
                projector.follow(stop, 0.001)
            else:
                rebuild(projector, 3)
    finally:
        core.close()


def test_small_batches_of_followers_and_rebuilds_in_separate_processes_end_equal_to_a_fold(
    shared_url: str,
) -> None:
    business(shared_url, 0, 3)
    spawn = multiprocessing.get_context("spawn")
    stop = spawn.Event()
    follower = spawn.Process(target=project_meanwhile, args=(shared_url, "follow", stop))
    others = [
        spawn.Process(target=project_meanwhile, args=(shared_url, "rebuild", stop)),
        spawn.Process(target=project_meanwhile, args=(shared_url, "rebuild", stop)),
        spawn.Process(target=business, args=(shared_url, 1, 5)),
        spawn.Process(target=business, args=(shared_url, 2, 5)),
    ]
    for process in [follower, *others]:
        process.start()
    for process in others:
        process.join(PATIENCE * 2)
    stop.set()
    follower.join(PATIENCE)
    assert [p.exitcode for p in [follower, *others]] == [0] * 5
    core = PaymentsCore(shared_url)
    with Projector(core) as projector:
        projector.update()
        assert_views_are_a_fold_of_the_log(core, projector.store)
    core.close()

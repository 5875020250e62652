"""Read commands create nothing: through real ``paycore`` processes, a mistyped SQLite
path is a one-line CONFIGURATION error and no file, views never built are a one-line
NOT_FOUND that says to run ``paycore views rebuild`` and no table, and bad numbers are
one-line usage errors. No Python exception name reaches stderr."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import psycopg
import pytest

from paycore.domain.core import PaymentsCore
from tests.adapters.cli.test_cli import paycore
from tests.conftest import POSTGRES_DSN, PostgresSchema

ID = "0fbcc460-8b5f-4152-a766-14709fa77a78"
#: every command that only reads views (the audit ones catch built views up first)
VIEW_READERS = [
    ["views", "show", "invoices"],
    ["audit", "trail", ID],
    ["audit", "events"],
    ["audit", "digest", "--key", "k"],
    ["audit", "verify"],
]
READERS = [*VIEW_READERS, ["audit", "as-of", ID, "--version", "1"]]
EXCEPTION_NAME = re.compile(r"Traceback|\b[A-Z]\w*(Error|Exception)\b")


def one_line(stderr: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert not EXCEPTION_NAME.search(stderr), stderr
    return lines[0]


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_a_mistyped_sqlite_path_is_one_line_and_creates_no_file(
    command: list[str], tmp_path: Path
) -> None:
    missing = tmp_path / "typo.db"
    done = paycore("--db", f"sqlite:///{missing}", *command, cwd=tmp_path)
    assert done.returncode == 3
    line = one_line(done.stderr)
    assert line.startswith("paycore: error: CONFIGURATION: no store at ")
    assert str(missing) in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", VIEW_READERS, ids=" ".join)
def test_views_never_built_are_one_line_not_found_and_no_table_is_created(
    command: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "paycore.db"
    core = PaymentsCore(f"sqlite:///{path}")
    core.open_card_account("CO1", "Acme", "Travel", "CORPORATE", "100.00")
    core.close()
    done = paycore("--db", f"sqlite:///{path}", *command, cwd=tmp_path)
    assert done.returncode == 1
    line = one_line(done.stderr)
    assert line == (
        f"paycore: error: NOT_FOUND: no views in {path}: run 'paycore views rebuild' to build them"
    )
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert not any(name.startswith("paycore_") for name in tables), tables


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["views", "show", "invoices", "--limit", "-1"], "--limit"),
        (["views", "follow", "--interval", "-1"], "--interval"),
        (["views", "follow", "--interval", "0"], "--interval"),
        (["audit", "events", "--limit", "-1"], "--limit"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_negative_numbers_are_one_line_usage_errors(
    command: list[str], option: str, tmp_path: Path
) -> None:
    done = paycore("--db", f"sqlite:///{tmp_path / 'any.db'}", *command, cwd=tmp_path)
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert f"usage error: argument {option}: " in line
    assert list(tmp_path.iterdir()) == []


READ_AND_SYNC = [*READERS, ["sync", "dead-letters"]]


@pytest.mark.parametrize("command", READ_AND_SYNC, ids=" ".join)
def test_an_empty_postgresql_schema_is_refused_and_left_empty(
    command: list[str], postgres_schema: PostgresSchema, tmp_path: Path
) -> None:
    done = paycore("--db", postgres_schema.url, *command, cwd=tmp_path)
    assert done.returncode == 3
    assert one_line(done.stderr) == (
        f"paycore: error: CONFIGURATION: no store at {postgres_schema.url}: check --db "
        "(run 'paycore demo' to make one)"
    )
    with psycopg.connect(POSTGRES_DSN) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (postgres_schema.name,),
        ).fetchall()
    assert tables == []


def test_a_sqlite_file_that_is_not_a_store_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE notes (text)")
    done = paycore("--db", f"sqlite:///{path}", "audit", "verify", cwd=tmp_path)
    assert done.returncode == 3
    assert one_line(done.stderr) == (
        f"paycore: error: CONFIGURATION: no store at sqlite:///{path}: check --db "
        "(run 'paycore demo' to make one)"
    )
    with sqlite3.connect(path) as db:
        names = db.execute("SELECT name FROM sqlite_master").fetchall()
    assert names == [("notes",)]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_views_show_counts_the_events_it_is_behind_by(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "postgres":
        url = request.getfixturevalue("postgres_schema").url
    else:
        url = f"sqlite:///{tmp_path / 'paycore.db'}"
    core = PaymentsCore(url)
    account = core.open_card_account("CO1", "Acme", "Travel", "CORPORATE", "100.00")
    assert paycore("--db", url, "views", "update", cwd=tmp_path).returncode == 0
    core.issue_card(account, "PREPAID")
    one = paycore("--db", url, "views", "show", "cards", cwd=tmp_path)
    core.issue_card(account, "PREPAID")
    two = paycore("--db", url, "views", "show", "cards", cwd=tmp_path)
    core.close()
    assert one.stdout.splitlines()[-1] == (
        "(the views are 1 event behind: run 'paycore views update')"
    )
    assert two.stdout.splitlines()[-1] == (
        "(the views are 2 events behind: run 'paycore views update')"
    )

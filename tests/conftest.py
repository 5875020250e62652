"""Shared fixtures: the three stores every domain test runs on, and hypothesis profiles.

PostgreSQL tests create their own schema and drop it afterwards. With ``CI=true`` an
unreachable server fails them; elsewhere they skip, saying why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, settings

from paycore.domain.core import PaymentsCore

#: One OTP key for every core the tests start, subprocesses included (they inherit it).
TEST_OTP_KEY = "6c01a2df8d74bbddec53f1ccc082782f4480a1d499133e94ad743b7e71d1cb6f"
os.environ.setdefault("PAYCORE_OTP_KEY", TEST_OTP_KEY)
POSTGRES_DSN = os.environ.get("PAYCORE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

settings.register_profile(
    "ci",
    max_examples=200,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "dev"))


def postgres_available() -> str | None:
    """None when the server answers, else the reason it does not."""
    try:
        with psycopg.connect(POSTGRES_DSN, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL at {POSTGRES_DSN} is unreachable: {error}"


def require_postgres() -> None:
    reason = postgres_available()
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"{reason} (PostgreSQL tests are required when CI=true)")
    pytest.skip(reason)


class PostgresSchema:
    """A schema of its own for one test, dropped afterwards."""

    def __init__(self) -> None:
        self.name = f"paycore_test_{uuid.uuid4().hex[:12]}"

    @property
    def url(self) -> str:
        return f"{POSTGRES_DSN}?schema={self.name}"

    def __enter__(self) -> PostgresSchema:
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{self.name}"')
        return self

    def __exit__(self, *_: object) -> None:
        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')


@pytest.fixture
def postgres_schema() -> Iterator[PostgresSchema]:
    require_postgres()
    with PostgresSchema() as schema:
        yield schema


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty store of each kind."""
    if request.param == "memory":
        yield "memory://"
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'paycore.db'}"
    else:
        require_postgres()
        with PostgresSchema() as schema:
            yield schema.url


@pytest.fixture
def make_core(store_url: str) -> Iterator[Callable[..., PaymentsCore]]:
    """Builds PaymentsCore instances on the test's store; closes them afterwards."""
    cores: list[PaymentsCore] = []

    def make(**kwargs: object) -> PaymentsCore:
        core = PaymentsCore(store_url, **kwargs)  # type: ignore[arg-type]
        cores.append(core)
        return core

    yield make
    for core in cores:
        core.close()


@pytest.fixture
def core(make_core: Callable[..., PaymentsCore]) -> PaymentsCore:
    return make_core()


def stored_positions(core: PaymentsCore) -> list[int]:
    """The positions (notification ids) of every stored event, in log order. They are
    1, 2, 3... on memory and SQLite; on PostgreSQL they have gaps (a transaction's id is
    in their high bits), so tests name "the 7th event" as ``stored_positions(core)[6]``."""
    return [n.id for n in core.recorder.select_notifications(0, 10**9)]

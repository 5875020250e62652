"""paycore's pytest plugin: fixtures for a host service's own tests.

Registered through the ``pytest11`` entry point, so installing paycore is enough; every
fixture is named ``paycore_*``. It imports paycore only when a fixture is used, and
hypothesis (the ``testing`` extra) and psycopg (the ``postgres`` extra) only for the
fixtures that need them.

==========================  ==============================================================
``paycore_store``           the URL of a fresh store, once per kind: ``memory``, ``sqlite``,
                            ``postgres`` (narrow it with ``@pytest.mark.parametrize(
                            "paycore_store", ["sqlite"], indirect=True)``)
``paycore_sqlite_url``      a SQLite file in the test's ``tmp_path``
``paycore_postgres_url``    a PostgreSQL schema of its own, created and then dropped
``paycore_core``            a ``PaymentsCore`` on ``paycore_store``, closed afterwards
``paycore_sandbox``         the EnKash sandbox on a loopback port (settings: override the
                            ``paycore_sandbox_settings`` fixture)
``paycore_webhooks``        signs webhooks as the platform's sandbox does, and sends them
``paycore_run_machines``    runs the stateful machines on a core the host built
==========================  ==============================================================

PostgreSQL is reached at ``--paycore-postgres DSN`` (default ``$PAYCORE_TEST_POSTGRES``, else
``postgresql://postgres@127.0.0.1:5432/test``). When it is unreachable, or psycopg is not
installed, its tests skip saying why; with ``--paycore-require-postgres`` they fail.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from paycore.adapters.sandbox import Sandbox, SandboxSettings
    from paycore.adapters.webhooks import WebhookAuth
    from paycore.domain import PaymentsCore

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
STORES = ("memory", "sqlite", "postgres")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("paycore")
    group.addoption(
        "--paycore-postgres",
        default=os.environ.get("PAYCORE_TEST_POSTGRES", DEFAULT_POSTGRES),
        metavar="DSN",
        help="the PostgreSQL server of the paycore_* fixtures (a schema each, dropped after)",
    )
    group.addoption(
        "--paycore-require-postgres",
        action="store_true",
        help="fail, rather than skip, the paycore PostgreSQL tests when the server is down",
    )


class PostgresSchema:
    """A schema of its own on the server at ``dsn``, dropped on exit; ``url`` for paycore."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.name = f"paycore_test_{uuid.uuid4().hex[:12]}"

    @property
    def url(self) -> str:
        return f"{self.dsn}?schema={self.name}"

    def __enter__(self) -> PostgresSchema:
        self._execute(f'CREATE SCHEMA "{self.name}"')
        return self

    def __exit__(self, *_: object) -> None:
        self._execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')

    def _execute(self, statement: str) -> None:
        import psycopg  # noqa: PLC0415  (the postgres extra)

        with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as connection:
            connection.execute(statement.encode())


def _postgres_dsn(config: pytest.Config) -> str:
    """The server's DSN once it answers; else the test skips (or fails when required)."""
    dsn: str = config.getoption("--paycore-postgres")
    try:
        import psycopg  # noqa: PLC0415  (the postgres extra)
    except ImportError:
        reason = "the paycore PostgreSQL fixtures need psycopg: pip install 'paycore[postgres]'"
    else:
        try:
            with psycopg.connect(dsn, connect_timeout=3):
                return dsn
        except psycopg.Error as error:
            reason = f"PostgreSQL at {dsn} is unreachable: {error}"
    if config.getoption("--paycore-require-postgres"):
        pytest.fail(f"{reason} (--paycore-require-postgres)")
    pytest.skip(reason)


@pytest.fixture
def paycore_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'paycore.db'}"


@pytest.fixture
def paycore_postgres_url(pytestconfig: pytest.Config) -> Iterator[str]:
    with PostgresSchema(_postgres_dsn(pytestconfig)) as schema:
        yield schema.url


@pytest.fixture(params=STORES)
def paycore_store(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    url: str = request.getfixturevalue(f"paycore_{request.param}_url")
    return url


@pytest.fixture
def paycore_core(paycore_store: str) -> Iterator[PaymentsCore]:
    from paycore.domain import PaymentsCore  # noqa: PLC0415

    core = PaymentsCore(paycore_store, otp_key=secrets.token_bytes(32))
    yield core
    core.close()


@pytest.fixture
def paycore_sandbox_settings() -> SandboxSettings:
    from paycore.adapters.sandbox import SandboxSettings  # noqa: PLC0415

    return SandboxSettings()


@pytest.fixture
def paycore_sandbox(paycore_sandbox_settings: SandboxSettings) -> Iterator[Sandbox]:
    from paycore.adapters.sandbox import run_sandbox  # noqa: PLC0415

    with run_sandbox(paycore_sandbox_settings) as sandbox:
        yield sandbox


@dataclass(frozen=True)
class SignedWebhooks:
    """Webhooks signed with ``secret``, as the platform's sandbox signs them."""

    secret: bytes = field(repr=False)

    @property
    def auth(self) -> WebhookAuth:
        """What the host's inbox verifies these webhooks with."""
        from paycore.adapters.webhooks import WebhookAuth  # noqa: PLC0415

        return WebhookAuth(signing_secrets=(self.secret,))

    def send(self, url: str, path: str, body: Mapping[str, Any]) -> int:
        """POSTs ``body`` to ``url`` + ``path``; the receiver's status (0: unreachable)."""
        from paycore.adapters.sandbox import WebhookTarget, deliver  # noqa: PLC0415

        return deliver(WebhookTarget(url, signing_secret=self.secret), path, body)


@pytest.fixture
def paycore_webhooks() -> SignedWebhooks:
    return SignedWebhooks(secrets.token_bytes(32))


@pytest.fixture
def paycore_run_machines() -> Callable[..., None]:
    """``paycore_run_machines(core, machines=MACHINES, *, settings=None)``: see
    :func:`paycore.domain.testing.machines.run_machines` (needs the ``testing`` extra)."""
    from paycore.domain.testing.machines import run_machines  # noqa: PLC0415

    return run_machines

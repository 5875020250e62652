"""Which event store an application uses, from one URL: the store wiring.

``PaymentsCore`` resolves :func:`store_env` by its topic (``CommandRunner.store_wiring``),
so the domain names no database and imports nothing from here.

``memory://``, ``sqlite:///relative.db`` or ``sqlite:////absolute/path.db``, and
``postgresql://user[:password]@host[:port]/database?schema=name``. Only strings are
produced here: the eventsourcing library opens the store itself. PostgreSQL needs the
``postgres`` extra (``pip install 'paycore[postgres]'``); without it a PostgreSQL URL is a
:class:`ConfigurationError` that says so, and memory and SQLite work as before.
"""

from __future__ import annotations

import importlib.util
from urllib.parse import parse_qs, unquote, urlsplit

from paycore.domain.errors import ConfigurationError

#: The store of the CLI and the demo when neither a flag nor PAYCORE_DATABASE_URL names one.
DEFAULT_URL = "sqlite:///paycore.db"

#: What a PostgreSQL store needs installed: the modules the ``postgres`` extra brings.
POSTGRES_MODULES = ("psycopg", "psycopg_pool")
POSTGRES_EXTRA = "pip install 'paycore[postgres]'"

#: The recorder of a PostgreSQL store: writers commit together, without the library's
#: table lock, and followers still never skip or reorder an event (see postgres.py).
POSTGRES_FACTORY = "paycore.adapters.persistence.postgres:Factory"

#: Query parameters of a PostgreSQL URL and the library settings they become.
POSTGRES_OPTIONS = {
    "schema": "POSTGRES_SCHEMA",
    "pool_size": "POSTGRES_POOL_SIZE",
    "max_overflow": "POSTGRES_MAX_OVERFLOW",
    "lock_timeout": "POSTGRES_LOCK_TIMEOUT",
    "connect_timeout": "POSTGRES_CONNECT_TIMEOUT",
}


def store_env(url: str) -> dict[str, str]:
    """The eventsourcing settings for the store at ``url``."""
    if not isinstance(url, str):
        msg = f"a database URL is a string, not {type(url).__name__}"
        raise ConfigurationError(msg)
    scheme = url.partition("://")[0]
    if url == "memory://":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if scheme == "sqlite" and url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": unquote(url[len("sqlite:///") :]),
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    if scheme in ("postgresql", "postgres"):
        return _postgres_env(url)
    msg = (
        f"cannot use the database URL {redacted(url)!r}; use memory://, "
        "sqlite:///path/to/file.db or postgresql://user@host:port/db?schema=name"
    )
    raise ConfigurationError(msg)


def _postgres_env(url: str) -> dict[str, str]:
    missing = [name for name in POSTGRES_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        msg = f"a PostgreSQL store needs {' and '.join(missing)}: {POSTGRES_EXTRA}"
        raise ConfigurationError(msg, missing=missing)
    parts = urlsplit(url)
    database = parts.path.lstrip("/")
    if not parts.hostname or not database:
        msg = f"a PostgreSQL URL names a host and a database: {redacted(url)!r}"
        raise ConfigurationError(msg)
    env = {
        "PERSISTENCE_MODULE": POSTGRES_FACTORY,
        "POSTGRES_HOST": parts.hostname,
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_DBNAME": unquote(database),
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_LOCK_TIMEOUT": "5",
        "POSTGRES_POOL_SIZE": "5",
        # An unreachable server is reported in seconds, not after the library's 30.
        "POSTGRES_CONNECT_TIMEOUT": "5",
    }
    for name, values in parse_qs(parts.query).items():
        if name not in POSTGRES_OPTIONS:
            msg = f"unknown PostgreSQL URL option {name!r}; known: {sorted(POSTGRES_OPTIONS)}"
            raise ConfigurationError(msg)
        env[POSTGRES_OPTIONS[name]] = values[-1]
    return env


def redacted(url: str) -> str:
    """The URL without its password, fit for an error message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)

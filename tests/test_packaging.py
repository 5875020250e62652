"""The distribution: a built wheel holds the three packages under ``paycore``, publishes
only what a host installs (PostgreSQL, the server and the testing kit as extras, no
development tool), and runs the SQLite example in a fresh virtual environment, and the
PostgreSQL one once the postgres extra is added."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.conftest import PostgresSchema, require_postgres

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart.py"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(built), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (path,) = built.glob("paycore-*.whl")
    return path


def metadata(wheel: Path) -> tuple[list[str], list[str], str]:
    """The wheel's Requires-Dist, Provides-Extra, and entry points."""
    archive = zipfile.ZipFile(wheel)
    info = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
    points = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
    fields = Parser().parsestr(archive.read(info).decode())
    return (
        fields.get_all("Requires-Dist") or [],
        fields.get_all("Provides-Extra") or [],
        archive.read(points).decode(),
    )


def test_the_wheel_installs_paycore_domain_adapters_and_projections(
    wheel: Path, tmp_path: Path
) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("domain", "domain/testing", "adapters", "adapters/cli", "projections"):
        assert f"paycore/{package}/__init__.py" in names
    for package in ("domain", "adapters", "projections"):
        assert f"paycore/{package}/py.typed" in names
    assert not any(name.startswith(("domain/", "tests/", "examples/")) for name in names)

    # Unpacked as pip would install it. -S skips the .pth files, so the editable install
    # of this checkout cannot answer instead; the dependencies still come from this
    # environment's site-packages.
    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    probe = (
        "import paycore.domain, paycore.adapters.cli, paycore.projections as p;"
        "print(p.__file__, paycore.domain.__version__)"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        env={
            **os.environ,
            "PYTHONPATH": f"{installed}{os.pathsep}{sysconfig.get_paths()['purelib']}",
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.split() == [f"{installed}/paycore/projections/__init__.py", "0.1.0"], (
        result.stderr
    )


def test_postgres_and_the_tools_are_not_in_the_base_install(wheel: Path) -> None:
    requires, extras, _ = metadata(wheel)
    base = [r for r in requires if "extra ==" not in r]
    assert not [r for r in base if r.startswith(("psycopg", "uvicorn", "hypothesis"))]
    assert "eventsourcing[cryptography]==9.5.*" in base
    assert sorted(extras) == ["postgres", "server", "telemetry", "testing"]
    postgres = {r.partition(";")[0].strip() for r in requires if 'extra == "postgres"' in r}
    assert postgres == {"eventsourcing[postgres]==9.5.*", "psycopg[binary,pool]<3.4,>=3.2"}
    tools = ("pytest", "mypy", "ruff", "fastapi", "mkdocs")
    assert not [r for r in requires if r.startswith(tools)]


def test_the_pytest_plugin_is_registered(wheel: Path) -> None:
    assert "[pytest11]\npaycore = paycore.adapters.pytest_plugin" in metadata(wheel)[2]


def run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=600
    )


@pytest.mark.slow
def test_a_fresh_environment_runs_the_sqlite_example_then_with_the_extra_postgres(
    wheel: Path, tmp_path: Path
) -> None:
    require_postgres()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    installed = run(python, "-m", "pip", "install", "-q", str(wheel), cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    assert run(python, "-c", "import psycopg", cwd=tmp_path).returncode == 1

    on_sqlite = run(python, str(QUICKSTART), f"sqlite:///{tmp_path / 'q.db'}", cwd=tmp_path)
    assert (on_sqlite.returncode, on_sqlite.stdout) == (0, "paycore 0.1.0: PARTIALLY_PAID 680.00\n")
    with PostgresSchema() as schema:
        without = run(python, str(QUICKSTART), schema.url, cwd=tmp_path)
        assert (without.returncode, without.stdout) == (1, "")
        assert without.stderr == (
            "CONFIGURATION: a PostgreSQL store needs psycopg and psycopg_pool: "
            "pip install 'paycore[postgres]'\n"
        )
        extra = run(python, "-m", "pip", "install", "-q", f"{wheel}[postgres]", cwd=tmp_path)
        assert extra.returncode == 0, extra.stderr
        on_postgres = run(python, str(QUICKSTART), schema.url, cwd=tmp_path)
    assert (on_postgres.returncode, on_postgres.stdout) == (
        0,
        "paycore 0.1.0: PARTIALLY_PAID 680.00\n",
    ), on_postgres.stderr

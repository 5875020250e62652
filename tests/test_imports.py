"""The direction of dependencies: the domain imports no edge, and nobody imports bare names."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("domain", "adapters", "projections")
#: What domain code may never import, directly or through another paycore package.
FORBIDDEN_IN_DOMAIN = (
    "paycore.adapters",
    "paycore.projections",
    "httpx",
    "psycopg",
    "psycopg_pool",
    "pydantic",
    "eventsourcing.postgres",
    "eventsourcing.sqlite",
)


def imported_modules(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def python_files(*folders: str) -> list[Path]:
    return [p for folder in folders for p in sorted((ROOT / folder).rglob("*.py"))]


def test_python_files_are_found() -> None:
    assert len(python_files("domain")) >= 10


def test_domain_imports_no_adapter_projection_http_sql_or_pydantic() -> None:
    offences = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files("domain")
        for module in imported_modules(path)
        if any(module == f or module.startswith(f + ".") for f in FORBIDDEN_IN_DOMAIN)
    ]
    assert offences == []


def test_projections_never_import_adapters() -> None:
    offences = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files("projections")
        for module in imported_modules(path)
        if module.startswith("paycore.adapters")
    ]
    assert offences == []


def test_nothing_imports_a_bare_domain_adapters_or_projections() -> None:
    offences = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files(*PACKAGES, "tests")
        for module in imported_modules(path)
        if module.split(".")[0] in PACKAGES
    ]
    assert offences == []


def _adapter_package(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["paycore", "adapters"] else None


def test_no_adapter_imports_another_adapters_tables() -> None:
    """An adapter's side tables (``paycore.adapters.<name>.tables``) are its own; only the
    shared store access, ``paycore.adapters.persistence``, serves every adapter."""
    offences = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files("adapters")
        for module in imported_modules(path)
        if module.endswith(".tables")
        and _adapter_package(module) not in (None, "persistence", path.relative_to(ROOT).parts[1])
    ]
    assert offences == []


def test_the_store_wiring_imports_no_other_adapter() -> None:
    offences = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files("adapters/persistence")
        for module in imported_modules(path)
        if _adapter_package(module) not in (None, "persistence")
    ]
    assert offences == []

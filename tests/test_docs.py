"""Every Python block in the README and docs/ runs, so the documentation cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks() -> list[tuple[str, int, str]]:
    return [
        (path.name, number, code)
        for path in DOCUMENTS
        for number, code in enumerate(PYTHON_BLOCK.findall(path.read_text()), start=1)
    ]


def test_the_readme_has_an_embedding_example() -> None:
    assert any(name == "README.md" for name, _, _ in python_blocks())


@pytest.mark.parametrize(("document", "number", "code"), python_blocks())
def test_python_block_runs(
    document: str, number: int, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"{document} block {number}", "exec"), {"__name__": "__docs__"})


def test_every_file_the_architecture_page_names_exists() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text()
    named = re.findall(r"`((?:domain|adapters|projections)/[\w/]+\.py)`", page)
    assert len(named) > 20
    assert [path for path in named if not (ROOT / path).is_file()] == []

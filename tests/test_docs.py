"""Every ```python block in README.md and docs/*.md runs as written.

Illustrative fragments that cannot run on their own are fenced ```py instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks() -> list[tuple[str, int, str]]:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = path.read_text()
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            found.append((path.relative_to(ROOT).as_posix(), line, match.group(1)))
    return found


@pytest.mark.parametrize(("path", "line", "code"), blocks(), ids=lambda v: str(v)[:40])
def test_documentation_example_runs(path: str, line: int, code: str) -> None:
    """The example at path:line runs without raising (its own asserts included)."""
    exec(compile(code, f"{path}:{line}", "exec"), {"__name__": "__docs__"})


def test_examples_were_found() -> None:
    """The collector finds the documentation's examples (guards against a broken regex)."""
    assert len(blocks()) >= 10

"""The documentation site: its browser check can fail, and the docs cite nothing users lack."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import check_site  # noqa: E402 - the script lives outside the package

CHROMIUM = next(
    (shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None
)

PAGE = """<!DOCTYPE html><html><head><title>t</title></head><body>
<article><h1>{title}</h1><p>text</p></article>{extra}</body></html>"""


def _site(tmp_path: Path, pages: dict[str, str]) -> Path:
    for path, html in pages.items():
        target = tmp_path / path / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html)
    return tmp_path


class TestPages:
    def test_every_index_page_is_found(self, tmp_path: Path) -> None:
        """The home page and nested pages are listed as URL paths."""
        site = _site(tmp_path, {".": "", "cli": "", "reference/api": ""})

        assert ["/", "/cli/", "/reference/api/"] == check_site.pages(site)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
class TestCheckSite:
    def test_a_healthy_site_passes(self, tmp_path: Path) -> None:
        """Pages that render an article and run no failing script pass."""
        site = _site(tmp_path, {".": PAGE.format(title="Home", extra="")})

        assert [] == check_site.check_site(site)

    def test_a_javascript_error_fails(self, tmp_path: Path) -> None:
        """An uncaught exception in a page's script is reported with the page."""
        broken = PAGE.format(title="Broken", extra="<script>throw new Error('boom')</script>")
        site = _site(tmp_path, {".": PAGE.format(title="Home", extra=""), "broken": broken})

        problems = check_site.check_site(site)

        assert 1 == len(problems)
        assert problems[0].startswith("/broken/: JavaScript: Uncaught Error: boom")

    def test_a_page_without_an_article_fails(self, tmp_path: Path) -> None:
        """A page that renders no article (a broken template) is reported."""
        site = _site(tmp_path, {".": "<html><body>nothing</body></html>"})

        assert ["/: the page rendered no article with a heading"] == check_site.check_site(site)

    def test_a_missing_asset_fails(self, tmp_path: Path) -> None:
        """A stylesheet the page links to but the site lacks is reported."""
        page = PAGE.format(title="Home", extra='<link rel="stylesheet" href="/missing.css">')
        site = _site(tmp_path, {".": page})

        assert ["the site has no /missing.css (404)"] == check_site.check_site(site)


# Documents the developers had that users do not: nothing a user reads may point at them.
OFFENDERS = re.compile(
    r"DESIGN\.md|STYLE\.md|logging-architecture\.md|architecture document|research note"
    r"|\bthe issue\b|shared/"
    r"|(?-i:\(D\d+\)|\bD\d+\b:|decision D\d+|D\d+–D\d+)",
    re.IGNORECASE,
)


def _user_facing_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]
    files += sorted((ROOT / "src").rglob("*.py"))
    files += sorted((ROOT / "examples").rglob("*.py"))
    return files


def test_user_facing_text_cites_only_what_users_have() -> None:
    """README, docs, docstrings and comments name no document outside the repository."""
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _user_facing_files()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if OFFENDERS.search(line)
    ]

    assert [] == found


def test_the_offender_pattern_matches_what_it_is_meant_to() -> None:
    """The pattern catches the known phrasings (so an empty result above means something)."""
    for text in (
        "see DESIGN.md",
        "the architecture document's trace",
        "(D5)",
        "decision D12",
        "(`logging-architecture.md`)",
    ):
        assert OFFENDERS.search(text), text
    for text in ("job_id", "D5 output of the demo", "the issuer of the token", "(a0) and (d0)"):
        assert not OFFENDERS.search(text), text


def test_every_public_name_is_in_the_api_reference() -> None:
    """Each name in ``joblog.__all__`` has its entry on the Python API page."""
    import joblog

    page = (ROOT / "docs" / "reference" / "api.md").read_text()
    documented = set(re.findall(r"^::: joblog\.(\w+)", page, re.MULTILINE))

    assert set(joblog.__all__) <= documented


def test_every_page_is_in_the_navigation() -> None:
    """A page missing from mkdocs.yml's nav is built but no reader can find it."""
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    listed = set(re.findall(r"^\s*- (?:[^:\n]+: )?(\S+\.md)$", nav, re.MULTILINE))

    assert pages == listed


def test_every_command_line_option_is_in_the_cli_reference() -> None:
    """Each ``joblog`` command and each of its options is named on the CLI page."""
    import argparse

    from joblog.cli import _parser

    page = (ROOT / "docs" / "reference" / "cli.md").read_text()
    _, commands = _parser()
    missing = [
        f"{name} {option}"
        for name, parser in commands.items()
        for action in parser._actions
        if action.help != argparse.SUPPRESS
        for option in action.option_strings
        if option not in ("-h", "--help") and f"`{option}" not in page
    ]
    missing += [f"joblog {name}" for name in commands if f"## `joblog {name}" not in page]

    assert [] == missing


def test_every_environment_variable_is_on_its_page() -> None:
    """Each variable name the package reads (a quoted constant in src/) is documented."""
    variable = re.compile(
        r'"((?:JOBLOG|OTEL|DD)_[A-Z_]+|GOOGLE_CLOUD_PROJECT|NO_COLOR|FORCE_COLOR)"'
    )
    read = {
        name for path in (ROOT / "src").rglob("*.py") for name in variable.findall(path.read_text())
    }
    page = (ROOT / "docs" / "reference" / "environment.md").read_text()

    assert {"JOBLOG_LEVEL", "JOBLOG_CONTEXT", "OTEL_SERVICE_NAME"} <= read
    assert [] == sorted(name for name in read if f"`{name}`" not in page)

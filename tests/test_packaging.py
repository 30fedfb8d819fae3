"""What an installed joblog promises: one version everywhere, no optional import on import."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import joblog

from .smoke_wheel import (
    OPTIONAL_MODULES,
    extra_projects,
    extras,
    imported_after_import_joblog,
    modules_of,
)

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def imported() -> set[str]:
    return imported_after_import_joblog()


def test_one_version_everywhere() -> None:
    """pyproject.toml holds the version; metadata, __version__ and --version repeat it."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    command = Path(sys.executable).with_name("joblog")
    shown = subprocess.run(
        [command, "--version"], capture_output=True, text=True, check=True, timeout=60
    )
    assert (declared, declared, f"joblog {declared}\n") == (
        version("joblog"),
        joblog.__version__,
        shown.stdout,
    )


@pytest.mark.parametrize("module", OPTIONAL_MODULES)
def test_import_joblog_imports_no_optional_dependency(imported: set[str], module: str) -> None:
    """A fresh `import joblog` leaves each optional integration's modules unimported."""
    assert module not in imported


def test_import_joblog_imports_no_extra(imported: set[str]) -> None:
    """Whatever extras pyproject declares, `import joblog` imports none of their packages."""
    declared = set().union(*(modules_of(extra_projects(extra)) for extra in extras()))
    assert set() == imported & declared


def test_imported_modules_are_detected() -> None:
    """The check sees a module imported at `import joblog` time (so it can fail)."""
    assert {"joblog", "structlog", "orjson"} <= imported_after_import_joblog()


def test_extra_requirements_are_read_from_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    """An extra's requirements are found by their marker, whatever the quoting and spacing."""
    from . import smoke_wheel

    requirements = [
        "structlog>=24.1",
        'celery[redis]>=5.3; extra == "celery"',
        "Boto3 >= 1.34 ; extra=='aws'",
        'opentelemetry-api>=1.20; python_version >= "3.10" and extra == "otel"',
    ]
    monkeypatch.setattr(smoke_wheel, "requires", lambda _name: requirements)
    assert ({"celery"}, {"boto3"}, {"opentelemetry-api"}, set()) == tuple(
        extra_projects(extra) for extra in ("celery", "aws", "otel", "cel")
    )


def test_modules_of_installed_projects() -> None:
    """Top-level modules are found through the installed distributions, names normalized."""
    assert {"structlog"} == modules_of({"structlog"})
    assert {"pythonjsonlogger"} <= modules_of({"python-json-logger"})
    assert set() == modules_of({"not-installed-anywhere"})


def test_smoke_script_passes_on_this_install() -> None:
    """The wheel smoke test also passes on the development install (and reports it)."""
    result = subprocess.run(
        [sys.executable, "-I", str(ROOT / "tests" / "smoke_wheel.py")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert (0, "") == (result.returncode, result.stderr)
    assert result.stdout.startswith(f"smoke test passed: joblog {version('joblog')} in ")


def test_smoke_script_rejects_an_unknown_extra() -> None:
    """Asking the smoke test for an extra joblog does not declare fails it."""
    result = subprocess.run(
        [sys.executable, "-I", str(ROOT / "tests" / "smoke_wheel.py"), "no-such-extra"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert (1, "smoke test failed: joblog declares no extra 'no-such-extra'\n") == (
        result.returncode,
        result.stderr,
    )

"""The public surface: exactly these names, and importing has no side effects."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import joblog

PUBLIC = [
    "DEFAULT_KEYS",
    "DEFAULT_PATTERNS",
    "DEFAULT_RULES",
    "BoundLogger",
    "JobJsonFormatter",
    "Redactor",
    "RequestLoggingMiddleware",
    "SecretRule",
    "bind",
    "bind_job",
    "cancel_jobs",
    "carry_context",
    "configure",
    "context_env",
    "current_job_id",
    "flush",
    "get_logger",
    "job",
    "log_auth_failure",
    "new_job_id",
    "otel",
    "redact_secrets",
    "running_jobs",
    "sampled",
    "stage",
    "testing",
]


def test_all_is_exactly_the_public_api() -> None:
    """__all__ lists exactly the public names, once each, and each exists."""
    # Order is ruff's (RUF022: constants, classes, functions), checked by `make lint`.
    assert sorted(PUBLIC) == sorted(joblog.__all__)
    assert len(set(joblog.__all__)) == len(joblog.__all__)
    assert all(hasattr(joblog, name) for name in joblog.__all__)


@pytest.mark.parametrize(
    "module",
    [
        "asgi",
        "context",
        "httpx",
        "jobs",
        "processes",
        "redact",
        "render",
        "sampling",
        "stages",
        "stdlib",
        "testing",
        "otel",
        "profiles",
        "_config",
        "_logger",
    ],
)
def test_each_module_declares_all(module: str) -> None:
    """Every module has an __all__ whose names exist."""
    mod = __import__(f"joblog.{module}", fromlist=["__all__"])
    assert all(hasattr(mod, name) for name in mod.__all__)


def test_version() -> None:
    """__version__ comes from the installed metadata; unknown attributes raise."""
    from importlib.metadata import version

    assert version("joblog") == joblog.__version__
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = joblog.nope  # type: ignore[attr-defined]


def test_importing_has_no_side_effects() -> None:
    """A fresh interpreter importing joblog gets no handlers, no config, no output."""
    code = textwrap.dedent(
        """
        import logging, sys
        import structlog
        before = (list(logging.getLogger().handlers), logging.getLogger().level,
                  structlog.is_configured())
        import joblog, joblog.testing, joblog.stdlib, joblog.render
        after = (list(logging.getLogger().handlers), logging.getLogger().level,
                 structlog.is_configured())
        from joblog import _config
        print(before == after, _config.pipeline is None, type(sys.stdout).__name__)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert ("True True TextIOWrapper\n", "") == (result.stdout, result.stderr)


def test_importing_imports_no_submodule() -> None:
    """`import joblog` loads its modules (and structlog, asyncio) only when a name is used."""
    code = textwrap.dedent(
        """
        import sys
        import joblog
        loaded = sorted(m for m in sys.modules if m.startswith("joblog."))
        print(loaded, "structlog" in sys.modules, "asyncio" in sys.modules)
        joblog.configure
        print("joblog._config" in sys.modules, "structlog" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert ("[] False False\nTrue True\n", "") == (result.stdout, result.stderr)


def test_submodules_are_attributes_after_a_bare_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """joblog.context (any submodule) is reachable after `import joblog` alone."""
    import joblog.context

    monkeypatch.delattr(joblog, "context")

    assert joblog.context is sys.modules["joblog.context"]
    with pytest.raises(AttributeError, match="no attribute 'no_such_module'"):
        _ = joblog.no_such_module


def test_a_submodule_missing_its_dependency_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """joblog.httpx without httpx installed raises ModuleNotFoundError naming httpx."""
    monkeypatch.delattr(joblog, "httpx", raising=False)
    monkeypatch.delitem(sys.modules, "joblog.httpx", raising=False)
    monkeypatch.setitem(sys.modules, "httpx", None)

    with pytest.raises(ModuleNotFoundError) as caught:
        _ = joblog.httpx

    assert "httpx" == caught.value.name


def test_lazy_names_are_the_modules_objects() -> None:
    """Each public name is its module's object (submodules are the modules), star-import too."""
    import importlib

    for name in joblog.__all__:
        value = getattr(joblog, name)
        module = importlib.import_module(f"joblog.{joblog._MODULES[name]}")
        assert value is (module if joblog._MODULES[name] == name else getattr(module, name))
    namespace: dict[str, object] = {}
    exec("from joblog import *", namespace)
    assert set(joblog.__all__) <= set(namespace)
    assert set(joblog.__all__) <= set(dir(joblog))
    assert sorted(joblog._MODULES) == sorted(joblog.__all__)

"""
The test matrix and the release checks: ``nox`` (or ``make test-all``) runs them all.

Sessions:

- ``lint``: ruff (lint and format) and ``mypy --strict``, once, on the primary Python.
- ``tests-3.10`` … ``tests-3.13``: the test suite on every CPython the classifiers name.
  The primary Python runs it on an editable install with 100 % branch coverage required;
  the others run it on the project installed as a wheel, so they import what a user gets.
- ``package``: builds the sdist and the wheel, checks their metadata and contents, and
  smoke-tests the wheel in a fresh virtual environment per extra.

An interpreter that cannot be found is an error, not a skip. Interpreters installed with
pyenv are found even where pyenv's shims are not set up for them.
"""

from __future__ import annotations

import email.parser
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PYTHONS: list[str] = nox.project.python_versions(PYPROJECT)
# The Python `make test` uses on the CI image; coverage is enforced there.
PRIMARY = "3.11"
DEV = nox.project.dependency_groups(PYPROJECT, "dev")

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_missing_interpreters = True
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "tests", "package"]


def _add_pyenv_interpreters() -> None:
    """Put each matrix Python that pyenv installed on PATH (the newest patch release of each)."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = []
    for version in PYTHONS:
        releases = [
            p for p in root.glob(f"{version}.*/bin/python{version}") if _release(p.parents[1].name)
        ]
        if releases:
            found.append(str(max(releases, key=lambda p: _release(p.parents[1].name)).parent))
    # Before the shims: pyenv's shim for a version that is not `pyenv global` fails to run.
    os.environ["PATH"] = os.pathsep.join([*found, os.environ.get("PATH", "")])


def _release(name: str) -> tuple[int, ...]:
    """``(3, 11, 7)`` for pyenv's ``3.11.7``; ``()`` for a pre-release or a free-threaded build."""
    parts = name.split(".")
    return tuple(map(int, parts)) if all(part.isdigit() for part in parts) else ()


_add_pyenv_interpreters()
# Test the interpreters this machine has; uv would otherwise fetch a missing one.
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")


@nox.session(python=PRIMARY)
def lint(session: nox.Session) -> None:
    """Ruff lint and format check, and mypy --strict on the library and the example."""
    session.install("--editable", ".", *DEV)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "--strict", "src", "examples/video_pipeline")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The test suite; on the primary Python with 100 % branch coverage required."""
    workers = ["-n", os.environ.get("JOBLOG_TEST_WORKERS", "auto")]
    session.run("python", "-c", "import sys; print(sys.version, 'at', sys.base_prefix)")
    if session.python == PRIMARY:
        session.install("--editable", ".", *DEV)
        session.run(
            "python", "-m", "pytest", *workers, "--cov", "--cov-branch",
            "--cov-report=term-missing", *session.posargs,
        )  # fmt: skip
    else:
        # A regular (wheel) install: the suite imports joblog from site-packages.
        # uv caches a build of "." by pyproject.toml alone, so ask it to rebuild joblog.
        fresh = ["--reinstall-package", "joblog"] if session.venv_backend == "uv" else []
        session.install(*fresh, ".", *DEV)
        session.run("python", "-m", "pytest", *workers, *session.posargs)


@nox.session(python=PRIMARY)
def package(session: nox.Session) -> None:
    """Build the sdist and wheel, check them, and smoke-test the wheel once per extra."""
    session.install("build", "twine", "uv")
    dist = Path(session.create_tmp()) / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    # `python -m build` builds the wheel from the sdist, so a file missing from the sdist
    # fails here rather than for the first user who installs from it.
    session.run("python", "-m", "build", "--installer", "uv", "--outdir", str(dist), str(ROOT))
    session.run("twine", "check", "--strict", *map(str, dist.iterdir()))
    (wheel,) = dist.glob("*.whl")
    extras = _check_wheel(session, wheel)

    smoke = ROOT / "tests" / "smoke_wheel.py"
    python_of_session = str(Path(session.bin) / "python")
    for extra in ["", *extras]:
        spec = f"{wheel}[{extra}]" if extra else str(wheel)
        session.log(f"smoke test: pip install {spec}")
        with tempfile.TemporaryDirectory(prefix="joblog-smoke-") as tmp:
            env_dir = Path(tmp) / "venv"
            python = env_dir / "bin" / "python"
            session.run("uv", "venv", "--quiet", "--python", python_of_session, str(env_dir))
            session.run("uv", "pip", "install", "--quiet", "--python", str(python), spec)
            # Run outside the source tree, so only the installed wheel can be imported.
            with session.chdir(tmp):
                session.run(str(python), "-I", str(smoke), *[extra][: bool(extra)], external=True)


def _check_wheel(session: nox.Session, wheel: Path) -> list[str]:
    """Check the wheel's files and entry point; return the extras its metadata declares."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = archive.read(entry_points).decode()
    stray = [
        n
        for n in names
        if not (n.startswith("joblog/") or ".dist-info/" in n)
        or n.split("/")[0] in {"tests", "bench", "examples", "docs"}
    ]
    if stray:
        session.error(f"the wheel holds files outside the joblog package: {stray}")
    if "joblog/py.typed" not in names:
        session.error("the wheel has no joblog/py.typed")
    if "joblog = joblog.cli:main" not in scripts:
        session.error(f"the wheel declares no `joblog` command: {scripts!r}")
    if metadata["Version"] != PYPROJECT["project"]["version"]:
        session.error(f"wheel version {metadata['Version']} is not pyproject's")
    extras = metadata.get_all("Provides-Extra") or []
    session.log(f"wheel {wheel.name}: {len(names)} files, extras: {extras or 'none'}")
    return extras

"""
Smoke test for an installed joblog: ``python -I tests/smoke_wheel.py [EXTRA]``.

``nox -s package`` runs it in a fresh virtual environment holding only the built wheel
(with ``EXTRA``'s dependencies when one is named), outside the source tree; the test
suite runs it against the development install. It exits non-zero with a message on the
first check that fails.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import textwrap
from importlib.metadata import distribution, distributions, metadata, requires, version
from pathlib import Path

# The top-level modules of joblog's optional integrations and of what they bring in.
# Importing joblog must import none of them, installed or not.
OPTIONAL_MODULES = (
    "billiard",
    "boto3",
    "botocore",
    "celery",
    "fastapi",
    "gunicorn",
    "httpcore",
    "httpx",
    "kombu",
    "moto",
    "opentelemetry",
    "redis",
    "s3transfer",
    "starlette",
    "uvicorn",
)

_IMPORT = textwrap.dedent(
    """
    import json, sys
    import joblog
    for name in joblog.__all__:  # joblog's names load lazily: load every one
        getattr(joblog, name)
    print(json.dumps(sorted({name.partition(".")[0] for name in sys.modules})))
    """
)

_LOG_ONE_LINE = textwrap.dedent(
    """
    import joblog
    joblog.configure(renderer="json")
    joblog.get_logger("smoke").info("Smoke test", n=1, password="hunter2")
    """
)


def extras() -> list[str]:
    """The extras joblog's metadata declares."""
    return metadata("joblog").get_all("Provides-Extra") or []


def extra_projects(extra: str) -> set[str]:
    """The (normalized) names of the projects *extra* requires."""
    projects = set()
    for requirement in requires("joblog") or []:
        name, _, marker = requirement.partition(";")
        if re.search(rf"""extra\s*==\s*['"]{re.escape(extra)}['"]""", marker):
            projects.add(_normalize(re.split(r"[\s\[<>=!~(]", name.strip(), maxsplit=1)[0]))
    return projects


def modules_of(projects: set[str]) -> set[str]:
    """The top-level modules the installed distributions among *projects* provide."""
    modules = set()
    for dist in distributions():
        if _normalize(dist.metadata["Name"] or "") in projects:
            # From the files the distribution installed (as Python 3.11's
            # packages_distributions() does; 3.10's reads only top_level.txt).
            for file in dist.files or ():
                top = file.parts[0].removesuffix(".py")
                if file.parts[0].endswith((".dist-info", ".data")):
                    continue
                if file.suffix == ".py" and top.isidentifier() and not top.startswith("_"):
                    modules.add(top)
    return modules


def _normalize(project: str) -> str:
    return re.sub(r"[-_.]+", "-", project).lower()


def imported_after_import_joblog() -> set[str]:
    """The top-level modules a fresh interpreter holds after ``import joblog`` and every name."""
    command = [sys.executable, "-I", "-c", _IMPORT]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout
    return set(json.loads(out))


def _check(condition: bool, message: str) -> None:
    if not condition:
        sys.exit(f"smoke test failed: {message}")


def main(extra: str) -> None:
    import joblog

    installed = version("joblog")
    _check(joblog.__version__ == installed, f"__version__ {joblog.__version__} != {installed}")
    package = Path(joblog.__file__).parent
    _check((package / "py.typed").is_file(), f"no py.typed in {package}")

    optional = set(OPTIONAL_MODULES).union(*(modules_of(extra_projects(e)) for e in extras()))
    surprises = imported_after_import_joblog() & optional
    _check(not surprises, f"import joblog imported {sorted(surprises)}")
    if extra:
        _check(extra in extras(), f"joblog declares no extra {extra!r}")
        for project in sorted(extra_projects(extra)):
            distribution(project)  # joblog[extra] installed it, or this raises
        for module in sorted(modules_of(extra_projects(extra))):
            __import__(module)

    logged = subprocess.run(
        [sys.executable, "-I", "-c", _LOG_ONE_LINE],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    (line,) = logged.stdout.splitlines()
    event = json.loads(line)
    _check(
        (event["level"], event["message"], event["logger"], event["n"])
        == ("info", "Smoke test", "smoke", 1),
        f"unexpected line {line}",
    )
    _check("hunter2" not in line, f"a password was written: {line}")

    command = Path(sys.executable).with_name("joblog")
    shown = subprocess.run(
        [command, "--version"], capture_output=True, text=True, check=True, timeout=60
    )
    _check(shown.stdout == f"joblog {installed}\n", f"joblog --version said {shown.stdout!r}")

    with tempfile.TemporaryDirectory() as tmp:
        log_file = Path(tmp) / "app.jsonl"
        log_file.write_text(line + "\n" + line.replace('"info"', '"error"') + "\n")
        query = subprocess.run(
            [command, "query", 'filter level = "error" | stats count(*) as n', str(log_file)],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
    _check(query.stdout.splitlines() == ['{"n":1}'], f"joblog query printed {query.stdout!r}")
    print(f"smoke test passed: joblog {installed} {f'[{extra}] ' if extra else ''}in {package}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")

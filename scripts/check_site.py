"""Open every page of the built documentation site in headless Chromium.

Usage: ``python scripts/check_site.py SITE_DIR``

Serves SITE_DIR on 127.0.0.1 (an ephemeral port), loads each page with
Chromium's ``--dump-dom`` and fails when a page does not render its article,
when the browser reports a JavaScript error, or when the page asks the server
for something it does not have.  ``make docs-check`` builds the site with
``mkdocs build --strict`` first and then runs this.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Chromium's console lines on stderr: [pid:tid:date:INFO:CONSOLE:1] "text", source: url (line)
CONSOLE = re.compile(r":CONSOLE[^\]]*\] \"(?P<text>.*)\", source: (?P<source>\S*)")
ERROR_WORDS = ("Uncaught", "Error", "Failed to load", "Refused to")


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site and remembers every request it could not answer."""

    failures: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Browsers ask for /favicon.ico on their own; only what a page asks for counts.
        if self.path != "/favicon.ico" and f"{code} {self.path}" not in self.failures:
            self.failures.append(f"{code} {self.path}")
        super().send_error(code, message, explain)


@contextmanager
def serve(root: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve *root* on 127.0.0.1; yield its base URL and the list of failed requests."""
    failures: list[str] = []
    handler = type("Handler", (_Handler,), {"failures": failures})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", failures
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def chromium() -> str:
    """The Chromium binary, or exit with a message saying how to install it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("check_site: Chromium is not installed (apt-get install -y chromium)")


def pages(site: Path) -> list[str]:
    """The site's pages as URL paths ("/", "/cli/", ...), 404 page excluded."""
    found = []
    for index in sorted(site.rglob("index.html")):
        relative = index.parent.relative_to(site).as_posix()
        found.append("/" if relative == "." else f"/{relative}/")
    return sorted(found)


def check_page(browser: str, base: str, path: str) -> list[str]:
    """Load one page; return what is wrong with it (nothing when it is fine)."""
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--enable-logging=stderr",
                "--v=0",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=3000",
                "--dump-dom",
                base + path,
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    problems = []
    if result.returncode != 0:
        problems.append(f"chromium exited with {result.returncode}")
    if "<article" not in result.stdout or "<h1" not in result.stdout:
        problems.append("the page rendered no article with a heading")
    for match in CONSOLE.finditer(result.stderr):
        text = match.group("text")
        if any(word in text for word in ERROR_WORDS):
            problems.append(f"JavaScript: {text} ({match.group('source')})")
    return [f"{path}: {problem}" for problem in problems]


def check_site(site: Path) -> list[str]:
    """Check every page of the site under *site*; return the problems found."""
    browser = chromium()
    paths = pages(site)
    if not paths:
        return [f"{site}: no pages found"]
    with serve(site) as (base, failures), ThreadPoolExecutor(max_workers=3) as pool:
        results = pool.map(lambda path: check_page(browser, base, path), paths)
        problems = [problem for found in results for problem in found]
    for failure in failures:
        code, path = failure.split(" ", 1)
        problems.append(f"the site has no {path} ({code})")
    print(f"check_site: {len(paths)} pages opened in Chromium, {len(problems)} problems")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built site's directory (mkdocs' site_dir)")
    args = parser.parse_args(argv)
    problems = check_site(args.site)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""``python -m joblog``: the ``joblog`` command."""

from __future__ import annotations

from joblog.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

"""Real HTTP servers on 127.0.0.1 for the httpx integration's tests."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

Scope = dict[str, Any]


async def vendor_app(scope: Scope, receive: Any, send: Any) -> None:
    """
    A fake vendor: echoes the headers it received as JSON.

    ``/status/<n>`` answers with status n; ``/slow`` waits 2 s before answering.
    """
    if scope["type"] != "http":
        return
    path: str = scope["path"]
    if path == "/slow":
        await asyncio.sleep(2)
    status = int(path.rsplit("/", 1)[1]) if path.startswith("/status/") else 200
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    body = json.dumps({"path": path, "headers": headers}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Run *app* under uvicorn in a thread on a free 127.0.0.1 port; stop and join it after."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_config=None, lifespan="off", http="h11", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn")
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

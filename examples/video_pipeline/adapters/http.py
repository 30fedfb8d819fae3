"""What the HTTP adapters share: one call to a vendor, its errors mapped to ours."""

from __future__ import annotations

from typing import Any

import httpx

from .errors import PermanentAPIError, TransientAPIError

#: Statuses worth retrying.
TRANSIENT = frozenset({429, 502, 503, 504})


async def call(
    client: httpx.AsyncClient,
    service: str,
    method: str,
    url: str,
    *,
    simulate: tuple[int, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """
    One vendor call; a vendor error raises Transient- or PermanentAPIError.

    The call's line (method, host, path, status, latency_ms) is written by
    the client's ``joblog.httpx`` transport, not here. *simulate* asks the
    fake vendor for an error status (failure injection).
    """
    headers = kwargs.pop("headers", {})
    if simulate is not None:
        headers = {
            **headers,
            "X-Simulate-Status": str(simulate[0]),
            "X-Simulate-Reason": simulate[1],
        }
    try:
        response = await client.request(method, url, headers=headers, **kwargs)
    except httpx.TransportError as exc:
        raise TransientAPIError(service, 0, f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 400:
        try:
            reason = str(response.json().get("error", response.reason_phrase))
        except ValueError:
            reason = response.reason_phrase
        error = TransientAPIError if response.status_code in TRANSIENT else PermanentAPIError
        raise error(service, response.status_code, reason)
    return response

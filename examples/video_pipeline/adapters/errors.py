"""Errors the adapters raise."""

from __future__ import annotations


class APIError(Exception):
    """An external API answered with an error; the message names the service and status."""

    def __init__(self, service: str, status_code: int, reason: str) -> None:
        super().__init__(f"{service} API error: {status_code} {reason}")
        self.service = service
        self.status_code = status_code


class TransientAPIError(APIError):
    """Worth retrying (503, 429, a timeout)."""


class PermanentAPIError(APIError):
    """Retrying will not help (400, 422)."""

"""
Bearer-token authentication: failures are logged, success never is.

The architecture logs only critical auth events — missing headers, invalid or
expired tokens, verification failures — and never "User authenticated",
which would be a line per request. ``joblog.log_auth_failure`` writes the
one warning line; the token itself is never logged.
"""

from __future__ import annotations

import time
from typing import NoReturn

import jwt
from starlette.exceptions import HTTPException
from starlette.requests import Request

import joblog

__all__ = ["authenticate", "make_token"]

ALGORITHM = "HS256"


def authenticate(request: Request, secret: str) -> str:
    """
    Return the user id of the request's bearer token, or refuse with 401.

    Raises:
        HTTPException: 401, after logging why with ``joblog.log_auth_failure``.
    """
    header = request.headers.get("authorization")
    if not header:
        _refuse(request, "missing_authorization")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        _refuse(request, "invalid_token")
    try:
        claims = jwt.decode(
            token.strip(), secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError:
        _refuse(request, "expired_token")
    except jwt.InvalidSignatureError:
        _refuse(request, "verification_failed")
    except jwt.InvalidTokenError:
        _refuse(request, "invalid_token")
    return str(claims["sub"])


def _refuse(request: Request, reason: str) -> NoReturn:
    joblog.log_auth_failure(reason, method=request.method, path=request.url.path)
    raise HTTPException(401, detail=reason, headers={"WWW-Authenticate": "Bearer"})


def make_token(user_id: str, secret: str, *, expires_in: float = 3600.0) -> str:
    """A signed token for *user_id* (for the demo and tests; negative *expires_in* = expired)."""
    now = int(time.time())
    return jwt.encode(
        {"sub": user_id, "iat": now, "exp": now + int(expires_in)}, secret, algorithm=ALGORITHM
    )

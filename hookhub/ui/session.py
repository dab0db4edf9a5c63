"""The UI's login session: a signed cookie carrying a random session id and the CSRF token.

The cookie (``hookhub_ui``, path ``/ui``, HttpOnly, SameSite=Strict, Secure
over HTTPS) is signed with itsdangerous under a key derived from the admin
token, so it works across ``--workers`` processes and restarts, and every
session ends when the admin token changes.  It never contains the token.
Sessions expire after :data:`MAX_AGE_S`; logging out deletes the cookie.

Every form carries the session's CSRF token (``csrf`` field); a POST without
the right one is refused with 403.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "hookhub_ui"
PATH = "/ui"
#: a session lasts twelve hours
MAX_AGE_S = 12 * 3600


@dataclass(frozen=True)
class Session:
    """A logged-in browser."""

    sid: str
    csrf: str


class Sessions:
    """Issues and checks session cookies for one admin token."""

    def __init__(self, admin_token: str | None) -> None:
        self._token = admin_token.encode("utf-8", "surrogatepass") if admin_token else b""
        key = hmac.new(self._token, b"hookhub-ui-session-v1", hashlib.sha256).hexdigest()
        self._serializer = URLSafeTimedSerializer(key, salt="hookhub-ui")

    @property
    def enabled(self) -> bool:
        """False when no admin token is configured (nobody can log in)."""
        return bool(self._token)

    def token_matches(self, given: str) -> bool:
        """Constant-time comparison with the admin token."""
        return self.enabled and hmac.compare_digest(given.encode("utf-8", "surrogatepass"), self._token)

    def new(self) -> tuple[Session, str]:
        """A new session and its cookie value."""
        session = Session(secrets.token_urlsafe(16), secrets.token_urlsafe(32))
        return session, self._serializer.dumps({"sid": session.sid, "csrf": session.csrf})

    def load(self, request: Request) -> Session | None:
        """The request's session, or None (no cookie, bad signature, expired, no admin token)."""
        raw = request.cookies.get(COOKIE)
        if not raw or not self.enabled:
            return None
        try:
            data = self._serializer.loads(raw, max_age=MAX_AGE_S)
        except BadSignature:  # SignatureExpired is a BadSignature
            return None
        if not isinstance(data, dict) or not isinstance(data.get("sid"), str) or not isinstance(data.get("csrf"), str):
            return None
        return Session(data["sid"], data["csrf"])

    @staticmethod
    def csrf_ok(session: Session, given: object) -> bool:
        """Whether a form's ``csrf`` field is this session's token (constant time)."""
        return isinstance(given, str) and hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                                                              session.csrf.encode("utf-8"))

    @staticmethod
    def set_cookie(response: Response, value: str, request: Request) -> None:
        """Set the session cookie to ``value`` on ``response``: path ``/ui``, 12
        hours, HttpOnly, SameSite=Strict, Secure when ``request`` came over HTTPS."""
        response.set_cookie(COOKIE, value, max_age=MAX_AGE_S, path=PATH, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")

    @staticmethod
    def clear_cookie(response: Response, request: Request) -> None:
        """Delete the session cookie on ``response`` (same path and flags as :meth:`set_cookie`)."""
        response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="strict",
                               secure=request.url.scheme == "https")

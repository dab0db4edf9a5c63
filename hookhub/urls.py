"""Which URLs hookhub emits: only absolute http(s) links and image URLs.

Messages store the URL strings scripts return as they are (Rocket.Chat does the
same: ``data:`` avatars, relative links, plain words).  Whatever renders or
forwards a message (the bridges, the admin UI) passes every link and image URL
through :func:`safe_http_url` and leaves out what it refuses.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

__all__ = ["safe_http_url", "url_problem"]

#: characters never valid in a URL we emit (whitespace, controls, quotes, angle brackets, backslash)
_UNSAFE = re.compile(r"[\x00-\x20\x7f\"'<>\\`]")
MAX_URL_CHARS = 8192


def url_problem(value: object) -> str | None:
    """Why ``value`` is not an absolute http(s) URL that may be emitted, or ``None`` when it is."""
    if not isinstance(value, str):
        return f"is not a string (got {type(value).__name__})"
    if len(value) > 512:
        return _url_problem(value)
    return _known_url_problem(value)


def _url_problem(value: str) -> str | None:
    if len(value) > MAX_URL_CHARS:
        return f"is longer than {MAX_URL_CHARS} characters"
    if _UNSAFE.search(value):
        return f"is not an absolute http(s) URL (it contains spaces, quotes or control characters): {value[:100]!r}"
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        return f"is not a valid URL: {value[:100]!r}"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or not port_ok:
        return f"is not an absolute http(s) URL: {value[:100]!r}"
    return None


#: the same icon, avatar and link URLs come back in message after message: checked once each
_known_url_problem = functools.lru_cache(maxsize=4096)(_url_problem)


def safe_http_url(value: object) -> str | None:
    """``value`` when it is an absolute http(s) URL safe to emit as a link or image, else ``None``.

    >>> safe_http_url("https://example.com/a.png")
    'https://example.com/a.png'
    >>> safe_http_url("data:image/png;base64,iVBORw0KGgo=") is None
    True
    >>> safe_http_url("javascript:alert(1)") is None
    True
    """
    if isinstance(value, str) and url_problem(value) is None:
        return value
    return None

"""Secrets out of everything printed or logged: URLs, headers, free text.

One place for the rules, used by the start-up banner, the logs, the history
and the API:

- :func:`mask_url` keeps a URL readable but hides its password
  (``postgresql://app:••••@db:5432/hookhub``; a user part with no password,
  often a token, is hidden whole) and the values of secret-looking query
  parameters (``?token=••••&page=2``);
- :func:`mask_text` applies :func:`mask_url` to every URL inside a text (an
  exception message, a log line);
- :func:`mask_headers` hides the values of authentication headers;
- :func:`mask_value` replaces known secret strings anywhere in JSON data.

The server's own log lines go through :class:`hookhub.logs.Redactor`, which
also masks the configuration's secrets wherever they appear.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlsplit, urlunsplit

__all__ = ["MASK", "SECRET_HEADERS", "is_secret_param", "mask_headers", "mask_text", "mask_url", "mask_value"]

MASK = "••••"
#: header names whose values are never stored or logged
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-auth-token",
                            "x-api-key", "x-gitlab-token", "x-hub-signature", "x-hub-signature-256",
                            "x-signature", "webhook-signature"})
#: query parameter names (lower case, without ``-``/``_``) whose values are masked
_SECRET_PARAMS = frozenset({"token", "accesstoken", "apikey", "key", "secret", "password", "passwd", "pwd",
                            "auth", "signature", "sig", "clientsecret", "privatetoken", "authtoken"})
_SECRET_SUFFIXES = ("token", "apikey", "secret", "password")
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>`]+")


def is_secret_param(name: str) -> bool:
    """Whether a query parameter (or form field) name looks like it carries a secret.

    ``token``, ``api_key``, ``apiKey``, ``X-API-Key``, ``private_token``, ``client_secret``...
    """
    norm = name.lower().replace("-", "").replace("_", "")
    return norm in _SECRET_PARAMS or norm.endswith(_SECRET_SUFFIXES)


def mask_url(url: Any) -> Any:
    """*url* with its password and secret query values masked; non-strings unchanged.

    >>> mask_url("postgresql://app:s3cret@db:5432/hookhub")
    'postgresql://app:••••@db:5432/hookhub'
    >>> mask_url("https://api.test/send?api_key=abc&room=x")
    'https://api.test/send?api_key=••••&room=x'
    """
    if not isinstance(url, str):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, has_password, _ = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if has_password and user else f"{MASK}@{host}"
    query = parts.query
    if query and "=" in query:
        query = "&".join(f"{quote_plus(k)}={MASK if is_secret_param(k) else quote_plus(v)}"
                         for k, v in parse_qsl(query, keep_blank_values=True))
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_text(text: str) -> str:
    """*text* with every URL in it passed through :func:`mask_url`."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda m: str(mask_url(m.group(0))), text)


def mask_headers(headers: Any) -> dict[str, Any]:
    """A copy of a header mapping with authentication headers' values masked."""
    if not isinstance(headers, dict):
        return {}
    return {str(k): (MASK if str(k).lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def mask_value(value: Any, secrets: list[str]) -> Any:
    """Replace every occurrence of a secret string inside JSON data."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {k: mask_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v, secrets) for v in value]
    return value


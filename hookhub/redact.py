"""Masking secrets before anything is logged or stored.

One place for the rules: hook tokens in URL paths, secret request headers
(the built-in names plus the header an integration's ``verify:`` reads) and
secret-looking query parameters (``?token=``, ``?api_key=``...).  Every
masked value becomes :data:`MASK`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import unquote_plus

MASK = "••••"

#: Header names whose values are never logged or stored.
SECRET_HEADERS = frozenset({
    "authorization", "proxy-authorization", "cookie", "set-cookie", "x-auth-token", "x-api-key",
    "x-gitlab-token", "x-hub-signature", "x-hub-signature-256", "x-signature", "webhook-signature",
})

#: Query parameter names whose values are never logged or stored (compared lower-case, ``-`` as ``_``).
SECRET_PARAMS = frozenset({"token", "access_token", "api_key", "apikey", "key", "secret", "password",
                           "passwd", "auth", "signature", "sig", "private_token", "client_secret"})
#: ... and any parameter whose name contains one of these.
_SECRET_PARTS = ("token", "secret", "password", "api_key", "apikey", "signature")


def is_secret_param(name: str) -> bool:
    """True when a query parameter called ``name`` probably carries a credential."""
    key = name.strip().lower().replace("-", "_")
    return key in SECRET_PARAMS or any(part in key for part in _SECRET_PARTS)


def mask_query_string(query: str) -> str:
    """``query`` with the values of secret-looking parameters masked; the rest is kept byte for byte."""
    if not query:
        return query
    pieces = query.split("&")
    changed = False
    for i, piece in enumerate(pieces):
        name, sep, _value = piece.partition("=")
        if sep and is_secret_param(unquote_plus(name)):
            pieces[i] = f"{name}={MASK}"
            changed = True
    return "&".join(pieces) if changed else query


def mask_hook_path(path: str) -> str:
    """A path with the hook token masked: ``/hooks/<id>/<token>`` → ``/hooks/<id>/••••``.

    Everything after the integration id is masked (the legacy
    ``/hooks/<id>/<user>/<token>`` form and stray trailing parts alike);
    other paths are returned unchanged.
    """
    if not path.startswith("/hooks/"):
        return path
    ident, sep, rest = path[7:].partition("/")
    return f"/hooks/{ident}/{MASK}" if sep and rest else path


def secret_header_names(extra: Iterable[str | None] = ()) -> frozenset[str]:
    """The built-in secret header names plus ``extra`` (lower-cased; ``None`` entries ignored)."""
    more = {name.lower() for name in extra if name}
    return SECRET_HEADERS | more if more else SECRET_HEADERS


def mask_headers(headers: Mapping[str, str], secret: frozenset[str] = SECRET_HEADERS) -> dict[str, str]:
    """``headers`` with the values of secret ones masked (names compared lower-case)."""
    return {k: (MASK if k.lower() in secret else v) for k, v in headers.items()}

"""What an outgoing integration sends, and how it appears in history.

:func:`default_body` is CONTRACT §7's default JSON body; :func:`script_request`
is the ``request`` given to ``prepare_outgoing_request``.  The ``mask_*``
helpers remove secrets (the integration token, Basic credentials, auth
headers, credentials in URLs) before anything is stored in history or shown
by the API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlsplit, urlunsplit

from ..config import IntegrationConfig
from .triggers import Room

MASK = "••••"
#: header names whose values are never stored
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-auth-token",
                            "x-api-key", "x-gitlab-token", "x-hub-signature", "x-hub-signature-256",
                            "x-signature", "webhook-signature"})
#: query parameters whose values are never stored
SECRET_PARAMS = frozenset({"token", "access_token", "api_key", "apikey", "key", "secret", "password",
                           "auth", "signature", "sig"})


def token_of(integ: IntegrationConfig) -> str | None:
    return integ.token.get_secret_value() if integ.token is not None else None


def default_body(integ: IntegrationConfig, message: dict[str, Any], room: Room, trigger_word: str | None,
                 site_url: str | None = None) -> dict[str, Any]:
    """The JSON body sent when no script changes it (CONTRACT §7)."""
    user = message.get("u") or {}
    body: dict[str, Any] = {
        "token": token_of(integ),
        "bot": message.get("bot") or False,
        "channel_id": room.id,
        "channel_name": room.name if room.kind == "channel" else None,
        "message_id": message.get("_id"),
        "timestamp": message.get("ts"),
        "user_id": user.get("_id"),
        "user_name": user.get("username"),
        "text": message.get("text") or "",
        "isEdited": bool(message.get("editedAt")),
    }
    if trigger_word is not None:
        body["trigger_word"] = trigger_word
    if message.get("alias"):
        body["alias"] = message["alias"]
    if message.get("tmid"):
        body["tmid"] = message["tmid"]
    if site_url:
        body["siteUrl"] = site_url
    return body


def script_request(url: str | None, body: dict[str, Any]) -> dict[str, Any]:
    """The ``request`` handed to ``prepare_outgoing_request``."""
    return {"url": url, "method": "POST", "data": body, "headers": {}, "auth": None, "params": {}}


def mask_url(url: Any) -> Any:
    """A URL without user credentials and with secret-looking query values masked."""
    if not isinstance(url, str):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        query = "&".join(f"{quote_plus(k)}={MASK if k.lower() in SECRET_PARAMS else quote_plus(v)}"
                         for k, v in parse_qsl(query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_headers(headers: Any) -> dict[str, Any]:
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


def history_request(opts: dict[str, Any], secrets: list[str]) -> dict[str, Any]:
    """The request as stored in history and shown by the API: no secrets."""
    out = {
        "url": mask_url(opts.get("url")),
        "method": opts.get("method"),
        "headers": mask_headers(opts.get("headers")),
        "params": {k: (MASK if str(k).lower() in SECRET_PARAMS else v) for k, v in (opts.get("params") or {}).items()}
        if isinstance(opts.get("params"), dict) else {},
        "data": opts.get("data"),
        "auth": MASK if opts.get("auth") else None,
    }
    if opts.get("timeout") is not None:
        out["timeout"] = opts["timeout"]
    return mask_value(out, secrets)  # type: ignore[no-any-return]

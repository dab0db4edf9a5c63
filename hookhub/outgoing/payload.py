"""What an outgoing integration sends, and how it appears in history.

:func:`default_body` is CONTRACT §7's default JSON body; :func:`script_request`
is the ``request`` given to ``prepare_outgoing_request``.  The ``mask_*``
helpers (from :mod:`hookhub.redact`) remove secrets (the integration token, Basic credentials, auth
headers, credentials in URLs) before anything is stored in history or shown
by the API.
"""

from __future__ import annotations

from typing import Any

from ..config import IntegrationConfig
from ..redact import MASK as MASK
from ..redact import is_secret_param
from ..redact import mask_headers as mask_headers
from ..redact import mask_url as mask_url
from ..redact import mask_value as mask_value
from .triggers import Room


def token_of(integ: IntegrationConfig) -> str | None:
    """The integration's ``token`` revealed, or None when it has none."""
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


def history_request(opts: dict[str, Any], secrets: list[str]) -> dict[str, Any]:
    """The request as stored in history and shown by the API: no secrets."""
    out = {
        "url": mask_url(opts.get("url")),
        "method": opts.get("method"),
        "headers": mask_headers(opts.get("headers")),
        "params": {k: (MASK if is_secret_param(str(k)) else v) for k, v in (opts.get("params") or {}).items()}
        if isinstance(opts.get("params"), dict) else {},
        "data": opts.get("data"),
        "auth": MASK if opts.get("auth") else None,
    }
    if opts.get("timeout") is not None:
        out["timeout"] = opts["timeout"]
    return mask_value(out, secrets)  # type: ignore[no-any-return]

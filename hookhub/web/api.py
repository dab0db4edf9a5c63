"""The authenticated read API under ``/api/v1/`` (CONTRACT §9)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..bodies import loads_untrusted
from ..dryrun import dry_run
from ..errors import ConfigError, HookhubError, MessageError, NotFound, RequestError
from ..message import build_doc, check_allowed, resolve, split_targets, Draft
from ..pipeline import process, record
from ..pipeline.inbound import replayed
from ..pipeline.posting import Post, post
from ..ids import new_id

from .auth import admin_only
from .paging import page_limit
from .responses import json_response

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub


def routes(hub: Hub) -> list[Route]:
    """The routes under ``/api/v1/`` (CONTRACT §9), each behind the admin token."""

    def integration(request: Request) -> Any:
        """The integration named by ``{id}`` in the path, or 404."""
        integ = hub.registry.integrations.get(request.path_params["id"])
        if integ is None:
            raise NotFound(f"integration {request.path_params['id']!r} not found")
        return integ

    async def channel_messages(request: Request) -> Response:
        """``GET /api/v1/channels/{name}/messages``: the newest messages of a declared channel (``?limit=``)."""
        name = request.path_params["name"]
        if name not in hub.registry.channels:
            raise NotFound(f"channel {name!r} not found (channels are declared in the YAML file)")
        return json_response({"success": True, "messages": await hub.store.messages(f"#{name}", page_limit(request, 50))})

    async def user_messages(request: Request) -> Response:
        """``GET /api/v1/users/{username}/messages``: the newest direct messages to a declared user."""
        name = request.path_params["username"]
        if name not in hub.registry.users:
            raise NotFound(f"user {name!r} not found (users are declared in the YAML file)")
        return json_response({"success": True, "messages": await hub.store.messages(f"@{name}", page_limit(request, 50))})

    async def list_integrations(request: Request) -> Response:
        """``GET /api/v1/integrations``: every integration as :meth:`Integration.public` shows it (no token)."""
        return json_response({"success": True, "integrations": [i.public() for i in hub.registry.integrations.values()]})

    async def logs(request: Request) -> Response:
        """``GET /api/v1/integrations/{id}/logs``: the integration's newest log lines."""
        integ = integration(request)
        return json_response({"success": True, "logs": await hub.store.logs(integ.id, page_limit(request, 100))})

    async def history(request: Request) -> Response:
        """``GET /api/v1/integrations/{id}/history``: the newest requests, secrets masked."""
        integ = integration(request)
        return json_response({"success": True, "history": await hub.store.history(integ.id, page_limit(request, 50))})

    async def replay(request: Request) -> Response:
        """``POST .../history/{hid}/replay``: run a stored request again through the current script.

        ``?dry_run=1`` uses a fresh instance and a copy of the Store and posts
        nothing (``&http=1`` lets its ``HTTP()`` calls out); otherwise the run is
        committed as a new history entry.  Other kinds go to their replayer.
        """
        integ = integration(request)
        entry = await hub.store.history_entry(integ.id, request.path_params["hid"])
        if entry is None:
            raise NotFound(f"history entry {request.path_params['hid']!r} not found for integration {integ.id!r}")
        if entry["kind"] != "incoming":
            replayer = hub.replayers.get(entry["kind"])
            if replayer is None:
                raise RequestError(f"history entries of kind {entry['kind']!r} cannot be replayed")
            return json_response(await replayer(hub, integ, entry, request.query_params.get("dry_run") in ("1", "true")))
        inbound = replayed(integ, entry["request"] or {})
        old = {"status": entry["status"], "response": entry["response"], "result": entry["result"],
               "message_ids": entry["message_ids"]}
        if request.query_params.get("dry_run") in ("1", "true"):
            # the script as it is on disk now, in a fresh instance with a copy of the Store: changes nothing
            dry = await dry_run(hub, integ, inbound, allow_http=request.query_params.get("http") in ("1", "true"))
            new = dry.to_json()
            return json_response({"success": True, "dry_run": True, "script": new["script"], "old": old, "new": new,
                          "changed": _changes(old, new)})
        started = time.perf_counter()
        outcome = await process(hub, integ, inbound)
        new = {"status": outcome.status, "response": outcome.body, "result": outcome.result,
               "messages": [d.doc for d in outcome.drafts], "logs": [r.to_api() for r in outcome.logs]}
        request_id = new_id()
        await record(hub, integ, inbound, outcome, started, request_id)
        return json_response({"success": True, "dry_run": False, "history_id": request_id, "old": old, "new": new,
                      "changed": _changes(old, new)})

    async def post_message(request: Request) -> Response:
        """``POST /api/v1/chat.postMessage``: post a message as the admin (or ``alias``), committed then announced."""
        try:
            content = loads_untrusted((await request.body()).decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
            raise RequestError(f"invalid JSON body: {exc}") from None
        if not isinstance(content, dict):
            raise RequestError("the JSON body must be an object with channel and text")
        drafts = post_drafts(hub, content)
        await post(hub, Post(None, drafts))
        body: dict[str, Any] = {"success": True, "message": drafts[0].doc}
        if len(drafts) > 1:
            body["messages"] = [d.doc for d in drafts]
        return json_response(body)

    async def reload(request: Request) -> Response:
        """``POST /api/v1/reload``: re-read the YAML file; a 400 listing every problem changes nothing."""
        try:
            changes = await hub.reload_file()
        except ConfigError as exc:
            return json_response({"success": False, "error": "the configuration is invalid; nothing was changed",
                          "problems": [str(p) for p in exc.problems]}, 400)
        report = hub.last_reload
        return json_response({"success": True, "changes": changes, "restart": report.get("restart", []),
                      "compile_errors": report.get("compile_errors", {})})

    return [
        Route("/api/v1/channels/{name}/messages", admin_only(hub, channel_messages), methods=["GET"]),
        Route("/api/v1/users/{username}/messages", admin_only(hub, user_messages), methods=["GET"]),
        Route("/api/v1/integrations", admin_only(hub, list_integrations), methods=["GET"]),
        Route("/api/v1/integrations/{id}/logs", admin_only(hub, logs), methods=["GET"]),
        Route("/api/v1/integrations/{id}/history", admin_only(hub, history), methods=["GET"]),
        Route("/api/v1/integrations/{id}/history/{hid}/replay", admin_only(hub, replay), methods=["POST"]),
        Route("/api/v1/chat.postMessage", admin_only(hub, post_message), methods=["POST"]),
        Route("/api/v1/reload", admin_only(hub, reload), methods=["POST"]),
    ]


def post_drafts(hub: Hub, content: dict[str, Any]) -> list[Draft]:
    """Drafts for ``chat.postMessage``: channel required, username a declared user."""
    registry = hub.registry
    channel = content.get("channel") or content.get("roomId")
    if not channel:
        raise MessageError("channel is required (\"#name\" or \"@username\")")
    username = content.get("username")
    if username is not None:
        poster = registry.users.get(username) if isinstance(username, str) else None
        if poster is None:
            raise MessageError(f"user {username!r} is not declared under users:")
    else:
        default = hub.config.admin.username or (hub.config.users[0].username if hub.config.users else None)
        if default is None:
            raise MessageError("no users are declared; add one under users: to post messages")
        poster = registry.users[default]
    fields = {k: v for k, v in content.items() if k not in ("channel", "roomId", "username")}
    doc = build_doc(fields, poster=poster, max_chars=hub.config.server.max_message_chars)
    drafts = []
    for entry in split_targets(channel):
        dest = resolve(entry, registry)
        check_allowed(dest, poster, registry)
        drafts.append(Draft(dest, dict(doc)))
    return drafts


def _changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Which parts differ between the stored and the new result."""
    changed = [key for key in ("status", "response", "result") if old.get(key) != new.get(key)]
    if len(old.get("message_ids") or []) != len(new.get("messages") or []):
        changed.append("messages")
    return changed


__all__ = ["routes", "post_drafts", "HookhubError"]

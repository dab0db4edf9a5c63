"""The authenticated read API under ``/api/v1/`` (CONTRACT §9)."""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .dryrun import dry_run
from .errors import ConfigError, HookhubError, MessageError, NotFound, RequestError, Unauthorized
from .message import build_doc, check_allowed, resolve, split_targets, stamp, store_rows, Draft
from .pipeline import Inbound, commit, process
from .store import new_id, op_insert_messages

if TYPE_CHECKING:  # pragma: no cover
    from .hub import Hub

Handler = Callable[[Request], Awaitable[Response]]


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _limit(request: Request, default: int, maximum: int = 1000) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        raise RequestError(f"limit must be an integer between 1 and {maximum}")
    return value


def routes(hub: Hub) -> list[Route]:
    admin = hub.config.admin.token
    expected = admin.get_secret_value().encode("utf-8") if admin is not None else b""

    def authenticated(handler: Handler) -> Handler:
        async def wrapper(request: Request) -> Response:
            header = request.headers.get("authorization", "")
            scheme, _, given = header.partition(" ")
            ok = bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(
                given.strip().encode("utf-8", "surrogatepass"), expected)
            if not ok:
                raise Unauthorized()
            return await handler(request)
        return wrapper

    def integration(request: Request) -> Any:
        integ = hub.registry.integrations.get(request.path_params["id"])
        if integ is None:
            raise NotFound(f"integration {request.path_params['id']!r} not found")
        return integ

    async def channel_messages(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in hub.registry.channels:
            raise NotFound(f"channel {name!r} not found (channels are declared in the YAML file)")
        return _json({"success": True, "messages": await hub.store.messages(f"#{name}", _limit(request, 50))})

    async def user_messages(request: Request) -> Response:
        name = request.path_params["username"]
        if name not in hub.registry.users:
            raise NotFound(f"user {name!r} not found (users are declared in the YAML file)")
        return _json({"success": True, "messages": await hub.store.messages(f"@{name}", _limit(request, 50))})

    async def list_integrations(request: Request) -> Response:
        return _json({"success": True, "integrations": [i.public() for i in hub.registry.integrations.values()]})

    async def logs(request: Request) -> Response:
        integ = integration(request)
        return _json({"success": True, "logs": await hub.store.logs(integ.id, _limit(request, 100))})

    async def history(request: Request) -> Response:
        integ = integration(request)
        return _json({"success": True, "history": await hub.store.history(integ.id, _limit(request, 50))})

    async def replay(request: Request) -> Response:
        integ = integration(request)
        entry = await hub.store.history_entry(integ.id, request.path_params["hid"])
        if entry is None:
            raise NotFound(f"history entry {request.path_params['hid']!r} not found for integration {integ.id!r}")
        if entry["kind"] != "incoming":
            replayer = hub.replayers.get(entry["kind"])
            if replayer is None:
                raise RequestError(f"history entries of kind {entry['kind']!r} cannot be replayed")
            return _json(await replayer(hub, integ, entry, request.query_params.get("dry_run") in ("1", "true")))
        stored = entry["request"] or {}
        token = integ.config.token.get_secret_value() if integ.config.token else ""
        inbound = Inbound(
            integration_id=integ.id, token=token, method=stored.get("method", "POST"),
            path=f"/hooks/{integ.id}/{token}", query_string=stored.get("query_string", ""),
            headers=stored.get("headers") or {}, body=(stored.get("body") or "").encode("utf-8"),
        )
        old = {"status": entry["status"], "response": entry["response"], "result": entry["result"],
               "message_ids": entry["message_ids"]}
        if request.query_params.get("dry_run") in ("1", "true"):
            # the script as it is on disk now, in a fresh instance with a copy of the Store: changes nothing
            dry = await dry_run(hub, integ, inbound, allow_http=request.query_params.get("http") in ("1", "true"))
            new = dry.to_json()
            return _json({"success": True, "dry_run": True, "script": new["script"], "old": old, "new": new,
                          "changed": _changes(old, new)})
        started = time.perf_counter()
        outcome = await process(hub, integ, inbound)
        new = {"status": outcome.status, "response": outcome.body, "result": outcome.result,
               "messages": [d.doc for d in outcome.drafts], "logs": [r.to_api() for r in outcome.logs]}
        request_id = new_id()
        await commit(hub, integ, inbound, outcome, started, request_id)
        for draft in outcome.drafts:
            hub.pm.hook.hookhub_message_posted(hub=hub, message=draft.doc, integration_id=integ.id)
        return _json({"success": True, "dry_run": False, "history_id": request_id, "old": old, "new": new,
                      "changed": _changes(old, new)})

    async def post_message(request: Request) -> Response:
        try:
            content = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RequestError(f"invalid JSON body: {exc}") from None
        if not isinstance(content, dict):
            raise RequestError("the JSON body must be an object with channel and text")
        drafts = post_drafts(hub, content)
        now = time.time()
        stamp(drafts, now)
        await hub.store.write(op_insert_messages(store_rows(drafts, None, now)))
        for draft in drafts:
            hub.pm.hook.hookhub_message_posted(hub=hub, message=draft.doc, integration_id=None)
        body: dict[str, Any] = {"success": True, "message": drafts[0].doc}
        if len(drafts) > 1:
            body["messages"] = [d.doc for d in drafts]
        return _json(body)

    async def reload(request: Request) -> Response:
        try:
            changes = await hub.reload_file()
        except ConfigError as exc:
            return _json({"success": False, "error": "the configuration is invalid; nothing was changed",
                          "problems": [str(p) for p in exc.problems]}, 400)
        report = hub.last_reload
        return _json({"success": True, "changes": changes, "restart": report.get("restart", []),
                      "compile_errors": report.get("compile_errors", {})})

    def guarded(handler: Handler) -> Handler:
        return authenticated(handler)

    return [
        Route("/api/v1/channels/{name}/messages", guarded(channel_messages), methods=["GET"]),
        Route("/api/v1/users/{username}/messages", guarded(user_messages), methods=["GET"]),
        Route("/api/v1/integrations", guarded(list_integrations), methods=["GET"]),
        Route("/api/v1/integrations/{id}/logs", guarded(logs), methods=["GET"]),
        Route("/api/v1/integrations/{id}/history", guarded(history), methods=["GET"]),
        Route("/api/v1/integrations/{id}/history/{hid}/replay", guarded(replay), methods=["POST"]),
        Route("/api/v1/chat.postMessage", guarded(post_message), methods=["POST"]),
        Route("/api/v1/reload", guarded(reload), methods=["POST"]),
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

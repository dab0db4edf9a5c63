"""``GET /api/v1/openapi.json``: an OpenAPI 3.1 description of every ``/api/v1/`` route.

Schemas come from :mod:`hookhub.web.apimodels` (pydantic); :data:`OPERATIONS`
lists each route with its parameters and answers.  ``tests/test_openapi.py``
checks that it names every API route the application serves and runs
schemathesis against a live server with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import apimodels as m

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub

REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "path" or "query"
    schema: dict[str, Any]
    description: str = ""

    def json(self, examples: dict[str, str]) -> dict[str, Any]:
        """This parameter as an OpenAPI Parameter Object; path parameters
        are required and take their example from ``examples``."""
        out: dict[str, Any] = {"name": self.name, "in": self.where, "required": self.where == "path",
                               "schema": self.schema}
        if self.description:
            out["description"] = self.description
        if self.name in examples and self.where == "path":
            out["example"] = examples[self.name]
        return out


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    ok: type[BaseModel]
    params: tuple[Param, ...] = ()
    body: type[BaseModel] | None = None
    errors: tuple[int, ...] = field(default=(401, 404))


def _limit(default: int) -> Param:
    return Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000, "default": default},
                 f"how many, newest first (default {default})")


_STRING = {"type": "string"}
_ID = Param("id", "path", _STRING, "integration id")

OPERATIONS: tuple[Operation, ...] = (
    Operation("get", "/api/v1/channels/{name}/messages", "Messages of a channel, newest first", m.Messages,
              (Param("name", "path", _STRING, "channel name without #"), _limit(50)), errors=(400, 401, 404)),
    Operation("get", "/api/v1/users/{username}/messages", "Direct messages to a user, newest first", m.Messages,
              (Param("username", "path", _STRING), _limit(50)), errors=(400, 401, 404)),
    Operation("get", "/api/v1/integrations", "Every integration (tokens masked)", m.Integrations, errors=(401,)),
    Operation("get", "/api/v1/integrations/{id}/logs", "Console output and errors of an integration's script",
              m.Logs, (_ID, _limit(100)), errors=(400, 401, 404)),
    Operation("get", "/api/v1/integrations/{id}/history", "Requests received (or outgoing attempts)", m.History,
              (_ID, _limit(50)), errors=(400, 401, 404)),
    Operation("post", "/api/v1/integrations/{id}/history/{hid}/replay",
              "Run a stored request again through the current script (dry_run=1: post nothing)", m.ReplayOutcome,
              (_ID, Param("hid", "path", _STRING, "history entry id"),
               Param("dry_run", "query", {"type": "string", "enum": ["0", "1", "true", "false"]})),
              errors=(400, 401, 404)),
    Operation("post", "/api/v1/chat.postMessage", "Post a message as a declared user", m.Posted,
              body=m.PostMessage, errors=(400, 401)),
    Operation("post", "/api/v1/reload", "Re-read the YAML file", m.Reloaded, errors=(400, 401)),
    Operation("get", "/api/v1/deliveries", "Outgoing calls and bridge deliveries, newest first", m.Deliveries,
              (Param("message_id", "query", _STRING), Param("kind", "query", {"enum": ["outgoing", "bridge"]}),
               Param("target", "query", _STRING, "integration id or bridge name"),
               Param("status", "query", {"enum": ["pending", "delivered", "failed", "cancelled"]}),
               _limit(100)), errors=(400, 401)),
    Operation("post", "/api/v1/integrations/{id}/enable", "Re-enable an outgoing integration disabled by a 410",
              m.Enabled, (_ID,), errors=(401, 404)),
)


def document(version: str = "0.1.0", examples: dict[str, str] | None = None) -> dict[str, Any]:
    """The OpenAPI document (JSON-ready).

    :param examples: example values of path parameters (``name``, ``username``, ``id``) taken from
        the configuration, so that the examples in the description name things that exist.
    """
    examples = examples or {}
    _, defs = models_json_schema([(model, "validation") for model in m.MODELS], ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        responses: dict[str, Any] = {"200": _answer(op.ok, "success")}
        for status in op.errors:
            responses[str(status)] = _answer(m.Error, _ERRORS[status])
        entry: dict[str, Any] = {"summary": op.summary, "operationId": _operation_id(op), "responses": responses,
                                 "security": [{"bearer": []}]}
        if op.params:
            entry["parameters"] = [p.json(examples) for p in op.params]
        if op.body is not None:
            content: dict[str, Any] = {"schema": {"$ref": REF.format(model=op.body.__name__)}}
            if "name" in examples:
                content["example"] = {"channel": f"#{examples['name']}", "text": "hello from the API"}
            entry["requestBody"] = {"required": True, "content": {"application/json": content}}
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": "hookhub admin API", "version": version,
                 "description": "The authenticated API under /api/v1/ (Authorization: Bearer <admin.token>)."},
        "paths": paths,
        "components": {"schemas": defs.get("$defs", {}),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


_ERRORS = {400: "invalid request", 401: "missing or wrong admin token", 404: "not found"}


def _answer(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}}}


def _operation_id(op: Operation) -> str:
    words = [w.strip("{}").replace(".", "_") for w in op.path.split("/")[3:]]
    return "_".join([op.method, *words])


def routes(hub: Hub) -> list[Route]:
    """``GET /api/v1/openapi.json`` (admin token, like the rest of ``/api/v1/``)."""
    from importlib.metadata import PackageNotFoundError, version

    from .auth import require_admin

    try:
        current = version("hookhub")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        current = "0"
    config = hub.config
    examples = {key: value for key, value in (
        ("name", config.channels[0].name if config.channels else None),
        ("username", config.users[0].username if config.users else None),
        ("id", config.integrations[0].id if config.integrations else None)) if value}
    body = document(current, examples)

    async def openapi(request: Request) -> Response:
        require_admin(hub, request)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    return [Route("/api/v1/openapi.json", openapi, methods=["GET"])]

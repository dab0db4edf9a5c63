"""The shapes of the ``/api/v1/`` bodies, as pydantic models.

:mod:`hookhub.web.openapi` builds ``GET /api/v1/openapi.json`` from them.  The
handlers build their answers as dicts (the hot read paths stay cheap);
``tests/test_openapi.py`` keeps the two in step: answers of every route parse
with these models, and schemathesis checks live answers against the
generated schemas.  Closed models (``extra="forbid"``) make an undocumented
field a test failure.  Message documents, stored requests and script results
are open objects (a script may add any field).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Error(_Open):
    """Every error: ``{"success": false, "error": ...}`` (a reload adds ``problems``)."""

    success: Literal[False]
    error: Any = Field(description="what went wrong (a string, or the object a script returned)")
    problems: list[str] | None = None


class MessageUser(_Open):
    username: str | None = None


class Message(_Open):
    """A chat message (CONTRACT §9): the fields it was posted with and these."""

    id: str = Field(alias="_id")
    ts: str = Field(description="ISO 8601 UTC with milliseconds")
    channel: str | None = None
    text: str | None = None
    alias: str | None = None
    emoji: str | None = None
    avatar: str | None = None
    attachments: list[Any] = Field(default_factory=list)
    u: MessageUser | None = None


class Messages(_Closed):
    """GET /api/v1/channels/{name}/messages: the newest messages of a channel first."""

    success: Literal[True]
    messages: list[Message]


class IntegrationInfo(_Closed):
    """An integration as the API shows it: never its token."""

    id: str
    name: str
    type: Literal["incoming", "outgoing"]
    enabled: bool
    engine: str | None
    script_enabled: bool
    hook: str | None = Field(description="the hook path with the token masked: /hooks/<id>/••••")
    channel: list[str]
    username: str | None
    compile_error: str | None


class Integrations(_Closed):
    """GET /api/v1/integrations: every integration, never its token."""

    success: Literal[True]
    integrations: list[IntegrationInfo]


class LogEntry(_Closed):
    """One line of an integration's log (console output, errors, tracebacks)."""

    level: str
    ts: str
    message: str
    request_id: str | None


class Logs(_Closed):
    """GET /api/v1/integrations/{id}/logs: the newest lines first."""

    success: Literal[True]
    logs: list[LogEntry]


class HistoryEntry(_Closed):
    """One webhook received (or one outgoing attempt)."""

    id: str = Field(alias="_id")
    ts: str
    integration_id: str
    kind: str
    step: str | None
    request: dict[str, Any] | None = Field(description="method, path (token masked), headers without secrets, body")
    result: Any = Field(description="what the script returned")
    status: int | None
    response: Any
    message_ids: list[str]
    error: str | None
    duration_ms: float | None


class History(_Closed):
    """GET /api/v1/integrations/{id}/history: the newest requests first, secrets masked."""

    success: Literal[True]
    history: list[HistoryEntry]


class ReplayOutcome(_Open):
    """A replay: the stored outcome (``old``) and the new one (``new``) side by side."""

    success: Literal[True]
    dry_run: bool
    history_id: str | None = None
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    changed: list[str] | None = None
    script: dict[str, Any] | None = Field(None, description="dry run: the script version that ran (source, "
                                                           "sha256, mtime, engine, same_as_loaded)")


class PostMessage(_Open):
    """Body of ``chat.postMessage`` (Rocket.Chat's REST API); other message fields are accepted too."""

    channel: str | None = Field(None, description='"#name", "@username", or several separated by commas')
    roomId: str | None = None
    text: str | None = None
    alias: str | None = None
    emoji: str | None = None
    avatar: str | None = None
    attachments: list[Any] | None = None
    username: str | None = Field(None, description="a declared user (default: admin.username)")


class Posted(_Closed):
    """POST /api/v1/chat.postMessage: the message posted (``messages`` when several destinations)."""

    success: Literal[True]
    message: Message
    messages: list[Message] | None = None


class Reloaded(_Closed):
    """POST /api/v1/reload: what changed, what needs a restart, which scripts do not compile."""

    success: Literal[True]
    changes: list[str]
    restart: list[str] = Field(default_factory=list, description="settings that keep their running value "
                                                                 "until a restart")
    compile_errors: dict[str, str] = Field(default_factory=dict,
                                           description="integrations disabled because their script does not "
                                                       "compile, by id")


class DeliveryView(_Closed):
    """One outgoing call or bridge delivery of the outbox."""

    id: str = Field(alias="_id")
    kind: Literal["outgoing", "bridge"]
    target: str | None
    message_id: str | None
    event: str | None
    status: Literal["pending", "delivered", "failed", "cancelled"]
    tries: int
    attempts: int
    next_attempt_at: str | None
    last_status: int | None
    last_error: str | None
    created_at: str
    updated_at: str


class Deliveries(_Closed):
    """GET /api/v1/deliveries: outgoing and bridge deliveries (filtered by status, kind, target, message_id)."""

    success: Literal[True]
    deliveries: list[DeliveryView]


class Enabled(_Closed):
    """POST /api/v1/integrations/{id}/enable: the integration after clearing a runtime disable."""

    success: Literal[True]
    integration: IntegrationInfo
    note: str | None = None


MODELS: tuple[type[BaseModel], ...] = (
    Error, Message, Messages, IntegrationInfo, Integrations, LogEntry, Logs, HistoryEntry, History, ReplayOutcome,
    PostMessage, Posted, Reloaded, DeliveryView, Deliveries, Enabled,
)

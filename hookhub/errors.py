"""hookhub's one exception tree.

Every error a caller can see is a :class:`HookhubError`.  Each class carries
its HTTP ``status`` and the ``error`` value of the JSON envelope
``{"success": false, "error": ...}``; the HTTP layer renders it with
:meth:`HookhubError.body`.  Messages name the thing at fault and say what to do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


class HookhubError(Exception):
    """Base of every hookhub error."""

    status: int = 500
    error: Any = "internal-error"
    #: extra HTTP headers of the answer (``Retry-After``, ...), read by the one renderer
    #: (:func:`hookhub.web.responses.error_response`)
    headers: dict[str, str]

    def __init__(self, error: Any = None, *, status: int | None = None) -> None:
        self.__dict__.setdefault("headers", {})  # a subclass may have set its own before calling this
        if error is not None:
            self.error = error
        if status is not None:
            self.status = status
        super().__init__(self.error if isinstance(self.error, str) else repr(self.error))

    def body(self) -> dict[str, Any]:
        """The JSON body sent to the caller."""
        if isinstance(self.error, dict):
            return {**self.error, "success": False}
        return {"success": False, "error": self.error}


# -- configuration ---------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One configuration problem, located in its file."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(HookhubError):
    """The YAML file is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# -- scripts ---------------------------------------------------------------


class ScriptCompileError(HookhubError):
    """A script does not compile, or defines no ``class Script``."""

    status = 400
    error = "error-evaluating-script"

    def __init__(self, filename: str, line: int | None, message: str) -> None:
        self.filename = filename
        self.line = line
        self.message = message
        super().__init__()

    def __str__(self) -> str:
        where = self.filename if self.line is None else f"{self.filename}:{self.line}"
        return f"{where}: {self.message}"


class ScriptRunError(HookhubError):
    """A script raised, timed out, ran out of memory, or returned something invalid.

    ``reason`` (with the traceback, if any) goes to the integration log,
    never to the caller.
    """

    status = 400
    error = "error-running-script"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__()

    def __str__(self) -> str:
        return self.reason


class ScriptUnavailable(ScriptRunError):
    """The integration is saturated (too many calls in flight or queued)."""

    status = 503
    error = "integration busy: too many calls in flight or queued; retry later"


class ScriptQuarantined(ScriptUnavailable):
    """The integration's calls kept timing out: refused for a while (``sandbox.quarantine``)."""

    error = "integration quarantined: its script keeps timing out; retry after Retry-After seconds"

    def __init__(self, retry_after: float, reason: str = "") -> None:
        self.headers = {"Retry-After": str(max(1, math.ceil(retry_after)))}
        super().__init__(reason or self.error)


# -- storage ---------------------------------------------------------------


class StoreUnavailable(HookhubError):
    """The store cannot commit (disk full, read-only, unreachable): nothing was stored, retry later."""

    status = 503

    def __init__(self, reason: str, retry_after: int = 10) -> None:
        self.reason = reason
        self.headers = {"Retry-After": str(retry_after)}
        super().__init__(f"the store cannot commit: {reason}; nothing was stored, retry later")


# -- requests --------------------------------------------------------------


class RequestError(HookhubError):
    """A client error answered with ``status`` and ``error``."""

    status = 400


class InvalidIntegration(RequestError):
    status = 404
    error = "Invalid integration id or token provided."


class IntegrationDisabled(RequestError):
    status = 503
    error = "Service Unavailable"


class PayloadTooLarge(RequestError):
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes (server.max_body_bytes)")


class Unauthorized(RequestError):
    status = 401
    error = "unauthorized"


class NotFound(RequestError):
    status = 404


class VerificationFailed(RequestError):
    """The request does not carry a valid signature (``verify:``); the message says why, never the secret.

    Raised by verifiers (:class:`hookhub.ext.Verifier`); the request is answered 401 and kept in history.
    """

    status = 401
    error = "signature verification failed"


class RateLimited(RequestError):
    status = 429
    error = "rate limit exceeded"

    def __init__(self, limit: int, remaining: int, reset: int) -> None:
        self.headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset),
        }
        super().__init__()


class MessageError(RequestError):
    """The content cannot become a message (invalid channel, field, size...).

    ``field`` is the path of the offending field inside the content
    (``attachments[0].title_link``) and ``fix`` says how to fix it; both go to
    the integration log (``refusals.explain``), the caller gets ``error`` only.
    """

    def __init__(self, error: Any = None, *, field: str | None = None, fix: str | None = None,
                 status: int | None = None) -> None:
        self.field = field
        self.fix = fix
        super().__init__(error, status=status)


class ScriptReturnedError(RequestError):
    """The script returned ``{"error": ...}``: passed through to the caller."""


# -- egress ------------------------------------------------------------------


class EgressRefused(HookhubError):
    """An outbound HTTP call was refused by the integration's egress policy (``http:`` in YAML)."""

    status = 403

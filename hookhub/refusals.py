"""Why a script's result (or a body without a script) was refused, said where the user looks.

Every refusal, a wrong return shape, a field that fails validation, a size
limit, goes to the integration's log (and so to ``hookhub test``'s output)
with the path of the offending field (``content.attachments[0].title_link``)
and how to fix it.  The caller still gets Rocket.Chat's short answer
(``error-running-script``, ``invalid-channel``, ...).
"""

from __future__ import annotations

import difflib
from typing import Any

from .errors import MessageError

__all__ = ["RESULT_KEYS", "explain", "shape_problem"]

#: the keys a script's result may have (CONTRACT §5)
RESULT_KEYS = ("content", "response", "user", "error")
_MESSAGE_KEYS = ("text", "msg", "attachments", "channel", "alias", "emoji", "icon_emoji", "icon_url", "avatar")
_RETURN_HINT = ("return {'content': {'text': ...}} to post a message, None to post nothing, "
                "or {'error': '...'} to answer 400")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def shape_problem(result: Any) -> str | None:
    """What is wrong with the shape of a truthy, non-error result, or None when it is fine."""
    if not isinstance(result, dict):
        return f"result: the script returned {_kind(result)} ({_preview(result)}), not an object; {_RETURN_HINT}"
    content = result.get("content")
    if content is None:
        keys = [k for k in result if isinstance(k, str)]
        for key in keys:
            close = difflib.get_close_matches(key, RESULT_KEYS, n=1, cutoff=0.6)
            if close and key not in RESULT_KEYS:
                return (f"result.{key}: unknown key; did you mean '{close[0]}'? "
                        f"(a result has {', '.join(RESULT_KEYS)})")
        misplaced = [k for k in keys if k in _MESSAGE_KEYS]
        if misplaced:
            return (f"result.{misplaced[0]}: message fields go under 'content': "
                    f"return {{'content': {{'{misplaced[0]}': ...}}}}")
        shown = ", ".join(keys) or "none"
        return f"result.content: missing (the result's keys: {shown}); {_RETURN_HINT}"
    if not isinstance(content, dict):
        return (f"result.content: must be an object with text, attachments, channel..., "
                f"got {_kind(content)} ({_preview(content)})")
    response = result.get("response")
    if response is not None and not isinstance(response, dict):
        return f"result.response: must be an object merged into the answer, got {_kind(response)}"
    return None


def explain(exc: MessageError, *, script: bool) -> str:
    """The integration-log line for a refused message: field path, answer, fix."""
    prefix = "content" if script else "body"
    whose = "the script's result" if script else "the request body (no script)"
    field = getattr(exc, "field", None)
    where = f" at {prefix}.{field}" if field else ""
    line = f"{whose} was refused{where}: {exc.error}"
    fix = getattr(exc, "fix", None)
    if fix:
        line += f". Fix: {fix}"
    return line

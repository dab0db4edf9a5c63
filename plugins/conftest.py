"""TEMPORARY stand-in for the real ``check`` fixture (hookhub/testing.py).

DELETE THIS FILE when ``hookhub.testing`` lands on main: the real pytest
plugin runs the full pipeline in the sandbox and provides the same ``check``
fixture with the same signature.

Until then this module compiles each script with RestrictedPython's default
policy (stricter than hookhub's: it also refuses augmented assignment of
attributes), refuses ``.format()``/``type()``/``vars()``/``globals()``,
runs ``process_incoming_request`` on the read-only request object built by
:mod:`hookhub.request`, and applies the CONTRACT §5/§6 rules that matter for
message equality (``None`` values dropped, field values turned into strings,
non-empty message, 5000 character text limit, http(s) URLs only).

Run the bundled plugin tests with ``python -m pytest plugins -q -p no:hookhub``
while the ``hookhub.testing`` entry point does not exist yet.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any, Callable

import pytest
from RestrictedPython import compile_restricted_exec, limited_builtins, safe_builtins, utility_builtins
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr

from hookhub.engines.base import Console, ScriptStore
from hookhub.request import build_request, freeze

ALLOWED_MODULES = (
    "json", "re", "math", "datetime", "time", "hashlib", "hmac", "base64", "urllib.parse",
    "string", "textwrap", "html", "itertools", "functools", "collections", "decimal", "uuid",
    "random", "zoneinfo",
)
FORBIDDEN_NAMES = {"type", "vars", "globals", "locals", "eval", "exec", "open", "compile", "getattr"}
FORBIDDEN_ATTRS = {"format", "format_map"}
URL_KEYS = ("author_link", "author_icon", "title_link", "image_url", "thumb_url", "audio_url",
            "video_url", "message_link")
MAX_TEXT = 5000


def _guarded_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
    if name not in ALLOWED_MODULES and not any(name.startswith(m + ".") for m in ALLOWED_MODULES):
        raise ImportError(f"module {name!r} is not allowed; allowed: {', '.join(ALLOWED_MODULES)}")
    return __import__(name, globals, locals, fromlist, level)


def _extra_policy(source: str, filename: str) -> None:
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            raise AssertionError(f"{filename}:{node.lineno}: {node.id}() is refused by hookhub's sandbox")
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRS:
            raise AssertionError(f"{filename}:{node.lineno}: .{node.attr}() is refused; use an f-string")


def _builtins() -> dict[str, Any]:
    out: dict[str, Any] = {}
    out.update(safe_builtins)
    out.update(limited_builtins)
    out.update(utility_builtins)
    for name in ("dict", "list", "set", "tuple", "sorted", "reversed", "min", "max", "sum", "any",
                 "all", "enumerate", "zip", "map", "filter", "isinstance"):
        out[name] = getattr(__builtins__, name, None) or __builtins__[name]  # type: ignore[index]
    out["__import__"] = _guarded_import
    return out


def load_script(path: Path) -> tuple[dict[str, Any], Any, Console]:
    source = path.read_text(encoding="utf-8")
    _extra_policy(source, str(path))
    result = compile_restricted_exec(source, filename=str(path))
    if result.errors:
        raise AssertionError(f"{path}: RestrictedPython refused the script: {result.errors}")
    console = Console()
    namespace: dict[str, Any] = {
        "__builtins__": _builtins(),
        "__name__": "script",
        "__metaclass__": type,
        "_getattr_": safer_getattr,
        "_getitem_": lambda obj, key: obj[key],
        "_getiter_": iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": lambda obj: obj,
        "_apply_": lambda f, *a, **kw: f(*a, **kw),
        "console": console,
        "Store": ScriptStore(),
    }
    exec(result.code, namespace)  # noqa: S102 - RestrictedPython-compiled code
    return namespace, namespace["Script"](), console


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_none(v) for v in value]
    return value


def _to_message(content: dict[str, Any]) -> dict[str, Any]:
    message = _drop_none(content)
    for attachment in message.get("attachments", []):
        assert isinstance(attachment, dict), f"attachment is not an object: {attachment!r}"
        for field in attachment.get("fields", []):
            field["value"] = str(field.get("value", ""))
        for key in URL_KEYS:
            if key in attachment:
                assert str(attachment[key]).startswith(("http://", "https://")), f"{key}: {attachment[key]!r}"
    text = str(message.get("text") or message.get("msg") or "").strip()
    if "text" in message:
        message["text"] = text
    assert text or message.get("attachments"), "message needs text or attachments"
    assert len(text) <= MAX_TEXT, f"text is {len(text)} characters, limit {MAX_TEXT}"
    return message


def run(script: Path, content: Any, headers: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, Any] | None, Console]:
    """Run ``script`` on ``content``: (status, response body, message or None, console)."""
    _, instance, console = load_script(script)
    raw = json.dumps(content)
    request = freeze(build_request(
        path="/hooks/test/token", query_string="", url_params={"integrationId": "test", "token": "token"},
        headers={"content-type": "application/json", **headers}, content=content, content_raw=raw,
        body=content, user={"_id": "rocket.cat", "name": "Rocket Cat", "username": "rocket.cat"},
    ))
    try:
        result = instance.process_incoming_request(request=request)
        result = json.loads(json.dumps(result))
    except Exception as exc:  # noqa: BLE001 - mirrors error-running-script
        console.error(f"{type(exc).__name__}: {exc}")
        return 400, {"success": False, "error": "error-running-script"}, None, console
    if not result:
        return 200, {"success": True}, None, console
    if isinstance(result, dict) and "error" in result:
        if isinstance(result["error"], dict):
            return 400, {**result["error"], "success": False}, None, console
        return 400, {"success": False, "error": result["error"]}, None, console
    if not isinstance(result, dict) or not isinstance(result.get("content"), dict):
        return 400, {"success": False, "error": "error-running-script"}, None, console
    return 200, {"success": True}, _to_message(result["content"]), console


@pytest.fixture
def check() -> Callable[..., dict[str, Any] | None]:
    def _check(script: Path | str, fixture: str | dict[str, Any], *, headers: dict[str, str] | None = None,
               status: int = 200, error: Any = None, expect_nothing: bool = False,
               **message_fields: Any) -> dict[str, Any] | None:
        script = Path(script)
        if isinstance(fixture, str):
            content = json.loads((script.parent / "fixtures" / f"{fixture}.json").read_text(encoding="utf-8"))
            if headers is None:
                namespace, _, _ = load_script(script)
                event_header = namespace.get("EVENT_HEADER")
                headers = {event_header: fixture.split("__")[0]} if event_header else {}
        else:
            content = fixture
        got_status, body, message, console = run(script, content, {k.lower(): v for k, v in (headers or {}).items()})
        logs = [r.message for r in console.records]
        assert got_status == status, f"status {got_status} != {status}: {body}; log: {logs}"
        if error is not None:
            assert body.get("error") == error, body
        if expect_nothing:
            assert message is None, f"expected nothing posted, got {message}"
            return None
        if status == 200:
            assert message is not None, f"expected a message, nothing was posted; log: {logs}"
            for key, expected in message_fields.items():
                assert message.get(key) == expected, f"{key}:\n got      {message.get(key)!r}\n expected {expected!r}"
        return message

    return _check

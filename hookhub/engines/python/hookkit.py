"""``hookkit``: helpers that integration scripts import (``from hookkit import link, field``).

The functions every bundled script needs - read untrusted JSON payloads
safely, write Markdown links, shorten text, build attachment fields and the
``{"content": ...}`` answer, summarise pushed commits - written once.

Scripts see this module as ``hookkit`` (``import hookkit``): a read-only proxy
exposing only the names in :data:`__all__` (see
:mod:`hookhub.engines.python.modules`).  Everything here is a pure function over JSON
data (dicts, lists, strings, numbers) or an immutable constant: no I/O, no
state, nothing a script could change to affect another integration.  The
functions never look up attributes by a name the caller chooses and never use
``str.format``; they only call methods of the values they are given.

Every public name is documented in ``docs/writing-scripts.md`` (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "BLUE", "GREEN", "GREY", "PURPLE", "RED", "YELLOW",
    "at_most", "commit_line", "dispatch", "duration", "event_key", "field", "find_missing", "first_line",
    "http_url",
    "link", "message", "obj", "objs", "payload_problem", "plural", "pluck", "push_message", "shorten",
    "unique",
]

#: Attachment colours (Slack's and Rocket.Chat's usual palette).
GREEN = "#2eb886"
RED = "#a30200"
YELLOW = "#daa038"
BLUE = "#439fe0"
PURPLE = "#6f42c1"
GREY = "#808080"


# -- reading payloads ----------------------------------------------------------


def obj(value: Any) -> Any:
    """``value`` when it is a JSON object, else an empty one: payload parts are never trusted.

    ``obj(content.get("sender")).get("login")`` never fails, whatever the sender is.
    """
    return value if isinstance(value, dict) else {}


def objs(value: Any) -> list[Any]:
    """The JSON objects in ``value`` when it is a list, else an empty list."""
    if not isinstance(value, (list, tuple)):
        return []
    return [item for item in value if isinstance(item, dict)]


def pluck(items: Any, key: str) -> list[Any]:
    """The non-empty values of ``key`` in the JSON objects of the list ``items``.

    ``pluck([{"name": "bug"}, {"name": ""}, 3], "name")`` → ``["bug"]``.
    """
    return [item.get(key) for item in objs(items) if item.get(key)]


def find_missing(content: Any, paths: Iterable[str]) -> str | None:
    """The first dotted path of ``paths`` that is absent (or null) in ``content``, else None.

    ``find_missing({"repository": {}}, ("repository.full_name",))`` → ``"repository.full_name"``.
    """
    for path in paths:
        value = content
        for key in path.split("."):
            if not isinstance(value, dict) or value.get(key) is None:
                return path
            value = value[key]
    return None


def payload_problem(content: Any, required: Iterable[str] = (), source: str = "The") -> str | None:
    """What is wrong with a payload, for an ``{"error": ...}`` answer; None when nothing is.

    ``"{source} payload must be a JSON object"`` when ``content`` is not an
    object, ``"{source} payload is missing 'a.b'"`` when a dotted path of
    ``required`` is absent or null (see :func:`find_missing`).
    """
    if not isinstance(content, dict):
        return f"{source} payload must be a JSON object"
    missing = find_missing(content, required)
    if missing:
        return f"{source} payload is missing '{missing}'"
    return None


def http_url(value: Any) -> str | None:
    """``value`` (as text) when it is an absolute http(s) URL, else None."""
    text = str(value or "")
    return text if text.startswith(("http://", "https://")) else None


# -- text ----------------------------------------------------------------------


def link(label: Any, url: Any) -> str:
    """A Markdown link ``[label](url)``; square brackets in the label are escaped.

    Without a URL (None or empty) the escaped label alone.
    """
    text = str(label).replace("[", "\\[").replace("]", "\\]")
    if not url:
        return text
    return f"[{text}]({url})"


def shorten(text: Any, limit: int) -> str:
    """At most ``limit`` characters, ending with an ellipsis when cut.

    Numbers become text; anything else that is not a string (None, a list) becomes "".
    Leading and trailing white space is dropped.
    """
    if isinstance(text, (int, float)):
        text = str(text)
    clean: str = text.strip() if isinstance(text, str) else ""
    if len(clean) <= limit:
        return clean
    return clean[: limit - 1].rstrip() + "…"


def first_line(text: Any) -> str:
    """The first line of ``text`` (a commit message's title); "" for None."""
    return str(text or "").split("\n")[0]


def plural(count: Any, noun: str) -> str:
    """``"1 commit"``, ``"3 commits"``: the count and the noun, with an "s" unless the count is 1."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def duration(seconds: Any) -> str:
    """A length of time in words: 84 → "1m 24s", 3725 → "1h 2m", 9 → "9s".

    Fractions of a second are rounded; None counts as 0.
    """
    whole = int(round(seconds or 0))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def unique(values: Iterable[Any]) -> list[Any]:
    """``values`` without repeats, in the order they first appear: ``unique("abca")`` → ``["a", "b", "c"]``."""
    out: list[Any] = []
    seen: set[Any] = set()
    for value in values:
        try:
            if value in seen:
                continue
            seen.add(value)
        except TypeError:  # unhashable (a list, an object): compared with what came before
            if value in out:
                continue
        out.append(value)
    return out


def at_most(lines: Sequence[Any], limit: int, total: Any = None) -> list[Any]:
    """The first ``limit`` of ``lines``, then "… and N more" when there are more.

    ``total`` is how many there are in all when ``lines`` holds only some of them
    (a payload that lists the first 20 of 50 commits); it defaults to ``len(lines)``.
    """
    shown = list(lines[:limit])
    total = len(lines) if total is None else total
    if total > len(shown):
        shown.append(f"… and {total - len(shown)} more")
    return shown


# -- answers -------------------------------------------------------------------


def field(title: Any, value: Any, short: bool = True) -> dict[str, Any]:
    """An attachment field ``{"title": ..., "value": str(value), "short": ...}``.

    ``short=False`` gives the field the attachment's whole width.
    """
    return {"title": title, "value": str(value), "short": short}


def message(text: Any, *attachments: Any) -> dict[str, Any]:
    """The answer that posts ``text`` with the given attachments (empty ones and None are left out).

    ``message("Deployed", {"color": GREEN, "title": "v1.2"})`` →
    ``{"content": {"text": "Deployed", "attachments": [{"color": ..., "title": "v1.2"}]}}``.
    """
    content: dict[str, Any] = {"text": text}
    kept = [attachment for attachment in attachments if attachment]
    if kept:
        content["attachments"] = kept
    return {"content": content}


# -- git -----------------------------------------------------------------------


def commit_line(sha: Any, text: Any, url: Any = None, author: Any = None, sha_length: int = 7) -> str:
    """One commit as a line: ``[abc1234](url) First line of the message — Author``.

    The hash is cut to ``sha_length`` characters and links to ``url``; the
    message's first line is shortened to 100 characters; `` — author`` is
    left out when there is no author.
    """
    short_sha = str(sha or "")[:sha_length]
    line = f"{link(short_sha, url)} {shorten(first_line(text), 100)}"
    if author:
        line = f"{line} — {author}"
    return line


def push_message(pusher: Any, branch: Any, repo: Any, lines: Sequence[Any], *, count: Any = None,
                 compare_url: Any = None, new_branch: bool = False, forced: bool = False,
                 limit: int = 10) -> dict[str, Any]:
    """The answer for commits pushed to a branch.

    Text: ``{pusher} pushed 2 commits to {branch} of {repo}`` ("force-pushed"
    when ``forced``, "new branch {branch}" when ``new_branch``); one blue
    attachment titled "2 commits", linked to ``compare_url``, listing the first
    ``limit`` of ``lines`` (commit lines, see :func:`commit_line`) and
    "… and N more".  ``count`` is the number of commits pushed when the payload
    lists only some of them; it defaults to ``len(lines)``.
    """
    count = len(lines) if count is None else count
    commits = plural(count, "commit")
    verb = "force-pushed" if forced else "pushed"
    target = f"new branch {branch}" if new_branch else branch
    attachment = {
        "color": BLUE,
        "title": commits,
        "title_link": compare_url,
        "text": "\n".join(at_most(lines, limit, count)),
    }
    return message(f"{pusher} {verb} {commits} to {target} of {repo}", attachment)


# -- events --------------------------------------------------------------------


def event_key(name: Any) -> str:
    """An event name folded for comparison: lower case, punctuation and spaces as one ``_``.

    ``"Push Hook"``, ``"push_hook"`` and ``"push-hook"`` are the same event;
    so are ``"repo:push"`` and ``"repo_push"`` (fixture file names use the
    folded form). ``event_key("Merge Request Hook")`` → ``"merge_request_hook"``.
    """
    out: list[str] = []
    gap = False
    for char in str(name or "").strip().lower():
        if char.isalnum():
            if gap and out:
                out.append("_")
            out.append(char)
            gap = False
        else:
            gap = True
    return "".join(out)


def _path_value(content: Any, path: str) -> Any:
    value = content
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _matches(key: Any, name: Any) -> bool:
    """Whether a table key names the event ``name``: equal when folded, ``"*"``, or a prefix ending in ``*``."""
    key = str(key)
    if key == "*":
        return True
    if key.endswith("*"):
        return event_key(name).startswith(event_key(key[:-1]))
    return event_key(key) == event_key(name)


def _pick(table: Any, name: Any, default: Any = None) -> Any:
    """The value of the most specific key of ``table`` matching ``name``: exact, then prefix, then ``"*"``."""
    exact = [key for key in table if not str(key).endswith("*") and _matches(key, name)]
    if exact:
        return table[exact[0]]
    prefixes = sorted((key for key in table if str(key).endswith("*") and _matches(key, name)),
                      key=lambda key: -len(str(key)))
    return table[prefixes[0]] if prefixes else default


def _lookup(table: Any, name: Any) -> tuple[bool, Any]:
    """``(found, value)`` of the entry of ``table`` whose key folds like ``name`` (then ``"*"``)."""
    wanted = event_key(name)
    for key in table:
        if event_key(key) == wanted:
            return True, table[key]
    if "*" in table:
        return True, table["*"]
    return False, None


def _event_name(request: Any, content: Any, header: Any, field: Any, detect: Any) -> tuple[Any, str]:
    """The event name a request carries, and where it was read (for messages)."""
    headers = obj(obj(request).get("headers"))
    names = (header,) if isinstance(header, str) else tuple(header or ())
    for name in names:
        value = headers.get(str(name).lower())
        if value is not None and str(value).strip():
            return str(value).strip(), f"{name} header"
    if field:
        value = _path_value(content, field)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip(), f"'{field}'"
    if detect is not None:
        value = detect(content)
        if value:
            return str(value), "its shape"
    return None, ""


def _no_event(service: str, header: Any, field: Any, hint: Any) -> str:
    names = (header,) if isinstance(header, str) else tuple(header or ())
    article = "an" if str(service)[:1].lower() in "aeiou" else "a"
    delivery = f"is this {article} {service} webhook delivery?"
    if names and field:
        text = f"missing {names[0]} header (and no '{field}' in the body): {delivery}"
    elif names:
        text = f"missing {' or '.join(str(n) for n in names)} header: {delivery}"
    elif field:
        text = f"{service} payload is missing '{field}': {delivery}"
    else:
        text = f"not a {service} webhook payload: cannot tell which event it is"
    return f"{text} ({hint})" if hint else text


def _unsupported(log: Any, text: str) -> None:
    if log is not None:
        log(f"{text} is not supported; nothing posted")


def dispatch(request: Any, events: Any, *, header: Any = None, field: Any = None, detect: Any = None,
             default: Any = None, action: Any = "action", needs: Any = None, service: str = "The",
             hint: Any = None, log: Any = None) -> Any:
    """Answer a webhook from the script's event table: call the handler of its event.

    ``events`` maps event names to handlers, ``{"push": push, ...}``; a handler
    is called as ``handler(body, request)`` (``body`` is ``request.content``)
    and its return value is the answer. The event name comes from the first
    of: the ``header`` (a name or a tuple of names, case-insensitive), the body
    ``field`` (a dotted path such as ``"event.event_type"``), ``detect(body)``
    (a function for payloads that only their shape tells apart), ``default``.
    Names are compared folded (:func:`event_key`). A value of the table may
    itself be a table by action: ``{"opened": opened, "closed": closed}``,
    keyed by the body field ``action`` (a dotted path, default ``"action"``,
    or a table of paths by event); ``"*"`` matches any other name; ``None``
    marks a known event that posts nothing.

    Answers: an unknown event or action is *unsupported*: ``None`` (200,
    nothing posted, the sender must not retry) and one log line
    ``"GitHub event 'ping' is not supported; nothing posted"``. A request that
    names no event, a body that is not a JSON object, or a body without a
    dotted path that ``needs`` lists for the event is *anomalous*:
    ``{"error": ...}`` (400) naming the header or the missing path, e.g.
    ``"GitHub 'push' payload is missing 'repository.full_name'"`` (``needs``
    keys: ``"*"`` for all events, plus the most specific of an event or a prefix such as
    ``"pullrequest:*"``). ``service``
    names the sender in these texts; ``hint`` is added to the no-event error.
    ``log`` receives the log line: inside a script it is ``console.log``
    already (the sandbox binds it).
    """
    content = obj(request).get("content")
    name, _ = _event_name(request, content, header, field, detect)
    if name is None:
        name = default
    if name is None or name == "":
        if not isinstance(content, dict) and not header:
            return {"error": f"{service} payload must be a JSON object"}
        return {"error": _no_event(service, header, field, hint)}
    found, handler = _lookup(events, name)
    if not found or handler is None:
        _unsupported(log, f"{service} event '{name}'")
        return None
    # the paths every event needs ("*"), then those of the most specific key naming this event
    table = obj(needs)
    required: list[Any] = list(table.get("*") or ())
    required += list(_pick({key: table[key] for key in table if key != "*"}, name, ()) or ())
    path = _pick(action, name, "action") if isinstance(action, dict) else action
    if isinstance(handler, dict):
        required.append(path)
    problem = payload_problem(content, required, f"{service} '{name}'")
    if problem:
        return {"error": problem}
    if isinstance(handler, dict):
        what = _path_value(content, path)
        found, handler = _lookup(handler, what)
        if not found or handler is None:
            _unsupported(log, f"{service} '{name}' {str(path).split('.')[-1]} '{what}'")
            return None
    if not callable(handler):
        return {"error": f"the event table of the script maps '{name}' to something that is not a function"}
    return handler(content, request)

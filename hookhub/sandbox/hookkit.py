"""``hookkit``: helpers that integration scripts import (``from hookkit import link, field``).

The functions every bundled script needs - read untrusted JSON payloads
safely, write Markdown links, shorten text, build attachment fields and the
``{"content": ...}`` answer, summarise pushed commits - written once.

Scripts see this module as ``hookkit`` (``import hookkit``): a read-only proxy
exposing only the names in :data:`__all__` (see
:mod:`hookhub.sandbox.modules`).  Everything here is a pure function over JSON
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
    "at_most", "commit_line", "duration", "field", "find_missing", "first_line", "http_url",
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

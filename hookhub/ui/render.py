"""Turning stored data into safe HTML pieces: message text, URLs, colours, masked headers, diffs.

Everything is escaped; the only markup produced here is links (to http(s)
URLs only), ``<strong>``, ``<em>`` and ``<code>``.  A URL of any other
scheme, a relative one or a ``data:`` one is never made into a link or an
image, whatever the message says.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from ..redact import MASK
from ..urls import safe_http_url

#: header names whose values are secrets (beyond the ones history never stores)
_SECRET_NAME = re.compile(r"auth|token|secret|signature|password|passwd|cookie|api[-_]?key|session", re.I)
#: a CSS colour the colour bar accepts: #rgb, #rrggbb(aa), or a plain colour name
_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}")
#: Slack/Rocket.Chat colour names for attachments
_NAMED = {"good": "#2eb886", "warning": "#daa038", "danger": "#a30200"}

#: the shortcodes scripts use most, shown as the emoji (others stay as written)
EMOJI = {
    ":ghost:": "👻", ":robot:": "🤖", ":rocket:": "🚀", ":construction_worker:": "👷", ":bell:": "🔔",
    ":warning:": "⚠️", ":fire:": "🔥", ":white_check_mark:": "✅", ":heavy_check_mark:": "✔️", ":x:": "❌",
    ":rotating_light:": "🚨", ":tada:": "🎉", ":bug:": "🐛", ":package:": "📦", ":memo:": "📝",
    ":octocat:": "🐙", ":chart_with_upwards_trend:": "📈", ":gear:": "⚙️", ":lock:": "🔒", ":email:": "📧",
    ":thumbsup:": "👍", ":+1:": "👍", ":eyes:": "👀", ":zap:": "⚡", ":sparkles:": "✨", ":red_circle:": "🔴",
    ":green_circle:": "🟢", ":large_blue_circle:": "🔵", ":information_source:": "ℹ️", ":sos:": "🆘",
}

# [label](url)  <url|label>  bare http(s)://...  *bold*  _italic_  `code`
_TOKENS = re.compile(
    r"\[(?P<mlabel>[^\]\n]{1,500})\]\((?P<murl>[^)\s]{1,2000})\)"
    r"|<(?P<surl>[^|>\s]{1,2000})\|(?P<slabel>[^>\n]{1,500})>"
    r"|(?P<bare>https?://[^\s<>\"')\]]{1,2000})"
    r"|`(?P<code>[^`\n]{1,2000})`"
    r"|(?<![\w*])\*(?P<bold>[^*\n]{1,2000})\*(?![\w*])"
    r"|(?<![\w_])_(?P<em>[^_\n]{1,2000})_(?![\w_])"
    r"|(?P<emoji>:[a-z0-9_+\-]{1,40}:)"
)


def safe_url(value: Any) -> str | None:
    """``value`` when it is an absolute http(s) URL with a host, else None (:func:`hookhub.urls.safe_http_url`)."""
    return safe_http_url(value)


def _link(url: str, label: str) -> Markup:
    href = safe_url(url)
    if href is None:  # not a link: the text as written
        return escape(label if label == url else f"{label} ({url})")
    return Markup('<a href="{}" rel="noopener noreferrer nofollow" target="_blank">{}</a>').format(href, label)


def message_text(text: Any) -> Markup:
    """Message text as a chat client shows it: links, *bold*, _italic_, `code`, line breaks."""
    if not isinstance(text, str) or not text:
        return Markup("")
    out: list[str] = []
    pos = 0
    for m in _TOKENS.finditer(text):
        out.append(escape(text[pos:m.start()]))
        pos = m.end()
        if m.group("murl") is not None:
            out.append(_link(m.group("murl"), m.group("mlabel")))
        elif m.group("surl") is not None:
            out.append(_link(m.group("surl"), m.group("slabel")))
        elif m.group("bare") is not None:
            out.append(_link(m.group("bare"), m.group("bare")))
        elif m.group("code") is not None:
            out.append(Markup("<code>{}</code>").format(m.group("code")))
        elif m.group("emoji") is not None:
            out.append(escape(EMOJI.get(m.group("emoji"), m.group("emoji"))))
        elif m.group("bold") is not None:
            out.append(Markup("<strong>{}</strong>").format(m.group("bold")))
        else:
            out.append(Markup("<em>{}</em>").format(m.group("em")))
    out.append(escape(text[pos:]))
    return Markup("").join(out).replace("\n", Markup("<br>"))


def colour(value: Any) -> str | None:
    """An attachment's colour as a CSS colour (``good``/``warning``/``danger`` included), or None."""
    if not isinstance(value, str):
        return None
    text: str = value.strip()
    named = _NAMED.get(text)
    if named is not None:
        return named
    return text if _COLOUR.fullmatch(text) else None


def mask_headers(headers: Any) -> list[tuple[str, str]]:
    """Headers sorted by name, with the value of any header that looks like a secret masked."""
    if not isinstance(headers, dict):
        return []
    return [(str(k), MASK if _SECRET_NAME.search(str(k)) else str(v)) for k, v in sorted(headers.items())]


def pretty(value: Any) -> str:
    """JSON indented for reading (strings that hold JSON are shown parsed)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return str(value)
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


@dataclass
class DiffRow:
    """One line of a side-by-side diff."""

    tag: str  # equal | replace | delete | insert
    left_no: int | None
    left: str
    right_no: int | None
    right: str


def side_by_side(old: Any, new: Any) -> list[DiffRow]:
    """The side-by-side diff of two values shown as indented JSON (difflib)."""
    a, b = pretty(old).splitlines(), pretty(new).splitlines()
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows.extend(DiffRow("equal", i + 1, a[i], j + 1, b[j]) for i, j in zip(range(i1, i2), range(j1, j2)))
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + k, j1 + k
            rows.append(DiffRow(tag if i < i2 and j < j2 else ("delete" if i < i2 else "insert"),
                                i + 1 if i < i2 else None, a[i] if i < i2 else "",
                                j + 1 if j < j2 else None, b[j] if j < j2 else ""))
    return rows


_VOLATILE = ("_id", "ts", "_updatedAt")


def comparable_message(doc: Any) -> Any:
    """A message without the fields that differ on every post (id, time), for diffs."""
    if isinstance(doc, dict):
        return {k: v for k, v in doc.items() if k not in _VOLATILE}
    return doc


_LINE = re.compile(r'line (\d+)')


def error_line(text: Any) -> int | None:
    """The script line number of the last ``line N`` in a traceback or compile error, or None."""
    if not isinstance(text, str):
        return None
    found = _LINE.findall(text)
    return int(found[-1]) if found else None

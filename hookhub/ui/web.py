"""The UI's plumbing: templates, the session guard, CSRF checks, HTML error pages, security headers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..errors import HookhubError, RequestError
from . import render
from .session import Session, Sessions

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub

log = logging.getLogger("hookhub.ui")

#: pages use only their own scripts and styles; images of messages may come from any http(s) host;
#: style attributes are allowed for the colour bars (their values are checked by render.colour)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
       "img-src 'self' http: https:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; object-src 'none'")
HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def environment() -> Environment:
    """The Jinja2 environment of the UI's templates (everything autoescaped)."""
    env = Environment(loader=PackageLoader("hookhub.ui", "templates"), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(text=render.message_text, safe_url=render.safe_url, colour=render.colour,
                       pretty=render.pretty, masked=render.mask_headers, percent=_percent,
                       emoji=lambda code: render.EMOJI.get(code) if isinstance(code, str) else None,
                       last_line=_last_line, room=_room)
    return env


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


#: the largest form a UI page posts (a script-test payload)
MAX_FORM_BYTES = 4 * 1024 * 1024


def _last_line(text: object, width: int = 140) -> str:
    """The last non-empty line of an error (the exception of a traceback), cut to ``width``."""
    lines = [line for line in str(text or "").splitlines() if line.strip()]
    return lines[-1].strip()[:width] if lines else ""


def _room(value: object) -> str:
    """A message's channel as a chat client writes it (``#general``, ``@alice``)."""
    text = str(value or "")
    return text if not text or text[0] in "#@" else f"#{text}"


class Forbidden(Exception):
    """A POST without the session's CSRF token."""


Page = Callable[[Request, Session], Awaitable[Response]]
Handler = Callable[[Request], Awaitable[Response]]


class Web:
    """Renders pages and guards handlers for one hub."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        admin = hub.config.admin.token
        self.sessions = Sessions(admin.get_secret_value() if admin is not None else None)
        self.env = environment()

    def page(self, request: Request, template: str, session: Session | None, status: int = 200,
             **context: Any) -> Response:
        """A rendered template with the security headers (``session``: the logged-in browser, or None)."""
        context.setdefault("title", "hookhub")
        html = self.env.get_template(template).render(request=request, session=session,
                                                      csrf=session.csrf if session else "", **context)
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def error(self, request: Request, session: Session | None, status: int, message: str) -> Response:
        """The ``error.html`` page saying ``message``, titled "Error <status>" and answered with ``status``."""
        return self.page(request, "error.html", session, status=status, title=f"Error {status}",
                         code=status, message=message)

    def guard(self, handler: Page, *, post: bool = False) -> Handler:
        """Only with a session (else the login page); POSTs also need the CSRF token (else 403).

        A :class:`~hookhub.errors.HookhubError` raised by the handler becomes an HTML error page with its
        status; anything else a 500 page (the traceback goes to the log only).
        """
        async def wrapper(request: Request) -> Response:
            session = self.sessions.load(request)
            if session is None:
                if request.method == "GET" and request.headers.get("accept") != "text/event-stream":
                    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                    return RedirectResponse(f"/ui/login?next={quote(target, safe='')}", 303, headers=HEADERS)
                return self.error(request, None, 401, "You are not logged in (or your session expired). "
                                  "Log in again at /ui/login.")
            try:
                if post:
                    form = await read_form(request)
                    if not self.sessions.csrf_ok(session, form.get("csrf")):
                        raise Forbidden()
                return await handler(request, session)
            except Forbidden:
                return self.error(request, session, 403, "This form was refused: its CSRF token is missing or "
                                  "does not belong to your session. Reload the page and submit it again.")
            except HookhubError as exc:
                return self.error(request, session, exc.status, str(exc.error))
            except Exception:  # noqa: BLE001 - the traceback goes to the log, never to the page
                log.exception("UI: unhandled error on %s %s", request.method, request.url.path)
                return self.error(request, session, 500, "Something went wrong on the server; the details "
                                  "are in hookhub's log.")
        return wrapper


async def read_form(request: Request, limit: int = MAX_FORM_BYTES) -> dict[str, str]:
    """The fields of a urlencoded form (the UI posts no other kind), read once per request.

    An empty body is an empty form.  Raises RequestError (415) for another content type and
    PayloadTooLarge (413) above ``limit`` bytes.
    """
    cached = getattr(request.state, "ui_form", None)
    if isinstance(cached, dict):
        return cached
    from ..web.hooks import read_body

    body = await read_body(request, limit)
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if body and media != "application/x-www-form-urlencoded":
        raise RequestError("the UI's forms are sent as application/x-www-form-urlencoded", status=415)
    try:
        fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=100))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RequestError(f"the form cannot be read: {exc}") from None
    request.state.ui_form = fields
    return fields


def next_target(value: Any) -> str:
    """Where to go after login: a path inside the UI, never another site."""
    if isinstance(value, str) and value.startswith("/ui/") and not value.startswith("/ui//") and "\\" not in value:
        return value
    return "/ui/"

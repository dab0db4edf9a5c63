"""The admin web UI under ``/ui/`` (docs/ui.md): server-rendered Jinja2 pages, a session cookie, CSRF tokens.

:func:`routes` gives the Starlette routes that :func:`hookhub.web.make_app`
mounts.  Pages: integrations (``/ui/``), one integration with its history and
live tail, a request's detail, logs, replay with a dry-run diff, script test,
outgoing deliveries with retry-now, channels.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from . import live
from .actions import Actions
from .pages import Pages
from .session import Session
from .web import Handler, Page, Web

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub

__all__ = ["routes"]

STATIC = Path(__file__).with_name("static")


def routes(hub: Hub) -> list[BaseRoute]:
    """The UI's routes: ``/ui`` (redirect), ``/ui/...`` pages and ``/ui/static/...`` files."""
    web = Web(hub)
    pages, actions = Pages(web), Actions(web)
    get = web.guard

    def post(handler: Page) -> Handler:
        return web.guard(handler, post=True)

    async def tail(request: Request, session: Session) -> Response:
        return await live.stream(hub, request, session)

    async def to_index(request: Request) -> Response:
        return RedirectResponse("/ui/", 308)

    inner: list[Any] = [
        Route("/", get(pages.integrations), methods=["GET"]),
        Route("/login", actions.login_form, methods=["GET"]),
        Route("/login", actions.login, methods=["POST"]),
        Route("/logout", post(actions.logout), methods=["POST"]),
        Route("/integrations/{id}", get(pages.integration), methods=["GET"]),
        Route("/integrations/{id}/live", get(tail), methods=["GET"]),
        Route("/integrations/{id}/logs", get(pages.logs), methods=["GET"]),
        Route("/integrations/{id}/test", get(pages.test_form), methods=["GET"]),
        Route("/integrations/{id}/test", post(actions.test), methods=["POST"]),
        Route("/integrations/{id}/history/{hid}", get(pages.entry), methods=["GET"]),
        Route("/integrations/{id}/history/{hid}/replay", post(actions.replay), methods=["POST"]),
        Route("/outgoing", get(pages.deliveries), methods=["GET"]),
        Route("/deliveries/{did}/retry", post(actions.retry), methods=["POST"]),
        Route("/channels", get(pages.channels), methods=["GET"]),
        Route("/channels/{name}", get(pages.channels), methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=STATIC), name="ui-static"),
    ]
    return [Route("/ui", to_index, methods=["GET"]), Mount("/ui", routes=inner)]

"""The UI's forms: login, logout, replay (dry and real), script test, retry a delivery now."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..bridges.service import BRIDGES
from ..errors import HookhubError, NotFound, RequestError
from ..outgoing.service import OUTGOING
from . import queries, runs
from .pages import entry_of, integration_of, script_lines
from .render import error_line
from .session import Session
from .web import HEADERS, Web, next_target, read_form

if TYPE_CHECKING:  # pragma: no cover
    from ..hub import Hub


class Actions:
    """POST handlers (all but login need the session and its CSRF token)."""

    def __init__(self, web: Web) -> None:
        self.web = web
        self.hub: Hub = web.hub

    async def login_form(self, request: Request) -> Response:
        """``GET /ui/login``: the login page, or a redirect (303) to ``next`` when the browser already has a session."""
        if self.web.sessions.load(request) is not None:
            return RedirectResponse(next_target(request.query_params.get("next")), 303, headers=HEADERS)
        return self._login(request, 200, None)

    def _login(self, request: Request, status: int, problem: str | None, target: str | None = None) -> Response:
        return self.web.page(request, "login.html", None, status=status, title="Log in", problem=problem,
                             next=target or next_target(request.query_params.get("next")),
                             configured=self.web.sessions.enabled)

    async def login(self, request: Request) -> Response:
        """``POST /ui/login``: with the admin token, a session cookie and a redirect (303) to ``next``; else
        the login page again with 401 (wrong token), 403 (no admin token set) or the form's error status."""
        try:
            form = await read_form(request, 64 * 1024)
        except HookhubError as exc:
            return self._login(request, exc.status, str(exc.error))
        token, target = form.get("token"), next_target(form.get("next"))
        if not self.web.sessions.enabled:
            return self._login(request, 403, "No admin token is configured (admin.token in the YAML file), "
                               "so nobody can log in.", target)
        if not isinstance(token, str) or not self.web.sessions.token_matches(token.strip()):
            return self._login(request, 401, "That is not the admin token (admin.token in the YAML file).", target)
        _session, cookie = self.web.sessions.new()
        response = RedirectResponse(target, 303, headers=HEADERS)
        self.web.sessions.set_cookie(response, cookie, request)
        return response

    async def logout(self, request: Request, session: Session) -> Response:
        """``POST /ui/logout``: delete the session cookie and redirect (303) to the login page."""
        response = RedirectResponse("/ui/login", 303, headers=HEADERS)
        self.web.sessions.clear_cookie(response, request)
        return response

    async def replay(self, request: Request, session: Session) -> Response:
        """``POST /ui/integrations/{id}/history/{hid}/replay``: replay the entry with ``mode`` ``dry`` (the current
        script, nothing stored) or ``real`` and show the outcome; 400 for another mode, 404 for an unknown entry."""
        integ = integration_of(self.hub, request)
        entry = await entry_of(self.hub, integ, request)
        hid = entry["_id"]
        form = await read_form(request)
        mode = form.get("mode")
        if mode not in ("dry", "real"):
            raise RequestError("mode must be 'dry' (run the current script, store nothing) or 'real'")
        result = await runs.replay(self.hub, integ, entry, dry=mode == "dry")
        return self.web.page(request, "replay.html", session, title=f"{integ.id}: replay {hid}", integ=integ,
                             entry=entry, replay=result, dry=mode == "dry")

    async def test(self, request: Request, session: Session) -> Response:
        """``POST /ui/integrations/{id}/test``: run the pasted payload and headers through an incoming
        integration's script as a dry run and show what it did; 400 for an outgoing integration."""
        integ = integration_of(self.hub, request)
        if integ.config.type != "incoming":
            raise RequestError(f"integration {integ.id!r} is outgoing: test its script by replaying one of its "
                               "attempts (dry run) from its history")
        form = await read_form(request)
        payload, headers = form.get("payload"), form.get("headers") or ""
        if not isinstance(payload, str) or not isinstance(headers, str):
            raise RequestError("payload and headers must be text fields")
        run = await runs.script_test(self.hub, integ, payload, headers)
        problem = run.error or next((r["message"] for r in run.logs if r["level"] == "error"), None)
        if integ.compile_error is not None:
            problem = str(integ.compile_error)
        return self.web.page(request, "test.html", session, title=f"{integ.id}: script test", integ=integ,
                             payload=payload, headers=headers, run=run, problem=problem,
                             lines=script_lines(integ), error_line=error_line(problem))

    async def retry(self, request: Request, session: Session) -> Response:
        """``POST /ui/deliveries/{did}/retry``: make a pending or failed delivery due now, wake its outbox and redirect
        (303) to ``/ui/outgoing``; 404 for an unknown delivery, 409 for a finished one or one being attempted."""
        delivery = await queries.delivery(self.hub.store, request.path_params["did"])
        if delivery is None:
            raise NotFound(f"delivery {request.path_params['did']!r} not found (finished ones are pruned)")
        services = self.hub.services
        outbox = (services.require(OUTGOING) if delivery.kind == "outgoing" else services.require(BRIDGES)).outbox
        if not await self.hub.store.write(queries.op_retry_now(delivery.id, outbox.clock())):
            raise RequestError(f"delivery {delivery.id} is {delivery.status} or being attempted right now; "
                               "only pending or failed deliveries can be retried", status=409)
        outbox.wake()
        back = f"/ui/outgoing?retried={quote(delivery.id)}"
        return RedirectResponse(back, 303, headers=HEADERS)

"""Screenshots of the admin UI for docs/ui.md: ``.venv/bin/python -m tests.ui.screenshots``.

Starts the demo deployment of the browser tests (a real ``hookhub serve`` and a receiver on 127.0.0.1),
feeds it a few webhooks, and saves PNGs of the main pages under docs/img/ (needs /usr/bin/chromium).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

from tests.outgoing.receiver import Receiver, wait_until
from tests.test_e2e import Server

from .demo import ADMIN, AUTH, CHROMIUM, CHROMIUM_ARGS, SCRIPT, browser_missing, build, post_build, write_deployment

OUT = Path(__file__).resolve().parents[2] / "docs" / "img"


def shoot(page: Page, name: str, height: int | None = None) -> None:
    path = OUT / f"ui-{name}.png"
    if height is None:
        page.screenshot(path=str(path), full_page=True)
    else:
        page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": 1100, "height": height})
    print(f"{path.relative_to(OUT.parents[1])}: {path.stat().st_size // 1024} KiB")


def main() -> int:
    missing = browser_missing()
    if missing is not None:
        print(missing, file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server = Server(write_deployment(folder, receiver))
        server.start()
        try:
            for n, status in ((41, "passed"), (42, "failed"), (43, "passed")):
                post_build(server, n, status)
            post_build(server, 44, crash=True)
            post_build(server, 45, "skipped")
            receiver.answer(503, "busy", headers={"Retry-After": "3600"})
            httpx.post(f"{server.url}/api/v1/chat.postMessage", headers=AUTH,
                       json={"channel": "#alerts", "text": "Disk *95%* full on `db-1`, see [runbook](https://runbooks.example.com/disk)"})
            wait_until(lambda: len(receiver.requests) == 1)
            time.sleep(0.5)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(base_url=server.url, viewport={"width": 1100, "height": 700})
                page.goto("/ui/login")
                shoot(page, "login", 420)
                page.fill("#token", ADMIN)
                page.click("button[type=submit]")
                page.wait_for_selector("#integrations")
                shoot(page, "integrations", 330)
                page.goto("/ui/integrations/ci")
                page.wait_for_selector("#live-state.on")
                shoot(page, "integration", 560)
                page.locator("#history tbody tr", has_text="1 message(s)").first.locator("text=detail").click()
                shoot(page, "request")
                (folder / "ci.py").write_text(SCRIPT.replace('"text": f"Build', '"text": f":rocket: Build'),
                                              encoding="utf-8")
                httpx.post(f"{server.url}/api/v1/reload", headers=AUTH)
                page.click("button[value=dry]")
                page.wait_for_selector("table.diff")
                shoot(page, "replay")
                page.goto("/ui/integrations/ci/test")
                page.fill("#payload", json.dumps(build(46, "failed", message="Two tests red"), indent=2))
                page.click("button.primary")
                page.wait_for_selector("#outcome")
                page.locator("#outcome").scroll_into_view_if_needed()
                shoot(page, "script-test")
                page.fill("#payload", '{"crash": true}')
                page.click("button.primary")
                page.wait_for_selector("#problem")
                shoot(page, "script-error")
                page.goto("/ui/outgoing")
                shoot(page, "deliveries", 360)
                page.goto("/ui/channels/general")
                shoot(page, "channels", 620)
                browser.close()
        finally:
            server.stop()
            receiver.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The admin UI end to end: a real ``hookhub serve`` process, driven in a real headless Chromium (Playwright).

The tests share one server and one browser (module scope) and run in file order; each opens a fresh
browser context (no cookies).  Without /usr/bin/chromium they are skipped, except on CI (CI=true), where
that is a failure: .ci/run installs the browser.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.outgoing.receiver import Receiver, wait_until
from tests.test_e2e import Server

from .demo import ADMIN, AUTH, CHROMIUM, CHROMIUM_ARGS, CRASH_LINE, SCRIPT, browser_missing, post_build, write_deployment

pytestmark = pytest.mark.slow

missing = browser_missing()
if missing is not None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run on CI: {missing}", pytrace=False)
    pytest.skip(missing, allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[tuple[Server, Path]]:
    folder = tmp_path_factory.mktemp("ui")
    server = Server(write_deployment(folder, receiver))
    server.start()
    yield server, folder
    server.stop()


@pytest.fixture(scope="module")
def server(deployment: tuple[Server, Path]) -> Server:
    return deployment[0]


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=server.url)
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def login(page: Page, token: str = ADMIN) -> None:
    page.goto("/ui/login")
    page.fill("#token", token)
    page.click("button[type=submit]")


@pytest.fixture
def admin(page: Page) -> Page:
    """A page logged in as the admin."""
    login(page)
    expect(page.locator("h1")).to_have_text("Integrations")
    return page


def row(page: Page, table: str, data_id: str) -> Any:
    return page.locator(f"#{table} tr[data-id='{data_id}']")


# -- authentication -------------------------------------------------------------


def test_every_page_needs_a_session(page: Page, server: Server) -> None:
    for path in ("/ui/", "/ui/outgoing", "/ui/channels", "/ui/integrations/ci", "/ui/integrations/ci/logs",
                 "/ui/integrations/ci/test"):
        page.goto(path)
        assert page.url.startswith(f"{server.url}/ui/login?next="), path
        expect(page.locator("h1")).to_have_text("Log in")
    # forms and the live tail without a session: 401, nothing run
    answer = page.request.post(f"{server.url}/ui/integrations/ci/test", form={"payload": "{}", "csrf": "x"})
    assert answer.status == 401
    assert page.request.get(f"{server.url}/ui/integrations/ci/live",
                            headers={"Accept": "text/event-stream"}).status == 401


def test_wrong_token_is_refused_and_the_right_one_gives_an_httponly_strict_cookie(page: Page, context: BrowserContext,
                                                                                 server: Server) -> None:
    login(page, "not-the-token")
    expect(page.locator(".problem")).to_contain_text("not the admin token")
    assert context.cookies() == []
    page.goto("/ui/outgoing")  # logging in brings the admin back where they wanted to go
    page.fill("#token", ADMIN)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Outgoing deliveries")
    (cookie,) = context.cookies()
    assert cookie["name"] == "hookhub_ui" and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/ui" and ADMIN not in cookie["value"]
    assert page.evaluate("document.cookie") == ""  # HttpOnly: scripts cannot read it
    # the API's bearer token keeps working beside the UI, and the cookie is no API credential
    assert httpx.get(f"{server.url}/api/v1/integrations", headers=AUTH).status_code == 200
    assert httpx.get(f"{server.url}/api/v1/integrations",
                     cookies={"hookhub_ui": cookie["value"]}).status_code == 401


# -- integrations, history, request detail, logs, live tail ------------------------


def test_integrations_list_shows_type_state_last_webhook_counts_and_error_rate(admin: Page, server: Server) -> None:
    for n, status in ((1, "passed"), (2, "failed")):
        assert post_build(server, n, status).status_code == 200
    assert post_build(server, 3, crash=True).status_code == 400
    admin.reload()
    ci = row(admin, "integrations", "ci")
    expect(ci.locator(".count")).to_have_text("3")
    expect(ci.locator(".errors")).to_have_text("1")
    expect(ci.locator(".rate")).to_have_text("33%")
    expect(ci.locator(".last")).to_have_text(re.compile(r"^\d{4}-\d\d-\d\dT"))
    expect(ci).to_contain_text("incoming")
    expect(ci).to_contain_text("enabled")
    expect(row(admin, "integrations", "plain").locator(".last")).to_have_text("never")
    expect(row(admin, "integrations", "notify")).to_contain_text("outgoing")


def test_history_live_tail_and_request_detail(admin: Page, server: Server) -> None:
    admin.click("#integrations tr[data-id='ci'] >> text=CI builds")
    expect(admin.locator("h1")).to_contain_text("CI builds")
    expect(admin.locator("#history tbody tr")).to_have_count(3)
    expect(admin.locator("#live-state")).to_have_text("live tail: on")
    answer = post_build(server, 4)
    assert answer.status_code == 200
    # the new entry appears without a reload (server-sent events)
    expect(admin.locator("#history tbody tr")).to_have_count(4)
    newest = admin.locator("#history tbody tr").first
    expect(newest).to_contain_text("200")
    expect(newest).to_contain_text("1 message(s)")
    newest.locator("text=detail").click()
    expect(admin.locator("h1")).to_contain_text("Request")
    headers = admin.locator("#headers")
    expect(headers).to_contain_text("x-ci-event")
    expect(headers.locator("tr", has_text="x-api-key")).to_contain_text("••••")
    expect(headers).not_to_contain_text("k-secret-123")
    expect(admin.locator("#body")).to_contain_text('"id": 4')
    expect(admin.locator("#result")).to_contain_text("Build *4*")
    expect(admin.locator("#response")).to_contain_text('"success": true')
    message = admin.locator("article.message")
    expect(message.locator(".text strong")).to_have_text("4")
    expect(message.locator(".text a")).to_have_attribute("href", "https://ci.example.com/acme/shop/4")
    expect(message.locator(".attachment .field")).to_have_count(2)
    expect(admin.locator("table.logs")).to_contain_text("build 4 passed")


def test_a_failed_request_shows_its_error_and_traceback(admin: Page) -> None:
    admin.goto("/ui/integrations/ci")
    failed = admin.locator("#history tbody tr", has_text="400")
    expect(failed).to_have_count(1)
    failed.locator("text=detail").click()
    expect(admin.locator("#response")).to_contain_text("error-running-script")
    expect(admin.locator(".facts")).to_contain_text(f"line {CRASH_LINE}, in explode")
    expect(admin.locator("table.logs")).to_contain_text(f"line {CRASH_LINE}")


def test_logs_level_filter(admin: Page, server: Server) -> None:
    assert post_build(server, 5, "skipped").status_code == 200
    admin.goto("/ui/integrations/ci/logs")
    expect(admin.locator("table.logs tbody tr", has_text="skipped build ignored")).to_have_count(1)
    admin.select_option("#level", "warn")
    admin.click("form.filter button")
    assert "level=warn" in admin.url
    rows = admin.locator("table.logs tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("skipped build ignored")
    admin.select_option("#level", "error")
    admin.click("form.filter button")
    expect(admin.locator("table.logs tbody tr")).to_have_count(1)  # the crash
    expect(admin.locator("table.logs")).to_contain_text("KeyError")
    expect(admin.locator("table.logs")).not_to_contain_text("skipped build ignored")


# -- replay, script test ------------------------------------------------------------


def test_replay_dry_run_diff_then_for_real(admin: Page, server: Server, deployment: tuple[Server, Path]) -> None:
    folder = deployment[1]
    admin.goto("/ui/integrations/ci")
    admin.locator("#history tbody tr", has_text="1 message(s)").last.locator("text=detail").click()
    hid = admin.url.rsplit("/", 1)[1]
    # the script changes on disk: the dry run runs the file as it is now, before any reload
    (folder / "ci.py").write_text(SCRIPT.replace('"text": f"Build', '"text": f"CI build'), encoding="utf-8")
    try:
        messages_before = len(channel_messages(server))
        admin.click("button[value=dry]")
        expect(admin.locator("h1")).to_contain_text("Dry run")
        expect(admin.locator("#verdict")).to_contain_text("differs")
        expect(admin.locator("#not-loaded")).to_contain_text("edited since hookhub loaded it")
        expect(admin.locator(".script-version")).to_contain_text("ci.py")
        changed = admin.locator("table.diff tr.replace")
        expect(changed).to_have_count(1)
        expect(changed.locator("td.left")).to_contain_text('"text": "Build *1*')
        expect(changed.locator("td.right")).to_contain_text('"text": "CI build *1*')
        expect(admin.locator("table.diff tr.equal").first).to_be_visible()
        expect(admin.locator("#new-messages .body > .text")).to_contain_text("CI build 1")
        assert len(channel_messages(server)) == messages_before  # dry: nothing posted
        # for real: the live integration runs the new version once it is reloaded
        assert "changed ci" in httpx.post(f"{server.url}/api/v1/reload", headers=AUTH).json()["changes"]
        admin.click("button[value=real]")
        expect(admin.locator("#verdict")).to_contain_text("Replayed: new history entry")
        new_id = admin.locator("#verdict a").inner_text()
        assert new_id != hid
        assert channel_messages(server)[0]["text"].startswith("CI build *1*")
        admin.locator("#verdict a").click()
        expect(admin.locator("article.message > .body > .text")).to_contain_text("CI build 1")
    finally:
        (folder / "ci.py").write_text(SCRIPT, encoding="utf-8")
        httpx.post(f"{server.url}/api/v1/reload", headers=AUTH)


def channel_messages(server: Server, channel: str = "general") -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/api/v1/channels/{channel}/messages", headers=AUTH)
    assert answer.status_code == 200
    return answer.json()["messages"]  # type: ignore[no-any-return]


def test_script_test_renders_the_message_and_points_at_the_error_line(admin: Page, server: Server) -> None:
    stored = len(httpx.get(f"{server.url}/api/v1/integrations/ci/history", headers=AUTH).json()["history"])
    admin.goto("/ui/integrations/ci/test")
    expect(admin.locator("#payload")).to_contain_text('"id":')  # the latest stored request, to edit
    admin.fill("#payload", '{"id": 77, "status": "failed", "repo": "acme/api", "url": "https://ci.example.com/77", '
                           '"branch": "release", "seconds": 12, "commit": "fe12 Bump", "message": "Tests red"}')
    admin.click("button.primary")
    preview = admin.locator("#preview article.message")
    expect(preview).to_have_count(1)
    expect(preview.locator(".body > .text")).to_contain_text("Build 77 of acme/api failed")
    expect(preview.locator(".body > .text a")).to_have_attribute("href", "https://ci.example.com/77")
    bar = preview.locator(".attachment")
    assert bar.evaluate("e => getComputedStyle(e).borderLeftColor") == "rgb(163, 2, 0)"  # danger
    expect(bar.locator(".title a")).to_have_text("fe12 Bump")
    expect(bar.locator(".field.short")).to_have_count(2)
    expect(bar.locator(".field", has_text="Branch")).to_contain_text("release")
    expect(admin.locator("table.logs")).to_contain_text("build 77 failed")
    # an error: its line is named and highlighted in the source
    admin.fill("#payload", '{"crash": true}')
    admin.click("button.primary")
    expect(admin.locator("#problem")).to_contain_text(f"line {CRASH_LINE}")
    expect(admin.locator("#problem")).to_contain_text("KeyError")
    expect(admin.locator("table.code tr.error-line")).to_contain_text('build["missing"]["key"]')
    expect(admin.locator("#outcome h2").first).to_contain_text("400")
    # dry runs: nothing was stored
    assert len(httpx.get(f"{server.url}/api/v1/integrations/ci/history", headers=AUTH).json()["history"]) == stored


# -- outgoing deliveries, channels ---------------------------------------------------


def test_retry_now_delivers_a_call_that_waits_for_its_next_retry(admin: Page, server: Server, receiver: Receiver) -> None:
    receiver.answer(503, "busy", headers={"Retry-After": "3600"})
    posted = httpx.post(f"{server.url}/api/v1/chat.postMessage", json={"channel": "#alerts", "text": "disk full"},
                        headers=AUTH)
    assert posted.status_code == 200
    wait_until(lambda: len(receiver.requests) == 1)
    admin.goto("/ui/outgoing?target=notify")
    delivery = admin.locator("#deliveries tbody tr").first
    wait_until(lambda: (admin.reload() or True) and delivery.locator(".status").inner_text() == "pending"
               and delivery.locator(".tried").inner_text() == "1")
    expect(delivery).to_contain_text("503")
    expect(delivery.locator(".next")).to_have_text(re.compile(r"^\d{4}-"))  # an hour from now
    delivery.locator("summary").click()
    expect(delivery.locator("ol.attempts li")).to_have_count(1)
    delivery.locator("text=Retry now").click()
    expect(admin.locator("#retried")).to_contain_text("due now")
    wait_until(lambda: len(receiver.requests) == 2)
    assert receiver.requests[1].json["text"] == "disk full"
    wait_until(lambda: (admin.reload() or True)
               and admin.locator("#deliveries tbody tr").first.locator(".status").inner_text() == "delivered")
    expect(admin.locator("#deliveries tbody tr").first.locator(".tried")).to_have_text("2")
    expect(admin.locator("#deliveries tbody tr").first.locator("text=Retry now")).to_have_count(0)


def test_an_outgoing_attempt_replays_as_a_dry_run_then_as_a_new_delivery(admin: Page, receiver: Receiver) -> None:
    admin.goto("/ui/integrations/notify")
    attempts = admin.locator("#history tbody tr")
    expect(attempts).to_have_count(2)  # the 503 and the delivery after retry now
    attempts.first.locator("text=detail").click()
    expect(admin.locator("#body")).to_contain_text("disk full")
    admin.click("button[value=dry]")
    expect(admin.locator("h1")).to_contain_text("Dry run")
    expect(admin.locator("table.diff td.right")).to_contain_text(["would-send"])
    assert len(receiver.requests) == 2  # dry: nothing sent
    admin.click("button[value=real]")
    expect(admin.locator("#verdict")).to_contain_text("Queued again as delivery")
    wait_until(lambda: len(receiver.requests) == 3)
    assert receiver.requests[2].json["text"] == "disk full"


def test_channels_render_messages_and_neutralise_unsafe_links(admin: Page, server: Server) -> None:
    text = "see [the docs](https://docs.example.com/x) or [this](javascript:alert(1)) <b>bold?</b> `code`"
    assert httpx.post(f"{server.url}/api/v1/chat.postMessage", json={"channel": "#general", "text": text},
                      headers=AUTH).status_code == 200
    admin.click("nav >> text=Channels")
    admin.click("nav.tabs >> text=#general")
    first = admin.locator("#messages article.message").first
    expect(first.locator(".text a")).to_have_count(1)
    expect(first.locator(".text a")).to_have_attribute("href", "https://docs.example.com/x")
    expect(first.locator(".text")).to_contain_text("this (javascript:alert(1))")
    expect(first.locator(".text")).to_contain_text("<b>bold?</b>")  # escaped, shown as written
    expect(first.locator(".text code")).to_have_text("code")
    assert admin.locator("a[href^='javascript:']").count() == 0
    expect(admin.locator("#messages article.message .attachment").first).to_be_visible()  # CI builds


def test_stored_data_javascript_and_relative_urls_never_become_links_or_images(admin: Page, server: Server) -> None:
    posted = httpx.post(f"{server.url}/api/v1/chat.postMessage", headers=AUTH, json={
        "channel": "#general", "text": "unsafe urls", "avatar": "data:image/png;base64,iVBORw0KGgo=",
        "attachments": [{"title": "relative", "title_link": "/ui/logout", "image_url": "data:image/svg+xml,<svg/>",
                         "author_name": "js", "author_link": "javascript:alert(1)", "author_icon": "//evil.example/i",
                         "thumb_url": "https://img.example.com/t.png", "color": "red;background:url(x)",
                         "text": "[x](data:text/html,hi)"}]})
    assert posted.status_code == 200, posted.text
    admin.goto("/ui/channels/general")
    first = admin.locator("#messages article.message").first
    expect(first.locator(".body > .text")).to_have_text("unsafe urls")
    expect(first.locator(".attachment .title")).to_have_text("relative")
    expect(first.locator(".attachment .title a")).to_have_count(0)
    expect(first.locator(".attachment .author a")).to_have_count(0)
    expect(first.locator(".attachment .text")).to_contain_text("x (data:text/html,hi)")
    sources = first.locator("img").evaluate_all("els => els.map(e => e.getAttribute('src'))")
    assert sources == ["https://img.example.com/t.png"]  # only the http(s) thumbnail
    assert first.locator(".attachment").get_attribute("style") is None  # the colour was refused
    for attribute in ("href", "src"):
        for prefix in ("data:", "javascript:", "/ui/logout", "//"):
            assert admin.locator(f"#messages [{attribute}^='{prefix}']").count() == 0


# -- CSRF, logout ------------------------------------------------------------------


def test_a_form_without_the_sessions_csrf_token_is_refused(admin: Page, server: Server) -> None:
    admin.goto("/ui/integrations/ci/test")
    admin.eval_on_selector("form.test input[name=csrf]", "e => e.value = 'forged'")
    admin.click("button.primary")
    expect(admin.locator("h1")).to_have_text("Error 403")
    expect(admin.locator(".problem")).to_contain_text("CSRF token")
    # a cross-site style POST carrying the cookie but no token at all
    answer = admin.request.post(f"{server.url}/ui/deliveries/x/retry", form={"nothing": "here"})
    assert answer.status == 403


def test_logout_ends_the_session(admin: Page, context: BrowserContext, server: Server) -> None:
    admin.click("text=Log out")
    expect(admin.locator("h1")).to_have_text("Log in")
    assert context.cookies() == []
    admin.goto("/ui/")
    expect(admin.locator("h1")).to_have_text("Log in")


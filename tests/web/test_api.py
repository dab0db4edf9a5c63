"""The authenticated API (CONTRACT §9)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from ..conftest import ADMIN, AUTH, integration, messages

Client = Callable[..., TestClient]

ROUTES = [
    ("GET", "/api/v1/channels/general/messages"),
    ("GET", "/api/v1/users/alice/messages"),
    ("GET", "/api/v1/integrations"),
    ("GET", "/api/v1/integrations/plain/logs"),
    ("GET", "/api/v1/integrations/plain/history"),
    ("POST", "/api/v1/chat.postMessage"),
    ("POST", "/api/v1/integrations/plain/history/x/replay"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {ADMIN}", "Bearer", f"Bearer {ADMIN}x"])
def test_every_route_requires_the_admin_token(make_client: Client, method: str, path: str,
                                              header: str | None) -> None:
    client = make_client(integration("plain"))
    headers = {"Authorization": header} if header else {}
    r = client.request(method, path, headers=headers, json={})
    assert (r.status_code, r.json()) == (401, {"success": False, "error": "unauthorized"})
    assert r.headers["cache-control"] == "no-store"


def test_api_is_closed_without_an_admin_token(make_client: Client, write_config) -> None:  # type: ignore[no-untyped-def]
    from hookhub.web.app import make_app
    from hookhub.config import load_config
    from hookhub.hub import Hub
    path = write_config(integration("plain"))
    path.write_text(path.read_text().replace(f"admin:\n  token: {ADMIN}\n", ""))
    with TestClient(make_app(Hub(load_config(path)))) as client:
        assert client.get("/api/v1/integrations", headers={"Authorization": "Bearer "}).status_code == 401


def test_messages_newest_first_with_limit(make_client: Client) -> None:
    client = make_client(integration("plain"))
    for i in range(5):
        client.post("/hooks/plain/plain-token", json={"text": f"m{i}"})
    got = client.get("/api/v1/channels/general/messages?limit=2", headers=AUTH).json()
    assert got["success"] is True and [m["text"] for m in got["messages"]] == ["m4", "m3"]
    keys = {"_id", "ts", "channel", "text", "alias", "emoji", "avatar", "attachments", "bot", "u"}
    assert keys <= set(got["messages"][0])


@pytest.mark.parametrize("limit", ["0", "-1", "x", "100000"])
def test_bad_limit(make_client: Client, limit: str) -> None:
    client = make_client(integration("plain"))
    r = client.get(f"/api/v1/channels/general/messages?limit={limit}", headers=AUTH)
    assert (r.status_code, r.json()) == (400, {"success": False, "error": "limit must be an integer between 1 and 1000"})


def test_unknown_channel_user_integration_are_404(make_client: Client) -> None:
    client = make_client(integration("plain"))
    for path in ("/api/v1/channels/nope/messages", "/api/v1/users/nope/messages", "/api/v1/integrations/nope/logs",
                 "/api/v1/integrations/nope/history"):
        r = client.get(path, headers=AUTH)
        assert r.status_code == 404 and r.json()["success"] is False and "nope" in r.json()["error"]


def test_integrations_list_never_shows_the_token(make_client: Client) -> None:
    client = make_client(integration("plain"), integration("scripted", "class Script:\n  pass\n"))
    r = client.get("/api/v1/integrations", headers=AUTH)
    assert "plain-token" not in r.text and "scripted-token" not in r.text
    listed = {i["id"]: i for i in r.json()["integrations"]}
    assert listed["plain"]["hook"] == "/hooks/plain/••••"
    assert listed["plain"]["type"] == "incoming" and listed["plain"]["enabled"] is True
    assert listed["scripted"]["engine"] == "python" and listed["plain"]["compile_error"] is None


def test_history_records_request_result_status_and_messages_without_secrets(make_client: Client) -> None:
    script = """
    class Script:
        def process_incoming_request(self, request):
            return {"content": {"text": request.content.text}}
    """
    client = make_client(integration("hist", script))
    client.post("/hooks/hist/hist-token?x=1", json={"text": "remember me"},
                headers={"Authorization": "Bearer shh", "X-Hub-Signature-256": "sha256=shh"})
    r = client.get("/api/v1/integrations/hist/history", headers=AUTH)
    assert "hist-token" not in r.text and "shh" not in r.text
    [entry] = r.json()["history"]
    assert entry["status"] == 200 and entry["response"] == {"success": True}
    assert entry["result"] == {"content": {"text": "remember me"}}
    assert entry["request"]["path"] == "/hooks/hist/••••" and entry["request"]["query_string"] == "x=1"
    assert '"remember me"' in entry["request"]["body"]
    assert len(entry["message_ids"]) == 1 and entry["duration_ms"] >= 0 and entry["_id"]
    assert messages(client)[0]["_id"] == entry["message_ids"][0]


def test_failed_requests_are_in_history_too(make_client: Client) -> None:
    client = make_client(integration("plain"))
    client.post("/hooks/plain/plain-token", json={"no": "text"})
    [entry] = client.get("/api/v1/integrations/plain/history", headers=AUTH).json()["history"]
    assert entry["status"] == 400 and entry["message_ids"] == []


def test_chat_post_message(make_client: Client) -> None:
    client = make_client(integration("plain"))
    r = client.post("/api/v1/chat.postMessage", headers=AUTH,
                    json={"channel": "#general", "text": "by hand", "alias": "Me", "emoji": ":wave:"})
    assert r.status_code == 200 and r.json()["success"] is True
    msg = r.json()["message"]
    assert msg["text"] == "by hand" and msg["u"]["username"] == "rocket.cat" and "bot" not in msg
    assert messages(client)[0]["_id"] == msg["_id"]
    r = client.post("/api/v1/chat.postMessage", headers=AUTH, json={"channel": "@bob", "text": "dm", "username": "alice"})
    assert r.status_code == 200 and r.json()["message"]["u"]["username"] == "alice"


@pytest.mark.parametrize(("body", "error"), [
    ({"text": "no channel"}, "channel is required (\"#name\" or \"@username\")"),
    ({"channel": "#general"}, "the message needs a non-empty text (or msg) or at least one attachment"),
    ({"channel": "#nowhere", "text": "x"}, "invalid-channel"),
    ({"channel": "#general", "text": "x", "username": "mallory"}, "user 'mallory' is not declared under users:"),
    ({"channel": "#ops", "text": "x"}, "error-not-allowed"),
])
def test_chat_post_message_errors(make_client: Client, body: dict, error: str) -> None:  # type: ignore[type-arg]
    client = make_client(integration("plain"))
    r = client.post("/api/v1/chat.postMessage", headers=AUTH, json=body)
    assert (r.status_code, r.json()) == (400, {"success": False, "error": error})


def test_chat_post_message_invalid_json(make_client: Client) -> None:
    client = make_client(integration("plain"))
    r = client.post("/api/v1/chat.postMessage", headers=AUTH, content=b"{x")
    assert r.status_code == 400 and r.json()["error"].startswith("invalid JSON body")


def test_replay_dry_run_uses_the_current_script_and_posts_nothing(make_client: Client, write_config) -> None:  # type: ignore[no-untyped-def]
    v1 = """
    class Script:
        def process_incoming_request(self, request):
            return {"content": {"text": "v1 " + request.content.text}}
    """
    client = make_client(integration("hist", v1))
    client.post("/hooks/hist/hist-token", json={"text": "payload"})
    hid = client.get("/api/v1/integrations/hist/history", headers=AUTH).json()["history"][0]["_id"]
    # the same store, a new version of the script
    client2 = make_client(integration("hist", v1.replace('"v1 "', '"v2 "')))
    r = client2.post(f"/api/v1/integrations/hist/history/{hid}/replay?dry_run=1", headers=AUTH)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["dry_run"] is True
    assert body["old"]["result"] == {"content": {"text": "v1 payload"}}
    assert body["new"]["result"] == {"content": {"text": "v2 payload"}}
    assert body["changed"] == ["result"]
    assert len(messages(client2)) == 1
    r = client2.post(f"/api/v1/integrations/hist/history/{hid}/replay", headers=AUTH)
    assert r.json()["dry_run"] is False and [m["text"] for m in messages(client2)] == ["v2 payload", "v1 payload"]


def test_replay_unknown_entry(make_client: Client) -> None:
    client = make_client(integration("plain"))
    r = client.post("/api/v1/integrations/plain/history/nope/replay", headers=AUTH)
    assert r.status_code == 404


def test_healthz_needs_no_auth(make_client: Client) -> None:
    client = make_client(integration("plain"))
    assert client.get("/healthz").json() == {"success": True}

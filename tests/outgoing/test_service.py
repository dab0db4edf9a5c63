"""Outgoing integrations end to end: hookhub on one side, a real HTTP receiver on 127.0.0.1 on the other."""

from __future__ import annotations

import base64
import time

from tests.conftest import AUTH, messages

from .conftest import outgoing, post, wait_delivery, wait_history
from .receiver import Receiver, wait_until


def test_default_body_is_the_contract_body(start_hub, receiver: Receiver) -> None:
    client = start_hub(outgoing("out", [receiver.url()], token="s3cret-token"))
    message = post(client, "hello world", alias="Someone")
    got = receiver.wait_for(1)[0]
    assert got.method == "POST" and got.path == "/hook"
    assert got.headers["content-type"] == "application/json"
    body = got.json
    assert body == {
        "token": "s3cret-token", "bot": False, "channel_id": "general", "channel_name": "general",
        "message_id": message["_id"], "timestamp": message["ts"], "user_id": "rocket.cat",
        "user_name": "rocket.cat", "text": "hello world", "isEdited": False, "alias": "Someone",
    }
    entry = wait_history(client, "out", 1)[0]
    assert entry["kind"] == "outgoing" and entry["step"] == "sent" and entry["status"] == 200
    # the receiver can de-duplicate: the delivery id, the same on every attempt and node
    assert got.headers["idempotency-key"] == entry["request"]["delivery_id"]
    # the token never reaches history or the API
    assert "s3cret-token" not in client.get("/api/v1/integrations/out/history", headers=AUTH).text
    assert entry["request"]["data"]["token"] == "••••"


def test_trigger_words_prefix_by_default(start_hub, receiver: Receiver) -> None:
    client = start_hub(outgoing("out", [receiver.url()], trigger_words=["!deploy", "!status"]))
    post(client, "please !deploy now")  # not a prefix
    post(client, "!status of prod")
    got = receiver.wait_for(1)
    time.sleep(0.3)
    assert len(receiver.requests) == 1
    assert got[0].json["trigger_word"] == "!status"
    assert got[0].json["text"] == "!status of prod"


def test_trigger_word_anywhere(start_hub, receiver: Receiver) -> None:
    client = start_hub(outgoing("out", [receiver.url()], trigger_words=["deploy"], trigger_word_anywhere=True))
    post(client, "nothing here")
    post(client, "please deploy now")
    got = receiver.wait_for(1)
    time.sleep(0.3)
    assert len(receiver.requests) == 1 and got[0].json["trigger_word"] == "deploy"


def test_blank_trigger_words_are_ignored(start_hub, receiver: Receiver) -> None:
    client = start_hub(outgoing("out", [receiver.url()], trigger_words=["", " "]))
    post(client, "any message at all")
    got = receiver.wait_for(1)
    assert "trigger_word" not in got[0].json


def test_channel_filters(start_hub, receiver: Receiver) -> None:
    client = start_hub(
        outgoing("public", [receiver.url("/public")]),
        outgoing("notif", [receiver.url("/notif")], channel=["#notifications"]),
        outgoing("private", [receiver.url("/private")], channel=["all_private_groups"]),
        outgoing("dms", [receiver.url("/dms")], channel=["all_direct_messages"]),
        outgoing("bob", [receiver.url("/bob")], channel=["@bob"]),
        extra="  - {id: poster, type: incoming, token: t, channel: '#ops', username: alice,"
              " override_destination_channel: true, script_enabled: false}\n",
    )
    post(client, "in general", "#general")
    post(client, "in notifications", "#notifications")
    post(client, "to bob", "@bob")
    post(client, "to alice", "@alice")
    response = client.post("/hooks/poster/t", json={"text": "in ops"})
    assert response.status_code == 200, response.text
    receiver.wait_for(7)
    time.sleep(0.3)
    seen = sorted((r.path, r.json["text"]) for r in receiver.requests)
    assert seen == [
        ("/bob", "to bob"),
        ("/dms", "to alice"), ("/dms", "to bob"),
        ("/notif", "in notifications"),
        ("/private", "in ops"),
        ("/public", "in general"), ("/public", "in notifications"),
    ], seen


def test_script_cancels(start_hub, receiver: Receiver) -> None:
    script = """
    class Script:
        def prepare_outgoing_request(self, request):
            if "skip" in request.data.text:
                return None
            return request
    """
    client = start_hub(outgoing("out", [receiver.url()], script))
    post(client, "skip this")
    post(client, "send this")
    got = receiver.wait_for(1)
    entries = wait_history(client, "out", 2)
    assert [r.json["text"] for r in got] == ["send this"]
    assert sorted(e["step"] for e in entries) == ["cancelled", "sent"]


def test_script_rewrites_url_method_data_headers_auth(start_hub, receiver: Receiver) -> None:
    script = f"""
    class Script:
        def prepare_outgoing_request(self, request):
            return {{
                "url": "{receiver.url('/rewritten')}",
                "method": "PUT",
                "data": {{"say": request.data.text.upper()}},
                "headers": {{"X-Custom": "yes"}},
                "auth": "user:pa55word",
                "params": {{"q": "1"}},
                "timeout": 5000,
            }}
    """
    client = start_hub(outgoing("out", [receiver.url()], script))
    post(client, "hello")
    got = receiver.wait_for(1)[0]
    assert got.method == "PUT" and got.path == "/rewritten?q=1"
    assert got.json == {"say": "HELLO"}
    assert got.headers["x-custom"] == "yes"
    assert got.headers["authorization"] == "Basic " + base64.b64encode(b"user:pa55word").decode()
    entry = wait_history(client, "out", 1)[0]
    assert entry["request"]["auth"] == "••••" and entry["request"]["timeout"] == 5000
    text = client.get("/api/v1/integrations/out/history", headers=AUTH).text
    assert "pa55word" not in text and "dXNlcjpwYTU1d29yZA" not in text


def test_script_replies_without_calling(start_hub, receiver: Receiver) -> None:
    script = """
    class Script:
        def prepare_outgoing_request(self, request):
            return {"message": {"text": "pong: " + request.data.text}}
    """
    client = start_hub(outgoing("out", [receiver.url()], script, trigger_words=["ping"]))
    post(client, "ping 1")
    wait_until(lambda: any(m["text"] == "pong: ping 1" for m in messages(client)), what="the reply")
    reply = next(m for m in messages(client) if m["text"].startswith("pong"))
    assert reply["bot"] == {"i": "out"} and reply["u"]["username"] == "rocket.cat"
    assert wait_history(client, "out", 1)[0]["step"] == "replied"
    assert receiver.requests == []


def test_receiver_json_reply_is_posted_and_does_not_loop(start_hub, receiver: Receiver) -> None:
    # The reply starts with the trigger word: without loop protection it would trigger again, forever.
    receiver.default = (200, {"Content-Type": "application/json"}, b'{"text": "echo again"}')
    client = start_hub(outgoing("out", [receiver.url()], trigger_words=["echo"]))
    post(client, "echo hi")
    wait_until(lambda: any(m["text"] == "echo again" for m in messages(client)), what="the reply")
    time.sleep(0.5)
    assert len(receiver.requests) == 1
    assert [m["text"] for m in messages(client)] == ["echo again", "echo hi"]


def test_two_integrations_replying_to_each_other_stop(start_hub, receiver: Receiver) -> None:
    receiver.default = (200, {"Content-Type": "application/json"}, b'{"text": "ping"}')
    client = start_hub(outgoing("a", [receiver.url("/a")], trigger_words=["ping"]),
                       outgoing("b", [receiver.url("/b")], trigger_words=["ping"]))
    post(client, "ping")
    # a and b answer the first message; each reply triggers only the other integration, and replies
    # of depth 3 trigger nobody: 2 + 2 + 2 calls, then silence
    receiver.wait_for(6, timeout=20)
    time.sleep(0.8)
    assert len(receiver.requests) == 6
    texts = [m["text"] for m in messages(client)]
    assert texts.count("ping") == 7  # the original and six replies


def test_process_outgoing_response_posts_content_or_stops(start_hub, receiver: Receiver) -> None:
    script = """
    class Script:
        def process_outgoing_response(self, request, response):
            if response.content.get("quiet"):
                return False
            return {"content": {"text": "status " + str(response.status_code) + ": " + response.content["msg"]}}
    """
    receiver.answer(201, {"msg": "created"})
    receiver.answer(200, {"quiet": True, "text": "would be posted by default"})
    client = start_hub(outgoing("out", [receiver.url()], script))
    post(client, "one")
    wait_until(lambda: any(m["text"] == "status 201: created" for m in messages(client)), what="the reply")
    post(client, "two")
    entries = wait_history(client, "out", 2)
    assert [e["step"] for e in entries] == ["process-outgoing-response", "process-outgoing-response"]
    assert not any(m["text"] == "would be posted by default" for m in messages(client))


def test_script_error_is_logged_and_not_retried(start_hub, receiver: Receiver) -> None:
    script = """
    class Script:
        def prepare_outgoing_request(self, request):
            raise ValueError("broken on purpose")
    """
    client = start_hub(outgoing("out", [receiver.url()], script))
    message = post(client, "x")
    entry = wait_history(client, "out", 1)[0]
    assert entry["step"] == "error" and "broken on purpose" in entry["error"]
    logs = client.get("/api/v1/integrations/out/logs", headers=AUTH).json()["logs"]
    assert any("broken on purpose" in line["message"] for line in logs)
    delivery = wait_delivery(client, message["_id"], "failed")
    assert delivery["tries"] == 0


def test_loopback_refused_without_allow_private(start_hub, receiver: Receiver) -> None:
    client = start_hub(outgoing("out", [receiver.url()], http="{allow_private: false}"))
    message = post(client, "x")
    entry = wait_history(client, "out", 1)[0]
    assert entry["step"] == "error" and "allow_private" in entry["error"]
    assert receiver.requests == []
    wait_delivery(client, message["_id"], "failed")


def test_script_cannot_reach_unlisted_host(start_hub, receiver: Receiver) -> None:
    script = """
    class Script:
        def prepare_outgoing_request(self, request):
            return {"url": "http://localhost:%d/elsewhere", "method": "POST", "data": {}}
    """ % receiver.port
    client = start_hub(outgoing("out", [receiver.url()], script))
    post(client, "x")
    entry = wait_history(client, "out", 1)[0]
    assert entry["step"] == "error" and "allow_hosts" in entry["error"]
    assert receiver.requests == []


def test_4xx_is_not_retried(start_hub, receiver: Receiver) -> None:
    receiver.answer(400, {"error": "bad"})
    client = start_hub(outgoing("out", [receiver.url()]))
    message = post(client, "x")
    entry = wait_history(client, "out", 1)[0]
    assert entry["step"] == "failed" and entry["status"] == 400
    time.sleep(0.4)
    assert len(receiver.requests) == 1
    wait_delivery(client, message["_id"], "failed")


def test_410_with_body_disables_and_survives_restart(start_hub, receiver: Receiver) -> None:
    from .conftest import stop

    receiver.answer(410, {"error": "gone"})
    integ = outgoing("out", [receiver.url()])
    client = start_hub(integ)
    post(client, "x")
    entry = wait_history(client, "out", 1)[0]
    assert entry["step"] == "disabled"
    listed = {i["id"]: i for i in client.get("/api/v1/integrations", headers=AUTH).json()["integrations"]}
    assert listed["out"]["enabled"] is False
    post(client, "y")
    time.sleep(0.4)
    assert len(receiver.requests) == 1
    stop(client)

    again = start_hub(integ)
    listed = {i["id"]: i for i in again.get("/api/v1/integrations", headers=AUTH).json()["integrations"]}
    assert listed["out"]["enabled"] is False
    post(again, "z")
    time.sleep(0.4)
    assert len(receiver.requests) == 1

    response = again.post("/api/v1/integrations/out/enable", headers=AUTH)
    assert response.status_code == 200 and response.json()["integration"]["enabled"] is True
    post(again, "back")
    assert receiver.wait_for(2)[1].json["text"] == "back"


def test_edited_messages_need_run_on_edits(start_hub, receiver: Receiver) -> None:
    client = start_hub(outgoing("plain", [receiver.url("/plain")]),
                       outgoing("edits", [receiver.url("/edits")], run_on_edits=True))
    hub = client.hub
    edited = {"_id": "m1", "channel": "general", "rid": "general", "text": "fixed typo", "editedAt": "2026-01-01",
              "u": {"_id": "alice", "username": "alice"}}
    client.portal.call(lambda: _fire(hub, edited))
    got = receiver.wait_for(1)
    time.sleep(0.3)
    assert [r.path for r in receiver.requests] == ["/edits"] and got[0].json["isEdited"] is True


async def _fire(hub, message) -> None:  # type: ignore[no-untyped-def]
    hub.pm.hook.hookhub_message_posted(hub=hub, message=message, integration_id=None)

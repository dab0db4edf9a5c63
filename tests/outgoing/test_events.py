"""Room and user events: a reload that adds users, channels, members or archives a channel."""

from __future__ import annotations

from tests.conftest import AUTH, messages

from .conftest import outgoing, post, wait_history
from .receiver import Receiver, wait_until


def test_reload_fires_room_and_user_events(start_hub, write_config, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    integrations = (
        outgoing("created", [receiver.url("/roomCreated")], event="roomCreated", channel=["all_public_channels"],
                 token="tok"),
        outgoing("joined", [receiver.url("/roomJoined")], event="roomJoined", channel=["all_private_groups"]),
        outgoing("left", [receiver.url("/roomLeft")], event="roomLeft", channel=["all_private_groups"]),
        outgoing("archived", [receiver.url("/roomArchived")], event="roomArchived"),
        outgoing("users", [receiver.url("/userCreated")], event="userCreated", target_room="#general",
                 script="""
                 class Script:
                     def prepare_outgoing_request(self, request):
                         return {"url": request.url, "method": "POST", "data": request.data,
                                 "message": {"text": "welcome " + request.data.user_name}}
                 """),
        outgoing("messages", [receiver.url("/sendMessage")]),
    )
    client = start_hub(*integrations)
    path = client.hub.config.base_dir / "hookhub.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("  - username: bob\n", "  - username: bob\n  - username: carol\n")
    text = text.replace("  - name: notifications\n", "  - name: notifications\n    archived: true\n  - name: news\n")
    text = text.replace("    members: [alice]\n", "    members: [bob]\n")
    path.write_text(text, encoding="utf-8")
    response = client.post("/api/v1/reload", headers=AUTH)
    assert response.status_code == 200, response.text
    got = {r.path: r.json for r in receiver.wait_for(5)}
    assert got["/roomCreated"]["channel_name"] == "news" and got["/roomCreated"]["token"] == "tok"
    assert got["/roomJoined"]["channel_name"] == "ops" and got["/roomJoined"]["user_name"] == "bob"
    assert got["/roomLeft"]["user_name"] == "alice"
    assert got["/roomArchived"]["channel_name"] == "notifications"
    assert got["/userCreated"]["user_name"] == "carol" and got["/userCreated"]["bot"] is False
    wait_until(lambda: any(m["text"] == "welcome carol" for m in messages(client)), what="the welcome reply")
    assert {e["step"] for e in wait_history(client, "users", 1)} == {"sent"}
    # the welcome reply is a message too: its sendMessage call follows, asynchronously
    wait_until(lambda: "/sendMessage" in {r.path for r in receiver.requests}, what="the reply's sendMessage call")
    # a second reload with no directory change fires nothing
    count = len(receiver.requests)
    assert client.post("/api/v1/reload", headers=AUTH).status_code == 200
    post(client, "after")
    receiver.wait_for(count + 1)
    assert receiver.requests[-1].path == "/sendMessage"


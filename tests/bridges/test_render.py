"""Rendering a message for each platform, within its limits."""

from __future__ import annotations

from typing import Any

from hookhub.bridges.render import DISCORD, render
from hookhub.config import BridgeConfig

MESSAGE: dict[str, Any] = {
    "_id": "m1", "channel": "general", "text": "Deploy finished", "alias": "CI", "avatar": "https://x.test/a.png",
    "u": {"_id": "rocket.cat", "username": "rocket.cat", "name": "Rocket Cat"},
    "attachments": [{"title": "build #7", "title_link": "https://ci.test/7", "text": "all green", "color": "#00ff00",
                     "fields": [{"title": "branch", "value": "main", "short": True}],
                     "video_url": "https://ci.test/7.mp4", "collapsed": False}],
}


def bridge(type: str, url: str = "https://hooks.test/services/T/B/secret", **extra: Any) -> BridgeConfig:
    return BridgeConfig.model_validate({"name": "b", "type": type, "url": url, "channels": ["#general"], **extra})


def test_slack_format() -> None:
    out = render(bridge("slack", channel="#ops"), MESSAGE)
    assert out.url == "https://hooks.test/services/T/B/secret"
    assert out.body == {
        "text": "Deploy finished", "username": "CI", "icon_url": "https://x.test/a.png", "channel": "#ops",
        "attachments": [{"title": "build #7", "title_link": "https://ci.test/7", "color": "#00ff00",
                         "text": "all green\nhttps://ci.test/7.mp4", "fallback": "build #7",
                         "fields": [{"title": "branch", "value": "main", "short": True}]}],
    }


def test_mattermost_text_limit() -> None:
    out = render(bridge("mattermost"), {**MESSAGE, "text": "x" * 20_000, "attachments": []})
    assert len(out.body["text"]) == 16_383 and out.body["text"].endswith("…")
    assert "attachments" not in out.body


def test_discord_native_embeds_and_2000_chars() -> None:
    out = render(bridge("discord", url="https://discord.test/api/webhooks/1/tok"), {**MESSAGE, "text": "y" * 2500})
    body = out.body
    assert len(body["content"]) == 2000 and body["content"].endswith("…")
    assert body["allowed_mentions"] == {"parse": []} and body["username"] == "CI"
    assert body["embeds"] == [{
        "title": "build #7", "url": "https://ci.test/7", "description": "all green\nhttps://ci.test/7.mp4",
        "color": 0x00FF00, "fields": [{"name": "branch", "value": "main", "inline": True}],
    }]


def test_discord_refused_usernames_are_left_out() -> None:
    out = render(bridge("discord", url="https://discord.test/api/webhooks/1/tok"), {**MESSAGE, "alias": "Discord Bot"})
    assert "username" not in out.body


def test_discord_embed_limits() -> None:
    many = [{"title": "t" * 300, "text": "d" * 5000, "fields": [{"title": "f", "value": "v" * 2000}] * 30}
            for _ in range(12)]
    body = render(bridge("discord", url="https://discord.test/api/webhooks/1/tok"),
                  {**MESSAGE, "attachments": many}).body
    embeds = body["embeds"]
    assert 1 <= len(embeds) <= DISCORD["embeds"]
    for embed in embeds:
        assert len(embed["title"]) <= 256 and len(embed.get("description", "")) <= 4096
        fields = embed.get("fields", [])
        assert len(fields) <= 25 and all(len(f["value"]) <= 1024 for f in fields)
    total = sum(len(e.get("title", "")) + len(e.get("description", "")) +
                sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", [])) for e in embeds)
    assert total <= 6000


def test_discord_slack_endpoint_uses_slack_format_with_discord_limit() -> None:
    out = render(bridge("discord", url="https://discord.test/api/webhooks/1/tok/slack"), {**MESSAGE, "text": "z" * 3000})
    assert "attachments" in out.body and "embeds" not in out.body
    assert len(out.body["text"]) == 2000


def test_rocketchat_webhook_and_rest() -> None:
    hook = render(bridge("rocketchat"), MESSAGE)
    assert hook.body["text"] == "Deploy finished" and hook.body["alias"] == "CI"
    assert hook.body["attachments"] == MESSAGE["attachments"]
    rest = render(bridge("rocketchat-rest", url="https://chat.test/", user_id="U1", auth_token="T0K",
                         channel="#announce"), MESSAGE)
    assert rest.url == "https://chat.test/api/v1/chat.postMessage"
    assert rest.headers == {"X-User-Id": "U1", "X-Auth-Token": "T0K"}
    assert rest.body["channel"] == "#announce" and rest.secret_headers == ("X-Auth-Token",)


def test_generic_json() -> None:
    out = render(bridge("json", url="https://any.test/in", headers={"X-Key": "k"}), MESSAGE)
    assert out.body["event"] == "message" and out.body["channel"] == "general"
    assert out.body["message"]["_id"] == "m1" and out.headers == {"X-Key": "k"}


UNSAFE_MESSAGE: dict[str, Any] = {
    **MESSAGE, "avatar": "data:image/png;base64,iVBORw0KGgo=",
    "attachments": [{"title": "alert", "title_link": "my.prometheusalertmanager.url", "text": "firing",
                     "image_url": "javascript:alert(1)", "thumb_url": "undefined/50.png",
                     "author_name": "am", "author_link": "/relative", "author_icon": "https://x.test/am.png",
                     "footer_icon": "data:image/gif;base64,R0lGOD", "video_url": "vbscript:x",
                     "audio_url": "https://x.test/a.mp3"}],
}


def test_bridges_emit_only_http_links_and_images() -> None:
    slack = render(bridge("slack"), UNSAFE_MESSAGE).body
    assert "icon_url" not in slack
    assert slack["attachments"] == [{"title": "alert", "text": "firing\nhttps://x.test/a.mp3", "author_name": "am",
                                     "author_icon": "https://x.test/am.png", "fallback": "alert"}]
    discord = render(bridge("discord", url="https://discord.test/api/webhooks/1/x"), UNSAFE_MESSAGE).body
    assert "avatar_url" not in discord
    assert discord["embeds"] == [{"title": "alert", "description": "firing\nhttps://x.test/a.mp3",
                                  "author": {"name": "am", "icon_url": "https://x.test/am.png"}}]
    rocket = render(bridge("rocketchat"), UNSAFE_MESSAGE).body
    assert "avatar" not in rocket
    assert rocket["attachments"] == [{"title": "alert", "text": "firing", "author_name": "am",
                                      "author_icon": "https://x.test/am.png", "audio_url": "https://x.test/a.mp3"}]
    # the generic JSON bridge forwards the stored message as it is
    assert render(bridge("json"), UNSAFE_MESSAGE).body["message"]["avatar"] == UNSAFE_MESSAGE["avatar"]

"""From content to message (CONTRACT §6), through the HTTP front door."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from .conftest import AUTH, integration, messages

Client = Callable[..., TestClient]
OVERRIDE = {"success": False, "error": "overriding destination channel is disabled for this integration"}


def post(client: TestClient, body: dict[str, Any], hook: str = "plain") -> Any:
    return client.post(f"/hooks/{hook}/{hook}-token", json=body)


def test_integration_defaults(make_client: Client) -> None:
    client = make_client(integration("plain", alias="Bot", emoji=":ghost:"))
    assert post(client, {"text": "  padded  "}).status_code == 200
    msg = messages(client)[0]
    assert msg["text"] == "padded" and msg["alias"] == "Bot" and msg["emoji"] == ":ghost:"
    assert msg["avatar"] is None and msg["channel"] == "general" and msg["u"]["username"] == "rocket.cat"
    assert msg["_id"] and msg["ts"].endswith("Z") and msg["parseUrls"] is True and msg["groupable"] is False


@pytest.mark.parametrize("key", ["channel", "roomId"])
def test_override_rule_refuses_other_channels(make_client: Client, key: str) -> None:
    client = make_client(integration("plain"))
    r = post(client, {"text": "x", key: "#notifications" if key == "channel" else "notifications"})
    assert (r.status_code, r.json()) == (400, OVERRIDE)
    assert messages(client, "notifications") == []


def test_own_default_channel_may_be_sent_explicitly(make_client: Client) -> None:
    client = make_client(integration("plain"))
    for value in ("#general", "general", ["#general"]):
        assert post(client, {"text": "x", "channel": value}).status_code == 200
    assert len(messages(client)) == 3


def test_override_allowed_when_enabled(make_client: Client) -> None:
    client = make_client(integration("plain", override_destination_channel=True))
    assert post(client, {"text": "to notifications", "channel": "#notifications"}).status_code == 200
    assert messages(client, "notifications")[0]["text"] == "to notifications"
    assert messages(client) == []


@pytest.mark.parametrize(("target", "where"), [
    ("#notifications", ("channels", "notifications")),
    ("notifications", ("channels", "notifications")),   # no prefix: channel by name
    ("@alice", ("users", "alice")),                     # direct message
    ("bob", ("users", "bob")),                          # no prefix: user by id
])
def test_channel_resolution(make_client: Client, target: str, where: tuple[str, str]) -> None:
    client = make_client(integration("plain", override_destination_channel=True))
    assert post(client, {"text": "hi", "channel": target}).status_code == 200
    got = client.get(f"/api/v1/{where[0]}/{where[1]}/messages", headers=AUTH).json()["messages"]
    assert got[0]["text"] == "hi"


def test_list_of_channels_posts_to_each(make_client: Client) -> None:
    client = make_client(integration("plain", override_destination_channel=True))
    assert post(client, {"text": "both", "channel": ["#general", "@alice"]}).status_code == 200
    assert len(messages(client)) == 1
    assert len(client.get("/api/v1/users/alice/messages", headers=AUTH).json()["messages"]) == 1


def test_invalid_channel(make_client: Client) -> None:
    client = make_client(integration("plain", override_destination_channel=True))
    r = post(client, {"text": "x", "channel": "#nowhere"})
    assert (r.status_code, r.json()) == (400, {"success": False, "error": "invalid-channel"})


def test_private_channel_requires_membership(make_client: Client) -> None:
    client = make_client(integration("plain", override_destination_channel=True),
                         integration("member", username="alice", override_destination_channel=True))
    r = post(client, {"text": "x", "channel": "#ops"})
    assert (r.status_code, r.json()) == (400, {"success": False, "error": "error-not-allowed"})
    assert post(client, {"text": "x", "channel": "#ops"}, hook="member").status_code == 200


def test_any_failing_channel_posts_nothing_without_separate_response(make_client: Client) -> None:
    client = make_client(integration("plain", override_destination_channel=True))
    r = post(client, {"text": "x", "channel": ["#general", "#nowhere"]})
    assert r.status_code == 400 and messages(client) == []


def test_separate_response(make_client: Client) -> None:
    client = make_client(integration("plain", override_destination_channel=True))
    r = post(client, {"text": "x", "channel": ["#general", "#nowhere", "#ops"], "separateResponse": True})
    assert r.status_code == 200
    responses = r.json()["responses"]
    assert responses[0]["channel"] == "#general" and responses[0]["message"]["text"] == "x"
    assert {"channel": "#nowhere", "error": "invalid-channel"} in responses
    assert {"channel": "#ops", "error": "error-not-allowed"} in responses
    r = post(client, {"text": "x", "channel": ["#nowhere"], "separateResponse": True})
    assert r.status_code == 400 and r.json()["success"] is False


@pytest.mark.parametrize(("content", "expected"), [
    ({"text": "t", "username": "U", "alias": "A"}, {"alias": "U"}),
    ({"text": "t", "alias": "A"}, {"alias": "A"}),
    ({"text": "t"}, {"alias": "Default"}),
    ({"msg": "from msg"}, {"text": "from msg"}),
    ({"text": "t", "msg": "m"}, {"text": "t"}),
    ({"text": "t", "icon_url": "https://x.test/a.png", "avatar": "https://x.test/b.png", "icon_emoji": ":x:"},
     {"avatar": "https://x.test/a.png", "emoji": None}),
    ({"text": "t", "avatar": "https://x.test/b.png"}, {"avatar": "https://x.test/b.png"}),
    ({"text": "t", "icon_emoji": ":a:", "emoji": ":b:"}, {"emoji": ":a:", "avatar": None}),
    ({"text": "t", "emoji": ":b:"}, {"emoji": ":b:"}),
    ({"text": "t"}, {"avatar": "https://x.test/default.png", "emoji": None}),
    ({"text": "t", "attachments": [{"title": "a"}]}, {"parseUrls": False}),
    ({"text": "t", "parseUrls": False}, {"parseUrls": False}),
    ({"text": "t", "groupable": True, "tmid": "thread1"}, {"groupable": True, "tmid": "thread1"}),
    ({"text": "t", "bot": {"i": "someone-else"}}, {"bot": {"i": "plain"}}),
])
def test_field_precedence(make_client: Client, content: dict[str, Any], expected: dict[str, Any]) -> None:
    client = make_client(integration("plain", alias="Default", avatar="https://x.test/default.png", emoji=":d:"))
    r = post(client, content)
    assert r.status_code == 200, r.text
    msg = messages(client)[0]
    assert {k: msg.get(k) for k in expected} == expected


def test_attachment_fields_values_become_strings(make_client: Client) -> None:
    client = make_client(integration("plain"))
    att = {"color": "#ff0000", "title": "T", "title_link": "https://example.com/t", "collapsed": True,
           "fields": [{"title": "n", "value": 3, "short": True}, {"title": "b", "value": False},
                      {"title": "o", "value": {"k": 1}}]}
    assert post(client, {"attachments": [att]}).status_code == 200
    got = messages(client)[0]["attachments"][0]
    assert [f["value"] for f in got["fields"]] == ["3", "false", '{"k": 1}']
    assert got["title_link"] == "https://example.com/t" and messages(client)[0]["text"] == ""


def warnings_of(client: TestClient, hook: str = "plain") -> list[str]:
    logs = client.get(f"/api/v1/integrations/{hook}/logs", headers=AUTH).json()["logs"]
    return [entry["message"] for entry in logs if entry["level"] == "warn"]


@pytest.mark.parametrize("field", ["title_link", "image_url", "author_link", "author_icon", "thumb_url",
                                   "audio_url", "video_url", "message_link"])
@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x.test/a", "/relative", "data:text/html,hi",
                                 "my.prometheusalertmanager.url"])
def test_attachment_urls_that_are_not_http_are_stored_with_a_warning(make_client: Client, field: str,
                                                                     url: str) -> None:
    client = make_client(integration("plain"))
    r = post(client, {"text": "t", "attachments": [{field: url}]})
    assert (r.status_code, r.json()) == (200, {"success": True})
    assert messages(client)[0]["attachments"][0][field] == url  # as Rocket.Chat stores it
    [warning] = warnings_of(client)
    assert warning.startswith(f"message field attachments[0].{field} is not an absolute http(s) URL")
    assert "bridges and the UI leave it out" in warning


@pytest.mark.parametrize(("content", "where"), [
    ({"text": "t", "icon_url": "data:image/png;base64,iVBORw0KGgo="}, "icon_url"),
    ({"text": "t", "avatar": "undefined/50.png"}, "avatar"),
])
def test_avatars_rocket_chat_accepts_are_stored(make_client: Client, content: dict[str, Any], where: str) -> None:
    client = make_client(integration("plain"))
    r = post(client, content)
    assert r.status_code == 200, r.text
    assert messages(client)[0]["avatar"] == content.get("icon_url", content.get("avatar"))
    [warning] = warnings_of(client)
    assert warning.startswith(f"message field {where} is not an absolute http(s) URL")


def test_http_urls_give_no_warning(make_client: Client) -> None:
    client = make_client(integration("plain", avatar="https://x.test/default.png"))
    att = {"title_link": "https://x.test/t", "image_url": "http://x.test/i.png"}
    assert post(client, {"text": "t", "attachments": [att]}).status_code == 200
    assert warnings_of(client) == []


def test_the_integrations_own_avatar_is_named_as_such(make_client: Client) -> None:
    client = make_client(integration("plain", avatar="avatars/bot.png"))
    assert post(client, {"text": "t"}).status_code == 200
    assert messages(client)[0]["avatar"] == "avatars/bot.png"
    [warning] = warnings_of(client)
    assert warning.startswith("message field the integration's avatar is not an absolute http(s) URL")


@pytest.mark.parametrize("empty", ["alias", "avatar", "emoji"])
def test_empty_integration_defaults_mean_unset(make_client: Client, empty: str) -> None:
    defaults = {"alias": "Bot", "avatar": "https://x.test/a.png", "emoji": ":ghost:", empty: ""}
    client = make_client(integration("plain", **defaults))
    r = post(client, {"text": "t"})
    assert r.status_code == 200, r.text
    msg = messages(client)[0]
    assert msg[empty] is None or (empty == "emoji" and msg["avatar"])
    assert warnings_of(client) == []


def test_non_string_urls_are_refused(make_client: Client) -> None:
    client = make_client(integration("plain"))
    r = post(client, {"text": "t", "icon_url": 5})
    assert (r.status_code, r.json()["error"]) == (400, "icon_url must be a string URL")
    r = post(client, {"text": "t", "attachments": [{"title_link": {"x": 1}}]})
    assert (r.status_code, r.json()["error"]) == (400, "attachments[0].title_link must be a string URL")


@pytest.mark.parametrize("content", [{}, {"text": ""}, {"text": "   "}, {"attachments": []}])
def test_text_or_attachment_required(make_client: Client, content: dict[str, Any]) -> None:
    client = make_client(integration("plain"))
    r = post(client, content)
    assert r.status_code == 400
    assert r.json()["error"] == "the message needs a non-empty text (or msg) or at least one attachment"


def test_text_size_limit(make_client: Client) -> None:
    client = make_client(integration("plain"))
    assert post(client, {"text": "x" * 2000}).status_code == 200
    r = post(client, {"text": "x" * 2001})
    assert (r.status_code, r.json()) == (400, {"success": False, "error": "error-message-size-exceeded"})


@pytest.mark.parametrize(("content", "error"), [
    ({"attachments": "nope"}, "attachments must be a list of objects"),
    ({"attachments": ["nope"]}, "attachments[0] must be an object"),
    ({"attachments": [{"fields": "x"}]}, "attachments[0].fields must be a list of {title, value, short} objects"),
    ({"text": {"a": 1}}, "text must be a string"),
])
def test_invalid_fields(make_client: Client, content: dict[str, Any], error: str) -> None:
    client = make_client(integration("plain"))
    r = post(client, content)
    assert (r.status_code, r.json()) == (400, {"success": False, "error": error})


def test_script_can_change_the_poster(make_client: Client) -> None:
    script = """
    class Script:
        def process_incoming_request(self, request):
            return {"content": {"text": "hi"}, "user": {"username": request.content.who}}
    """
    client = make_client(integration("who", script))
    assert client.post("/hooks/who/who-token", json={"who": "alice"}).status_code == 200
    assert messages(client)[0]["u"]["username"] == "alice"
    r = client.post("/hooks/who/who-token", json={"who": "mallory"})
    assert r.status_code == 400 and "invalid-user" in r.json()["error"]


def test_drop_none_copies_only_when_there_is_something_to_drop() -> None:
    from hookhub.message import drop_none

    clean = {"text": "x", "attachments": [{"title": "t", "fields": [{"title": "a", "value": "b"}]}], "n": [None]}
    assert drop_none(clean) is clean  # None inside a list is kept, like JSON.stringify keeps null
    dirty = {"text": "x", "alias": None, "attachments": [{"title": None, "fields": [{"short": None, "v": 1}]}]}
    assert drop_none(dirty) == {"text": "x", "attachments": [{"fields": [{"v": 1}]}]}
    assert dirty["alias"] is None  # the original is left alone


# -- None values (JavaScript's undefined) are dropped wherever they are ---------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

from hookhub import message as message_module  # noqa: E402
from hookhub.config import UserConfig  # noqa: E402
from hookhub.errors import MessageError  # noqa: E402

_scalar = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["", "x", "http://a.example/i"]))
_json = st.recursive(_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "b", "value", "title"]), inner, max_size=3)),
    max_leaves=6)
_text = st.one_of(st.none(), st.sampled_from(["t", ""]), st.integers(0, 3))
_field = st.fixed_dictionaries({}, optional={"title": _text, "value": _json, "short": st.one_of(st.none(), st.booleans()),
                                             "extra": _json})
_attachment = st.fixed_dictionaries({}, optional={
    "title": _text, "text": _text, "color": _text, "title_link": st.one_of(st.none(), st.just("http://a.example/x")),
    "fields": st.one_of(st.none(), st.lists(st.one_of(st.none(), _field), max_size=3)),
    "actions": st.one_of(st.none(), st.lists(_json, max_size=2)), "footer": _json, "attachments": _json})
_content = st.fixed_dictionaries({}, optional={
    "text": st.one_of(st.none(), st.sampled_from(["hi", "", "  x  "]), st.integers(0, 3)),
    "msg": st.one_of(st.none(), st.just("from msg")),
    "attachments": st.one_of(st.none(), st.lists(_attachment, min_size=1, max_size=3)),
    "parseUrls": st.one_of(st.none(), st.booleans()),
    "alias": st.one_of(st.none(), st.just("bot")),
    "tmid": st.one_of(st.none(), st.just("t1")),
    "groupable": st.one_of(st.none(), st.booleans()),
})
_POSTER = UserConfig(username="rocket.cat")


def _doc_or_error(content: dict[str, Any]) -> Any:
    try:
        return message_module.build_doc(content, poster=_POSTER, max_chars=5000, warnings=[])
    except MessageError as exc:
        return ("refused", exc.field)


def _has_none(value: Any) -> bool:
    if isinstance(value, dict):
        return any(v is None or _has_none(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_none(v) for v in value)
    return False


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_content)
def test_none_values_anywhere_are_dropped_as_if_never_sent(content: dict[str, Any]) -> None:
    """The message is built without a walk over the whole content first: the result (or the refusal, and of
    which field) is the same as for the content with its None values dropped beforehand."""
    got = _doc_or_error(content)
    assert got == _doc_or_error(message_module.drop_none(content))
    if isinstance(got, dict):
        assert not _has_none(got["attachments"])


def _registry(tmp_path: Any, private: bool) -> Any:
    from hookhub.config import load_config
    from hookhub.registry import Registry

    path = tmp_path / f"hookhub-{private}.yaml"
    path.write_text(
        "users: [{username: rocket.cat}, {username: alice}]\n"
        f"channels: [{{name: general}}, {{name: ops, private: {str(private).lower()}, members: [alice]}}]\n"
        "integrations:\n"
        "  - {id: plain, type: incoming, token: t, channel: '#ops', username: rocket.cat, script_enabled: false}\n",
        encoding="utf-8")
    return Registry(load_config(path), {})


def test_destinations_are_resolved_once_per_configuration_and_refusals_every_time(tmp_path: Any) -> None:
    from hookhub.message import check_allowed, resolve

    public = _registry(tmp_path, private=False)
    poster = public.users["rocket.cat"]
    first = resolve("#ops", public)
    assert resolve("#ops", public) is first  # kept by the registry
    check_allowed(first, poster, public)
    for _ in range(2):  # an unknown entry is refused each time, never remembered
        with pytest.raises(MessageError, match="invalid-channel"):
            resolve("#nowhere", public)
    assert "#nowhere" not in public.resolved
    # a reload builds a new registry: #ops private now, and what the old one allowed does not carry over
    private = _registry(tmp_path, private=True)
    for _ in range(2):
        with pytest.raises(MessageError, match="error-not-allowed"):
            check_allowed(resolve("#ops", private), private.users["rocket.cat"], private)
    check_allowed(resolve("#ops", private), private.users["alice"], private)

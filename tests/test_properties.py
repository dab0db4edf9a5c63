"""Property-based: whatever arrives (bodies, query strings, headers, admin API calls), no 5xx.

hypothesis generates requests against the application in-process (an
integration with a script, one without, the admin API).  Every answer must
be below 500 and a JSON envelope.  Runs are derandomised (the same examples
every run) and bounded (``max_examples``).
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from starlette.testclient import TestClient

from hookhub.web.app import make_app
from hookhub.config import load_config
from hookhub.hub import Hub

from .conftest import ADMIN, AUTH, BASE, integration

SCRIPT = """
class Script:
    def process_incoming_request(self, request):
        text = request.content.get("text") if isinstance(request.content, dict) else None
        return {"content": {"text": str(text or request.query or "empty")[:500]}}
"""

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("properties")
    path = folder / "hookhub.yaml"
    path.write_text(BASE.replace("{mode}", "inprocess") + integration("plain") + integration("echo", SCRIPT),
                    encoding="utf-8")
    with TestClient(make_app(Hub(load_config(Path(path)))), raise_server_exceptions=False) as c:
        yield c


def _check(r: Any) -> None:
    assert r.status_code < 500, (r.status_code, r.text[:500])
    if r.request.method != "HEAD":
        body = r.json()
        assert isinstance(body, dict) and "success" in body, r.text[:500]


# -- strategies --------------------------------------------------------------

_odd_strings = st.sampled_from(["\\ud800", "\\udfff", "\\ud83d\\ude00", "\\u0000", "é", "\u2028", "NaN", "",
                                "\\ud800\\ud800", "a" * 300])
_json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                          st.text(max_size=20), st.integers(min_value=2**64, max_value=2**80))
_json_values = st.recursive(_json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


@st.composite
def json_texts(draw: st.DrawFn) -> str:
    """JSON documents, some with lone-surrogate escapes, deep nesting or message-like fields."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        value = draw(_json_values)
        return json.dumps(value)
    if kind == 1:
        fields = draw(st.dictionaries(st.sampled_from(["text", "msg", "channel", "attachments", "emoji", "alias",
                                                       "icon_url", "username", "roomId", "tmid"]),
                                      _json_values, max_size=4))
        return json.dumps({"text": "x", **fields})
    if kind == 2:
        depth = draw(st.integers(1, 2000))
        opener = draw(st.sampled_from(["[", '{"a":']))
        closer = "]" if opener == "[" else "}"
        return opener * depth + "1" + closer * depth
    return '{"text": "' + draw(_odd_strings) + '", "k' + draw(_odd_strings) + '": 1}'


_bodies = st.one_of(json_texts().map(lambda t: t.encode("utf-8")), st.binary(max_size=300),
                    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
                    json_texts().map(lambda t: b"payload=" + t.encode("utf-8").replace(b"&", b"%26")))
_content_types = st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", "",
                                  "application/vnd.api+json; charset=utf-8", "multipart/form-data", "\x7f"])
_query_chars = string.ascii_letters + string.digits + "[]=&%+.;_-~!$'()*,:@/?"


@st.composite
def query_strings(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.text(alphabet=_query_chars, max_size=80))
    depth = draw(st.integers(0, 1200))
    key = "a" + "".join(draw(st.sampled_from(["[x]", "[]", "[0]"])) for _ in range(min(depth, 3))) + "[x]" * depth
    return f"{key}={draw(st.text(alphabet=string.ascii_letters + '%', max_size=5))}"


_header_names = st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=20).filter(
    lambda n: n.lower() not in ("content-length", "transfer-encoding", "host", "connection", "expect"))
_header_values = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
                         max_size=200).map(str.strip)


# -- properties --------------------------------------------------------------


@SETTINGS
@given(body=_bodies, content_type=_content_types, hook=st.sampled_from(["plain", "echo"]))
def test_hook_bodies_never_5xx(client: TestClient, body: bytes, content_type: str, hook: str) -> None:
    _check(client.post(f"/hooks/{hook}/{hook}-token", content=body, headers={"Content-Type": content_type}))


@SETTINGS
@given(query=query_strings(), method=st.sampled_from(["GET", "POST", "HEAD", "PUT"]),
       hook=st.sampled_from(["plain", "echo"]))
def test_hook_query_strings_never_5xx(client: TestClient, query: str, method: str, hook: str) -> None:
    _check(client.request(method, f"/hooks/{hook}/{hook}-token?{query}", content=b'{"text": "q"}',
                          headers={"Content-Type": "application/json"}))


@SETTINGS
@given(headers=st.dictionaries(_header_names, _header_values, max_size=8), hook=st.sampled_from(["plain", "echo"]))
def test_hook_headers_never_5xx(client: TestClient, headers: dict[str, str], hook: str) -> None:
    _check(client.post(f"/hooks/{hook}/{hook}-token", content=b'{"text": "h"}',
                       headers=[(k.encode("ascii"), v.encode("latin-1")) for k, v in headers.items()]
                       + [(b"content-type", b"application/json")]))


_ids = st.one_of(st.sampled_from(["plain", "echo", "nope", ""]), st.text(alphabet=_query_chars, max_size=12))


@SETTINGS
@given(path=st.sampled_from(["/api/v1/integrations/{id}/history", "/api/v1/integrations/{id}/logs",
                             "/api/v1/channels/{id}/messages", "/api/v1/users/{id}/messages", "/api/v1/integrations",
                             "/api/v1/integrations/{id}/history/{id}/replay", "/hooks/{id}/{id}", "/healthz"]),
       ident=_ids, limit=st.one_of(st.none(), st.text(max_size=6), st.integers(-5, 5000).map(str)),
       method=st.sampled_from(["GET", "POST"]), auth=st.sampled_from([AUTH, {}, {"Authorization": "Bearer x"},
                                                                      {"Authorization": f"bearer  {ADMIN} "}]))
def test_admin_api_reads_never_5xx(client: TestClient, path: str, ident: str, limit: str | None, method: str,
                                   auth: dict[str, str]) -> None:
    url = path.replace("{id}", ident.replace("/", "%2F").replace("?", "%3F") or "x")
    params = {"limit": limit} if limit is not None else {}
    _check(client.request(method, url, params=params, headers=auth))


@SETTINGS
@given(body=st.one_of(json_texts(), st.builds(lambda extra: json.dumps({"channel": "#general", "text": "t", **extra}),
                                              st.dictionaries(st.sampled_from(["attachments", "channel", "username",
                                                                               "emoji", "avatar", "alias", "text"]),
                                                              _json_values, max_size=3))))
def test_chat_post_message_never_5xx(client: TestClient, body: str) -> None:
    _check(client.post("/api/v1/chat.postMessage", content=body.encode("utf-8"),
                       headers={**AUTH, "Content-Type": "application/json"}))


def test_replay_of_stored_odd_requests_never_5xx(client: TestClient) -> None:
    for body in ('{"text": "\\ud800"}', "[" * 500 + "]" * 500, "payload=%7B%7D"):
        client.post("/hooks/echo/echo-token?a[b]=1&token=t", content=body.encode(),
                    headers={"Content-Type": "application/json"})
    history = client.get("/api/v1/integrations/echo/history", headers=AUTH).json()["history"]
    assert history
    for entry in history[:5]:
        for dry in ("1", "0"):
            _check(client.post(f"/api/v1/integrations/echo/history/{entry['_id']}/replay?dry_run={dry}", headers=AUTH))

"""Masking secrets before anything reaches history or the API."""

from __future__ import annotations

from hookhub.outgoing.payload import MASK, history_request, mask_headers, mask_url, mask_value


def test_mask_url() -> None:
    assert mask_url("https://user:pw@host.test/p?token=abc&x=1") == f"https://user:{MASK}@host.test/p?token={MASK}&x=1"
    assert mask_url("https://host.test/p") == "https://host.test/p"
    assert mask_url(None) is None


def test_mask_headers_and_values() -> None:
    assert mask_headers({"Authorization": "Basic x", "X-Auth-Token": "t", "Accept": "json"}) == {
        "Authorization": MASK, "X-Auth-Token": MASK, "Accept": "json"}
    assert mask_value({"a": ["my-secret here", {"b": "my-secret"}], "n": 1}, ["my-secret"]) == {
        "a": [f"{MASK} here", {"b": MASK}], "n": 1}
    assert mask_value("text", []) == "text"


def test_history_request() -> None:
    opts = {"url": "https://u:pw@h.test/x?api_key=k", "method": "POST", "headers": {"Authorization": "Bearer t"},
            "params": {"secret": "s", "page": 2}, "data": {"token": "tok-1", "text": "hi"}, "auth": "a:b",
            "timeout": 100}
    out = history_request(opts, ["tok-1", "pw", "a:b"])
    assert out == {"url": f"https://u:{MASK}@h.test/x?api_key={MASK}", "method": "POST",
                   "headers": {"Authorization": MASK}, "params": {"secret": MASK, "page": 2},
                   "data": {"token": MASK, "text": "hi"}, "auth": MASK, "timeout": 100}

"""hookhub.urls: the one test every emitted link and image URL passes."""

from __future__ import annotations

import doctest

import pytest

from hookhub import urls
from hookhub.urls import safe_http_url, url_problem


@pytest.mark.parametrize("url", ["https://example.com", "http://example.com/a.png?x=1#f",
                                 "HTTPS://Example.COM:8443/p", "https://[2001:db8::1]/x"])
def test_http_urls_are_safe(url: str) -> None:
    assert safe_http_url(url) == url and url_problem(url) is None


@pytest.mark.parametrize("value", [
    "data:image/png;base64,iVBORw0KGgo=", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "/relative",
    "undefined/50.png", "my.prometheusalertmanager.url", "ftp://x.test/a", "https://", "https:///path",
    "https://x.test/a b", "https://x.test/\"onerror=\"x", "https://x.test/<script>", " https://x.test",
    "https://x.test/\n", "https://x.test:0/", "https://x.test:99999/", "//x.test/a", "", None, 5, {"u": 1},
    "https://x.test/" + "a" * 9000,
])
def test_everything_else_is_refused(value: object) -> None:
    assert safe_http_url(value) is None
    assert url_problem(value)


def test_problems_say_what_is_wrong() -> None:
    assert url_problem(5) == "is not a string (got int)"
    assert url_problem("/a") == "is not an absolute http(s) URL: '/a'"


def test_doctests() -> None:
    assert doctest.testmod(urls).failed == 0

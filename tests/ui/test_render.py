"""Message text, URLs, colours, masked headers and diffs as the UI shows them."""

from __future__ import annotations

import pytest

from hookhub.ui.render import colour, error_line, mask_headers, message_text, pretty, safe_url, side_by_side


@pytest.mark.parametrize("url", ["https://example.com/x?a=1", "http://127.0.0.1:3000/"])
def test_http_urls_are_safe(url: str) -> None:
    assert safe_url(url) == url


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>",
                                 "data:image/png;base64,AAAA", "/relative/path", "//evil.example/x", "ftp://x/y",
                                 "https://", "https://a b", "vbscript:x", None, 3, "http://x/\nfoo"])
def test_other_urls_are_not(url: object) -> None:
    assert safe_url(url) is None


def test_text_links_only_http_urls_and_escapes_everything_else() -> None:
    html = str(message_text("a [docs](https://d.example/x) b [x](javascript:alert(1)) <script>1</script> "
                            "<https://s.example|slack> https://bare.example/p *bold* _it_ `c<d>`\nline"))
    assert '<a href="https://d.example/x" rel="noopener noreferrer nofollow" target="_blank">docs</a>' in html
    assert '<a href="https://s.example" ' in html and ">slack</a>" in html
    assert '<a href="https://bare.example/p"' in html
    assert "javascript:" not in html.split("x (")[0]  # the unsafe link is text, not an href
    assert "x (javascript:alert(1))" in html
    assert "&lt;script&gt;1&lt;/script&gt;" in html and "<script>" not in html
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html and "<code>c&lt;d&gt;</code>" in html
    assert "<br>line" in html


def test_a_label_cannot_inject_markup() -> None:
    html = str(message_text('[<img src=x onerror=alert(1)>](https://ok.example/")'))
    assert "<img" not in html and "&lt;img" in html


def test_colours() -> None:
    assert colour("danger") == "#a30200" and colour("good") == "#2eb886"
    assert colour("#ff0000") == "#ff0000" and colour("red") == "red"
    for bad in ("red; background: url(x)", "expression(alert(1))", "#ff00001234", 5, None, "url(https://x)"):
        assert colour(bad) is None


def test_headers_that_look_secret_are_masked() -> None:
    shown = dict(mask_headers({"X-Api-Key": "k", "x-gitlab-token": "t", "content-type": "application/json",
                               "x-hub-signature-256": "s", "Cookie": "c", "x-event": "push"}))
    assert shown == {"X-Api-Key": "••••", "x-gitlab-token": "••••", "content-type": "application/json",
                     "x-hub-signature-256": "••••", "Cookie": "••••", "x-event": "push"}


def test_side_by_side_diff_pairs_changed_lines() -> None:
    rows = side_by_side({"status": 200, "text": "a", "keep": 1}, {"status": 400, "text": "a", "keep": 1, "zz": 2})
    tags = [(r.tag, r.left.strip(), r.right.strip()) for r in rows]
    assert ("equal", '"keep": 1,', '"keep": 1,') in tags
    assert ("insert", "", '"zz": 2') in tags
    assert ("replace", '"status": 200,', '"status": 400,') in tags


def test_pretty_and_error_line() -> None:
    assert pretty('{"b": 1, "a": [1]}') == '{\n  "a": [\n    1\n  ],\n  "b": 1\n}'
    assert pretty("not json") == "not json"
    assert error_line('File "x.py", line 3, in a\n File "x.py", line 12, in b\nKeyError') == 12
    assert error_line("no line") is None and error_line(None) is None

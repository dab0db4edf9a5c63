"""Log redaction and the JSON format (hookhub/logs.py)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookhub.config import load_config
from hookhub.logs import MASK, JsonFormatter, Redactor, config_secrets, configure, refresh_secrets
from tests.conftest import integration


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The root handler of :func:`configure`, writing to a buffer; the old handlers come back after."""
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    buffer = io.StringIO()
    yield buffer
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved:
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.NOTSET)


@pytest.mark.parametrize(("line", "expected"), [
    ("POST /hooks/github/s3cr3tT0ken 200", f"POST /hooks/github/{MASK} 200"),
    ("GET http://h:3000/hooks/github/rocket.cat/s3cr3tT0ken?x=1", f"GET http://h:3000/hooks/github/{MASK}?x=1"),
    ('HTTP Request: POST https://api.example.com/v1/send?api_key=abcdef123&lang=en "HTTP/1.1 200 OK"',
     f'HTTP Request: POST https://api.example.com/v1/send?api_key={MASK}&lang=en "HTTP/1.1 200 OK"'),
    ("GET /x?access_token=zzz&Signature=yyy&page=2", f"GET /x?access_token={MASK}&Signature={MASK}&page=2"),
    ("connecting to postgresql://hookhub:pa55word@db:5432/hookhub",
     f"connecting to postgresql://hookhub:{MASK}@db:5432/hookhub"),
    ("Authorization: Bearer abcdefghijkl", f"Authorization: Bearer {MASK}"),
    ("header basic dXNlcjpwYXNz", f"header basic {MASK}"),
    ("nothing secret here: 200 OK in 3 ms", "nothing secret here: 200 OK in 3 ms"),
])
def test_structural_masks(line: str, expected: str) -> None:
    assert Redactor().redact(line) == expected


def test_configuration_secrets_are_masked_wherever_they_appear(tmp_path: Path, write_config) -> None:
    bridge = ("bridges:\n  - name: slack\n    type: slack\n    channels: [\"#general\"]\n"
              "    url: https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX\n")
    config = load_config(write_config(integration("gh", verify="{type: github, secret: verify-s3cret}"),
                                      extra=bridge))
    secrets = config_secrets(config)
    assert {"test-admin-token", "gh-token", "verify-s3cret",
            "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX"} <= set(secrets)
    redactor = Redactor(secrets)
    text = ("token gh-token, admin test-admin-token; secret=verify-s3cret "
            "POST https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX; path /services/T000/B000/XXXXsecretXXXX")
    clean = redactor.redact(text)
    for secret in ("gh-token", "test-admin-token", "verify-s3cret", "XXXXsecretXXXX"):
        assert secret not in clean, clean
    assert "hooks.slack.com" not in clean  # the whole URL is masked
    # words that merely contain a secret are left alone (no masking inside "gh-tokens-list")
    assert redactor.redact("gh-tokenX") == "gh-tokenX"


def test_every_record_is_redacted_args_and_tracebacks_too(captured: io.StringIO) -> None:
    configure("info", "text", ["super-secret-1"], stream=captured)
    log = logging.getLogger("hookhub.test")
    log.info("calling %s", "https://x.test/a?token=abc123")
    try:
        raise RuntimeError("failed with super-secret-1 in it")
    except RuntimeError:
        log.exception("boom at /hooks/id/tok3n")
    logging.getLogger("httpx").info("HTTP Request: POST https://x.test/?api_key=1 is silenced")
    logging.getLogger("httpx").warning("HTTP trouble at https://x.test/?api_key=zzz9")
    out = captured.getvalue()
    assert "abc123" not in out and "super-secret-1" not in out and "tok3n" not in out and "zzz9" not in out
    assert "is silenced" not in out
    assert f"token={MASK}" in out and f"/hooks/id/{MASK}" in out and "RuntimeError" in out


def test_json_format_one_object_per_line(captured: io.StringIO) -> None:
    configure("info", "json", stream=captured)
    log = logging.getLogger("hookhub.access")
    log.info("GET / 200", extra={"method": "GET", "path": "/", "status": 200, "duration_ms": 1.5,
                                 "integration": None})
    try:
        raise ValueError("multi\nline")
    except ValueError:
        logging.getLogger("hookhub").exception("failed\ntwice")
    lines = captured.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["logger"] == "hookhub.access" and first["level"] == "info" and first["message"] == "GET / 200"
    assert (first["method"], first["path"], first["status"], first["duration_ms"]) == ("GET", "/", 200, 1.5)
    assert "integration" not in first and first["ts"].endswith("Z")
    assert second["message"] == "failed\ntwice" and "ValueError: multi" in second["exc"]


def test_refresh_secrets_after_a_reload(captured: io.StringIO, write_config) -> None:
    configure("info", "text", ["old-secret-value"], stream=captured)
    config = load_config(write_config(integration("fresh", token="new-secret-value")))
    refresh_secrets(config)
    logging.getLogger("hookhub").warning("tokens old-secret-value new-secret-value")
    out = captured.getvalue()
    assert "new-secret-value" not in out and "old-secret-value" in out


def test_json_formatter_alone() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "hello %s", ("you",), None)
    assert json.loads(JsonFormatter().format(record))["message"] == "hello you"


class CountingStream(io.StringIO):
    """A text stream that counts its writes (each is a system call on a real one)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


async def test_info_lines_of_one_loop_turn_are_written_together_after_it(captured: io.StringIO) -> None:
    import asyncio

    stream = CountingStream()
    configure("info", "text", ["hidden-value"], stream=stream)
    log = logging.getLogger("hookhub.access")
    for n in range(3):
        log.info("POST /hooks/a/hidden-value %d", n)
    assert stream.getvalue() == "" and stream.writes == 0, "nothing is written during the turn"
    await asyncio.sleep(0)
    lines = stream.getvalue().splitlines()
    assert [line.rsplit(" ", 1)[1] for line in lines] == ["0", "1", "2"] and stream.writes == 1
    assert "hidden-value" not in stream.getvalue(), "the lines waiting were redacted like any other"


async def test_a_warning_is_written_at_once_after_the_lines_waiting(captured: io.StringIO) -> None:
    stream = CountingStream()
    configure("info", "text", stream=stream)
    log = logging.getLogger("hookhub")
    log.info("first")
    log.warning("second")
    assert [line.rsplit(" ", 1)[1] for line in stream.getvalue().splitlines()] == ["first", "second"]


async def test_lines_from_another_thread_are_written_at_once(captured: io.StringIO) -> None:
    import asyncio

    stream = CountingStream()
    configure("info", "text", stream=stream)
    await asyncio.to_thread(logging.getLogger("hookhub.store").info, "from a thread")
    assert stream.getvalue().endswith("from a thread\n")


async def test_flush_writes_the_lines_waiting(captured: io.StringIO) -> None:
    stream = CountingStream()
    handler = configure("info", "text", stream=stream)
    logging.getLogger("hookhub").info("pending")
    handler.flush()
    assert stream.getvalue().endswith("pending\n")


def test_text_lines_keep_the_standard_time_format_second_after_second() -> None:
    import logging

    from hookhub.logs import TEXT_FORMAT, TextFormatter

    ours, standard = TextFormatter(TEXT_FORMAT), logging.Formatter(TEXT_FORMAT)
    for created in (1764000000.25, 1764000000.75, 1764000001.0, 1764003600.5, 1764000000.5):
        record = logging.LogRecord("hookhub", logging.INFO, __file__, 1, "line %d", (1,), None)
        record.created, record.msecs = created, (created % 1) * 1000
        assert ours.format(record) == standard.format(record)
    record.created = 1764000000.0
    assert ours.formatTime(record, "%H") == standard.formatTime(record, "%H")  # a date format of one's own


def test_json_lines_keep_their_utc_millisecond_time() -> None:
    import logging
    import time

    for created in (1764000000.25, 1764000000.75, 1764000001.0):
        record = logging.LogRecord("hookhub", logging.INFO, __file__, 1, "line", None, None)
        record.created, record.msecs = created, int((created % 1) * 1000) + 0.0
        expected = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(record.msecs):03d}Z"
        assert json.loads(JsonFormatter().format(record))["ts"] == expected

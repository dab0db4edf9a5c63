"""The access log (hookhub/web/accesslog.py): one line per request, token masked."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from starlette.testclient import TestClient

from hookhub.web import accesslog
from hookhub.web.accesslog import AccessLog, masked_path
from tests.conftest import AUTH, integration


@pytest.mark.parametrize(("path", "expected"), [
    ("/hooks/github/t0ken", ("/hooks/github/••••", "github")),
    ("/hooks/github/rocket.cat/t0ken", ("/hooks/github/••••", "github")),
    ("/hooks/github/t0ken/", ("/hooks/github/••••", "github")),
    ("/hooks/github", ("/hooks/github", "github")),
    ("/api/v1/integrations", ("/api/v1/integrations", None)),
    ("/x\nFAKE LINE", ("/x\\nFAKE LINE", None)),
])
def test_masked_path(path: str, expected: tuple[str, str | None]) -> None:
    assert masked_path(path) == expected


def test_one_line_per_request(make_client: Callable[..., TestClient], caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(integration("plain"))
    with caplog.at_level(logging.INFO, logger="hookhub.access"):
        client.post("/hooks/plain/plain-token", json={"text": "hi"})
        client.post("/hooks/nobody/some-token", json={"text": "hi"})
        client.get("/api/v1/integrations", headers=AUTH)
        client.get("/api/v1/nothing")
    records = [r for r in caplog.records if r.name == "hookhub.access"]
    assert [(r.method, r.path, r.status, r.integration) for r in records] == [  # type: ignore[attr-defined]
        ("POST", "/hooks/plain/••••", 200, "plain"),
        ("POST", "/hooks/nobody/••••", 404, None),
        ("GET", "/api/v1/integrations", 200, None),
        ("GET", "/api/v1/nothing", 404, None),
    ]
    assert records[0].getMessage().startswith("POST /hooks/plain/•••• 200 ")
    assert records[0].getMessage().endswith("ms integration=plain")
    assert all("token" not in r.getMessage() for r in records)


def test_access_log_off(make_client: Callable[..., TestClient], caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(integration("plain"), extra="")
    client.app.access_log = None  # type: ignore[attr-defined]  # what server.access_log: false builds
    with caplog.at_level(logging.INFO, logger="hookhub.access"):
        assert client.post("/hooks/plain/plain-token", json={"text": "hi"}).status_code == 200
    assert not [r for r in caplog.records if r.name == "hookhub.access"]


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _lines(access: AccessLog, threads: int = 1) -> list[logging.LogRecord]:
    capture = _Capture()
    logger = logging.getLogger("hookhub.access")
    logger.addHandler(capture)
    old = logger.level
    logger.setLevel(logging.INFO)
    try:
        access.line("POST", "/hooks/plain/t0ken", 200, 0.0021)
        for i in range(threads - 1):
            worker = threading.Thread(target=access.line, args=("GET", "/healthz", 200, 0.001), name=f"other-{i}")
            worker.start()
            worker.join()
        access.line("POST", "/hooks/plain/t0ken", 201, 0.0031)
    finally:
        logger.removeHandler(capture)
        logger.setLevel(old)
    return capture.records


def test_a_line_is_the_record_makerecord_would_build() -> None:
    """Lines are made from a template per thread: every field is what ``makeRecord`` gives, times included."""
    access = AccessLog(SimpleNamespace(registry=SimpleNamespace(integrations={"plain": object()})))  # type: ignore[arg-type]
    before = time.time()
    records = _lines(access, threads=3)
    after = time.time()
    assert [r.getMessage() for r in records] == [
        "POST /hooks/plain/•••• 200 2.1ms integration=plain", "GET /healthz 200 1.0ms integration=-",
        "GET /healthz 200 1.0ms integration=-", "POST /hooks/plain/•••• 201 3.1ms integration=plain"]
    assert [r.threadName for r in records] == [threading.current_thread().name, "other-0", "other-1",
                                                threading.current_thread().name]
    assert records[1].thread != records[0].thread == records[3].thread
    expected = logging.getLogger("hookhub.access").makeRecord(
        "hookhub.access", logging.INFO, accesslog.__file__, 0, accesslog.LINE, records[3].args, None)
    times = ("created", "msecs", "relativeCreated")
    extra = {"method", "path", "status", "duration_ms", "integration", "masked", "message", "asctime"}  # + formatted
    got = {k: v for k, v in records[3].__dict__.items() if k not in times and k not in extra}
    assert got == {k: v for k, v in expected.__dict__.items() if k not in times}
    for record in records:
        assert before <= record.created <= after
        assert record.msecs == int((record.created - int(record.created)) * 1000)
        assert record.relativeCreated == pytest.approx((record.created - logging._startTime) * 1000)  # type: ignore[attr-defined]
        assert record.masked  # type: ignore[attr-defined]


def test_a_custom_record_factory_still_builds_every_line() -> None:
    made: list[str] = []
    default = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = default(*args, **kwargs)  # type: ignore[arg-type]
        record.request_tag = f"tag-{len(made)}"  # type: ignore[attr-defined]
        made.append(record.request_tag)  # type: ignore[attr-defined]
        return record

    access = AccessLog(SimpleNamespace(registry=SimpleNamespace(integrations={})))  # type: ignore[arg-type]
    logging.setLogRecordFactory(factory)
    try:
        records = _lines(access)
    finally:
        logging.setLogRecordFactory(default)
    assert [r.request_tag for r in records] == ["tag-0", "tag-1"]  # type: ignore[attr-defined]


def test_a_forked_child_makes_its_own_template() -> None:
    """``serve --workers`` forks: a child's lines must carry its own pid, not the parent's."""
    import os

    access = AccessLog(SimpleNamespace(registry=SimpleNamespace(integrations={})))  # type: ignore[arg-type]
    parent = _lines(access)[-1]
    assert parent.process == os.getpid() and access._template is not None
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code only
        ok = access._template is None and _lines(access)[-1].process == os.getpid() != parent.process
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0

"""The live tail's event stream (the browser test watches it update a page)."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from hookhub.ui import live

from .conftest import login


def events(text: str) -> list[tuple[str, dict[str, object]]]:
    out = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if fields.get("event") == "history":
            out.append((fields["id"], json.loads(fields["data"])))
    return out


def test_the_stream_sends_new_entries_and_resumes_after_the_last_event_seen(ui: TestClient,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "STREAM_S", 0.8)
    monkeypatch.setattr(live, "POLL_S", 0.1)
    login(ui)
    assert ui.post("/hooks/s/s-token", json={"n": 1}).status_code == 200
    assert ui.post("/hooks/s/s-token", json={"boom": 1}).status_code == 400
    answer = ui.get("/ui/integrations/s/live?since=0")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    assert answer.text.startswith("retry: 1000\n\n")
    got = events(answer.text)
    assert [(e["status"], e["messages"]) for _, e in got] == [(200, 1), (400, 0)]
    assert str(got[0][1]["href"]).startswith("/ui/integrations/s/history/")
    resumed = events(ui.get("/ui/integrations/s/live", headers={"Last-Event-ID": got[0][0]}).text)
    assert [e["status"] for _, e in resumed] == [400]
    # without a starting point: only what comes after now
    assert events(ui.get("/ui/integrations/s/live").text) == []


def test_the_stream_needs_a_session(ui: TestClient) -> None:
    assert ui.get("/ui/integrations/s/live", headers={"Accept": "text/event-stream"}).status_code == 401

"""A real ``hookhub serve`` process killed (SIGKILL) in the middle of a backoff delivers after a restart."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx

from tests.test_e2e import Server

from .receiver import Receiver, wait_until

CONFIG = """\
storage: {{url: sqlite:///data/hookhub.db}}
sandbox: {{mode: inprocess}}
admin: {{token: adm}}
users: [{{username: u}}]
channels: [{{name: general}}]
integrations:
  - id: out
    type: outgoing
    urls: ["{url}"]
    retry_delay: powers-of-two
    http: {{allow_private: true}}
bridges:
  - {{name: s, type: slack, url: "{bridge}", channels: ["#general"], allow_private: true}}
"""


def test_sigkill_during_backoff_loses_nothing(tmp_path: Path, receiver: Receiver) -> None:
    receiver.answer(500, "down")  # the first two calls (the outgoing one and the bridge's,
    receiver.answer(503, "down")  # in either order) fail
    config = tmp_path / "hookhub.yaml"
    config.write_text(CONFIG.format(url=receiver.url("/out"), bridge=receiver.url("/bridge")), encoding="utf-8")
    server = Server(config)
    server.start()
    try:
        r = httpx.post(f"{server.url}/api/v1/chat.postMessage", json={"channel": "#general", "text": "survive"},
                       headers={"Authorization": "Bearer adm"})
        assert r.status_code == 200, r.text
        message_id = r.json()["message"]["_id"]
        receiver.wait_for(2)
        # kill once both failures are recorded (a kill during an attempt is covered by the lease instead)
        wait_until(lambda: [row["tries"] for row in httpx.get(
            f"{server.url}/api/v1/deliveries", params={"message_id": message_id},
            headers={"Authorization": "Bearer adm"}).json()["deliveries"]] == [1, 1], what="two backoffs")
        assert server.proc is not None
        server.proc.send_signal(signal.SIGKILL)
        server.output += server.proc.communicate()[0]
        server.proc = None
    finally:
        server.stop()
    again = Server(config)
    again.start()
    try:
        got = receiver.wait_for(4, timeout=20)
        assert sorted(r.path for r in got[2:]) == ["/bridge", "/out"]
        assert all(r.json.get("text") == "survive" for r in got)
        assert min(r.at for r in got[2:]) - max(r.at for r in got[:2]) >= 0.9  # backoffs honoured (1 s, 2 s)
        rows = httpx.get(f"{again.url}/api/v1/deliveries", params={"message_id": message_id},
                         headers={"Authorization": "Bearer adm"}).json()["deliveries"]
        deadline = time.monotonic() + 10
        while any(row["status"] != "delivered" for row in rows) and time.monotonic() < deadline:
            time.sleep(0.1)
            rows = httpx.get(f"{again.url}/api/v1/deliveries", params={"message_id": message_id},
                             headers={"Authorization": "Bearer adm"}).json()["deliveries"]
        assert sorted((row["kind"], row["status"], row["tries"]) for row in rows) == [
            ("bridge", "delivered", 1), ("outgoing", "delivered", 1)]
        time.sleep(0.5)
        assert len(receiver.requests) == 4  # nothing sent twice
    finally:
        again.stop()

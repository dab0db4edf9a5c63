"""A busy integration (its sandbox queue full) defers calls instead of failing them."""

from __future__ import annotations

import time
from pathlib import Path

from starlette.testclient import TestClient

from hookhub.web.app import make_app
from hookhub.config import load_config
from hookhub.hub import Hub
from tests.conftest import AUTH

from .conftest import deliveries
from .receiver import Receiver, wait_until

CONFIG = """\
storage: {{url: sqlite:///data/hookhub.db}}
sandbox: {{mode: inprocess, queue: 0, timeout_ms: 3000}}
admin: {{token: test-admin-token}}
users: [{{username: u}}]
channels: [{{name: general}}]
integrations:
  - id: out
    type: outgoing
    urls: ["{url}"]
    http: {{allow_private: true}}
    script: |
      import time
      class Script:
          def prepare_outgoing_request(self, request):
              if request.data.text == "slow":
                  end = time.monotonic() + 2
                  while time.monotonic() < end:
                      pass
              return request
"""


def test_busy_script_defers_then_sends(tmp_path: Path, receiver: Receiver) -> None:
    path = tmp_path / "hookhub.yaml"
    path.write_text(CONFIG.format(url=receiver.url()), encoding="utf-8")
    with TestClient(make_app(Hub(load_config(path)))) as client:
        # The "slow" message's call keeps the script busy for 2 s (the sandbox queue is 0) ...
        client.post("/api/v1/chat.postMessage", json={"channel": "#general", "text": "slow"}, headers=AUTH)
        time.sleep(0.3)
        # ... so this message's call finds it saturated: deferred (not failed), sent once the script is free.
        # (A dry-run replay no longer occupies the live script: it runs in a fresh instance of its own.)
        posted = time.monotonic()
        message = client.post("/api/v1/chat.postMessage", json={"channel": "#general", "text": "fast"},
                              headers=AUTH).json()["message"]
        got = receiver.wait_for(2, timeout=20)
        assert [g.json["text"] for g in got] == ["slow", "fast"] and got[1].at - posted >= 0.9
        wait_until(lambda: deliveries(client, message_id=message["_id"])[0]["status"] == "delivered",
                   what="delivered")
        history = client.get("/api/v1/integrations/out/history", headers=AUTH).json()["history"]
        assert [e["step"] for e in history] == ["sent", "sent"]  # no failure, no entry for the wait

"""End to end: a real ``hookhub serve`` process on a free port, over real HTTP."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
ADMIN = {"Authorization": "Bearer dev-admin-token"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, config: Path, hookhub: Path | None = None, cwd: Path | None = None) -> None:
        self.config = config
        self.hookhub = hookhub or Path(sys.executable).with_name("hookhub")
        self.cwd = cwd
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.output = b""

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN")}
        self.proc = subprocess.Popen([str(self.hookhub), "serve", "--config", str(self.config), "--dev",
                                      "--port", str(self.port)], env=env, cwd=self.cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"hookhub serve did not start:\n{self.output.decode(errors='replace')}")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                out, _ = self.proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                out, _ = self.proc.communicate()
            self.output += out
            self.proc = None


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    config = tmp_path / "hookhub.yaml"
    text = (ROOT / "config" / "hookhub.yaml").read_text(encoding="utf-8")
    config.write_text(text.replace("script_file: ../plugins/", f"script_file: {ROOT}/plugins/"), encoding="utf-8")
    srv = Server(config)
    srv.start()
    yield srv
    srv.stop()


def test_seed_curls_store_messages_that_survive_a_restart(server: Server) -> None:
    hook = f"{server.url}/hooks/example/example-dev-token"
    # The two examples of Rocket.Chat's incoming webhook documentation.
    r = httpx.post(hook, json={"icon_emoji": ":smirk:", "text": "Example message"})
    assert (r.status_code, r.json()) == (200, {"success": True})
    assert r.headers["cache-control"] == "no-store"
    r = httpx.post(hook, json={"text": "Example message", "channel": "#notifications"})
    assert (r.status_code, r.json()) == (200, {"success": True})

    general = httpx.get(f"{server.url}/api/v1/channels/general/messages", headers=ADMIN).json()["messages"]
    assert [(m["text"], m["emoji"], m["alias"]) for m in general] == [("Example message", ":smirk:", "Example Bot")]
    notes = httpx.get(f"{server.url}/api/v1/channels/notifications/messages", headers=ADMIN).json()["messages"]
    assert [m["text"] for m in notes] == ["Example message"]

    server.stop()
    assert b"example-dev-token" in server.output  # the start-up banner printed the hook URL
    assert b"dev-admin-token" in server.output
    assert b"Traceback" not in server.output
    server.start()
    again = httpx.get(f"{server.url}/api/v1/channels/general/messages", headers=ADMIN).json()["messages"]
    assert again == general
    logs = httpx.get(f"{server.url}/api/v1/integrations/example/logs", headers=ADMIN).json()["logs"]
    assert [entry["message"] for entry in logs] == ["received Example message"] * 2


def test_bad_input_over_real_http_gets_json_errors(server: Server) -> None:
    hook = f"{server.url}/hooks/example/example-dev-token"
    r = httpx.post(hook, content=b"x" * (1024 * 1024 + 1), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["success"] is False
    r = httpx.post(f"{server.url}/hooks/example/nope", json={"text": "x"})
    assert r.status_code == 404
    r = httpx.post(f"{server.url}/hooks/plain/plain-dev-token", content=b"\xff{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"].startswith("invalid JSON body")
    assert httpx.get(f"{server.url}/healthz").json() == {"success": True}


def readme_shell_blocks() -> list[str]:
    """The ```sh blocks of the README that talk to the example server."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    return [b for b in blocks if "curl" in b and "127.0.0.1:3000" in b and "<history id>" not in b]


def test_readme_curl_examples_run_as_written(server: Server) -> None:
    blocks = readme_shell_blocks()
    assert len(blocks) >= 3
    outputs = []
    for block in blocks:
        script = block.replace("127.0.0.1:3000", f"127.0.0.1:{server.port}")
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)
    joined = "\n".join(outputs)
    assert joined.count('{"success":true}') >= 3, joined
    assert '"text":"Example message"' in joined
    # the signed GitHub push was posted to #dev
    dev = httpx.get(f"{server.url}/api/v1/channels/dev/messages", headers=ADMIN).json()["messages"]
    assert len(dev) == 1 and "pushed 1 commit" in dev[0]["text"]

"""``hookhub serve`` checks its port before printing anything (hookhub/netcheck.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from hookhub.netcheck import port_problem

ROOT = Path(__file__).resolve().parent.parent


def test_port_problem() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        problem = port_problem("127.0.0.1", port)
        assert problem is not None and problem.startswith(f"cannot listen on 127.0.0.1:{port}: Address already in use")
        assert "--port" in problem
    assert port_problem("127.0.0.1", port) is None
    assert port_problem("127.0.0.1", 0) is None
    assert "unknown host" in (port_problem("no-such-host.invalid", 3000) or "")


def test_serve_on_a_port_in_use_says_one_line_and_no_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.endswith("_TOKEN")}
        done = subprocess.run([str(Path(sys.executable).with_name("hookhub")), "serve", "--config",
                               str(ROOT / "config" / "hookhub.yaml"), "--dev", "--port", str(port)],
                              env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [f"error: cannot listen on 127.0.0.1:{port}: Address already in use; another process "
                     "(another hookhub?) listens there; stop it or choose another port with --port or server.port"]
    assert done.stdout == ""

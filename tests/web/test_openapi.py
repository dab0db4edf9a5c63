"""GET /api/v1/openapi.json: it describes every admin route, and schemathesis finds no 5xx and no
answer that does not match it, against a live ``hookhub serve``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.conftest import AUTH, integration
from tests.test_ops_e2e import ADMIN_TOKEN, CONFIG, HOOK_TOKEN, Serve, environment


def api_routes(client: TestClient) -> set[tuple[str, str]]:
    found = set()
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.path.startswith("/api/v1/") and route.path != "/api/v1/openapi.json":
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((method.lower(), route.path))
    return found


def test_describes_every_api_route(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("plain"))
    assert client.get("/api/v1/openapi.json").status_code == 401
    doc = client.get("/api/v1/openapi.json", headers=AUTH).json()
    assert doc["openapi"].startswith("3.1")
    described = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert described == api_routes(client)
    for ops in doc["paths"].values():
        for op in ops.values():
            assert op["security"] == [{"bearer": []}]
            assert {"200", "401"} <= set(op["responses"])


@pytest.mark.slow
def test_schemathesis_against_a_live_server(tmp_path: Path) -> None:
    outgoing = ("  - id: relay\n    type: outgoing\n    channel: \"#general\"\n"
                "    urls: [\"http://127.0.0.1:9/unreachable\"]\n    retry_count: 0\n")
    script = ("  - id: scripted\n    type: incoming\n    token: {$env: OPS_HOOK_TOKEN}\n    channel: \"#general\"\n"
              "    username: rocket.cat\n    script: |\n      class Script:\n"
              "          def process_incoming_request(self, request):\n"
              "              console.log('got', request.content)\n"
              "              return {'content': {'text': str(request.content.get('text', 'x'))}}\n")
    config = tmp_path / "hookhub.yaml"
    config.write_text(CONFIG.format(log_format="text", extra=outgoing + script), encoding="utf-8")
    server = Serve(config, environment())
    try:
        for hook in ("plain", "scripted"):  # history, logs and messages to list and replay
            for n in range(2):
                httpx.post(f"{server.url}/hooks/{hook}/{HOOK_TOKEN}", json={"text": f"m{n}"}, timeout=10)
        auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        schema = tmp_path / "openapi.json"
        schema.write_text(json.dumps(httpx.get(f"{server.url}/api/v1/openapi.json", headers=auth).json()),
                          encoding="utf-8")
        run = subprocess.run(
            [str(Path(sys.executable).with_name("schemathesis")), "run", str(schema), "--url", server.url,
             "-H", f"Authorization: Bearer {ADMIN_TOKEN}",
             "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                         "response_schema_conformance",
             "--phases", "examples,coverage,fuzzing", "--max-examples", "20", "--max-time", "45",
             "--seed", "15", "--request-timeout", "10", "--workers", "1", "--no-color"],
            capture_output=True, text=True, timeout=240, cwd=tmp_path)
        report = run.stdout + run.stderr
        assert run.returncode == 0, report
        assert "Tested: 10" in report, report  # every operation was exercised
        assert re.search(r"(\d+) generated, \1 passed", report), report
        assert ADMIN_TOKEN not in server.output()
    finally:
        server.stop()

"""The load generators count every answer by status and keep the first error (real server, real sockets)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.loadgen import LoadGenerator  # noqa: E402
from bench.servers import Server, free_port  # noqa: E402

BODY = ROOT / "bench" / "payloads" / "alertmanager__firing__multiple_alerts.json"
KINDS = [pytest.param("wrk", marks=pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")),
         "python"]


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = free_port()
    server = Server("bare", [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(port),
                             "--log-level", "warning", "--no-access-log"],
                    port, tmp_path_factory.mktemp("bare") / "bare.log", cwd=ROOT)
    server.start(timeout=60)
    yield server
    server.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_counts_answers_by_status(bare: Server, kind: str) -> None:
    gen = LoadGenerator(kind, kind, pin=[])
    result = gen.run(f"http://127.0.0.1:{bare.port}/hooks/x/y", BODY, {"X-Test": "1"}, 2, 1)
    assert result.requests > 0 and result.errors == 0
    assert result.statuses == {"200": result.requests}
    assert result.first_error == ""


@pytest.mark.parametrize("kind", KINDS)
def test_reports_non_2xx_answers(bare: Server, kind: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("this is not JSON")  # the bare app fails to parse it: 500
    gen = LoadGenerator(kind, kind, pin=[])
    result = gen.run(f"http://127.0.0.1:{bare.port}/hooks/x/y", bad, {}, 1, 1)
    assert result.requests > 0
    assert set(result.statuses) == {"500"}
    assert result.errors >= result.statuses["500"]
    assert result.first_error.startswith("500 ")

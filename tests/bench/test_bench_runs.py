"""The benchmark runs (``bench/run.py --quick``) and produces numbers.

No timed assertion here, ever: these tests only check that every measurement
happened, returned answers without errors, and that the report was written.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "bench" / "run.py"

sys.path.insert(0, str(ROOT))
from bench import deployment  # noqa: E402
from bench.payloads import build_github_push  # noqa: E402
from bench.scenarios import SCALING_INTEGRATION, all_scenarios  # noqa: E402


def run_bench(tmp_path: Path, *options: str) -> tuple[dict[str, Any], str]:
    results, data = tmp_path / "RESULTS.md", tmp_path / "results.json"
    done = subprocess.run([sys.executable, str(RUN), "--quick", "--results", str(results), "--json", str(data),
                           *options], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"bench/run.py exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return json.loads(data.read_text()), results.read_text()


def assert_measured(load: dict[str, Any]) -> None:
    assert load["requests"] > 0
    assert load["errors"] == 0
    assert load["rps"] > 0
    assert 0 < load["p50_ms"] <= load["p99_ms"] <= load["max_ms"]
    assert load["cpu_us_per_req"] > 0 and load["cpu_pct"] > 0


def assert_scenario_measured(scenario: dict[str, Any], concurrency: list[int]) -> None:
    assert scenario["status"] == "ok", scenario["note"]
    assert [run["concurrency"] for run in scenario["runs"]] == concurrency
    for run in scenario["runs"]:
        assert_measured(run["bare"])
        assert_measured(run["hookhub"])
        assert run["ratio_rps"] == pytest.approx(run["hookhub"]["rps"] / run["bare"]["rps"])
        assert run["ratio_cpu"] == pytest.approx(run["bare"]["cpu_us_per_req"] / run["hookhub"]["cpu_us_per_req"])


def test_calibration_run_bare_against_bare(tmp_path: Path) -> None:
    data, text = run_bench(tmp_path, "--against-bare", "--scenarios", "python,github", "--repeat", "2")
    assert data["meta"]["mode"] == "against-bare"
    assert [s["key"] for s in data["scenarios"]] == ["python", "github"]
    for scenario in data["scenarios"]:
        assert_scenario_measured(scenario, [1])
        (run,) = scenario["runs"]
        assert run["rounds"] == 2
        low, high = run["ratio_range"]
        assert low <= run["ratio_rps"] <= high
    assert "Calibration run" in text
    assert "| 1 |" in text


def test_python_load_generator_fallback(tmp_path: Path) -> None:
    data, text = run_bench(tmp_path, "--against-bare", "--loadgen", "python", "--scenarios", "noscript")
    assert "pyload" in data["meta"]["loadgen"]
    assert_scenario_measured(data["scenarios"][0], [1])
    assert "bench/pyload.py" in text


def test_quick_run_against_hookhub_with_the_in_process_sandbox(tmp_path: Path) -> None:
    data, text = run_bench(tmp_path, "--sandbox-mode", "inprocess", "--scenarios", "python,noscript")
    assert [s["key"] for s in data["scenarios"]] == ["python", "noscript"]
    for scenario in data["scenarios"]:
        assert_scenario_measured(scenario, [1])
        assert scenario["stored"].startswith("yes"), scenario["stored"]
    assert "mode: inprocess" in text


def test_quick_run_against_hookhub(tmp_path: Path) -> None:
    data, text = run_bench(tmp_path, "--scenarios", "python,js,github,noscript,scaling")
    scenarios = {s["key"]: s for s in data["scenarios"]}
    assert set(scenarios) == {"python", "js", "github", "noscript"}
    for scenario in scenarios.values():
        assert_scenario_measured(scenario, [1])
        assert scenario["startup_s"] > 0
        assert scenario["stored"].startswith("yes"), scenario["stored"]
    scaling = data["scaling"]
    assert scaling["status"] == "ok", scaling["note"]
    (row,) = scaling["rows"]
    assert row["integrations"] == 10
    assert row["startup_s"] > 0 and row["rss_mb"] > 0
    assert row["processes"] > 1  # the server and its sandbox workers (DESIGN: worker pool)
    assert_measured(row)
    assert "ratio req/s" in text and "## Scaling" in text


def test_generated_config_follows_the_contract(tmp_path: Path) -> None:
    scenario = all_scenarios()["python"]
    path, hooks = deployment.write(tmp_path, "python", {"a": scenario.integration, "b": SCALING_INTEGRATION}, 4321)
    config = yaml.safe_load(path.read_text())
    assert config["server"]["port"] == 4321
    assert config["storage"]["url"] == f"sqlite:///{tmp_path.resolve() / 'python.db'}"
    assert config["admin"]["token"] == deployment.ADMIN_TOKEN
    assert [u["username"] for u in config["users"]] == ["rocket.cat"]
    assert [c["name"] for c in config["channels"]] == ["general"]
    first, second = config["integrations"]
    assert first["id"] == "a" and first["type"] == "incoming" and first["channel"] == "#general"
    assert first["username"] == "rocket.cat" and first["token"] == hooks["a"].token
    assert first["script"].startswith("# Alertmanager") and "class Script:" in first["script"]
    assert "script: |" in path.read_text()
    assert (path.parent / second["script_file"]).is_file()
    assert hooks["b"].path == f"/hooks/b/{hooks['b'].token}"


def test_the_commit_delay_of_generated_configs_can_be_set(tmp_path: Path) -> None:
    """``--commit-delay-ms`` (bench/run.py, bench/hotpath.py) reaches the YAML and the store it configures."""
    from hookhub.config import load_config

    scenario = all_scenarios()["noscript"]
    path, _ = deployment.write(tmp_path, "delay", {"a": scenario.integration}, 4321, storage={"commit_delay_ms": 0})
    assert yaml.safe_load(path.read_text())["storage"]["commit_delay_ms"] == 0
    assert load_config(path).storage.commit_delay_ms == 0
    default, _ = deployment.write(tmp_path, "default", {"a": scenario.integration}, 4321)
    assert load_config(default).storage.commit_delay_ms == 2  # hookhub's default
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "hotpath.py"), "--scenarios", "noscript",
                           "--requests", "60", "--rounds", "1", "--concurrency", "4", "--commit-delay-ms", "0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"bench/hotpath.py exited {done.returncode}:\n{done.stdout}\n{done.stderr[-4000:]}"
    assert any(line.startswith("| noscript") for line in done.stdout.splitlines()), done.stdout


def test_github_payload_is_70_kb_and_reproducible() -> None:
    payload, _ = build_github_push.smallest_over_target()
    stored = (ROOT / "bench" / "payloads" / "github__push__70k.json").read_text()
    assert json.loads(stored) == payload
    assert 70 * 1024 <= len(stored) < 75 * 1024
    assert len(payload["commits"]) == 20


@pytest.mark.slow
def test_processes_rows_run_on_sqlite_and_postgresql(tmp_path: Path) -> None:
    """1 process vs --workers 2, on SQLite and on a PostgreSQL server the bench starts (tests/pg.py)."""
    data, text = run_bench(tmp_path, "--scenarios", "processes")
    rows = data["processes"]["rows"]
    assert [(r["backend"], r["workers"]) for r in rows] == [("sqlite", 1), ("sqlite", 2),
                                                            ("postgresql", 1), ("postgresql", 2)], rows
    for row in rows:
        assert_measured(row)
    assert all(r["db_cpu_us_per_req"] > 0 for r in rows[2:])
    assert "## Processes: 1 server process vs `--workers 2`" in text


def test_the_in_process_hot_path_bench_answers_every_webhook(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "hotpath.py"), "--scenarios", "noscript,python",
                           "--requests", "60", "--rounds", "1", "--concurrency", "4"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"bench/hotpath.py exited {done.returncode}:\n{done.stdout}\n{done.stderr[-4000:]}"
    rows = {line.split("|")[1].strip(): line for line in done.stdout.splitlines() if line.startswith("| ")}
    assert {"noscript", "python"} <= set(rows)
    for key in ("noscript", "python"):
        cells = [c.strip() for c in rows[key].split("|")[1:-1]]
        assert float(cells[1]) > 0, f"{key}: no server CPU measured: {rows[key]}"

    assert float(cells[-1]) > 0, f"writes per commit: {rows['python']}"


@pytest.mark.parametrize("cut", ["answer", "pipeline", "store"])
def test_the_hot_path_bench_cuts_stages_for_the_breakdown(cut: str) -> None:
    """Each cut still answers every webhook 200 (hotpath.py exits non-zero otherwise) and measures some CPU."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "hotpath.py"), "--scenarios", "noscript",
                           "--requests", "60", "--rounds", "1", "--concurrency", "4", "--cut", cut],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"bench/hotpath.py exited {done.returncode}:\n{done.stdout}\n{done.stderr[-4000:]}"
    row = next(line for line in done.stdout.splitlines() if line.startswith("| noscript"))
    cells = [c.strip() for c in row.split("|")[1:-1]]
    assert float(cells[1]) > 0, row

def test_the_store_writes_bench_shows_what_ordered_ids_save(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "store_writes.py"), "--prefill", "3000",
                           "--writes", "400", "--batch", "16"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"bench/store_writes.py exited {done.returncode}:\n{done.stderr[-4000:]}"
    rows = {}
    for line in done.stdout.splitlines():
        cells = [c.strip() for c in line.split("|")[1:-1]]
        if cells and cells[0] in ("ordered", "random"):
            rows[cells[0]] = [float(c.replace(",", "")) for c in cells[1:]]
    assert set(rows) == {"ordered", "random"}, done.stdout
    # WAL bytes are pages rewritten: deterministic, and fewer with time-ordered ids at the end of the index
    assert 0 < rows["ordered"][2] < rows["random"][2], done.stdout


def test_the_instruction_count_is_per_unit_of_work() -> None:
    import os
    import shutil

    from bench import icount

    if shutil.which("valgrind") is None:
        if os.environ.get("CI"):
            pytest.fail("valgrind is not installed (.ci/run installs it)")
        pytest.skip("valgrind is not installed (apt-get install valgrind)")
    loop = [sys.executable, "-S", "-c", "x = 0\nfor i in range({n}): x += i"]
    per_iteration = icount.per_unit(loop, (100_000, 300_000))
    assert 10 < per_iteration < 2_000  # a few bytecodes of CPython: start-up cancelled out
    assert icount.per_unit(loop, (100_000, 300_000)) == pytest.approx(per_iteration, rel=0.05)  # repeatable
    # per thread: a second thread doing the loop's work twice over is counted apart from the main one
    threaded = [sys.executable, "-S", "-c", "import threading\n"
                "def work(n):\n    x = 0\n    for i in range(n): x += i\n"
                "t = threading.Thread(target=work, args=(2 * {n},)); t.start(); t.join(); work({n})"]
    split = icount.per_unit_threads(threaded, (100_000, 300_000))
    assert set(split) >= {"p1-1", "p1-2"}, split
    assert split["p1-2"] == pytest.approx(2 * split["p1-1"], rel=0.1)


def test_the_sqlite_layouts_bench_measures_both_layouts() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "sqlite_layouts.py"), "--prefill", "2000",
                           "--writes", "320"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"bench/sqlite_layouts.py exited {done.returncode}:\n{done.stderr[-4000:]}"
    rows = [line for line in done.stdout.splitlines() if line.startswith("| rowid") or line.startswith("| WITHOUT")]
    assert len(rows) == 2, done.stdout
    for row in rows:
        cells = [c.strip().replace(",", "") for c in row.split("|")[1:-1]]
        assert all(float(c) > 0 for c in cells[1:]), row


def test_the_stages_bench_times_every_piece() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "stages.py"), "--calls", "50", "--rounds", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"bench/stages.py exited {done.returncode}:\n{done.stderr[-4000:]}"
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ") and not line.startswith("| piece")]
    assert len(rows) >= 12, done.stdout
    for row in rows:
        assert float(row.split("|")[2]) > 0, row


def test_the_worker_call_bench_runs_each_engines_real_call() -> None:
    """The recorded call of each sandboxed scenario runs in process (worker_call.py exits non-zero
    when a call fails) and costs some CPU."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "worker_call.py"), "--scenarios", "python,js,github",
                           "--calls", "20", "--rounds", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"bench/worker_call.py exited {done.returncode}:\n{done.stdout}\n{done.stderr[-4000:]}"
    rows = {line.split("|")[1].strip(): line for line in done.stdout.splitlines()
            if line.startswith("| ") and not line.startswith("| scenario")}
    assert set(rows) == {"python", "js", "github"}, done.stdout
    for row in rows.values():
        assert float(row.split("|")[2]) > 0, row
    assert int(rows["github"].split("|")[4].replace(",", "")) > 70_000  # the 70 KB push, sent once


def test_the_gc_pause_bench_shows_the_frozen_heap_is_not_walked() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "gc_pause.py"), "--integrations", "300"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"bench/gc_pause.py exited {done.returncode}:\n{done.stderr[-4000:]}"
    row = [line for line in done.stdout.splitlines() if line.startswith("| 300")][0]
    cells = [float(c.strip().replace(",", "")) for c in row.split("|")[1:-1]]
    tracked, pause, frozen, after = cells[1], cells[2], cells[4], cells[5]
    assert frozen > 0.5 * tracked and after < pause, row

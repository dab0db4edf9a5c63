"""RESULTS.md rendering, the issue's targets and the profile summary, from made-up results."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench import profile, report  # noqa: E402


def load(rps: float, p99: float, cpu_us: float, errors: int = 0, **extra: Any) -> dict[str, Any]:
    return {"rps": rps, "p50_ms": p99 / 3, "p90_ms": p99 / 2, "p99_ms": p99, "max_ms": p99 * 2,
            "requests": int(rps * 5), "errors": errors, "statuses": {"200": int(rps * 5) - errors},
            "first_error": "", "cpu_pct": 99.0, "cpu_us_per_req": cpu_us, "workers_cpu_us_per_req": None, **extra}


def run(c: int, bare: dict[str, Any], hub: dict[str, Any]) -> dict[str, Any]:
    return {"concurrency": c, "bare": bare, "hookhub": hub, "ratio_rps": hub["rps"] / bare["rps"],
            "ratio_p99": hub["p99_ms"] / bare["p99_ms"], "ratio_cpu": bare["cpu_us_per_req"] / hub["cpu_us_per_req"],
            "ratio_range": [hub["rps"] / bare["rps"] - 0.05, hub["rps"] / bare["rps"] + 0.05], "rounds": 3}


def results() -> dict[str, Any]:
    meta = {"date": "2026-11-26 06:00 UTC", "machine": {"model": "AMD EPYC", "cores": 2}, "load_before": "0.1",
            "load_after": "0.2", "command": ".venv/bin/python bench/run.py", "commit": "git abc", "loadgen": "wrk",
            "python": "3.11", "uvicorn": "0", "starlette": "0", "duration_s": 5, "warmup_s": 1, "repeat": 3,
            "concurrency": [1, 16], "server_cpu": 0, "client_cpu": 1, "mode": "hookhub", "notes": ["a note"]}
    bad = load(400, 12.0, 1600, errors=7, statuses={"200": 1993, "503": 7},
               first_error='503 {"success":false,"error":"Service Unavailable"}')
    python = {"key": "python", "title": "Python", "status": "ok", "note": "", "body_bytes": 1589,
              "target_ratio": 0.5, "startup_s": 1.2, "stored": "yes",
              "runs": [run(1, load(3000, 1.0, 100), load(300, 4.0, 1500)),
                       run(16, load(1000, 5.0, 80), bad)]}
    js = {"key": "js", "title": "JS", "status": "skipped", "note": "the JavaScript engine is unavailable",
          "body_bytes": 1589, "target_ratio": 0.4, "runs": []}
    rows = [{"integrations": n, "yaml_kb": n / 5, "startup_s": s, "rss_idle_mb": 100, "rss_mb": 120, "pss_mb": 90,
             "processes": 4, **load(500, 20.0, cpu), "vs_smallest": cpu / 1000}
            for n, s, cpu in ((10, 1.0, 1000), (10000, 4.0, 1050))]
    scaling = {"status": "ok", "note": "scaling note", "rows": rows,
               "profile": {"status": "ok", "note": "start-up", "lines": ["| 50.0% | `server: load` |"]}}
    return {"meta": meta, "scenarios": [python, js], "scaling": scaling,
            "sandbox_overhead": {"status": "ok", "output": "| pool | 190 |\n", "note": ""}}


def test_targets_are_judged_at_c16() -> None:
    found = {t["what"]: t for t in report.targets(results())}
    assert found["`python` req/s at c16 ≥ 0.5× bare"] == {
        "what": "`python` req/s at c16 ≥ 0.5× bare", "measured": "0.40×", "met": False}
    assert found["`python` p99 at c16 ≤ 3× bare"]["met"] is True  # 12 ms vs 5 ms
    assert found["start-up with 10,000 integrations ≤ 5 s"]["met"] is True
    assert found["per-request cost with 10,000 integrations within 10% of 10"]["met"] is True
    assert not any("js" in what for what in found)  # skipped: no target judged


def test_render_shows_tables_errors_skips_and_profiles() -> None:
    text = report.render(results())
    assert "- Machine: AMD EPYC, 2 cores" in text
    assert "- Command: `.venv/bin/python bench/run.py`" in text
    assert "3 rounds of bare+hookhub" in text
    assert "| 16 | 1,000 | 400 | **0.40×** (0.35–0.45) |" in text
    assert "- c16 hookhub: non-2xx answers: 7× 503; first: `503 {\"success\":false" in text
    assert "**SKIPPED**: the JavaScript engine is unavailable" in text
    assert "| 10,000 | 2,000 KB | 4.00 |" in text
    assert "| 50.0% | `server: load` |" in text
    assert "| pool | 190 |" in text
    assert "- a note" in text


def test_profile_summary_groups_by_process_and_function() -> None:
    raw = "\n".join([
        'process 10:"hookhub serve";main (cli.py:3);handle (app.py:10);dumps (json/__init__.py:231) 6',
        'process 10:"hookhub serve";main (cli.py:3);handle (app.py:12) 2',
        'process 11:"hookhub worker";serve (sandbox/worker.py:40);call (engines/python.py:9) 2',
        "not a stack line",
    ])
    summary = profile.summarise(raw, server_pid=10)
    assert summary.samples == 10
    assert summary.pids == {10, 11}
    assert summary.by_process == {"server": 8, "sandbox workers": 2}
    assert summary.self_time["server: dumps (json/__init__.py)"] == 6
    assert summary.inclusive["server: handle (app.py)"] == 8  # two lines of one function
    lines = profile.render(summary)
    assert lines[0] == "Samples by process: server 80%, sandbox workers 20%"
    assert "| 60.0% | `server: dumps (json/__init__.py)` |" in lines

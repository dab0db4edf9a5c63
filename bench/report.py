"""RESULTS.md: the machine, the command, and the tables hookhub vs bare Starlette."""

from __future__ import annotations

import os
import subprocess
from typing import Any

from bench import processes

#: the connection count at which the issue sets its targets and scaling is measured
TARGET_CONCURRENCY = 16


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
                break
    except (OSError, subprocess.TimeoutExpired):
        pass
    return {"model": model, "cores": os.cpu_count() or 0}


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, met or not, from a run's results."""
    found: list[dict[str, Any]] = []
    scenarios = {s["key"]: s for s in results["scenarios"] if s["status"] == "ok"}
    for key, scenario in scenarios.items():
        minimum = scenario["target_ratio"]
        run = next((r for r in scenario["runs"] if r["concurrency"] == TARGET_CONCURRENCY), None)
        if minimum is not None and run and run["ratio_rps"] is not None:
            found.append({"what": f"`{key}` req/s at c16 ≥ {minimum}× bare", "measured":
                          f"{run['ratio_rps']:.2f}×", "met": run["ratio_rps"] >= minimum})
            if key == "python" and run["ratio_p99"] is not None:
                found.append({"what": "`python` p99 at c16 ≤ 3× bare", "measured": f"{run['ratio_p99']:.2f}×",
                              "met": run["ratio_p99"] <= 3.0})
    scaling = results.get("scaling") or {}
    rows = scaling.get("rows") or []
    if scaling.get("status") == "ok" and rows:
        big = max(rows, key=lambda r: r["integrations"])
        found.append({"what": f"start-up with {big['integrations']:,} integrations ≤ 5 s",
                      "measured": f"{big['startup_s']:.2f} s", "met": big["startup_s"] <= 5.0})
        if len(rows) > 1 and big["vs_smallest"] is not None:
            found.append({"what": f"per-request cost with {big['integrations']:,} integrations within 10% "
                                  f"of {rows[0]['integrations']:,}",
                          "measured": f"{big['vs_smallest']:.2f}×", "met": big["vs_smallest"] <= 1.10})
    return found


def _fmt(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"**{value:.2f}×**"


def _range(bounds: list[float | None] | None) -> str:
    if not bounds or bounds[0] is None or bounds[1] is None or bounds[0] == bounds[1]:
        return ""
    return f" ({bounds[0]:.2f}–{bounds[1]:.2f})"


def scenario_table(scenario: dict[str, Any], other: str) -> list[str]:
    lines = [f"| c | bare req/s | {other} req/s | ratio req/s | bare p50 ms | {other} p50 ms "
             f"| bare p99 ms | {other} p99 ms | p99 ratio | server CPU % (bare/{other}) "
             f"| CPU µs/request (bare/{other}) | of which sandbox workers | CPU ratio | errors (bare/{other}) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---|"]
    for run in scenario["runs"]:
        bare, hub = run["bare"], run["hookhub"]
        lines.append(
            f"| {run['concurrency']} | {_fmt(bare['rps'], 0)} | {_fmt(hub['rps'], 0)} | {_ratio(run['ratio_rps'])}"
            f"{_range(run.get('ratio_range'))} "
            f"| {_fmt(bare['p50_ms'])} | {_fmt(hub['p50_ms'])} | {_fmt(bare['p99_ms'])} | {_fmt(hub['p99_ms'])} "
            f"| {_fmt(run['ratio_p99'])}× | {_fmt(bare.get('cpu_pct'), 0)}/{_fmt(hub.get('cpu_pct'), 0)} "
            f"| {_fmt(bare.get('cpu_us_per_req'), 0)}/{_fmt(hub.get('cpu_us_per_req'), 0)} "
            f"| {_fmt(hub.get('workers_cpu_us_per_req'), 0)} "
            f"| {_fmt(run.get('ratio_cpu'))}× | {bare['errors']}/{hub['errors']} |")
    return lines


def errors_note(scenario: dict[str, Any], other: str) -> list[str]:
    """Which answers were not 2xx, and an example of each server's first one."""
    lines = []
    for run in scenario["runs"]:
        for role, name in (("bare", "bare"), ("hookhub", other)):
            load = run[role]
            bad = {k: v for k, v in (load.get("statuses") or {}).items() if not k.startswith("2")}
            if load["errors"] or bad:
                counts = ", ".join(f"{n:,}× {status}" for status, n in sorted(bad.items())) or "none"
                rest = load["errors"] - sum(bad.values())
                socket = f"; {rest:,} socket errors or timeouts" if rest > 0 else ""
                example = f"; first: `{load['first_error'][:200]}`" if load.get("first_error") else ""
                lines.append(f"- c{run['concurrency']} {name}: non-2xx answers: {counts}{socket}{example}")
    return ["", "Errors:"] + lines if lines else []


def render(results: dict[str, Any]) -> str:
    meta = results["meta"]
    other = "hookhub" if meta["mode"] == "hookhub" else "bare#2"
    out = [
        "# hookhub benchmark results",
        "",
        "hookhub side by side with a bare Starlette endpoint (`bench/bare_app.py`: parse the JSON body, "
        "answer `{\"success\": true}`), both served by uvicorn, in the same run, on the same pinned core; "
        "the load generator runs on the other core. The **ratio** is hookhub / bare "
        "(req/s: higher is better, 1.00× = as fast as bare Starlette; p99: lower is better). "
        "Server CPU % is the CPU time of the server's process tree over the run (100% = the whole "
        "core: CPU-bound; less = it waits, e.g. on fsync or on its workers, or shares the core with "
        "other work on a busy machine). **CPU ratio** = bare's CPU time per request / hookhub's: "
        "the req/s ratio to expect when both are CPU-bound, and the figure least moved by other load "
        "on the machine.",
        "",
        f"- Date: {meta['date']}",
        f"- Machine: {meta['machine']['model']}, {meta['machine']['cores']} cores "
        f"(server pinned to CPU {meta['server_cpu']}, load generator to CPU {meta['client_cpu']})",
        f"- Load average (1, 5, 15 min) before: {meta['load_before']}; after: {meta['load_after']}"
        " — the machine is shared, numbers move with its load",
        f"- Command: `{meta['command']}`",
        f"- Code: {meta['commit']}",
        f"- Load generator: {meta['loadgen']}",
        f"- Per measurement: {meta['warmup_s']:g} s warm-up, then {meta['duration_s']:g} s measured; "
        f"concurrency {', '.join(map(str, meta['concurrency']))}"
        + (f"; {meta['repeat']} rounds of bare+hookhub each, the round with the median ratio shown, "
           f"the range over the rounds in brackets" if meta.get("repeat", 1) > 1 else ""),
        f"- Python {meta['python']}; uvicorn {meta['uvicorn']}; starlette {meta['starlette']}",
    ]
    if meta["mode"] != "hookhub":
        out += ["", "**Calibration run (`--against-bare`)**: the second server is another bare Starlette "
                "instance, not hookhub; ratios show the measurement noise."]
    if meta["notes"]:
        out += ["", "Notes:"] + [f"- {note}" for note in meta["notes"]]
    targets = results.get("targets") or []
    if targets:
        out += ["", "## Targets (issue 7)", "", "| target | measured | met |", "|---|---|---|"]
        for t in targets:
            out.append(f"| {t['what']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |")
    for scenario in results["scenarios"]:
        out += ["", f"## Scenario `{scenario['key']}`: {scenario['title']}", ""]
        if scenario["status"] != "ok":
            out.append(f"**{scenario['status'].upper()}**: {scenario['note']}")
            continue
        out.append(f"Body {scenario['body_bytes']:,} bytes; {other} start-up {scenario['startup_s']:.2f} s; "
                   f"stored: {scenario['stored']}.")
        out += [""] + scenario_table(scenario, other) + errors_note(scenario, other)
        prof = scenario.get("profile")
        if prof:
            out += ["", f"Profile ({prof['note']}):" if prof["status"] == "ok" else f"Profile FAILED: {prof['note']}"]
            if prof["lines"]:
                out += [""] + prof["lines"]
    scaling = results.get("scaling")
    if scaling:
        out += ["", "## Scaling: number of integrations in the YAML", ""]
        if scaling["status"] != "ok":
            out.append(f"**{scaling['status'].upper()}**: {scaling['note']}")
        else:
            out += [scaling["note"], "",
                    "| integrations | YAML | start-up s | RSS idle MB | RSS after load MB | PSS MB | processes "
                    "| req/s c16 | p50 ms | p99 ms | server CPU % | CPU µs/request | vs smallest |",
                    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
            for row in scaling["rows"]:
                out.append(
                    f"| {row['integrations']:,} | {row['yaml_kb']:,.0f} KB | {row['startup_s']:.2f} "
                    f"| {row['rss_idle_mb']:.0f} | {row['rss_mb']:.0f} | {row['pss_mb']:.0f} | {row['processes']} "
                    f"| {_fmt(row['rps'], 0)} | {_fmt(row['p50_ms'])} | {_fmt(row['p99_ms'])} "
                    f"| {_fmt(row['cpu_pct'], 0)} | {_fmt(row['cpu_us_per_req'], 0)} | {_fmt(row['vs_smallest'])}× |")
        for key, what in (("profile_requests", "requests to the largest deployment"),
                          ("profile", "start-up")):
            prof = scaling.get(key)
            if prof:
                out += ["", f"Profile of the {what} ({prof['note']}):" if prof["status"] == "ok"
                        else f"Profile of the {what} FAILED: {prof['note']}"]
                if prof["lines"]:
                    out += [""] + prof["lines"]
    out += processes.render(results.get("processes"))
    sandbox = results.get("sandbox_overhead")
    if sandbox:
        out += ["", "## Isolation cost: per-call overhead of the sandbox (`bench/sandbox_overhead.py`)", ""]
        if sandbox["status"] != "ok":
            out.append(f"**{sandbox['status'].upper()}**: {sandbox['note']}")
        else:
            out += ["```", sandbox["output"].rstrip(), "```"]
    return "\n".join(out) + "\n"

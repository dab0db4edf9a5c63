"""hookhub's benchmark: hookhub side by side with a bare Starlette endpoint, in one run.

Starts the bare app (``bench/bare_app.py``) and hookhub (``hookhub serve``) pinned to
the same CPU core, drives both with wrk pinned to the other core, and writes
``bench/RESULTS.md``: req/s, p50 and p99 of each, and the ratio hookhub/bare.

    make bench                                  # everything, ~5 minutes
    .venv/bin/python bench/run.py --quick       # does it run? ~1 s per measurement
    .venv/bin/python bench/run.py --scenarios python,scaling --duration 10
    .venv/bin/python bench/run.py --against-bare   # calibration: bare vs bare
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import deployment, profile, report  # noqa: E402
from bench.loadgen import LoadError, LoadGenerator, LoadResult, choose  # noqa: E402
from bench.scenarios import SCALING_BODY, SCALING_INTEGRATION, Scenario, all_scenarios  # noqa: E402
from bench.processes import run_processes  # noqa: E402
from bench.servers import Server, ServerError, free_port, http_request, process_tree  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_KEYS = ("python", "js", "github", "noscript", "scaling", "processes", "sandbox")
#: scenarios run only when named in --scenarios
OPTIONAL_KEYS = ("inprocess",)
TARGET_CONCURRENCY = report.TARGET_CONCURRENCY


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="does-it-run mode: 1 s per measurement, concurrency 1, 10 integrations only")
    parser.add_argument("--scenarios", default=",".join(SCENARIO_KEYS),
                        help=f"comma-separated subset of {','.join(SCENARIO_KEYS)} (default: all) "
                             f"and the optional {','.join(OPTIONAL_KEYS)}")
    parser.add_argument("--duration", type=int, help="whole seconds measured per run (default 5; --quick: 1)")
    parser.add_argument("--warmup", type=int, help="whole seconds of warm-up before each run (default 1; --quick: 0)")
    parser.add_argument("--concurrency", type=_ints, help="connections, e.g. 1,16,64 (default; --quick: 1)")
    parser.add_argument("--scaling", type=_ints, help="integration counts, e.g. 10,1000,10000 (default; --quick: 10)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of bare+hookhub per concurrency; the round with the median ratio is "
                             "reported, with the range of the ratio over all rounds (default 1)")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto",
                        help="wrk (installed with apt-get if missing) or the Python fallback")
    parser.add_argument("--workers", type=int, help="sandbox workers in the generated YAML (default: hookhub's)")
    parser.add_argument("--sandbox-mode", choices=("process", "inprocess"),
                        help="sandbox.mode of every generated YAML (default: hookhub's, the worker pool); "
                             "inprocess shows what isolation costs")
    parser.add_argument("--commit-delay-ms", type=float,
                        help="storage.commit_delay_ms of every generated YAML (default: hookhub's); "
                             "0 shows what the commit delay saves")
    parser.add_argument("--hookhub", help="the hookhub executable (default: the one next to this Python)")
    parser.add_argument("--against-bare", action="store_true",
                        help="calibration: a second bare Starlette instance instead of hookhub")
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md", help="Markdown report")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "out" / "results.json",
                        help="the same results as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (YAML, DB, logs)")
    parser.add_argument("--profile", action="store_true",
                        help="after each scenario, profile hookhub under c16 load with py-spy (pip-installed "
                             "if missing); summary in the report, collapsed stacks next to --json")
    args = parser.parse_args(argv)
    quick = args.quick
    args.duration = max(1, args.duration if args.duration is not None else (1 if quick else 5))
    args.warmup = max(0, args.warmup if args.warmup is not None else (0 if quick else 1))
    args.concurrency = args.concurrency or ([1] if quick else [1, 16, 64])
    args.scaling = args.scaling or ([10] if quick else [10, 1000, 10000])
    args.repeat = max(1, args.repeat)
    args.selected = [key.strip() for key in args.scenarios.split(",") if key.strip()]
    unknown = sorted(set(args.selected) - set(SCENARIO_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; "
                     f"choose from {', '.join(SCENARIO_KEYS + OPTIONAL_KEYS)}")
    return args


def _display_command(argv: list[str] | None) -> str:
    words = sys.argv[1:] if argv is None else argv
    return " ".join([".venv/bin/python bench/run.py", *map(shlex.quote, words)])


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return f"git {head or 'unknown'}{' (with uncommitted changes)' if dirty else ''}"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


class Bench:
    """One benchmark run: the servers, the load generator, and the results so far."""

    def __init__(self, args: argparse.Namespace, argv: list[str] | None) -> None:
        self.args = args
        self.workdir = Path(tempfile.mkdtemp(prefix="hookhub-bench-"))
        self.notes: list[str] = []
        cpus = sorted(os.sched_getaffinity(0))
        can_pin = shutil.which("taskset") is not None and {args.server_cpu, args.client_cpu} <= set(cpus) \
            and args.server_cpu != args.client_cpu
        if not can_pin:
            self.notes.append(f"NOT PINNED: taskset missing or CPUs {args.server_cpu}/{args.client_cpu} not both "
                              f"available (have {cpus}); server and load generator share the machine")
        self.server_pin = ["taskset", "-c", str(args.server_cpu)] if can_pin else []
        client_pin = ["taskset", "-c", str(args.client_cpu)] if can_pin else []
        self.loadgen: LoadGenerator = choose(args.loadgen, client_pin, self.notes)
        self.sandbox: dict[str, Any] = {"mode": args.sandbox_mode} if args.sandbox_mode else {}
        if args.sandbox_mode == "inprocess":
            self.notes.append("every deployment runs with `sandbox: {mode: inprocess}` (--sandbox-mode): "
                              "scripts run in the server process, without process isolation")
        self.storage: dict[str, Any] = {}
        if args.commit_delay_ms is not None:
            self.storage["commit_delay_ms"] = args.commit_delay_ms
            self.notes.append(f"every deployment runs with `storage: {{commit_delay_ms: {args.commit_delay_ms:g}}}` "
                              "(--commit-delay-ms)")
        self.hookhub = Path(args.hookhub) if args.hookhub else Path(sys.executable).parent / "hookhub"
        self.results: dict[str, Any] = {
            "meta": {
                "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                "machine": report.machine(),
                "load_before": report.load_average(),
                "load_after": None,
                "command": _display_command(argv),
                "commit": _commit(),
                "loadgen": self.loadgen.description,
                "python": sys.version.split()[0],
                "uvicorn": _version("uvicorn"),
                "starlette": _version("starlette"),
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "repeat": args.repeat,
                "concurrency": args.concurrency,
                "server_cpu": args.server_cpu,
                "client_cpu": args.client_cpu,
                "mode": "against-bare" if args.against_bare else "hookhub",
                "notes": self.notes,
            },
            "scenarios": [],
        }

    # -- servers ------------------------------------------------------------------------------
    def bare_server(self, name: str) -> Server:
        port = free_port()
        argv = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--host", "127.0.0.1",
                "--port", str(port), "--log-level", "warning", "--no-access-log"]
        return Server(name, argv, port, self.workdir / f"{name}.log", pin=self.server_pin, cwd=ROOT)

    def hookhub_server(self, name: str, config: Path, port: int) -> Server:
        if self.args.against_bare:
            return self.bare_server(name.replace("hookhub", "bare#2"))
        argv = [str(self.hookhub), "serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
        return Server(name, argv, port, self.workdir / f"{name}.log", pin=self.server_pin, cwd=self.workdir)

    def hookhub_available(self) -> str | None:
        """Why hookhub cannot be benchmarked, or None."""
        if self.args.against_bare:
            return None
        if not self.hookhub.exists():
            return f"{self.hookhub} does not exist (install hookhub: make bench does it)"
        done = subprocess.run([str(self.hookhub), "serve", "--help"], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            return f"`hookhub serve --help` exited {done.returncode}: {(done.stderr or done.stdout).strip()[-500:]}"
        return None

    def check(self, config: Path) -> str | None:
        """Problems ``hookhub check`` finds in a generated config, or None."""
        if self.args.against_bare:
            return None
        done = subprocess.run([str(self.hookhub), "check", "--config", str(config)], capture_output=True,
                              text=True, timeout=600, cwd=self.workdir)
        if done.returncode == 0:
            return None
        output = (done.stdout + done.stderr).strip().replace(str(self.workdir) + "/", "")
        return f"`hookhub check` exited {done.returncode}: {output[-800:]}"

    # -- measurements -------------------------------------------------------------------------
    def measure(self, server: Server, path: str, body: Path, headers: dict[str, str],
                concurrency: int) -> LoadResult:
        url = f"http://127.0.0.1:{server.port}{path}"
        if self.args.warmup > 0:
            self.loadgen.run(url, body, headers, concurrency, self.args.warmup)
            server.wait_idle()
        own_before, children_before = server.cpu_split()
        result = self.loadgen.run(url, body, headers, concurrency, self.args.duration)
        own_after, children_after = server.cpu_split()
        result.children_cpu_s = max(0.0, children_after - children_before)  # a replaced worker takes its time
        result.server_cpu_s = own_after - own_before + result.children_cpu_s
        server.wait_idle()  # leave the core to the next measurement
        return result

    @staticmethod
    def _load_json(result: LoadResult) -> dict[str, Any]:
        cpu = result.server_cpu_s
        return {"rps": result.rps, "p50_ms": result.p50_ms, "p90_ms": result.p90_ms, "p99_ms": result.p99_ms,
                "max_ms": result.max_ms, "requests": result.requests, "errors": result.errors,
                "statuses": result.statuses, "first_error": result.first_error,
                # server CPU use: share of one core over the run, and CPU time per request
                "cpu_pct": 100 * cpu / result.duration_s if cpu is not None and result.duration_s else None,
                "cpu_us_per_req": 1e6 * cpu / result.requests if cpu is not None and result.requests else None,
                "workers_cpu_us_per_req": (1e6 * result.children_cpu_s / result.requests
                                           if result.children_cpu_s is not None and result.requests else None)}

    def _pair(self, concurrency: int, b: LoadResult, h: LoadResult) -> dict[str, Any]:
        run: dict[str, Any] = {"concurrency": concurrency, "bare": self._load_json(b), "hookhub": self._load_json(h),
                               "ratio_rps": h.rps / b.rps if b.rps else None,
                               "ratio_p99": h.p99_ms / b.p99_ms if b.p99_ms else None}
        cpu_b, cpu_h = run["bare"]["cpu_us_per_req"], run["hookhub"]["cpu_us_per_req"]
        run["ratio_cpu"] = cpu_b / cpu_h if cpu_b and cpu_h else None
        return run

    def sanity(self, server: Server, path: str, body: Path, headers: dict[str, str]) -> str | None:
        """One request first: benchmarking error answers would be meaningless."""
        try:
            status, answer = server.post(path, body.read_bytes(), headers)
        except OSError as exc:
            return f"{server.name} did not answer a first request: {exc}"
        if status != 200 or not (isinstance(answer, dict) and answer.get("success") is True):
            return (f"{server.name} answered {status} {json.dumps(answer)[:300]} to a first request"
                    + self.script_logs(server, path))
        return None

    def script_logs(self, server: Server, path: str) -> str:
        """The integration's latest log lines (CONTRACT §9): why its script failed."""
        if self.args.against_bare or server.name == "bare":
            return ""
        integration_id = path.split("/")[2]
        try:
            status, raw = http_request(server.port, "GET", f"/api/v1/integrations/{integration_id}/logs?limit=5",
                                       headers={"Authorization": f"Bearer {deployment.ADMIN_TOKEN}"})
            logs = json.loads(raw).get("logs") or []
        except (OSError, ValueError, AttributeError) as exc:
            return f"\n(could not read the integration log: {exc})"
        lines = [f"  {entry.get('level')}: {str(entry.get('message'))[:1500]}" for entry in logs]
        return "\nIntegration log (newest first):\n" + "\n".join(lines) if lines else ""

    def stored(self, server: Server) -> str:
        """Whether messages reached the store, through the read API (CONTRACT §9)."""
        if self.args.against_bare:
            return "n/a (bare)"
        try:
            status, raw = http_request(server.port, "GET", "/api/v1/channels/general/messages?limit=1",
                                       headers={"Authorization": f"Bearer {deployment.ADMIN_TOKEN}"})
            data = json.loads(raw)
        except (OSError, ValueError) as exc:
            return f"unknown ({exc})"
        if status == 200 and data.get("messages"):
            return "yes (read back through /api/v1/channels/general/messages)"
        return f"NOT VERIFIED (read API answered {status})"

    def run_scenario(self, scenario: Scenario, bare: Server) -> None:
        entry: dict[str, Any] = {"key": scenario.key, "title": scenario.title, "status": "ok", "note": "",
                                 "body_bytes": scenario.body.stat().st_size, "target_ratio": scenario.target_ratio,
                                 "runs": []}
        self.results["scenarios"].append(entry)
        print(f"\n== scenario {scenario.key}: {scenario.title}", flush=True)
        port = free_port()
        config, hooks = deployment.write(self.workdir, scenario.key, {scenario.key: scenario.integration},
                                         port, self.args.workers, {**self.sandbox, **scenario.sandbox},
                                         self.storage)
        problem = self.check(config)
        if problem:
            if scenario.engine == "javascript":
                entry["status"] = "skipped"
                entry["note"] = f"the JavaScript engine is unavailable or refused the script; {problem}"
            else:
                entry["status"], entry["note"] = "failed", f"hookhub refused the generated config; {problem}"
            print(f"   {entry['status']}: {entry['note']}", flush=True)
            return
        hub = self.hookhub_server(f"hookhub-{scenario.key}", config, port)
        try:
            entry["startup_s"] = hub.start()
            path = hooks[scenario.key].path
            for server in (bare, hub):
                problem = self.sanity(server, path, scenario.body, scenario.headers)
                if problem:
                    entry["status"], entry["note"] = "failed", problem + f"\n\n{server.log_tail()}"
                    print(f"   FAILED: {problem}", flush=True)
                    return
            for i, concurrency in enumerate(self.args.concurrency):
                rounds = []
                for r in range(self.args.repeat):
                    order = (bare, hub) if (i + r) % 2 == 0 else (hub, bare)  # alternate who goes first
                    measured = {s.name: self.measure(s, path, scenario.body, scenario.headers, concurrency)
                                for s in order}
                    rounds.append(self._pair(concurrency, measured[bare.name], measured[hub.name]))
                # the round with the median ratio: bare and hookhub measured side by side, under the same load
                rounds.sort(key=lambda run: run["ratio_rps"] or 0.0)
                run = rounds[len(rounds) // 2]
                run["ratio_range"] = [rounds[0]["ratio_rps"], rounds[-1]["ratio_rps"]]
                run["rounds"] = len(rounds)
                entry["runs"].append(run)
                b, h = run["bare"], run["hookhub"]
                spread = (f" (rounds {run['ratio_range'][0]:.2f}-{run['ratio_range'][1]:.2f})"
                          if len(rounds) > 1 else "")
                print(f"   c={concurrency:<3} bare {b['rps']:9.0f} req/s p50 {b['p50_ms']:6.2f} p99 {b['p99_ms']:6.2f} ms | "
                      f"{hub.name} {h['rps']:9.0f} req/s p50 {h['p50_ms']:6.2f} p99 {h['p99_ms']:6.2f} ms | "
                      f"ratio {run['ratio_rps']:.2f}x{spread}  errors {b['errors']}/{h['errors']}  "
                      f"CPU/request {b['cpu_us_per_req'] or 0:.0f}/{h['cpu_us_per_req'] or 0:.0f} µs", flush=True)
            entry["stored"] = self.stored(hub)
            if self.args.profile:
                self.profile(entry, hub, path, scenario.body, scenario.headers, scenario.key)
        except (ServerError, LoadError) as exc:
            entry["status"], entry["note"] = "failed", str(exc)
            print(f"   FAILED: {exc}", flush=True)
        finally:
            hub.stop()

    def profile(self, entry: dict[str, Any], hub: Server, path: str, body: Path, headers: dict[str, str],
                name: str, key: str = "profile") -> None:
        """A separate run under py-spy (sampling slows the server: never the measured run); into ``entry[key]``."""
        assert hub.process is not None
        concurrency = TARGET_CONCURRENCY
        raw = self.args.json.parent / f"profile-{name}.txt"
        raw.parent.mkdir(parents=True, exist_ok=True)
        seconds = max(2, self.args.duration)
        print(f"   profiling {hub.name} at c{concurrency} for {seconds} s with py-spy", flush=True)
        try:
            sampler = profile.record(hub.process.pid, seconds, raw, self.loadgen.pin)
            time.sleep(0.5)  # let py-spy attach
            self.loadgen.run(f"http://127.0.0.1:{hub.port}{path}", body, headers, concurrency, seconds + 1)
            output, _ = sampler.communicate(timeout=120)
            if sampler.returncode != 0 or not raw.exists():
                raise profile.ProfileError(f"py-spy exited {sampler.returncode}: {output.strip()[-500:]}")
        except (profile.ProfileError, LoadError, subprocess.TimeoutExpired) as exc:
            entry[key] = {"status": "failed", "note": str(exc), "lines": []}
            print(f"   profile failed: {exc}", flush=True)
            return
        summary = profile.summarise(raw.read_text(encoding="utf-8", errors="replace"), hub.process.pid)
        tree = len(process_tree(hub.process.pid))
        unread = (f"; py-spy could read {len(summary.pids)} of the {tree} processes (sealed sandbox workers "
                  f"refuse to be traced): their CPU time is in the tables above, not here"
                  if len(summary.pids) < tree else "")
        entry[key] = {"status": "ok", "note": f"py-spy, {summary.samples} samples at c{concurrency}; "
                                                     f"collapsed stacks: {raw.name}{unread}",
                            "lines": profile.render(summary)}

    def run_scaling(self) -> None:
        counts = sorted(set(self.args.scaling))
        scaling: dict[str, Any] = {"status": "ok", "rows": [], "note": (
            f"Each deployment has N incoming integrations sharing one script file (`scripts/alert.py`); "
            f"start-up is from process start until `/healthz` answers; memory is the server process plus "
            f"its children; the last integration (`int-{{N-1}}`) is driven at c{TARGET_CONCURRENCY} with the "
            f"1.3 KB Alertmanager body. The per-request cost is the server's CPU time per request "
            f"(process tree), which other load on the machine moves less than req/s; "
            f"\"vs smallest\" compares it with the smallest deployment.")}
        self.results["scaling"] = scaling
        if self.args.against_bare:
            scaling["status"], scaling["note"] = "skipped", "calibration run: there is no hookhub to scale"
            return
        print(f"\n== scaling: {', '.join(map(str, counts))} integrations", flush=True)
        for count in counts:
            port = free_port()
            ids = [f"int-{i:05d}" for i in range(count)]
            config, hooks = deployment.write(self.workdir, f"scale-{count}",
                                             {i: SCALING_INTEGRATION for i in ids}, port, self.args.workers,
                                             self.sandbox, self.storage)
            hub = self.hookhub_server(f"hookhub-scale-{count}", config, port)
            try:
                startup = hub.start(timeout=300)
                idle = hub.memory()
                path = hooks[ids[-1]].path
                problem = self.sanity(hub, path, SCALING_BODY, {})
                if problem:
                    raise ServerError(problem + f"\n\n{hub.log_tail()}")
                result = self.measure(hub, path, SCALING_BODY, {}, TARGET_CONCURRENCY)
                loaded = hub.memory()
                if self.args.profile and count == counts[-1]:
                    self.profile(scaling, hub, path, SCALING_BODY, {}, f"scale-{count}", key="profile_requests")
            except (ServerError, LoadError) as exc:
                scaling["status"], scaling["note"] = "failed", f"{count} integrations: {exc}"
                print(f"   FAILED: {exc}", flush=True)
                return
            finally:
                hub.stop()
            if self.args.profile and count == counts[-1]:
                self.profile_startup(scaling, config, count)
            row = {"integrations": count, "yaml_kb": config.stat().st_size / 1024, "startup_s": startup,
                   "rss_idle_mb": idle.rss_mb, "rss_mb": loaded.rss_mb, "pss_mb": loaded.pss_mb,
                   "processes": loaded.processes, **self._load_json(result)}
            first = scaling["rows"][0] if scaling["rows"] else row
            row["vs_smallest"] = (row["cpu_us_per_req"] / first["cpu_us_per_req"]
                                  if row["cpu_us_per_req"] and first["cpu_us_per_req"] else None)
            scaling["rows"].append(row)
            print(f"   {count:>6} integrations: start-up {startup:5.2f} s, RSS {loaded.rss_mb:6.0f} MB "
                  f"({loaded.processes} processes), c{TARGET_CONCURRENCY} {result.rps:8.0f} req/s "
                  f"p99 {result.p99_ms:6.2f} ms, CPU {row['cpu_us_per_req'] or 0:.0f} µs/request", flush=True)

    def profile_startup(self, scaling: dict[str, Any], config: Path, count: int) -> None:
        """Start the deployment once more under py-spy, until /healthz answers."""
        raw = self.args.json.parent / f"profile-startup-{count}.txt"
        raw.parent.mkdir(parents=True, exist_ok=True)
        print(f"   profiling the start-up with {count} integrations with py-spy", flush=True)
        port = free_port()
        argv = [str(self.hookhub), "serve", "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
        try:
            wrapped = profile.wrap(argv, raw)
        except profile.ProfileError as exc:
            scaling["profile"] = {"status": "failed", "note": str(exc), "lines": []}
            return
        hub = Server(f"hookhub-startup-{count}", wrapped, port, self.workdir / f"startup-{count}.log",
                     pin=self.server_pin, cwd=self.workdir)
        try:
            seconds = hub.start(timeout=600)
            assert hub.process is not None
            served = [pid for pid in process_tree(hub.process.pid) if pid != hub.process.pid]
            if served:  # stop hookhub itself: py-spy then writes its samples and exits
                os.kill(served[0], signal.SIGTERM)
            hub.process.wait(timeout=60)
        except (ServerError, subprocess.TimeoutExpired) as exc:
            scaling["profile"] = {"status": "failed", "note": str(exc), "lines": []}
            return
        finally:
            hub.stop()
        if not raw.exists():
            scaling["profile"] = {"status": "failed", "note": f"py-spy wrote nothing:\n{hub.log_tail()}",
                                  "lines": []}
            return
        server_pid = served[0] if served else -1
        summary = profile.summarise(raw.read_text(encoding="utf-8", errors="replace"), server_pid)
        scaling["profile"] = {"status": "ok", "lines": profile.render(summary),
                              "note": f"start-up with {count:,} integrations under py-spy ({seconds:.1f} s "
                                      f"with sampling), {summary.samples} samples; collapsed stacks: {raw.name}"}

    def run_sandbox_overhead(self) -> None:
        script = ROOT / "bench" / "sandbox_overhead.py"
        entry: dict[str, Any] = {"status": "ok", "output": "", "note": ""}
        self.results["sandbox_overhead"] = entry
        if not script.exists():
            entry["status"], entry["note"] = "skipped", "bench/sandbox_overhead.py is not there yet"
            return
        if self.args.quick:
            entry["status"], entry["note"] = "skipped", "not run in --quick mode"
            return
        print("\n== sandbox overhead (bench/sandbox_overhead.py)", flush=True)
        argv = [*self.server_pin, sys.executable, str(script)]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=900, cwd=ROOT)
        except subprocess.TimeoutExpired:
            entry["status"], entry["note"] = "failed", "bench/sandbox_overhead.py ran longer than 15 minutes"
            return
        if done.returncode != 0:
            entry["status"] = "failed"
            entry["note"] = f"bench/sandbox_overhead.py exited {done.returncode}: {done.stderr.strip()[-800:]}"
        entry["output"] = done.stdout
        print(done.stdout, flush=True)

    # -- the whole run ------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        selected = self.args.selected
        scenarios = all_scenarios()
        wanted = [scenarios[key] for key in selected if key in scenarios]
        needs_hookhub = bool(wanted) or "scaling" in selected or "processes" in selected
        problem = self.hookhub_available() if needs_hookhub else None
        if problem:
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise SystemExit(f"bench: cannot benchmark hookhub: {problem}\n"
                             f"(`python bench/run.py --against-bare` measures bare vs bare meanwhile)")
        print(f"bench: scratch directory {self.workdir}; load generator: {self.loadgen.description}", flush=True)
        for note in self.notes:
            print(f"bench: {note}", flush=True)
        try:
            if wanted:
                bare = self.bare_server("bare")
                try:
                    bare.start()
                    for scenario in wanted:
                        self.run_scenario(scenario, bare)
                finally:
                    bare.stop()
            if "scaling" in selected:
                self.run_scaling()
            if "processes" in selected:
                run_processes(self)
            if "sandbox" in selected:
                self.run_sandbox_overhead()
        finally:
            if self.args.keep:
                print(f"bench: kept {self.workdir}", flush=True)
            else:
                shutil.rmtree(self.workdir, ignore_errors=True)
        self.results["meta"]["load_after"] = report.load_average()
        self.results["targets"] = report.targets(self.results)
        return self.results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = Bench(args, argv).run()
    text = report.render(results)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(text, encoding="utf-8")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print("\n" + text)
    print(f"bench: wrote {args.results} and {args.json}", flush=True)
    failed = [s["key"] for s in results["scenarios"] if s["status"] == "failed"]
    if (results.get("scaling") or {}).get("status") == "failed":
        failed.append("scaling")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

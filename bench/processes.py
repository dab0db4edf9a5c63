"""The ``processes`` section of the benchmark: 1 server process vs ``--workers 2``, on SQLite and PostgreSQL.

The ``python`` scenario's integration (Alertmanager body → message with an
attachment) is driven at c16 in four deployments: SQLite with 1 and 2 server
processes, PostgreSQL with 1 and 2.  PostgreSQL is a real server started for
the run (``initdb`` + ``pg_ctl`` in a temporary directory, see ``tests/pg.py``);
its processes are pinned to the server's CPU like hookhub's, and their CPU
time is reported apart ("db CPU µs/request") and included in the total.

On a 2-core machine with the load generator pinned to the other core, the
server side has **one** core: a second server process cannot add throughput
there, so these rows show what a second process and PostgreSQL *cost* per
request, not the scale-out gain (which needs cores for each process).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import deployment
from bench.loadgen import LoadError
from bench.scenarios import all_scenarios
from bench.servers import Server, ServerError, free_port, process_tree

if TYPE_CHECKING:  # pragma: no cover
    from bench.run import Bench

CONCURRENCY = 16


def _cpu_s(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / 100.0


def _postmaster(data: Path) -> int:
    return int((data / "postmaster.pid").read_text().split()[0])


def _start_postgres(bench: Bench) -> Any:
    """A PostgreSQL server of this run (tests/pg.py), pinned to the server CPU; raises ServerError."""
    try:
        from tests.pg import PgServer, PgUnavailable
    except ImportError as exc:
        raise ServerError(f"tests/pg.py cannot be imported: {exc}") from None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ServerError("psycopg is not installed (pip install -e '.[test]' or 'hookhub[postgresql]')") from None
    try:
        server = PgServer().start()
    except PgUnavailable as exc:
        raise ServerError(str(exc)) from None
    if bench.server_pin:
        cpu = bench.server_pin[-1]
        subprocess.run(["taskset", "-a", "-p", "-c", cpu, str(_postmaster(server.data))], capture_output=True)
    return server


def run_processes(bench: Bench) -> None:
    """Measure the four deployments; results under ``results["processes"]``."""
    section: dict[str, Any] = {"status": "ok", "rows": [], "note": __doc__.split("\n\n", 1)[1].strip()}
    bench.results["processes"] = section
    if bench.args.against_bare:
        section["status"], section["note"] = "skipped", "calibration run: no hookhub"
        return
    scenario = all_scenarios()["python"]
    print(f"\n== processes: 1 vs --workers 2, SQLite and PostgreSQL, c{CONCURRENCY}", flush=True)
    pg: Any = None
    try:
        for backend in ("sqlite", "postgresql"):
            url: str | None = None
            if backend == "postgresql":
                try:
                    pg = _start_postgres(bench)
                except ServerError as exc:
                    section["rows"].append({"backend": backend, "workers": None, "note": f"skipped: {exc}"})
                    print(f"   PostgreSQL skipped: {exc}", flush=True)
                    continue
            for workers in (1, 2):
                if pg is not None and backend == "postgresql":
                    url = pg.database()
                name = f"procs-{backend}-{workers}"
                port = free_port()
                config, hooks = deployment.write(bench.workdir, name, {"alert": scenario.integration}, port,
                                                 bench.args.workers, bench.sandbox)
                if url is not None:
                    text = config.read_text(encoding="utf-8")
                    sqlite_url = f"sqlite:///{(bench.workdir / (name + '.db')).resolve()}"
                    config.write_text(text.replace(sqlite_url, url), encoding="utf-8")
                hub = bench.hookhub_server(f"hookhub-{name}", config, port)
                hub.argv += ["--workers", str(workers)]
                section["rows"].append(_measure(bench, hub, hooks["alert"].path, scenario, backend, workers, pg))
    finally:
        if pg is not None:
            pg.stop()


def _measure(bench: Bench, hub: Server, path: str, scenario: Any, backend: str, workers: int,
             pg: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"backend": backend, "workers": workers}
    try:
        hub.start()
        problem = bench.sanity(hub, path, scenario.body, scenario.headers)
        if problem:
            raise ServerError(problem + f"\n\n{hub.log_tail()}")
        db_pids = process_tree(_postmaster(pg.data)) if pg is not None and backend == "postgresql" else []
        db_before = _cpu_s(db_pids)
        result = bench.measure(hub, path, scenario.body, scenario.headers, CONCURRENCY)
        db_pids = process_tree(_postmaster(pg.data)) if db_pids else []
        db_cpu = max(0.0, _cpu_s(db_pids) - db_before) if db_pids else 0.0
        row.update(bench._load_json(result))
        row["db_cpu_us_per_req"] = 1e6 * db_cpu / result.requests if result.requests else None
        row["total_cpu_us_per_req"] = ((row["cpu_us_per_req"] or 0) + (row["db_cpu_us_per_req"] or 0)
                                       if row["cpu_us_per_req"] is not None else None)
        print(f"   {backend:<10} workers {workers}: {result.rps:8.0f} req/s p99 {result.p99_ms:6.2f} ms, "
              f"CPU {row['cpu_us_per_req'] or 0:.0f} µs/request (+ db {row['db_cpu_us_per_req'] or 0:.0f})",
              flush=True)
    except (ServerError, LoadError) as exc:
        row["note"] = f"failed: {exc}"
        print(f"   FAILED {backend} workers {workers}: {exc}", flush=True)
    finally:
        hub.stop()
    return row


def render(section: dict[str, Any] | None) -> list[str]:
    """The Markdown lines of the section (empty when it did not run)."""
    if not section:
        return []
    out = ["", f"## Processes: 1 server process vs `--workers 2`, SQLite and PostgreSQL (c{CONCURRENCY})", ""]
    if section["status"] != "ok":
        return out + [f"**{section['status'].upper()}**: {section['note']}"]
    out += [section["note"], "",
            "| store | processes | req/s | p50 ms | p99 ms | server CPU µs/request | db CPU µs/request "
            "| total CPU µs/request | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def fmt(value: Any, digits: int = 0) -> str:
        return "–" if value is None else f"{value:,.{digits}f}"

    for row in section["rows"]:
        if "rps" not in row:
            out.append(f"| {row['backend']} | {row['workers'] or '–'} | {row.get('note', '')} | | | | | | |")
            continue
        out.append(f"| {row['backend']} | {row['workers']} | {fmt(row['rps'])} | {fmt(row['p50_ms'], 2)} "
                   f"| {fmt(row['p99_ms'], 2)} | {fmt(row['cpu_us_per_req'])} | {fmt(row['db_cpu_us_per_req'])} "
                   f"| {fmt(row['total_cpu_us_per_req'])} | {row['errors']} |")
    return out

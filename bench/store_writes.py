"""The store's writer alone: CPU µs, wall µs and WAL bytes per webhook on SQLite.

The rows are those of the ``noscript`` scenario's webhook (one message, one
history entry), built by the real pipeline; they are committed as the writer
thread commits them (``run_merged`` in one transaction per batch) into a real
SQLite file in WAL mode with ``synchronous=FULL``, after ``--prefill`` rows
were written (the cost of an insert depends on the size of the indexes):

    .venv/bin/python bench/store_writes.py                         # ordered ids, prefill 100,000
    .venv/bin/python bench/store_writes.py --ids random --batch 4  # the ids before issue 18

``--ids random`` makes ids as hookhub made them before (17 random base62
characters) to show what time-ordered ids save.  WAL bytes are counted with
automatic checkpoints off during the measured writes: the pages each commit
rewrote, which is deterministic where CPU time is not.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path[0] = str(HERE.parent)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import random  # noqa: E402
import string  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from bench import deployment  # noqa: E402
from bench.scenarios import all_scenarios  # noqa: E402

_RANDOM = random.Random(18)
_OLD_ALPHABET = string.ascii_letters + string.digits


def random_id() -> str:
    """An id as hookhub made them before issue 18: 17 random base62 characters."""
    return "".join([_OLD_ALPHABET[b % 62] for b in _RANDOM.randbytes(17)])


def _ops(count: int, make_id: Callable[[], str], scratch: Path) -> list[Any]:
    from hookhub import ids
    from hookhub.config import load_config
    from hookhub.hub import Hub
    from hookhub.pipeline import incoming, processing
    from hookhub.pipeline.inbound import Inbound

    scenario = all_scenarios()["noscript"]
    config_path, hooks = deployment.write(scratch, "noscript", {"noscript": scenario.integration}, port=1)
    hub = Hub(load_config(config_path))
    integ = hub.registry.integrations["noscript"]
    body = scenario.body.read_bytes()
    inbound = Inbound(integration_id="noscript", token="t", method="POST", path=hooks["noscript"].path,
                      query_string="", headers={"content-type": "application/json", "host": "127.0.0.1",
                                                "content-length": str(len(body)), "user-agent": "bench"},
                      body=body).lowered()
    real_new_id = ids.new_id
    ids.new_id = make_id  # message.stamp looks it up at each call
    try:
        loop = asyncio.new_event_loop()
        ops = []
        for _ in range(count):
            outcome = loop.run_until_complete(processing.process(hub, integ, inbound))
            post = incoming.incoming_post(integ, inbound, outcome, time.perf_counter(), make_id())
            ops.append(post.op(time.time()))
        loop.close()
    finally:
        ids.new_id = real_new_id
    return ops


def measure(ids: str, prefill: int, batch: int, writes: int) -> dict[str, float]:
    """Commit ``writes`` webhooks in batches of ``batch`` after ``prefill``; per-webhook figures."""
    from hookhub.ids import new_id
    from hookhub.store import Store, run_merged

    make_id = random_id if ids == "random" else new_id
    with tempfile.TemporaryDirectory(prefix="hookhub-store-writes-") as scratch:
        db = Path(scratch) / "hookhub.db"
        st = Store(f"sqlite:///{db}", synchronous="FULL")
        st.migrate()
        conn = st.engine.connect()
        pre = _ops(prefill, make_id, Path(scratch))
        for i in range(0, len(pre), 500):
            with conn.begin():
                run_merged(conn, pre[i:i + 500])
        ops = _ops(writes, make_id, Path(scratch))
        driver = conn.connection.driver_connection
        assert driver is not None
        driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        driver.execute("PRAGMA wal_autocheckpoint=0").fetchall()
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        for i in range(0, len(ops), batch):
            with conn.begin():
                run_merged(conn, ops[i:i + batch])
        cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
        wal = os.path.getsize(f"{db}-wal")
        conn.close()
        st.engine.dispose()
    return {"cpu_us": cpu / writes * 1e6, "wall_us": wall / writes * 1e6, "wal_bytes": wal / writes}


def main(argv: list[str] | None = None) -> int:
    """Print one table row per id scheme."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ids", default="ordered,random", help="ordered, random or both (comma-separated)")
    parser.add_argument("--prefill", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--writes", type=int, default=4000)
    args = parser.parse_args(argv)
    print(f"prefill {args.prefill:,} webhooks, batches of {args.batch}, {args.writes:,} measured, "
          "synchronous=FULL\n")
    print("| ids | writer CPU µs/webhook | wall µs/webhook | WAL bytes/webhook |")
    print("|---|---:|---:|---:|")
    for ids in args.ids.split(","):
        row = measure(ids.strip(), args.prefill, args.batch, args.writes)
        print(f"| {ids} | {row['cpu_us']:.1f} | {row['wall_us']:.1f} | {row['wal_bytes']:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Rowid tables against ``WITHOUT ROWID`` ones for ``messages`` and ``history``, in raw SQLite.

The store keeps its two hot tables as rowid tables with a text primary key (a
table B-tree and a primary-key index each).  ``WITHOUT ROWID`` would make the
id the clustering key (one B-tree); this measures whether that pays for rows
the size of hookhub's (a ~1.3 KB message document, a ~1.6 KB history request):
CPU µs, WAL bytes and file bytes per webhook, time-ordered ids, WAL mode with
``synchronous=FULL``, after ``--prefill`` webhooks:

    .venv/bin/python bench/sqlite_layouts.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0]).resolve() == HERE:
    sys.path[0] = str(HERE.parent)

import argparse  # noqa: E402
import os  # noqa: E402
import sqlite3  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from bench.scenarios import all_scenarios  # noqa: E402


def measure(without_rowid: bool, prefill: int, batch: int, writes: int) -> dict[str, float]:
    """Per-webhook CPU µs, WAL bytes and file bytes of one layout."""
    from hookhub.ids import new_id

    doc = all_scenarios()["noscript"].body.read_text(encoding="utf-8")
    request = doc + "x" * 300  # the body plus headers and the rest of a history request
    suffix = " WITHOUT ROWID" if without_rowid else ""
    with tempfile.TemporaryDirectory(prefix="hookhub-sqlite-layouts-") as scratch:
        db = os.path.join(scratch, "layout.db")
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE messages (id VARCHAR(32) PRIMARY KEY NOT NULL, ts FLOAT NOT NULL, room VARCHAR(160) "
                     f"NOT NULL, integration_id VARCHAR(128), doc JSON NOT NULL){suffix}")
        conn.execute("CREATE INDEX ix_messages_room_ts ON messages (room, ts)")
        conn.execute("CREATE TABLE history (id VARCHAR(32) PRIMARY KEY NOT NULL, integration_id VARCHAR(128) NOT NULL, "
                     f"ts FLOAT NOT NULL, kind VARCHAR(16) NOT NULL, request JSON, status INTEGER, response JSON){suffix}")
        conn.execute("CREATE INDEX ix_history_integration_ts ON history (integration_id, ts)")

        def insert(count: int) -> None:
            now = time.time()
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO messages VALUES (?, ?, ?, ?, ?)",
                             [(new_id(), now, "#general", "noscript", doc) for _ in range(count)])
            conn.executemany("INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?)",
                             [(new_id(), "noscript", now, "incoming", request, 200, '{"success":true}')
                              for _ in range(count)])
            conn.execute("COMMIT")

        for done in range(0, prefill, 500):
            insert(min(500, prefill - done))
        file_bytes = os.path.getsize(db) / max(prefill, 1)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        conn.execute("PRAGMA wal_autocheckpoint=0").fetchall()
        cpu0 = time.thread_time()
        for _ in range(writes // batch):
            insert(batch)
        cpu = time.thread_time() - cpu0
        wal = os.path.getsize(f"{db}-wal")
        conn.close()
    measured = writes // batch * batch
    return {"cpu_us": cpu / measured * 1e6, "wal_bytes": wal / measured, "file_bytes": file_bytes}


def main(argv: list[str] | None = None) -> int:
    """Print one table row per layout."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefill", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--writes", type=int, default=4000)
    args = parser.parse_args(argv)
    print(f"prefill {args.prefill:,} webhooks, batches of {args.batch}, {args.writes:,} measured\n")
    print("| layout | CPU µs/webhook | WAL bytes/webhook | file bytes/webhook |")
    print("|---|---:|---:|---:|")
    for without in (False, True):
        row = measure(without, args.prefill, args.batch, args.writes)
        name = "WITHOUT ROWID" if without else "rowid (hookhub's)"
        print(f"| {name} | {row['cpu_us']:.1f} | {row['wal_bytes']:,.0f} | {row['file_bytes']:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

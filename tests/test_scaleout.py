"""End to end on several nodes: two real ``hookhub serve`` processes on one real PostgreSQL server.

Load is spread over both nodes, one node is killed with SIGKILL (its whole process group, sandbox
workers included) in the middle of it, and afterwards:

* every webhook answered 200 is in the store exactly once;
* the same delivery id sent to both nodes at the same moment gave exactly one message;
* every message's outgoing call reached the receiver on 127.0.0.1 (the dead node's leased and
  unqueued calls are taken over by the live node), duplicates are counted and each carries the
  same ``Idempotency-Key`` as its first copy.

The figures are printed (run with ``-s`` to see them).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from hookhub import database

from .outgoing.receiver import Receiver
from .test_e2e import free_port

pytestmark = pytest.mark.slow

LOAD = 360
KILL_AFTER = 120
DUPLICATED = 40


def _yaml(url: str, receiver: Receiver) -> str:
    return f"""\
server:
  max_body_bytes: 65536
storage:
  url: {url}
  outbox_lease_s: 3
  outbox_sweep_s: 2
sandbox:
  workers: 1
admin:
  token: node-admin-token
users:
  - username: rocket.cat
channels:
  - name: general
  - name: dedupe
integrations:
  - id: load
    type: incoming
    token: load-token
    channel: "#general"
    username: rocket.cat
    script_enabled: false
  - id: gh
    type: incoming
    token: gh-token
    channel: "#dedupe"
    username: rocket.cat
    script_enabled: false
    dedupe: {{header: X-Delivery, wait_s: 20}}
  - id: out
    type: outgoing
    token: out-token
    channel: "#general"
    urls: ["{receiver.url()}"]
    http: {{allow_private: true}}
    retry_delay: increments-of-two
"""


class Node:
    """One ``hookhub serve`` process in a process group of its own (so SIGKILL takes its sandbox too)."""

    def __init__(self, config: Path, name: str) -> None:
        self.config = config
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = config.parent / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        hookhub = Path(sys.executable).with_name("hookhub")
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([str(hookhub), "serve", "--config", str(self.config),
                                          "--port", str(self.port), "--log-level", "warning"],
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"node {self.name} exited at start:\n{self.log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"node {self.name} not ready:\n{self.log.read_text(errors='replace')}")

    def kill9(self) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _rows(url: str, sql: str) -> list[Any]:
    engine = create_engine(database.engine_url(url))
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


async def _load(nodes: list[Node], killed: Node) -> tuple[list[str], int]:
    """Post LOAD webhooks alternately to the nodes, SIGKILL ``killed`` after KILL_AFTER answers;
    returns the texts answered 200 and how many requests got no 200."""
    answered: list[str] = []
    failed = 0
    done = 0
    lock = asyncio.Lock()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(LOAD):
        queue.put_nowait(i)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failed, done
        while not queue.empty():
            i = queue.get_nowait()
            node = nodes[i % 2]
            body = {"text": f"load {i}"}
            try:
                r = await client.post(f"{node.url}/hooks/load/load-token", json=body)
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            async with lock:
                done += 1
                if ok:
                    answered.append(body["text"])
                else:
                    failed += 1
                if done == KILL_AFTER:
                    killed.kill9()  # mid-load: requests in flight on it are lost with it (not answered 200)

    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(16)))
    return answered, failed


async def _duplicates(nodes: list[Node]) -> list[tuple[int, int]]:
    """Each delivery id sent to both nodes at the same moment; returns the status pairs."""
    async with httpx.AsyncClient(timeout=60) as client:
        async def both(i: int) -> tuple[int, int]:
            headers = {"X-Delivery": f"delivery-{i}"}
            a, b = await asyncio.gather(*(client.post(f"{n.url}/hooks/gh/gh-token", json={"text": f"dup {i}"},
                                                      headers=headers) for n in nodes))
            return a.status_code, b.status_code
        return await asyncio.gather(*(both(i) for i in range(DUPLICATED)))


def test_two_nodes_on_postgresql_survive_a_kill_9(pg_url: str, tmp_path: Path) -> None:
    receiver = Receiver()
    config = tmp_path / "hookhub.yaml"
    config.write_text(_yaml(pg_url, receiver), encoding="utf-8")
    nodes = [Node(config, "a"), Node(config, "b")]
    try:
        for node in nodes:  # both at once on an empty database: the migration race
            node.start()
        for node in nodes:
            node.wait_ready()

        pairs = asyncio.run(_duplicates(nodes))
        dedupe = _rows(pg_url, "SELECT doc FROM messages WHERE room = '#dedupe'")
        texts = collections.Counter(json.loads(r[0])["text"] if isinstance(r[0], str) else r[0]["text"]
                                    for r in dedupe)
        assert all(a == 200 and b == 200 for a, b in pairs), pairs
        assert texts == {f"dup {i}": 1 for i in range(DUPLICATED)}, texts

        answered, failed = asyncio.run(_load(nodes, killed=nodes[0]))
        stored = collections.Counter(
            (json.loads(r[0]) if isinstance(r[0], str) else r[0])["text"]
            for r in _rows(pg_url, "SELECT doc FROM messages WHERE room = '#general'"))
        ids = {r[0] for r in _rows(pg_url, "SELECT id FROM messages WHERE room = '#general'")}
        missing = [t for t in answered if stored[t] != 1]
        twice = [t for t, n in stored.items() if n > 1]

        # every stored message's outgoing call reaches the receiver (the dead node's leases and
        # its committed-but-unqueued calls are taken over by the live node)
        deadline = time.monotonic() + 60
        got: collections.Counter[str] = collections.Counter()
        keys: dict[str, set[str]] = collections.defaultdict(set)
        while time.monotonic() < deadline:
            got = collections.Counter()
            keys = collections.defaultdict(set)
            for req in list(receiver.requests):
                mid = req.json["message_id"]
                got[mid] += 1
                keys[mid].add(req.headers.get("idempotency-key", ""))
            if ids <= set(got):
                break
            time.sleep(0.25)
        undelivered = ids - set(got)
        repeated = {mid: n for mid, n in got.items() if n > 1}
        print(f"\nkill -9 figures: sent {LOAD}, answered 200: {len(answered)}, not answered: {failed}, "
              f"found afterwards: {sum(1 for t in answered if stored[t] >= 1)}, stored twice: {len(twice)}, "
              f"stored without a 200 (killed mid-answer): {len(set(stored) - set(answered))}; "
              f"dedupe: {DUPLICATED} ids sent to both nodes at once -> {sum(texts.values())} messages; "
              f"outgoing: {len(ids)} messages -> {len(set(got) & ids)} delivered, {len(undelivered)} undelivered, "
              f"{len(repeated)} delivered more than once")
        assert not missing and not twice, (missing, twice)
        assert not undelivered, f"{len(undelivered)} outgoing calls never arrived"
        # a repeat (a node killed between the call and its record) carries the same idempotency key
        assert all(len(k) == 1 and "" not in k for k in keys.values()), keys
        assert len(answered) >= KILL_AFTER // 2 and failed > 0  # the kill happened mid-load
    finally:
        for node in nodes:
            node.stop()
        receiver.close()

"""Periodic jobs that run once per interval for the whole cluster, whatever the number of nodes.

Each job has a row in ``periodic_jobs`` holding when it last ran.  A node
whose timer fires runs the job inside one transaction that first takes the
job's PostgreSQL advisory lock (``pg_try_advisory_xact_lock``: a node that
does not get it skips this turn) and then moves ``last_run`` forward only if
the interval has passed (a conditional ``UPDATE``): at most one node per
interval does the work, and the job's writes commit together with its
``last_run``.  On SQLite the write transaction serialises the processes of
one machine (SQLite is not shared between machines), with the same outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from . import database, schema
from .pipeline.admission import op_prune_claims, op_prune_counters
from .store import Store, op_prune_history

log = logging.getLogger("hookhub.cluster")

__all__ = ["Job", "Housekeeper", "op_once"]

JobOp = Callable[[Connection], Any]


def op_once(name: str, interval_s: float, now: float, job: JobOp) -> Callable[[Connection], bool]:
    """Run ``job`` in this transaction unless another node ran it less than ``interval_s`` ago.

    Returns True when this call ran it.
    """
    t = schema.periodic_jobs

    def run(conn: Connection) -> bool:
        if not database.advisory_xact_lock(conn, f"job:{name}", wait=False):
            return False
        conn.execute(database.upsert(conn, t).values(name=name, last_run=0.0)
                     .on_conflict_do_nothing(index_elements=["name"]))
        due = conn.execute(update(t).where(t.c.name == name, t.c.last_run <= now - interval_s)
                           .values(last_run=now))
        if due.rowcount != 1:
            return False
        job(conn)
        return True
    return run


@dataclass
class Job:
    """A periodic job: ``make()`` builds the write operation at run time (it may read the config)."""

    name: str
    interval_s: float
    make: Callable[[float], JobOp]


class Housekeeper:
    """Runs :class:`Job`\\ s on the event loop, each once per interval cluster-wide."""

    def __init__(self, store: Store, jobs: list[Job], *, tick_s: float = 15.0) -> None:
        self.store = store
        self.jobs = jobs
        self.tick_s = tick_s
        self._task: asyncio.Task[None] | None = None
        #: how many times each job ran on this node (tests, logs)
        self.runs: dict[str, int] = {}

    async def run_due(self) -> list[str]:
        """Run the jobs that are due now (on this node); returns the names of those this node ran."""
        ran: list[str] = []
        for job in self.jobs:
            now = time.time()
            try:
                if await self.store.write(op_once(job.name, job.interval_s, now, job.make(now))):
                    ran.append(job.name)
                    self.runs[job.name] = self.runs.get(job.name, 0) + 1
            except Exception:  # noqa: BLE001 - one failing job must not stop the others
                log.exception("periodic job %s failed", job.name)
        return ran

    async def _loop(self) -> None:
        while True:
            await self.run_due()
            await asyncio.sleep(self.tick_s)

    def start(self) -> None:
        """Run the due jobs now and every ``tick_s`` seconds after, in a task on the running loop (no-op if started)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="hookhub-housekeeper")

    async def stop(self) -> None:
        """Cancel the jobs' task and wait until it has ended (no-op when not started)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def standard_jobs(config: Callable[[], Any]) -> list[Job]:
    """hookhub's own periodic jobs; ``config()`` returns the current :class:`~hookhub.config.Config`.

    * ``prune-history``: history retention (``storage.history_max_entries`` / ``history_max_age_days``)
      for every integration, every ``storage.prune_every_s`` (default 300 s);
    * ``prune-claims``: delivery claims older than the longest ``dedupe.window_s`` (+ lease), hourly;
    * ``prune-rate-counters``: rate-limit windows that ended over an hour ago, every 10 minutes.
    """
    def history(now: float) -> JobOp:
        storage = config().storage
        return op_prune_all_history(max_entries=storage.history_max_entries,
                                    max_age_s=storage.history_max_age_days * 86400, now=now)

    def claims(now: float) -> JobOp:
        cfg = config()
        longest = max([i.dedupe.window_s + i.dedupe.lease_s for i in cfg.integrations if i.dedupe] or [0])
        return op_prune_claims(now - max(longest, 3600) - 60)

    def counters(now: float) -> JobOp:
        cfg = config()
        longest = max([i.rate_limit.per_seconds for i in cfg.integrations if i.rate_limit] or [0])
        return op_prune_counters(now - longest - 3600)

    every = config().storage.prune_every_s
    return [Job("prune-history", every, history), Job("prune-claims", 3600, claims),
            Job("prune-rate-counters", 600, counters)]


def op_prune_all_history(*, max_entries: int, max_age_s: float, now: float) -> JobOp:
    """History retention for every integration in a few statements: entries older than ``max_age_s``,
    then the oldest entries of the integrations holding more than ``max_entries`` (0: no limit)."""
    t = schema.history

    def run(conn: Connection) -> None:
        if max_age_s:
            conn.execute(delete(t).where(t.c.ts < now - max_age_s))
        if max_entries:
            over = conn.execute(select(t.c.integration_id).group_by(t.c.integration_id)
                                .having(func.count() > max_entries)).scalars().all()
            for integration_id in over:
                op_prune_history(integration_id, max_entries=max_entries, max_age_s=0, now=now)(conn)
    return run

"""Prometheus metrics (``GET /metrics``, docs/operations.md lists every series).

One :class:`Metrics` per hub.  Each stage reports with one call (the hook
path, the sandbox outcome, the store's writer thread, the outbox); labelled
children are bound once per integration when the configuration is loaded, so
recording costs a dict look-up and an increment (a child is made on an
integration's first event of that kind, so idle integrations cost no series).  Label values are bounded:
integration ids and bridge names from the YAML file, never user input (a
hook URL naming an unknown integration counts under ``_unknown``).

Several server processes: when ``PROMETHEUS_MULTIPROC_DIR`` is set (``hookhub
serve --workers N`` sets a fresh one per run before the processes start, see
:func:`prepare_multiprocess`), every process writes its values to files in
that folder and a scrape merges them (prometheus_client's multi-process
mode); gauges of processes that are gone are dropped.  The outbox gauges
(queued deliveries, retries pending) are read from the database at scrape
time, so they are right across processes and nodes.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import glob
import os
import re
import shutil
import tempfile
from typing import TYPE_CHECKING, Any

from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest,
                               values)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .hookspecs import hookimpl

if TYPE_CHECKING:  # pragma: no cover
    from .hub import Hub
    from .delivery.outbox import Delivery, Verdict
    from .registry import Registry
    from .sandbox.base import CallOutcome

ENV = "PROMETHEUS_MULTIPROC_DIR"
#: label of hook calls naming no configured integration (and of posts without one)
UNKNOWN = "_unknown"
#: label of messages posted through the API (``chat.postMessage``), not by an integration
API = "_api"
#: how often each process copies the sandbox pool's state into the gauges
SAMPLE_S = 1.0
#: the reason every sandbox gives for a call that ran out of time
TIMEOUT_REASON = "the script timed out"

DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 60.0, 300.0, 1800.0, 3600.0, 86400.0)


def multiprocess() -> bool:
    """True when values are shared through files between server processes."""
    return bool(os.environ.get(ENV))


def prepare_multiprocess() -> str:
    """Before the server processes start: a fresh metrics folder for this run.

    A temporary folder is created, exported to the processes through the
    environment, and removed when this (parent) process exits.  An operator's
    own ``PROMETHEUS_MULTIPROC_DIR`` is used as it is (they empty it between
    runs, as prometheus_client's documentation asks).  Returns the folder.
    """
    path = os.environ.get(ENV)
    if not path:
        path = tempfile.mkdtemp(prefix="hookhub-metrics-")
        os.environ[ENV] = path
        owner = os.getpid()

        def cleanup() -> None:
            if os.getpid() == owner:
                shutil.rmtree(path, ignore_errors=True)
        atexit.register(cleanup)
    _use_files()
    return path


def _use_files() -> None:
    """Switch prometheus_client to file-backed values if it was imported before the variable was set."""
    if multiprocess() and not getattr(values.ValueClass, "_multiprocess", False):
        values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]


class _Bound:
    """The children of one integration's series: bound at load, each child made on first use.

    (10,000 integrations would otherwise mean 230,000 zero-valued series, seconds per scrape.)
    """

    __slots__ = ("id", "status", "duration", "counters")

    def __init__(self, integration_id: str) -> None:
        self.id = integration_id
        self.status: dict[int, Any] = {}
        self.duration: Any = None
        self.counters: dict[str, Any] = {}


class Metrics:
    """The series of one hub and the calls that record them."""

    def __init__(self) -> None:
        _use_files()
        # no *_created series: the multi-process mode has none, and they double the output
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.files = multiprocess()
        #: the registry scraped in single-process mode (file-backed values need none)
        self.registry = CollectorRegistry(auto_describe=True)
        reg = None if self.files else self.registry
        per = ["integration"]
        self.webhooks = Counter("hookhub_webhooks", "Webhooks received, by integration and HTTP status answered",
                                ["integration", "status"], registry=reg)
        self.webhook_duration = Histogram("hookhub_webhook_duration_seconds",
                                          "Time from a hook request's arrival to its answer", per,
                                          buckets=DURATION_BUCKETS, registry=reg)
        self.script_errors = Counter("hookhub_script_errors", "Script calls that failed (other than timeouts)",
                                     per, registry=reg)
        self.script_timeouts = Counter("hookhub_script_timeouts", "Script calls stopped at their timeout_ms",
                                       per, registry=reg)
        self.saturations = Counter("hookhub_sandbox_saturations", "Calls refused because the integration's "
                                   "sandbox concurrency and queue were full (503)", per, registry=reg)
        self.quarantines = Counter("hookhub_sandbox_quarantines", "Quarantines begun because an integration's "
                                   "calls kept timing out (sandbox.quarantine)", per, registry=reg)
        self.duplicates = Counter("hookhub_duplicates", "Deliveries answered as duplicates (dedupe)", per,
                                  registry=reg)
        self.signature_failures = Counter("hookhub_signature_failures", "Webhooks refused by their verify: check",
                                          per, registry=reg)
        self.messages = Counter("hookhub_messages_posted", "Messages posted, by integration (_api: the REST API)",
                                per, registry=reg)
        self.workers = Gauge("hookhub_sandbox_workers", "Live sandbox worker processes", registry=reg,
                             multiprocess_mode="livesum")
        self.workers_busy = Gauge("hookhub_sandbox_workers_busy", "Sandbox workers running a call", registry=reg,
                                  multiprocess_mode="livesum")
        self.queue = Gauge("hookhub_sandbox_queue_length", "Calls waiting for a sandbox worker", registry=reg,
                           multiprocess_mode="livesum")
        self.replacements = Counter("hookhub_sandbox_worker_replacements",
                                    "Sandbox workers killed or exited and replaced", registry=reg)
        self.batched = Counter("hookhub_sandbox_batched_calls", "Script calls sent to a worker in one frame "
                               "with others (a batch)", registry=reg)
        self.handed_back = Counter("hookhub_sandbox_handed_back_calls", "Calls of a batch a worker handed back "
                                   "unstarted (its slice passed, or a call made an HTTP() request)", registry=reg)
        self.batch_size = Histogram("hookhub_store_write_batch_size", "Writes committed together in one "
                                    "transaction (group commit)", buckets=BATCH_BUCKETS, registry=reg)
        self.commit_seconds = Histogram("hookhub_store_commit_seconds", "Time to run and commit one write batch",
                                        buckets=COMMIT_BUCKETS, registry=reg)
        self.attempts = Counter("hookhub_delivery_attempts", "Outgoing calls and bridge deliveries, by outcome",
                                ["kind", "target", "outcome"], registry=reg)
        self.latency = Histogram("hookhub_delivery_latency_seconds", "Time from queueing to a successful delivery",
                                 ["kind", "target"], buckets=LATENCY_BUCKETS, registry=reg)
        self._by_id: dict[str, _Bound] = {}
        self._unknown = _Bound(UNKNOWN)
        self._api = _Bound(API)
        self._targets: set[str] = set()
        self._attempts: dict[tuple[str, str, str], Any] = {}
        #: the pool's counters as last sampled (the series count the difference)
        self._seen: dict[str, int] = {}
        self._sampler: asyncio.Task[None] | None = None
        self._hub: Hub | None = None
        if not self.files:
            self.registry.register(_OutboxCollector(self))

    # -- configuration -------------------------------------------------------

    def bind(self, registry: Registry, bridges: list[str] | tuple[str, ...] = ()) -> None:
        """Bind the children of every configured integration (start-up and each reload)."""
        by_id = {}
        for iid in registry.integrations:
            by_id[iid] = self._by_id.get(iid) or _Bound(iid)
        self._by_id = by_id
        self._targets = set(by_id) | set(bridges)

    def of(self, integration_id: str | None) -> _Bound:
        """The bound children of an integration id, or of ``_unknown``."""
        if integration_id is None:
            return self._unknown
        return self._by_id.get(integration_id) or self._unknown

    # -- recording (one call per stage) ---------------------------------------

    def webhook(self, integration_id: str, status: int, seconds: float) -> None:
        """A hook URL was answered."""
        bound = self._by_id.get(integration_id) or self._unknown
        child = bound.status.get(status)
        if child is None:
            child = bound.status[status] = self.webhooks.labels(bound.id, str(status))
        child.inc()
        duration = bound.duration
        if duration is None:
            duration = bound.duration = self.webhook_duration.labels(bound.id)
        duration.observe(seconds)

    def _count(self, bound: _Bound, series: str) -> None:
        child = bound.counters.get(series)
        if child is None:
            child = bound.counters[series] = getattr(self, series).labels(bound.id)
        child.inc()

    def script_failed(self, integration_id: str, call: CallOutcome) -> None:
        """A sandbox call did not succeed: saturated, timed out or failed."""
        if call.saturated:
            series = "saturations"
        elif (call.reason or "").startswith(TIMEOUT_REASON):
            series = "script_timeouts"
        else:
            series = "script_errors"
        self._count(self.of(integration_id), series)

    def duplicate(self, integration_id: str) -> None:
        """A delivery was answered as a duplicate (``dedupe``): counts ``hookhub_duplicates``."""
        self._count(self.of(integration_id), "duplicates")

    def signature_failed(self, integration_id: str) -> None:
        """A webhook failed its ``verify:`` check: counts ``hookhub_signature_failures``."""
        self._count(self.of(integration_id), "signature_failures")

    def message_posted(self, integration_id: str | None) -> None:
        """A message was posted: counts ``hookhub_messages_posted`` (integration None: under ``_api``, the REST API)."""
        self._count(self._api if integration_id is None else self.of(integration_id), "messages")

    def store_commit(self, size: int, seconds: float) -> None:
        """The store's writer committed a batch (called from its thread)."""
        self.batch_size.observe(size)
        self.commit_seconds.observe(seconds)

    def delivery(self, delivery: Delivery, verdict: Verdict, now: float) -> None:
        """The outbox settled one attempt of a delivery."""
        outcome = ("retry" if verdict.status == "pending" else verdict.status) if verdict.attempted else "deferred"
        target = delivery.target if delivery.target in self._targets else UNKNOWN
        key = (delivery.kind, target, outcome)
        child = self._attempts.get(key)
        if child is None:
            child = self._attempts[key] = self.attempts.labels(*key)
        child.inc()
        if verdict.status == "delivered":
            self.latency.labels(delivery.kind, target).observe(max(0.0, now - delivery.created_at))

    # -- the sandbox pool's state ---------------------------------------------

    def sample(self, sandbox: Any) -> None:
        """Copy the pool's state (workers, busy, queue, replacements, batched calls) into the series."""
        stats = getattr(sandbox, "stats", None)
        if stats is None:
            return
        now = stats()
        self.workers.set(now["workers"])
        self.workers_busy.set(now["busy"])
        self.queue.set(now["queued"])
        for key, series in (("replacements", self.replacements), ("batched", self.batched),
                            ("handed_back", self.handed_back)):
            count = int(now.get(key, 0))
            if count > self._seen.get(key, 0):
                series.inc(count - self._seen.get(key, 0))
            self._seen[key] = count

    def _on_quarantine(self, integration_id: str, seconds: float, why: str) -> None:
        self.quarantines.labels(self.of(integration_id).id).inc()

    def start(self, hub: Hub) -> None:
        """Start sampling the pool every :data:`SAMPLE_S` (each process samples its own)."""
        self._hub = hub
        self.bind(hub.registry, [b.name for b in hub.config.bridges])
        self.sample(hub.sandbox)
        quarantine = getattr(hub.sandbox, "quarantine", None)
        if quarantine is not None and self._on_quarantine not in quarantine.listeners:
            quarantine.listeners.append(self._on_quarantine)

        async def loop() -> None:
            while True:
                await asyncio.sleep(SAMPLE_S)
                self.sample(hub.sandbox)

        with contextlib.suppress(RuntimeError):  # no running loop (synchronous tools)
            self._sampler = asyncio.get_running_loop().create_task(loop(), name="hookhub-metrics-sampler")

    def stop(self) -> None:
        """Stop the pool sampler started by :meth:`start` (no-op when none runs)."""
        if self._sampler is not None:
            self._sampler.cancel()
            self._sampler = None

    # -- exposition -------------------------------------------------------------

    def render(self) -> bytes:
        """The Prometheus text format of every series (all processes' in multi-process mode)."""
        if not self.files:
            return generate_latest(self.registry)
        path = os.environ[ENV]
        _drop_dead(path)
        scrape = CollectorRegistry()
        MultiProcessCollector(scrape, path)  # type: ignore[no-untyped-call]
        scrape.register(_OutboxCollector(self))
        return generate_latest(scrape)


_PID = re.compile(r"_(\d+)\.db$")


def _drop_dead(path: str) -> None:
    """Forget the live gauges of server processes that exited."""
    for name in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        m = _PID.search(name)
        if m is None:
            continue
        pid = int(m.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            mark_process_dead(pid, path)  # type: ignore[no-untyped-call]
        except PermissionError:
            pass


class _OutboxCollector:
    """Queued deliveries and pending retries, counted in the database at scrape time."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> list[Any]:
        queued = GaugeMetricFamily("hookhub_deliveries_queued", "Deliveries waiting for their first attempt",
                                   labels=["kind"])
        retries = GaugeMetricFamily("hookhub_delivery_retries_pending", "Deliveries waiting to be tried again",
                                    labels=["kind"])
        hub = self.metrics._hub
        if hub is None or not hub.started:
            return [queued, retries]
        from sqlalchemy import case, func, select

        from . import schema

        t = schema.deliveries
        q = (select(t.c.kind, func.sum(case((t.c.tries == 0, 1), else_=0)),
                    func.sum(case((t.c.tries > 0, 1), else_=0)))
             .where(t.c.status == "pending").group_by(t.c.kind))
        try:
            rows = {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in hub.store.read_now(lambda c: list(c.execute(q)))}
        except Exception:  # noqa: BLE001 - a store outage shows in /readyz, not as a failed scrape
            return [queued, retries]
        for kind in ("outgoing", "bridge"):
            first, again = rows.get(kind, (0, 0))
            queued.add_metric([kind], first)
            retries.add_metric([kind], again)
        return [queued, retries]


def routes(hub: Hub) -> list[Route]:
    """``GET /metrics``: admin token required unless ``server.metrics_public: true``."""
    from .web.auth import require_admin

    async def metrics(request: Request) -> Response:
        if not hub.config.server.metrics_public:
            require_admin(hub, request)
        hub.metrics.sample(hub.sandbox)  # on the loop: the pool is not thread-safe
        body = await asyncio.to_thread(hub.metrics.render)
        return Response(body, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8",
                                       "Cache-Control": "no-store"})

    return [Route("/metrics", metrics, methods=["GET"])]


@hookimpl
def hookhub_message_posted(hub: Hub, message: dict[str, Any], integration_id: str | None) -> None:
    hub.metrics.message_posted(integration_id)

"""How ``hookhub serve`` runs uvicorn: deadlines, header limits and a connection cap.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) but has
no deadline for reading a request's headers or body and no cap on open
connections that keeps serving.  :class:`GuardedProtocol` (uvicorn's
httptools protocol with a few additions) adds them:

* **Header deadline** (``server.header_timeout_s``): from the moment a
  connection opens, or its previous response was sent, the whole header
  block must arrive in time; else 408 (or a silent close if nothing came).
* **Body deadline** (``server.body_timeout_s``): once the headers are in, the
  body must be complete in time; else 408.  So no connection stays open
  longer than header + body deadline without completing a request.
* **Header limits** (``server.max_header_bytes`` for the request line and
  headers together, ``server.max_header_field_bytes`` for one header):
  counted while the bytes arrive, so a 60 MB header is refused after the
  first chunk past the limit, with a 431 in the JSON envelope.
* **Connection cap** (``server.max_connections``): when a new connection
  would exceed it, the oldest *idle* connections (no request being answered)
  are closed to make room, so idle or slow clients cannot lock webhooks out.
  It is logged (at most once every 10 s).  At start the soft ``RLIMIT_NOFILE``
  is raised to the hard limit, and the cap is lowered to fit it.

``--workers N``: With ``--workers 1`` (the default) the application runs in the ``hookhub
serve`` process itself.  With ``--workers N`` the process becomes uvicorn's
supervisor: it validates the configuration, applies the migrations, prints
the banner, creates a per-run directory, binds the port, then *spawns* N
worker processes (``multiprocessing`` spawn, not fork).  Each worker rebuilds
the configuration from the environment the supervisor set
(:data:`ENV_CONFIG`, ...) through :func:`app_from_env`, and runs its own
``Hub`` with its own sandbox pool and store connections.  The supervisor
restarts a worker that dies, replaces them one by one on ``SIGHUP`` (a
rolling restart that also re-reads the YAML file), and stops them all on
``SIGTERM``/``SIGINT``.

Before the processes start, the supervisor prepares what they share:
``PROMETHEUS_MULTIPROC_DIR`` (:func:`hookhub.metrics.prepare_multiprocess`, a
fresh folder per run so ``/metrics`` merges every process), and a per-run
directory (:func:`prepare_run_dir`) exported as ``HOOKHUB_RUN_DIR`` and handed
to the functions in :data:`RUN_DIR_HOOKS`, for anything else that must exist
before the workers do; both are removed when the supervisor exits.

Every worker process runs the same guards as a single process: uvicorn is
given the import string :data:`WORKER_HTTP` as its protocol, which each
spawned worker imports (a class built in the supervisor could not cross the
spawn).  The worker builds its guarded protocol from the configuration it
loaded itself (:func:`app_from_env`, so a ``SIGHUP`` rolling restart picks up
new ``server.*`` deadlines too), raises its own ``RLIMIT_NOFILE`` and keeps
its own connection cap: ``server.max_connections`` applies **per process**.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .jsontext import dumps_bytes

if TYPE_CHECKING:  # pragma: no cover
    import uvicorn

    from .config import ServerConfig

log = logging.getLogger("hookhub.server")

#: File descriptors kept for everything but client connections (store, workers, logs...).
FD_RESERVE = 256
_LOG_EVERY_S = 10.0


def raise_nofile_limit() -> int:
    """Raise the soft ``RLIMIT_NOFILE`` to the hard limit; return the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:  # e.g. a hard limit above the kernel's nr_open
            log.warning("could not raise the open-file limit from %d to %d: %s", soft, target, exc)
    return int(soft)


def connection_cap(configured: int, nofile: int) -> int:
    """``configured``, lowered so that the connections fit the open-file limit with :data:`FD_RESERVE` to spare."""
    if nofile == resource.RLIM_INFINITY:
        return configured
    return max(16, min(configured, nofile - FD_RESERVE))


def _json_answer(status: int, phrase: str, error: str) -> bytes:
    body = dumps_bytes({"success": False, "error": error})
    head = (f"HTTP/1.1 {status} {phrase}\r\ncontent-type: application/json\r\ncache-control: no-store\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")
    return head.encode("ascii") + body


def guarded_protocol(server: ServerConfig, max_connections: int) -> type[asyncio.Protocol]:
    """A protocol class for uvicorn's ``Config(http=...)`` enforcing ``server``'s limits."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    keep_alive = int(server.keep_alive_s)
    header_timeout = float(server.header_timeout_s)
    body_timeout = float(server.body_timeout_s)
    max_block = int(server.max_header_bytes)
    max_field = int(server.max_header_field_bytes)
    #: every open connection, oldest first (dicts keep insertion order)
    open_conns: dict[Any, None] = {}
    shed = {"count": 0, "logged": 0.0}
    #: the read deadlines are checked by one sweep every ``tick`` seconds over the open connections,
    #: not by a timer per request (arming and cancelling two timers cost ~10 µs per request)
    tick = min(0.5, max(0.01, min(header_timeout, body_timeout) / 10))
    sweeper: dict[str, asyncio.TimerHandle | None] = {"handle": None}

    def sweep() -> None:
        sweeper["handle"] = None
        if not open_conns:
            return
        loop = next(iter(open_conns)).loop
        now = loop.time()
        for conn in list(open_conns):
            deadline = conn._deadline
            if deadline is not None and deadline <= now:
                conn._deadline = None
                conn._expired(conn._waiting_for)
        if open_conns:
            sweeper["handle"] = loop.call_later(tick, sweep)

    class GuardedProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol with read deadlines, header limits and a connection cap."""

        #: when the current read deadline passes (the loop's clock), None when none is running
        _deadline: float | None = None
        _waiting_for = "headers"
        _in_headers = True
        _raw_header_bytes = 0
        _headers_seen = 0
        _too_large: str | None = None
        _answering = False

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.timeout_keep_alive = keep_alive  # (the Config of a --workers process is the supervisor's)

        # -- connection ---------------------------------------------------

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            open_conns[self] = None
            if len(open_conns) > max_connections:
                self._shed()
            self._start_request()

        def connection_lost(self, exc: Exception | None) -> None:
            open_conns.pop(self, None)
            self._cancel()
            super().connection_lost(exc)

        def _shed(self) -> None:
            excess = len(open_conns) - max_connections
            for conn in list(open_conns):
                if excess <= 0:
                    break
                if conn is not self and not conn._answering:
                    open_conns.pop(conn, None)
                    conn._cancel()
                    conn.transport.close()
                    excess -= 1
                    shed["count"] += 1
            now = time.monotonic()
            if shed["count"] and now - shed["logged"] >= _LOG_EVERY_S:
                log.warning("connection cap reached (server.max_connections=%d): closed the %d oldest idle "
                            "connection(s) to accept new ones", max_connections, shed["count"])
                shed["logged"], shed["count"] = now, 0

        # -- deadlines ----------------------------------------------------

        def _cancel(self) -> None:
            self._deadline = None

        def _arm(self, seconds: float, what: str) -> None:
            self._deadline, self._waiting_for = self.loop.time() + seconds, what
            if sweeper["handle"] is None:
                sweeper["handle"] = self.loop.call_later(tick, sweep)

        def _start_request(self) -> None:
            self._in_headers = True
            self._arm(header_timeout, "headers")

        def _expired(self, what: str) -> None:
            if self.transport.is_closing():
                return
            if what == "body" or self._raw_header_bytes:
                limit = f"server.{what[:-1] if what == 'headers' else what}_timeout_s"
                seconds = header_timeout if what == "headers" else body_timeout
                self.transport.write(_json_answer(408, "Request Timeout", f"the request's {what} did not arrive "
                                                                          f"within {seconds:g} s ({limit})"))
            self.transport.close()

        # -- parsing ------------------------------------------------------

        def data_received(self, data: bytes) -> None:
            counting, seen = self._in_headers, self._headers_seen
            super().data_received(data)
            # a read counts when it was all header bytes: it began and ended inside a header block
            if counting and self._in_headers and seen == self._headers_seen and not self.transport.is_closing():
                self._raw_header_bytes += len(data)
                if self._raw_header_bytes > max_block and self._too_large is None:
                    self._too_large = (f"request header block larger than {max_block} bytes "
                                       "(server.max_header_bytes)")
            if self._too_large is not None and not self.transport.is_closing():
                self._refuse()

        def _refuse(self) -> None:
            self._cancel()
            self.transport.write(_json_answer(431, "Request Header Fields Too Large", self._too_large or ""))
            self.transport.close()

        def _header_problem(self) -> str | None:
            """Why the complete header block is refused (431), checked once per request: uvicorn
            collected the URL and the headers (names lower-cased) while parsing, so no Python call
            per header is added to its own."""
            total = len(self.url)
            for name, value in self.headers:
                size = len(name) + len(value)
                if size > max_field:
                    return (f"request header {name[:40].decode('latin-1')!r} is {size} bytes, more than "
                            f"{max_field} (server.max_header_field_bytes)")
                total += size + 4
            if total > max_block:
                return f"request header block larger than {max_block} bytes (server.max_header_bytes)"
            return None

        def on_headers_complete(self) -> None:
            self._in_headers, self._raw_header_bytes = False, 0
            self._headers_seen += 1
            if self._too_large is None:
                self._too_large = self._header_problem()
            if self._too_large is not None:
                return  # answered 431 by data_received; the application never sees it
            self._answering = True
            self._arm(body_timeout, "body")
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            if self._too_large is None:
                super().on_body(body)

        def on_message_complete(self) -> None:
            self._cancel()
            self._in_headers = True  # what follows is the next request's header block: counted
            if self._too_large is None:
                super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.transport.is_closing():
                return
            if self.cycle is not None and not self.cycle.response_complete:
                self._answering = True  # uvicorn started a pipelined request: no header deadline for it
                self._cancel()
            else:
                self._answering = False
                self._start_request()

    return GuardedProtocol


def process_protocol(server: ServerConfig, nofile: int | None = None) -> type[asyncio.Protocol] | str:
    """This process's guarded protocol class (``"h11"`` without httptools); raises ``RLIMIT_NOFILE`` first
    unless ``nofile`` is given, and lowers the connection cap to fit it."""
    nofile = raise_nofile_limit() if nofile is None else nofile
    cap = connection_cap(server.max_connections, nofile)
    if cap < server.max_connections:
        log.warning("server.max_connections lowered from %d to %d to fit the open-file limit (%d)",
                    server.max_connections, cap, nofile)
    try:
        return guarded_protocol(server, cap)
    except ImportError:  # no httptools: h11 has a header-size limit, not the deadlines
        log.warning("httptools is not installed: header and body deadlines are not enforced "
                    "(pip install 'uvicorn[standard]')")
        return "h11"


def uvicorn_config(app: Any, server: ServerConfig, log_level: str = "info",
                   nofile: int | None = None) -> uvicorn.Config:
    """The uvicorn configuration ``hookhub serve`` runs ``app`` with."""
    import uvicorn

    http = process_protocol(server, nofile)
    return uvicorn.Config(app, host=server.host, port=server.port, log_level=log_level, access_log=False,
                          server_header=False, proxy_headers=False, http=http, log_config=None,
                          timeout_keep_alive=server.keep_alive_s, h11_max_incomplete_event_size=server.max_header_bytes)


def run(app: Any, server: ServerConfig, log_level: str = "info") -> None:
    """Serve ``app`` until interrupted (what ``hookhub serve`` does after loading the configuration)."""
    import uvicorn

    uvicorn.Server(uvicorn_config(app, server, log_level)).run()

ENV_CONFIG = "HOOKHUB_SERVE_CONFIG"
ENV_DEV = "HOOKHUB_SERVE_DEV"
ENV_HOST = "HOOKHUB_SERVE_HOST"
ENV_PORT = "HOOKHUB_SERVE_PORT"
ENV_LOG_LEVEL = "HOOKHUB_SERVE_LOG_LEVEL"
#: number of server processes of this run (read by :class:`hookhub.store.Store` to know it is shared)
ENV_WORKERS = "HOOKHUB_WORKERS"
#: the per-run directory (see :func:`prepare_run_dir`)
ENV_RUN_DIR = "HOOKHUB_RUN_DIR"

#: called with the per-run directory before the workers start (e.g. to set PROMETHEUS_MULTIPROC_DIR)
RUN_DIR_HOOKS: list[Callable[[Path], None]] = []


def prepare_run_dir() -> Path:
    """Create this run's directory, export it as ``HOOKHUB_RUN_DIR`` and run :data:`RUN_DIR_HOOKS`."""
    path = Path(tempfile.mkdtemp(prefix="hookhub-run-"))
    os.environ[ENV_RUN_DIR] = str(path)
    for hook in RUN_DIR_HOOKS:
        hook(path)
    return path


def uvicorn_options(log_level: str) -> dict[str, Any]:
    """The uvicorn settings every hookhub server process uses (logging is hookhub's: hookhub.logs)."""
    return {"log_level": log_level, "access_log": False, "server_header": False, "proxy_headers": False,
            "log_config": None}


def run_workers(*, config_path: str, dev: bool, host: str, port: int, log_level: str, workers: int) -> None:
    """Run ``workers`` server processes under uvicorn's supervisor (returns when they all stopped)."""
    import uvicorn

    os.environ.update({ENV_CONFIG: str(Path(config_path).resolve()), ENV_DEV: "1" if dev else "",
                       ENV_HOST: host, ENV_PORT: str(port), ENV_LOG_LEVEL: log_level,
                       ENV_WORKERS: str(workers)})
    run_dir = prepare_run_dir()
    from .metrics import prepare_multiprocess

    prepare_multiprocess()  # one PROMETHEUS_MULTIPROC_DIR for the processes of this run (docs/operations.md)
    try:
        uvicorn.run("hookhub.serving:app_from_env", factory=True, host=host, port=port, workers=workers,
                    http=WORKER_HTTP, **uvicorn_options(log_level))
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


#: the protocol of a ``--workers N`` process, as uvicorn imports it in each spawned worker
WORKER_HTTP = "hookhub.serving:worker_protocol"
#: this worker process's protocol class, built by :func:`app_from_env` from the configuration it loaded
_worker_http: list[Callable[..., asyncio.Protocol]] = []


def worker_protocol(**kwargs: Any) -> asyncio.Protocol:
    """uvicorn's protocol factory in a ``--workers N`` process: a connection of this process's guarded protocol."""
    if not _worker_http:  # (app_from_env runs first: uvicorn loads the application before it serves)
        from .config import load_config

        install_worker_protocol(load_config(os.environ[ENV_CONFIG], dev=bool(os.environ.get(ENV_DEV))).server)
    return _worker_http[0](**kwargs)


def install_worker_protocol(server: ServerConfig) -> None:
    """Build this worker process's guarded protocol (its own open-file limit and connection cap)."""
    http = process_protocol(server)
    if isinstance(http, str):
        from uvicorn.protocols.http.h11_impl import H11Protocol

        http = H11Protocol
    _worker_http[:] = [http]


def app_from_env() -> Any:
    """The application of one worker process, built from the supervisor's environment (uvicorn factory)."""
    from .web import make_app
    from .config import load_config
    from .hub import Hub
    from .logs import config_secrets, configure

    level = os.environ.get(ENV_LOG_LEVEL, "info")
    config = load_config(os.environ[ENV_CONFIG], dev=bool(os.environ.get(ENV_DEV)))
    configure(level, config.server.log_format, config_secrets(config))
    server = config.server.model_copy(update={"host": os.environ.get(ENV_HOST, config.server.host),
                                              "port": int(os.environ.get(ENV_PORT, config.server.port))})
    config = config.model_copy(update={"server": server})
    install_worker_protocol(server)
    hub = Hub(config)
    hub.freeze_heap = True  # see hookhub.hub.Hub.settle_heap
    return make_app(hub)

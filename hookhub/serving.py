"""``hookhub serve``: one server process, or ``--workers N`` processes sharing one port and one store.

With ``--workers 1`` (the default) the application runs in the ``hookhub
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
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def prepare_store(url: str) -> str | None:
    """Check the store and apply its migrations once, before any server process starts.

    Returns None when the store is ready, else one line saying what is wrong
    (no traceback, no password).
    """
    from .database import mask_secret, problem
    from .redact import mask_url
    from .store import Store

    reason = problem(url)
    if reason is not None:
        return reason
    try:
        store = Store(url)
        try:
            store.migrate()
        finally:
            store.close()
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        first = (mask_secret(str(exc), url).splitlines() or [type(exc).__name__])[0]
        return f"storage.url {mask_url(url)}: cannot prepare the schema: {first}"
    return None


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
                    **uvicorn_options(log_level))
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def app_from_env() -> Any:
    """The application of one worker process, built from the supervisor's environment (uvicorn factory)."""
    from .app import make_app
    from .config import load_config
    from .hub import Hub
    from .logs import config_secrets, configure

    level = os.environ.get(ENV_LOG_LEVEL, "info")
    config = load_config(os.environ[ENV_CONFIG], dev=bool(os.environ.get(ENV_DEV)))
    configure(level, config.server.log_format, config_secrets(config))
    server = config.server.model_copy(update={"host": os.environ.get(ENV_HOST, config.server.host),
                                              "port": int(os.environ.get(ENV_PORT, config.server.port))})
    config = config.model_copy(update={"server": server})
    return make_app(Hub(config))

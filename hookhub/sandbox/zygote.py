"""The zygote: a clean, warm, single-threaded process that forks workers.

Started by the pool (``python -m hookhub.sandbox.zygote FD``) with a
scrubbed environment, it receives the script engines, imports and warms up
everything a worker needs (so that sealed workers never have to open a
file), then forks one worker per request.  Forking from this process costs
a few milliseconds, where starting a fresh interpreter costs a few hundred,
and is safe because the zygote has no threads (the server has many).

Control protocol (``SOCK_SEQPACKET``, one JSON object per packet):

* server → zygote: ``{"op": "init", "engines": {name: recipe}}`` then
  ``{"op": "fork"}`` with the worker's channel descriptor attached;
* zygote → server: ``{"op": "ready"}``, ``{"op": "forked", "pid": N}``,
  ``{"op": "exited", "pid": N, "reason": "killed by SIGKILL ..."}``.
"""

from __future__ import annotations

import base64
import gc
import importlib
import json
import os
import pickle
import select
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from .oslimits import describe_status, die_with_parent
from ..engines.python.modules import warm_up
from .worker import run_worker

MAX_PACKET = 1 << 20


def engine_recipe(engine: Any) -> dict[str, str]:
    """How the zygote re-creates an engine: pickled, else its class built without arguments."""
    try:
        return {"pickle": base64.b64encode(pickle.dumps(engine)).decode("ascii")}
    except Exception:  # noqa: BLE001 - any pickling failure: fall back to the class
        cls = type(engine)
        return {"module": cls.__module__, "qualname": cls.__qualname__}


def _build_engine(recipe: dict[str, str]) -> Any:
    if "pickle" in recipe:
        return pickle.loads(base64.b64decode(recipe["pickle"]))
    obj: Any = importlib.import_module(recipe["module"])
    for part in recipe["qualname"].split("."):
        obj = getattr(obj, part)
    return obj()


def _send(ctl: socket.socket, message: dict[str, Any]) -> None:
    ctl.send(json.dumps(message).encode("utf-8"))


def _prepare(engines: dict[str, Any]) -> None:
    warm_up()
    try:  # resolve libseccomp now: find_library runs ldconfig, impossible once sealed
        import pyseccomp  # noqa: F401
    except (ImportError, RuntimeError, OSError):
        pass
    for engine in engines.values():
        hook = getattr(engine, "warm_up", None)
        if callable(hook):
            hook()
    gc.collect()
    gc.freeze()


def _plugin_globals(options: dict[str, Any] | None) -> Any:
    """Load the extension plugins (before sealing) when any provides sandbox globals."""
    if options is None:
        return None
    from ..plugins import make_plugin_manager
    from .host import plugin_globals

    plugins_dir = options.get("plugins_dir")
    pm = make_plugin_manager(block=options.get("block") or (),
                             plugins_dir=Path(plugins_dir) if plugins_dir else None)
    return plugin_globals(pm)


def main(argv: list[str]) -> int:
    """Serve the pool on the control socket whose descriptor is ``argv[1]``: build
    and warm up the engines of the ``init`` packet, say ``ready``, then fork a
    worker per ``fork`` and report ``forked``/``exited``; 0 once the server is gone."""
    ctl = socket.socket(fileno=int(argv[1]))
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when we stop
    init = json.loads(ctl.recv(MAX_PACKET))
    engines = {name: _build_engine(recipe) for name, recipe in init["engines"].items()}
    globals_for = _plugin_globals(init.get("plugins"))
    _prepare(engines)

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    _send(ctl, {"op": "ready", "pid": os.getpid()})

    while True:
        readable: list[Any]
        readable, _, _ = select.select([ctl, wake_r], [], [])  # type: ignore[type-var]
        if wake_r in readable:
            os.read(wake_r, 4096)
            while True:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                _send(ctl, {"op": "exited", "pid": pid, "reason": describe_status(status)})
        if ctl in readable:
            try:
                data, fds, _flags, _addr = socket.recv_fds(ctl, MAX_PACKET, 1)
            except OSError:
                return 0
            if not data:
                return 0  # the server went away
            message = json.loads(data)
            if message.get("op") != "fork" or len(fds) != 1:
                for fd in fds:
                    os.close(fd)
                continue
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.close(wake_r)
                os.close(wake_w)
                ctl.close()
                run_worker(fds[0], engines, globals_for)  # never returns
            os.close(fds[0])
            _send(ctl, {"op": "forked", "pid": pid})


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Dry runs: an integration's script as it is on disk now, on a request, changing nothing.

:func:`dry_run` is what ``POST .../history/{hid}/replay?dry_run=1`` and the
admin UI's replay diff and script test call.  It

- reads the script again (``script_file`` as it is on disk now; an inline
  ``script:`` as loaded from the YAML file) and compiles it;
- runs it in a **fresh** ``Script`` instance, under a temporary sandbox id, so
  the live instances (and their ``self`` state) are not touched;
- gives that instance a **copy** of the integration's ``Store`` (the live
  one, else the committed one);
  what the script stores is shown (``store``) and then dropped;
- stores nothing (no message, log, history row or Store), fires no outgoing
  integration or bridge, and by default runs with ``HTTP()`` disabled (a
  dry run must not call out; ``allow_http=True`` keeps the integration's
  egress policy);
- says which version of the script ran (:class:`ScriptVersion`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from . import schema
from .pipeline import Inbound, Outcome, process
from .registry import Integration, build_integration
from .ids import new_id

if TYPE_CHECKING:  # pragma: no cover
    from .hub import Hub

__all__ = ["DryRun", "FreshInstance", "ScriptVersion", "dry_run", "fresh_instance", "script_version"]


@dataclass(frozen=True)
class ScriptVersion:
    """Which script a dry run used."""

    #: the script file (resolved path), or ``<yaml file>#integrations.<id>.script``
    source: str
    #: sha256 of the source text, hex
    sha256: str
    #: the file's modification time (ISO 8601 UTC), None for an inline script
    mtime: str | None
    engine: str | None
    #: whether it is the version the live workers run (False: edited since the last load)
    same_as_loaded: bool

    def to_json(self) -> dict[str, Any]:
        """The ``script`` object of a dry-run answer."""
        return dataclasses.asdict(self)


@dataclass
class DryRun:
    """A dry run's outcome, the script version that produced it, and the Store it left."""

    outcome: Outcome
    script: ScriptVersion
    #: the Store the script would have left (the copy it ran with, changed or not)
    store: dict[str, Any]
    #: whether ``HTTP()`` was allowed
    http: bool

    def to_json(self) -> dict[str, Any]:
        """The ``new`` side of a replay answer."""
        o = self.outcome
        return {"status": o.status, "response": o.body, "result": o.result,
                "messages": [d.doc for d in o.drafts], "logs": [r.to_api() for r in o.logs],
                "store": self.store, "script": self.script.to_json(),
                "http": "allowed" if self.http else "disabled"}


def script_version(hub: Hub, fresh: Integration, live: Integration | None) -> ScriptVersion:
    """Describe the script of *fresh* (just read) against the loaded *live* one."""
    cfg = fresh.config
    mtime: str | None = None
    if cfg.script_file:
        path = hub.config.resolve(cfg.script_file)
        source_name = str(path)
        try:
            mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).isoformat()
        except OSError:
            mtime = None
    else:
        source_name = f"{hub.config.file}#integrations.{cfg.id}.script"
    text = fresh.spec.source if fresh.spec is not None else (cfg.script or "")
    if fresh.spec is None and cfg.script_file:
        try:
            text = hub.config.resolve(cfg.script_file).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
    live_source = live.spec.source if live is not None and live.spec is not None else None
    return ScriptVersion(source=source_name, sha256=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
                         mtime=mtime, engine=fresh.spec.engine if fresh.spec else fresh.engine_name,
                         same_as_loaded=live_source == text and fresh.compile_error is None
                         and (live is None or live.compile_error is None))


async def committed_store(hub: Hub, integration_id: str) -> dict[str, Any]:
    """The integration's ``Store`` as last committed (a copy)."""
    t = schema.script_store
    rows = await hub.store.read(lambda c: [r.data for r in c.execute(
        select(t).where(t.c.integration_id == integration_id))])
    data = rows[0] if rows else None
    return dict(data) if isinstance(data, dict) else {}


async def dry_run(hub: Hub, integ: Integration, inbound: Inbound, *, allow_http: bool = False) -> DryRun:
    """Run *integ*'s current script on *inbound* in a fresh instance; store and send nothing.

    The integration's settings (channel, defaults, limits) are the loaded ones;
    the script is read again from disk.  Never raises for anything the script
    does: a compile error, an exception or a refused result is in the outcome.
    """
    async with fresh_instance(hub, integ, allow_http=allow_http) as fresh:
        # no script, or it does not compile (sandbox_id None): process() answers for it
        outcome = await process(hub, fresh.integration, inbound, sandbox_id=fresh.sandbox_id)
    return DryRun(outcome, fresh.version, {**fresh.store, **(outcome.store or {})}, allow_http)


@dataclass
class FreshInstance:
    """A script read from disk and loaded under a temporary sandbox id (see :func:`fresh_instance`)."""

    #: the integration with the script just read (its spec names ``sandbox_id``)
    integration: Integration
    #: the temporary sandbox id to call, None when there is no script to run (none, or it does not compile)
    sandbox_id: str | None
    version: ScriptVersion
    #: the copy of the committed Store the instance starts with
    store: dict[str, Any]


@contextlib.asynccontextmanager
async def fresh_instance(hub: Hub, integ: Integration, *, allow_http: bool = False) -> AsyncIterator[FreshInstance]:
    """*integ*'s script as on disk now, loaded as a new instance with a copy of its Store; unloaded after.

    Callers run any of its methods with ``hub.sandbox.call(fresh.sandbox_id, ...)``
    (the outgoing dry-run replay calls ``prepare_outgoing_request`` this way).
    """
    fresh = build_integration(hub.config, integ.config, hub.engines)
    version = script_version(hub, fresh, integ)
    live = hub.sandbox.store_of(integ.id)  # the live instance's Store (outgoing scripts' is not persisted)
    store = live if live is not None else await committed_store(hub, integ.id)
    if fresh.spec is None:
        yield FreshInstance(fresh, None, version, store)
        return
    sandbox_id = f"{integ.id}#dry-run-{new_id()}"
    spec = dataclasses.replace(fresh.spec, integration_id=sandbox_id,
                               allow_hosts=fresh.spec.allow_hosts if allow_http else ())
    try:
        await hub.sandbox.load(spec)
        hub.sandbox.restore_store(sandbox_id, dict(store))
        yield FreshInstance(dataclasses.replace(fresh, spec=spec), sandbox_id, version, store)
    finally:
        await hub.sandbox.unload(sandbox_id)

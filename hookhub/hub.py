"""The running service: configuration, registry, store, sandbox and plugins together.

A :class:`Hub` is built from a :class:`~hookhub.config.Config`; ``start()``
opens the store, mirrors users and channels into it and loads every script
into the sandbox; ``stop()`` undoes that.  The HTTP layer, the CLI and tests
all drive the same object.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import Any, Callable

import pluggy

from . import logs, plugins
from .cluster import Housekeeper, standard_jobs
from .pipeline.admission import RateLimits, limits_of
from .metrics import Metrics
from .config import Config, load_config
from .errors import ConfigError, ScriptCompileError
from .hookcall import DirectHook
from .registry import Integration, Registry, plugin_problems
from .scriptstate import Sections
from .services import Services
from .reloadplan import settings_plan
from .sandbox import make_sandbox
from .sandbox.base import Sandbox
from .sandbox.quarantine import QuarantinePolicy
from .store import Store, op_sync_directory

log = logging.getLogger("hookhub")


class Hub:
    """Everything one hookhub instance needs to serve requests."""

    def __init__(self, config: Config, *, pm: pluggy.PluginManager | None = None,
                 sandbox: Sandbox | None = None, store: Store | None = None) -> None:
        self.config = config
        self.pm = pm or plugins.make_plugin_manager(block=config.disable_plugins,
                                                    plugins_dir=config.resolve(config.plugins_dir)
                                                    if config.plugins_dir else None)
        #: ``hookhub_message_posted``, called once per message posted (:mod:`hookhub.hookcall`)
        self.message_posted = DirectHook(self.pm, "hookhub_message_posted", ("hub", "message", "integration_id"))
        self.engines = plugins.engines(self.pm)
        self.verifiers = plugins.verifiers(self.pm)
        problems = plugin_problems(config, self.verifiers)
        if problems:
            raise ConfigError(problems)
        self.registry = Registry(config, self.engines)
        #: ``hookhub serve`` sets it: after start-up and each reload, what is alive is moved out of the
        #: garbage collector's generations (:meth:`settle_heap`)
        self.freeze_heap = False
        self.sandbox: Sandbox = sandbox or make_sandbox(
            config.sandbox.mode, self.engines, workers=config.sandbox.workers, pm=self.pm,
            plugins={"block": list(config.disable_plugins),
                     "plugins_dir": str(config.resolve(config.plugins_dir)) if config.plugins_dir else None},
            quarantine=QuarantinePolicy(**config.sandbox.quarantine.model_dump(),
                                        reserved_workers=config.sandbox.reserved_workers))
        self.store = store or Store(config.storage_url(), commit_delay_ms=config.storage.commit_delay_ms)
        self.metrics = Metrics()
        self.store.on_commit = self.metrics.store_commit
        #: rate limits (hookhub.pipeline.admission: in the database when the store is shared)
        self.rate_limits = RateLimits(self.store, limits_of(self.registry.integrations))
        #: Store-using scripts: one call at a time per process from load to commit (hookhub.scriptstate)
        self.script_sections = Sections()
        #: periodic jobs, once per interval cluster-wide (hookhub.cluster)
        self.housekeeper = Housekeeper(self.store, standard_jobs(lambda: self.config))
        self.started = False
        #: services plugins add at start-up (outgoing, bridges), by typed key (hookhub.services)
        self.services = Services()
        #: the wall clock plugins' workers schedule retries with (tests set a fake one before start)
        self.clock: Callable[[], float] = time.time
        #: replay handlers for history kinds other than incoming (outgoing registers one)
        self.replayers: dict[str, Any] = {}
        #: what the last reload did: changes, restart-only settings, scripts that do not compile
        self.last_reload: dict[str, Any] = {}

    async def reload(self, config: Config) -> list[str]:
        """Switch to a new configuration without a restart; returns what changed.

        Scripts whose source or limits changed are re-created on their next
        call (their ``Store`` is kept); removed integrations are unloaded.
        Server, storage, sandbox and plugin settings need a restart; a change
        there is reported, not applied.  Raises ``ConfigError`` (and changes
        nothing) when the new configuration is invalid.
        """
        problems = plugin_problems(config, self.verifiers)
        if problems:
            raise ConfigError(problems)
        plan = settings_plan(self.config, config)
        config = plan.config
        registry = Registry(config, self.engines)
        old = self.registry.integrations
        changes = [f"removed {i}" for i in old if i not in registry.integrations]
        for integ in registry.integrations.values():
            before = old.get(integ.id)
            if before is None:
                changes.append(f"added {integ.id}")
            elif before.config != integ.config or _script_of(before) != _script_of(integ):
                changes.append(f"changed {integ.id}")
        changes += plan.applied + plan.restart
        users = [{"id": u.user_id, "username": u.username, "name": u.name} for u in config.users]
        channels = [{"id": c.channel_id, "name": c.name, "private": c.private, "members": list(c.members)}
                    for c in config.channels]
        await self.store.write(op_sync_directory(users, channels))
        for integration_id in old:
            if integration_id not in registry.integrations:
                await self.sandbox.unload(integration_id)
        for integ in registry.integrations.values():
            await self.load_script(integ)
        compile_errors = {i.id: str(i.compile_error) for i in registry.integrations.values() if i.compile_error}
        changes += [f"integration {i}: disabled, its script does not compile: {e}" for i, e in compile_errors.items()]
        self.config, self.registry = config, registry
        self.rate_limits.configure(limits_of(registry.integrations))
        self.last_reload = {"changes": changes, "restart": plan.restart, "compile_errors": compile_errors}
        self.metrics.bind(registry, [b.name for b in config.bridges])
        logs.refresh_secrets(config)
        # outgoing/bridges: plugins refresh state derived from the old configuration
        self.pm.hook.hookhub_config_reloaded(hub=self, changes=changes)
        log.info("configuration reloaded: %s", "; ".join(changes) or "no changes")
        self.settle_heap()
        for line in plan.restart:
            log.warning("reload: %s", line)
        for integration_id, error in compile_errors.items():
            log.error("reload: integration %s is disabled, its script does not compile: %s", integration_id, error)
        return changes

    async def reload_file(self) -> list[str]:
        """Re-read the YAML file this hub was started from (SIGHUP, ``POST /api/v1/reload``)."""
        config = await asyncio.to_thread(load_config, self.config.file, dev=bool(self.config.dev_defaults_used))
        return await self.reload(config)

    async def start(self) -> None:
        """Open the store, mirror users and channels into it, start the sandbox, load every script and restore its
        ``Store``, then run ``hookhub_startup``, the periodic jobs and metrics; does nothing when already started."""
        if self.started:
            return
        self.store.open()
        users = [{"id": u.user_id, "username": u.username, "name": u.name} for u in self.config.users]
        channels = [{"id": c.channel_id, "name": c.name, "private": c.private, "members": list(c.members)}
                    for c in self.config.channels]
        await self.store.write(op_sync_directory(users, channels))
        await self.sandbox.start()
        for integ in self.registry.integrations.values():
            await self.load_script(integ)
        for integration_id, data in (await self.store.script_states()).items():
            if integration_id in self.registry.integrations:
                self.sandbox.restore_store(integration_id, data)
        self.pm.hook.hookhub_startup(hub=self)
        self.housekeeper.start()
        self.started = True
        self.metrics.start(self)
        self.settle_heap()

    def settle_heap(self) -> None:
        """With :attr:`freeze_heap`: collect, then ``gc.freeze()`` what is left.

        The configuration, the registry, the modules and plugins live until the next reload, and with
        thousands of integrations they are hundreds of thousands of objects that every full collection
        would walk again (a pause of tens of milliseconds, at any request). Frozen, the collector walks
        only what requests allocate. A reload unfreezes first, so the old configuration can be collected.
        """
        if not self.freeze_heap:
            return
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    async def load_script(self, integ: Integration) -> None:
        """Load ``integ``'s script into the sandbox; an integration without a script is skipped, a script
        that does not compile or load is logged (and recorded in ``integ.compile_error``) instead."""
        if integ.compile_error:
            log.error("integration %s: script does not compile: %s", integ.id, integ.compile_error)
            return
        if integ.spec is None:
            return
        try:
            await self.sandbox.load(integ.spec)
        except ScriptCompileError as exc:
            integ.compile_error = exc
            log.error("integration %s: script failed to load: %s", integ.id, exc)

    async def stop(self) -> None:
        """Stop metrics and the periodic jobs, run ``hookhub_shutdown``,
        then close the sandbox and the store; does nothing unless started."""
        if not self.started:
            return
        self.started = False
        self.metrics.stop()
        await self.housekeeper.stop()
        self.pm.hook.hookhub_shutdown(hub=self)
        await self.sandbox.close()
        self.store.close()


def _script_of(integ: Integration) -> tuple[Any, ...]:
    """What makes a script a different script (its limits are reported with the sandbox: keys)."""
    spec = integ.spec
    return (spec.engine, spec.source, spec.filename) if spec else (None, str(integ.compile_error))

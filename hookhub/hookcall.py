"""Hooks called once per request, without pluggy's per-call machinery when nothing needs it.

``pm.hook.<name>(**kwargs)`` checks the arguments, copies the implementation
list, and goes through the manager's call loop (built for wrappers and
tracing) on every call: about 4 µs for ``hookhub_message_posted`` with its
three built-in implementations, more than the three of them take to run
(``bench/stages.py --only announce``). :class:`DirectHook` calls the same
implementations, in the same order (pluggy's: the last registered first,
``tryfirst``/``trylast`` honoured), with the same arguments and results, as plain
function calls, and goes back to pluggy's own path whenever that path could
behave differently:

- an implementation is a wrapper (``wrapper=True`` or ``hookwrapper=True``);
- call monitoring is on (``pm.add_hookcall_monitoring``, ``pm.enable_tracing``);
- the manager is not a :class:`PluginManager` (it cannot say when plugins change).

:class:`PluginManager` counts registrations, unregistrations, new hook
specifications and monitoring changes; a :class:`DirectHook` looks again at
the implementations when that count moved, so a plugin registered late is
called from its first message on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pluggy

__all__ = ["DirectHook", "PluginManager"]


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, counting the changes that alter how a hook is called."""

    #: bumped by every change of the registered implementations, specifications or monitoring
    changes = 0
    #: call monitors in place (``add_hookcall_monitoring`` not undone yet)
    monitors = 0

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        """pluggy's ``register``, counted."""
        try:
            return super().register(plugin, name)
        finally:
            self.changes += 1

    def unregister(self, plugin: Any | None = None, name: str | None = None) -> Any | None:
        """pluggy's ``unregister``, counted."""
        try:
            return super().unregister(plugin, name)
        finally:
            self.changes += 1

    def add_hookspecs(self, module_or_class: Any) -> None:
        """pluggy's ``add_hookspecs``, counted."""
        try:
            super().add_hookspecs(module_or_class)
        finally:
            self.changes += 1

    def add_hookcall_monitoring(self, before: Any, after: Any) -> Callable[[], None]:
        """pluggy's ``add_hookcall_monitoring``, counted while it is in place (its undo, once)."""
        undo = super().add_hookcall_monitoring(before, after)
        self.monitors += 1
        self.changes += 1
        done = False

        def undo_and_count() -> None:
            nonlocal done
            undo()
            if not done:
                done = True
                self.monitors -= 1
                self.changes += 1

        return undo_and_count


#: one implementation: its function, and the positions of the arguments it takes (None: all, in order)
_Plan = tuple[tuple[Callable[..., Any], tuple[int, ...] | None], ...]


class DirectHook:
    """``pm.hook.<name>`` for the arguments ``argnames``, passed by position in that order.

    ``hook(a, b, c)`` returns what ``pm.hook.<name>(**dict(zip(argnames, (a, b, c))))``
    returns: the list of the implementations' results that are not None (the
    first one alone for a ``firstresult`` hook), and an implementation's
    exception propagates at once, the later implementations not called.
    """

    def __init__(self, pm: pluggy.PluginManager, name: str, argnames: Sequence[str]) -> None:
        self._pm = pm
        self._name = name
        self._argnames = tuple(argnames)
        self._seen = -1
        self._plan: _Plan | None = None
        self._firstresult = False

    @property
    def direct(self) -> bool:
        """Whether calls go around pluggy's call loop (after looking at the current plugins)."""
        self._refresh()
        return self._plan is not None

    def _refresh(self) -> None:
        pm = self._pm
        if not isinstance(pm, PluginManager):
            self._plan = None
            return
        changes = pm.changes
        if changes == self._seen:
            return
        self._plan = None
        caller = getattr(pm.hook, self._name)
        if pm.monitors:
            return
        impls = caller.get_hookimpls()
        if any(impl.hookwrapper or impl.wrapper for impl in impls):
            self._seen = changes
            return
        plan: list[tuple[Callable[..., Any], tuple[int, ...] | None]] = []
        for impl in reversed(impls):  # pluggy calls the last of its list first
            names = tuple(impl.argnames)
            if names == self._argnames:
                plan.append((impl.function, None))
            elif all(n in self._argnames for n in names):
                plan.append((impl.function, tuple(self._argnames.index(n) for n in names)))
            else:  # asks for an argument this call does not have: pluggy's path says so
                self._seen = changes
                return
        self._firstresult = bool(caller.spec and caller.spec.opts.get("firstresult"))
        self._plan = tuple(plan)
        self._seen = changes

    def __call__(self, *args: Any) -> Any:
        if getattr(self._pm, "changes", None) != self._seen or self._plan is None:
            self._refresh()
            if self._plan is None:
                return getattr(self._pm.hook, self._name)(**dict(zip(self._argnames, args)))
        results = []
        for function, positions in self._plan:
            result = function(*args) if positions is None else function(*[args[i] for i in positions])
            if result is not None:
                if self._firstresult:
                    return result
                results.append(result)
        return None if self._firstresult else results

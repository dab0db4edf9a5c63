"""A typed registry of the services plugins add to a hub (``hub.services``).

A plugin that runs a service (the outgoing integrations, the bridges) makes a
:class:`ServiceKey` naming its type, adds the service at start-up and removes
it at shutdown; other code asks for it by the same key and gets the type back,
or ``None`` when the plugin is disabled::

    OUTGOING: ServiceKey[OutgoingService] = ServiceKey("outgoing")

    hub.services.add(OUTGOING, service)        # hookhub_startup
    service = hub.services.get(OUTGOING)       # OutgoingService | None
    service = hub.services.require(OUTGOING)   # or a 400 naming the plugin

Nothing is set as an attribute of the hub, so a reader (and mypy) sees what
exists where it is used.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from .errors import RequestError

__all__ = ["ServiceKey", "Services"]

T = TypeVar("T")


class ServiceKey(Generic[T]):
    """The name of a service and, for the type checker, its type."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ServiceKey({self.name!r})"


class Services:
    """The services running in one hub, by key."""

    def __init__(self) -> None:
        self._by_key: dict[ServiceKey[Any], Any] = {}

    def add(self, key: ServiceKey[T], service: T) -> None:
        """Register ``service`` under ``key``; a second service under the same name is a plugin bug."""
        if any(k.name == key.name and k is not key for k in self._by_key):
            raise ValueError(f"two services are named {key.name!r}: give the plugin's ServiceKey another name")
        self._by_key[key] = service

    def get(self, key: ServiceKey[T]) -> T | None:
        """The service under ``key``, or ``None`` when its plugin is disabled or not started."""
        found: T | None = self._by_key.get(key)
        return found

    def require(self, key: ServiceKey[T]) -> T:
        """The service under ``key``; a :class:`~hookhub.errors.RequestError` (400) when it is not running."""
        found = self.get(key)
        if found is None:
            raise RequestError(f"the {key.name!r} service is not running: the plugin that provides it is "
                               "disabled (see disable_plugins in the YAML file) or has not started")
        return found

    def remove(self, key: ServiceKey[T]) -> T | None:
        """Unregister and return the service under ``key`` (at shutdown)."""
        removed: T | None = self._by_key.pop(key, None)
        return removed

    def names(self) -> list[str]:
        """The names of the running services, sorted (for ``/api/v1/info`` and tests)."""
        return sorted(k.name for k in self._by_key)

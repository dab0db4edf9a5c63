"""The modules a script may import, as guarded read-only proxies.

Each script instance gets its own :class:`ModuleImporter`, hence its own
proxies: stateful modules (``random``) are backed by a private instance so
that integrations never share module state.  A proxy exposes only public,
safe attributes: functions, classes and immutable constants; mutable module
globals, sub-modules and the few dangerous functions listed in
:data:`_DENIED` are left out.

Besides standard modules, scripts may import ``hookkit`` (hookhub's helpers,
:mod:`hookhub.engines.python.hookkit`): its proxy exposes exactly the names in the
module's ``__all__``, each a plain function of that module or an immutable
constant (checked when the proxy's attributes are built).
"""

from __future__ import annotations

import __future__
import base64
import collections
import datetime
import decimal
import functools
import hashlib
import hmac
import html
import importlib
import itertools
import json
import math
import random
import re
import string
import textwrap
import time
import urllib.parse
import uuid
import zoneinfo
from collections.abc import Callable
from enum import Enum
from types import FunctionType, ModuleType
from typing import Any

from . import hookkit
from .policy import ALLOWED_MODULES

#: Modules written for scripts, by the name scripts import them as.
KIT_MODULES: dict[str, ModuleType] = {"hookkit": hookkit}

#: Public names refused per module, with the reason shown to the script author.
_DENIED: dict[str, dict[str, str]] = {
    "time": {"sleep": "time.sleep is not available: scripts must not block (the call has a timeout)",
             "tzset": "time.tzset changes the process time zone",
             "clock_settime": "changes the system clock", "clock_settime_ns": "changes the system clock"},
    "decimal": {"getcontext": "the shared decimal context cannot be changed; use decimal.localcontext() or a Context()",
                "setcontext": "the shared decimal context cannot be changed; use decimal.localcontext()",
                "DefaultContext": "shared", "BasicContext": "shared", "ExtendedContext": "shared"},
    "string": {"Formatter": "string.Formatter can traverse attributes; use f-strings"},
    "uuid": {"getnode": "uuid.getnode reads the machine's network interfaces",
             "Enum": "not part of uuid's API"},
    "functools": {"RLock": "scripts do not use threads", "GenericAlias": "not available",
                  "get_cache_token": "not available"},
    "zoneinfo": {"reset_tzpath": "changes the process-wide time-zone search path",
                 "TZPATH": "not available"},
    "random": {},
}

_IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), frozenset, Enum, uuid.UUID,
              datetime.date, datetime.time, datetime.timedelta, datetime.tzinfo, decimal.Decimal)


class ModuleProxy:
    """A read-only view of one allowed module."""

    __slots__ = ("_hh_attrs", "_hh_name")
    _hh_not_iterable = True

    def __init__(self, name: str, attrs: dict[str, Any]) -> None:
        object.__setattr__(self, "_hh_name", name)
        object.__setattr__(self, "_hh_attrs", attrs)

    def __getattr__(self, name: str) -> Any:
        attrs = object.__getattribute__(self, "_hh_attrs")
        try:
            return attrs[name]
        except KeyError:
            mod = object.__getattribute__(self, "_hh_name")
            reason = _DENIED.get(mod, {}).get(name)
            if reason:
                raise AttributeError(f"{mod}.{name} is not available to scripts: {reason}") from None
            raise AttributeError(f"module {mod!r} has no attribute {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise TypeError(f"module {object.__getattribute__(self, '_hh_name')!r} is read-only")

    __delattr__ = __setattr__  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<module {object.__getattribute__(self, '_hh_name')!r} (hookhub guarded)>"


def _is_safe_value(value: Any) -> bool:
    if isinstance(value, ModuleType):
        return False
    if isinstance(value, _IMMUTABLE):
        return True
    if isinstance(value, tuple):
        return all(_is_safe_value(v) for v in value)
    return callable(value)


def _note_shared_containers(cls: type) -> None:
    """Remember mutable containers stored on library classes (shared by every integration)."""
    for klass in cls.__mro__:
        if klass is object or klass.__module__ == "builtins":
            continue
        for value in vars(klass).values():
            if isinstance(value, _CONTAINERS):
                SHARED_CONTAINERS.add(id(value))


_CONTAINERS = (dict, list, set, bytearray, collections.deque)

#: ids of mutable containers reachable from allowed modules' classes
#: (``textwrap.TextWrapper.unicode_whitespace_trans``): ``getattr`` hands out copies.
SHARED_CONTAINERS: set[int] = set()


def _public_attrs(module: ModuleType) -> dict[str, Any]:
    denied = _DENIED.get(module.__name__, {})
    out: dict[str, Any] = {}
    for name in dir(module):
        if name.startswith("_") or name in denied:
            continue
        value = getattr(module, name)
        if isinstance(value, (set, frozenset)) and all(isinstance(v, str) for v in value):
            out[name] = frozenset(value)
        elif _is_safe_value(value):
            out[name] = value
            if isinstance(value, type):
                _note_shared_containers(value)
    return out


def _kit_attrs(module: ModuleType) -> dict[str, Any]:
    """The attributes of a kit module: its ``__all__``, each checked to be harmless to share.

    A kit's functions and constants are shared by every integration of a
    worker, so only plain functions defined in the kit itself (no classes,
    partials, bound methods or imported helpers) and immutable scalars are
    exposed; anything else is a bug in hookhub and fails loudly.
    """
    out: dict[str, Any] = {}
    for name in module.__all__:
        value = getattr(module, name)
        if not (_is_plain_function(value, module) or isinstance(value, _SCALARS)) or name.startswith("_"):
            raise TypeError(f"{module.__name__}.{name} cannot be shared with scripts: {value!r}")
        out[name] = value
    return out


_SCALARS = (str, int, float, bool, type(None))


def _is_plain_function(value: Any, module: ModuleType) -> bool:
    """A function of ``module`` itself with no closure and only immutable default values."""
    if not isinstance(value, FunctionType) or value.__module__ != module.__name__ or value.__closure__:
        return False
    defaults = (*(value.__defaults__ or ()), *(value.__kwdefaults__ or {}).values())
    return all(isinstance(d, _SCALARS) or (isinstance(d, tuple) and all(isinstance(x, _SCALARS) for x in d))
               for d in defaults)


_STATIC: dict[str, dict[str, Any]] = {}


def _static_attrs(name: str) -> dict[str, Any]:
    """Attributes of a stateless module: computed once per process."""
    attrs = _STATIC.get(name)
    if attrs is None:
        kit = KIT_MODULES.get(name)
        if kit is not None:
            attrs = _kit_attrs(kit)
        else:
            attrs = _public_attrs(importlib.import_module(name))
        _STATIC[name] = attrs
    return attrs


def _random_attrs() -> dict[str, Any]:
    rng = random.Random()
    attrs = dict(_static_attrs("random"))
    for name, value in list(attrs.items()):
        bound = getattr(rng, name, None)
        if callable(value) and not isinstance(value, type) and callable(bound) and not isinstance(bound, type):
            attrs[name] = bound
    return attrs


def _uuid1(node: int | None = None, clock_seq: int | None = None) -> uuid.UUID:
    """``uuid.uuid1`` with a random node id (never the machine's MAC address)."""
    if node is None:
        node = random.getrandbits(48) | (1 << 40)  # multicast bit: RFC 4122 section 4.5
    return uuid.uuid1(node, clock_seq)


def _uuid_attrs() -> dict[str, Any]:
    attrs = dict(_static_attrs("uuid"))
    attrs["uuid1"] = _uuid1
    return attrs


_BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "random": _random_attrs,
    "uuid": _uuid_attrs,
}


def _kit_with_log(log: Callable[..., Any] | None) -> dict[str, Any]:
    """hookkit's attributes with ``dispatch`` writing its log line to the script's ``console.log``."""
    attrs = dict(_static_attrs("hookkit"))
    if log is not None:
        kit_dispatch = attrs["dispatch"]

        def dispatch(request: Any, events: Any, **options: Any) -> Any:
            options.setdefault("log", log)
            return kit_dispatch(request, events, **options)

        dispatch.__doc__ = kit_dispatch.__doc__
        attrs["dispatch"] = dispatch
    return attrs


def _future_attrs() -> dict[str, Any]:
    """The ``__future__`` features, by name: the compiler acts on them; at run time the import only binds them."""
    return {name: getattr(__future__, name) for name in __future__.all_feature_names}


class ModuleImporter:
    """The guarded ``__import__`` of one script instance.

    :param log: the script's ``console.log``, where ``hookkit.dispatch`` writes
        its "not supported" line.
    """

    def __init__(self, log: Callable[..., Any] | None = None) -> None:
        self._proxies: dict[str, ModuleProxy] = {}
        self._log = log

    def module(self, name: str) -> ModuleProxy:
        """The proxy of module ``name``, built on first import and kept for this script instance; ImportError for a
        module outside :data:`~hookhub.engines.python.policy.ALLOWED_MODULES` (``urllib`` and ``__future__`` aside)."""
        proxy = self._proxies.get(name)
        if proxy is None:
            if name == "urllib":
                attrs: dict[str, Any] = {"parse": self.module("urllib.parse")}
            elif name == "__future__":
                attrs = _future_attrs()
            elif name == "hookkit":
                attrs = _kit_with_log(self._log)
            elif name in ALLOWED_MODULES:
                builder = _BUILDERS.get(name)
                attrs = builder() if builder else _static_attrs(name)
            else:
                raise ImportError(
                    f'import of "{name}" is not allowed; allowed modules: {", ".join(ALLOWED_MODULES)}')
            proxy = self._proxies[name] = ModuleProxy(name, attrs)
        return proxy

    def __call__(self, name: str, globals: Any = None, locals: Any = None,
                 fromlist: Any = (), level: int = 0) -> ModuleProxy:
        if level:
            raise ImportError("relative imports are not allowed")
        if type(name) is not str:
            raise ImportError("module name must be a string")
        if name == "urllib.parse" and not fromlist:
            return self.module("urllib")  # `import urllib.parse` binds `urllib`
        return self.module(name)


#: Every time zone, loaded before workers are sealed (``ZoneInfo(key)`` then hits
#: zoneinfo's cache instead of reading the tz database).
_ZONES: dict[str, zoneinfo.ZoneInfo] = {}


def warm_up() -> None:
    """Import what allowed modules load lazily, before file access is blocked.

    Called by the sandbox zygote before it forks workers (which seal themselves).
    """
    for key in zoneinfo.available_timezones():
        try:
            _ZONES[key] = zoneinfo.ZoneInfo(key)
        except (ValueError, OSError):  # pragma: no cover - a broken tz file
            continue
    for name in ALLOWED_MODULES:
        _static_attrs(name)
    datetime.datetime.strptime("2024-01-02", "%Y-%m-%d")
    time.localtime()  # glibc reads /etc/localtime once, lazily
    datetime.datetime.now().astimezone()
    time.strptime("2024", "%Y")
    json.loads(json.dumps({"a": [1.5, "é"]}))
    re.compile(r"(?P<x>\w+)\s*").match("warm up")
    decimal.Decimal("1.10").quantize(decimal.Decimal("0.1"))
    hashlib.sha256(b"x").hexdigest()
    hmac.new(b"k", b"m", "sha256").hexdigest()
    base64.b64decode(base64.b64encode(b"x"))
    html.unescape("&amp;")
    textwrap.shorten("warm up text", 5, placeholder="")
    urllib.parse.urlsplit("https://example.com/a?b=c")
    uuid.uuid4()
    collections.Counter("ab")
    functools.reduce(lambda a, b: a + b, [1, 2])
    list(itertools.islice(itertools.count(), 2))
    string.Template("$a").substitute(a=1)
    math.sqrt(2)
    hookkit.push_message("warm", "up", "kit", [hookkit.commit_line("0" * 40, "warm up", None, "kit")])
    import encodings
    import pkgutil

    for info in pkgutil.iter_modules(encodings.__path__):  # every codec, so .encode("shift_jis") works sealed
        try:
            importlib.import_module(f"encodings.{info.name}")
        except Exception:  # noqa: BLE001 - platform-specific codecs (mbcs, oem) fail on Linux
            continue

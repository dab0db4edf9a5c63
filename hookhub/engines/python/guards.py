"""Runtime guards for Python scripts: what RestrictedPython's rewritten code calls.

RestrictedPython turns ``a.b`` into ``_getattr_(a, "b")``, ``a.b = c`` into
``_write_(a).b = c``, ``for x in y`` into ``for x in _getiter_(y)`` and so
on; this module provides hookhub's versions of those hooks and the builtins a
script sees (:func:`make_builtins`).

Rules enforced here (the compile-time half is in :mod:`.policy`):

* attribute names starting with ``_``, frame/code attributes and
  ``format``/``format_map`` are refused; missing attributes raise
  ``AttributeError`` (never a silent ``None``);
* writes (attribute, item, ``del``) are allowed only on instances of classes
  the script defined, and items of mutable containers (dict, list, set...);
  never on modules, functions, classes, builtins or the request;
* builtin container types are handed out as :class:`GuardedType` proxies so
  that ``dict.update(request, ...)`` cannot bypass the read-only request.
"""

from __future__ import annotations

import builtins
import collections.abc
import copy
import operator
import weakref
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from types import MethodDescriptorType, WrapperDescriptorType
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from .modules import SHARED_CONTAINERS
from .policy import attribute_refusal

_MISSING: Any = object()

#: Classes created by scripts (through ``__metaclass__``): their instances are writable.
_script_classes: weakref.WeakSet[type] = weakref.WeakSet()

#: Methods of builtin mutable types that must only be called on a value, never unbound.
_MUTATORS: frozenset[str] = frozenset({
    "append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "update",
    "popitem", "setdefault", "add", "discard", "intersection_update", "difference_update",
    "symmetric_difference_update",
})
_MUTABLE_BUILTINS = (dict, list, set, bytearray)

#: Attributes refused on (instances and subclasses of) some library classes:
#: they change state shared by every integration in the worker.
_DENIED_CLASS_ATTRS: dict[str, tuple[type, str]] = {
    # clearing the cache would make ZoneInfo(key) read the tz database, which a
    # sealed worker cannot: every integration of the worker would lose time zones
    "clear_cache": (zoneinfo.ZoneInfo, "ZoneInfo.clear_cache changes a cache shared with other integrations"),
}


def script_metaclass(name: str, bases: tuple[Any, ...], namespace: dict[str, Any]) -> type:
    """``__metaclass__`` of script code: create the class and remember it as the script's own."""
    cls = type(name, bases, namespace)
    _script_classes.add(cls)
    return cls


def is_script_class(cls: Any) -> bool:
    """True for classes defined by a script."""
    return isinstance(cls, type) and cls in _script_classes


class GuardedType:
    """A builtin type as scripts see it (``dict``, ``list``, ``set``...).

    Calling it builds a value, ``isinstance``/``issubclass`` work, it can be
    subclassed (``class Config(dict)``), and its non-mutating attributes
    (``dict.fromkeys``, ``str.join``) are available.
    """

    __slots__ = ("_hh_type",)

    def __init__(self, tp: type) -> None:
        object.__setattr__(self, "_hh_type", tp)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tp = object.__getattribute__(self, "_hh_type")
        if args and tp is not dict:
            args = (guarded_iter(args[0]),) + args[1:]
        return tp(*args, **kwargs)

    def __instancecheck__(self, obj: Any) -> bool:
        return isinstance(obj, object.__getattribute__(self, "_hh_type"))

    def __subclasscheck__(self, cls: Any) -> bool:
        return issubclass(cls, object.__getattribute__(self, "_hh_type"))

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        return (object.__getattribute__(self, "_hh_type"),)

    def __getattr__(self, name: str) -> Any:
        tp = object.__getattribute__(self, "_hh_type")
        if name.startswith("_") or (tp in _MUTABLE_BUILTINS and name in _MUTATORS):
            raise AttributeError(
                f"{tp.__name__}.{name} cannot be used unbound in a script; call it on a value, e.g. x.{name}(...)")
        return getattr(tp, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise TypeError("builtin types cannot be changed by scripts")

    def __repr__(self) -> str:
        return f"<class '{object.__getattribute__(self, '_hh_type').__name__}'>"


def _check_unbound(obj: Any, name: str, value: Any) -> Any:
    if isinstance(value, (MethodDescriptorType, WrapperDescriptorType)):
        owner = getattr(value, "__objclass__", None)
        if owner in _MUTABLE_BUILTINS and name in _MUTATORS:
            raise AttributeError(
                f"{owner.__name__}.{name} cannot be used unbound in a script; call it on a value, e.g. x.{name}(...)")
    return value


#: names :func:`safe_getattr` allows on every object: the policy does not refuse them, and no
#: check depends on the object (``obj`` of exceptions, :data:`_DENIED_CLASS_ATTRS`).  A cache of
#: :func:`~.policy.attribute_refusal`'s answers, which depend on the name alone; bounded.
_ALLOWED_NAMES: set[str] = set()
_ALLOWED_NAMES_MAX = 4096


def safe_getattr(obj: Any, name: str, default: Any = _MISSING) -> Any:
    """``getattr`` for scripts: refuses private/frame/format names, raises when missing."""
    if type(name) is not str:
        raise TypeError(f"attribute name must be a string, not {builtins.type(name).__name__}")
    if name not in _ALLOWED_NAMES:
        reason = attribute_refusal(name)
        if reason is not None:
            raise AttributeError(reason)
        if isinstance(obj, BaseException) and name == "obj":
            raise AttributeError('"obj" of exceptions is not available to scripts')
        denied = _DENIED_CLASS_ATTRS.get(name)
        if denied is not None:
            if isinstance(obj, denied[0]) or (isinstance(obj, type) and issubclass(obj, denied[0])):
                raise AttributeError(f"{denied[1]}; it is not available to scripts")
        elif name != "obj" and len(_ALLOWED_NAMES) < _ALLOWED_NAMES_MAX:
            _ALLOWED_NAMES.add(name)
    try:
        value = getattr(obj, name)
    except AttributeError:
        if default is not _MISSING:
            return default
        raise
    if isinstance(obj, type):
        _check_unbound(obj, name, value)
    if id(value) in SHARED_CONTAINERS:
        return copy.copy(value)  # a library class's container: shared by every integration
    return value


def safe_hasattr(obj: Any, name: str) -> bool:
    """``hasattr`` for scripts, with :func:`safe_getattr`'s rules."""
    try:
        safe_getattr(obj, name)
    except AttributeError:
        return False
    return True


class _WriteRefused:
    """What ``_write_`` returns for objects a script must not change."""

    __slots__ = ("_hh_what",)

    def __init__(self, ob: Any) -> None:
        object.__setattr__(self, "_hh_what", _describe(ob))

    def _refuse(self, *_args: Any) -> None:
        what = object.__getattribute__(self, "_hh_what")
        raise TypeError(
            f"cannot change {what}: scripts may only change their own objects "
            "(instances of classes defined in the script) and dicts, lists and sets")

    __setattr__ = __delattr__ = __setitem__ = __delitem__ = _refuse


class _ItemWriter:
    """Items of a mutable container may change; its attributes may not."""

    __slots__ = ("_hh_ob",)

    def __init__(self, ob: Any) -> None:
        object.__setattr__(self, "_hh_ob", ob)

    def __setitem__(self, key: Any, value: Any) -> None:
        object.__getattribute__(self, "_hh_ob")[key] = value

    def __delitem__(self, key: Any) -> None:
        del object.__getattribute__(self, "_hh_ob")[key]

    def __setattr__(self, name: str, value: Any) -> None:
        _WriteRefused(object.__getattribute__(self, "_hh_ob"))._refuse()

    __delattr__ = __setattr__  # type: ignore[assignment]


_MUTABLE_ABCS = (collections.abc.MutableMapping, collections.abc.MutableSequence, collections.abc.MutableSet)


def _describe(ob: Any) -> str:
    kind = type(ob).__name__
    if kind == "ModuleProxy":
        return f"module {ob!r}"
    if isinstance(ob, type) or isinstance(ob, GuardedType):
        return f"class {getattr(ob, '__name__', repr(ob))}"
    if callable(ob):
        return f"function {getattr(ob, '__name__', kind)}"
    if kind == "FrozenDict":
        return "the request (it is read-only; copy it first, e.g. dict(request.content))"
    return f"a {kind} object"


def guarded_write(ob: Any) -> Any:
    """``_write_``: the object itself when the script may change it, else a refusing proxy."""
    tp = type(ob)
    if tp is dict or tp is list or tp is set or tp in _script_classes:
        return ob
    if isinstance(ob, _MUTABLE_ABCS) and not isinstance(ob, type):
        return _ItemWriter(ob)
    return _WriteRefused(ob)


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift, ">>=": operator.irshift,
    "|=": operator.ior, "^=": operator.ixor, "&=": operator.iand, "//=": operator.ifloordiv,
    "@=": operator.imatmul,
}


def inplace_var(op: str, x: Any, y: Any) -> Any:
    """``_inplacevar_``: ``x op= y`` for names."""
    return _INPLACE[op](x, y)


def inplace_attr(obj: Any, name: str, op: str, value: Any) -> None:
    """``obj.name op= value`` under the read and write guards."""
    current = safe_getattr(obj, name)
    setattr(guarded_write(obj), name, _INPLACE[op](current, value))


def inplace_item(obj: Any, key: Any, op: str, value: Any) -> None:
    """``obj[key] op= value`` under the write guard."""
    target = guarded_write(obj)
    target[key] = _INPLACE[op](obj[key], value)


def guarded_getitem(ob: Any, index: Any) -> Any:
    """``_getitem_``."""
    return ob[index]


def _check_iterable(ob: Any) -> Any:
    if getattr(type(ob), "_hh_not_iterable", False):
        raise TypeError(f"{_describe(ob)} is not iterable")
    return ob


def guarded_iter(ob: Any) -> Iterator[Any]:
    """``_getiter_``: iterate data, never modules or hookhub's helper objects."""
    return iter(_check_iterable(ob))


def _guarded_reversed(seq: Any) -> Any:
    return reversed(_check_iterable(seq))


def _guarded_iter_builtin(ob: Any, *sentinel: Any) -> Iterator[Any]:
    return iter(_check_iterable(ob), *sentinel)


_guarded_reversed.__name__ = "reversed"
_guarded_iter_builtin.__name__ = "iter"


def _iter_unpack_sequence(it: Any, spec: Any, _getiter_: Any) -> Any:
    return guarded_iter_unpack_sequence(it, spec, guarded_iter)  # type: ignore[no-untyped-call]


def _unpack_sequence(it: Any, spec: Any, _getiter_: Any) -> Any:
    return guarded_unpack_sequence(it, spec, guarded_iter)  # type: ignore[no-untyped-call]


def guarded_apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``_apply_``: calls with ``*args``/``**kwargs``."""
    return func(*args, **kwargs)


class _Printer:
    """``print`` inside a script: one ``console.log`` record per call."""

    def __init__(self, log: Callable[..., None]) -> None:
        self._log = log
        self._text: list[str] = []

    def _call_print(self, *objects: Any, sep: str | None = " ", end: str | None = "\n",
                    file: Any = None, flush: bool = False) -> None:
        if file is not None:
            raise TypeError("print(file=...) is not available to scripts; print goes to the integration log")
        text = (" " if sep is None else str(sep)).join(str(o) for o in objects)
        self._text.append(text + ("\n" if end is None else str(end)))
        self._log(text)

    def __call__(self) -> str:
        return "".join(self._text)


def _wrap_iterating(name: str, func: Callable[..., Any], n_iterables: int | None = 1) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if n_iterables is None:
            args = tuple(guarded_iter(a) for a in args)
        else:
            args = tuple(guarded_iter(a) if i < n_iterables else a for i, a in enumerate(args))
        return func(*args, **kwargs)

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = func.__doc__
    return wrapper


def _guarded_minmax(func: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if len(args) == 1:
            args = (guarded_iter(args[0]),)
        return func(*args, **kwargs)

    wrapper.__name__ = wrapper.__qualname__ = func.__name__
    return wrapper


def _guarded_map(func: Callable[..., Any], *iterables: Any) -> Iterator[Any]:
    return map(func, *(guarded_iter(i) for i in iterables))


def _guarded_filter(func: Callable[..., Any] | None, iterable: Iterable[Any]) -> Iterator[Any]:
    return filter(func, guarded_iter(iterable))


_map = _guarded_map
_map.__name__ = "map"
_filter = _guarded_filter
_filter.__name__ = "filter"

_PLAIN_BUILTINS: tuple[str, ...] = (
    "abs", "ascii", "bin", "bool", "bytes", "callable", "chr", "complex", "divmod", "float",
    "hash", "hex", "id", "int", "isinstance", "issubclass", "len", "oct", "ord", "pow", "range",
    "repr", "round", "slice", "str", "object", "staticmethod", "classmethod", "property", "next",
    "True", "False", "None", "Ellipsis", "NotImplemented",
)

_EXCEPTIONS: tuple[str, ...] = (
    "ArithmeticError", "AssertionError", "AttributeError", "BufferError", "EOFError",
    "Exception", "FloatingPointError", "ImportError", "IndexError", "KeyError", "LookupError",
    "MemoryError", "ModuleNotFoundError", "NameError", "NotImplementedError", "OSError",
    "OverflowError", "RecursionError", "ReferenceError", "RuntimeError", "StopIteration",
    "TimeoutError", "TypeError", "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError",
    "ValueError", "ZeroDivisionError", "Warning", "UserWarning", "DeprecationWarning",
)


def make_builtins(log: Callable[..., None], importer: Callable[..., Any]) -> dict[str, Any]:
    """The ``__builtins__`` of one script instance.

    :param log: where ``print`` goes (``console.log``).
    :param importer: the guarded ``__import__``.
    """
    out: dict[str, Any] = {name: getattr(builtins, name) for name in _PLAIN_BUILTINS + _EXCEPTIONS}
    for tp in (dict, list, tuple, set, frozenset):
        out[tp.__name__] = GuardedType(tp)
    out.update({
        "__build_class__": builtins.__build_class__,
        "__import__": importer,
        "getattr": safe_getattr,
        "hasattr": safe_hasattr,
        "iter": _guarded_iter_builtin,
        "sorted": _wrap_iterating("sorted", sorted),
        "reversed": _guarded_reversed,
        "sum": _wrap_iterating("sum", sum),
        "any": _wrap_iterating("any", any),
        "all": _wrap_iterating("all", all),
        "enumerate": _wrap_iterating("enumerate", enumerate),
        "zip": _wrap_iterating("zip", zip, None),
        "min": _guarded_minmax(min),
        "max": _guarded_minmax(max),
        "map": _map,
        "filter": _filter,
    })
    printer_log = log

    def print_factory(_getattr: Any = None) -> _Printer:
        return _Printer(printer_log)

    out["_print_"] = print_factory
    return out


def guard_globals() -> dict[str, Any]:
    """The RestrictedPython hook names every script module needs."""
    return {
        "__metaclass__": script_metaclass,
        "_getattr_": safe_getattr,
        "_getitem_": guarded_getitem,
        "_getiter_": guarded_iter,
        "_write_": guarded_write,
        "_inplacevar_": inplace_var,
        "_inplace_attr_": inplace_attr,
        "_inplace_item_": inplace_item,
        "_iter_unpack_sequence_": _iter_unpack_sequence,
        "_unpack_sequence_": _unpack_sequence,
        "_apply_": guarded_apply,
    }

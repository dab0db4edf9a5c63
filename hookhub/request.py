"""The request object handed to ``process_incoming_request`` (CONTRACT §3).

The server builds it as plain JSON data (:func:`build_request`); inside the
sandbox it is wrapped by :func:`freeze` so that scripts can read it both as a
mapping (``request["content"]["text"]``) and JavaScript-style
(``request.content.text``, ``None`` when missing) but cannot change it.
"""

from __future__ import annotations

from typing import Any, Mapping, NoReturn
from urllib.parse import parse_qsl

from .errors import RequestError

#: ``a[b][c]...=1`` keys deeper than this are refused (400) rather than built.
MAX_QUERY_DEPTH = 33


def parse_query(query_string: str) -> dict[str, Any]:
    """Parse a query string like Rocket.Chat (the ``qs`` module) does.

    Repeated keys become lists; ``a[b]=1`` becomes ``{"a": {"b": "1"}}``;
    ``a[]=1&a[]=2`` becomes ``{"a": ["1", "2"]}``.  A key nested more than 32
    levels deep raises :class:`~hookhub.errors.RequestError` (400).
    """
    out: dict[str, Any] = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        parts = _split_brackets(key)
        if len(parts) > MAX_QUERY_DEPTH:
            raise RequestError(f"query string key {key[:40]!r}... is nested {len(parts) - 1} levels deep; "
                               f"at most {MAX_QUERY_DEPTH - 1} levels of [brackets] are accepted")
        target: dict[str, Any] = out
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last:
                if part == "":
                    # a[]=x: append to list under the parent key
                    break
                _put(target, part, value)
            else:
                nxt = parts[i + 1]
                if nxt == "" and i + 1 == len(parts) - 1:
                    existing = target.get(part)
                    if isinstance(existing, list):
                        existing.append(value)
                    elif existing is None:
                        target[part] = [value]
                    else:
                        target[part] = [existing, value]
                    break
                child = target.get(part)
                if not isinstance(child, dict):
                    child = {}
                    target[part] = child
                target = child
    return out


def _split_brackets(key: str) -> list[str]:
    if "[" not in key or not key.endswith("]") or key.startswith("["):
        return [key]
    head, _, rest = key.partition("[")
    parts = [head]
    for piece in rest[:-1].split("]["):
        if "[" in piece or "]" in piece:
            return [key]
        parts.append(piece)
    return parts


def _put(target: dict[str, Any], key: str, value: str) -> None:
    if key in target:
        existing = target[key]
        if isinstance(existing, list):
            existing.append(value)
        else:
            target[key] = [existing, value]
    else:
        target[key] = value


def build_request(
    *,
    path: str,
    query_string: str,
    url_params: dict[str, str],
    headers: Mapping[str, str],
    content: Any,
    content_raw: str,
    body: Any,
    user: dict[str, Any],
) -> dict[str, Any]:
    """The request object as JSON data."""
    search = f"?{query_string}" if query_string else ""
    return {
        "url": {
            "hash": "",
            "search": search,
            "query": parse_query(query_string),
            "pathname": path,
            "path": path + search,
        },
        "url_raw": path + search,
        "url_params": dict(url_params),
        "content": content,
        "content_raw": content_raw,
        "headers": {k.lower(): v for k, v in headers.items()},
        "body": body,
        "user": dict(user),
    }


def _read_only(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise TypeError("the request object is read-only; copy it first, e.g. dict(request.content)")


class FrozenDict(dict):  # type: ignore[type-arg]
    """A read-only dict with JavaScript-style attribute access.

    ``obj.name`` returns the value of key ``name`` or ``None`` when missing;
    dict methods (``get``, ``items``, ``keys``...) keep their meaning.
    It is a ``dict`` so that ``json.dumps`` and ``isinstance(x, dict)`` work.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)

    __setitem__ = __delitem__ = __setattr__ = __delattr__ = _read_only
    clear = pop = popitem = setdefault = update = __ior__ = _read_only

    def copy(self) -> dict[str, Any]:
        """A plain, mutable (deep) copy."""
        return thaw(self)  # type: ignore[no-any-return]

    def __reduce__(self) -> Any:
        return (dict, (thaw(self),))


def freeze(value: Any) -> Any:
    """Deep read-only view of JSON data: dicts → :class:`FrozenDict`, lists → tuples."""
    if isinstance(value, dict):
        return _freeze_dict(value if type(value) is dict else dict(value.items()))
    if isinstance(value, list):
        return _freeze_list(value if type(value) is list else list(value))
    return value


#: the exact types :func:`freeze` hands out as they are
_SCALARS = frozenset({str, int, float, bool, type(None)})
_dict_set = dict.__setitem__


# The two helpers below are freeze() unrolled for speed (a 70 KB payload has ~150
# containers and ~10,000 scalars, many of them in lists of strings): a dict is copied
# whole by C and only its container values are replaced; a list of scalars becomes a
# tuple without a Python step per item.  Scalars are recognised by their exact type;
# anything else (a subclass) takes freeze()'s general path.

def _freeze_dict(value: dict[Any, Any]) -> FrozenDict:
    out = FrozenDict(value)
    for k, v in value.items():
        kind = type(v)
        if kind is dict:
            _dict_set(out, k, _freeze_dict(v))
        elif kind is list:
            _dict_set(out, k, _freeze_list(v))
        elif kind not in _SCALARS:
            _dict_set(out, k, freeze(v))
    return out


def _freeze_list(value: list[Any]) -> tuple[Any, ...]:
    if _SCALARS.issuperset(map(type, value)):
        return tuple(value)
    return tuple([_freeze_dict(v) if type(v) is dict else _freeze_list(v) if type(v) is list
                  else v if type(v) in _SCALARS else freeze(v) for v in value])


def freeze_shared(value: Any) -> Any:
    """:func:`freeze`, except that the values of a dict that are one container (a JSON body's
    ``request.body`` and ``request.content``) are frozen once and stay one object."""
    if type(value) is not dict:
        return freeze(value)
    done: dict[int, Any] = {}
    out = {}
    for k, v in value.items():
        kind = type(v)
        if kind is dict or kind is list:
            frozen = done.get(id(v))
            if frozen is None:
                frozen = done[id(v)] = freeze(v)
            out[k] = frozen
        else:
            out[k] = freeze(v)
    return FrozenDict(out)


def thaw(value: Any) -> Any:
    """Inverse of :func:`freeze`: plain dicts and lists."""
    if isinstance(value, dict):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value

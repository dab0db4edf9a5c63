"""Paging parameters of list endpoints (``?limit=``), checked with one clear message."""

from __future__ import annotations

from starlette.requests import Request

from ..errors import RequestError


def parse_limit(raw: str | None, default: int, maximum: int = 1000) -> int:
    """``raw`` as a limit between 1 and ``maximum`` (``default`` when absent); 400 otherwise."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        raise RequestError(f"limit must be an integer between 1 and {maximum}")
    return value


def page_limit(request: Request, default: int, maximum: int = 1000) -> int:
    """The ``limit`` query parameter of ``request`` (see :func:`parse_limit`)."""
    return parse_limit(request.query_params.get("limit"), default, maximum)

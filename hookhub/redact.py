"""Hiding secrets in text meant for people (banners, logs, error messages)."""

from __future__ import annotations

import re

__all__ = ["mask_url"]

#: ``scheme://user:password@``; greedy up to the last ``@`` before the query string, so that a password
#: holding an unencoded ``@``, ``/`` or ``:`` is masked whole
_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:@/?]*):(?P<password>[^?]*)@")


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***``: ``postgresql://user:***@host/db``.

    A URL without a password is returned unchanged; ``password=`` in the query
    string (libpq's ``?password=...``) is masked as well.
    """
    masked = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url, count=1)
    return re.sub(r"(?i)([?&]password=)[^&]*", r"\1***", masked)

"""Tracebacks that show the script author their own code, and nothing else.

The integration log gets the frames of the script file (file name, line, the
source line) and the exception; hookhub's own frames and paths are left out.
"""

from __future__ import annotations

import traceback


def format_script_error(exc: BaseException, filename: str, source: str | None = None) -> str:
    """``Traceback ... File "<filename>", line N ... ExcType: message`` for the integration log."""
    lines = source.splitlines() if source is not None else []
    out = ["Traceback (most recent call last):"]
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename != filename:
            continue
        out.append(f'  File "{filename}", line {frame.lineno}, in {frame.name}')
        if frame.lineno and 0 < frame.lineno <= len(lines):
            out.append(f"    {lines[frame.lineno - 1].strip()}")
    out.extend(line.rstrip("\n") for line in traceback.format_exception_only(type(exc), exc))
    return "\n".join(out)

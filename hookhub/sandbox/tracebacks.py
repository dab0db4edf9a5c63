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
    # walk_tb, not extract_tb: source lines come from the script, never from disk
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        code = frame.f_code
        if code.co_filename != filename:
            continue
        out.append(f'  File "{filename}", line {lineno}, in {code.co_name}')
        if lineno and 0 < lineno <= len(lines):
            out.append(f"    {lines[lineno - 1].strip()}")
    out.extend(line.rstrip("\n") for line in traceback.format_exception_only(type(exc), exc))
    return "\n".join(out)

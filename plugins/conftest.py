"""TEMPORARY: run the bundled plugin tests in the in-process sandbox until the
worker-process pool (``hookhub.sandbox.pool``) is on main.

The ``check`` fixture comes from hookhub's own pytest plugin (hookhub/testing.py);
this file only swaps its session runner while the process sandbox is missing.
Delete it once ``hookhub.sandbox.pool`` exists: it then has no effect anyway.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from hookhub.toolkit import ScriptRunner

if importlib.util.find_spec("hookhub.sandbox.pool") is None:

    @pytest.fixture(scope="session")
    def hookhub_runner() -> Iterator[ScriptRunner]:
        runner = ScriptRunner(sandbox_mode="inprocess")
        yield runner
        runner.close()

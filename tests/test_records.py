"""hookhub/records.py: the leaf module of shared records (log lines, limits, size caps)."""

from __future__ import annotations

import ast
from pathlib import Path

import hookhub.records as records
from hookhub.records import LEVELS, Limits, LogRecord


def test_it_imports_nothing_of_hookhub() -> None:
    tree = ast.parse(Path(records.__file__).read_text(encoding="utf-8"))
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    relative = [node for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level]
    assert relative == [] and not [m for m in imported if m.split(".")[0] == "hookhub"], imported


def test_a_log_record_as_sent_and_as_shown() -> None:
    record = LogRecord("warn", 1700000000.25, "careful")
    assert record.to_json() == {"level": "warn", "ts": 1700000000.25, "message": "careful"}
    assert record.to_api() == {"level": "warn", "ts": "2023-11-14T22:13:20.250Z", "message": "careful"}
    assert "warn" in LEVELS and "error" in LEVELS


def test_limits_say_where_each_value_comes_from() -> None:
    limits = Limits(timeout_ms=500, own="timeout_ms")
    assert limits.origin("timeout_ms") == "the integration's timeout_ms"
    assert limits.origin("memory_mb") == "sandbox.memory_mb"
    assert Limits().timeout_ms == 3000 and Limits().concurrency == 2

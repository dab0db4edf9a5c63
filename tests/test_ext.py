"""The plugin facade (hookhub.ext): what plugins import, and nothing else of hookhub."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import hookhub
from hookhub import ext, hookspecs
from hookhub.config import load_config
from hookhub.hub import Hub

from .conftest import integration

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "tests" / "example_plugin" / "hookhub_example_plugin.py"
DOC = ROOT / "docs" / "plugin_hooks.md"


def hookhub_imports(source: str) -> set[str]:
    """The ``hookhub`` modules and names a Python source imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "hookhub":
            found.update(f"{node.module}:{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "hookhub")
    return found


def test_the_example_plugin_imports_only_the_facade() -> None:
    assert hookhub_imports(EXAMPLE.read_text(encoding="utf-8")) == {"hookhub:ext"}


def test_the_plugin_docs_import_only_the_facade() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    code = "\n".join(b for b in blocks if not re.match(r"hookhub_\w+\(", b))  # signatures are not code
    assert "from hookhub import ext" in code
    assert hookhub_imports(code) == {"hookhub:ext"}


def test_every_facade_name_exists_and_is_documented() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for name in ext.__all__:
        assert hasattr(ext, name), name
        assert f"`{name}" in doc, f"docs/plugin_hooks.md does not describe ext.{name}"


def test_hooks_receive_the_hub_typed_as_the_protocol() -> None:
    for name in dir(hookspecs):
        if name.startswith("hookhub_") and "hub" in inspect.signature(getattr(hookspecs, name)).parameters:
            assert inspect.signature(getattr(hookspecs, name)).parameters["hub"].annotation == "HubView", name


def test_a_hub_is_what_the_protocol_says(write_config) -> None:  # type: ignore[no-untyped-def]
    hub: ext.HubView = Hub(load_config(write_config(integration("a"))))  # mypy checks the structure
    assert isinstance(hub, ext.HubView)
    for name in ext.HubView.__annotations__:
        assert hasattr(hub, name), f"Hub has no {name}, which HubView promises plugins"


def test_verification_failed_is_a_401_request_error() -> None:
    error = ext.VerificationFailed("X-Shared-Secret does not match")
    assert isinstance(error, ext.RequestError) and isinstance(error, ext.HookhubError)
    assert error.status == 401


def test_the_package_exports_only_the_embedding_surface() -> None:
    assert sorted(hookhub.__all__) == ["Config", "ConfigError", "HookhubError", "Hub", "RequestError",
                                       "ScriptCompileError", "ScriptRunError", "ScriptRunner",
                                       "load_config", "make_app"]


@pytest.mark.parametrize("name", ["hookimpl", "require_admin", "page_limit", "json_response"])
def test_the_facade_reexports_the_objects_hookhub_uses_itself(name: str) -> None:
    from hookhub.hookspecs import hookimpl
    from hookhub.web import auth, paging, responses
    own = {"hookimpl": hookimpl, "require_admin": auth.require_admin, "page_limit": paging.page_limit,
           "json_response": responses.json_response}
    assert getattr(ext, name) is own[name]

"""The hook specifications (hookhub.hookspecs): prefixed, typed, documented, tested, and enforced by pluggy."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pluggy
import pytest

from hookhub import hookspecs
from hookhub.plugins import make_plugin_manager

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(name for name in dir(hookspecs) if name.startswith("hookhub_"))


def test_there_are_hooks_and_all_are_prefixed() -> None:
    specs = [name for name, fn in vars(hookspecs).items()
             if callable(fn) and hasattr(fn, "hookhub_spec")]
    assert len(specs) >= 9
    assert sorted(specs) == SPECS


def test_every_hookspec_is_typed_and_documented_in_code() -> None:
    for name in SPECS:
        fn = getattr(hookspecs, name)
        assert fn.__doc__ and len(fn.__doc__.strip()) > 40, name
        signature = inspect.signature(fn)
        assert signature.return_annotation is not inspect.Signature.empty, name
        for param in signature.parameters.values():
            assert param.annotation is not inspect.Parameter.empty, (name, param.name)
            assert param.annotation != "Any" or param.name != "hub", f"{name}: hub must be typed as HubView"


@pytest.mark.parametrize("name", SPECS)
def test_every_hookspec_has_a_documented_section_with_its_signature(name: str) -> None:
    doc = (ROOT / "docs" / "plugin_hooks.md").read_text(encoding="utf-8")
    fn = getattr(hookspecs, name)
    signature = f"{name}{inspect.signature(fn)}".replace("'", "")
    assert f"## {name}" in doc, f"docs/plugin_hooks.md has no section for {name}"
    assert signature in doc, f"docs/plugin_hooks.md does not show the exact signature {signature}"


@pytest.mark.parametrize("name", SPECS)
def test_every_hookspec_has_a_test(name: str) -> None:
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py")
                      if p.name != "test_hookspecs.py")
    tests += (ROOT / "tests" / "example_plugin" / "hookhub_example_plugin.py").read_text(encoding="utf-8")
    assert re.search(rf"\b{name}\b", tests), f"no test uses {name}"


def test_the_marker_is_the_one_pluggy_validates_against_the_specs() -> None:
    class Wrong:
        @hookspecs.hookimpl
        def hookhub_message_posted(self, hub: Any, message: Any, integration_id: Any, extra: Any) -> None: ...

    # an implementation asking for an argument the spec does not pass is refused at registration
    with pytest.raises(pluggy.PluginValidationError, match="extra"):
        make_plugin_manager(extra=[Wrong()])


def test_the_marker_project_name_is_hookhub() -> None:
    assert hookspecs.hookimpl.project_name == "hookhub"
    assert hookspecs.hookspec.project_name == "hookhub"

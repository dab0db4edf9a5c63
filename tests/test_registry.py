"""The registry (hookhub.registry): integrations ready to serve, token lookup, script sources and problems."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from hookhub.config import load_config
from hookhub.errors import IntegrationDisabled, InvalidIntegration
from hookhub.plugins import engines, make_plugin_manager
from hookhub.registry import Registry, compile_problems, engine_for, plugin_problems

from .conftest import integration

ENGINES = engines(make_plugin_manager())
OK = "class Script:\n    def process_incoming_request(self, request):\n        return None\n"


def registry(write_config: Callable[..., Path], *entries: str) -> Registry:
    return Registry(load_config(write_config(*entries)), ENGINES)


def test_lookup_needs_the_right_id_and_token(write_config: Callable[..., Path]) -> None:
    reg = registry(write_config, integration("a"), integration("disabled", enabled=False),
                   integration("out", type="outgoing", urls="[http://127.0.0.1:9/]", token="out-token"))
    assert reg.lookup("a", "a-token").id == "a"
    for iid, token in [("a", "wrong"), ("a", ""), ("nope", "a-token"), ("out", "out-token")]:
        with pytest.raises(InvalidIntegration):
            reg.lookup(iid, token)
    with pytest.raises(IntegrationDisabled):
        reg.lookup("disabled", "disabled-token")


def test_public_never_shows_the_token(write_config: Callable[..., Path]) -> None:
    reg = registry(write_config, integration("a", OK))
    shown = reg.integrations["a"].public()
    assert "a-token" not in repr(shown)
    assert shown["hook"] == "/hooks/a/••••" and shown["engine"] == "python" and shown["compile_error"] is None


def test_scripts_are_compiled_and_errors_kept_per_integration(write_config: Callable[..., Path]) -> None:
    reg = registry(write_config, integration("good", OK), integration("bad", "class Script(:\n"))
    good, bad = reg.integrations["good"], reg.integrations["bad"]
    assert good.spec is not None and good.outline is not None and good.outline.defines("process_incoming_request")
    assert bad.spec is None and bad.compile_error is not None
    assert reg.compile_errors() == [bad.compile_error]


def test_script_files_are_read_relative_to_the_yaml_file(write_config: Callable[..., Path], tmp_path: Path) -> None:
    (tmp_path / "hook.js").write_text("class Script { process_incoming_request() { return null; } }\n")
    reg = registry(write_config, integration("js", script_file="hook.js"))
    integ = reg.integrations["js"]
    assert integ.spec is not None and integ.spec.engine == "javascript" and integ.spec.filename == "hook.js"
    assert reg.script_path(integ) == tmp_path / "hook.js"


def test_engine_for() -> None:
    from hookhub.config import IntegrationConfig

    def make(**fields: object) -> IntegrationConfig:
        return IntegrationConfig.model_validate({"id": "x", "type": "incoming", **fields})
    assert engine_for(make()) == "python"
    assert engine_for(make(script_file="a.js")) == "javascript"
    assert engine_for(make(script_file="a.js", script_engine="python")) == "python"


def test_compile_and_plugin_problems_name_the_key(write_config: Callable[..., Path]) -> None:
    config = load_config(write_config(integration("bad", "class Script(:\n"),
                                      integration("v", verify="{type: nonsense, secret: s}")))
    [compiled] = compile_problems(config, ENGINES)
    assert compiled.path == "integrations[0].script" and compiled.line is not None
    [plugin] = plugin_problems(config, {"github": object()})
    assert plugin.path == "integrations[1].verify.type"
    assert plugin.message == "unknown verifier type 'nonsense' (available: github)"


def test_an_unknown_engine_is_a_compile_error_naming_the_available_ones(write_config: Callable[..., Path]) -> None:
    reg = Registry(load_config(write_config(integration("a", OK))), {})
    error = reg.integrations["a"].compile_error
    assert error is not None and "no script engine named 'python' is loaded (available: none)" in str(error)

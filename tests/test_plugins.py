"""The extension framework: plugin manager factory, entry points, plugins_dir, and every hook."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pluggy
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from hookhub.web.app import make_app
from hookhub.cli import main
from hookhub.config import load_config
from hookhub.hub import Hub
from hookhub.plugins import DEFAULT_PLUGINS, engines, make_plugin_manager, verifiers

from .conftest import AUTH, integration, messages

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def example_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """pip-install tests/example_plugin into a folder on sys.path: a real entry point."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(ROOT / "tests" / "example_plugin")], check=True)
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module("hookhub_example_plugin")
    finally:
        sys.path.remove(str(target))
        sys.modules.pop("hookhub_example_plugin", None)
        importlib.invalidate_caches()


def test_defaults_are_ordinary_plugins() -> None:
    pm = make_plugin_manager()
    for name in DEFAULT_PLUGINS:
        assert pm.has_plugin(name)
    assert {"python", "javascript"} <= set(engines(pm))
    assert {"github", "gitlab", "hmac", "standard-webhooks"} <= set(verifiers(pm))


def test_a_default_plugin_can_be_blocked_by_name(write_config) -> None:  # type: ignore[no-untyped-def]
    path = write_config(integration("js", script_engine="javascript",
                                    script_file="x.js"), extra="disable_plugins: [javascript-engine]\n")
    (path.parent / "x.js").write_text("class Script { process_incoming_request() { return {}; } }\n")
    hub = Hub(load_config(path))
    assert "javascript" not in hub.engines
    error = hub.registry.integrations["js"].compile_error
    assert error is not None and "no script engine named 'javascript'" in str(error)


def test_misspelled_hook_fails_at_start_up() -> None:
    class Typo:
        @pluggy.HookimplMarker("hookhub")
        def hookhub_mesage_posted(self, message: Any) -> None: ...

    with pytest.raises(pluggy.PluginValidationError, match="hookhub_mesage_posted"):
        make_plugin_manager(extra=[Typo()])


def test_plugins_dir_modules_are_loaded(write_config, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "loud.py").write_text(
        "from hookhub import ext\n"
        "@ext.hookimpl\ndef hookhub_request_verifiers():\n"
        "    def never(options, headers, body, now):\n"
        "        raise ext.VerificationFailed('never valid')\n"
        "    return {'never': never}\n")
    path = write_config(integration("p", verify="{type: never, secret: s}"), extra="plugins_dir: extensions\n")
    with TestClient(make_app(Hub(load_config(path)))) as client:
        r = client.post("/hooks/p/p-token", json={"text": "x"})
        assert (r.status_code, r.json()["error"]) == (401, "signature verification failed: never valid")


def test_entry_point_plugin_end_to_end(example_plugin: Any, write_config) -> None:  # type: ignore[no-untyped-def]
    pm = make_plugin_manager()
    assert pm.has_plugin("example")
    path = write_config(integration("shared", verify="{type: shared-header, secret: letmein}"))
    hub = Hub(load_config(path))
    with TestClient(make_app(hub)) as client:
        # hookhub_startup
        assert example_plugin.SEEN["startup"][-1] is hub
        # hookhub_request_verifiers
        assert client.post("/hooks/shared/shared-token", json={"text": "x"}).status_code == 401
        r = client.post("/hooks/shared/shared-token", json={"text": "let in"}, headers={"X-Shared-Secret": "letmein"})
        assert r.status_code == 200
        # hookhub_message_posted
        assert example_plugin.SEEN["posted"][-1] == ("shared", "let in")
        assert messages(client)[0]["text"] == "let in"
        # hookhub_routes, behind the admin token (ext.require_admin), reading the plugin's own service
        assert client.get("/example/ping").status_code == 401
        r = client.get("/example/ping", headers=AUTH)
        assert r.json() == {"success": True, "integrations": 1, "posted": 1}
        assert hub.services.get(example_plugin.COUNTER) is not None
    # hookhub_shutdown
    assert example_plugin.SEEN["shutdown"][-1] is hub
    assert hub.services.get(example_plugin.COUNTER) is None
    # hookhub_cli_commands
    result = CliRunner().invoke(main, ["example-hello", "plugins"])
    assert result.exit_code == 0 and result.output == "hello, plugins\n"
    listed = CliRunner().invoke(main, ["plugins"])
    assert "example: " in listed.output and "hookhub_routes" in listed.output


def test_script_engines_hook_replaces_an_engine_by_name(write_config) -> None:  # type: ignore[no-untyped-def]
    from hookhub.engines.python import PythonEngine

    class Strict(PythonEngine):
        def check(self, source: str, filename: str) -> None:
            from hookhub.errors import ScriptCompileError
            raise ScriptCompileError(filename, 1, "this deployment accepts no scripts")

    class Plugin:
        @pluggy.HookimplMarker("hookhub")
        def hookhub_script_engines(self) -> list[Any]:
            return [Strict()]

    config = load_config(write_config(integration("s", "class Script:\n  pass\n")))
    hub = Hub(config, pm=make_plugin_manager(extra=[Plugin()]))
    assert "this deployment accepts no scripts" in str(hub.registry.integrations["s"].compile_error)


def test_plugins_command_lists_hooks() -> None:
    result = CliRunner().invoke(main, ["plugins"])
    assert result.exit_code == 0
    assert "python-engine: hookhub_script_engines" in result.output
    assert "verifiers: hookhub_request_verifiers" in result.output


@pytest.mark.parametrize("mode", ["process", "inprocess"])
def test_sandbox_globals_reach_python_and_javascript_scripts(write_config, tmp_path: Path, mode: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "helpers.py").write_text(
        "from hookhub import ext\n"
        "@ext.hookimpl\ndef hookhub_sandbox_globals(integration_id, engine):\n"
        "    return {'shout': lambda text: f'{text.upper()}! ({engine} {integration_id})'}\n")
    (tmp_path / "shout.js").write_text(
        "class Script { process_incoming_request({ request }) {"
        " return { content: { text: shout(request.content.text) } }; } }\n")
    py = integration("py", "class Script:\n    def process_incoming_request(self, request):\n"
                           "        return {'content': {'text': shout(request.content.text)}}\n")
    js = integration("js", script_file="shout.js")
    path = write_config(py, js, mode=mode, extra="plugins_dir: extensions\n")
    with TestClient(make_app(Hub(load_config(path)))) as client:
        assert client.post("/hooks/py/py-token", json={"text": "hi"}).status_code == 200
        assert client.post("/hooks/js/js-token", json={"text": "yo"}).status_code == 200
        assert [m["text"] for m in messages(client)] == ["YO! (javascript js)", "HI! (python py)"]

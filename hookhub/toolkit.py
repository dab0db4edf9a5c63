"""The script author's toolkit: run a script on a fixture through the full pipeline.

:class:`ScriptRunner` builds a throw-away hub around one script (or one
integration of a YAML file), runs a payload through :func:`hookhub.pipeline.process`
in the real sandbox and returns the :class:`~hookhub.pipeline.Outcome`; nothing
is stored.  ``hookhub test`` and the pytest ``check`` fixture use it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Coroutine, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Literal, TypeVar

from .config import ChannelConfig, Config, IntegrationConfig, SandboxConfig, StorageConfig, UserConfig, load_config
from .engines.base import ScriptOutline
from .errors import HookhubError
from .hub import Hub
from .pipeline import Inbound, Outcome, process
from .plugins import engines as plugin_engines
from .plugins import make_plugin_manager
from .sandbox import make_sandbox
from .sandbox.base import Sandbox

T = TypeVar("T")
TEST_USER = "hookhub.test"
TEST_CHANNEL = "general"


def fixture_event(name: str) -> str:
    """``push__new_branch`` → ``push``: the part of a fixture name before ``__`` (the event it carries)."""
    return Path(name).stem.split("__", 1)[0]


def load_fixture(script: Path | None, fixture: str | Path | Mapping[str, Any]) -> tuple[bytes, str | None]:
    """The body of a fixture and its name (for the event header).

    A fixture is a path, a name resolved in ``<script folder>/fixtures/``, or a dict.
    """
    if isinstance(fixture, Mapping):
        return json.dumps(dict(fixture)).encode(), None
    path = Path(fixture)
    candidates = [path]
    if script is not None:
        candidates += [script.parent / "fixtures" / path, script.parent / "fixtures" / f"{path}.json"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.read_bytes(), candidate.stem
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"fixture {str(fixture)!r} not found (tried {tried})")


#: the receiver URL of an outgoing script run offline (nothing is ever sent to it)
OFFLINE_URL = "https://receiver.invalid/hook"


def _script_config(script: Path, sandbox_mode: str, kind: Literal["incoming", "outgoing"] = "incoming") -> Config:
    ident = "script-" + hashlib.sha256(str(script.resolve()).encode()).hexdigest()[:12]
    extra: dict[str, Any] = {"urls": [OFFLINE_URL]} if kind == "outgoing" else {"override_destination_channel": True}
    return Config(
        storage=StorageConfig(url="sqlite:///:memory:"),
        sandbox=SandboxConfig(mode=sandbox_mode),
        users=[UserConfig(username=TEST_USER, name="hookhub test")],
        channels=[ChannelConfig(name=TEST_CHANNEL)],
        integrations=[IntegrationConfig(id=ident, type=kind, token="test",
                                        channel=[f"#{TEST_CHANNEL}"], username=TEST_USER,
                                        script_file=str(script.resolve()), **extra)],
        base_dir=script.parent.resolve(), file=str(script),
    )


class ScriptRunner:
    """Runs scripts on payloads in the real sandbox, storing nothing.

    It owns an event loop in a background thread so synchronous callers (the
    CLI, pytest tests) can use it; call :meth:`close` when done.
    """

    def __init__(self, *, sandbox_mode: str = "process", workers: int = 1) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="hookhub-runner", daemon=True)
        self._thread.start()
        self._pm = make_plugin_manager()
        self._engines = plugin_engines(self._pm)
        self._mode = sandbox_mode
        self._sandbox: Sandbox = make_sandbox(sandbox_mode, self._engines, workers=workers)
        self._run(self._sandbox.start())
        self._hubs: dict[tuple[str, str | None], tuple[float, Hub]] = {}

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        fut: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return fut.result()

    def wait(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the runner's event loop (where its hubs and sandbox live) and return its result."""
        return self._run(coro)

    def close(self) -> None:
        """Close the sandbox, then stop the runner's loop and its thread (up to 10 s); the runner is unusable after."""
        self._run(self._sandbox.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def __enter__(self) -> ScriptRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def hub_for(self, script: Path | None = None, *, config: Path | None = None,
                integration: str | None = None, kind: Literal["incoming", "outgoing"] = "incoming",
                dev: bool = True) -> tuple[Hub, str]:
        """A hub serving ``script`` alone (as an integration of type ``kind``), or ``integration``
        of the YAML file ``config``.

        :param dev: use the ``dev_default`` of unset secrets (``hookhub test --dev``)
        """
        if config is not None:
            key: tuple[str, str | None] = (str(Path(config).resolve()), f"{integration}{'/dev' if dev else ''}")
            stamp = Path(config).stat().st_mtime
            cfg = load_config(config, dev=dev)
            cfg = cfg.model_copy(update={"storage": StorageConfig(url="sqlite:///:memory:")})
            if integration is None:
                raise ValueError("name the integration to run with --config")
            if integration not in {i.id for i in cfg.integrations}:
                known = ", ".join(i.id for i in cfg.integrations)
                raise ValueError(f"integration {integration!r} is not in {config} (known: {known})")
            ident = integration
        else:
            assert script is not None
            key = (str(script.resolve()), None if kind == "incoming" else kind)
            stamp = script.stat().st_mtime
            cfg = _script_config(script, self._mode, kind)
            ident = cfg.integrations[0].id
        cached = self._hubs.get(key)
        if cached and cached[0] == stamp:
            return cached[1], ident
        hub = Hub(cfg, pm=self._pm, sandbox=self._sandbox)
        for integ in hub.registry.integrations.values():
            self._run(hub.load_script(integ))
        self._hubs[key] = (stamp, hub)
        return hub, ident

    def outline(self, script: Path | None = None, *, config: Path | None = None,
                integration: str | None = None) -> ScriptOutline:
        """What the script defines, as its engine reports it (an empty outline when it does not compile)."""
        hub, ident = self.hub_for(script, config=config, integration=integration)
        return hub.registry.integrations[ident].outline or ScriptOutline()

    def run(self, script: Path | None, fixture: str | Path | Mapping[str, Any], *,
            headers: Mapping[str, str] | None = None, config: Path | None = None,
            integration: str | None = None, method: str = "POST", dev: bool = True) -> Outcome:
        """Run one payload; the event header comes from the fixture name unless given."""
        hub, ident = self.hub_for(script, config=config, integration=integration, dev=dev)
        integ = hub.registry.integrations[ident]
        script_path = hub.registry.script_path(integ) or script
        body, name = load_fixture(script_path, fixture)
        all_headers = {"content-type": "application/json"}
        header_name = integ.outline.event_header if integ.outline else None
        if header_name and name and not any(k.lower() == header_name.lower() for k in (headers or {})):
            all_headers[header_name.lower()] = fixture_event(name)
        all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
        token = integ.config.token.get_secret_value() if integ.config.token else ""
        inbound = Inbound(integration_id=ident, token=token, method=method, path=f"/hooks/{ident}/{token}",
                          headers=all_headers, body=body)
        try:
            return self._run(process(hub, integ, inbound))
        except HookhubError as exc:  # pragma: no cover - process() answers errors itself
            return Outcome(exc.status, exc.body())


def render(outcome: Outcome) -> str:
    """A readable report of an outcome."""
    lines = [f"HTTP {outcome.status}", json.dumps(outcome.body, ensure_ascii=False, indent=2)]
    for record in outcome.logs:
        lines.append(f"[{record.level}] {record.message}")
    if not outcome.drafts:
        lines.append("(nothing posted)")
    for draft in outcome.drafts:
        doc = draft.doc
        who = doc.get("alias") or doc["u"]["username"]
        lines.append(f"--- message to {draft.destination.label} as {who}")
        if doc.get("text"):
            lines.append(doc["text"])
        for att in doc.get("attachments") or []:
            lines.append(f"  ▌ [{att.get('color', '')}] {att.get('title', '')}".rstrip())
            if att.get("title_link"):
                lines.append(f"  ▌ {att['title_link']}")
            if att.get("text"):
                lines.extend(f"  ▌ {line}" for line in str(att["text"]).splitlines())
            for f in att.get("fields") or []:
                lines.append(f"  ▌ {f.get('title', '')}: {f.get('value', '')}")
    return "\n".join(lines)


def as_json(outcome: Outcome) -> dict[str, Any]:
    """The outcome as ``hookhub test --json`` prints it: status, body, messages (with ``destination``) and logs."""
    return {"status": outcome.status, "body": outcome.body,
            "messages": [{"destination": d.destination.label, **d.doc} for d in outcome.drafts],
            "logs": [r.to_api() for r in outcome.logs]}

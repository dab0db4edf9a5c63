"""Integrations by id: the runtime view of the YAML file.

The :class:`Registry` owns, for each integration, its token (compared in
constant time), its script (source, engine, compile error) and the
:class:`~hookhub.sandbox.ScriptSpec` handed to the sandbox.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import ChannelConfig, Config, IntegrationConfig, UserConfig
from .engines.base import ScriptOutline, outline_of
from .errors import IntegrationDisabled, InvalidIntegration, Problem, ScriptCompileError
from .sandbox.base import ScriptSpec


@dataclass
class Integration:
    """One integration, ready to serve."""

    config: IntegrationConfig
    spec: ScriptSpec | None = None
    compile_error: ScriptCompileError | None = None
    #: what the script defines, as its engine reports it (None without a script that compiles)
    outline: ScriptOutline | None = None
    _token: bytes = field(default=b"", repr=False)

    @property
    def id(self) -> str:
        """The integration's ``id`` (from its YAML entry)."""
        return self.config.id

    def token_matches(self, candidate: str) -> bool:
        """Constant-time comparison of a token from a URL."""
        return bool(self._token) and hmac.compare_digest(self._token, candidate.encode("utf-8", "surrogatepass"))

    def public(self) -> dict[str, Any]:
        """What the read API shows: never the token."""
        c = self.config
        return {
            "id": c.id,
            "name": c.display_name,
            "type": c.type,
            "enabled": c.enabled,
            "engine": self.spec.engine if self.spec else (self.engine_name if c.script_enabled else None),
            "script_enabled": c.script_enabled,
            "hook": f"/hooks/{c.id}/••••" if c.type == "incoming" else None,
            "channel": list(c.channel),
            "username": c.username,
            "compile_error": str(self.compile_error) if self.compile_error else None,
        }

    @property
    def engine_name(self) -> str:
        """The engine its script is (or would be) run by: :func:`engine_for` of its YAML entry."""
        return engine_for(self.config)


def engine_for(integ: IntegrationConfig) -> str:
    """The engine named in YAML, else from the script file's extension, else python."""
    if integ.script_engine:
        return integ.script_engine
    if integ.script_file and integ.script_file.endswith(".js"):
        return "javascript"
    return "python"


def script_source(config: Config, integ: IntegrationConfig,
                  files: dict[str, str] | None = None) -> tuple[str, str] | None:
    """``(source, filename)`` of an integration's script, or None without one.

    :param files: texts already read while loading this configuration, by
        ``script_file`` (thousands of integrations often share a few files)
    """
    if not integ.script_enabled:
        return None
    if integ.script_file:
        text = files.get(integ.script_file) if files is not None else None
        if text is None:
            text = config.resolve(integ.script_file).read_text(encoding="utf-8")
            if files is not None:
                files[integ.script_file] = text
        return text, integ.script_file
    if integ.script is not None:
        return integ.script, f"{config.file}#integrations.{integ.id}.script"
    return None


def compile_problems(config: Config, engines: Mapping[str, Any]) -> list[Problem]:
    """Script problems for ``hookhub check``: one per script that does not compile."""
    problems: list[Problem] = []
    files: dict[str, str] = {}
    for i, integ in enumerate(config.integrations):
        try:
            build_integration(config, integ, engines, raise_errors=True, files=files)
        except ScriptCompileError as exc:
            path = f"integrations[{i}].{'script_file' if integ.script_file else 'script'}"
            problems.append(Problem(config.file, config.line_of(path), path, str(exc)))
    return problems


def plugin_problems(config: Config, verifiers: Mapping[str, Any]) -> list[Problem]:
    """Integrations naming a verifier type that no plugin provides."""
    problems: list[Problem] = []
    for i, integ in enumerate(config.integrations):
        if integ.verify is not None and integ.verify.type not in verifiers:
            problems.append(Problem(config.file, config.line_of(f"integrations[{i}].verify.type"),
                                    f"integrations[{i}].verify.type",
                                    f"unknown verifier type {integ.verify.type!r} "
                                    f"(available: {', '.join(sorted(verifiers))})"))
    return problems


def build_integration(config: Config, integ: IntegrationConfig, engines: Mapping[str, Any],
                      *, raise_errors: bool = False, files: dict[str, str] | None = None) -> Integration:
    """An :class:`Integration` for ``integ``, its script read, checked and outlined without running it; a script that
    cannot be read, names no loaded engine or does not compile sets ``compile_error`` (raised with ``raise_errors``)."""
    token = integ.token.get_secret_value().encode("utf-8") if integ.token else b""
    item = Integration(config=integ, _token=token)
    try:
        found = script_source(config, integ, files)
    except (OSError, UnicodeDecodeError) as exc:
        found = None
        item.compile_error = ScriptCompileError(integ.script_file or "", None, f"cannot read the script: {exc}")
    if found is not None:
        source, filename = found
        engine_name = engine_for(integ)
        engine = engines.get(engine_name)
        try:
            if engine is None:
                raise ScriptCompileError(filename, None, f"no script engine named {engine_name!r} is loaded "
                                                         f"(available: {', '.join(sorted(engines)) or 'none'})")
            engine.check(source, filename)
            item.outline = outline_of(engine, source, filename)
            item.spec = ScriptSpec(
                integration_id=integ.id, engine=engine_name, source=source, filename=filename,
                limits=config.limits_for(integ), allow_hosts=tuple(integ.http.allow_hosts),
                allow_private=integ.http.allow_private,
            )
        except ScriptCompileError as exc:
            item.compile_error = exc
    if raise_errors and item.compile_error:
        raise item.compile_error
    return item


class Registry:
    """Integrations, users and channels of one configuration."""

    def __init__(self, config: Config, engines: Mapping[str, Any]) -> None:
        self.config = config
        files: dict[str, str] = {}
        self.integrations: dict[str, Integration] = {
            integ.id: build_integration(config, integ, engines, files=files) for integ in config.integrations
        }
        self.users: dict[str, UserConfig] = {u.username: u for u in config.users}
        self.users_by_id: dict[str, UserConfig] = {u.user_id: u for u in config.users}
        self.channels: dict[str, ChannelConfig] = {c.name: c for c in config.channels}
        self.channels_by_id: dict[str, ChannelConfig] = {c.channel_id: c for c in config.channels}
        #: what :mod:`hookhub.message` worked out once for this configuration: destinations by entry
        #: (``#general``, ``@alice``, an id) and the (channel, poster) pairs allowed to post
        self.resolved: dict[str, Any] = {}
        self.allowed: set[tuple[str, str]] = set()

    def lookup(self, integration_id: str, token: str) -> Integration:
        """The incoming integration for a hook URL; 404 for unknown id or wrong token, 503 if disabled."""
        item = self.integrations.get(integration_id)
        # Compare even when the id is unknown so that timing does not tell which part was wrong.
        matches = item.token_matches(token) if item is not None else hmac.compare_digest(b"x" * 32, b"y" * 32)
        if item is None or not matches or item.config.type != "incoming":
            raise InvalidIntegration()
        if not item.config.enabled:
            raise IntegrationDisabled()
        return item

    def compile_errors(self) -> list[ScriptCompileError]:
        """The errors of the integrations whose script cannot be read or does not compile, in YAML order."""
        return [i.compile_error for i in self.integrations.values() if i.compile_error]

    def script_path(self, integ: Integration) -> Path | None:
        """The ``script_file`` of ``integ`` resolved against the YAML file's folder, or None without one."""
        return self.config.resolve(integ.config.script_file) if integ.config.script_file else None

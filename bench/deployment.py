"""Generated hookhub deployments: the YAML file (CONTRACT §8) in a scratch directory."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .scenarios import SCRIPTS

ADMIN_TOKEN = "bench-admin-token"


class _LiteralDumper(yaml.SafeDumper):
    """Writes multi-line strings (scripts) as ``|`` blocks, as a person would."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_LiteralDumper.add_representer(str, _str)


@dataclass(frozen=True)
class Hook:
    """One integration of a generated deployment and how to reach it."""

    integration_id: str
    token: str

    @property
    def path(self) -> str:
        return f"/hooks/{self.integration_id}/{self.token}"


def token_for(integration_id: str) -> str:
    return hashlib.sha256(f"bench:{integration_id}".encode()).hexdigest()[:24]


def write(directory: Path, name: str, integrations: dict[str, dict[str, Any]], port: int,
          workers: int | None = None, sandbox: dict[str, Any] | None = None,
          storage: dict[str, Any] | None = None) -> tuple[Path, dict[str, Hook]]:
    """Write ``<directory>/<name>.yaml`` with one integration per entry of ``integrations``
    (``storage``: more keys of the ``storage:`` section, e.g. ``commit_delay_ms``).

    Each deployment gets its own SQLite file; ``scripts/`` is copied next to the YAML
    so that ``script_file`` paths (relative to the YAML file) resolve.
    """
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / "scripts").exists():
        shutil.copytree(SCRIPTS, directory / "scripts")
    hooks: dict[str, Hook] = {}
    entries = []
    for integration_id, extra in integrations.items():
        hook = Hook(integration_id, token_for(integration_id))
        hooks[integration_id] = hook
        entries.append({"id": integration_id, "type": "incoming", "name": f"bench {integration_id}",
                        "enabled": True, "token": hook.token, "channel": "#general",
                        "username": "rocket.cat", **extra})
    config: dict[str, Any] = {
        "server": {"host": "127.0.0.1", "port": port, "max_body_bytes": 1024 * 1024},
        "storage": {"url": f"sqlite:///{(directory / (name + '.db')).resolve()}", **(storage or {})},
        "admin": {"token": ADMIN_TOKEN},
        "users": [{"username": "rocket.cat", "name": "Rocket Cat"}],
        "channels": [{"name": "general"}],
        "integrations": entries,
    }
    sandbox = dict(sandbox or {})
    if workers is not None:
        sandbox["workers"] = workers
    if sandbox:
        config["sandbox"] = sandbox
    path = directory / f"{name}.yaml"
    path.write_text(yaml.dump(config, Dumper=_LiteralDumper, sort_keys=False, allow_unicode=True,
                              width=120), encoding="utf-8")
    return path, hooks

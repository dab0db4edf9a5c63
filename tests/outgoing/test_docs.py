"""The YAML examples of docs/outgoing.md and docs/bridges.md are valid configurations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hookhub import plugins
from hookhub.config import load_config
from hookhub.registry import Registry

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("name", ["outgoing.md", "bridges.md"])
def test_yaml_examples_load_and_compile(name: str, tmp_path: Path) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", (DOCS / name).read_text(encoding="utf-8"), re.S)
    assert blocks, f"no YAML example in docs/{name}"
    for i, block in enumerate(blocks):
        path = tmp_path / f"example{i}.yaml"
        path.write_text(block, encoding="utf-8")
        config = load_config(path, dev=True)
        registry = Registry(config, plugins.engines(plugins.make_plugin_manager()))
        assert registry.compile_errors() == []

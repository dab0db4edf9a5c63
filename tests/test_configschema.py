"""``hookhub schema``: the JSON Schema of the YAML file, checked against the example and the docs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from hookhub.cli import main
from hookhub.config import Config
from hookhub.configschema import config_schema

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "plugins").glob("*/README.md"))]
TOP_KEYS = set(Config.model_fields)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = config_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(validator: jsonschema.Draft202012Validator, data: Any) -> list[str]:
    """Every error, with the ones inside anyOf branches (what an editor shows on hover)."""
    out: list[str] = []
    stack = list(validator.iter_errors(data))
    while stack:
        e = stack.pop()
        out.append(f"{'.'.join(map(str, e.absolute_path))}: {e.message}")
        stack.extend(e.context or [])
    return out


def test_the_cli_prints_the_schema_and_the_committed_copy_is_current() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    assert printed == config_schema()
    committed = json.loads((ROOT / "config" / "hookhub.schema.json").read_text())
    assert committed == printed, "regenerate it: hookhub schema > config/hookhub.schema.json"


def test_the_example_config_names_and_passes_the_schema(validator: jsonschema.Draft202012Validator) -> None:
    text = (ROOT / "config" / "hookhub.yaml").read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=hookhub.schema.json"
    assert errors(validator, yaml.safe_load(text)) == []


def _examples() -> list[tuple[str, Any]]:
    found = []
    for doc in DOCS:
        for i, block in enumerate(re.findall(r"```ya?ml\n(.*?)```", doc.read_text(encoding="utf-8"), flags=re.S)):
            data = yaml.safe_load(block)
            if isinstance(data, list):  # a fragment of integrations:
                data = {"integrations": data}
            if isinstance(data, dict) and set(data) & TOP_KEYS:  # (not another product's YAML)
                found.append((f"{doc.relative_to(ROOT)}#{i}", data))
    return found


EXAMPLES = _examples()


def test_there_are_doc_examples() -> None:
    assert len(EXAMPLES) >= 15


@pytest.mark.parametrize(("where", "data"), EXAMPLES, ids=[w for w, _ in EXAMPLES])
def test_doc_yaml_examples_pass_the_schema(validator: jsonschema.Draft202012Validator, where: str,
                                           data: Any) -> None:
    assert errors(validator, data) == [], where


def test_what_the_loader_accepts_the_schema_accepts(validator: jsonschema.Draft202012Validator) -> None:
    accepted = {
        "server": {"port": {"$env": "PORT", "dev_default": 3000}},
        "admin": {"token": {"$file": "secrets/admin"}},
        "integrations": [{"id": "a", "type": "webhook-incoming", "token": "t", "channel": "#a, #b",
                          "username": "u", "scriptEnabled": False, "overrideDestinationChannelEnabled": True},
                         {"id": "o", "type": "outgoing", "urls": ["https://x.test/"], "triggerWords": "deploy"}],
    }
    assert errors(validator, accepted) == []


@pytest.mark.parametrize(("data", "message"), [
    ({"server": {"prot": 1}}, "Additional properties are not allowed ('prot' was unexpected)"),
    ({"integrations": [{"id": "a", "type": "sideways"}]}, "is not valid under any of the given schemas"),
    ({"integrations": [{"type": "incoming"}]}, "'id' is a required property"),
    ({"admin": {"token": {"$env": "X", "bogus": 1}}}, "is not valid under any of the given schemas"),
    ({"base_dir": "/"}, "Additional properties are not allowed"),
])
def test_the_schema_refuses_what_the_loader_refuses(validator: jsonschema.Draft202012Validator,
                                                    data: dict[str, Any], message: str) -> None:
    assert any(message in e for e in errors(validator, data)), errors(validator, data)

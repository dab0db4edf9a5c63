"""The JSON Schema of the YAML configuration, for editors (``hookhub schema``).

Made from the same pydantic models that validate the file, then widened to
what the YAML loader accepts before the models see it, so that a valid file
is valid for the editor too:

- any value may be a secret, ``{$env: NAME, dev_default: ...}`` or
  ``{$file: path}`` (``yamlsource`` resolves them);
- Rocket.Chat's camelCase key names are accepted next to the snake_case ones;
- channel lists may be one comma-separated string, ``type`` may be
  ``webhook-incoming``/``webhook-outgoing``;
- hookhub's internal fields are left out.

With the schema saved next to the YAML file, the first line
``# yaml-language-server: $schema=hookhub.schema.json`` gives completion and
checks in editors that use the YAML language server (VS Code, Neovim, ...).
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import AliasChoices, BaseModel, BeforeValidator

from .config import _TYPES, Config

__all__ = ["config_schema"]

_INTERNAL = ("base_dir", "file", "dev_defaults_used", "key_lines")
_SECRET = {
    "title": "Secret",
    "description": "A value read when the file is loaded: {$env: NAME} (with an optional dev_default "
                   "used by --dev) or {$file: path} (relative to the YAML file).",
    "oneOf": [
        {"type": "object", "properties": {"$env": {"type": "string"}, "dev_default": {}},
         "required": ["$env"], "additionalProperties": False},
        {"type": "object", "properties": {"$file": {"type": "string"}},
         "required": ["$file"], "additionalProperties": False},
    ],
}


def _models(root: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every model reachable from *root*, by class name (pydantic's ``$defs`` keys)."""
    found: dict[str, type[BaseModel]] = {}
    todo: list[type[BaseModel]] = [root]
    while todo:
        model = todo.pop()
        if model.__name__ in found:
            continue
        found[model.__name__] = model
        for info in model.model_fields.values():
            stack: list[Any] = [info.annotation]
            while stack:
                ann = stack.pop()
                if isinstance(ann, type) and issubclass(ann, BaseModel):
                    todo.append(ann)
                stack.extend(getattr(ann, "__args__", ()) or ())
    return found


def _secret_or(schema: dict[str, Any]) -> dict[str, Any]:
    """*schema*, or a secret; the same for the values inside a list or a mapping it describes."""
    schema = dict(schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            schema[key] = [_inner(s) for s in schema[key]]
    schema = _inner(schema)
    return {"anyOf": [schema, {"$ref": "#/$defs/Secret"}]}


def _inner(schema: dict[str, Any]) -> dict[str, Any]:
    if isinstance(schema.get("items"), dict) and "$ref" not in schema["items"]:
        schema = {**schema, "items": {"anyOf": [schema["items"], {"$ref": "#/$defs/Secret"}]}}
    if isinstance(schema.get("additionalProperties"), dict):
        schema = {**schema, "additionalProperties": {"anyOf": [schema["additionalProperties"],
                                                               {"$ref": "#/$defs/Secret"}]}}
    return schema


def _widen(model: type[BaseModel], schema: dict[str, Any]) -> None:
    """Aliases, string forms and secrets for the properties of one model's schema."""
    props: dict[str, Any] = schema.get("properties", {})
    for name in _INTERNAL:
        props.pop(name, None)
    if "required" in schema:
        schema["required"] = [r for r in schema["required"] if r not in _INTERNAL]
    for name, info in model.model_fields.items():
        if name in _INTERNAL or name not in props:
            continue
        prop = props[name]
        for meta in info.metadata:
            if isinstance(meta, BeforeValidator) and getattr(meta.func, "__name__", "") == "_split_channels":
                prop = {"anyOf": [{"type": "string", "description": "one entry, or several separated by commas"},
                                  prop]}
        if name == "type" and model.__name__ == "IntegrationConfig":
            prop = {**prop, "enum": sorted(_TYPES)}
            prop.pop("const", None)
        prop = _secret_or(prop)
        props[name] = prop
        alias = info.validation_alias
        choices = alias.choices if isinstance(alias, AliasChoices) else []
        for other in choices:
            if isinstance(other, str) and other != name and other not in props:
                props[other] = {**copy.deepcopy(prop), "description": f"same as {name} (Rocket.Chat's name)"}


def config_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a hookhub YAML configuration file."""
    schema = Config.model_json_schema(mode="validation")
    models = _models(Config)
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    for name, sub in defs.items():
        if name in models:
            _widen(models[name], sub)
    _widen(Config, schema)
    defs["Secret"] = _SECRET
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "hookhub configuration",
            "description": "The YAML file read by hookhub serve and hookhub check (see the README's "
                           "Configuration reference).", **{k: v for k, v in schema.items() if k != "title"}}

"""``hookhub import-rc``: Rocket.Chat integrations (exported JSON) → hookhub YAML + scripts.

Input: the answer of Rocket.Chat's ``GET /api/v1/integrations.list``
(``{"integrations": [...]}``), a list of integration documents, a single
document, or one script (a ``.js`` file: it becomes one integration, with a new
token, whose channel and username are to be filled in).  Empty ``alias``,
``avatar`` and ``emoji`` (``""``, what Rocket.Chat's form stores) mean unset.  Output, in ``--out-dir``:

* ``hookhub.yaml``: ``users``, ``channels`` and ``integrations`` (CONTRACT §8
  keys, snake_case).  Each integration keeps its Rocket.Chat ``_id`` as its
  ``id`` so existing webhook URLs (``/hooks/<_id>/<token>``) keep working.
* ``scripts/<id>.js``: each integration's script, run by the JavaScript engine.
* ``.env``: the tokens (mode 0600).  Tokens are never written into the YAML:
  it says ``token: {$env: HOOKHUB_TOKEN_<ID>}``.

Every field that has no hookhub equivalent is reported, as are scripts that do
not compile and scripts that call ``HTTP()`` (they need ``http.allow_hosts``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import yaml

from .engines.javascript import JavaScriptEngine
from .hookspecs import hookimpl
from .errors import HookhubError, ScriptCompileError

__all__ = ["ImportResult", "ImportRcError", "command", "convert", "load_export", "load_script", "write"]

_TYPES = {"webhook-incoming": "incoming", "webhook-outgoing": "outgoing"}

#: Rocket.Chat field → hookhub key, copied as they are (when present and not null).
_COMMON = {
    "name": "name",
    "enabled": "enabled",
    "username": "username",
    "alias": "alias",
    "avatar": "avatar",
    "emoji": "emoji",
    "scriptEnabled": "script_enabled",
}
_INCOMING = {"overrideDestinationChannelEnabled": "override_destination_channel"}
_OUTGOING = {
    "event": "event",
    "urls": "urls",
    "triggerWords": "trigger_words",
    "triggerWordAnywhere": "trigger_word_anywhere",
    "impersonateUser": "impersonate_user",
    "retryFailedCalls": "retry_failed_calls",
    "retryCount": "retry_count",
    "retryDelay": "retry_delay",
    "runOnEdits": "run_on_edits",
    "targetRoom": "target_room",
}
#: Fields handled specially or that are Rocket.Chat bookkeeping with no meaning here.
_HANDLED = {"_id", "type", "token", "channel", "script"}
_BOOKKEEPING = {
    "_createdAt": "creation time",
    "_createdBy": "creator",
    "_updatedAt": "update time",
    "_updatedBy": "last editor",
    "userId": "Rocket.Chat user id of the 'post as' user (hookhub uses username)",
    "scriptCompiled": "Babel output (hookhub runs the original script)",
    "scriptError": "Rocket.Chat's last compile error",
    "scriptEngine": "Rocket.Chat's sandbox (vm2/isolated-vm); hookhub uses its JavaScript engine",
    "_rid": None,
}
#: copied only when not empty: Rocket.Chat stores "" for a blank form field
_UNSET_WHEN_EMPTY = {"alias", "avatar", "emoji"}
_OUTGOING_FILTERS = {"all_public_channels", "all_private_groups", "all_direct_messages"}
_RETRY_DELAYS = {"powers-of-ten", "powers-of-two", "increments-of-two"}


class ImportRcError(HookhubError):
    """The export cannot be read or converted."""

    status = 400


@dataclass
class ImportResult:
    """What :func:`convert` produced."""

    config: dict[str, Any]
    #: relative path (under the output folder) → script source
    scripts: dict[str, str] = field(default_factory=dict)
    #: environment variable → token value
    secrets: dict[str, str] = field(default_factory=dict)
    #: human-readable notes: what could not be mapped, what to check
    notes: list[str] = field(default_factory=list)


def _is_script(path: Path, text: str) -> bool:
    return path.suffix.lower() in (".js", ".mjs", ".cjs") or (
        not text.lstrip().startswith(("{", "[")) and bool(re.search(r"\bclass\s+Script\b", text)))


def load_script(path: Path, text: str) -> dict[str, Any]:
    """One script file as an integration document (outgoing when it only has outgoing methods)."""
    outgoing = bool(re.search(r"\b(prepare_outgoing_request|process_outgoing_response)\s*\(", text)) and \
        not re.search(r"\bprocess_incoming_request\s*\(", text)
    return {"_id": path.stem, "name": path.stem, "type": "webhook-outgoing" if outgoing else "webhook-incoming",
            "enabled": True, "scriptEnabled": True, "script": text, "token": secrets.token_urlsafe(24)}


def script_hint(path: Path, doc: dict[str, Any]) -> str:
    """What ``import-rc`` says when it was given one script instead of an export."""
    kind = _TYPES[doc["type"]]
    return (f"{path} is one script, not a Rocket.Chat export: imported as the {kind} integration "
            f"{doc['_id']!r} with a new token (in .env). Add its channel and username (Rocket.Chat keeps "
            "them in the integration, not in the script), or import the integrations.list export "
            "(GET /api/v1/integrations.list) to keep the integration's URL, token and settings")


def load_export(path: Path) -> list[dict[str, Any]]:
    """Read an export file (or one ``.js`` script, see :func:`load_script`) into integration documents."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportRcError(f"cannot read {path}: {exc}") from None
    if _is_script(path, text):
        return [load_script(path, text)]
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ImportRcError(f"{path} is not JSON: {exc}. import-rc reads the answer of "
                            "GET /api/v1/integrations.list, one integration document, or one script "
                            "(a .js file)") from None
    if isinstance(data, dict) and isinstance(data.get("integrations"), list):
        items = data["integrations"]
    elif isinstance(data, dict) and isinstance(data.get("integration"), dict):
        items = [data["integration"]]
    elif isinstance(data, dict) and "type" in data:
        items = [data]
    elif isinstance(data, list):
        items = data
    else:
        raise ImportRcError(f"{path}: expected the integrations.list answer {{\"integrations\": [...]}}, "
                            "a list of integrations or one integration document")
    docs: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ImportRcError(f"{path}: integrations[{i}] is not an object")
        docs.append(item)
    return docs


def _ident(doc: dict[str, Any], index: int, taken: set[str]) -> str:
    raw = str(doc.get("_id") or doc.get("name") or f"integration-{index + 1}")
    ident = re.sub(r"[^A-Za-z0-9_.-]+", "-", raw).strip("-._") or f"integration-{index + 1}"
    ident = ident[:120]
    candidate, n = ident, 2
    while candidate in taken:
        candidate, n = f"{ident}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _env_name(ident: str) -> str:
    return "HOOKHUB_TOKEN_" + re.sub(r"[^A-Z0-9]+", "_", ident.upper()).strip("_")


def _channels(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return [str(part).strip() for part in value if str(part).strip()]


def _http_hosts(source: str) -> list[str]:
    """Host names literally written in HTTP() and fetch() calls of a script (a hint for allow_hosts)."""
    hosts = re.findall(r"HTTP\s*\(\s*['\"`][A-Za-z]+['\"`]\s*,\s*['\"`]https?://([^/'\"`$:]+)", source)
    hosts += re.findall(r"\bfetch\s*\(\s*['\"`]https?://([^/'\"`$:]+)", source)
    return sorted(set(hosts))


def convert(docs: Iterable[dict[str, Any]], *, scripts_dir: str = "scripts") -> ImportResult:
    """Convert Rocket.Chat integration documents; nothing is written."""
    engine = JavaScriptEngine()
    result = ImportResult(config={})
    integrations: list[dict[str, Any]] = []
    users: dict[str, dict[str, Any]] = {}
    channels: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()
    for index, doc in enumerate(docs):
        where = f"integrations[{index}] ({doc.get('name') or doc.get('_id') or 'unnamed'})"
        kind = _TYPES.get(str(doc.get("type")))
        if kind is None:
            result.notes.append(f"{where}: skipped: type {doc.get('type')!r} is not webhook-incoming "
                                "or webhook-outgoing")
            continue
        ident = _ident(doc, index, taken)
        entry: dict[str, Any] = {"id": ident, "type": kind}
        for rc_key, key in (_COMMON | (_INCOMING if kind == "incoming" else _OUTGOING)).items():
            value = doc.get(rc_key)
            if value is not None and not (key in _UNSET_WHEN_EMPTY and value == ""):
                entry[key] = value
        if kind == "outgoing" and "retry_delay" in entry and entry["retry_delay"] not in _RETRY_DELAYS:
            result.notes.append(f"{where}: retryDelay {entry['retry_delay']!r} is unknown; using powers-of-ten")
            entry["retry_delay"] = "powers-of-ten"
        if "trigger_words" in entry:
            raw_words = entry["trigger_words"]
            words = _channels(raw_words)
            if isinstance(raw_words, list) and len(words) != len(raw_words):
                result.notes.append(f"{where}: empty trigger words dropped (they never fire)")
            entry["trigger_words"] = words

        targets = _channels(doc.get("channel"))
        if targets:
            entry["channel"] = targets
        for target in targets:
            if target.startswith("#"):
                channels.setdefault(target[1:], {"name": target[1:]})
            elif target.startswith("@"):
                users.setdefault(target[1:], {"username": target[1:]})
            elif not (kind == "outgoing" and target in _OUTGOING_FILTERS):
                result.notes.append(f"{where}: channel {target!r} has no # or @ prefix; declare it under "
                                    "channels: (by name) or users: (by id), or write '#name'")
        if doc.get("username"):
            users.setdefault(str(doc["username"]), {"username": str(doc["username"])})
        if kind == "incoming":
            for key, what in (("username", "the user it posts as (username)"), ("channel", "a channel")):
                if not entry.get(key):
                    result.notes.append(f"{where}: no {key} in the export; an incoming integration needs "
                                        f"{what}: add it before `hookhub check`")

        token = doc.get("token")
        if token:
            name = _env_name(ident)
            entry["token"] = {"$env": name}
            result.secrets[name] = str(token)

        source = doc.get("script")
        if isinstance(source, str) and source.strip():
            rel = f"{scripts_dir}/{ident}.js"
            result.scripts[rel] = source if source.endswith("\n") else source + "\n"
            entry["script_file"] = rel
            try:
                engine.check(source, rel)
            except ScriptCompileError as exc:
                result.notes.append(f"{where}: the script does not compile here: {exc}")
            calls = [name for name in ("HTTP", "fetch") if re.search(rf"\b{name}\s*\(", source)]
            if calls:
                hosts = _http_hosts(source)
                hint = f" (it calls {', '.join(hosts)})" if hosts else ""
                entry["http"] = {"allow_hosts": hosts}
                result.notes.append(f"{where}: the script calls {' and '.join(c + '()' for c in calls)}{hint}: "
                                    "check http.allow_hosts, egress is refused for hosts not listed")
        elif entry.get("script_enabled"):
            result.notes.append(f"{where}: scriptEnabled is true but there is no script; "
                                "script_enabled set to false")
            entry["script_enabled"] = False
        if doc.get("scriptError"):
            result.notes.append(f"{where}: Rocket.Chat reported a script error: {doc['scriptError']}")

        known = _HANDLED | set(_COMMON) | set(_INCOMING) | set(_OUTGOING) | set(_BOOKKEEPING)
        for key in sorted(set(doc) - known):
            result.notes.append(f"{where}: field {key!r} not mapped (value {json.dumps(doc[key])[:60]})")
        other = _OUTGOING if kind == "incoming" else _INCOMING
        for key in sorted(set(doc) & set(other)):
            if doc[key] not in (None, False, [], "", 0):
                result.notes.append(f"{where}: field {key!r} does not apply to {kind} integrations; ignored")
        integrations.append(entry)

    if users:
        result.config["users"] = list(users.values())
    if channels:
        result.config["channels"] = list(channels.values())
    result.config["integrations"] = integrations
    return result


def write(result: ImportResult, out_dir: Path, *, yaml_name: str = "hookhub.yaml", force: bool = False) -> list[Path]:
    """Write the YAML, the scripts and the ``.env`` file; return the paths written."""
    targets = [out_dir / yaml_name, *(out_dir / rel for rel in result.scripts)]
    if result.secrets:
        targets.append(out_dir / ".env")
    existing = [p for p in targets if p.exists()]
    if existing and not force:
        raise ImportRcError(f"{existing[0]} already exists; choose another --out-dir or pass --force")
    out_dir.mkdir(parents=True, exist_ok=True)
    header = ("# Imported from Rocket.Chat by `hookhub import-rc`.\n"
              "# Tokens come from the environment (see .env); merge these sections into your config.\n")
    (out_dir / yaml_name).write_text(
        header + yaml.safe_dump(result.config, sort_keys=False, allow_unicode=True, width=100), "utf-8")
    for rel, source in result.scripts.items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, "utf-8")
    if result.secrets:
        env_path = out_dir / ".env"
        lines = [f"{name}={_quote_env(value)}" for name, value in sorted(result.secrets.items())]
        fd = os.open(env_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("# Webhook tokens imported from Rocket.Chat. Keep this file secret.\n")
            handle.write("\n".join(lines) + "\n")
        os.chmod(env_path, 0o600)
    return targets


def _quote_env(value: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./+=:@-]*", value):
        return value
    return "'" + value.replace("'", "'\"'\"'") + "'"


@click.command("import-rc")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("imported"),
              show_default=True, help="Folder for hookhub.yaml, scripts/ and .env.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def command(file: Path, out_dir: Path, force: bool) -> None:
    """Convert Rocket.Chat integrations exported as JSON (integrations.list) to hookhub YAML."""
    try:
        docs = load_export(file)
        result = convert(docs)
        if _is_script(file, file.read_text("utf-8")):
            result.notes.insert(0, script_hint(file, docs[0]))
        written = write(result, out_dir, force=force)
    except HookhubError as exc:
        raise click.ClickException(str(exc)) from None
    count = len(result.config["integrations"])
    click.echo(f"imported {count} integration{'s' if count != 1 else ''} into {out_dir / 'hookhub.yaml'}")
    for path in written[1:]:
        click.echo(f"  wrote {path}")
    if result.secrets:
        click.echo("set these environment variables before `hookhub serve` (values are in "
                   f"{out_dir / '.env'}):")
        for name in sorted(result.secrets):
            click.echo(f"  {name}")
    if result.notes:
        click.echo("could not map / please check:")
        for note in result.notes:
            click.echo(f"  - {note}")


@hookimpl
def hookhub_cli_commands() -> list[click.Command]:
    """``hookhub import-rc`` (this module is the default plugin ``rc-import``)."""
    return [command]

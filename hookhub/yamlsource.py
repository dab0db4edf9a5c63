"""Load YAML while remembering where every value came from.

:func:`load` returns plain Python data plus a map from key paths
(``("integrations", 2, "channel")``) to line numbers, so that configuration
errors can name ``config/hookhub.yaml:41 integrations[2].channel``.  It also
resolves secrets written as ``{$env: NAME}`` or ``{$file: path}``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Problem

KeyPath = tuple[str | int, ...]

_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"


class _Loader(_BASE_LOADER):  # type: ignore[misc]
    """libyaml's parser when PyYAML was built with it (about twice as fast on large files).

    The tag of a plain scalar depends on its text only, and a large file repeats
    the same keys and values thousands of times: resolving each text once saves
    a third of the parse.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._plain_tags: dict[str, str] = {}

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            tag = self._plain_tags.get(value)
            if tag is None:
                tag = self._plain_tags[value] = super().resolve(kind, value, implicit)
            return tag
        return super().resolve(kind, value, implicit)


_LOADER: Any = _Loader


def format_path(path: KeyPath) -> str:
    """``("integrations", 2, "channel")`` → ``integrations[2].channel``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class Source:
    """A parsed YAML file: data, line numbers and the problems met while reading it."""

    file: str
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: names of ``$env`` variables that fell back to their ``dev_default``
    dev_defaults_used: list[str] = field(default_factory=list)

    def line(self, path: KeyPath) -> int | None:
        """The line of ``path``, or of its closest ancestor that has one."""
        for cut in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:cut]))
            if found is not None:
                return found
        return None

    def problem(self, path: KeyPath, message: str) -> Problem:
        """A :class:`Problem` about ``path`` in this file, at its line (or its closest ancestor's)."""
        return Problem(self.file, self.line(path), format_path(path), message)


def load(path: str | Path, *, dev: bool = False, display_name: str | None = None) -> Source:
    """Read and parse ``path``; YAML syntax errors become problems, not exceptions."""
    path = Path(path)
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return Source(name, None, problems=[Problem(name, None, "", f"cannot read the file: {exc.strerror or exc}")])
    except UnicodeDecodeError as exc:
        return Source(name, None, problems=[Problem(name, None, "", f"not UTF-8 text: {exc}")])
    return loads(text, file=name, base_dir=path.parent, dev=dev)


def loads(text: str, *, file: str = "<string>", base_dir: Path | None = None, dev: bool = False) -> Source:
    """Parse YAML ``text`` as file ``file`` (``$file`` secrets relative to ``base_dir``, default the current folder;
    ``dev``: ``$env`` may fall back to ``dev_default``); syntax errors become problems, empty text is ``{}``."""
    src = Source(file, None)
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        src.problems.append(Problem(file, line, "", f"invalid YAML: {problem}"))
        return src
    if node is None:
        src.data = {}
        return src
    builder = _Builder(src, base_dir or Path("."), dev)
    src.data = builder.build(node, ())
    return src


class _Builder:
    def __init__(self, src: Source, base_dir: Path, dev: bool) -> None:
        self.src = src
        self.base_dir = base_dir
        self.dev = dev
        self.loader = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.src.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            keys = {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
            if keys & {"$env", "$file"}:
                return self.secret(node, path)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self.scalar(key_node)
                if not isinstance(key, str):
                    key = str(key)
                child = (*path, key)
                if key in out:
                    self.src.lines[child] = key_node.start_mark.line + 1
                    self.src.problems.append(self.src.problem(child, f"duplicate key {key!r}; keep only one"))
                    continue
                self.src.lines[child] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:
        if node.tag == _STR_TAG and isinstance(node, yaml.ScalarNode):
            return node.value  # what SafeConstructor makes of a string, without its bookkeeping
        return self.loader.construct_object(node, deep=True)

    def secret(self, node: yaml.MappingNode, path: KeyPath) -> Any:
        spec = {k.value: self.loader.construct_object(v, deep=True) for k, v in node.value}
        allowed = {"$env", "$file", "dev_default"}
        extra = set(spec) - allowed
        if extra or ("$env" in spec) == ("$file" in spec):
            self.src.problems.append(self.src.problem(
                path, "a secret is written {$env: NAME} or {$file: path} (optionally with dev_default: value)"))
            return None
        if "$env" in spec:
            name = str(spec["$env"])
            value = os.environ.get(name)
            if value is not None:
                return value
            if self.dev and spec.get("dev_default") is not None:
                self.src.dev_defaults_used.append(name)
                return str(spec["dev_default"])
            hint = " or run with --dev to use its dev_default" if spec.get("dev_default") is not None else ""
            self.src.problems.append(self.src.problem(
                path, f"environment variable {name} is not set; export {name}=...{hint}"))
            return None
        file_path = self.base_dir / str(spec["$file"])
        try:
            return file_path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            self.src.problems.append(self.src.problem(
                path, f"cannot read secret file {spec['$file']} (relative to the YAML file): {reason}"))
            return None

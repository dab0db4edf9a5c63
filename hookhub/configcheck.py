"""``hookhub check``: every problem of every stage of a configuration, in one run.

Loading stops at the first failing stage (a schema error leaves no
configuration to cross-check, and no script to compile).  :func:`check_file`
goes on: it drops what the schema refused (an unknown key, a whole
integration whose type is wrong...), validates the rest again, and runs the
cross-checks (undeclared users and channels, missing files), the plugin
checks (verifier types) and the script compilation on what is left, so an
unknown key no longer hides an undeclared channel, nor that a compile error.
Every problem keeps the file, line and key path of the original file.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import yamlsource
from .config import Config, _fields_at, _message, parse_config
from .crosscheck import cross_check
from .errors import Problem

__all__ = ["check_file", "load_without_secrets"]

_LISTS = ("users", "channels", "integrations", "bridges")
_MAX_ROUNDS = 8
_UNSET = "(unset secret)"
_INDEXED = re.compile(r"^(users|channels|integrations|bridges)\[(\d+)\]")

Stage = Callable[[Config], list[Problem]]


def _clean(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop pydantic's union/validator markers from an error location (as ``parse_config`` does)."""
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))


def _prune(data: dict[str, Any], loc: tuple[Any, ...], kind: str, doomed: dict[str, set[int]]) -> None:
    """Remove what an error is about, so that the rest validates."""
    if not loc:
        return
    section = loc[0]
    if section in _LISTS and len(loc) >= 2 and isinstance(loc[1], int):
        entry = data.get(section)
        # an unknown key or a bad value: drop that key only (if it was required, the next
        # round says it is missing, and then the whole entry goes)
        if kind != "missing" and len(loc) >= 3:
            parent: Any = entry
            for part in loc[1:-1]:
                try:
                    parent = parent[part]
                except (KeyError, IndexError, TypeError):
                    doomed.setdefault(section, set()).add(loc[1])
                    return
            if isinstance(parent, dict):
                parent.pop(loc[-1], None)
                return
        doomed.setdefault(section, set()).add(loc[1])
        return
    parent = data
    for part in loc[:-1]:
        parent = parent.get(part) if isinstance(parent, dict) else None
    if isinstance(parent, dict) and kind != "missing":
        parent.pop(loc[-1], None)
    else:
        data.pop(section, None)


def _validate(data: dict[str, Any], src: yamlsource.Source, base_dir: Path,
              lines: dict[str, int]) -> Config:
    return Config.model_validate({**data, "base_dir": base_dir, "file": src.file,
                                  "dev_defaults_used": tuple(src.dev_defaults_used), "key_lines": lines})


def check_file(path: str | Path, *, dev: bool = False,
               stages: Callable[[Config], list[Problem]] | None = None) -> tuple[list[Problem], Config | None]:
    """Every problem of the file at *path*, and the configuration (what is left of it, with problems).

    :param stages: more checks run on the configuration (what is left of it),
        e.g. plugin problems and script compilation; their problems are
        reported with the original key paths and lines.
    """
    path = Path(path)
    src = yamlsource.load(path, dev=dev)
    base_dir = path.parent.resolve()
    problems = list(src.problems)
    if src.data is None:
        return problems, None
    if not isinstance(src.data, dict):
        problems.append(Problem(src.file, 1, "", "the file must be a mapping with keys such as server, integrations"))
        return problems, None
    reported = {p.path for p in problems}  # a missing secret is reported once, not again by the schema

    def add(found: list[Problem]) -> None:
        for p in found:
            if p.path not in reported and not any(p.path.startswith(r + ".") for r in reported if r):
                problems.append(p)
                reported.add(p.path)

    data = copy.deepcopy(src.data)
    _fill_unset_secrets(data, src)
    # positions kept in each list section: kept[section][new index] = original index
    kept = {s: list(range(len(data[s]))) for s in _LISTS if isinstance(data.get(s), list)}
    config: Config | None = None
    for _ in range(_MAX_ROUNDS):
        lines = _lines(src, kept)
        try:
            config = _validate(data, src, base_dir, lines)
            break
        except ValidationError as exc:
            doomed: dict[str, set[int]] = {}
            found = []
            for err in exc.errors():
                loc = _clean(tuple(err["loc"]))
                original = _original(loc, kept)
                found.append(src.problem(original, _message(err, _fields_at(loc))))
                _prune(data, loc, err["type"], doomed)
            add(found)
            for section, indexes in doomed.items():
                entries = data.get(section)
                if isinstance(entries, list):
                    data[section] = [e for i, e in enumerate(entries) if i not in indexes]
                    kept[section] = [o for i, o in enumerate(kept.get(section, [])) if i not in indexes]
    if config is None:
        return problems, None
    checked = cross_check(config, _renumbered(src, kept))
    if stages is not None:
        checked += stages(config)
    add([_restore(p, kept, src) for p in checked])
    return problems, config


def load_without_secrets(path: str | Path, *, dev: bool = False) -> Config:
    """The configuration of *path* for commands that need no secret (``hookhub deliveries``).

    Secrets that cannot be read are replaced by a placeholder instead of
    stopping the load; every other problem still raises ``ConfigError``.
    """
    path = Path(path)
    src = yamlsource.load(path, dev=dev)
    if isinstance(src.data, dict) and src.problems:
        keys = {yamlsource.format_path(k) for k in src.lines}
        secret_problems = [p for p in src.problems if p.path and p.path in keys]
        _fill_unset_secrets(src.data, src)
        src.problems = [p for p in src.problems if p not in secret_problems]
    return parse_config(src, path.parent.resolve())


def _fill_unset_secrets(data: dict[str, Any], src: yamlsource.Source) -> None:
    """A placeholder where a secret could not be read (it is reported already), so that the
    rest of its integration is still checked."""
    keys = {yamlsource.format_path(k): k for k in src.lines}
    for problem in src.problems:
        key = keys.get(problem.path)
        if not key:
            continue
        parent: Any = data
        for part in key[:-1]:
            try:
                parent = parent[part]
            except (KeyError, IndexError, TypeError):
                break
        else:
            if isinstance(parent, dict) and parent.get(key[-1]) is None and key[-1] in parent:
                parent[key[-1]] = _UNSET


def _original(loc: tuple[Any, ...], kept: Mapping[str, list[int]]) -> tuple[Any, ...]:
    if len(loc) >= 2 and loc[0] in kept and isinstance(loc[1], int) and loc[1] < len(kept[loc[0]]):
        return (loc[0], kept[loc[0]][loc[1]], *loc[2:])
    return loc


def _lines(src: yamlsource.Source, kept: Mapping[str, list[int]]) -> dict[str, int]:
    """``key_lines`` of the pruned data: renumbered list entries keep their original lines."""
    return {yamlsource.format_path(k): v for k, v in _renumbered(src, kept).lines.items()}


def _renumbered(src: yamlsource.Source, kept: Mapping[str, list[int]]) -> yamlsource.Source:
    """A view of *src* whose line map uses the pruned lists' indexes."""
    new_index = {s: {o: n for n, o in enumerate(orig)} for s, orig in kept.items()}
    lines: dict[yamlsource.KeyPath, int] = {}
    for key, line in src.lines.items():
        if len(key) >= 2 and key[0] in new_index and isinstance(key[1], int):
            n = new_index[str(key[0])].get(key[1])
            if n is None:
                continue
            key = (key[0], n, *key[2:])
        lines[key] = line
    return yamlsource.Source(src.file, None, lines=lines)


def _restore(problem: Problem, kept: Mapping[str, list[int]], src: yamlsource.Source) -> Problem:
    """A problem found on the pruned data, with the original index in its key path."""
    match = _INDEXED.match(problem.path)
    if match is None or match.group(1) not in kept:
        return problem
    positions = kept[match.group(1)]
    index = int(match.group(2))
    if index >= len(positions):
        return problem
    path = f"{match.group(1)}[{positions[index]}]{problem.path[match.end():]}"
    return Problem(problem.file, problem.line, path, problem.message)

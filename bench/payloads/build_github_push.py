"""Build ``github__push__70k.json``: a ~70 KB GitHub ``push`` body for the benchmark.

It starts from GitHub's own recorded push example (``github__push__new_branch_1_commit.json``)
and turns it into a large push, as a big merge or refactor produces: 20 commits (GitHub
puts at most 20 in a push payload), commit messages taken from the titles and bodies of
the other recorded GitHub examples in this folder, and file lists long enough for the
compact JSON body to weigh about 70 KB.  The output is deterministic; run it again after
changing it:

    python bench/payloads/build_github_push.py
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BASE = HERE / "github__push__new_branch_1_commit.json"
TEXT_SOURCES = ("github__issues__opened.json", "github__pull_request__opened.json",
                "github__issue_comment__created.json")
OUTPUT = HERE / "github__push__70k.json"
TARGET_BYTES = 70 * 1024
COMMITS = 20


def _messages() -> list[str]:
    texts: list[str] = []
    for name in TEXT_SOURCES:
        data = json.loads((HERE / name).read_text(encoding="utf-8"))
        for key in ("issue", "pull_request", "comment"):
            item = data.get(key) or {}
            title, body = item.get("title"), item.get("body")
            if title or body:
                texts.append("\n\n".join(t for t in (title, body) if t))
    return texts


def _sha(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


def build(files_per_commit: int) -> dict[str, Any]:
    base: dict[str, Any] = json.loads(BASE.read_text(encoding="utf-8"))
    template = base["commits"][0]
    messages = _messages()
    commits = []
    for i in range(COMMITS):
        commit = copy.deepcopy(template)
        sha = _sha("commit", i)
        commit["id"] = sha
        commit["tree_id"] = _sha("tree", i)
        commit["message"] = messages[i % len(messages)]
        commit["timestamp"] = f"2019-05-15T15:{20 + i:02d}:25Z"
        commit["url"] = template["url"].rsplit("/", 1)[0] + "/" + sha
        commit["added"] = [f"docs/section_{i:02d}/page_{j:03d}.md" for j in range(files_per_commit // 4)]
        commit["modified"] = [f"src/hello_world/module_{i:02d}/file_{j:03d}.py" for j in range(files_per_commit)]
        commit["removed"] = []
        commits.append(commit)
    base["commits"] = commits
    base["head_commit"] = copy.deepcopy(commits[-1])
    base["before"] = _sha("before")
    base["after"] = commits[-1]["id"]
    return base


def smallest_over_target() -> tuple[dict[str, Any], int]:
    """The payload with the fewest files per commit whose compact JSON reaches the target size."""
    files = 1
    while True:
        payload = build(files)
        if len(json.dumps(payload, separators=(",", ":"))) >= TARGET_BYTES:
            return payload, files
        files += 1


def main() -> None:
    payload, files = smallest_over_target()
    text = json.dumps(payload, separators=(",", ":")) + "\n"
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"{OUTPUT.name}: {len(text) - 1} bytes, {len(payload['commits'])} commits, {files} modified files each")


if __name__ == "__main__":
    main()

"""``hookhub new-script``: a new script folder that passes its own test."""

from __future__ import annotations

import json
import re
from pathlib import Path

SCRIPT = '''"""{title}: turns {name} webhooks into chat messages."""

# hookkit: hookhub's helpers for scripts (links, fields, answers...); see docs/writing-scripts.md
from hookkit import GREEN, field, message

#: header naming the event type; None when the event is in the body
EVENT_HEADER = "X-{title}-Event"
#: event types this script turns into messages; others are ignored (200, nothing posted)
EVENTS = ("example",)


class Script:
    def process_incoming_request(self, request):
        event = (request.headers.get(EVENT_HEADER.lower()) or "").lower()
        content = request.content
        if event not in EVENTS:
            console.log("ignoring event", event or "(none)")
            return None
        if not content.get("message"):
            return {{"error": "payload has no 'message'"}}
        return message(f"[{title}] {{content.message}}", {{
            "color": GREEN,
            "title": content.get("title") or "{title} event",
            "fields": [field("Event", event)],
        }})
'''

TEST = '''from pathlib import Path

SCRIPT = Path(__file__).parent / "script.py"


def test_example(check):
    check(SCRIPT, "example__basic",
          text="[{title}] Hello from {name}",
          attachments=[{{"color": "#2eb886", "title": "A first event",
                        "fields": [{{"title": "Event", "value": "example", "short": True}}]}}])


def test_unsupported_event_posts_nothing(check):
    check(SCRIPT, "example__basic", headers={{"X-{title}-Event": "other"}}, expect_nothing=True)


def test_malformed_payload(check):
    check(SCRIPT, {{"title": "no message"}}, headers={{"X-{title}-Event": "example"}}, status=400,
          error="payload has no 'message'")
'''

README = '''# {name}

Turns {title} webhooks into chat messages.

## Configure

```yaml
integrations:
  - id: {name}
    type: incoming
    token: {{$env: {upper}_TOKEN, dev_default: {name}-dev-token}}
    channel: "#general"
    username: rocket.cat
    script_file: {script_file}   # relative to the YAML file
```

(`{script_file}` is right for a YAML file in `config/` next to
`{directory}/`, as in `config/hookhub.yaml`.)

Point {title} at `https://<your hookhub>/hooks/{name}/<token>`.

## Try it

```sh
hookhub test {directory}/{name}/script.py example__basic
pytest {directory}/{name}
```
'''


def scaffold(directory: Path, name: str) -> list[Path]:
    """Create ``directory/name/``; returns the files created."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"{name!r}: use lower-case letters, digits and '_' (it becomes a folder and an id)")
    folder = directory / name
    if folder.exists():
        raise FileExistsError(f"{folder} already exists; choose another name or remove it")
    title = name.replace("_", " ").title().replace(" ", "")
    shown = directory.as_posix()
    script_file = f"{shown}/{name}/script.py" if directory.is_absolute() else f"../{shown}/{name}/script.py"
    values = {"name": name, "title": title, "upper": name.upper(), "directory": shown, "script_file": script_file}
    files = {
        folder / "script.py": SCRIPT.format(**values),
        folder / f"test_{name}.py": TEST.format(**values),
        folder / "README.md": README.format(**values),
        folder / "fixtures" / "example__basic.json":
            json.dumps({"message": f"Hello from {name}", "title": "A first event"}, indent=2) + "\n",
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)

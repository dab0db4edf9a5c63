"""``hookhub new-integration`` (alias ``new-script``): a new integration folder, on the kit, that passes its test."""

from __future__ import annotations

import json
import re
from pathlib import Path

SCRIPT = '''"""{title}: turns {name} webhooks into chat messages."""

# hookkit: hookhub's helpers for scripts (the event table's dispatch, links, fields...); see docs/writing-scripts.md
from hookkit import GREEN, dispatch, field, message

#: the header naming the event; hookhub's test tools set it from a fixture's name (<event>__<variant>.json)
EVENT_HEADER = "X-{title}-Event"

#: dotted paths each event's handler relies on: a payload without one is answered 400 naming it
NEEDS = {{"example": ("message",)}}


def example(body, request):
    return message(f"[{title}] {{body['message']}}", {{
        "color": GREEN,
        "title": body.get("title") or "{title} event",
        "fields": [field("Event", "example")],
    }})


#: the events this script posts, one handler each; any other event is answered 200, nothing posted, one log line
EVENTS = {{"example": example}}


class Script:
    def process_incoming_request(self, request):
        return dispatch(request, EVENTS, header=EVENT_HEADER, needs=NEEDS, service="{title}")
'''

TEST = '''"""Tests of the {name} script: the check fixture finds script.py and fixtures/ next to this file."""


def test_example__basic(check):
    check("example__basic",
          text="[{title}] Hello from {name}",
          attachments=[{{"color": "#2eb886", "title": "A first event",
                        "fields": [{{"title": "Event", "value": "example", "short": True}}]}}])


def test_other_events_are_not_supported(check):
    check("example__basic", event="other", expect_unsupported=True)


def test_a_payload_without_message(check):
    check("example__basic", drop=["message"], status=400, error="{title} 'example' payload is missing 'message'")
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

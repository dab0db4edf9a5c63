"""Engines report what a script defines (methods, module-level names, constants, Store use) unrun."""

from __future__ import annotations

from hookhub.engines.base import ScriptOutline, outline_of
from hookhub.engines.javascript import JavaScriptEngine
from hookhub.engines.outlines import javascript_outline, python_outline
from hookhub.engines.python import PythonEngine

PY = '''
from hookkit import dispatch
import json

EVENT_HEADER = "X-GitHub-Event"
LIMITS = {"commits": 10, "tags": [1, 2]}
EVENTS = {"push": print}
WHEN = json.dumps({})
RETRIES: int = 3

def helper(body, request):
    return None

class Base:
    def process_outgoing_response(self, request, response):
        return Store.get("x")

class Script(Base):
    prepare_outgoing_request = helper

    def process_incoming_request(self, request):
        return None

    async def later(self):
        return None
'''


def test_python_outline_reads_methods_names_and_constants() -> None:
    outline = PythonEngine().outline(PY, "s.py")
    assert outline.methods == {"process_incoming_request", "process_outgoing_response",
                               "prepare_outgoing_request", "later"}
    assert outline.defines("process_outgoing_response") and not outline.defines("nothing")
    assert {"EVENT_HEADER", "LIMITS", "EVENTS", "WHEN", "RETRIES", "helper", "Base", "Script", "dispatch",
            "json"} <= outline.names
    assert outline.constants == {"EVENT_HEADER": "X-GitHub-Event", "LIMITS": {"commits": 10, "tags": [1, 2]},
                                 "RETRIES": 3}
    assert outline.event_header == "X-GitHub-Event"
    assert outline.uses_store


def test_python_outline_of_odd_sources() -> None:
    assert python_outline("def (:") == ScriptOutline()
    outline = python_outline("class Script:\n    pass\nEVENT_HEADER = 'a'\nEVENT_HEADER = None\n"
                             "x = {1, 2}\nStoreX = 1\n")
    assert outline.methods == frozenset() and outline.event_header is None
    assert "x" not in outline.constants, "a set is not JSON"
    assert not outline.uses_store
    assert python_outline("class Script(Script):\n    def a(self): pass\n").methods == {"a"}
    assert python_outline("EVENT_HEADER = ('X-Gitea-Event', 'X-Forgejo-Event')").event_header == "X-Gitea-Event"


JS = '''
const EVENT_HEADER = "X-Gitlab-Event";
let NAME = 'it\\'s';
var COUNT = 3;
function helper() { return Store.get("a"); }
class Script {
  process_incoming_request({ request }) { return { content: { text: "x" } }; }
  prepare_outgoing_request({ request }) { return request; }
}
'''


def test_javascript_outline() -> None:
    outline = JavaScriptEngine().outline(JS, "s.js")
    assert outline.methods == {"process_incoming_request", "prepare_outgoing_request"}
    assert outline.constants == {"EVENT_HEADER": "X-Gitlab-Event", "NAME": "it's"}
    assert {"EVENT_HEADER", "NAME", "COUNT", "helper", "Script"} <= outline.names
    assert outline.uses_store and outline.event_header == "X-Gitlab-Event"
    assert not javascript_outline("class Script {}").uses_store


class _Bare:
    """A third-party engine without outline()."""

    name = "bare"
    extensions = (".bare",)


def test_engines_without_outline_get_a_textual_guess() -> None:
    outline = outline_of(_Bare(), "process_incoming_request = 1\nStore", "x.bare")
    assert outline.methods == {"process_incoming_request"} and outline.uses_store
    assert outline_of(PythonEngine(), PY, "s.py").event_header == "X-GitHub-Event"

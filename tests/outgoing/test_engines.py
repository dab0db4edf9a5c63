"""Outgoing scripts in both engines and in the worker-process sandbox."""

from __future__ import annotations

import pytest

from tests.conftest import messages

from .conftest import outgoing, post, wait_history
from .receiver import Receiver, wait_until

# A Rocket.Chat outgoing script, as pasted from Rocket.Chat's documentation style.
ROCKET_CHAT_JS = """
class Script {
  prepare_outgoing_request({ request }) {
    const match = request.data.text.match(/^pr\\s(ls|list)/);
    if (!match) {
      return { message: { text: 'unknown command: ' + request.data.text } };
    }
    return { url: request.url + '/pulls', method: 'GET', headers: { Accept: 'application/json' } };
  }
  process_outgoing_response({ request, response }) {
    return { content: { text: 'open pull requests: ' + response.content.count } };
  }
}
"""


def test_rocket_chat_javascript_script(start_hub, receiver: Receiver) -> None:
    receiver.answer(200, {"count": 3})
    client = start_hub(outgoing("gh", [receiver.url("/repo")], ROCKET_CHAT_JS, script_engine="javascript",
                                trigger_words=["pr"]))
    post(client, "pr ls")
    wait_until(lambda: any(m["text"] == "open pull requests: 3" for m in messages(client)), what="the JS reply")
    got = receiver.requests[0]
    assert got.method == "GET" and got.path == "/repo/pulls" and got.headers["accept"] == "application/json"
    post(client, "pr merge")
    wait_until(lambda: any(m["text"] == "unknown command: pr merge" for m in messages(client)), what="reply")
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("mode", ["process"])
def test_python_script_in_worker_processes(start_hub, receiver: Receiver, mode: str) -> None:
    script = """
    class Script:
        def prepare_outgoing_request(self, request):
            return {"url": request.url, "method": "POST", "data": {"n": len(request.data.text)}}

        def process_outgoing_response(self, request, response):
            return {"content": {"text": "receiver said " + response.content["answer"]}}
    """
    receiver.answer(200, {"answer": "hi"})
    client = start_hub(outgoing("out", [receiver.url()], script), mode=mode)
    post(client, "four")
    wait_until(lambda: any(m["text"] == "receiver said hi" for m in messages(client)), timeout=20, what="reply")
    assert receiver.requests[0].json == {"n": 4}
    assert wait_history(client, "out", 1)[0]["step"] == "process-outgoing-response"

"""Processing (hookhub.pipeline.processing): run the script, read its result, build messages; no store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from hookhub.bodies import ParsedBody
from hookhub.config import load_config
from hookhub.errors import ScriptReturnedError, ScriptRunError
from hookhub.hub import Hub
from hookhub.pipeline.inbound import Inbound
from hookhub.pipeline.processing import interpret, js_truthy, poster, process, script_request

from ..conftest import integration

ECHO = """
class Script:
    def process_incoming_request(self, request):
        console.log("got", request.content.text)
        return {"content": {"text": request.content.text + " (" + request.user.username + ")"}}
"""

BROKEN = """
class Script:
    def process_incoming_request(self, request):
        return 1 / 0
"""


@pytest.fixture
async def hub(write_config: Callable[..., Path]) -> AsyncIterator[Hub]:
    config = load_config(write_config(integration("echo", ECHO), integration("broken", BROKEN),
                                      integration("plain"), integration("bad", "class Script(:\n")))
    hub = Hub(config)
    await hub.start()
    try:
        yield hub
    finally:
        await hub.stop()


@pytest.mark.parametrize(("value", "truthy"), [
    (None, False), (False, False), (0, False), (0.0, False), ("", False), (float("nan"), False),
    ({}, True), ([], True), ("0", True), (1, True), (True, True), (-0.5, True),
])
def test_js_truthy(value: object, truthy: bool) -> None:
    assert js_truthy(value) is truthy


async def test_process_runs_the_script_and_touches_no_store(hub: Hub) -> None:
    inbound = Inbound("echo", "echo-token", headers={"Content-Type": "application/json"}, body=b'{"text": "hi"}')
    outcome = await process(hub, hub.registry.integrations["echo"], inbound)
    assert outcome.status == 200 and outcome.body == {"success": True}
    assert [d.doc["text"] for d in outcome.drafts] == ["hi (rocket.cat)"]
    assert [r.message for r in outcome.logs] == ["got hi"]
    assert outcome.result == {"content": {"text": "hi (rocket.cat)"}}
    assert outcome.raw == '{"text": "hi"}'
    assert await hub.store.messages("#general") == []  # committing is the posting stage's


async def test_a_failing_script_is_a_400_with_the_reason_logged(hub: Hub) -> None:
    outcome = await process(hub, hub.registry.integrations["broken"], Inbound("broken", "t", body=b"{}"))
    assert outcome.status == 400 and outcome.body["success"] is False
    assert outcome.error is not None and "ZeroDivisionError" in outcome.error
    assert any("ZeroDivisionError" in r.message and r.level == "error" for r in outcome.logs)
    assert "Traceback" not in str(outcome.body)  # tracebacks go to the log, never to the caller


async def test_a_script_that_does_not_compile_is_refused_and_logged(hub: Hub) -> None:
    integ = hub.registry.integrations["bad"]
    assert integ.compile_error is not None
    outcome = await process(hub, integ, Inbound("bad", "t", body=b"{}"))
    assert outcome.status == 400
    assert any(r.message.startswith("script does not compile") for r in outcome.logs)


async def test_without_a_script_the_body_is_the_message(hub: Hub) -> None:
    integ = hub.registry.integrations["plain"]
    outcome = await process(hub, integ, Inbound("plain", "t", headers={"content-type": "application/json"},
                                                body=b'{"text": "direct"}', headers_lower=True))
    assert [d.doc["text"] for d in outcome.drafts] == ["direct"]
    refused = await process(hub, integ, Inbound("plain", "t", headers={"content-type": "application/json"},
                                                body=b"{not json", headers_lower=True))
    assert refused.status == 400 and refused.drafts == []


def test_interpret_reads_the_return_contract(write_config: Callable[..., Path]) -> None:
    hub = Hub(load_config(write_config(integration("x"))))
    integ = hub.registry.integrations["x"]
    assert interpret(hub, integ, None).body == {"success": True}
    with pytest.raises(ScriptRunError, match="result.content: missing"):
        interpret(hub, integ, {})  # {} is truthy (JavaScript): a result without content is refused
    with pytest.raises(ScriptReturnedError):
        interpret(hub, integ, {"error": "nope"})
    with pytest.raises(ScriptRunError):
        interpret(hub, integ, {"content": "not an object"})
    ok = interpret(hub, integ, {"content": {"text": "t"}, "response": {"note": 1}})
    assert ok.body == {"note": 1, "success": True} and len(ok.drafts) == 1


def test_script_request_and_poster(write_config: Callable[..., Path]) -> None:
    hub = Hub(load_config(write_config(integration("x"))))
    integ = hub.registry.integrations["x"]
    user = poster(hub, integ)
    assert user["username"] == "rocket.cat" and user["name"] == "Rocket Cat"
    inbound = Inbound("x", "tok", query_string="a=1", headers={"X-Event": "push"}, user_id="u1")
    request = script_request(integ, inbound, ParsedBody({"k": 1}, {"k": 1}, '{"k": 1}', None), user)
    assert request["url"]["query"] == {"a": "1"}
    assert request["url_params"] == {"integrationId": "x", "token": "tok", "userId": "u1"}
    assert request["content"] == {"k": 1} and request["user"]["username"] == "rocket.cat"

"""The API's answer models (hookhub.web.apimodels): real answers parse with them, and the schema is strict."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pydantic import BaseModel, ValidationError
from starlette.testclient import TestClient

from hookhub.web.apimodels import MODELS, Deliveries, Error, History, Integrations, Logs, Messages, Posted
from tests.conftest import AUTH, integration


def test_answers_parse_with_the_models(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("plain"))
    assert client.post("/hooks/plain/plain-token", json={"text": "hi"}).status_code == 200
    Messages.model_validate(client.get("/api/v1/channels/general/messages", headers=AUTH).json())
    Integrations.model_validate(client.get("/api/v1/integrations", headers=AUTH).json())
    Logs.model_validate(client.get("/api/v1/integrations/plain/logs", headers=AUTH).json())
    history = History.model_validate(client.get("/api/v1/integrations/plain/history", headers=AUTH).json())
    assert history.history[0].status == 200
    Deliveries.model_validate(client.get("/api/v1/deliveries", headers=AUTH).json())


def test_errors_parse_with_the_envelope(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("plain"))
    for answer in (client.post("/hooks/plain/wrong", json={}), client.get("/api/v1/integrations"),
                   client.get("/api/v1/integrations/nope/logs", headers=AUTH)):
        assert Error.model_validate(answer.json()).success is False


def test_posted_parses_a_chat_post(make_client: Callable[..., TestClient]) -> None:
    client = make_client(integration("plain"))
    answer = client.post("/api/v1/chat.postMessage", json={"channel": "#general", "text": "hi"}, headers=AUTH)
    assert Posted.model_validate(answer.json()).message.text == "hi"


def test_closed_models_refuse_unknown_keys() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Logs.model_validate({"success": True, "logs": [], "surprise": 1})
    with pytest.raises(ValidationError):
        Error.model_validate({"success": True, "error": "x"})  # an error is never a success


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_model_is_documented_and_has_a_schema(model: type[BaseModel]) -> None:
    assert model.__doc__ and model.__doc__.strip(), f"{model.__name__} needs a docstring (it is the schema's description)"
    schema = model.model_json_schema()
    assert schema["type"] == "object" and schema["properties"]

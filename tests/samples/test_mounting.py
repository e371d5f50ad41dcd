"""mounting: the host mounted in a FastAPI app, next to the app's own routes."""

import json

import httpx
import openai
import pytest
from sample_support import run_readme, stream_events, strict_client

SAMPLE = "mounting"
READY_PATH = "/agent/readiness"


@pytest.fixture(scope="module")
def client(server):
    return strict_client(server.url + "/agent")


def test_parent_routes_next_to_the_agent(server):
    assert httpx.get(server.url + "/").json() == {
        "service": "mounting sample",
        "responses": "/agent/responses",
    }
    assert httpx.get(server.url + "/agent/liveness").status_code == 200
    missing = httpx.post(server.url + "/responses", json={"model": "m", "input": "x"})
    assert missing.status_code == 404  # the protocol lives under the mount path only


def test_all_modes_under_the_mount(client):
    assert client.responses.create(model="mounted", input="one").output_text == "Mounted agent says: one"
    events = stream_events(client, model="mounted", input="two")
    assert events[-1].response.output_text == "Mounted agent says: two"
    created = client.responses.create(model="mounted", input="three", background=True)
    replay = list(client.responses.retrieve(created.id, stream=True))
    assert replay[-1].response.output_text == "Mounted agent says: three"
    assert [i.id for i in client.responses.input_items.list(created.id)] == [
        i.id for i in client.responses.input_items.list(created.id, order="asc")
    ]
    client.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)


def test_readme_commands(server):
    plain, _ = run_readme(SAMPLE, server.url)
    index, _, created = plain.partition("\n")
    assert json.loads(index)["responses"] == "/agent/responses"
    assert json.loads(created)["output"][0]["content"][0]["text"] == "Mounted agent says: Hi!"

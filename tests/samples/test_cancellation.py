"""cancellation: a cancelled background response ends `cancelled` after the handler noticed;
a client hang-up cancels too; on shutdown the handler finishes early."""

import json

import openai
import pytest
from sample_support import run_readme, start_sample, strict_client
from support.polling import poll

SAMPLE = "cancellation"


def first_delta(events):
    """Consume ``events`` up to the first text delta; returns the response id."""
    response_id = None
    for event in events:
        if event.type == "response.created":
            response_id = event.response.id
        elif event.type == "response.output_text.delta":
            return response_id
    raise AssertionError("the stream ended before the first delta")


def test_cancel_background_response(client):
    events = client.responses.create(model="worker", input="job", background=True, stream=True)
    response_id = first_delta(events)
    cancelled = client.responses.cancel(response_id)
    assert cancelled.status == "cancelled"
    assert cancelled.output_text.startswith("Step 1 done. ")
    assert cancelled.output_text.endswith("Cancelled.")  # the handler saw cancellation_signal set
    assert cancelled.output[0].status == "completed"  # the handler closed its message itself

    rest = list(events)  # the live stream ends with the cancelled terminal event
    assert rest[-1].type == "response.failed" and rest[-1].response.status == "cancelled"
    assert rest[-1].response.output_text == cancelled.output_text
    assert client.responses.retrieve(response_id).status == "cancelled"
    assert client.responses.cancel(response_id).status == "cancelled"  # idempotent


def test_cancel_is_for_background_responses(client):
    with client.responses.create(model="worker", input="job", stream=True) as events:
        response_id = first_delta(events)
        with pytest.raises(openai.BadRequestError):
            client.responses.cancel(response_id)
    with pytest.raises(openai.NotFoundError):
        client.responses.cancel("resp_" + "0" * 48)


def test_client_hang_up_cancels_streaming_response(client):
    with client.responses.create(model="worker", input="job", stream=True) as events:
        response_id = first_delta(events)

    # The hang-up is noticed asynchronously: poll until the response is terminal.
    def ended():
        response = client.responses.retrieve(response_id)
        return response if response.status != "in_progress" else None

    response = poll(ended, timeout=30, interval=0.05, what="the response cancelled after the client hung up")
    assert response.status == "cancelled"
    assert response.output_text.endswith("Cancelled.")


@pytest.mark.slow  # a server process of its own
def test_shutdown_lets_the_handler_finish_early():
    with start_sample(SAMPLE) as server:
        events = strict_client(server.url).responses.create(model="worker", input="job", stream=True)
        first_delta(events)
        server.process.terminate()  # SIGTERM: the server drains
        rest = list(events)
    assert rest[-1].type == "response.completed"
    assert rest[-1].response.output_text.endswith("Stopped early: the server is shutting down.")


def test_readme_commands(base_url):
    cancelled, _ = run_readme(SAMPLE, base_url)
    assert json.loads(cancelled)["status"] == "cancelled"

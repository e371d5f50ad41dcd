"""conversation_history: the tutor sees earlier turns through previous_response_id chains."""

import json

from sample_support import run_readme, stream_events

SAMPLE = "conversation_history"


def test_chain_of_turns(client):
    first = client.responses.create(model="tutor", input="algebra")
    assert first.output_text == "Welcome to your study session! Topic 1: algebra."
    second = client.responses.create(model="tutor", input="geometry", previous_response_id=first.id)
    assert second.output_text == "Topic 2: geometry. So far we studied: algebra."
    # Streaming, continuing the chain.
    events = stream_events(client, model="tutor", input="calculus", previous_response_id=second.id)
    assert events[-1].response.output_text == "Topic 3: calculus. So far we studied: algebra, geometry."
    assert events[-1].response.previous_response_id == second.id


def test_branches_see_only_their_own_chain(client):
    root = client.responses.create(model="tutor", input="chemistry")
    branch_a = client.responses.create(model="tutor", input="acids", previous_response_id=root.id)
    branch_b = client.responses.create(model="tutor", input="bases", previous_response_id=root.id)
    assert branch_a.output_text == "Topic 2: acids. So far we studied: chemistry."
    assert branch_b.output_text == "Topic 2: bases. So far we studied: chemistry."


def test_conversation_id_instead_of_a_chain(client):
    client.responses.create(model="tutor", input="optics", conversation="conv_physics")
    second = client.responses.create(model="tutor", input="waves", conversation="conv_physics")
    assert second.output_text == "Topic 2: waves. So far we studied: optics."
    assert second.conversation.id == "conv_physics"


def test_without_previous_response_a_new_session_starts(client):
    client.responses.create(model="tutor", input="history")
    assert client.responses.create(model="tutor", input="art").output_text.startswith("Welcome")


def test_readme_commands(base_url):
    second, _ = run_readme(SAMPLE, base_url)
    assert json.loads(second)["output"][0]["content"][0]["text"] == (
        "Topic 2: cell respiration. So far we studied: photosynthesis."
    )

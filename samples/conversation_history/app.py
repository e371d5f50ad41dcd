"""Conversation history: a study tutor that remembers the session.

Each turn names the previous one with `previous_response_id`; `context.get_history()` returns the
items of that chain (earlier questions and answers, oldest first).
"""

import asyncio

from responsekit import CreateResponse, ResponseContext, ResponsesAgentServerHost, TextResponse

app = ResponsesAgentServerHost()


def text_of(item: dict) -> str:
    return " ".join(part["text"] for part in item.get("content") or [] if part.get("text"))


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    topic = await context.get_input_text()
    history = [item.model_dump(mode="json") for item in await context.get_history()]
    studied = [text_of(item) for item in history if item.get("role") == "user"]

    if not studied:
        answer = f"Welcome to your study session! Topic 1: {topic}."
    else:
        answer = f"Topic {len(studied) + 1}: {topic}. So far we studied: {', '.join(studied)}."
    return TextResponse(context, request, text=answer)


if __name__ == "__main__":
    app.run()

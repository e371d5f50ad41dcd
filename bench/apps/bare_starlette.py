"""The baseline: a bare Starlette endpoint on uvicorn answering with pre-encoded bytes.

BODY_FILE holds the body to send (the benchmark writes responsekit's own echo response there);
with STREAM=1 it is sent as an SSE stream in the same number of chunks as responsekit's frames.

DELTAS=n (the floor of bench_http's many-deltas stream): an SSE stream of the frames responsekit
sends for one text message of n ``"tok "`` deltas (created, in_progress, item and part added, n
deltas, the done events repeating the whole text, completed, ``[DONE]``), encoded once at startup
and yielded one frame per chunk; no BODY_FILE needed. Without BODY_FILE nor DELTAS (the startup
benchmark) it answers a small JSON body.
"""

import json
import os

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route


def _delta_frames(n: int) -> list[bytes]:
    """responsekit's frames for a message of ``n`` deltas, byte for byte in shape (ids made up)."""
    response_id, item_id = "resp_" + "0" * 48, "msg_" + "0" * 48
    response = {
        "id": response_id, "object": "response", "created_at": 1796000000, "status": "in_progress",
        "background": False, "completed_at": None, "error": None, "incomplete_details": None,
        "instructions": None, "max_output_tokens": None, "max_tool_calls": None, "model": "bench",
        "output": [], "previous_response_id": None, "text": {"format": {"type": "text"}}, "tools": [],
        "tool_choice": "auto", "prompt": None, "metadata": {}, "top_logprobs": 0, "temperature": 1.0,
        "top_p": 1.0, "user": None, "safety_identifier": None, "prompt_cache_key": None,
        "prompt_cache_retention": None, "service_tier": "default", "truncation": "disabled",
        "reasoning": None, "usage": None, "prompt_cache_options": None, "moderation": None,
        "parallel_tool_calls": True, "conversation": None, "store": True, "agent_reference": None,
        "presence_penalty": 0.0, "frequency_penalty": 0.0, "context_management": None,
    }  # fmt: skip
    seq = 0

    def frame(payload: dict) -> bytes:
        nonlocal seq
        payload = {**payload, "sequence_number": seq}
        seq += 1
        data = json.dumps(payload, separators=(",", ":"))
        return f"event: {payload['type']}\ndata: {data}\n\n".encode()

    text = "tok " * n
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    item = {"id": item_id, "type": "message", "status": "completed", "content": [part], "role": "assistant"}
    where = {"item_id": item_id, "output_index": 0, "content_index": 0}
    frames = [
        frame({"type": "response.created", "response": response}),
        frame({"type": "response.in_progress", "response": response}),
        frame({"type": "response.output_item.added", "output_index": 0,
               "item": {**item, "status": "in_progress", "content": []}}),
        frame({"type": "response.content_part.added", **where, "part": {**part, "text": ""}}),
    ]  # fmt: skip
    delta = frame({"type": "response.output_text.delta", **where, "delta": "tok ", "logprobs": []})
    head = delta.partition(b'"sequence_number":')[0]
    seq -= 1  # the template's number is the first delta's
    for _ in range(n):  # the same bytes json.dumps gives, built faster for 100,000 of them
        frames.append(head + b'"sequence_number":%d}\n\n' % seq)
        seq += 1
    frames += [
        frame({"type": "response.output_text.done", **where, "text": text, "logprobs": []}),
        frame({"type": "response.content_part.done", **where, "part": part}),
        frame({"type": "response.output_item.done", "output_index": 0, "item": item}),
        frame({"type": "response.completed",
               "response": {**response, "status": "completed", "output": [item]}}),
        b"data: [DONE]\n\n",
    ]  # fmt: skip
    return frames


DELTAS = int(os.environ.get("DELTAS", "0"))
if DELTAS:
    CHUNKS = _delta_frames(DELTAS)
    BODY = b"".join(CHUNKS)
elif os.environ.get("BODY_FILE"):
    with open(os.environ["BODY_FILE"], "rb") as f:
        BODY = f.read()
    CHUNKS = [c + b"\n\n" for c in BODY.split(b"\n\n") if c]
else:
    BODY = b'{"object":"response","status":"completed"}'
    CHUNKS = [BODY]
STREAM = DELTAS > 0 or os.environ.get("STREAM") == "1"


async def create(request: Request) -> Response:
    await request.body()
    if STREAM:

        async def frames():
            for chunk in CHUNKS:
                yield chunk

        return StreamingResponse(frames(), media_type="text/event-stream")
    return Response(BODY, media_type="application/json")


async def ready(request: Request) -> Response:
    return Response(b"{}", media_type="application/json")


app = Starlette(routes=[Route("/responses", create, methods=["POST"]), Route("/readiness", ready)])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning", access_log=False)

"""The upstream model the upstream samples talk to in tests: a small responsekit app.

It answers "Upstream <model> heard: <input text>" one word per delta, prefixed by "[<instructions>]"
when the request has instructions, and reports usage. When the request offers tools, it calls the
first one instead (arguments {"echo": <input text>}).
"""

import asyncio
import json

from responsekit import CreateResponse, ResponseContext, ResponseEventStream, ResponsesAgentServerHost

app = ResponsesAgentServerHost()

USAGE = {
    "input_tokens": 7,
    "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
    "output_tokens": 11,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 18,
}


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    text = await context.get_input_text()
    sent = request.model_dump(mode="json", exclude_unset=True)
    tools = sent.get("tools")
    yield stream.emit_created()
    yield stream.emit_in_progress()
    if tools:
        arguments = json.dumps({"echo": text})
        for event in stream.output_item_function_call(tools[0]["name"], "call_upstream_1", arguments):
            yield event
    else:
        answer = f"Upstream {sent.get('model')} heard: {text}"
        if sent.get("instructions"):
            answer = f"[{sent['instructions']}] {answer}"
        words = answer.split(" ")
        async for event in stream.aoutput_item_message([words[0]] + [" " + w for w in words[1:]]):
            yield event
    yield stream.emit_completed(usage=USAGE)


if __name__ == "__main__":
    app.run(host="127.0.0.1")

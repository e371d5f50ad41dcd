"""Function calling: the agent asks the client to run a tool, then answers with the tool's result.

Turn 1 returns a `function_call` (get_weather). Turn 2 carries a `function_call_output` for it and
gets the answer. Metadata {"variant": "builder"} emits the same items with the builder API.
"""

import asyncio
import json
import secrets

from responsekit import CreateResponse, ResponseContext, ResponseEventStream, ResponsesAgentServerHost

app = ResponsesAgentServerHost()


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    builder = stream.response.metadata.get("variant") == "builder"
    items = [item.model_dump(mode="json") for item in await context.get_input_items()]
    tool_outputs = [item["output"] for item in items if item["type"] == "function_call_output"]
    question = await context.get_input_text()

    yield stream.emit_created()
    yield stream.emit_in_progress()

    if not tool_outputs:  # turn 1: ask the client to call get_weather
        city = question.rsplit(" in ", 1)[1].strip(" ?!.") if " in " in question else "Seattle"
        arguments = json.dumps({"location": city, "unit": "fahrenheit"})
        call_id = "call_" + secrets.token_hex(8)
        if builder:
            call = stream.add_output_item_function_call("get_weather", call_id)
            yield call.emit_added()
            for i in range(0, len(arguments), 16):  # stream the arguments in pieces
                yield call.emit_arguments_delta(arguments[i : i + 16])
            yield call.emit_arguments_done()
            yield call.emit_done()
        else:
            for event in stream.output_item_function_call("get_weather", call_id, arguments):
                yield event

    else:  # turn 2: the input carries the tool's result
        answer = f"Here is the weather: {tool_outputs[-1]}"
        if builder:
            message = stream.add_output_item_message()
            yield message.emit_added()
            text = message.add_text_content()
            yield text.emit_added()
            yield text.emit_delta(answer)
            yield text.emit_text_done()
            yield text.emit_done()
            yield message.emit_done()
        else:
            for event in stream.output_item_message(answer):
                yield event

    yield stream.emit_completed()


if __name__ == "__main__":
    app.run()

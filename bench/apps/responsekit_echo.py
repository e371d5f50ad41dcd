"""responsekit serving an echo handler (the benchmark's subject). DELTAS=n streams n deltas instead."""

import os

from responsekit import ResponsesAgentServerHost, ResponsesServerOptions, TextResponse

retention = float(os.environ.get("RETENTION_SECONDS", "3600"))
options = ResponsesServerOptions(response_retention_seconds=retention, event_log_retention_seconds=retention)
app = ResponsesAgentServerHost(options=options)
DELTAS = int(os.environ.get("DELTAS", "0"))


async def _tokens(n: int):
    for _ in range(n):
        yield "tok "


@app.response_handler
async def echo(request, context, cancellation_signal):
    if DELTAS:
        return TextResponse(context, request, text=_tokens(DELTAS))
    return TextResponse(context, request, text=f"Echo: {await context.get_input_text()}")


if __name__ == "__main__":
    app.run(host="127.0.0.1", log_level="warning", access_log=False)

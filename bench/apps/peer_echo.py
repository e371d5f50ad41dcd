"""The peer package (azure-ai-agentserver-responses 2.3.0) serving the same echo handler."""

import logging
import os

import uvicorn
from azure.ai.agentserver.responses import ResponsesAgentServerHost, TextResponse

logging.disable(logging.WARNING)  # compare request handling, not log volume
app = ResponsesAgentServerHost()


@app.response_handler
async def echo(request, context, cancellation_signal):
    return TextResponse(context, request, text=f"Echo: {await context.get_input_text()}")


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning", access_log=False)

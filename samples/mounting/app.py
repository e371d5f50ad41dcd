"""Mounting: the Responses host inside a FastAPI app, next to the app's own routes."""

import asyncio
import contextlib
import os

import uvicorn
from fastapi import FastAPI

from responsekit import CreateResponse, ResponseContext, ResponsesAgentServerHost, TextResponse

agent = ResponsesAgentServerHost()


@agent.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    return TextResponse(context, request, text=f"Mounted agent says: {await context.get_input_text()}")


@contextlib.asynccontextmanager
async def lifespan(api: FastAPI):
    # A mounted app's own lifespan does not run: start and stop the host from the parent's,
    # so that shutdown drains in-flight responses.
    await agent.startup()
    yield
    await agent.shutdown()


api = FastAPI(lifespan=lifespan)
api.mount("/agent", agent)  # POST /agent/responses, GET /agent/responses/{id}, /agent/readiness, ...


@api.get("/")
async def index() -> dict:
    return {"service": "mounting sample", "responses": "/agent/responses"}


if __name__ == "__main__":
    uvicorn.run(api, host="0.0.0.0", port=int(os.environ.get("PORT", "8088")))

"""The baseline: a bare Starlette endpoint on uvicorn answering with bytes of the same size.

BODY_FILE holds the body to send (the benchmark writes responsekit's own echo response there);
with STREAM=1 it is sent as an SSE stream in the same number of chunks as responsekit's frames.
"""

import os

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

with open(os.environ["BODY_FILE"], "rb") as f:
    BODY = f.read()
CHUNKS = [c + b"\n\n" for c in BODY.split(b"\n\n") if c]


async def create(request: Request) -> Response:
    await request.body()
    if os.environ.get("STREAM") == "1":

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

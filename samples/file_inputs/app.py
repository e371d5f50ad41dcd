"""File inputs: accepts files by base64 data, URL and file id, and reports what it received."""

import asyncio
import base64

from responsekit import CreateResponse, ResponseContext, ResponsesAgentServerHost, TextResponse

app = ResponsesAgentServerHost()


def describe(file: dict) -> str:
    name = file.get("filename") or "unnamed"
    if file.get("file_id"):
        return f"file id {file['file_id']}"
    if file.get("file_url"):
        return f"URL {file['file_url']}"
    media_type, data = "application/octet-stream", file["file_data"]
    if data.startswith("data:"):  # data:text/plain;base64,SGVsbG8...
        header, _, data = data.partition(",")
        media_type = header[5:].split(";")[0]
    raw = base64.b64decode(data)
    found = f"{name} ({media_type}, {len(raw)} bytes)"
    if media_type.startswith("text/"):
        found += f", first line: {raw.decode().splitlines()[0]!r}"
    return found


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    files = [
        part
        for item in await context.get_input_items()
        for part in item.model_dump(mode="json").get("content") or []
        if part["type"] == "input_file"
    ]
    lines = [f"File {n}: {describe(file)}" for n, file in enumerate(files, 1)]
    return TextResponse(context, request, text="\n".join(lines) or "No files received.")


if __name__ == "__main__":
    app.run()

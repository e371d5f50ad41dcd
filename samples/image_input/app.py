"""Image input: accepts images by URL, base64 data URL and file id, and reports what it received."""

import asyncio
import base64
import struct

from responsekit import CreateResponse, ResponseContext, ResponsesAgentServerHost, TextResponse

app = ResponsesAgentServerHost()


def describe(image: dict) -> str:
    if image.get("file_id"):
        return f"file id {image['file_id']}"
    url = image["image_url"]
    if not url.startswith("data:"):
        return f"URL {url}"
    header, _, data = url.partition(",")  # data:image/png;base64,iVBORw0...
    raw = base64.b64decode(data)
    found = f"inline {header[5:].split(';')[0]}, {len(raw)} bytes"
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        width, height = struct.unpack(">II", raw[16:24])
        found += f", {width}x{height} pixels"
    return found


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    images = [
        part
        for item in await context.get_input_items()
        for part in item.model_dump(mode="json").get("content") or []
        if part["type"] == "input_image"
    ]
    lines = [f"Image {n}: {describe(image)} (detail: {image['detail']})" for n, image in enumerate(images, 1)]
    return TextResponse(context, request, text="\n".join(lines) or "No images received.")


if __name__ == "__main__":
    app.run()

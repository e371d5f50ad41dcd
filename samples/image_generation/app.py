"""Image generation: an image_generation_call item with streamed partial images.

The "model" paints a small sunset as a PNG, coarse previews first. Metadata {"variant": "builder"}
emits the same item event by event with the builder API.
"""

import asyncio
import base64
import struct
import zlib

from responsekit import CreateResponse, ResponseContext, ResponseEventStream, ResponsesAgentServerHost

app = ResponsesAgentServerHost()

SIZE = 64


def png(width: int, height: int, pixel) -> bytes:
    """A valid RGB PNG; pixel(x, y) returns (r, g, b)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in pixel(x, y)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def sunset(block: int) -> str:
    """The picture as base64, painted in blocks of block x block pixels (1 = full detail)."""

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        x, y = x - x % block, y - y % block
        if (x - 32) ** 2 + (y - 40) ** 2 < 144:
            return (255, 210, 60)  # sun
        if y > 44:
            return (20, 40, 100 + y)  # sea
        return (255 - y * 2, 90 + y, 140 + y)  # sky

    return base64.b64encode(png(SIZE, SIZE, pixel)).decode()


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    yield stream.emit_created()
    yield stream.emit_in_progress()

    if stream.response.metadata.get("variant") == "builder":
        call = stream.add_output_item_image_gen_call()
        yield call.emit_added()
        yield call.emit_in_progress()
        yield call.emit_generating()
        for block in (16, 4):  # coarse previews, streamed as soon as they are painted
            await asyncio.sleep(0.1)
            yield call.emit_partial_image(sunset(block), size=f"{SIZE}x{SIZE}", output_format="png")
        call.set_result(sunset(1))
        yield call.emit_completed()
        yield call.emit_done()
    else:
        for event in stream.output_item_image_gen_call(sunset(1), partial_images=[sunset(16), sunset(4)]):
            yield event

    yield stream.emit_completed()


if __name__ == "__main__":
    app.run()

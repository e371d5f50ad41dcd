"""Annotations: file_citation, url_citation and file_path annotations on output text."""

import asyncio

from responsekit import CreateResponse, ResponseContext, ResponseEventStream, ResponsesAgentServerHost

app = ResponsesAgentServerHost()

TEXT = (
    "The quarterly numbers are in report.pdf, the protocol is described in the Responses API "
    "reference, and the chart is saved as chart.png."
)
DOCS = "https://platform.openai.com/docs/api-reference/responses"


def annotations() -> list[dict]:
    # Citations point into TEXT: file_citation and file_path at an index, url_citation at a span.
    start = TEXT.index("Responses API reference")
    return [
        {
            "type": "file_citation",
            "file_id": "file-report",
            "filename": "report.pdf",
            "index": TEXT.index("report.pdf"),
        },
        {
            "type": "url_citation",
            "url": DOCS,
            "title": "Responses API reference",
            "start_index": start,
            "end_index": start + len("Responses API reference"),
        },
        {"type": "file_path", "file_id": "file-chart", "index": TEXT.index("chart.png")},
    ]


@app.response_handler
async def handler(request: CreateResponse, context: ResponseContext, cancellation_signal: asyncio.Event):
    stream = ResponseEventStream(response_id=context.response_id, request=request)
    yield stream.emit_created()
    yield stream.emit_in_progress()
    # One event per annotation (response.output_text.annotation.added), after the text's deltas.
    # With the builder API: text.emit_annotation_added(annotation) before text.emit_text_done().
    for event in stream.output_item_message(TEXT, annotations=annotations()):
        yield event
    yield stream.emit_completed()


if __name__ == "__main__":
    app.run()

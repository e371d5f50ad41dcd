"""The OpenAI error envelope: every rejected request gets {"error": {message, type, param, code}}."""

from __future__ import annotations

from starlette.responses import Response

from responsekit.streaming.events import encode_json


class ApiError(Exception):
    """A request the server refuses, with the status and envelope fields to answer it with."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers

    def envelope(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def response(self) -> Response:
        return Response(
            encode_json(self.envelope()),
            status_code=self.status,
            media_type="application/json",
            headers=self.headers,
        )


def bad_request(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def not_found(response_id: str) -> ApiError:
    return ApiError(404, f"No response found with id '{response_id}'.", param="response_id", code="not_found")


def unavailable(message: str) -> ApiError:
    return ApiError(
        503, message, type="server_error", code="service_unavailable", headers={"Retry-After": "1"}
    )


def internal_error() -> ApiError:
    return ApiError(
        500, "The server had an error processing the request.", type="server_error", code="server_error"
    )

"""``data:`` URLs (RFC 2397), as clients send images and files inline (``image_url``, ``file_data``).

Each function takes a str or a URL object (an input image's ``image_url`` is a pydantic ``AnyUrl``).

``is_data_url(value)`` says whether a string is one; ``get_media_type(value)`` reads its media type
(``"image/png"``, parameters other than ``;base64`` kept, None when absent); ``decode_bytes(value)``
returns its payload (base64 when marked ``;base64``, else percent-decoded) or raises ValueError;
``try_decode_bytes(value)`` returns None instead of raising. Same names and results as the peer
package's ``data_url`` module for base64 URLs; a payload without ``;base64`` is percent-decoded as
the RFC says rather than base64-decoded.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote_to_bytes

__all__ = ["decode_bytes", "get_media_type", "is_data_url", "try_decode_bytes"]

_PREFIX = "data:"
_BASE64 = ";base64"


def _text(value: Any) -> str | None:
    """A str as is; a URL object (the models' ``image_url`` is a pydantic ``AnyUrl``) as its text."""
    if value is None or isinstance(value, str):
        return value
    return str(value) if not isinstance(value, (bytes, bytearray, int, float)) else None


def is_data_url(value: Any) -> bool:
    """True if ``value`` (a str, or a URL object) starts with ``data:`` (any case)."""
    value = _text(value)
    return value is not None and value[:5].lower() == _PREFIX


def _split(value: Any) -> tuple[str, str]:
    value = _text(value)
    if value is None or not is_data_url(value):
        raise ValueError("not a data URL: expected 'data:[<media type>][;base64],<data>'")
    comma = value.find(",", len(_PREFIX))
    if comma < 0:
        raise ValueError("not a data URL: no ',' before the data")
    return value[len(_PREFIX) : comma], value[comma + 1 :]


def get_media_type(value: Any) -> str | None:
    """The media type of a data URL (``"image/png"``), or None if absent or not a data URL."""
    try:
        header, _ = _split(value)
    except ValueError:
        return None
    marker = header.lower().find(_BASE64)
    media_type = header[:marker] if marker >= 0 else header
    return media_type or None


def decode_bytes(value: Any) -> bytes:
    """The payload of a data URL; raises ValueError if it is not one or does not decode."""
    header, payload = _split(value)
    if header.lower().endswith(_BASE64):
        try:
            return base64.b64decode(unquote_to_bytes(payload), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"the data URL's base64 payload does not decode: {exc}") from None
    return unquote_to_bytes(payload)


def try_decode_bytes(value: Any) -> bytes | None:
    """The payload of a data URL, or None if ``value`` is None, not a data URL or undecodable."""
    if value is None:
        return None
    try:
        return decode_bytes(value)
    except (ValueError, TypeError):
        return None

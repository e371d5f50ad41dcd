"""Alias of :mod:`responsekit.data_url` (the peer package's private module name)."""

from responsekit.data_url import decode_bytes, get_media_type, is_data_url, try_decode_bytes

__all__ = ["decode_bytes", "get_media_type", "is_data_url", "try_decode_bytes"]

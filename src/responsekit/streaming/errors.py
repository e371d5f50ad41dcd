"""The one exception the streaming API raises on misuse."""


class StreamOrderError(RuntimeError):
    """An emit_* call broke an ordering rule of the protocol; nothing was emitted.

    The message names the rule, the event that was refused and the builder's state, so the bug in
    the handler is visible at the line that caused it.
    """

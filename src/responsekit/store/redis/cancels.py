"""Cancel signals on Redis: requests broadcast on one pub/sub channel; each process calls its own
subscribers (the handlers it runs)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from redis.asyncio import ConnectionPool, Redis

from responsekit._logs import about
from responsekit.store.redis.batcher import Batcher
from responsekit.store.redis.wire import FAILURES

logger = logging.getLogger("responsekit")


class RedisCancelSignals:
    """Cancel requests broadcast on one pub/sub channel; each process calls its own subscribers."""

    def __init__(self, io: Batcher, pool: ConnectionPool, channel: str) -> None:
        self._io = io
        self._pool = pool  # the subscription's connection comes from it
        self._channel = channel
        self._callbacks: dict[str, Callable[[], None]] = {}
        self._task: asyncio.Task | None = None
        self._subscribed: asyncio.Event | None = None

    def subscribe(self, response_id: str, callback: Callable[[], None]) -> Callable[[], None]:
        self._callbacks[response_id] = callback

        def unsubscribe() -> None:
            if self._callbacks.get(response_id) is callback:
                del self._callbacks[response_id]

        return unsubscribe

    async def request(self, response_id: str) -> None:
        callback = self._callbacks.get(response_id)
        if callback is not None:  # it runs here
            callback()
            return
        await self._io.call(("PUBLISH", self._channel, response_id))

    def _deliver(self, response_id: str) -> None:
        callback = self._callbacks.get(response_id)
        if callback is not None:
            try:
                callback()
            except Exception:
                logger.exception(
                    "response %s: the cancel callback failed", response_id, extra=about(response_id)
                )

    async def start(self, wait: float) -> None:
        if self._task is None:
            self._subscribed = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._listen())
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), wait)
        if not self._subscribed.is_set():
            logger.warning(
                "Redis store: not subscribed to cancel requests yet (Redis unreachable?); retrying"
            )

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _listen(self) -> None:
        backoff = 0.05
        client = Redis(connection_pool=self._pool)
        channel = self._channel.encode()
        while True:
            pubsub = client.pubsub()
            try:
                await pubsub.subscribe(channel)
                # Wait for the confirmation: only then are requests sure to reach this process.
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message["type"] == "subscribe":
                        break
                self._subscribed.set()
                backoff = 0.05
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None and message["type"] == "message":
                        self._deliver(message["data"].decode())
            except asyncio.CancelledError:
                raise
            except FAILURES as exc:
                # once per outage: the retries below are every second at most
                log = logger.warning if backoff == 0.05 else logger.debug
                log("Redis store: cancel subscription lost (%s); reconnecting", exc)
                self._subscribed.clear()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

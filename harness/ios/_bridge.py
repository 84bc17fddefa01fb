"""One event loop on a daemon thread for every pymobiledevice3 call of the process.

pymobiledevice3 is asyncio all the way down; scenarios are synchronous. ``run`` hands a coroutine to
the loop and waits for it with a timeout, cancelling it on the loop when the wait gives up, so a stalled
phone never leaves a half-finished call behind.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["bridge"]

T = TypeVar("T")


class _Bridge:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="ios-driver-loop", daemon=True)
                thread.start()
                self._loop = loop
            return self._loop

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float) -> T:
        """The coroutine's result; ``TimeoutError`` after ``timeout_s`` (the coroutine is cancelled)."""
        future = self.submit(asyncio.wait_for(coro, timeout_s))
        try:
            return future.result(timeout_s + 1.0)
        except concurrent.futures.TimeoutError:  # the loop itself is stuck: give up on it
            future.cancel()
            raise TimeoutError(f"no answer within {timeout_s:g} s") from None


bridge = _Bridge()

"""``PowerModel.on_change`` delivery: listeners hear about a change once the whole transition is done.

A single shell command or timer can move several states (``force-idle`` steps INACTIVE → … → IDLE and sets the
light state to OVERRIDE). Listeners (JobScheduler re-evaluating its jobs) must not see the half-way states, so
changes are collected while a batch is open and delivered, each kind once and in order, when it closes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["Notifier"]

log = logging.getLogger("harness.lab.android")


class Notifier:
    def __init__(self) -> None:
        self._listeners: list[Callable[[str], None]] = []
        self._pending: list[str] = []
        self._depth = 0

    def subscribe(self, listener: Callable[[str], None]) -> None:
        self._listeners.append(listener)

    def changed(self, what: str) -> None:
        if what not in self._pending:
            self._pending.append(what)
        if self._depth == 0:
            self._flush()

    @contextmanager
    def batch(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._flush()

    def batched(self, fn: Callable[[], None]) -> Callable[[], None]:
        """``fn`` as a timer callback whose changes are delivered together."""

        def run() -> None:
            with self.batch():
                fn()

        return run

    def _flush(self) -> None:
        while self._pending:
            what = self._pending.pop(0)
            for listener in list(self._listeners):
                try:
                    listener(what)
                except Exception:  # another part's bug must not leave Doze half-way through a transition
                    log.exception("power on_change listener failed for %r", what)

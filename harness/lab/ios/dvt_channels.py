"""The base of a DVT service channel (``dvt.py``): a target object whose selectors a DTX DISPATCH invokes.

``-[DTXMessage invokeWithTarget:replyChannel:validator:]`` (decompiled DTXConnectionServices) answers a
selector the target lacks with an NSError (domain ``DTXMessage``, code 1) reading ``Unable to invoke
-[<target> sel] - it does not respond to the selector`` (``Unrecognized``), a wrong argument count with
``… N arguments provided, M expected``, and an invocation that raises with ``In invocation of method …``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from harness.lab.ios.nskeyed import NSError

if TYPE_CHECKING:
    from harness.lab.ios.device import VirtualIPhone

__all__ = ["DvtChannel", "Reply", "Unrecognized", "dtx_error"]

log = logging.getLogger("harness.lab.ios.dvt")

Reply = Any  # a value to archive, None for an empty reply, or an NSError


class Unrecognized(Exception):
    """The service has no such selector."""


def dtx_error(description: str, code: int = 1, domain: str = "DTXMessage") -> NSError:
    return NSError(code, domain, {"NSLocalizedDescription": description})


class DvtChannel:
    """One service object on a DTX channel: ``methods`` maps a selector to the callable answering it."""

    objc_class = "NSObject"

    def __init__(self, device: VirtualIPhone, address: int) -> None:
        self.device = device
        self.target = f"<{self.objc_class}: {address:#x}>"
        self.methods: dict[str, Callable[..., Reply]] = {}
        # Sends a value unasked on this channel (a tap's samples); the session wires it when it opens
        # the channel, and it drops values until then.
        self.emit: Callable[[Any], None] = lambda _value: None
        self.emit_data: Callable[[bytes], None] = lambda _data: None  # raw bytes, a DATA message

    def close(self) -> None:
        """The channel or its connection went away: stop whatever the service was doing."""

    def invoke(self, selector: str, args: list[Any]) -> Reply:
        method = self.methods.get(selector)
        if method is None:
            raise Unrecognized(selector)
        expected = selector.count(":")
        if len(args) != expected:
            return dtx_error(f"Unable to invoke -[{self.target} {selector}] - {len(args)} arguments provided, "
                             f"{expected} expected")
        try:
            return method(*args)
        except Exception as exc:  # the invocation raised: the phone answers with an NSError, as DTX does
            log.exception("[%s] %s %s failed", self.device.name, self.objc_class, selector)
            return dtx_error(f"In invocation of method {selector}: {exc!r}")

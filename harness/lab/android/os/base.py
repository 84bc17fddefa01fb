"""What every modelled system service shares: the ``dumpsys``/``cmd`` entry points and AOSP text helpers."""

from __future__ import annotations

from typing import Protocol

from harness.lab.android.shell.runtime import Invocation

__all__ = ["SystemService", "format_duration", "uid_text"]


class SystemService(Protocol):
    """A binder service as ``dumpsys NAME …`` and ``cmd NAME …`` reach it."""

    def dump(self, inv: Invocation, args: list[str]) -> int:
        """``dumpsys NAME args``. Services route a non-option argument to their shell command, as AOSP does."""
        ...

    def shell_command(self, inv: Invocation, args: list[str]) -> int:
        """``cmd NAME args``; the return value is the command's result code (the shell sees it & 0xff)."""
        ...


def format_duration(seconds: float) -> str:
    """``TimeUtils.formatDuration``: ``+1h29m59s687ms``, ``-8m12s280ms``, ``+5s0ms``, ``0``."""
    ms = round(seconds * 1000)
    if ms == 0:
        return "0"
    sign = "+" if ms > 0 else "-"
    ms = abs(ms)
    days, ms = divmod(ms, 86_400_000)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    out = sign
    if days:
        out += f"{days}d"
    if days or hours:
        out += f"{hours}h"
    if days or hours or minutes:
        out += f"{minutes}m"
    return out + f"{secs}s{ms}ms"


def uid_text(uid: int) -> str:
    """``UserHandle.formatUid``: 10123 → ``u0a123``, 1000 → ``1000``, 1010123 → ``u10a123``."""
    user, app = divmod(uid, 100_000)
    if app < 10_000:
        return str(uid) if user == 0 else f"u{user}s{app}"
    if 99_000 <= app <= 99_999:
        return f"u{user}i{app - 99_000}"
    return f"u{user}a{app - 10_000}"
